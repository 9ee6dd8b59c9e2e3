"""Figures of :func:`pyomics_bridge.tl.tfscope` results (``adata.uns[key]``): core contributions, environment
regions, co-factor ranking and ROC curves."""

from __future__ import annotations

import numpy as np
from anndata import AnnData

from .._conventions import ValidationError, check_data
from ._utils import get_ax

_BASE_COLORS = {"A": "#2ca02c", "C": "#1f77b4", "G": "#ff7f0e", "T": "#d62728"}


def _record(adata, key):
    check_data(adata)
    if key not in adata.uns or "features" not in adata.uns[key]:
        raise ValidationError(f"adata.uns[{key!r}] has no TFscope result; run pyomics_bridge.tl.tfscope first")
    return adata.uns[key]


def _coef_col(features, model):
    col = f"coef_{model}"
    if col not in features:
        raise ValidationError(f"no coefficients for model {model!r}; available: "
                              f"{[c[5:] for c in features.columns if c.startswith('coef_')]}")
    return col


def _top_selected(features, family: str, model: str, top: int):
    """Coefficient column and the ``top`` selected features of one family, largest |coefficient| first."""
    col = _coef_col(features, model)
    sel = features[(features["family"] == family) & (features[col] != 0)]
    return col, sel.reindex(sel[col].abs().sort_values(ascending=False).index).head(top)


def tfscope_core(adata: AnnData, *, key: str = "tfscope", model: str = "core", kind: str = "logo", ax=None):
    """Discriminative core motif: per position and base, the L1-logistic coefficient (class A up, class B down).

    Parameters
    ----------
    adata
        Object on which :func:`pyomics_bridge.tl.tfscope` was run.
    key
        ``.uns`` key of the result.
    model
        Model whose coefficients are shown (``"core"`` or ``"full"``).
    kind
        ``"logo"``: two-sided stacked bars per position (positive = favours class A); ``"heatmap"``: base ×
        position heatmap.
    ax
        Axes to draw into.

    Returns
    -------
    The :class:`matplotlib.axes.Axes`.
    """
    rec = _record(adata, key)
    f = rec["features"]
    col = _coef_col(f, model)
    core = f[f["family"] == "core"]
    pos = np.sort(core["position"].astype(int).unique())
    mat = np.zeros((4, pos.size))
    for (p, b), v in zip(zip(core["position"].astype(int), core["base"], strict=True), core[col], strict=True):
        mat["ACGT".index(b), np.searchsorted(pos, p)] = v
    W = int(rec["core_width"])
    ax = get_ax(ax, figsize=(max(5.0, 0.3 * pos.size), 3.2))
    classes = list(rec["classes"])
    if kind == "heatmap":
        lim = max(np.abs(mat).max(), 1e-9)
        im = ax.imshow(mat, cmap="RdBu_r", vmin=-lim, vmax=lim, aspect="auto")
        ax.set_yticks(range(4), list("ACGT"))
        ax.set_xticks(range(pos.size), [str(p) for p in pos], fontsize=7)
        ax.figure.colorbar(im, ax=ax, label=f"coefficient (+ = class {classes[1]})")
    elif kind == "logo":
        for j in range(pos.size):
            up, down = 0.0, 0.0
            for b in np.argsort(-np.abs(mat[:, j])):
                v = mat[b, j]
                if v == 0:
                    continue
                base = "ACGT"[b]
                bottom = up if v > 0 else down
                ax.bar(j, v, bottom=bottom, color=_BASE_COLORS[base], width=0.85, edgecolor="none")
                ax.text(j, bottom + v / 2, base, ha="center", va="center", fontsize=8, color="white",
                        fontweight="bold")
                if v > 0:
                    up += v
                else:
                    down += v
        ax.axhline(0, color="black", lw=0.6)
        ax.set_xticks(range(pos.size), [str(p) for p in pos], fontsize=7)
        ax.set_ylabel(f"coefficient\n(+ {classes[1]} / − {classes[0]})")
    else:
        raise ValidationError(f"kind must be 'logo' or 'heatmap', got {kind!r}")
    lo, hi = np.searchsorted(pos, 0) - 0.5, np.searchsorted(pos, W - 1) + 0.5
    ax.axvspan(lo, hi, color="grey", alpha=0.12, zorder=0)
    ax.set_xlabel("position from motif start (shaded: core site)")
    ax.set_title(f"Core model ({model}): {rec['auc'].loc[model, 'test_auc']:.3f} test AUC"
                 if model in rec["auc"].index else f"Core model ({model})")
    return ax


