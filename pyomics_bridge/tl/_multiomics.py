"""AnnData/MuData drivers for the mixOmics methods of :mod:`pyomics_bridge.multiomics`.

Single-block methods (``pca_mixomics``, ``spca``, ``plsda``, ``splsda``) take an AnnData (samples = obs);
two-block methods (``pls``, ``spls``, ``rcc``) take a MuData and two modality names. Slots written (``key`` =
``key_added``):

* ``obsm["X_<key>"]``: X variates (n × H); DA models also ``obsm["X_<key>_Y"]`` (Y variates);
  MuData: ``mdata[x_mod].obsm["X_<key>"]`` and ``mdata[y_mod].obsm["X_<key>"]``;
* ``varm["<key>_loadings"]`` (zero rows for unselected features), ``varm["<key>_loadings_star"]`` (PLS family);
* ``uns[key]`` (``mdata.uns`` for MuData): ``params`` (with ``backend``), ``versions``, ``explained_variance`` per
  block, ``n_iter``, ``keepX``/``keepY``, ``selected`` features per component, and method-specific entries.

``backend="r"`` runs the same call on the installed mixOmics through rpy2 (:func:`fit_with_backend`) and writes
the same slots, with R's numbers; ``versions`` then also holds R, rpy2 and mixOmics. An R fit cannot give the
Python model state (``uns[key]["model"]``, needed by :func:`plsda_predict`) nor VIP (``varm["<key>_vip"]``), nor
fields the installed mixOmics does not return: those are not written, and ``uns[key]["r_backend_skipped"]`` lists
them.
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
from ..multiomics._preprocess import has_nan
from ..multiomics._sparse import check_keep
from ..multiomics._validate import as_block_lean
from ._mixomics_backend import check_backend, fit_with_backend, is_r_fit, record_r_versions

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


def _attr(fit, name: str, default=None):
    """A fitted attribute, or ``default`` when the fit (an R fit) does not have it."""
    value = getattr(fit, name, None)
    return default if value is None else value


def _lean_matrix(adata, *, layer: str | None, name: str = "adata"):
    """``.X`` or a layer for the large-block estimators, validated but kept as it is: float32 stays float32 and
    scipy.sparse stays sparse (``get_matrix`` would make a dense float64 copy); NaN only in dense matrices."""
    if layer is not None:
        if layer not in adata.layers:
            raise ValidationError(f"layer={layer!r} not in {name}.layers (available: {list(adata.layers)})")
        mat, where = adata.layers[layer], f"{name}.layers[{layer!r}]"
    else:
        mat, where = adata.X, f"{name}.X"
    if mat is None:
        raise ValidationError(f"{where} is empty (None)")
    return as_block_lean(mat, name=where, min_samples=1)[0]


def _r_input(X, names, index):
    """The matrix handed to the R backend: a DataFrame, so that R's outputs come back named and re-indexable."""
    from scipy import sparse

    if sparse.issparse(X):
        X = X.toarray()  # R needs a dense matrix
    return pd.DataFrame(X, index=pd.Index([str(i) for i in index]), columns=pd.Index([str(c) for c in names]))


def _fit(name: str, backend: str, X, Y, x_names, x_index, *, y_names=None, **params):
    """Fit ``name`` with ``backend`` (R gets named DataFrames; Python the arrays as before)."""
    if backend == "r":
        X = _r_input(X, x_names, x_index)
        if Y is not None and y_names is not None:
            Y = _r_input(Y, y_names, x_index)
    return fit_with_backend(name, backend, X, Y, **params)


def _skipped(fit, wanted: dict) -> dict:
    """``{"r_backend_skipped": [...]}`` for an R fit (the outputs in ``wanted`` that are ``None``), else ``{}``."""
    if not is_r_fit(fit):
        return {}
    return {"r_backend_skipped": np.asarray(sorted(k for k, v in wanted.items() if v is None), dtype=str)}


