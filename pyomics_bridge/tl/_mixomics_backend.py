"""``backend="python"`` / ``backend="r"`` dispatch for the mixOmics drivers of :mod:`pyomics_bridge.tl`.

:func:`fit_with_backend` returns either the fitted Python estimator or a :class:`pyomics_bridge.r.mixomics.RFit`
(the same call run through rpy2 on the installed mixOmics). Both expose the same fitted attributes
(``variates_``, ``loadings_``, ``loadings_star_``, ``explained_variance_``, ``weights_``, ``selected_features_``),
so a driver can write its containers from either.

What an R fit cannot give (the drivers skip it and say so in ``uns[key]["r_backend_skipped"]``): the Python model
state used by ``plsda_predict`` / ``diablo_predict`` (``uns[key]["model"]``), VIP (``varm["<key>_vip"]``), the
DIABLO start signs (``init_signs``), and any field the installed mixOmics does not return (e.g. ``iter``,
``mat.c`` or ``prop_expl_var`` in older versions). Everything else is written to the same slots as the Python fit.
"""

from __future__ import annotations

from typing import Any

from .._conventions import ValidationError

BACKENDS = ("python", "r")


def check_backend(backend: Any) -> str:
    """Validate ``backend`` (``"python"`` or ``"r"``); a ``ValidationError`` (a ``ValueError``) names the choices."""
    if not isinstance(backend, str) or backend not in BACKENDS:
        raise ValidationError(f"backend must be one of {list(BACKENDS)}, got {backend!r}")
    return backend


def is_r_fit(fit: Any) -> bool:
    """Whether ``fit`` came from the R backend (an :class:`~pyomics_bridge.r.mixomics.RFit`)."""
    return type(fit).__name__ == "RFit" or hasattr(fit, "r_function")


def record_r_versions(target, key_added: str, fit: Any) -> None:
    """Add the R side's versions (R, rpy2, mixOmics) of an R fit to ``target.uns[key_added]["versions"]``."""
    extra = getattr(fit, "versions_", None)
    if is_r_fit(fit) and extra:
        target.uns[key_added]["versions"] = {**dict(target.uns[key_added]["versions"]),
                                             **{str(k): str(v) for k, v in dict(extra).items()}}


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
