"""``backend="python"`` / ``backend="r"`` dispatch for the mixOmics drivers of :mod:`pyomics_bridge.tl`.

:func:`fit_with_backend` returns either the fitted Python estimator or a :class:`pyomics_bridge.r.mixomics.RFit`
(the same call run through rpy2 on the installed mixOmics). Both expose the same fitted attributes
(``variates_``, ``loadings_``, ``loadings_star_``, ``explained_variance_``, ``weights_``, ``selected_features_``),
so a driver can write its containers from either.
"""

from __future__ import annotations

from typing import Any

BACKENDS = ("python", "r")


def check_backend(backend: str) -> str:
    """Validate ``backend`` (``"python"`` or ``"r"``)."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {list(BACKENDS)}, got {backend!r}")
    return backend


def python_estimator(name: str, **params) -> Any:
    """The unfitted Python estimator of method ``name`` (a key of :data:`pyomics_bridge.r.mixomics.METHODS`)."""
    from .. import multiomics as mo
    from ..r.mixomics import estimator_for

    params = dict(params)
    cls_name = estimator_for(name, params)
    if name == "diablo" and params.get("keepX") is None:
        params.pop("keepX", None)  # BlockPLSDA has no keepX
    n_components = params.pop("n_components", 2)
    return getattr(mo, cls_name)(n_components, **params)


def fit_with_backend(name: str, backend: str, X, Y=None, **params) -> Any:
    """Fit method ``name`` with ``backend`` and return the fitted object.

    Parameters
    ----------
    name
        ``"pca_mixomics"``, ``"spca"``, ``"pls"``, ``"spls"``, ``"plsda"``, ``"splsda"``, ``"rcc"``,
        ``"block_spls"`` or ``"diablo"`` (``diablo`` is ``BlockSPLSDA``/``block.splsda`` with ``keepX``, else
        ``BlockPLSDA``/``block.plsda``).
    backend
        ``"python"`` (the estimators of :mod:`pyomics_bridge.multiomics`) or ``"r"`` (mixOmics through rpy2).
    X, Y
        As the estimator's ``fit`` (``Y`` = responses, class labels, or ``None`` for PCA).
    **params
        The estimator's parameters (Python names).

    Returns
    -------
    The fitted estimator (``"python"``) or an :class:`~pyomics_bridge.r.mixomics.RFit` (``"r"``).

    Raises
    ------
    RUnavailableError
        ``backend="r"`` and R, rpy2 or mixOmics is missing (the message gives the install command).
    """
    check_backend(backend)
    if backend == "r":
        from ..r import mixomics as rmx

        return rmx.fit(name, X, Y, **params)
    est = python_estimator(name, **params)
    return est.fit(X) if Y is None else est.fit(X, Y)