def _mudata_blocks(mdata, x_mod: str, y_mod: str, x_layer: str | None, y_layer: str | None, *, allow_nan_y: bool,
                   lean_x: bool = False):
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
    if lean_x:  # (s)PLS: float32 / sparse X kept as it is (see _lean_matrix)
        X = _lean_matrix(ax, layer=x_layer, name=f"mdata[{x_mod!r}]")
    else:
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
    backend: str = "python",
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
    backend
        ``"python"`` (default) or ``"r"`` (``mixOmics::pca`` through rpy2; same slots).
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
    check_backend(backend)
    X = get_matrix(adata, layer=layer, allow_nan=True)
    est = _fit("pca_mixomics", backend, X, None, adata.var_names, adata.obs_names, n_components=n_components,
               center=center, scale=scale, max_iter=max_iter, tol=tol)
    ev = _ev(est)
    extra = {"sdev": _attr(est, "sdev_"), "cum_var": _attr(est, "cum_var_"), "var_tot": _attr(est, "var_tot_")}
    if extra["cum_var"] is None and "X" in ev:
        extra["cum_var"] = np.cumsum(ev["X"])
    target = working_object(adata, copy=copy)
    write_results(
        target,
        key_added=key_added,
        params={"n_components": n_components, "center": center, "scale": scale, "max_iter": max_iter, "tol": tol,
                "layer": layer, "method": "nipals" if has_nan(X) else "svd", "backend": backend},
        obsm={f"X_{key_added}": est.variates_["X"]},
        varm={f"{key_added}_loadings": est.loadings_["X"]},
        uns={"explained_variance": ev, "n_iter": np.asarray(_attr(est, "n_iter_", []), dtype=int),
             **{k: v for k, v in extra.items() if v is not None}, **_skipped(est, extra)},
    )
    record_r_versions(target, key_added, est)
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
    backend: str = "python",
    key_added: str = "spca",
    copy: bool = False,
) -> AnnData | None:
    """Sparse PCA (``mixOmics::spca``): ``keepX[h]`` features with non-zero loadings on component h.

    Parameters
    ----------
    adata
        Samples × features (dense, float32 kept as float32, or scipy.sparse: never densified; NaN needs dense).
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
    backend
        ``"python"`` (default) or ``"r"`` (``mixOmics::spca`` through rpy2; same slots).
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
    check_backend(backend)
    X = _lean_matrix(adata, layer=layer)
    est = _fit("spca", backend, X, None, adata.var_names, adata.obs_names, n_components=n_components, keepX=keepX,
               center=center, scale=scale, max_iter=max_iter, tol=tol)
    keep = _attr(est, "keepX_")
    if keep is None:  # R fit without the field: the validated request
        keep = check_keep(keepX, est.n_components_, X.shape[1], name="keepX")
    cum = _attr(est, "cum_var_")
    target = working_object(adata, copy=copy)
    write_results(
        target,
        key_added=key_added,
        params={"n_components": n_components, "keepX": keep, "center": center, "scale": scale,
                "max_iter": max_iter, "tol": tol, "layer": layer, "backend": backend},
        obsm={f"X_{key_added}": est.variates_["X"]},
        varm={f"{key_added}_loadings": est.loadings_["X"]},
        uns={"explained_variance": _ev(est), **({} if cum is None else {"cum_var": cum}),
             "keepX": np.asarray(keep), "n_iter": np.asarray(_attr(est, "n_iter_", []), dtype=int),
             "selected": _selected(adata.var_names, est.loadings_["X"]), **_skipped(est, {"cum_var": cum})},
    )
    record_r_versions(target, key_added, est)
    return finish(target, copy=copy)


# --------------------------------------------------------------------------- PLS / sPLS (MuData)
def _pls_common(mdata, name, *, backend, x_mod, y_mod, x_layer, y_layer, key_added, copy, params):
    check_backend(backend)
    X, Y = _mudata_blocks(mdata, x_mod, y_mod, x_layer, y_layer, allow_nan_y=False, lean_x=True)
    ax, ay = mdata[x_mod], mdata[y_mod]
    est = _fit(name, backend, X, Y, ax.var_names, ax.obs_names, y_names=ay.var_names, **params)
    target = working_object(mdata, copy=copy)
    H = est.n_components_
    star = _attr(est, "loadings_star_", {})
    per_mod = {}
    for mod, b in ((x_mod, "X"), (y_mod, "Y")):
        varm = {f"{key_added}_loadings": est.loadings_[b]}
        if b in star:
            varm[f"{key_added}_loadings_star"] = star[b]
        per_mod[mod] = {"obsm": {f"X_{key_added}": est.variates_[b]}, "varm": varm}
    keep_x = _attr(est, "keepX_", check_keep(params.get("keepX"), H, X.shape[1], name="keepX"))
    keep_y = _attr(est, "keepY_", check_keep(params.get("keepY"), H, Y.shape[1], name="keepY"))
    mat_c = _attr(est, "mat_c_")
    optional = {"mat_c": None if mat_c is None else _frame(mat_c, ax.var_names, H),
                "loadings_star": star.get("X")}
    uns = {
        "explained_variance": _ev(est),
        "n_iter": np.asarray(_attr(est, "n_iter_", []), dtype=int),
        "keepX": np.asarray(keep_x),
        "keepY": np.asarray(keep_y),
        "selected": {"X": _selected(ax.var_names, est.loadings_["X"]),
                     "Y": _selected(ay.var_names, est.loadings_["Y"])},
        "nzv": np.asarray(ax.var_names[np.asarray(_attr(est, "nzv_", []), dtype=np.intp)], dtype=str),
        **({} if optional["mat_c"] is None else {"mat_c": optional["mat_c"]}),
        **_skipped(est, optional),
    }
    params = {**params, "x_mod": x_mod, "y_mod": y_mod, "x_layer": x_layer, "y_layer": y_layer, "backend": backend}
    _write_mudata(target, key_added=key_added, x_mod=x_mod, y_mod=y_mod, per_mod=per_mod, params=params, uns=uns)
    record_r_versions(target, key_added, est)
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
    backend: str = "python",
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
    backend
        ``"python"`` (default) or ``"r"`` (mixOmics through rpy2; same slots).
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
    params = {"n_components": n_components, "mode": mode, "scale": scale, "tol": tol, "max_iter": max_iter,
              "near_zero_var": near_zero_var}
    return _pls_common(mdata, "pls", backend=backend, x_mod=x_mod, y_mod=y_mod, x_layer=x_layer, y_layer=y_layer,
                       key_added=key_added, copy=copy, params=params)


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
    backend: str = "python",
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
    backend
        ``"python"`` (default) or ``"r"`` (mixOmics through rpy2; same slots).
    key_added
        Name of the outputs.
    copy
        Return a modified copy instead of writing into ``mdata``.

    Returns
    -------
    ``None`` (or the copy); the slots of :func:`pls` (loadings have zero rows for unselected features).
    """
    params = {"n_components": n_components, "keepX": keepX, "keepY": keepY, "mode": mode, "scale": scale,
              "tol": tol, "max_iter": max_iter, "near_zero_var": near_zero_var}
    return _pls_common(mdata, "spls", backend=backend, x_mod=x_mod, y_mod=y_mod, x_layer=x_layer, y_layer=y_layer,
                       key_added=key_added, copy=copy, params=params)


