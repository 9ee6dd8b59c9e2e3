"""mixOmics-style figures: loadings bars, clustered image maps, DIABLO networks, perf/tune curves, consensus.

Every figure is drawn from a table returned by a ``*_data`` function of this module (or an existing function of
:mod:`pyomics_bridge.multiomics`), so the numbers can be tested without images:

* :func:`loadings` ← :func:`loadings_data` (``plotLoadings(contrib="max"|"min", method="mean"|"median")``);
* :func:`cim` ← :func:`cim_data` (``cim``: a heat map ordered by hierarchical clustering of rows and columns);
* :func:`diablo_network` ← :func:`diablo_network_data` (``circosPlot`` / ``network``: the similarity K of
  :func:`pyomics_bridge.multiomics.block_similarity`, blocks as arcs of a circle, links where |K| > cutoff);
* :func:`perf_curve` ← :func:`perf_curve_data`; :func:`tune_curve` ← :func:`tune_curve_data`;
* :func:`consensus` ← :func:`consensus_data` (consensus matrix, PAC vs k, consensus CDFs).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._conventions import ValidationError, get_matrix
from ._utils import get_ax

__all__ = [
    "loadings", "loadings_data", "cim", "cim_data", "diablo_network", "diablo_network_data", "perf_curve",
    "perf_curve_data", "tune_curve", "tune_curve_data", "consensus", "consensus_data",
]


def _cmap(name: str = "tab10"):
    import matplotlib

    return matplotlib.colormaps[name]


# --------------------------------------------------------------------------- loadings (plotLoadings)
def _loadings_source(data, key: str, mod: str | None, groupby: str | None):
    """(AnnData of the features, loadings matrix, class labels or None)."""
    is_mudata = hasattr(data, "mod")
    if is_mudata:
        if mod is None:
            raise ValidationError(f"data is a MuData: name the block with mod= (one of {list(data.mod)})")
        if mod not in data.mod:
            raise ValidationError(f"mod={mod!r} is not a modality (available: {list(data.mod)})")
        ad = data[mod]
        rec = data.uns.get(key, {})
    else:
        ad = data
        rec = data.uns.get(key, {})
    lk = f"{key}_loadings"
    if lk not in ad.varm:
        raise ValidationError(f"varm has no {lk!r} (available: {list(ad.varm)}); run the pob.tl method first")
    L = np.asarray(ad.varm[lk], dtype=float)
    if groupby is None:
        params = rec.get("params", {}) if isinstance(rec, dict) else {}
        g = params.get("groupby")
        groupby = None if g in (None, "None") else str(g)
    classes = None
    if groupby is not None:
        if groupby in ad.obs:
            classes = ad.obs[groupby]
        elif is_mudata and groupby in data.obs:
            classes = data.obs[groupby].reindex(ad.obs_names)
        else:
            raise ValidationError(f"obs has no column {groupby!r}")
        if pd.isna(classes).any():
            raise ValidationError(f"obs[{groupby!r}] has missing values")
    return ad, L, classes


def loadings_data(
    data,
    *,
    key: str,
    comp: int = 1,
    mod: str | None = None,
    groupby: str | None = None,
    ndisplay: int | None = None,
    contrib: str = "max",
    method: str = "mean",
    layer: str | None = None,
) -> pd.DataFrame:
    """The numbers behind ``plotLoadings``: non-zero loadings of a component sorted by decreasing |loading|.

    Parameters
    ----------
    data
        AnnData with ``varm[f"{key}_loadings"]`` (from :func:`pob.tl.splsda`, ``pca_mixomics``, ...) or a MuData
        fitted by :func:`pob.tl.diablo` (then ``mod`` names the block).
    key
        ``key_added`` of the fit.
    comp
        Component (1-based).
    mod
        MuData block.
    groupby
        ``.obs`` column of the classes (default the fit's ``groupby``; none: no class statistics).
    ndisplay
        Keep only the ``ndisplay`` largest |loadings|.
    contrib, method
        The class whose per-class ``method`` (``"mean"`` or ``"median"``) of the feature is the ``contrib``
        (``"max"`` or ``"min"``) gives ``GroupContrib`` (``"tie"`` when several classes share it).
    layer
        Data used for the class statistics (default ``.X``).

    Returns
    -------
    DataFrame indexed by feature: ``loading``, ``importance`` (|loading|), one column per class with the class
    statistic, ``GroupContrib`` (with classes only).
    """
    if contrib not in ("max", "min"):
        raise ValidationError(f"contrib must be 'max' or 'min', got {contrib!r}")
    if method not in ("mean", "median"):
        raise ValidationError(f"method must be 'mean' or 'median', got {method!r}")
    ad, L, classes = _loadings_source(data, key, mod, groupby)
    if not 1 <= comp <= L.shape[1]:
        raise ValidationError(f"comp must be in 1..{L.shape[1]}, got {comp}")
    w = L[:, comp - 1]
    sel = np.flatnonzero(w != 0)
    order = sel[np.lexsort((sel, -np.abs(w[sel])))]
    if ndisplay is not None:
        order = order[: int(ndisplay)]
    names = ad.var_names[order].astype(str)
    out = pd.DataFrame({"loading": w[order], "importance": np.abs(w[order])}, index=pd.Index(names, name="feature"))
    if classes is not None:
        X = get_matrix(ad, layer=layer, allow_nan=True)[:, order]
        cat = pd.Categorical(classes)
        stats = {}
        for level in cat.categories:
            rows = X[np.asarray(cat == level)]
            stats[str(level)] = np.nanmean(rows, axis=0) if method == "mean" else np.nanmedian(rows, axis=0)
        table = pd.DataFrame(stats, index=out.index)
        values = table.to_numpy()
        target = values.max(axis=1) if contrib == "max" else values.min(axis=1)
        hits = values == target[:, None]
        group = [table.columns[h][0] if h.sum() == 1 else "tie" for h in hits]
        out = pd.concat([out, table], axis=1)
        out["GroupContrib"] = group
    return out


def loadings(
    data,
    *,
    key: str,
    comp: int = 1,
    mod: str | None = None,
    groupby: str | None = None,
    ndisplay: int | None = 20,
    contrib: str = "max",
    method: str = "mean",
    layer: str | None = None,
    ax=None,
):
    """Horizontal bars of the top loadings of a component, coloured by the class with the max (min) mean.

    Parameters
    ----------
    data
        AnnData or MuData (with ``mod``) fitted by a ``pob.tl`` multi-omics method.
    key, comp, mod, groupby, ndisplay, contrib, method, layer
        As :func:`loadings_data`.
    ax
        Axes to draw into.

    Returns
    -------
    The :class:`matplotlib.axes.Axes`.
    """
    table = loadings_data(data, key=key, comp=comp, mod=mod, groupby=groupby, ndisplay=ndisplay, contrib=contrib,
                          method=method, layer=layer)
    ax = get_ax(ax, figsize=(5.0, max(2.5, 0.22 * len(table) + 1)))
    y = np.arange(len(table))[::-1]
    if "GroupContrib" in table:
        levels = [c for c in table.columns if c not in ("loading", "importance", "GroupContrib")]
        cmap = _cmap()
        colours = {lv: cmap(i % 10) for i, lv in enumerate(levels)}
        colours["tie"] = (0.6, 0.6, 0.6, 1.0)
        ax.barh(y, table["loading"], color=[colours[g] for g in table["GroupContrib"]])
        from matplotlib.patches import Patch

        present = [lv for lv in [*levels, "tie"] if lv in set(table["GroupContrib"])]
        ax.legend(handles=[Patch(color=colours[lv], label=lv) for lv in present], title=f"contrib ({contrib})",
                  frameon=False, fontsize="small")
    else:
        ax.barh(y, table["loading"], color="0.4")
    ax.set_yticks(y, table.index, fontsize="small")
    ax.axvline(0, color="0.3", linewidth=0.8)
    ax.set_xlabel(f"loading, comp {comp}")
    ax.set_title(f"Loadings on comp {comp}" + (f" ({mod})" if mod else ""))
    return ax


# --------------------------------------------------------------------------- clustered image map (cim)
def _order(matrix: np.ndarray, dist_method: str, linkage: str) -> np.ndarray:
    from scipy.cluster.hierarchy import leaves_list
    from scipy.cluster.hierarchy import linkage as _linkage
    from scipy.spatial.distance import pdist

    if matrix.shape[0] < 2:
        return np.arange(matrix.shape[0])
    if dist_method == "correlation":
        d = np.clip(pdist(matrix, metric="correlation"), 0.0, None)  # 1 − Pearson
        d = np.nan_to_num(d, nan=1.0)
    else:
        d = pdist(matrix, metric=dist_method)
    return leaves_list(_linkage(d, method=linkage))


def cim_data(
    data,
    *,
    layer: str | None = None,
    features: Sequence[str] | None = None,
    scale: bool = False,
    dist_method: str = "euclidean",
    linkage: str = "complete",
    cluster_rows: bool = True,
    cluster_cols: bool = True,
) -> pd.DataFrame:
    """The matrix of a clustered image map, rows and columns reordered by hierarchical clustering.

    Parameters
    ----------
    data
        A DataFrame (e.g. :func:`pyomics_bridge.multiomics.similarity_matrix`,
        :func:`~pyomics_bridge.multiomics.block_similarity` or :func:`~pyomics_bridge.multiomics.cim_diablo`) or an
        AnnData (samples × features, from ``.X`` or ``layer``).
    layer
        AnnData layer.
    features
        AnnData features to show (default all).
    scale
        Standardise the columns (n − 1 sd; constant columns → 0) before clustering and display.
    dist_method
        ``"euclidean"`` (default, as mixOmics), ``"correlation"`` (1 − Pearson) or another
        :func:`scipy.spatial.distance.pdist` metric.
    linkage
        Linkage method (default ``"complete"``, as mixOmics).
    cluster_rows, cluster_cols
        Reorder rows / columns (the order is scipy's dendrogram leaf order).

    Returns
    -------
    The reordered DataFrame (missing values → 0 for the clustering only).
    """
    if isinstance(data, pd.DataFrame):
        frame = data.astype(float)
    elif hasattr(data, "obs_names") and not hasattr(data, "mod"):
        X = get_matrix(data, layer=layer, allow_nan=True)
        frame = pd.DataFrame(X, index=data.obs_names.astype(str), columns=data.var_names.astype(str))
        if features is not None:
            missing = [f for f in features if f not in frame.columns]
            if missing:
                raise ValidationError(f"features not in var_names: {missing[:5]}")
            frame = frame.loc[:, list(features)]
    else:
        raise TypeError(f"data must be a DataFrame or an AnnData, got {type(data).__name__}")
    if scale:
        sd = frame.std(ddof=1).replace(0, np.nan)
        frame = ((frame - frame.mean()) / sd).fillna(0.0)
    values = np.nan_to_num(frame.to_numpy(), nan=0.0)
    rows = _order(values, dist_method, linkage) if cluster_rows else np.arange(values.shape[0])
    cols = _order(values.T, dist_method, linkage) if cluster_cols else np.arange(values.shape[1])
    return frame.iloc[rows, cols]


def cim(
    data,
    *,
    layer: str | None = None,
    features: Sequence[str] | None = None,
    scale: bool = False,
    dist_method: str = "euclidean",
    linkage: str = "complete",
    cluster_rows: bool = True,
    cluster_cols: bool = True,
    cmap: str = "RdBu_r",
    ax=None,
):
    """Clustered image map: a heat map with rows and columns in hierarchical-clustering order (mixOmics ``cim``).

    Parameters
    ----------
    data, layer, features, scale, dist_method, linkage, cluster_rows, cluster_cols
        As :func:`cim_data`.
    cmap
        Colour map (centred on 0).
    ax
        Axes to draw into.

    Returns
    -------
    The :class:`matplotlib.axes.Axes`.
    """
    frame = cim_data(data, layer=layer, features=features, scale=scale, dist_method=dist_method, linkage=linkage,
                     cluster_rows=cluster_rows, cluster_cols=cluster_cols)
    ax = get_ax(ax, figsize=(6.0, 5.0))
    values = frame.to_numpy(dtype=float)
    vmax = float(np.nanmax(np.abs(values))) if values.size else 1.0
    im = ax.imshow(values, aspect="auto", cmap=cmap, vmin=-vmax, vmax=vmax, interpolation="nearest")
    ax.figure.colorbar(im, ax=ax, fraction=0.04)

    def labels(index):
        return [" / ".join(map(str, v)) if isinstance(v, tuple) else str(v) for v in index]

    if frame.shape[0] <= 60:
        ax.set_yticks(np.arange(frame.shape[0]), labels(frame.index), fontsize=6)
    else:
        ax.set_yticks([])
    if frame.shape[1] <= 60:
        ax.set_xticks(np.arange(frame.shape[1]), labels(frame.columns), fontsize=6, rotation=90)
    else:
        ax.set_xticks([])
    return ax


# --------------------------------------------------------------------------- DIABLO network / circos
def _similarity_from_mudata(mdata, key: str, comp, mods) -> pd.DataFrame:
    """K over the selected features of the blocks, from the slots :func:`pob.tl.diablo` wrote."""
    from ..multiomics import na_cor

    rec = mdata.uns.get(key)
    if rec is None:
        raise ValidationError(f"mdata.uns has no {key!r} (run pob.tl.diablo or block_spls first)")
    blocks = [str(b) for b in np.asarray(rec.get("blocks", []))] if mods is None else list(mods)
    if not blocks:
        raise ValidationError(f"uns[{key!r}] names no blocks; pass mods=")
    parts, index = [], []
    for b in blocks:
        if b not in mdata.mod:
            raise ValidationError(f"block {b!r} is not a modality (available: {list(mdata.mod)})")
        ad = mdata[b]
        T = np.asarray(ad.obsm[f"X_{key}"], dtype=float)
        L = np.asarray(ad.varm[f"{key}_loadings"], dtype=float)
        H = T.shape[1]
        idx = list(range(H)) if comp is None else [c - 1 for c in ([comp] if isinstance(comp, int) else comp)]
        if min(idx) < 0 or max(idx) >= H:
            raise ValidationError(f"comp must be in 1..{H}, got {comp!r}")
        sel = np.flatnonzero((L[:, idx] != 0).any(axis=1))
        X = get_matrix(ad, allow_nan=True, name=f"mdata[{b!r}]")[:, sel]
        parts.append(na_cor(X, T[:, idx]))
        index += [(b, str(f)) for f in ad.var_names[sel]]
    V = np.vstack(parts)
    mi = pd.MultiIndex.from_tuples(index, names=["block", "feature"])
    return pd.DataFrame(V @ V.T, index=mi, columns=mi.copy())


def diablo_network_data(
    data,
    *,
    key: str = "diablo",
    comp: int | Sequence[int] | None = None,
    mods: Sequence[str] | None = None,
    cutoff: float = 0.7,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Nodes on a circle (blocks as arcs) and between-block links with ``|K| > cutoff`` (``circosPlot``).

    Parameters
    ----------
    data
        A MuData fitted by :func:`pob.tl.diablo` (K recomputed from its slots: ``cor(X_b[:, selected],
        T_b[:, comp])`` products), a fitted block model (:func:`pyomics_bridge.multiomics.block_similarity`), or the
        square similarity DataFrame itself (a (``block``, ``feature``) MultiIndex).
    key
        ``key_added`` of the fit (MuData).
    comp
        Component(s), 1-based (default all).
    mods
        Blocks (default the fit's X blocks).
    cutoff
        Links are drawn where ``|K| > cutoff``.

    Returns
    -------
    ``(nodes, edges)``: nodes indexed by (block, feature) with ``angle`` (radians), ``x``, ``y``; edges with
    ``block1``, ``feature1``, ``block2``, ``feature2``, ``similarity`` sorted by decreasing |similarity|.
    """
    if isinstance(data, pd.DataFrame):
        K = data
    elif hasattr(data, "mod"):
        K = _similarity_from_mudata(data, key, comp, mods)
    elif hasattr(data, "block_names_"):
        from ..multiomics import block_similarity

        K = block_similarity(data, blocks=mods, comp=[comp] if isinstance(comp, int) else comp)
    else:
        raise TypeError(f"data must be a MuData, a fitted block model or a DataFrame, got {type(data).__name__}")
    if not isinstance(K.index, pd.MultiIndex) or K.index.nlevels != 2:
        raise ValidationError("the similarity matrix needs a (block, feature) MultiIndex")
    blocks = list(dict.fromkeys(K.index.get_level_values(0)))
    n = len(K)
    gap = 2 * np.pi * 0.04  # space between two block arcs
    span = max(2 * np.pi - gap * len(blocks), 0.1)
    angles, pos = np.empty(n), 0
    codes = K.index.get_level_values(0)
    for bi, b in enumerate(blocks):
        members = np.flatnonzero(codes == b)
        angles[members] = np.pi / 2 - (bi * gap + (pos + np.arange(len(members)) + 0.5) * span / max(n, 1))
        pos += len(members)
    nodes = pd.DataFrame({"angle": angles, "x": np.cos(angles), "y": np.sin(angles)}, index=K.index)
    values = K.to_numpy(dtype=float)
    block_code = pd.Index(blocks).get_indexer(codes)
    iu, ju = np.triu_indices(n, 1)
    keep = (block_code[iu] != block_code[ju]) & (np.abs(values[iu, ju]) > cutoff)
    iu, ju = iu[keep], ju[keep]
    edges = pd.DataFrame({
        "block1": K.index.get_level_values(0)[iu], "feature1": K.index.get_level_values(1)[iu],
        "block2": K.index.get_level_values(0)[ju], "feature2": K.index.get_level_values(1)[ju],
        "similarity": values[iu, ju],
    })
    edges = edges.iloc[np.argsort(-np.abs(edges["similarity"].to_numpy()), kind="stable")].reset_index(drop=True)
    return nodes, edges


def diablo_network(
    data,
    *,
    key: str = "diablo",
    comp: int | Sequence[int] | None = None,
    mods: Sequence[str] | None = None,
    cutoff: float = 0.7,
    labels: bool = True,
    ax=None,
):
    """Circos-like DIABLO plot: blocks as arcs of a circle, a link for each between-block ``|K| > cutoff``.

    Positive similarities are red, negative blue (as ``circosPlot``); line width grows with |K|.

    Parameters
    ----------
    data, key, comp, mods, cutoff
        As :func:`diablo_network_data`.
    labels
        Write feature names outside the circle.
    ax
        Axes to draw into.

    Returns
    -------
    The :class:`matplotlib.axes.Axes`.
    """
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path

    nodes, edges = diablo_network_data(data, key=key, comp=comp, mods=mods, cutoff=cutoff)
    ax = get_ax(ax, figsize=(6.0, 6.0))
    cmap = _cmap()
    blocks = list(dict.fromkeys(nodes.index.get_level_values(0)))
    for bi, b in enumerate(blocks):
        a = nodes.loc[b, "angle"].to_numpy()
        theta = np.linspace(a.max() + 0.02, a.min() - 0.02, 50)
        ax.plot(1.05 * np.cos(theta), 1.05 * np.sin(theta), color=cmap(bi % 10), linewidth=6, solid_capstyle="butt",
                label=b)
        ax.scatter(nodes.loc[b, "x"], nodes.loc[b, "y"], s=8, color=cmap(bi % 10), zorder=3)
    for e in edges.itertuples(index=False):
        p1 = nodes.loc[(e.block1, e.feature1), ["x", "y"]].to_numpy(float)
        p2 = nodes.loc[(e.block2, e.feature2), ["x", "y"]].to_numpy(float)
        path = Path([p1, (0.0, 0.0), p2], [Path.MOVETO, Path.CURVE3, Path.CURVE3])
        ax.add_patch(PathPatch(path, facecolor="none", edgecolor="tab:red" if e.similarity > 0 else "tab:blue",
                               linewidth=0.5 + 2 * (abs(e.similarity) - cutoff) / max(1 - cutoff, 1e-9), alpha=0.6))
    if labels and len(nodes) <= 80:
        for (_, feat), row in nodes.iterrows():
            deg = np.degrees(row["angle"]) % 360
            flip = 90 < deg < 270
            ax.text(1.12 * row["x"], 1.12 * row["y"], feat, fontsize=5, rotation=deg + 180 if flip else deg,
                    rotation_mode="anchor", ha="right" if flip else "left", va="center")
    ax.set_xlim(-1.6, 1.6)
    ax.set_ylim(-1.6, 1.6)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.legend(loc="upper left", frameon=False, fontsize="small")
    ax.set_title(f"|K| > {cutoff}: {len(edges)} links")
    return ax


# --------------------------------------------------------------------------- perf / tune curves
_BLOCK_MEASURES = {"overall": "Overall.ER", "BER": "Overall.BER"}


def perf_curve_data(data, *, measure: str = "BER", scheme: str = "WeightedVote") -> pd.DataFrame:
    """Error rate per component and distance from a ``perf`` result (long table).

    Parameters
    ----------
    data
        A :class:`~pyomics_bridge.multiomics.PerfResult` (PLS-DA/sPLS-DA) or a
        :class:`~pyomics_bridge.multiomics.BlockPerfResult` (DIABLO).
    measure
        ``"BER"`` or ``"overall"``.
    scheme
        DIABLO only: ``"WeightedVote"``, ``"MajorityVote"`` (per distance), ``"AveragedPredict"``,
        ``"WeightedPredict"`` (max.dist).

    Returns
    -------
    DataFrame with ``component`` (int), ``dist``, ``mean``, ``sd`` (over repeats).
    """
    if measure not in _BLOCK_MEASURES:
        raise ValidationError(f"measure must be 'BER' or 'overall', got {measure!r}")
    rows = []
    if hasattr(data, "error_rate_class"):  # PerfResult
        mean, sd = data.error_rate[measure], data.error_rate_sd[measure]
        for dist in mean.columns:
            for comp in mean.index:
                rows.append((int(str(comp).removeprefix("comp")), dist, float(mean.loc[comp, dist]),
                             float(sd.loc[comp, dist])))
    elif hasattr(data, "weighted_vote"):  # BlockPerfResult
        table = {"WeightedVote": data.weighted_vote, "MajorityVote": data.majority_vote,
                 "AveragedPredict": data.averaged_predict, "WeightedPredict": data.weighted_predict}.get(scheme)
        if table is None:
            raise ValidationError(f"scheme must be WeightedVote, MajorityVote, AveragedPredict or WeightedPredict, "
                                  f"got {scheme!r}")
        mean, sd = table["error_rate"], table["error_rate_sd"]
        if isinstance(mean, pd.DataFrame):
            mean, sd = {"max.dist": mean}, {"max.dist": sd}
        row = _BLOCK_MEASURES[measure]
        for dist, m in mean.items():
            for comp in m.columns:
                rows.append((int(str(comp).removeprefix("comp")), dist, float(m.loc[row, comp]),
                             float(sd[dist].loc[row, comp])))
    else:
        raise TypeError(f"data must be a PerfResult or a BlockPerfResult, got {type(data).__name__}")
    return pd.DataFrame(rows, columns=["component", "dist", "mean", "sd"])


def perf_curve(data, *, measure: str = "BER", scheme: str = "WeightedVote", ax=None):
    """Error rate vs number of components, one line per distance, ±1 sd bars (mixOmics ``plot(perf)``).

    Parameters
    ----------
    data, measure, scheme
        As :func:`perf_curve_data`.
    ax
        Axes to draw into.

    Returns
    -------
    The :class:`matplotlib.axes.Axes`.
    """
    table = perf_curve_data(data, measure=measure, scheme=scheme)
    ax = get_ax(ax)
    for dist, part in table.groupby("dist", sort=False):
        ax.errorbar(part["component"], part["mean"], yerr=part["sd"].fillna(0.0), marker="o", capsize=3,
                    label=str(dist))
    ax.set_xticks(sorted(table["component"].unique()))
    ax.set_xlabel("component")
    ax.set_ylabel(f"{measure} error rate")
    ax.legend(frameon=False, fontsize="small")
    return ax


def tune_curve_data(data) -> pd.DataFrame:
    """Error rate per candidate keepX and component from a tune result (long table).

    Parameters
    ----------
    data
        A :class:`~pyomics_bridge.multiomics.TuneResult` (``tune_splsda`` / ``tune_block_splsda``).

    Returns
    -------
    DataFrame with ``component`` (int), ``keepX`` (the candidate label, e.g. ``"10"`` or ``"5_10"`` for blocks),
    ``position`` (0-based order of the candidate), ``mean``, ``sd``, ``chosen`` (the candidate chosen for that
    component).
    """
    if not hasattr(data, "choice_keepX") or not hasattr(data, "error_rate"):
        raise TypeError(f"data must be a TuneResult, got {type(data).__name__}")
    mean, sd = data.error_rate, data.error_rate_sd
    choice = data.choice_keepX
    rows = []
    for j, comp in enumerate(mean.columns):
        if isinstance(choice, dict):
            chosen = "_".join(str(v[j]) for v in choice.values()) if all(len(v) > j for v in choice.values()) \
                else None
        else:
            chosen = str(choice[j]) if len(choice) > j else None
        for pos, cand in enumerate(mean.index):
            rows.append((int(str(comp).removeprefix("comp")), str(cand), pos, float(mean.loc[cand, comp]),
                         float(sd.loc[cand, comp]), str(cand) == chosen))
    return pd.DataFrame(rows, columns=["component", "keepX", "position", "mean", "sd", "chosen"])


def tune_curve(data, *, ax=None):
    """Error rate vs candidate keepX, one line per component, the chosen keepX marked (``plot(tune)``).

    Parameters
    ----------
    data
        As :func:`tune_curve_data`.
    ax
        Axes to draw into.

    Returns
    -------
    The :class:`matplotlib.axes.Axes`.
    """
    table = tune_curve_data(data)
    ax = get_ax(ax)
    cmap = _cmap()
    for i, (comp, part) in enumerate(table.groupby("component", sort=True)):
        c = cmap(i % 10)
        ax.errorbar(part["position"], part["mean"], yerr=part["sd"].fillna(0.0), marker="o", capsize=3, color=c,
                    label=f"comp {comp}")
        best = part[part["chosen"]]
        ax.scatter(best["position"], best["mean"], s=120, facecolors="none", edgecolors=c, linewidths=2, zorder=3)
    cand = table.drop_duplicates("position").sort_values("position")
    ax.set_xticks(cand["position"], cand["keepX"], rotation=45 if len(cand) > 8 else 0)
    ax.set_xlabel("keepX")
    ax.set_ylabel(f"{getattr(data, 'measure', 'error')} error rate")
    ax.legend(frameon=False, fontsize="small")
    return ax


# --------------------------------------------------------------------------- consensus clustering
def consensus_data(data, *, key: str = "consensus", k: int | None = None) -> dict:
    """The numbers behind :func:`consensus` from the slots of :func:`pob.tl.consensus_clustering`.

    Parameters
    ----------
    data
        AnnData or MuData that ``consensus_clustering`` wrote into.
    key
        Its ``key_added``.
    k
        Number of clusters of the matrix (default the chosen k; other k need ``store_all=True``).

    Returns
    -------
    ``{"pac": Series (index k), "cdf": DataFrame (thresholds × k), "k": k, "labels": Series, "matrix": DataFrame}``;
    ``matrix`` is the consensus matrix of the samples that were clustered, rows and columns ordered by cluster
    (cluster 1 first) and, within a cluster, by decreasing mean consensus with the cluster.
    """
    rec = data.uns.get(key)
    if rec is None or "pac" not in rec:
        raise ValidationError(f"uns has no consensus clustering under {key!r} (run pob.tl.consensus_clustering)")
    ks = np.asarray(rec["k"], dtype=int)
    pac = pd.Series(np.asarray(rec["pac"], float), index=pd.Index(ks, name="k"), name="PAC")
    cdf = rec["cdf"].copy()
    cdf.index = cdf.index.astype(float)
    cdf.columns = [int(str(c).removeprefix("k")) for c in cdf.columns]
    k = int(rec["best_k"]) if k is None else int(k)
    okey = f"{key}_k{k}"
    if okey not in data.obsp:
        raise ValidationError(f"obsp has no {okey!r} (available: {list(data.obsp)}); refit with store_all=True")
    M = np.asarray(data.obsp[okey], dtype=float)
    labels = data.obs[okey]
    used = np.flatnonzero(pd.notna(labels).to_numpy())
    lab = labels.iloc[used].astype(int).to_numpy()
    sub = M[np.ix_(used, used)]
    within = np.array([sub[i, lab == lab[i]].mean() for i in range(len(used))])
    order = np.lexsort((np.arange(len(used)), -within, lab))
    names = data.obs_names[used][order].astype(str)
    matrix = pd.DataFrame(sub[np.ix_(order, order)], index=names, columns=names)
    return {"pac": pac, "cdf": cdf, "k": k, "labels": labels.iloc[used[order]], "matrix": matrix}


def consensus(data, *, key: str = "consensus", k: int | None = None, kind: str = "matrix", ax=None):
    """Consensus clustering figures: the ordered consensus matrix, PAC vs k, or the consensus CDFs.

    Parameters
    ----------
    data, key, k
        As :func:`consensus_data`.
    kind
        ``"matrix"`` (heat map, 0 white to 1 dark, cluster boundaries drawn), ``"pac"`` (PAC vs k, the chosen k
        marked) or ``"cdf"`` (one CDF per k).
    ax
        Axes to draw into.

    Returns
    -------
    The :class:`matplotlib.axes.Axes`.
    """
    if kind not in ("matrix", "pac", "cdf"):
        raise ValidationError(f"kind must be 'matrix', 'pac' or 'cdf', got {kind!r}")
    d = consensus_data(data, key=key, k=k)
    ax = get_ax(ax)
    if kind == "matrix":
        ax.imshow(d["matrix"].to_numpy(), cmap="Blues", vmin=0, vmax=1, interpolation="nearest")
        lab = d["labels"].astype(int).to_numpy()
        bounds = np.flatnonzero(np.diff(lab)) + 0.5
        for b in bounds:
            ax.axhline(b, color="tab:red", linewidth=0.8)
            ax.axvline(b, color="tab:red", linewidth=0.8)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"consensus matrix, k = {d['k']}")
    elif kind == "pac":
        pac = d["pac"]
        ax.plot(pac.index, pac.to_numpy(), marker="o", color="0.3")
        best = int(data.uns[key]["best_k"])
        ax.scatter([best], [pac.loc[best]], s=120, facecolors="none", edgecolors="tab:red", linewidths=2, zorder=3)
        ax.set_xticks(pac.index)
        ax.set_xlabel("k")
        ax.set_ylabel("PAC")
        ax.set_title(f"PAC (lowest at k = {best})")
    else:
        cmap = _cmap()
        for i, kk in enumerate(d["cdf"].columns):
            ax.step(d["cdf"].index, d["cdf"][kk], where="post", color=cmap(i % 10), label=f"k = {kk}")
        ax.set_xlabel("consensus index")
        ax.set_ylabel("CDF")
        ax.legend(frameon=False, fontsize="small")
    return ax
