"""Top GO terms of a GO network (reads ``uns[key]`` written by :func:`pyomics_bridge.tl.gonet`)."""

from __future__ import annotations

import numpy as np
from anndata import AnnData

from .._conventions import ValidationError
from ._utils import get_ax


def gonet_terms(
    adata: AnnData,
    *,
    key: str = "gonet",
    group: str | None = None,
    n_terms: int = 10,
    level: int | None = None,
    ax=None,
):
    """Horizontal bar chart of the GO terms with the largest relevance.

    Parameters
    ----------
    adata
        Object with ``uns[key]`` from :func:`pyomics_bridge.tl.gonet`.
    key
        ``key_added`` of the ``tl`` call.
    group
        A class: bars show its mean signed relevance (``uns[key]["class_relevance"]``); ``None``: mean
        |relevance| over all samples.
    n_terms
        Number of bars.
    level
        Only terms of this GO level (default: all levels).
    ax
        Matplotlib axes (a new figure when ``None``).

    Returns
    -------
    The matplotlib axes.
    """
    if key not in adata.uns or "terms" not in adata.uns[key]:
        raise ValidationError(f"adata.uns has no GO-network result {key!r}; run pob.tl.gonet(..., key_added={key!r})")
    res = adata.uns[key]
    terms = res["terms"]
    if group is None:
        score = terms["mean_abs_relevance"]
        xlabel = "mean |relevance|"
    else:
        cls = res["class_relevance"]
        if str(group) not in cls.index:
            raise ValidationError(f"unknown group {group!r}; available: {list(cls.index)}")
        score = cls.loc[str(group)].reindex(terms.index)
        xlabel = f"mean relevance, class {group}"
    if level is not None:
        score = score[terms["level"] == level]
    top = score.abs().sort_values(ascending=False).index[:n_terms][::-1]
    ax = get_ax(ax, figsize=(7.0, 0.35 * n_terms + 1.2))
    vals = score.loc[top].to_numpy(dtype=float)
    labels = [f"{terms.loc[t, 'name'][:48]} ({t}, L{terms.loc[t, 'level']})" for t in top]
    colors = np.where(vals >= 0, "#b2182b", "#2166ac")
    ax.barh(np.arange(len(top)), vals, color=colors)
    ax.set_yticks(np.arange(len(top)))
    ax.set_yticklabels(labels, fontsize=8)
    ax.set_xlabel(xlabel)
    ax.axvline(0, color="k", lw=0.5)
    return ax