# --------------------------------------------------------------------------- PLS-DA / sPLS-DA (AnnData)
def _da_common(adata, name, *, backend, groupby, layer, key_added, copy, params):
    check_data(adata)
    check_backend(backend)
    X = _lean_matrix(adata, layer=layer)
    y = get_obs_vector(adata, groupby, kind="categorical")
    if backend == "r":
        y = pd.Series(y, index=pd.Index([str(i) for i in adata.obs_names]))
    est = _fit(name, backend, X, y, adata.var_names, adata.obs_names, **params)
    r_fit = is_r_fit(est)
    target = working_object(adata, copy=copy)
    H = est.n_components_
    classes = [str(c) for c in est.classes_]
    state = None
    if not r_fit:
        state = est._get_state()
        state["classes"] = np.asarray(classes, dtype=str)
    star = _attr(est, "loadings_star_", {}).get("X")
    vip = None if r_fit else est.vip()
    varm = {f"{key_added}_loadings": est.loadings_["X"]}
    if star is not None:
        varm[f"{key_added}_loadings_star"] = star
    if vip is not None:
        varm[f"{key_added}_vip"] = vip
    keep = _attr(est, "keepX_", check_keep(params.get("keepX"), H, X.shape[1], name="keepX"))
    write_results(
        target,
        key_added=key_added,
        params={**params, "method": name, "groupby": groupby, "layer": layer, "backend": backend},
        obsm={f"X_{key_added}": est.variates_["X"], f"X_{key_added}_Y": est.variates_["Y"]},
        varm=varm,
        uns={
            "explained_variance": _ev(est),
            "classes": np.asarray(classes, dtype=str),
            "loadings_Y": _frame(est.loadings_["Y"], classes, H),
            "centroids": _frame(est.centroids_, classes, H),
            "n_iter": np.asarray(_attr(est, "n_iter_", []), dtype=int),
            "keepX": np.asarray(keep),
            "selected": _selected(adata.var_names, est.loadings_["X"]),
            "nzv": np.asarray(adata.var_names[np.asarray(_attr(est, "nzv_", []), dtype=np.intp)], dtype=str),
            **({} if state is None else {"model": state}),
            **_skipped(est, {"model": state, "vip": vip, "loadings_star": star}),
        },
    )
    record_r_versions(target, key_added, est)
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
    backend: str = "python",
    key_added: str = "plsda",
    copy: bool = False,
) -> AnnData | None:
    """PLS-DA (``mixOmics::plsda``) of the features against the classes of ``obs[groupby]``.

    Parameters
    ----------
    adata
        Samples × features (NaN = missing, dense only; float32 and scipy.sparse are kept as they are).
    groupby
        ``.obs`` column with the classes (a categorical keeps its level order, which orders the dummy columns).
    n_components
        Number of components.
    scale, tol, max_iter, near_zero_var
        As :class:`pyomics_bridge.multiomics.PLSDA`.
    layer
        Use this layer instead of ``.X``.
    backend
        ``"python"`` (default) or ``"r"`` (``mixOmics::plsda`` through rpy2): the same slots except ``varm``
        ``"<key>_vip"`` and ``uns[key]["model"]``, which need the Python model (so :func:`plsda_predict` needs a
        Python fit); ``uns[key]["r_backend_skipped"]`` lists what was not written.
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
    params = {"n_components": n_components, "scale": scale, "tol": tol, "max_iter": max_iter,
              "near_zero_var": near_zero_var}
    return _da_common(adata, "plsda", backend=backend, groupby=groupby, layer=layer, key_added=key_added, copy=copy,
                      params=params)


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
    backend: str = "python",
    key_added: str = "splsda",
    copy: bool = False,
) -> AnnData | None:
    """Sparse PLS-DA (``mixOmics::splsda``): ``keepX[h]`` features selected on component h.

    Parameters
    ----------
    adata
        Samples × features (NaN = missing, dense only; float32 and scipy.sparse are kept as they are).
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
    backend
        ``"python"`` (default) or ``"r"`` (``mixOmics::splsda``; as in :func:`plsda`, no VIP and no model state).
    key_added
        Name of the outputs.
    copy
        Return a modified copy instead of writing into ``adata``.

    Returns
    -------
    ``None`` (or the copy); the slots of :func:`plsda` (loadings and VIP have zero rows for unselected features).
    """
    params = {"n_components": n_components, "keepX": keepX, "scale": scale, "tol": tol, "max_iter": max_iter,
              "near_zero_var": near_zero_var}
    return _da_common(adata, "splsda", backend=backend, groupby=groupby, layer=layer, key_added=key_added,
                      copy=copy, params=params)


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
    rec = reference.uns.get(key)
    if rec is None or "model" not in rec:
        if rec is not None and str(dict(rec.get("params", {})).get("backend", "python")) == "r":
            raise ValidationError(f"reference.uns[{key!r}] was fitted with backend='r', which gives no Python model "
                                  f"to predict with; refit with backend='python'")
        raise ValidationError(f"reference.uns has no fitted (s)PLS-DA model under {key!r} (run pob.tl.splsda first)")
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
    backend: str = "python",
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
    backend
        ``"python"`` (default) or ``"r"`` (mixOmics through rpy2; same slots).
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
    check_backend(backend)
    X, Y = _mudata_blocks(mdata, x_mod, y_mod, x_layer, y_layer, allow_nan_y=True)
    est = _fit("rcc", backend, X, Y, mdata[x_mod].var_names, mdata[x_mod].obs_names,
               y_names=mdata[y_mod].var_names, n_components=n_components, method=method, lambda1=lambda1,
               lambda2=lambda2)
    target = working_object(mdata, copy=copy)
    per_mod = {
        x_mod: {"obsm": {f"X_{key_added}": est.variates_["X"]}, "varm": {f"{key_added}_loadings": est.loadings_["X"]}},
        y_mod: {"obsm": {f"X_{key_added}": est.variates_["Y"]}, "varm": {f"{key_added}_loadings": est.loadings_["Y"]}},
    }
    params = {"n_components": n_components, "method": method, "lambda1": lambda1, "lambda2": lambda2,
              "x_mod": x_mod, "y_mod": y_mod, "x_layer": x_layer, "y_layer": y_layer, "backend": backend}
    optional = {"cor": _attr(est, "cor_"), "lambda": _attr(est, "lambda_")}
    uns = {"explained_variance": _ev(est), **{k: (dict(v) if k == "lambda" else v) for k, v in optional.items()
                                              if v is not None}, **_skipped(est, optional)}
    _write_mudata(target, key_added=key_added, x_mod=x_mod, y_mod=y_mod, per_mod=per_mod, params=params, uns=uns)
    record_r_versions(target, key_added, est)
    return finish(target, copy=copy)