def tfscope_environment_data(adata: AnnData, *, key: str = "tfscope", model: str = "environment", top: int = 15):
    """The numbers behind :func:`tfscope_environment`: region × k-mer matrix of the selected environment features.

    The columns are the elementary intervals cut by every region boundary of the ``top`` features (largest
    |coefficient|); the rows are their k-mers, ordered by largest |coefficient|. A cell sums the coefficients of
    the features with that k-mer whose region covers the interval, so overlapping multi-scale bins add up.

    Parameters
    ----------
    adata
        Object on which :func:`pyomics_bridge.tl.tfscope` was run.
    key
        ``.uns`` key of the result.
    model
        ``"environment"`` or ``"full"``.
    top
        Number of features used.

    Returns
    -------
    :class:`pandas.DataFrame` (k-mers × ``"[start,end)"`` intervals in bp from the anchored motif); empty when no
    environment feature is selected.
    """
    import pandas as pd

    col, env = _top_selected(_record(adata, key)["features"], "environment", model, top)
    if env.empty:
        return pd.DataFrame(dtype=float)
    starts, ends = env["region_start"].to_numpy(int), env["region_end"].to_numpy(int)
    edges = np.unique(np.r_[starts, ends])
    kmers = list(dict.fromkeys(env["kmer"].astype(str)))  # first occurrence = largest |coefficient|
    M = np.zeros((len(kmers), edges.size - 1))
    row = {k: i for i, k in enumerate(kmers)}
    for km, a, b, c in zip(env["kmer"].astype(str), starts, ends, env[col].to_numpy(float), strict=True):
        M[row[km], np.searchsorted(edges, a) : np.searchsorted(edges, b)] += c
    cols = [f"[{a:+d},{b:+d})" for a, b in zip(edges[:-1], edges[1:], strict=True)]
    return pd.DataFrame(M, index=pd.Index(kmers, name="kmer"), columns=pd.Index(cols, name="region"))


def tfscope_environment(adata: AnnData, *, key: str = "tfscope", model: str = "environment", top: int = 15,
                        kind: str = "heatmap", ax=None):
    """Region × k-mer view of the selected environment features, coloured by the signed coefficient.

    Parameters
    ----------
    adata
        Object on which :func:`pyomics_bridge.tl.tfscope` was run.
    key
        ``.uns`` key of the result.
    model
        ``"environment"`` or ``"full"``.
    top
        Number of features (largest absolute coefficients).
    kind
        ``"heatmap"``: k-mers × position intervals, cells as in :func:`tfscope_environment_data` (interval widths to
        scale); ``"segments"``: one line per feature over its region.
    ax
        Axes to draw into.

    Returns
    -------
    The :class:`matplotlib.axes.Axes`.
    """
    import matplotlib as mpl

    if kind not in ("heatmap", "segments"):
        raise ValidationError(f"kind must be 'heatmap' or 'segments', got {kind!r}")
    rec = _record(adata, key)
    col, env = _top_selected(rec["features"], "environment", model, top)
    ax = get_ax(ax, figsize=(6.5, max(2.5, 0.3 * len(env) + 1)))
    if env.empty:
        ax.text(0.5, 0.5, "no environment feature selected", ha="center", va="center", transform=ax.transAxes)
        return ax
    cmap = mpl.colormaps["RdBu_r"]
    if kind == "heatmap":
        M = tfscope_environment_data(adata, key=key, model=model, top=top)
        edges = np.unique(np.r_[env["region_start"].to_numpy(int), env["region_end"].to_numpy(int)])
        lim = max(np.abs(M.to_numpy()).max(), 1e-9)
        norm = mpl.colors.Normalize(-lim, lim)
        ax.pcolormesh(edges, np.arange(M.shape[0] + 1), M.to_numpy(), cmap=cmap, norm=norm, edgecolors="white",
                      linewidth=0.3)
        ax.set_yticks(np.arange(M.shape[0]) + 0.5, M.index.tolist(), fontsize=7)
        ax.set_ylabel("k-mer")
    else:
        lim = max(env[col].abs().max(), 1e-9)
        norm = mpl.colors.Normalize(-lim, lim)
        for i, (_name, row) in enumerate(env.iterrows()):
            ax.hlines(i, row["region_start"], row["region_end"], color=cmap(norm(row[col])), lw=6)
        ax.set_yticks(range(len(env)), [f"{r['kmer']}  [{r['region_start']:+d},{r['region_end']:+d})"
                                          for _, r in env.iterrows()], fontsize=7)
    ax.invert_yaxis()
    ax.axvline(0, color="black", lw=0.6, ls=":")
    ax.set_xlabel("position relative to the anchored motif (bp, motif orientation)")
    sm = mpl.cm.ScalarMappable(norm=norm, cmap=cmap)
    ax.figure.colorbar(sm, ax=ax, label=f"coefficient (+ = class {list(rec['classes'])[1]})")
    ax.set_title(f"Environment features ({model})")
    return ax


