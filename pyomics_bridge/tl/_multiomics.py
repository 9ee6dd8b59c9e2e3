"""AnnData/MuData drivers for the mixOmics methods of :mod:`pyomics_bridge.multiomics`.

Single-block methods (``pca_mixomics``, ``spca``, ``plsda``, ``splsda``) take an AnnData (samples = obs);
two-block methods (``pls``, ``spls``, ``rcc``) take a MuData and two modality names. Slots written (``key`` =
``key_added``):

* ``obsm["X_<key>"]``: X variates (n × H); DA models also ``obsm["X_<key>_Y"]`` (Y variates);
  MuData: ``mdata[x_mod].obsm["X_<key>"]`` and ``mdata[y_mod].obsm["X_<key>"]``;
* ``varm["<key>_loadings"]`` (zero rows for unselected features), ``varm["<key>_loadings_star"]`` (PLS family);
* ``uns[key]`` (``mdata.uns`` for MuData): ``params``, ``versions``, ``explained_variance`` per block, ``n_iter``,
  ``keepX``/``keepY``, ``selected`` features per component, and method-specific entries.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from anndata import AnnData

from .. import multiomics as _mo
from .._conventions import (
    ValidationError,
    check_aligned,
    check_data,
    finish,
    get_matrix,
    get_obs_vector,
    working_object,
    write_mudata_results,
    write_results,
)

__all__ = ["pca_mixomics", "spca", "pls", "spls", "plsda", "splsda", "plsda_predict", "rcc"]


def _comp_names(H: int) -> list[str]:
    return [f"comp{h + 1}" for h in range(H)]


def _selected(names: pd.Index, loadings: np.ndarray) -> dict[str, np.ndarray]:
    return {
        f"comp{h + 1}": np.asarray(names[np.flatnonzero(loadings[:, h])], dtype=str) for h in range(loadings.shape[1])
    }


def _ev(est) -> dict[str, np.ndarray]:
    return {b: np.asarray(v, float) for b, v in est.explained_variance_.items()}


def _frame(values: np.ndarray, index, H: int) -> pd.DataFrame:
    return pd.DataFrame(np.asarray(values, float), index=pd.Index([str(i) for i in index]), columns=_comp_names(H))


def _mudata_blocks(mdata, x_mod: str, y_mod: str, x_layer: str | None, y_layer: str | None, *, allow_nan_y: bool):
    check_data(mdata, name="mdata", mudata_ok=True)
    mods = list(getattr(mdata, "mod", {}))
    if not mods:
        raise TypeError("mdata must be a MuData with modalities (x_mod and y_mod name them)")
    for arg, mod in (("x_mod", x_mod), ("y_mod", y_mod)):
        if mod not in mods:
            raise ValidationError(f"{arg}={mod!r} is not a modality of mdata (available: {mods})")
    if x_mod == y_mod:
        raise ValidationError(f"x_mod and y_mod must differ, both are {x_mod!r}")
    ax, ay = mdata[x_mod], mdata[y_mod]
    check_aligned(ax.obs_names, ay.obs_names, what_a=f"mdata[{x_mod!r}] samples", what_b=f"mdata[{y_mod!r}] samples")
    X = get_matrix(ax, layer=x_layer, allow_nan=True, name=f"mdata[{x_mod!r}]")
    Y = get_matrix(ay, layer=y_layer, allow_nan=allow_nan_y, name=f"mdata[{y_mod!r}]")
    return X, Y


def _write_mudata(target, *, key_added: str, x_mod: str, y_mod: str, per_mod: dict, params: dict, uns: dict) -> None:
    """Check every per-modality array against its modality, then write all of them and ``mdata.uns[key_added]``."""
    write_mudata_results(target, key_added=key_added, params=params, per_mod=per_mod, uns=uns)


# --------------------------------------------------------------------------- PCA / sPCA
def pca_mixomics(
    adata: AnnData,
    *,
    n_components: int = 2,
    center: bool = True,
    scale: bool = False,
    max_iter: int = 500,
    tol: float = 1e-9,
    layer: str | None = None,
    key_added: str = "pca_mixomics",
    copy: bool = False,
) -> AnnData | None:
    """PCA with mixOmics' conventions (``mixOmics::pca``): SVD, or NIPALS when the data have missing values.

    Parameters
    ----------
    adata
        Samples × features.
    n_components
        Number of components.
    center, scale
        Centre the features; scale them to unit (n−1) variance (default False, as mixOmics).
    max_iter, tol
        NIPALS stopping rule (only used with missing values).
    layer
        Use this layer instead of ``.X`` (NaN = missing).
    key_added
        Name of the outputs.
    copy
        Return a modified copy instead of writing into ``adata``.

    Returns
    -------
    ``None`` (or the copy); sets ``obsm["X_<key>"]`` (variates), ``varm["<key>_loadings"]`` and ``uns[key]`` with
    ``sdev``, ``explained_variance`` (``{"X": ...}``), ``cum_var``, ``var_tot``, ``n_iter``, ``params``, ``versions``.
    """
    check_data(adata)
    X = get_matrix(adata, layer=layer, allow_nan=True)
    est = _mo.PCA(n_components, center=center, scale=scale, max_iter=max_iter, tol=tol).fit(X)
    target = working_object(adata, copy=copy)
    write_results(
        target,
        key_added=key_added,
        params={"n_components": n_components, "center": center, "scale": scale, "max_iter": max_iter, "tol": tol,
                "layer": layer, "method": "nipals" if est.n_iter_ else "svd"},
        obsm={f"X_{key_added}": est.variates_["X"]},
        varm={f"{key_added}_loadings": est.loadings_["X"]},
        uns={"sdev": est.sdev_, "explained_variance": _ev(est), "cum_var": est.cum_var_, "var_tot": est.var_tot_,
             "n_iter": np.asarray(est.n_iter_, dtype=int)},
    )
    return finish(target, copy=copy)


def spca(
    adata: AnnData,
    *,
    n_components: int = 2,
    keepX: int | Sequence[int] | None = None,
    center: bool = True,
    scale: bool = True,
    max_iter: int = 500,
    tol: float = 1e-6,
    layer: str | None = None,
    key_added: str = "spca",
    copy: bool = False,
) -> AnnData | None:
    """Sparse PCA (``mixOmics::spca``): ``keepX[h]`` features with non-zero loadings on component h.

    Parameters
    ----------
    adata
        Samples × features.
    n_components
        Number of components.
    keepX
        Features kept per component (list or one integer; default all).
    center, scale
        Pre-processing (default centre and scale, as mixOmics).
    max_iter, tol
        Stopping rule.
    layer
        Use this layer instead of ``.X``.
    key_added
        Name of the outputs.
    copy
        Return a modified copy instead of writing into ``adata``.

    Returns
    -------
    ``None`` (or the copy); sets ``obsm["X_<key>"]``, ``varm["<key>_loadings"]`` (zero rows for unselected
    features) and ``uns[key]`` with ``explained_variance``, ``cum_var``, ``keepX``, ``n_iter``, ``selected``
    (feature names per component), ``params``, ``versions``.
    """
    check_data(adata)
    X = get_matrix(adata, layer=layer, allow_nan=True)
    est = _mo.SPCA(n_components, keepX=keepX, center=center, scale=scale, max_iter=max_iter, tol=tol).fit(X)
    target = working_object(adata, copy=copy)
    write_results(
        target,
        key_added=key_added,
        params={"n_components": n_components, "keepX": est.keepX_, "center": center, "scale": scale,
                "max_iter": max_iter, "tol": tol, "layer": layer},
        obsm={f"X_{key_added}": est.variates_["X"]},
        varm={f"{key_added}_loadings": est.loadings_["X"]},
        uns={"explained_variance": _ev(est), "cum_var": est.cum_var_, "keepX": np.asarray(est.keepX_),
             "n_iter": np.asarray(est.n_iter_), "selected": _selected(adata.var_names, est.loadings_["X"])},
    )
    return finish(target, copy=copy)


# --------------------------------------------------------------------------- PLS / sPLS (MuData)
def _pls_common(mdata, est, *, x_mod, y_mod, x_layer, y_layer, key_added, copy, params):
    X, Y = _mudata_blocks(mdata, x_mod, y_mod, x_layer, y_layer, allow_nan_y=False)
    est.fit(X, Y)
    target = working_object(mdata, copy=copy)
    H = est.n_components_
    per_mod = {
        x_mod: {"obsm": {f"X_{key_added}": est.variates_["X"]},
                "varm": {f"{key_added}_loadings": est.loadings_["X"],
                         f"{key_added}_loadings_star": est.loadings_star_["X"]}},
        y_mod: {"obsm": {f"X_{key_added}": est.variates_["Y"]},
                "varm": {f"{key_added}_loadings": est.loadings_["Y"],
                         f"{key_added}_loadings_star": est.loadings_star_["Y"]}},
    }
    uns = {
        "explained_variance": _ev(est),
        "n_iter": np.asarray(est.n_iter_),
        "keepX": np.asarray(est.keepX_),
        "keepY": np.asarray(est.keepY_),
        "selected": {"X": _selected(mdata[x_mod].var_names, est.loadings_["X"]),
                     "Y": _selected(mdata[y_mod].var_names, est.loadings_["Y"])},
        "mat_c": _frame(est.mat_c_, mdata[x_mod].var_names, H),
        "nzv": np.asarray(mdata[x_mod].var_names[est.nzv_], dtype=str),
    }
    params = {**params, "x_mod": x_mod, "y_mod": y_mod, "x_layer": x_layer, "y_layer": y_layer}
    _write_mudata(target, key_added=key_added, x_mod=x_mod, y_mod=y_mod, per_mod=per_mod, params=params, uns=uns)
    return finish(target, copy=copy)


def pls(
    mdata,
    *,
    x_mod: str,
    y_mod: str,
    n_components: int = 2,
    mode: str = "regression",
    scale: bool = True,
    tol: float = 1e-6,
    max_iter: int = 100,
    near_zero_var: bool = False,
    x_layer: str | None = None,
    y_layer: str | None = None,
    key_added: str = "pls",
    copy: bool = False,
):
    """PLS between two modalities (``mixOmics::pls``), modes regression / canonical / invariant / classic.

    Parameters
    ----------
    mdata
        MuData; both modalities must hold the same samples in the same order.
    x_mod, y_mod
        Modalities used as X (predictors; NaN allowed) and Y (responses; complete).
    n_components
        Number of components.
    mode
        ``"regression"``, ``"canonical"``, ``"invariant"`` or ``"classic"``.
    scale, tol, max_iter, near_zero_var
        As :class:`pyomics_bridge.multiomics.PLS`.
    x_layer, y_layer
        Layers to use instead of ``.X``.
    key_added
        Name of the outputs.
    copy
        Return a modified copy instead of writing into ``mdata``.

    Returns
    -------
    ``None`` (or the copy); sets ``mdata[x_mod].obsm["X_<key>"]`` (X variates), ``mdata[y_mod].obsm["X_<key>"]``
    (Y variates), ``varm["<key>_loadings"]`` and ``varm["<key>_loadings_star"]`` in both modalities, and
    ``mdata.uns[key]`` with ``explained_variance`` (``{"X", "Y"}``), ``n_iter``, ``keepX``, ``keepY``,
    ``selected``, ``mat_c``, ``nzv``, ``params``, ``versions``.
    """
    est = _mo.PLS(n_components, mode=mode, scale=scale, tol=tol, max_iter=max_iter, near_zero_var=near_zero_var)
    params = {"n_components": n_components, "mode": mode, "scale": scale, "tol": tol, "max_iter": max_iter,
              "near_zero_var": near_zero_var}
    return _pls_common(mdata, est, x_mod=x_mod, y_mod=y_mod, x_layer=x_layer, y_layer=y_layer, key_added=key_added,
                       copy=copy, params=params)


def spls(
    mdata,
    *,
    x_mod: str,
    y_mod: str,
    n_components: int = 2,
    keepX: int | Sequence[int] | None = None,
    keepY: int | Sequence[int] | None = None,
    mode: str = "regression",
    scale: bool = True,
    tol: float = 1e-6,
    max_iter: int = 100,
    near_zero_var: bool = False,
    x_layer: str | None = None,
    y_layer: str | None = None,
    key_added: str = "spls",
    copy: bool = False,
):
    """Sparse PLS between two modalities (``mixOmics::spls``) with ``keepX``/``keepY`` features per component.

    Parameters
    ----------
    mdata
        MuData; both modalities must hold the same samples in the same order.
    x_mod, y_mod
        Modalities used as X and Y.
    n_components
        Number of components.
    keepX, keepY
        Features kept per component in X and Y (lists or integers; default all).
    mode, scale, tol, max_iter, near_zero_var
        As :class:`pyomics_bridge.multiomics.SPLS`.
    x_layer, y_layer
        Layers to use instead of ``.X``.
    key_added
        Name of the outputs.
    copy
        Return a modified copy instead of writing into ``mdata``.

    Returns
    -------
    ``None`` (or the copy); the slots of :func:`pls` (loadings have zero rows for unselected features).
    """
    est = _mo.SPLS(n_components, keepX=keepX, keepY=keepY, mode=mode, scale=scale, tol=tol, max_iter=max_iter,
                   near_zero_var=near_zero_var)
    params = {"n_components": n_components, "keepX": keepX, "keepY": keepY, "mode": mode, "scale": scale,
              "tol": tol, "max_iter": max_iter, "near_zero_var": near_zero_var}
    return _pls_common(mdata, est, x_mod=x_mod, y_mod=y_mod, x_layer=x_layer, y_layer=y_layer, key_added=key_added,
                       copy=copy, params=params)


# --------------------------------------------------------------------------- PLS-DA / sPLS-DA (AnnData)
def _da_common(adata, est, *, groupby, layer, key_added, copy, params):
    check_data(adata)
    X = get_matrix(adata, layer=layer, allow_nan=True)
    y = get_obs_vector(adata, groupby, kind="categorical")
    est.fit(X, y)
    target = working_object(adata, copy=copy)
    H = est.n_components_
    classes = [str(c) for c in est.classes_]
    state = est._get_state()
    state["classes"] = np.asarray(classes, dtype=str)
    write_results(
        target,
        key_added=key_added,
        params={**params, "groupby": groupby, "layer": layer},
        obsm={f"X_{key_added}": est.variates_["X"], f"X_{key_added}_Y": est.variates_["Y"]},
        varm={f"{key_added}_loadings": est.loadings_["X"], f"{key_added}_loadings_star": est.loadings_star_["X"],
              f"{key_added}_vip": est.vip()},
        uns={
            "explained_variance": _ev(est),
            "classes": np.asarray(classes, dtype=str),
            "loadings_Y": _frame(est.loadings_["Y"], classes, H),
            "centroids": _frame(est.centroids_, classes, H),
            "n_iter": np.asarray(est.n_iter_),
            "keepX": np.asarray(est.keepX_),
            "selected": _selected(adata.var_names, est.loadings_["X"]),
            "nzv": np.asarray(adata.var_names[est.nzv_], dtype=str),
            "model": state,
        },
    )
    return finish(target, copy=copy)


def plsda(
    adata: AnnData,
    *,
    groupby: str,
    n_components: int = 2,
    scale: bool = True,
    tol: float = 1e-6,
    max_iter: int = 100,
    near_zero_var: bool = False,
    layer: str | None = None,
    key_added: str = "plsda",
    copy: bool = False,
) -> AnnData | None:
    """PLS-DA (``mixOmics::plsda``) of the features against the classes of ``obs[groupby]``.

    Parameters
    ----------
    adata
        Samples × features (NaN = missing).
    groupby
        ``.obs`` column with the classes (a categorical keeps its level order, which orders the dummy columns).
    n_components
        Number of components.
    scale, tol, max_iter, near_zero_var
        As :class:`pyomics_bridge.multiomics.PLSDA`.
    layer
        Use this layer instead of ``.X``.
    key_added
        Name of the outputs.
    copy
        Return a modified copy instead of writing into ``adata``.

    Returns
    -------
    ``None`` (or the copy); sets ``obsm["X_<key>"]`` (X variates), ``obsm["X_<key>_Y"]`` (Y variates),
    ``varm["<key>_loadings"]``, ``varm["<key>_loadings_star"]``, ``varm["<key>_vip"]``, and ``uns[key]`` with
    ``explained_variance`` (``{"X", "Y"}``), ``classes``, ``loadings_Y``, ``centroids``, ``n_iter``, ``keepX``,
    ``selected``, ``nzv``, ``model`` (arrays used by :func:`plsda_predict`), ``params``, ``versions``.
    """
    est = _mo.PLSDA(n_components, scale=scale, tol=tol, max_iter=max_iter, near_zero_var=near_zero_var)
    params = {"n_components": n_components, "scale": scale, "tol": tol, "max_iter": max_iter,
              "near_zero_var": near_zero_var, "method": "plsda"}
    return _da_common(adata, est, groupby=groupby, layer=layer, key_added=key_added, copy=copy, params=params)


def splsda(
    adata: AnnData,
    *,
    groupby: str,
    n_components: int = 2,
    keepX: int | Sequence[int] | None = None,
    scale: bool = True,
    tol: float = 1e-6,
    max_iter: int = 100,
    near_zero_var: bool = False,
    layer: str | None = None,
    key_added: str = "splsda",
    copy: bool = False,
) -> AnnData | None:
    """Sparse PLS-DA (``mixOmics::splsda``): ``keepX[h]`` features selected on component h.

    Parameters
    ----------
    adata
        Samples × features (NaN = missing).
    groupby
        ``.obs`` column with the classes.
    n_components
        Number of components.
    keepX
        Features kept per component (list or integer; default all).
    scale, tol, max_iter, near_zero_var
        As :class:`pyomics_bridge.multiomics.SPLSDA`.
    layer
        Use this layer instead of ``.X``.
    key_added
        Name of the outputs.
    copy
        Return a modified copy instead of writing into ``adata``.

    Returns
    -------
    ``None`` (or the copy); the slots of :func:`plsda` (loadings and VIP have zero rows for unselected features).
    """
    est = _mo.SPLSDA(n_components, keepX=keepX, scale=scale, tol=tol, max_iter=max_iter,
                     near_zero_var=near_zero_var)
    params = {"n_components": n_components, "keepX": keepX, "scale": scale, "tol": tol, "max_iter": max_iter,
              "near_zero_var": near_zero_var, "method": "splsda"}
    return _da_common(adata, est, groupby=groupby, layer=layer, key_added=key_added, copy=copy, params=params)


def plsda_predict(
    adata: AnnData,
    *,
    reference: AnnData,
    key: str = "splsda",
    dist: str = "max.dist",
    n_components: int | None = None,
    layer: str | None = None,
    key_added: str | None = None,
    copy: bool = False,
) -> AnnData | None:
    """Classify new samples with a (s)PLS-DA model fitted by :func:`plsda`/:func:`splsda` on ``reference``.

    The new samples are scaled with the training statistics (features matched by name, in any order); classes
    follow mixOmics' ``predict`` rules (``max.dist``, ``centroids.dist``, ``mahalanobis.dist``; ties "A/B").

    Parameters
    ----------
    adata
        New samples × the training features.
    reference
        The AnnData the model was fitted on (its ``uns[key]`` and ``varm["<key>_loadings"]`` are read).
    key
        ``key_added`` of the fit.
    dist
        Distance used for ``obs[key_added]``.
    n_components
        Number of components used (default all).
    layer
        Use this layer of ``adata`` instead of ``.X``.
    key_added
        Name of the outputs (default ``"<key>_predict"``).
    copy
        Return a modified copy instead of writing into ``adata``.

    Returns
    -------
    ``None`` (or the copy); sets ``obs[key_added]`` (predicted class, categorical), ``obsm["X_<key_added>"]``
    (predicted variates) and ``uns[key_added]`` with ``scores`` (predicted dummy Ŷ, samples × classes),
    ``classes`` (all three distances, samples × components), ``params``, ``versions``.
    """
    check_data(adata)
    check_data(reference, name="reference")
    key_added = key_added or f"{key}_predict"
    if key not in reference.uns or "model" not in reference.uns[key]:
        raise ValidationError(f"reference.uns has no fitted (s)PLS-DA model under {key!r} (run pob.tl.splsda first)")
    rec = reference.uns[key]
    missing = reference.var_names.difference(adata.var_names)
    if len(missing):
        raise ValidationError(f"adata lacks {len(missing)} feature(s) of the model, e.g. {missing[:5].tolist()}")
    if dist not in _mo.DISTANCES:
        raise ValidationError(f"dist must be one of {list(_mo.DISTANCES)}, got {dist!r}")
    X = get_matrix(adata, layer=layer, allow_nan=True)
    X = X[:, adata.var_names.get_indexer(reference.var_names)]
    est = _mo.PLSDA._from_state(dict(rec["model"]))
    H = est.n_components_
    h = H if n_components is None else n_components
    if not isinstance(h, (int, np.integer)) or not 1 <= h <= H:
        raise ValidationError(f"n_components must be between 1 and {H}, got {n_components!r}")
    pred = est.predict_all(X)
    classes = np.asarray(est.classes_, dtype=str)
    labels = pred.classes[dist][:, h - 1]
    cats = list(classes) + sorted({str(v) for v in labels} - set(classes))
    target = working_object(adata, copy=copy)
    write_results(
        target,
        key_added=key_added,
        params={"key": key, "dist": dist, "n_components": h, "layer": layer},
        obs={key_added: pd.Categorical(labels.astype(str), categories=cats)},
        obsm={f"X_{key_added}": pred.variates},
        uns={
            "scores": pd.DataFrame(pred.predict[h - 1], index=adata.obs_names.astype(str), columns=classes),
            "classes": {d: pd.DataFrame(pred.classes[d].astype(str), index=adata.obs_names.astype(str),
                                        columns=_comp_names(H)) for d in _mo.DISTANCES},
        },
    )
    return finish(target, copy=copy)


# --------------------------------------------------------------------------- rCCA (MuData)
def rcc(
    mdata,
    *,
    x_mod: str,
    y_mod: str,
    n_components: int = 2,
    method: str = "ridge",
    lambda1: float = 0.0,
    lambda2: float = 0.0,
    x_layer: str | None = None,
    y_layer: str | None = None,
    key_added: str = "rcc",
    copy: bool = False,
):
    """Regularised CCA between two modalities (``mixOmics::rcc``), ridge or shrinkage.

    Parameters
    ----------
    mdata
        MuData; both modalities must hold the same samples in the same order.
    x_mod, y_mod
        Modalities used as X and Y.
    n_components
        Number of canonical pairs.
    method
        ``"ridge"`` (``lambda1``, ``lambda2``) or ``"shrinkage"`` (estimated penalties, no missing values).
    lambda1, lambda2
        Ridge penalties.
    x_layer, y_layer
        Layers to use instead of ``.X``.
    key_added
        Name of the outputs.
    copy
        Return a modified copy instead of writing into ``mdata``.

    Returns
    -------
    ``None`` (or the copy); sets ``mdata[x_mod].obsm["X_<key>"]``, ``mdata[y_mod].obsm["X_<key>"]``,
    ``varm["<key>_loadings"]`` in both modalities and ``mdata.uns[key]`` with ``cor`` (all canonical
    correlations), ``explained_variance``, ``lambda``, ``params``, ``versions``.
    """
    X, Y = _mudata_blocks(mdata, x_mod, y_mod, x_layer, y_layer, allow_nan_y=True)
    est = _mo.RCC(n_components, method=method, lambda1=lambda1, lambda2=lambda2).fit(X, Y)
    target = working_object(mdata, copy=copy)
    per_mod = {
        x_mod: {"obsm": {f"X_{key_added}": est.variates_["X"]}, "varm": {f"{key_added}_loadings": est.loadings_["X"]}},
        y_mod: {"obsm": {f"X_{key_added}": est.variates_["Y"]}, "varm": {f"{key_added}_loadings": est.loadings_["Y"]}},
    }
    params = {"n_components": n_components, "method": method, "lambda1": lambda1, "lambda2": lambda2,
              "x_mod": x_mod, "y_mod": y_mod, "x_layer": x_layer, "y_layer": y_layer}
    uns = {"cor": est.cor_, "explained_variance": _ev(est), "lambda": dict(est.lambda_)}
    _write_mudata(target, key_added=key_added, x_mod=x_mod, y_mod=y_mod, per_mod=per_mod, params=params, uns=uns)
    return finish(target, copy=copy)
