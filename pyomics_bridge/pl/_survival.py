"""Kaplan–Meier curves from ``adata.uns[key]`` written by :func:`pyomics_bridge.tl.kaplan_meier`.

The curves of a prognostic score (:func:`pyomics_bridge.tl.activation_score`,
:func:`pyomics_bridge.tl.validate_panel`, stored as ``uns[key]["km"]`` / ``["km_median"]`` with the log-rank test
in ``uns[key]["logrank"]``) are drawn the same way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from anndata import AnnData

from .._conventions import ValidationError, check_data
from ._utils import get_ax


def km_record(adata: AnnData, key: str, logrank_key: str | None = None):
    """Resolve the curves stored under ``adata.uns[key]``.

    Returns ``(table, order, pvalue, time_label)``: the KM table (``["table"]`` of :func:`tl.kaplan_meier`, or
    ``["km"]`` of a prognostic score), the group order, the log-rank p-value to print (from
    ``uns[logrank_key]`` if present, else the score's own ``uns[key]["logrank"]``) or None, and the x label.
    """
    if key not in adata.uns:
        raise ValidationError(f"adata.uns[{key!r}] not found: run pob.tl.kaplan_meier(adata, key_added={key!r}) "
                              "(or pob.tl.activation_score / validate_panel with survival) first")
    record = adata.uns[key]
    def is_km(frame) -> bool:
        return isinstance(frame, pd.DataFrame) and {"group", "time", "survival", "n_risk"} <= set(frame.columns)

    if is_km(record.get("table")):
        table, medians = record["table"], record.get("median")
    elif is_km(record.get("km")):
        table, medians = record["km"], record.get("km_median")
    else:
        raise ValidationError(f"adata.uns[{key!r}] holds no Kaplan–Meier curves (neither 'table' from "
                              f"pob.tl.kaplan_meier nor 'km' from a prognostic score with survival); "
                              f"keys present: {sorted(record)}")
    present = pd.unique(table["group"].astype(str))
    if medians is not None:
        order = [str(g) for g in medians.index if str(g) in set(present)]
    else:
        order = [str(g) for g in present]
    pvalue = None
    if logrank_key and logrank_key in adata.uns and "pvalue" in adata.uns[logrank_key]:
        pvalue = float(adata.uns[logrank_key]["pvalue"])
    elif logrank_key and "logrank" in record and "pvalue" in record["logrank"]:
        pvalue = float(record["logrank"]["pvalue"])
    params = record.get("params", {})
    time_label = params.get("time_key") or "time"
    return table, order, pvalue, str(time_label)


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
        ``.uns`` key of the curves: ``uns[key]["table"]`` (:func:`pyomics_bridge.tl.kaplan_meier`) or
        ``uns[key]["km"]`` (a prognostic score, e.g. ``key="validate_panel"``).
    logrank_key
        ``.uns`` key of a log-rank result to print in the legend title, if present; a prognostic score's own
        ``uns[key]["logrank"]`` is used otherwise (``None`` prints no p-value).
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
    table, order, pvalue, time_label = km_record(adata, key, logrank_key)
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
    title = None if pvalue is None else f"log-rank p = {pvalue:.3g}"
    ax.legend(title=title, frameon=False)
    ax.set_xlabel(time_label)
    ax.set_ylabel("survival probability")
    ax.set_ylim(-0.02, 1.02)
    return ax
