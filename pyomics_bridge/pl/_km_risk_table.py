"""Kaplan–Meier curves with a numbers-at-risk table below them (as in clinical papers and survminer).

``numbers_at_risk`` computes the table from the curves that :func:`pyomics_bridge.tl.kaplan_meier` stores
(``adata.uns[key]["table"]``), with R ``summary(survfit, times=..., extend=TRUE)``'s definitions: at time
:math:`\\tau` the number at risk is the number of subjects with follow-up :math:`\\ge \\tau` (all subjects
before the first time, 0 after the last), and the cumulative numbers of events and censorings are those at times
:math:`\\le \\tau`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from anndata import AnnData

from .._conventions import ValidationError, check_data
from ._survival import kaplan_meier as _km_plot
from ._survival import km_record
from ._utils import pyplot

_REQUIRED = ("group", "time", "n_risk", "n_event", "n_censor")


def _group_order(table: pd.DataFrame, order=None) -> list:
    if order is not None:
        return [str(g) for g in order]
    col = table["group"]
    if isinstance(col.dtype, pd.CategoricalDtype):
        return [str(g) for g in col.cat.categories if (col == g).any()]
    return [str(g) for g in pd.unique(col)]


def numbers_at_risk(table: pd.DataFrame, times, *, groups=None) -> pd.DataFrame:
    """Numbers at risk and cumulative events / censorings of Kaplan–Meier curves at given times.

    Parameters
    ----------
    table
        A Kaplan–Meier table with columns ``group``, ``time``, ``n_risk``, ``n_event``, ``n_censor`` (one row per
        distinct time and group, as :func:`pyomics_bridge.survival.kaplan_meier` and
        ``adata.uns["kaplan_meier"]["table"]``).
    times
        Times (>= 0) at which to count.
    groups
        Group order of the output (default: the table's categorical order, else order of appearance).

    Returns
    -------
    Long table with one row per group and time: ``group``, ``time``, ``n_risk`` (follow-up >= time),
    ``cum_events`` and ``cum_censored`` (at times <= time). ``n_risk`` equals R's
    ``summary(survfit(...), times = times, extend = TRUE)$n.risk``.
    """
    if not isinstance(table, pd.DataFrame):
        raise ValidationError(f"table must be a pandas DataFrame, got {type(table).__name__}")
    missing = [c for c in _REQUIRED if c not in table.columns]
    if missing:
        raise ValidationError(f"table lacks the column(s) {missing}; expected a Kaplan–Meier table")
    tt = np.atleast_1d(np.asarray(times, dtype=np.float64))
    if tt.ndim != 1 or tt.size == 0 or not np.isfinite(tt).all() or (tt < 0).any():
        raise ValidationError("times must be a non-empty 1-d array of finite times >= 0")
    order = _group_order(table, groups)
    labels = table["group"].astype(str)
    unknown = [g for g in order if not (labels == g).any()]
    if unknown:
        raise ValidationError(f"groups {unknown} not in the table (groups: {_group_order(table)})")
    rows = []
    for g in order:
        sub = table.loc[labels == g].sort_values("time")
        t = sub["time"].to_numpy(dtype=np.float64)
        n_risk = sub["n_risk"].to_numpy(dtype=np.float64)
        ev = np.cumsum(sub["n_event"].to_numpy(dtype=np.float64))
        ce = np.cumsum(sub["n_censor"].to_numpy(dtype=np.float64))
        first_at_or_after = np.searchsorted(t, tt, side="left")
        last_at_or_before = np.searchsorted(t, tt, side="right") - 1
        at_risk = np.where(first_at_or_after < t.size, n_risk[np.minimum(first_at_or_after, t.size - 1)], 0.0)
        cum_ev = np.where(last_at_or_before >= 0, ev[np.maximum(last_at_or_before, 0)], 0.0)
        cum_ce = np.where(last_at_or_before >= 0, ce[np.maximum(last_at_or_before, 0)], 0.0)
        rows.append(pd.DataFrame({"group": g, "time": tt, "n_risk": at_risk.astype(np.int64),
                                  "cum_events": cum_ev.astype(np.int64), "cum_censored": cum_ce.astype(np.int64)}))
    out = pd.concat(rows, ignore_index=True)
    out["group"] = pd.Categorical(out["group"], categories=order)
    return out


def kaplan_meier_risk_table(
    adata: AnnData,
    *,
    key: str = "kaplan_meier",
    times=None,
    logrank_key: str | None = "logrank",
    show_ci: bool = True,
    show_censors: bool = True,
    show_events: bool = False,
    table_height: float = 0.3,
    figsize: tuple[float, float] = (6.0, 5.5),
    ax=None,
):
    """Kaplan–Meier curves (as :func:`pyomics_bridge.pl.kaplan_meier`) with a numbers-at-risk table below.

    Parameters
    ----------
    adata
        Object on which :func:`pyomics_bridge.tl.kaplan_meier` (or a prognostic score with survival) was run.
    key
        ``.uns`` key of the curves: ``uns[key]["table"]`` (:func:`pyomics_bridge.tl.kaplan_meier`) or
        ``uns[key]["km"]`` of a prognostic score (``key="validate_panel"``, ``"activation_score"``).
    times
        Times of the table columns; default: the x ticks of the curve panel inside the follow-up range.
        The x axis is then ticked at exactly these times.
    logrank_key
        ``.uns`` key of a log-rank result whose p-value goes into the legend title, if present.
    show_ci, show_censors
        Confidence bands and censoring marks on the curves.
    show_events
        Also print the cumulative number of events, as ``n_risk (events)``.
    table_height
        Height of the table panel as a fraction of the figure (new figure) or of ``ax`` (split).
    figsize
        Size of a new figure (when ``ax`` is None).
    ax
        Axes to draw into; it is split into a curve panel and a table panel below.

    Returns
    -------
    ``(ax_curves, ax_table)``: the two :class:`matplotlib.axes.Axes`; the counts drawn are in
    ``ax_table.risk_table`` (the :func:`numbers_at_risk` frame).
    """
    check_data(adata)
    table, order, _, _ = km_record(adata, key, logrank_key)
    if not 0 < table_height < 0.8:
        raise ValidationError(f"table_height must be in (0, 0.8), got {table_height}")
    plt = pyplot()
    if ax is None:
        fig = plt.figure(figsize=figsize)
        grid = fig.add_gridspec(2, 1, height_ratios=(1.0 - table_height, table_height), hspace=0.18)
        ax_curves = fig.add_subplot(grid[0])
        ax_table = fig.add_subplot(grid[1], sharex=ax_curves)
    else:
        from mpl_toolkits.axes_grid1 import make_axes_locatable

        ax_curves = ax
        divider = make_axes_locatable(ax)
        ax_table = divider.append_axes("bottom", size=f"{100 * table_height / (1 - table_height):.0f}%",
                                       pad=0.35, sharex=ax)
    _km_plot(adata, key=key, logrank_key=logrank_key, show_ci=show_ci, show_censors=show_censors, ax=ax_curves)
    t_max = float(table["time"].max())
    ax_curves.set_xlim(0.0, t_max * 1.03)
    if times is None:
        ticks = np.asarray(ax_curves.get_xticks(), dtype=np.float64)
        times = ticks[(ticks >= 0) & (ticks <= t_max)]
    times = np.atleast_1d(np.asarray(times, dtype=np.float64))
    counts = numbers_at_risk(table, times, groups=order)
    groups = list(counts["group"].cat.categories)
    colors = {}
    for line in ax_curves.get_lines():
        label = str(line.get_label())
        for g in groups:
            if label == g or label.startswith(f"{g} (n="):
                colors.setdefault(g, line.get_color())
    for row, g in enumerate(groups):
        sub = counts[counts["group"] == g]
        y = len(groups) - 1 - row
        for _, r in sub.iterrows():
            text = f"{r['n_risk']}" + (f" ({r['cum_events']})" if show_events else "")
            ax_table.text(r["time"], y, text, ha="center", va="center", fontsize=8, color=colors.get(g, "black"))
    ax_table.set_ylim(-0.6, len(groups) - 0.4)
    ax_table.set_yticks(range(len(groups)))
    ax_table.set_yticklabels(groups[::-1], fontsize=8)
    for tick, g in zip(ax_table.get_yticklabels(), groups[::-1], strict=True):
        tick.set_color(colors.get(g, "black"))
    ax_table.set_xticks(times)
    ax_curves.set_xticks(times)
    ax_curves.tick_params(labelbottom=False)
    ax_table.set_xlabel(ax_curves.get_xlabel())
    ax_curves.set_xlabel("")
    ax_table.set_title("number at risk" + (" (cumulative events)" if show_events else ""), fontsize=8, loc="left")
    for side in ("top", "right", "left"):
        ax_table.spines[side].set_visible(False)
    ax_table.tick_params(axis="y", length=0, pad=14)
    ax_curves.set_xlim(-0.03 * t_max, t_max * 1.03)
    ax_table.risk_table = counts
    return ax_curves, ax_table