def tfscope_cofactors(adata: AnnData, *, key: str = "tfscope", model: str = "cofactor", top: int = 15, ax=None):
    """Bar chart of the co-factor features with the largest absolute coefficients (stability in the labels).

    Parameters
    ----------
    adata
        Object on which :func:`pyomics_bridge.tl.tfscope` was run.
    key
        ``.uns`` key of the result.
    model
        ``"cofactor"`` or ``"full"``.
    top
        Number of bars.
    ax
        Axes to draw into.

    Returns
    -------
    The :class:`matplotlib.axes.Axes`.
    """
    rec = _record(adata, key)
    col, cof = _top_selected(rec["features"], "cofactor", model, top)
    ax = get_ax(ax, figsize=(6.0, max(2.5, 0.3 * len(cof) + 1)))
    if cof.empty:
        ax.text(0.5, 0.5, "no co-factor feature selected", ha="center", va="center", transform=ax.transAxes)
        return ax
    stab = cof.get(f"stability_{model}")
    labels = [n + (f"  ({s:.2f})" if stab is not None else "") for n, s in
              zip(cof.index, stab if stab is not None else [0] * len(cof), strict=True)]
    ax.barh(range(len(cof)), cof[col], color=np.where(cof[col] > 0, "#b2182b", "#2166ac"))
    ax.set_yticks(range(len(cof)), labels, fontsize=7)
    ax.invert_yaxis()
    ax.axvline(0, color="black", lw=0.6)
    classes = list(rec["classes"])
    ax.set_xlabel(f"coefficient (+ = class {classes[1]}, − = class {classes[0]}); (stability)")
    ax.set_title(f"Co-factor features ({model})")
    return ax


def tfscope_roc(adata: AnnData, *, key: str = "tfscope", models=None, ax=None):
    """Held-out ROC curves of the per-family and full models.

    Parameters
    ----------
    adata
        Object on which :func:`pyomics_bridge.tl.tfscope` was run.
    key
        ``.uns`` key of the result.
    models
        Models to draw (default: every model except the drop-family ones).
    ax
        Axes to draw into.

    Returns
    -------
    The :class:`matplotlib.axes.Axes`.
    """
    rec = _record(adata, key)
    roc = rec["roc"]
    models = [m for m in roc if not m.startswith("drop_")] if models is None else list(models)
    ax = get_ax(ax, figsize=(4.5, 4.2))
    for m in models:
        if m not in roc:
            raise ValidationError(f"unknown model {m!r}; available: {list(roc)}")
        ax.plot(roc[m]["fpr"], roc[m]["tpr"], label=f"{m} (AUC {rec['auc'].loc[m, 'test_auc']:.3f})")
    ax.plot([0, 1], [0, 1], color="grey", lw=0.6, ls="--")
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title("Held-out ROC")
    return ax
