r"""Two-fold cross-validated hazard ratio of an optimised cut-point (Faraggi & Simon 1996; Mayo 2-fold procedure).

The hazard ratio at the cut selected on the whole cohort is biased away from 1 (the cut was chosen because it
separates the curves best). The 2-fold cross-validated HR removes that optimism:

1. split the patients into two halves, stratified on "follow-up longer than the median event time" (the
   stratification of the CV robustness score);
2. in each half, select every gene's cut with the same rule as on the whole cohort
   (:func:`~pyomics_bridge.survival.adaptive_thresholds` without CV), and classify the patients of the **other**
   half with it (``by="threshold"``: the learnt absolute threshold; ``by="percentile"``: the learnt percentile,
   re-derived on the other half as in a transfer across cohorts);
3. pool the two out-of-half classifications and test them **once**: binary Cox model (Efron; HR and Wald p) and
   log-rank p. A group without events gives an HR of exactly 0 or ``inf`` with the log-rank p;
4. repeat with new splits (``n_repeats``, seeded) and report the median HR and median p.

A gene that is not eligible in a half (no admissible cut) has no cross-validated HR in that repeat.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .._conventions import ValidationError
from .._parallel import RandomState, parallel_map
from ._cox import CoxConvergenceWarning
from ._cox_screen import cox_screen
from ._cut_scan import percentile_thresholds
from ._logrank_screen import logrank_screen

__all__ = ["cross_validated_hr"]

CV_HR_COLUMNS = ("cv_hr", "cv_hr_p", "cv_hr_logrank_p", "cv_hr_repeats")


def _pooled_labels(X, t, e, halves, by, kwargs):
    from ._ectopic import adaptive_thresholds

    n, g = X.shape
    lab = np.full((n, g), np.nan)
    for train, test in (halves, halves[::-1]):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CoxConvergenceWarning)
            res = adaptive_thresholds(X[train], t[train], e[train], cv=None, correction="none", truncate=None,
                                      full_expression=False, store_grid=False, **kwargs).table
        if by == "threshold":
            thr = res["threshold"].to_numpy()
        else:
            pct = res["percentile"].to_numpy()
            thr = np.full(g, np.nan)
            ok = np.isfinite(pct)
            if ok.any():
                xs = np.sort(X[test][:, ok].T, axis=1)
                thr[ok] = [percentile_thresholds(row[None, :], np.array([q]))[0, 0]
                           for row, q in zip(xs, pct[ok], strict=True)]
        on = (X[test] > thr[None, :]).astype(np.float64)
        on[:, ~np.isfinite(thr)] = np.nan
        lab[test] = on
    return lab


def _repeat_task(task, rng: np.random.Generator):
    from sklearn.model_selection import StratifiedKFold

    X, t, e, label, by, kwargs = task
    seed = int(rng.integers(2**31 - 1))
    counts = np.bincount(label, minlength=2)
    if counts.min() >= 2:
        folds = list(StratifiedKFold(n_splits=2, shuffle=True, random_state=seed).split(np.zeros(t.size), label))
    else:
        perm = rng.permutation(t.size)
        folds = [(perm[t.size // 2:], perm[: t.size // 2]), (perm[: t.size // 2], perm[t.size // 2:])]
    halves = (folds[0][1], folds[1][1])
    lab = _pooled_labels(X, t, e, halves, by, kwargs)
    g = X.shape[1]
    hr, p, lp = np.full(g, np.nan), np.full(g, np.nan), np.full(g, np.nan)
    ok = np.isfinite(lab).all(axis=0)
    ok &= (np.nansum(lab, axis=0) > 0) & (np.nansum(lab, axis=0) < t.size)
    if ok.any():
        B = lab[:, ok]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CoxConvergenceWarning)
            cs = cox_screen(B, t, e)
        lr = logrank_screen(B.astype(bool), t, e)["pvalue"].to_numpy()
        h, pv = cs["hr"].to_numpy(), cs["p"].to_numpy()
        ev_on = e.astype(np.float64) @ B
        ev_off = e.sum() - ev_on
        zero = (ev_on == 0) | (ev_off == 0)
        h = np.where(ev_on == 0, 0.0, np.where(ev_off == 0, np.inf, h))
        pv = np.where(zero, lr, pv)
        hr[ok], p[ok], lp[ok] = h, pv, lr
    return hr, p, lp


def cross_validated_hr(X, time, event, *, n_repeats: int = 10, by: str = "threshold", var_names=None,
                       random_state: RandomState = 0, n_jobs: int | None = None, **kwargs) -> pd.DataFrame:
    """Two-fold cross-validated HR and p of each gene's optimised cut (see the module documentation).

    Parameters
    ----------
    X
        Tumour expression, samples × genes.
    time, event
        Survival (already truncated: pass ``truncate=None`` semantics; see
        :func:`~pyomics_bridge.survival.truncate_survival`).
    n_repeats
        Number of random 2-fold splits.
    by
        ``"threshold"`` (classify the other half with the learnt threshold) or ``"percentile"``.
    var_names
        Gene names (default ``g0, g1, ...`` or the DataFrame columns).
    random_state
        Seed of the splits; results do not depend on ``n_jobs``.
    n_jobs
        Parallel repeats.
    **kwargs
        Selection settings passed to :func:`~pyomics_bridge.survival.adaptive_thresholds` (``mode``, ``grid``,
        ``min_samples``, ``noise``, ``reference``, ``test``, ``selection``, ``direction``, ``alpha``,
        ``shortlist_p``).

    Returns
    -------
    pandas.DataFrame
        Per gene: ``cv_hr`` (median over repeats of the pooled out-of-half HR), ``cv_hr_p`` (median Wald p),
        ``cv_hr_logrank_p`` (median log-rank p), ``cv_hr_repeats`` (repeats with a result).
    """
    from ._validate import check_survival_data

    if isinstance(n_repeats, bool) or int(n_repeats) != n_repeats or n_repeats < 1:
        raise ValidationError(f"n_repeats must be a positive integer, got {n_repeats!r}")
    if by not in ("threshold", "percentile"):
        raise ValidationError(f"by must be 'threshold' or 'percentile', got {by!r}")
    bad = sorted(set(kwargs) & {"cv", "correction", "truncate", "full_expression", "store_grid", "n_jobs",
                                "random_state", "var_names", "cv_hr"})
    if bad:
        raise ValidationError(f"cross_validated_hr does not take {bad} (CV-free selection in each half)")
    if isinstance(X, pd.DataFrame):
        var_names = list(X.columns) if var_names is None else var_names
        X = X.to_numpy()
    X = np.asarray(X, dtype=np.float64)
    t, e = check_survival_data(time, event)
    if X.ndim != 2 or X.shape[0] != t.size:
        raise ValidationError(f"X must be samples x genes with {t.size} rows, got shape {X.shape}")
    if not e.any():
        raise ValidationError("event has no events: nothing to test")
    names = [f"g{j}" for j in range(X.shape[1])] if var_names is None else [str(v) for v in var_names]
    med = np.median(t[e])
    label = (t > med).astype(int)
    tasks = [(X, t, e, label, by, kwargs)] * int(n_repeats)
    parts = parallel_map(_repeat_task, tasks, n_jobs=n_jobs, random_state=random_state, desc="2-fold CV HR")
    hr = np.stack([p[0] for p in parts])
    pw = np.stack([p[1] for p in parts])
    pl = np.stack([p[2] for p in parts])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN genes
        out = pd.DataFrame({"cv_hr": np.nanmedian(hr, axis=0), "cv_hr_p": np.nanmedian(pw, axis=0),
                            "cv_hr_logrank_p": np.nanmedian(pl, axis=0),
                            "cv_hr_repeats": np.isfinite(pl).sum(axis=0).astype(np.int64)},
                           index=pd.Index(names))
    return out
