"""Plots of the ectopic-activation pipeline: per-gene threshold scan and the hazard-ratio forest plot.

Each figure is drawn from the table of a ``*_data`` function (the numbers plotted, testable without matplotlib):
:func:`threshold_scan` ← :func:`threshold_scan_data`; :func:`forest` ← :func:`forest_data`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from anndata import AnnData

from .._conventions import ValidationError, check_data
from ._utils import get_ax


def threshold_scan_data(adata: AnnData, *, gene: str, key: str = "prognostic") -> pd.DataFrame:
    """The numbers behind :func:`threshold_scan`: p-value and hazard ratio at each cut of one gene.

    Parameters
    ----------
    adata
        Object on which :func:`pyomics_bridge.tl.prognostic_thresholds` ran (with the grid stored).
    gene
        Gene name.
    key
        ``.uns`` key of the thresholds.

    Returns
    -------
    DataFrame, one row per percentile of the grid: ``percentile``, ``threshold``, ``n_activated``,
    ``admissible``, ``selected``, ``p`` (binary Cox p where computed, else log-rank p), ``neg_log10_p`` and
    ``hr`` (Cox HR where computed, else the log-rank HR).
    """
    check_data(adata)
    if key not in adata.uns or "grid" not in adata.uns[key]:
        raise ValidationError(f"adata.uns[{key!r}]['grid'] not found: run pob.tl.prognostic_thresholds("
                              f"adata, key_added={key!r}, store_grid=True) first")
    grid = adata.uns[key]["grid"]
    sub = grid[grid["gene"].astype(str) == str(gene)]
    if sub.empty:
        raise ValidationError(f"gene {gene!r} is not in adata.uns[{key!r}]['grid']")
    p = sub["cox_p"].where(sub["cox_p"].notna(), sub["logrank_p"]).to_numpy(float)
    hr = sub["cox_hr"].where(sub["cox_hr"].notna(), sub["logrank_hr"]).to_numpy(float)
    with np.errstate(divide="ignore"):
        lp = -np.log10(p)
    return pd.DataFrame({"percentile": sub["percentile"].to_numpy(float),
                         "threshold": sub["threshold"].to_numpy(float),
                         "n_activated": sub["n_activated"].to_numpy(np.int64),
                         "admissible": sub["admissible"].to_numpy(bool),
                         "selected": sub["selected"].to_numpy(bool),
                         "p": p, "neg_log10_p": lp, "hr": hr})


def threshold_scan(adata: AnnData, *, gene: str, key: str = "prognostic", alpha: float | None = None, ax=None):
    """Hazard ratio and -log10 p across the percentile grid of one gene, with the selected cut.

    Parameters
    ----------
    adata
        Object on which :func:`pyomics_bridge.tl.prognostic_thresholds` ran (with the grid stored).
    gene
        Gene name.
    key
        ``.uns`` key of the thresholds.
    alpha
        Significance line (default: the ``alpha`` used).
    ax
        Axes to draw into (the HR goes on a twin axis).

    Returns
    -------
    The :class:`matplotlib.axes.Axes` of the p-values; the numbers drawn are :func:`threshold_scan_data`.
    """
    sub = threshold_scan_data(adata, gene=gene, key=key)
    alpha = float(adata.uns[key]["params"].get("alpha", 0.05)) if alpha is None else alpha
    ax = get_ax(ax)
    pct = sub["percentile"].to_numpy(float)
    adm = sub["admissible"].to_numpy(bool)
    lp = sub["neg_log10_p"].to_numpy(float)
    hr = sub["hr"].to_numpy(float)
    ax.plot(pct, np.where(adm, lp, np.nan), "-o", ms=3, color="C0", label="-log10 p (admissible)")
    ax.plot(pct, np.where(adm, np.nan, lp), "o", ms=2, color="0.7", label="outside bounds")
    ax.axhline(-np.log10(alpha), ls="--", color="C0", lw=0.8)
    if sub["selected"].any():
        ax.axvline(float(sub.loc[sub["selected"], "percentile"].iloc[0]), color="k", lw=1, label="selected")
    ax.set_xlabel("percentile of tumour expression (threshold)")
    ax.set_ylabel("-log10 p", color="C0")
    ax2 = ax.twinx()
    ax2.plot(pct, hr, "-", color="C3", lw=1.2)
    ax2.axhline(1.0, ls=":", color="C3", lw=0.8)
    ax2.set_ylabel("hazard ratio (activated vs not)", color="C3")
    ax.set_title(str(gene))
    ax.legend(frameon=False, fontsize=8, loc="upper left")
    return ax


def forest_data(adata: AnnData, *, key: str = "validate_panel") -> pd.DataFrame:
    """The numbers behind :func:`forest`: hazard ratios with their 95 % CI, one row per line drawn (top first).

    Parameters
    ----------
    adata
        Object on which :func:`pyomics_bridge.tl.validate_panel` or :func:`~pyomics_bridge.tl.activation_score`
        (with survival) ran.
    key
        ``.uns`` key holding ``hr_table``.

    Returns
    -------
    DataFrame indexed by label (panel genes, then the activation count): ``hr``, ``hr_lower``, ``hr_upper``,
    ``p``, ``y`` (vertical position in the plot) and ``label`` (tick text).
    """
    check_data(adata)
    if key not in adata.uns or "hr_table" not in adata.uns[key]:
        raise ValidationError(f"adata.uns[{key!r}]['hr_table'] not found: run pob.tl.validate_panel or "
                              "pob.tl.activation_score with time_key/event_key first")
    tab = adata.uns[key]["hr_table"]
    out = tab[["hr", "hr_lower", "hr_upper", "p"]].astype(float).copy()
    out["y"] = np.arange(len(tab))[::-1]
    out["label"] = [f"{g}  (p={p:.2g})" for g, p in zip(tab.index, tab["p"], strict=True)]
    return out


def forest(adata: AnnData, *, key: str = "validate_panel", ax=None):
    """Forest plot of the hazard-ratio table (per panel gene and for the activation count).

    Parameters
    ----------
    adata
        Object on which :func:`pyomics_bridge.tl.validate_panel` or :func:`~pyomics_bridge.tl.activation_score`
        (with survival) ran.
    key
        ``.uns`` key holding ``hr_table``.
    ax
        Axes to draw into.

    Returns
    -------
    The :class:`matplotlib.axes.Axes`; the numbers drawn are :func:`forest_data`.
    """
    tab = forest_data(adata, key=key)
    ax = get_ax(ax, figsize=(5.0, 0.4 * len(tab) + 1.2))
    y = tab["y"].to_numpy()
    hr = tab["hr"].to_numpy(float)
    lo, hi = tab["hr_lower"].to_numpy(float), tab["hr_upper"].to_numpy(float)
    ax.errorbar(hr, y, xerr=[hr - lo, hi - hr], fmt="s", color="k", ecolor="0.4", capsize=3)
    ax.axvline(1.0, ls="--", color="0.5")
    ax.set_xscale("log")
    ax.set_yticks(y)
    ax.set_yticklabels(tab["label"].tolist())
    ax.set_xlabel("hazard ratio (95% CI)")
    return ax
