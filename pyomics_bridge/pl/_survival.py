"""Kaplan–Meier curves from ``adata.uns[key]`` written by :func:`pyomics_bridge.tl.kaplan_meier`."""

from __future__ import annotations

import numpy as np
from anndata import AnnData

from .._conventions import ValidationError, check_data
from ._utils import get_ax


def kaplan_meier(
    adata: AnnData,
    *,
    key: str = "kaplan_meier",
    logrank_key: str | None = "logrank",
    show_ci: bool = True,
    show_censors: bool = True,
    ax=None,
):
    """Step plot of the Kaplan–Meier curves, with confidence bands, censoring marks and the log-rank p-value.

    Parameters
    ----------
    adata
        Object on which :func:`pyomics_bridge.tl.kaplan_meier` was run.
    key
        ``.uns`` key of the curves.
    logrank_key
        ``.uns`` key of a log-rank result to print in the legend title, if present.
    show_ci
        Draw the pointwise confidence band.
    show_censors
        Mark censoring times with "+".
    ax
        Axes to draw into.

    Returns
    -------
    The :class:`matplotlib.axes.Axes`.
    """
    check_data(adata)
    if key not in adata.uns or "table" not in adata.uns[key]:
        raise ValidationError(f"adata.uns[{key!r}] not found: run pob.tl.kaplan_meier(adata, key_added={key!r}) first")
    table = adata.uns[key]["table"]
    order = list(adata.uns[key]["median"].index)
    ax = get_ax(ax)
    for label in order:
        sub = table[table["group"].astype(str) == str(label)]
        t = np.concatenate(([0.0], sub["time"].to_numpy()))
        s = np.concatenate(([1.0], sub["survival"].to_numpy()))
        (line,) = ax.step(t, s, where="post", label=f"{label} (n={int(sub['n_risk'].iloc[0])})")
        if show_ci:
            lo = np.concatenate(([1.0], sub["lower"].to_numpy()))
            hi = np.concatenate(([1.0], sub["upper"].to_numpy()))
            ax.fill_between(t, lo, hi, step="post", alpha=0.15, color=line.get_color(), linewidth=0)
        if show_censors:
            cens = sub[sub["n_censor"] > 0]
            ax.plot(cens["time"], cens["survival"], "+", color=line.get_color(), markersize=7)
    title = None
    if logrank_key and logrank_key in adata.uns and "pvalue" in adata.uns[logrank_key]:
        title = f"log-rank p = {float(adata.uns[logrank_key]['pvalue']):.3g}"
    ax.legend(title=title, frameon=False)
    ax.set_xlabel(adata.uns[key]["params"].get("time_key", "time"))
    ax.set_ylabel("survival probability")
    ax.set_ylim(-0.02, 1.02)
    return ax
