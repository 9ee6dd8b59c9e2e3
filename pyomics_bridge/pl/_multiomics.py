"""Sample plots (mixOmics ``plotIndiv``) and correlation circles (``plotVar``) from the slots of ``pob.tl``."""

from __future__ import annotations

import numpy as np
import pandas as pd
from anndata import AnnData

from .._conventions import ValidationError, check_data, get_matrix
from ._utils import get_ax


def _component_pair(comps, n: int) -> tuple[int, int]:
    if len(comps) != 2 or min(comps) < 1 or max(comps) > n:
        raise ValidationError(f"comps must be two component numbers in 1..{n}, got {comps!r}")
    return comps[0] - 1, comps[1] - 1


def _ellipse(ax, xy: np.ndarray, color, level: float = 0.95) -> None:
    """Confidence ellipse of a 2-d normal fitted to ``xy`` (as ``plotIndiv(ellipse=TRUE)``)."""
    from scipy import stats

    if xy.shape[0] < 3:
        return
    cov = np.cov(xy, rowvar=False)
    vals, vecs = np.linalg.eigh(cov)
    radius = np.sqrt(stats.chi2.ppf(level, 2))
    theta = np.linspace(0, 2 * np.pi, 100)
    circle = np.column_stack([np.cos(theta), np.sin(theta)]) * np.sqrt(np.maximum(vals, 0)) * radius
    pts = circle @ vecs.T + xy.mean(axis=0)
    ax.plot(pts[:, 0], pts[:, 1], color=color, linewidth=1, alpha=0.7)


def sample_plot(
    adata: AnnData,
    *,
    basis: str,
    color: str | None = None,
    comps: tuple[int, int] = (1, 2),
    ellipse: bool = False,
    ax=None,
):
    """Samples on two components of ``adata.obsm[basis]``, coloured by an ``.obs`` column (``plotIndiv``).

    Parameters
    ----------
    adata
        Samples × features with a component matrix in ``.obsm`` (e.g. ``"X_splsda"`` from :func:`pob.tl.splsda`).
    basis
        ``.obsm`` key.
    color
        ``.obs`` column to colour by (categorical: one colour and legend entry per level).
    comps
        The two components shown, 1-based.
    ellipse
        Draw a 95% confidence ellipse per group.
    ax
        Axes to draw into.

    Returns
    -------
    The :class:`matplotlib.axes.Axes`.
    """
    check_data(adata)
    if basis not in adata.obsm:
        raise ValidationError(f"adata.obsm has no {basis!r} (available: {list(adata.obsm)})")
    emb = np.asarray(adata.obsm[basis], dtype=float)
    i, j = _component_pair(comps, emb.shape[1])
    ax = get_ax(ax)
    if color is None:
        ax.scatter(emb[:, i], emb[:, j], s=18)
    else:
        if color not in adata.obs:
            raise ValidationError(f"adata.obs has no column {color!r}")
        groups = pd.Categorical(adata.obs[color])
        cmap = __import__("matplotlib").colormaps["tab10"]
        for k, level in enumerate(groups.categories):
            mask = np.asarray(groups == level)
            c = cmap(k % 10)
            ax.scatter(emb[mask, i], emb[mask, j], s=18, color=c, label=str(level))
            if ellipse:
                _ellipse(ax, emb[mask][:, [i, j]], c)
        ax.legend(title=color, frameon=False, fontsize="small")
    key = basis.removeprefix("X_")
    ev = adata.uns.get(key, {}).get("explained_variance")
    ev_x = ev.get("X") if isinstance(ev, dict) else ev
    labels = [f"variate {c}" for c in comps]
    if ev_x is not None and len(np.ravel(ev_x)) >= max(comps):
        labels = [f"variate {c}: {100 * float(np.ravel(ev_x)[c - 1]):.0f}% expl. var" for c in comps]
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    ax.axhline(0, color="0.85", linewidth=0.8, zorder=0)
    ax.axvline(0, color="0.85", linewidth=0.8, zorder=0)
    return ax


def variable_correlations(adata: AnnData, *, basis: str, loadings: str | None = None,
                          layer: str | None = None) -> pd.DataFrame:
    """Correlation of each feature with each component (the numbers behind ``plotVar``).

    Features with an all-zero row in ``.varm[loadings]`` (unselected by a sparse method) are left out.

    Parameters
    ----------
    adata
        The object a ``pob.tl`` multi-omics function wrote into.
    basis
        ``.obsm`` key of the components.
    loadings
        ``.varm`` key of the loadings (optional).
    layer
        Correlate this layer instead of ``.X``.

    Returns
    -------
    DataFrame indexed by feature name, one column per component (``comp1``, ``comp2``, ...).
    """
    from ..multiomics import na_cor

    check_data(adata)
    if basis not in adata.obsm:
        raise ValidationError(f"adata.obsm has no {basis!r} (available: {list(adata.obsm)})")
    x = get_matrix(adata, layer=layer, allow_nan=True)
    emb = np.asarray(adata.obsm[basis], dtype=float)
    cor = na_cor(x, emb)
    keep = np.ones(adata.n_vars, dtype=bool)
    if loadings is not None:
        if loadings not in adata.varm:
            raise ValidationError(f"adata.varm has no {loadings!r} (available: {list(adata.varm)})")
        keep = (np.asarray(adata.varm[loadings]) != 0).any(axis=1)
    return pd.DataFrame(cor[keep], index=adata.var_names[keep], columns=[f"comp{h + 1}" for h in range(emb.shape[1])])


def correlation_circle(
    adata: AnnData,
    *,
    basis: str,
    loadings: str | None = None,
    comps: tuple[int, int] = (1, 2),
    highlight: str | None = None,
    label: bool = False,
    ax=None,
):
    """Correlation circle: each (selected) feature at its correlations with two components (``plotVar``).

    Parameters
    ----------
    adata
        The object a ``pob.tl`` multi-omics function wrote into.
    basis
        ``.obsm`` key of the components, e.g. ``"X_splsda"``.
    loadings
        ``.varm`` key of the loadings; features with zero loadings on every component are not shown.
    comps
        The two components shown, 1-based.
    highlight
        Boolean ``.var`` column whose True features are drawn in another colour (e.g. ground truth).
    label
        Write feature names next to the points.
    ax
        Axes to draw into.

    Returns
    -------
    The :class:`matplotlib.axes.Axes`.
    """
    cor = variable_correlations(adata, basis=basis, loadings=loadings)
    i, j = _component_pair(comps, cor.shape[1])
    ax = get_ax(ax, figsize=(4.5, 4.5))
    theta = np.linspace(0, 2 * np.pi, 200)
    for r in (1.0, 0.5):
        ax.plot(r * np.cos(theta), r * np.sin(theta), color="0.6", linewidth=0.8)
    colors = np.full(len(cor), "tab:blue", dtype=object)
    if highlight is not None:
        if highlight not in adata.var:
            raise ValidationError(f"adata.var has no column {highlight!r}")
        colors[np.asarray(adata.var.loc[cor.index, highlight], dtype=bool)] = "tab:red"
    ax.scatter(cor.iloc[:, i], cor.iloc[:, j], s=14, c=list(colors))
    if label:
        for name, (x, y) in zip(cor.index, cor.iloc[:, [i, j]].to_numpy(), strict=True):
            ax.annotate(str(name), (x, y), fontsize=6)
    ax.set_xlim(-1.05, 1.05)
    ax.set_ylim(-1.05, 1.05)
    ax.set_aspect("equal")
    ax.set_xlabel(f"component {comps[0]}")
    ax.set_ylabel(f"component {comps[1]}")
    return ax
