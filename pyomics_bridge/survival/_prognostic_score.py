r"""Prognostic score from a panel of activated genes ("n-GEC"): count, risk groups and its evaluation.

A patient's score is :math:`n` = the number of panel genes **strictly above** their thresholds. Risk groups are
bins of :math:`n`, given as ``{label: (low, high)}`` with inclusive bounds and ``high = None`` for "and more",
e.g. the EpiMed default ``{"P1": (0, 0), "P2": (1, 2), "P3": (3, None)}``. The evaluation reports a multi-group
log-rank test across the non-empty groups, a Cox model on :math:`n` as a continuous count (HR per extra
activated gene), Harrell's C of :math:`n`, the cumulative/dynamic time-dependent AUC of :math:`n` (Uno's IPCW
estimator, :func:`pyomics_bridge.survival.time_dependent_auc`), Kaplan–Meier curves per group and the per-gene
binary Cox HRs.

Default AUC times: 36 and 60 (3 and 5 years in months, the time unit of the pipeline) where they lie inside the
follow-up and have at least one case and one control; otherwise the 25th, 50th and 75th percentiles of the event
times.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .._conventions import ValidationError
from ._cox import CoxConvergenceWarning, CoxPH, concordance_counts
from ._cox_screen import cox_screen
from ._discrimination import time_dependent_auc
from ._kaplan_meier import kaplan_meier
from ._logrank import logrank_test
from ._validate import check_survival_data

__all__ = ["DEFAULT_AUC_TIMES", "DEFAULT_BINS", "activation_count", "auc_times", "check_bins", "evaluate_score",
           "risk_groups"]

DEFAULT_BINS = {"P1": (0, 0), "P2": (1, 2), "P3": (3, None)}
DEFAULT_AUC_TIMES = (36.0, 60.0)  # 3 and 5 years, in months


def auc_times(time, event, times=None) -> np.ndarray:
    """Evaluation times of the time-dependent AUC (see the module notes for the default); may be empty."""
    t, e = check_survival_data(time, event)
    if times is not None:
        tt = np.unique(np.atleast_1d(np.asarray(times, dtype=np.float64)))
        if tt.size == 0 or not np.isfinite(tt).all():
            raise ValidationError(f"times must be a non-empty list of finite times, got {times!r}")
        return tt
    if not e.any():
        return np.empty(0)

    def usable(x):
        return x[[bool((e & (t <= v)).any() and (t > v).any()) for v in x]]

    tt = usable(np.asarray(DEFAULT_AUC_TIMES))
    if tt.size == 0:
        tt = usable(np.unique(np.percentile(t[e], [25.0, 50.0, 75.0])))
    return tt


def check_bins(bins) -> dict[str, tuple[int, int | None]]:
    """Validate risk-group bins: labels -> (low, high) inclusive, contiguous from 0, last may be open."""
    if isinstance(bins, (list, tuple)) and all(isinstance(b, (int, np.integer)) for b in bins):
        # edges form: [1, 3] -> 0 | 1-2 | >=3
        edges = [0, *[int(b) for b in bins]]
        bins = {f"P{i + 1}": (lo, (edges[i + 1] - 1) if i + 1 < len(edges) else None)
                for i, lo in enumerate(edges)}
    if not isinstance(bins, dict) or not bins:
        raise ValidationError(f"bins must be a dict {{label: (low, high)}} or a list of cut edges, got {bins!r}")
    out, expected = {}, 0
    items = list(bins.items())
    for i, (label, rng) in enumerate(items):
        try:
            lo, hi = rng
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"bin {label!r} must be (low, high), got {rng!r}") from exc
        if lo != expected:
            raise ValidationError(f"bins must be contiguous from 0: bin {label!r} starts at {lo}, expected {expected}")
        if hi is None:
            if i != len(items) - 1:
                raise ValidationError(f"only the last bin may be open-ended (high=None); bin {label!r} is not last")
        elif hi < lo:
            raise ValidationError(f"bin {label!r} has high < low: {rng!r}")
        out[str(label)] = (int(lo), None if hi is None else int(hi))
        expected = None if hi is None else int(hi) + 1
    return out


def activation_count(X, thresholds) -> np.ndarray:
    """Number of genes (columns of ``X``) strictly above their thresholds, per sample."""
    X = np.asarray(X, dtype=np.float64)
    thr = np.asarray(thresholds, dtype=np.float64)
    if X.ndim != 2 or thr.shape != (X.shape[1],):
        raise ValidationError(f"thresholds must have one value per panel gene ({X.shape[-1]}), got {thr.shape}")
    if np.isnan(thr).any():
        raise ValidationError(f"{int(np.isnan(thr).sum())} panel gene(s) have no threshold")
    return (X > thr[None, :]).sum(axis=1).astype(np.int64)


def risk_groups(n_activated, bins=None) -> pd.Categorical:
    """Bin the counts into ordered risk groups (categories in bin order)."""
    b = check_bins(DEFAULT_BINS if bins is None else bins)
    n = np.asarray(n_activated, dtype=np.int64)
    labels = np.full(n.shape, None, dtype=object)
    for label, (lo, hi) in b.items():
        labels[(n >= lo) & ((n <= hi) if hi is not None else True)] = label
    if any(v is None for v in labels):
        raise ValidationError(f"counts {sorted(set(n[[v is None for v in labels]].tolist()))} fall outside the bins")
    return pd.Categorical(labels, categories=list(b), ordered=True)


def evaluate_score(n_activated, groups: pd.Categorical, time, event, *, panel_matrix=None,
                   panel_names=None, times=None) -> dict:
    """Log-rank across the groups, Cox on the count, C-index, time-dependent AUC, KM table, per-gene HR table.

    ``times``: evaluation times of the AUC (default: see the module notes). ``out["td_auc"]`` is a DataFrame
    with ``time``, ``auc`` (NaN without case or control), ``n_cases``, ``n_controls``; ``out["td_auc_mean"]``
    the Kaplan–Meier-weighted mean.
    """
    t, e = check_survival_data(time, event)
    n = np.asarray(n_activated, dtype=np.float64)
    out: dict = {}
    present = pd.Categorical(groups).remove_unused_categories()
    if len(present.categories) >= 2 and e.any():
        lr = logrank_test(t, e, groups=present)
        out["logrank"] = {"statistic": lr.statistic, "df": lr.df, "pvalue": lr.pvalue}
        table = lr.table.copy()
        table.index = table.index.astype(str)
        out["logrank_table"] = table
    else:
        out["logrank"] = {"statistic": np.nan, "df": 0, "pvalue": np.nan}
    if np.ptp(n) > 0 and e.any():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CoxConvergenceWarning)
            fit = CoxPH().fit(n[:, None], t, e)
        out["cox"] = {"coef": float(fit.coef_.iloc[0]), "hr": float(fit.hazard_ratios_.iloc[0]),
                      "hr_lower": float(fit.conf_int_["lower"].iloc[0]),
                      "hr_upper": float(fit.conf_int_["upper"].iloc[0]), "p": float(fit.pvalues_.iloc[0]),
                      "converged": bool(fit.converged_)}
    else:
        out["cox"] = {"coef": np.nan, "hr": np.nan, "hr_lower": np.nan, "hr_upper": np.nan, "p": np.nan,
                      "converged": False}
    out["concordance"] = float(concordance_counts(t, e, n)["concordance"])
    tt = auc_times(t, e, times)
    if tt.size:
        auc = time_dependent_auc(n, t, e, tt)
        out["td_auc"] = pd.DataFrame({"time": auc.times, "auc": auc.auc, "n_cases": auc.n_cases,
                                      "n_controls": auc.n_controls})
        out["td_auc_mean"] = float(auc.mean_auc)
    else:
        out["td_auc"] = pd.DataFrame({"time": np.empty(0), "auc": np.empty(0), "n_cases": np.empty(0, np.int64),
                                      "n_controls": np.empty(0, np.int64)})
        out["td_auc_mean"] = np.nan
    km, median = kaplan_meier(t, e, np.asarray(groups.astype(str)))
    out["km"] = km.astype({"group": str})
    med = median.to_frame()
    med.index = med.index.astype(str)
    out["km_median"] = med
    counts = pd.Series(pd.Categorical(groups).value_counts(), name="n")
    counts.index = counts.index.astype(str)
    out["group_sizes"] = counts.to_frame()
    if panel_matrix is not None:
        B = np.asarray(panel_matrix, dtype=np.float64)
        names = [f"g{j}" for j in range(B.shape[1])] if panel_names is None else list(panel_names)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CoxConvergenceWarning)
            res = cox_screen(B, t, e, var_names=names)
        hr_table = res[["hr", "hr_lower", "hr_upper", "p"]].copy()
        hr_table["n_activated"] = B.sum(axis=0).astype(np.int64)
        score_row = pd.DataFrame({"hr": [out["cox"]["hr"]], "hr_lower": [out["cox"]["hr_lower"]],
                                  "hr_upper": [out["cox"]["hr_upper"]], "p": [out["cox"]["p"]],
                                  "n_activated": [int((n > 0).sum())]}, index=["n_activated (per gene)"])
        out["hr_table"] = pd.concat([hr_table, score_row])
        out["hr_table"].index = out["hr_table"].index.astype(str)
    return out
