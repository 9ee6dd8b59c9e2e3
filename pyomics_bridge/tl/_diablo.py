"""MuData drivers for block PLS and DIABLO (:mod:`pyomics_bridge.multiomics` ``BlockSPLS`` / ``BlockSPLSDA``).

One modality = one block. Slots written (``key`` = ``key_added``):

* per modality: ``mdata[mod].obsm["X_<key>"]`` (the block's variates, n × H) and
  ``mdata[mod].varm["<key>_loadings"]`` (zero rows for unselected features);
* joint: ``mdata.uns[key]`` with ``params``, ``versions``, ``design``, ``weights``, ``explained_variance`` (per
  block and ``"Y"``), ``ave``, ``crit``, ``n_iter``, ``keepX``, ``selected``, ``nzv``, ``model`` (the arrays that
  :func:`diablo_predict` needs; they survive .h5mu); :func:`diablo` also writes ``mdata.obsm["X_<key>_Y"]``
  (Y variates), ``classes``, ``loadings_Y``, ``centroids``.

``backend="r"`` runs ``mixOmics::block.spls`` / ``block.(s)plsda`` through rpy2 and writes the same slots with R's
numbers, except what an R fit cannot give: the Python model state (``uns[key]["model"]``, so
:func:`diablo_predict` needs a Python fit), the start signs (``init_signs``) and fields the installed mixOmics does
not return; ``uns[key]["r_backend_skipped"]`` lists them and ``versions`` adds R, rpy2 and mixOmics.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .._conventions import (
    ValidationError,
    check_aligned,
    check_data,
    finish,
    get_matrix,
    working_object,
    write_mudata_results,
)
from ..multiomics._block import BlockSPLSDA
from ..multiomics._plsda import DISTANCES
from ._mixomics_backend import check_backend, fit_with_backend, is_r_fit, record_r_versions

__all__ = ["block_spls", "diablo", "diablo_predict"]

SCHEMES = ("WeightedVote", "MajorityVote", "AveragedPredict", "WeightedPredict")


def _comps(H: int) -> list[str]:
    return [f"comp{h + 1}" for h in range(H)]


def _modalities(mdata, mods, *, exclude: Sequence[str] = (), arg: str = "mods") -> list[str]:
    check_data(mdata, name="mdata", mudata_ok=True)
    available = list(getattr(mdata, "mod", {}))
    if not available:
        raise TypeError("mdata must be a MuData with modalities (one per block)")
    if mods is None:
        mods = [m for m in available if m not in exclude]
    else:
        mods = [mods] if isinstance(mods, str) else list(mods)
        unknown = [m for m in mods if m not in available]
        if unknown:
            raise ValidationError(f"{arg} names unknown modalities {unknown}; available: {available}")
        clash = [m for m in mods if m in exclude]
        if clash:
            raise ValidationError(f"{arg} must not contain the response modality {clash}")
        if len(set(mods)) != len(mods):
            raise ValidationError(f"{arg} contains duplicates: {mods}")
    if not mods:
        raise ValidationError(f"no modality left to use as a block ({arg}={mods!r})")
    return mods


def _layers(layers, mods) -> dict[str, str | None]:
    if layers is None:
        return dict.fromkeys(mods)
    if not isinstance(layers, Mapping):
        raise ValidationError(f"layers must be a dict {{modality: layer name}}, got {type(layers).__name__}")
    unknown = [m for m in layers if m not in mods]
    if unknown:
        raise ValidationError(f"layers names modalities that are not used: {unknown}; used: {mods}")
    return {m: layers.get(m) for m in mods}


def _blocks(mdata, mods, layers) -> tuple[dict[str, pd.DataFrame], pd.Index]:
    first = mdata[mods[0]].obs_names
    for m in mods[1:]:
        check_aligned(first, mdata[m].obs_names, what_a=f"mdata[{mods[0]!r}] samples", what_b=f"mdata[{m!r}] samples")
    out = {}
    for m in mods:
        ad = mdata[m]
        X = get_matrix(ad, layer=layers[m], allow_nan=True, name=f"mdata[{m!r}]")
        out[m] = pd.DataFrame(X, index=ad.obs_names.astype(str), columns=ad.var_names.astype(str))
    return out, first


def _selected(names: pd.Index, loadings: np.ndarray) -> dict[str, np.ndarray]:
    return {f"comp{h + 1}": np.asarray(names[np.flatnonzero(loadings[:, h])], dtype=str)
            for h in range(loadings.shape[1])}


def _obsm_global(mdata, samples: pd.Index, values: np.ndarray) -> np.ndarray:
    """Rows of ``values`` (indexed by ``samples``) placed on ``mdata.obs_names`` (NaN for other samples)."""
    frame = pd.DataFrame(values, index=samples)
    return frame.reindex(mdata.obs_names).to_numpy(dtype=np.float64)


def _common_uns(est, mdata, mods) -> dict:
    """The joint ``uns`` entries of a Python fit, or of an R fit (fields R does not give are left out and listed in
    ``r_backend_skipped``)."""
    H = est.n_components_
    r_fit = is_r_fit(est)

    def get(name):
        return getattr(est, name, None)

    ave = get("ave_")
    crit = get("crit_")
    keep = get("keepX_") or {}
    nzv = get("nzv_") or {}
    optional = {
        "design": None if get("design_") is None else get("design_").copy(),
        "weights": None if get("weights_") is None else get("weights_").copy(),
        "ave": None if not ave else {"X": {b: np.asarray(v, float) for b, v in ave.get("X", {}).items()},
                                     **{k: np.asarray(ave[k]) for k in ("outer", "inner") if k in ave}},
        "crit": None if crit is None else {c: np.asarray(v) for c, v in zip(_comps(H), crit, strict=False)},
        "init_signs": None if get("init_signs_") is None else np.asarray(get("init_signs_")),
        "model": None if r_fit else est._get_state(),
    }
    out = {
        "blocks": np.asarray(mods, dtype=str),
        "explained_variance": {b: np.asarray(v, float) for b, v in est.explained_variance_.items()},
        "n_iter": np.asarray(get("n_iter_") or [], dtype=int),
        "keepX": {m: np.asarray(keep[m] if m in keep else [mdata[m].n_vars] * H) for m in mods},
        "selected": {m: _selected(mdata[m].var_names, est.loadings_[m]) for m in mods},
        "nzv": {m: np.asarray(mdata[m].var_names[np.asarray(nzv.get(m, []), dtype=np.intp)], dtype=str)
                for m in mods},
        **{k: v for k, v in optional.items() if v is not None},
    }
    if r_fit:
        out["r_backend_skipped"] = np.asarray(sorted(k for k, v in optional.items() if v is None), dtype=str)
    return out


def _fit_blocks(name: str, backend: str, X: dict, Y, **params):
    """Fit ``name`` with ``backend`` (the blocks are named DataFrames, so R's outputs come back re-indexable; an
    ``init_signs`` other than ``"search"`` has no mixOmics equivalent and is refused for ``backend="r"``)."""
    return fit_with_backend(name, backend, X, Y, **params)


def _write(target, *, key_added, per_mod, params, uns, mdata_obsm=None, mdata_obs=None) -> None:
    write_mudata_results(target, key_added=key_added, params=params, per_mod=per_mod, obs=mdata_obs,
                         obsm=mdata_obsm, uns=uns)


# --------------------------------------------------------------------------- block sPLS
def block_spls(
    mdata,
    *,
    y_mod: str,
    mods: Sequence[str] | None = None,
    n_components: int = 2,
    keepX: Mapping[str, int | Sequence[int]] | None = None,
    keepY: int | Sequence[int] | None = None,
    design="full",
    mode: str = "regression",
    scale: bool = True,
    tol: float = 1e-6,
    max_iter: int = 100,
    near_zero_var: bool = False,
    init_signs: str = "search",
    layers: Mapping[str, str] | None = None,
    backend: str = "python",
    key_added: str = "block_spls",
    copy: bool = False,
):
    """Multi-block (sparse) PLS of several modalities against a response modality (``mixOmics::block.spls``).

    Parameters
    ----------
    mdata
        MuData; the used modalities must hold the same samples in the same order.
    y_mod
        Modality used as the response Y (complete, no NaN).
    mods
        Modalities used as X blocks (default every modality except ``y_mod``).
    n_components
        Number of components.
    keepX
        ``{modality: features kept per component}`` (default all); ``keepY`` the same for Y.
    keepY
        Y features kept per component (default all).
    design
        ``"full"``, ``"null"``, a number in [0, 1], or a matrix over ``mods`` (Y is always linked to every block).
    mode, scale, tol, max_iter, near_zero_var, init_signs
        As :class:`pyomics_bridge.multiomics.BlockSPLS`.
    layers
        ``{modality: layer}`` to use instead of ``.X``.
    backend
        ``"python"`` (default) or ``"r"`` (``mixOmics::block.spls`` through rpy2; the same slots except the model
        state and ``init_signs``, see the module doc).
    key_added
        Name of the outputs.
    copy
        Return a modified copy instead of writing into ``mdata``.

    Returns
    -------
    ``None`` (or the copy); sets ``obsm["X_<key>"]`` and ``varm["<key>_loadings"]`` in every used modality
    (``y_mod`` included) and ``mdata.uns[key]`` with ``design``, ``weights``, ``explained_variance``, ``ave``,
    ``crit``, ``n_iter``, ``init_signs``, ``keepX``, ``keepY``, ``selected``, ``nzv``, ``model``, ``params``,
    ``versions``.
    """
    check_data(mdata, name="mdata", mudata_ok=True)
    check_backend(backend)
    if y_mod not in getattr(mdata, "mod", {}):
        raise ValidationError(f"y_mod={y_mod!r} is not a modality of mdata (available: {list(mdata.mod)})")
    mods = _modalities(mdata, mods, exclude=(y_mod,))
    lay = _layers(layers, mods + [y_mod])
    X, samples = _blocks(mdata, mods + [y_mod], lay)
    Y = X.pop(y_mod)
    if np.isnan(Y.to_numpy()).any():
        raise ValidationError(f"mdata[{y_mod!r}] contains {int(np.isnan(Y.to_numpy()).sum())} NaN value(s); Y must be "
                              f"complete")
    est = _fit_blocks("block_spls", backend, X, Y, n_components=n_components, keepX=keepX, keepY=keepY,
                      design=design, mode=mode, scale=scale, tol=tol, max_iter=max_iter, near_zero_var=near_zero_var,
                      init_signs=init_signs)
    target = working_object(mdata, copy=copy)
    per_mod = {m: {"obsm": {f"X_{key_added}": est.variates_[m]}, "varm": {f"{key_added}_loadings": est.loadings_[m]}}
               for m in mods}
    per_mod[y_mod] = {"obsm": {f"X_{key_added}": est.variates_["Y"]},
                      "varm": {f"{key_added}_loadings": est.loadings_["Y"]}}
    uns = _common_uns(est, mdata, mods)
    uns["y_mod"] = y_mod
    keep_y = getattr(est, "keepY_", None)
    uns["keepY"] = np.asarray(keep_y if keep_y is not None else [mdata[y_mod].n_vars] * est.n_components_)
    uns["selected"][y_mod] = _selected(mdata[y_mod].var_names, est.loadings_["Y"])
    params = {"mods": mods, "y_mod": y_mod, "n_components": n_components, "keepX": keepX, "keepY": keepY,
              "design": design if not isinstance(design, (pd.DataFrame, np.ndarray)) else "matrix",
              "mode": mode, "scale": scale, "tol": tol, "max_iter": max_iter, "near_zero_var": near_zero_var,
              "init_signs": init_signs if isinstance(init_signs, str) else "array", "layers": layers,
              "backend": backend}
    _write(target, key_added=key_added, per_mod=per_mod, params=params, uns=uns)
    record_r_versions(target, key_added, est)
    return finish(target, copy=copy)


# --------------------------------------------------------------------------- DIABLO
def diablo(
    mdata,
    *,
    groupby: str,
    mods: Sequence[str] | None = None,
    n_components: int = 2,
    keepX: Mapping[str, int | Sequence[int]] | None = None,
    design="full",
    scale: bool = True,
    tol: float = 1e-6,
    max_iter: int = 100,
    near_zero_var: bool = False,
    init_signs: str = "search",
    layers: Mapping[str, str] | None = None,
    backend: str = "python",
    key_added: str = "diablo",
    copy: bool = False,
):
    """DIABLO (``mixOmics::block.splsda``; ``block.plsda`` without ``keepX``): multi-omics discriminant analysis.

    Parameters
    ----------
    mdata
        MuData; the used modalities must hold the same samples in the same order.
    groupby
        Column of ``mdata.obs`` with the classes (a categorical keeps its level order, which orders the dummy
        columns and every class-indexed output).
    mods
        Modalities used as blocks (default all).
    n_components
        Number of components.
    keepX
        ``{modality: features kept per component}`` (default all features: ``block.plsda``).
    design
        ``"full"`` (default, as mixOmics), ``"null"``, a number in [0, 1] (tutorials use ~0.1), or a matrix over
        ``mods``; the class block is always linked to every block.
    scale, tol, max_iter, near_zero_var, init_signs
        As :class:`pyomics_bridge.multiomics.BlockSPLSDA`.
    layers
        ``{modality: layer}`` to use instead of ``.X``.
    backend
        ``"python"`` (default) or ``"r"`` (``mixOmics::block.splsda`` / ``block.plsda`` through rpy2; the same slots
        except the model state, so :func:`diablo_predict` needs a Python fit, and ``init_signs``).
    key_added
        Name of the outputs.
    copy
        Return a modified copy instead of writing into ``mdata``.

    Returns
    -------
    ``None`` (or the copy); sets ``mdata[mod].obsm["X_<key>"]``, ``mdata[mod].varm["<key>_loadings"]``,
    ``mdata.obsm["X_<key>_Y"]`` (Y variates; NaN for samples outside the blocks) and ``mdata.uns[key]`` with
    ``classes``, ``design``, ``weights`` (DIABLO block weights, cor(t_block, t_Y)), ``explained_variance``
    (per block and ``"Y"``), ``ave``, ``crit``, ``n_iter``, ``init_signs``, ``keepX``, ``selected``, ``nzv``,
    ``loadings_Y``, ``centroids``, ``variates_Y``, ``model`` (for :func:`diablo_predict`), ``params``,
    ``versions``.
    """
    check_backend(backend)
    mods = _modalities(mdata, mods)
    lay = _layers(layers, mods)
    X, samples = _blocks(mdata, mods, lay)
    if groupby not in mdata.obs.columns:
        raise ValidationError(f"mdata.obs has no column {groupby!r} (columns: {list(mdata.obs.columns)[:20]})")
    col = mdata.obs[groupby]
    missing_rows = samples.difference(mdata.obs_names)
    if len(missing_rows):
        raise ValidationError(f"samples {missing_rows[:5].tolist()} of the blocks are not in mdata.obs")
    col = col.loc[samples]
    if pd.isna(col).any():
        raise ValidationError(f"mdata.obs[{groupby!r}] has {int(pd.isna(col).sum())} missing value(s)")
    y = col if isinstance(col.dtype, pd.CategoricalDtype) else pd.Series(pd.Categorical(col), index=col.index)
    y.index = y.index.astype(str)
    est = _fit_blocks("diablo", backend, X, y, n_components=n_components, keepX=keepX, design=design, scale=scale,
                      tol=tol, max_iter=max_iter, near_zero_var=near_zero_var, init_signs=init_signs)
    target = working_object(mdata, copy=copy)
    H = est.n_components_
    classes = [str(c) for c in est.classes_]
    per_mod = {m: {"obsm": {f"X_{key_added}": est.variates_[m]}, "varm": {f"{key_added}_loadings": est.loadings_[m]}}
               for m in mods}
    uns = _common_uns(est, mdata, mods)
    uns["classes"] = np.asarray(classes, dtype=str)
    uns["loadings_Y"] = pd.DataFrame(est.loadings_["Y"], index=classes, columns=_comps(H))
    uns["centroids"] = {m: pd.DataFrame(est.centroids_[m], index=classes, columns=_comps(H)) for m in mods}
    uns["variates_Y"] = pd.DataFrame(est.variates_["Y"], index=samples.astype(str), columns=_comps(H))
    params = {"groupby": groupby, "mods": mods, "n_components": n_components, "keepX": keepX,
              "design": design if not isinstance(design, (pd.DataFrame, np.ndarray)) else "matrix",
              "scale": scale, "tol": tol, "max_iter": max_iter, "near_zero_var": near_zero_var,
              "init_signs": init_signs if isinstance(init_signs, str) else "array", "layers": layers,
              "method": "block.splsda" if keepX is not None else "block.plsda", "backend": backend}
    _write(target, key_added=key_added, per_mod=per_mod, params=params, uns=uns,
           mdata_obsm={f"X_{key_added}_Y": _obsm_global(mdata, samples, est.variates_["Y"])})
    record_r_versions(target, key_added, est)
    return finish(target, copy=copy)


def _label_frame(table: np.ndarray, index: pd.Index, classes: list[str]) -> pd.DataFrame:
    """Labels (``None`` = NA) as categorical columns (classes first, then tie labels such as "A/B")."""
    extra = sorted({str(v) for v in table.ravel() if v is not None} - set(classes))
    cats = classes + extra
    return pd.DataFrame({c: pd.Categorical([None if v is None else str(v) for v in table[:, h]], categories=cats)
                         for h, c in enumerate(_comps(table.shape[1]))}, index=index)


def diablo_predict(
    mdata,
    *,
    reference,
    key: str = "diablo",
    scheme: str = "WeightedVote",
    dist: str = "max.dist",
    n_components: int | None = None,
    layers: Mapping[str, str] | None = None,
    key_added: str | None = None,
    copy: bool = False,
):
    """Classify new samples with a DIABLO model fitted by :func:`diablo` (``predict(model, newdata)``).

    Modalities of ``mdata`` named like the model's blocks are used (features matched by name, any order); model
    blocks absent from ``mdata`` or without samples are handled as mixOmics does (a warning; they are left out of
    the votes).

    Parameters
    ----------
    mdata
        MuData with new samples (the used modalities must hold the same samples in the same order).
    reference
        The MuData the model was fitted on (its ``uns[key]["model"]`` is read), or that ``uns[key]`` record.
    key
        ``key_added`` of the fit.
    scheme
        Labels written to ``obs[key_added]``: ``"WeightedVote"`` (default), ``"MajorityVote"``,
        ``"AveragedPredict"``, ``"WeightedPredict"`` or a block name.
    dist
        ``"max.dist"``, ``"centroids.dist"`` or ``"mahalanobis.dist"`` (Averaged/WeightedPredict: max.dist only).
    n_components
        Number of components used for ``obs[key_added]`` (default all).
    layers
        ``{modality: layer}`` to use instead of ``.X``.
    key_added
        Name of the outputs (default ``"<key>_predict"``).
    copy
        Return a modified copy instead of writing into ``mdata``.

    Returns
    -------
    ``None`` (or the copy); sets ``mdata.obs[key_added]`` (categorical; NaN = NA, e.g. a MajorityVote tie),
    ``mdata[mod].obsm["X_<key_added>"]`` (predicted variates) and ``mdata.uns[key_added]`` with ``predict``
    (per block and component, samples × classes), ``averaged_predict``, ``weighted_predict``, ``classes``
    (per distance and block), ``majority_vote``, ``weighted_vote`` (per distance), ``averaged_predict_class``,
    ``weighted_predict_class``, ``weights`` (vote weights of the present blocks), ``missing_blocks``, ``params``,
    ``versions``.
    """
    check_data(mdata, name="mdata", mudata_ok=True)
    key_added = key_added or f"{key}_predict"
    rec = reference if isinstance(reference, Mapping) else getattr(reference, "uns", {}).get(key)
    if rec is not None and "model" not in rec and str(dict(rec.get("params", {})).get("backend")) == "r":
        raise ValidationError(f"uns[{key!r}] was fitted with backend='r', which gives no Python model to predict "
                              f"with; refit with backend='python'")
    if rec is None or "model" not in rec or "classes" not in rec["model"]:
        raise ValidationError(f"reference has no fitted DIABLO model under uns[{key!r}] (run pob.tl.diablo first)")
    if dist not in DISTANCES:
        raise ValidationError(f"dist must be one of {list(DISTANCES)}, got {dist!r}")
    model_blocks = [str(b) for b in np.asarray(rec["model"]["blocks"])]
    if scheme not in SCHEMES + tuple(model_blocks):
        raise ValidationError(f"scheme must be one of {list(SCHEMES)} or a block {model_blocks}, got {scheme!r}")
    if scheme in ("AveragedPredict", "WeightedPredict") and dist != "max.dist":
        raise ValidationError(f"scheme={scheme!r} gives classes for dist='max.dist' only, got {dist!r}")
    mods = [m for m in model_blocks if m in getattr(mdata, "mod", {}) and mdata[m].n_obs > 0]
    if not mods:
        raise ValidationError(f"mdata has none of the model's blocks {model_blocks} (modalities: {list(mdata.mod)})")
    if scheme in model_blocks and scheme not in mods:
        raise ValidationError(f"scheme={scheme!r} names a block that is missing from mdata")
    lay = _layers(layers, mods)
    X, samples = _blocks(mdata, mods, lay)
    est = BlockSPLSDA._from_state(dict(rec["model"]))
    for m in mods:
        want = est.feature_names_in_[m]
        if want is not None:
            absent = pd.Index(want).difference(X[m].columns)
            if len(absent):
                raise ValidationError(f"mdata[{m!r}] lacks {len(absent)} feature(s) of the model, e.g. "
                                      f"{absent[:5].tolist()}")
            X[m] = X[m].loc[:, list(want)]
    H = est.n_components_
    h = H if n_components is None else n_components
    if isinstance(h, bool) or not isinstance(h, (int, np.integer)) or not 1 <= h <= H:
        raise ValidationError(f"n_components must be between 1 and {H}, got {n_components!r}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # re-issued below, pointing at the caller
        pred = est.predict(X, dist="all")
    classes = [str(c) for c in est.classes_]
    labels = pred.labels(scheme, dist, h).to_numpy()
    index = samples.astype(str)
    target = working_object(mdata, copy=copy)
    glob = pd.Series([None if v is None else str(v) for v in labels], index=samples, dtype=object)
    glob = glob.reindex(mdata.obs_names)
    cats = classes + sorted({str(v) for v in labels if v is not None} - set(classes))
    per_mod = {m: {"obsm": {f"X_{key_added}": pred.variates[m]}} for m in mods}

    def per_comp(arr):  # H × n × K → {comp: DataFrame}
        return {c: pd.DataFrame(arr[i], index=index, columns=classes) for i, c in enumerate(_comps(H))}

    uns = {
        "predict": {m: per_comp(pred.predict[m]) for m in mods},
        "averaged_predict": per_comp(pred.averaged_predict),
        "weighted_predict": per_comp(pred.weighted_predict),
        "classes": {d: {m: _label_frame(pred.classes[d][m], index, classes) for m in mods} for d in DISTANCES},
        "majority_vote": {d: _label_frame(pred.majority_vote[d], index, classes) for d in DISTANCES},
        "weighted_vote": {d: _label_frame(pred.weighted_vote[d], index, classes) for d in DISTANCES},
        "averaged_predict_class": _label_frame(pred.averaged_predict_class["max.dist"], index, classes),
        "weighted_predict_class": _label_frame(pred.weighted_predict_class["max.dist"], index, classes),
        "weights": {m: float(v) for m, v in pred.weights.items()},
        "missing_blocks": np.asarray(pred.missing_blocks, dtype=str),
    }
    params = {"key": key, "scheme": scheme, "dist": dist, "n_components": h, "layers": layers}
    if pred.missing_blocks:
        warnings.warn(
            f"Some blocks are missing in 'newdata'; the prediction is based on the following blocks only: "
            f"{', '.join(mods)}", UserWarning, stacklevel=2,
        )
    _write(target, key_added=key_added, per_mod=per_mod, params=params, uns=uns,
           mdata_obs={key_added: pd.Categorical(glob.to_numpy(), categories=cats)})
    return finish(target, copy=copy)

