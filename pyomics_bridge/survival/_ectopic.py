r"""Survival-driven adaptive activation thresholds (the EpiMed / Flin "ectopic activation" method), vectorised.

For every gene (samples = tumours only):

1. **Grid.** Percentiles ``grid = (start, stop, step)`` (default 15, 85, 1); the threshold of a percentile is the
   linearly interpolated percentile of the gene's tumour values, and the activated group is ``x > threshold``
   (strict).
2. **Admissible cuts.** At least ``min_samples`` (20) tumours on each side (``#{x <= thr}`` and
   ``#{x > thr}``), ``thr >= noise`` (0.3) and, with a normal reference, ``thr >= reference`` (e.g. the normal
   maximum). These are the bounds of the reference method (the percentile range of the grid being the other
   two); a gene without an admissible cut is not eligible.
3. **Test at every cut.** The exact log-rank test at **all** cuts (:func:`~._cut_scan.logrank_cut_scan`,
   O(n) per gene and cut). With ``test="cox"`` (the EpiMed choice) the univariate binary Cox model (Efron ties,
   Wald p and HR, :func:`~pyomics_bridge.survival.cox_screen`) is fitted at the cuts whose log-rank p is at most
   ``shortlist_p`` (default 0.25) in the tested direction; a cut outside the shortlist cannot reach a Wald
   p <= ``alpha`` in practice (score and Wald tests agree to first order), and counts as not validated.
   A cut is **validated** when ``p <= alpha`` and the HR is in the tested direction (``"poor"``: HR >= 1).
4. **CV robustness** (``cv = (n_splits, n_repeats)``): repeated stratified K-fold, stratified on "follow-up
   longer than the median event time"; per split the threshold is re-derived **at the same percentile** inside
   the training part and inside the test part, each tested; a split succeeds when both parts are validated.
   ``cv_score`` = % of successful splits (a stability index, **not a p-value**). The splits come from
   ``random_state`` (the reference implementation is unseeded) and do not depend on ``n_jobs``.
5. **Selection.** ``"epimed"``: sort admissible cuts by validated (desc), cv_score (desc), percentile (desc: the
   most restrictive activation), p (asc) and take the first. ``"maxstat"``: the cut of maximal log-rank
   statistic in the tested direction.
6. **Selection-corrected p** of the gene (the test of "no association at any admissible cut"):
   ``"Lau94"`` (improved Bonferroni bound over the actual cuts, one-sided for ``direction`` ``"poor"`` or
   ``"good"``), ``"Lau92"`` (Lausen & Schumacher 1992 approximation over the range of low-group shares
   spanned by the admissible cuts, ``minprop``/``maxprop`` = their smallest/largest share; a gene with a single
   admissible cut gets its nominal p), ``"permutation"`` (survival rows permuted jointly for all genes, the whole grid rescanned;
   :math:`(1 + \#\{\max z^* \ge \max z\})/(1 + B)`) or ``"none"``; ``q_value`` = Benjamini–Hochberg across
   genes.

Modes: ``"epimed"`` reproduces the reference choices (Cox test, nominal p, EpiMed selection, no correction,
120-month truncation) with a seeded CV; ``"calibrated"`` uses the log-rank statistic, the maximal-statistic cut,
the Lau94 correction and BH, and validates a gene on its q-value. Both always report the continuous-expression
Cox model (``full_expression_p``/``_hr``), since dichotomising loses information.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from .._conventions import ValidationError
from .._parallel import RandomState, parallel_map, root_seed_sequence
from ._cox import CoxConvergenceWarning
from ._cox_screen import cox_screen
from ._cut_scan import CutGrid, cut_grid, logrank_cut_scan, percentile_thresholds, permutation_max_z
from ._maxstat import bh_adjust
from ._maxstat_pvalues import p_lausen92, p_lausen94_from_sums
from ._validate import check_survival_data

__all__ = ["MODES", "AdaptiveThreshold", "ThresholdResult", "adaptive_thresholds", "truncate_survival"]

MODES = ("calibrated", "epimed")
TESTS = ("cox", "logrank")
SELECTIONS = ("epimed", "maxstat")
CORRECTIONS = ("none", "Lau92", "Lau94", "permutation")
DIRECTIONS = ("poor", "good", "both")
MODE_DEFAULTS = {
    "epimed": {"test": "cox", "selection": "epimed", "correction": "none"},
    "calibrated": {"test": "logrank", "selection": "maxstat", "correction": "Lau94"},
}
# ``hr`` in the per-gene table is always the binary Cox HR at the selected cut (its sign agrees with the log-rank
# statistic); ``p`` is the p-value of ``test`` there.
GENE_COLUMNS = ("eligible", "n_thresholds", "threshold", "percentile", "n_activated", "activation_frequency", "p",
                "hr", "logrank_p", "cox_p", "cox_hr", "max_z", "cv_score", "threshold_interval", "cv_interval",
                "p_corrected", "q_value", "validated", "full_expression_p", "full_expression_hr")


def truncate_survival(time, event, truncate: float | None):
    """Administrative censoring: times above ``truncate`` become ``truncate`` with no event."""
    t, e = check_survival_data(time, event)
    if truncate is None:
        return t, e
    if not np.isfinite(truncate) or truncate <= 0:
        raise ValidationError(f"truncate must be a positive number of time units or None, got {truncate}")
    over = t > truncate
    return np.where(over, float(truncate), t), e & ~over


@dataclass
class ThresholdResult:
    """Output of :func:`adaptive_thresholds`: ``table`` (per gene), ``grid`` (per gene and cut, long format,
    or ``None``), ``cv_splits`` (number of CV splits) and ``params`` (resolved settings)."""

    table: pd.DataFrame
    grid: pd.DataFrame | None
    cv_splits: int
    params: dict = field(default_factory=dict)


# --------------------------------------------------------------------------- helpers
def _percentile_grid(grid) -> np.ndarray:
    try:
        start, stop, step = (float(v) for v in grid)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"grid must be (start, stop, step) percentiles, got {grid!r}") from exc
    if not (0.0 <= start <= stop <= 100.0) or step <= 0:
        raise ValidationError(f"grid must satisfy 0 <= start <= stop <= 100 and step > 0, got {grid!r}")
    pct = np.round(np.arange(start, stop + step / 2.0, step), 10)
    return pct[pct <= stop + 1e-9]


def _directed(z: np.ndarray, direction: str) -> np.ndarray:
    if direction == "poor":
        return z
    if direction == "good":
        return -z
    return np.abs(z)


def _hr_ok(hr: np.ndarray, direction: str) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        if direction == "poor":
            return hr >= 1.0
        if direction == "good":
            return hr <= 1.0
        return np.isfinite(hr) | np.isinf(hr)


def _binary_cox(X: np.ndarray, grid: CutGrid, t, e, mask: np.ndarray, lr_p: np.ndarray | None = None):
    """Efron Cox Wald p and HR of ``x > threshold`` at the (gene, cut) pairs of ``mask`` (NaN elsewhere).

    A group without events makes the Cox estimate diverge (separation): its HR is reported as exactly 0
    (no event among the activated) or ``inf`` (all events among the activated), with the log-rank p of the cut
    (``lr_p``) in place of the meaningless Wald p.
    """
    p = np.full(mask.shape, np.nan)
    hr = np.full(mask.shape, np.nan)
    gi, ci = np.nonzero(mask)
    if gi.size == 0:
        return p, hr
    B = X[:, gi] > grid.thresholds[gi, ci][None, :]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CoxConvergenceWarning)
        res = cox_screen(B, t, e)
    pv, h = res["p"].to_numpy(), res["hr"].to_numpy()
    ev_on = e.astype(np.float64) @ B
    ev_off = e.sum() - ev_on
    zero = (ev_on == 0) | (ev_off == 0)
    if zero.any():
        h = np.where(ev_on == 0, 0.0, np.where(ev_off == 0, np.inf, h))
        pv = np.where(zero, np.nan if lr_p is None else lr_p[gi, ci], pv)
    p[gi, ci] = pv
    hr[gi, ci] = h
    return p, hr


def _test_grid(X, grid, t, e, test, direction, shortlist_p, valid_cut):
    lr = logrank_cut_scan(grid, t, e)
    if test == "logrank":
        return lr, lr["pvalue"], lr["hr"], np.full(lr["z"].shape, np.nan), np.full(lr["z"].shape, np.nan)
    with np.errstate(invalid="ignore"):
        need = valid_cut & (lr["pvalue"] <= shortlist_p) & (_directed(lr["z"], direction) > 0)
    cp, chr_ = _binary_cox(X, grid, t, e, need, lr["pvalue"])
    return lr, cp, chr_, cp, chr_


def _cv_task(task) -> np.ndarray:
    """Successes (genes × cuts, bool) of one CV split: both parts validated at the same percentile.

    Only the cuts of ``mask`` (those validated on the whole cohort: the others get no CV score) are tested, and
    the test part only where the training part is validated: the Cox models of the other cuts could not change
    the result.
    """
    X, t, e, parts, pct, test, alpha, direction, shortlist_p, mask = task
    ok = mask.copy()
    for idx in parts:
        Xp, tp, ep = X[idx], t[idx], e[idx]
        grid = cut_grid(Xp, pct)
        valid = (grid.n_on > 0) & (grid.n_on < idx.size)
        if not ep.any():
            return np.zeros(grid.n_on.shape, dtype=bool)
        _, p, hr, _, _ = _test_grid(Xp, grid, tp, ep, test, direction, shortlist_p, valid & ok)
        with np.errstate(invalid="ignore"):
            ok &= valid & (p <= alpha) & _hr_ok(hr, direction)
        if not ok.any():
            break
    return ok


def _cv_splits(t, e, n_splits, n_repeats, random_state):
    from sklearn.model_selection import RepeatedStratifiedKFold, StratifiedKFold

    med = np.median(t[e]) if e.any() else np.median(t)
    label = (t > med).astype(int)
    counts = np.bincount(label, minlength=2)
    seed = int(root_seed_sequence(random_state).generate_state(1)[0])
    splitter = RepeatedStratifiedKFold(n_splits=n_splits, n_repeats=n_repeats, random_state=seed)
    if counts.min() < n_splits:  # too few in a stratum: plain shuffled folds
        from sklearn.model_selection import RepeatedKFold

        splitter = RepeatedKFold(n_splits=n_splits, n_repeats=n_repeats, random_state=seed)
    del StratifiedKFold
    return list(splitter.split(np.zeros(t.size), label))


def _lau94(z_dir, admissible, n_on, n, two_sided):
    """Lau94 bound of max z over the admissible cuts (cuts ordered by percentile; eps = low-group share)."""
    eps = (n - n_on) / n
    both = admissible[:, :-1] & admissible[:, 1:]
    e1, e2 = eps[:, :-1], eps[:, 1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        tt = np.sqrt(np.clip(1.0 - e1 * (1.0 - e2) / ((1.0 - e1) * e2), 0.0, None))
    tt = np.where(both & np.isfinite(tt), tt, 0.0)
    zz = np.where(admissible & np.isfinite(z_dir), z_dir, -np.inf)
    top = zz.max(axis=1)
    ok = np.isfinite(top)
    p = np.full(top.shape, np.nan)
    p[ok] = p_lausen94_from_sums(top[ok], tt.sum(axis=1)[ok], (tt**3).sum(axis=1)[ok], two_sided=two_sided)
    return p, top


def _lau92(top, admissible, n_on, n, two_sided):
    """Lau92 p of the max z ``top`` over the range of low-group shares of the admissible cuts of each gene."""
    from scipy import stats

    eps = np.where(admissible, (n - n_on) / n, np.nan)
    p = np.full(top.shape, np.nan)
    for i in np.flatnonzero(np.isfinite(top)):
        lo, hi = np.nanmin(eps[i]), np.nanmax(eps[i])
        if 0.0 < lo < hi < 1.0:
            p[i] = p_lausen92(top[i], lo, hi, two_sided=two_sided)
        else:  # a single admissible share: no search, the nominal p
            p[i] = (2.0 if two_sided else 1.0) * stats.norm.sf(top[i])
    return np.minimum(p, 1.0)


# --------------------------------------------------------------------------- main function
def adaptive_thresholds(
    X,
    time,
    event,
    *,
    reference=None,
    var_names=None,
    mode: str = "calibrated",
    grid=(15.0, 85.0, 1.0),
    min_samples: int = 20,
    noise: float | None = 0.3,
    test: str | None = None,
    selection: str | None = None,
    correction: str | None = None,
    direction: str = "poor",
    alpha: float = 0.05,
    cv=(5, 1),
    n_perm: int = 1000,
    truncate: float | None = 120.0,
    shortlist_p: float = 0.25,
    full_expression: bool = True,
    store_grid: bool | None = None,
    cv_hr: int | None = None,
    cv_hr_by: str = "threshold",
    random_state: RandomState = 0,
    n_jobs: int | None = None,
) -> ThresholdResult:
    """Adaptive survival-driven activation threshold of every gene (see the module documentation).

    Parameters
    ----------
    X
        Tumour expression, samples × genes (log scale; any monotone scale gives the same groups).
    time, event
        Survival of the same samples.
    reference
        Optional per-gene lower bound of the threshold (e.g. the normal-tissue maximum), NaN = none.
    var_names
        Gene names (default: DataFrame columns or ``g0, g1, ...``).
    mode
        ``"calibrated"`` or ``"epimed"``; sets the defaults of ``test``, ``selection`` and ``correction``.
    grid
        ``(start, stop, step)`` percentiles.
    min_samples
        Minimum tumours on each side of an admissible cut.
    noise
        Minimum threshold (log-scale noise level); ``None``: no floor.
    test
        ``"cox"`` (Wald p and HR of the binary Efron Cox model) or ``"logrank"`` (exact log-rank, Peto HR).
    selection
        ``"epimed"`` or ``"maxstat"``.
    correction
        ``"none"``, ``"Lau92"``, ``"Lau94"`` or ``"permutation"`` (``n_perm`` permutations).
    direction
        ``"poor"`` (activation = higher hazard, the EpiMed rule HR >= 1), ``"good"`` or ``"both"``.
    alpha
        Level of the nominal validation (and of the q-value in calibrated mode).
    cv
        ``(n_splits, n_repeats)`` of the CV robustness score, or ``None`` to skip it (cv_score NaN).
    truncate
        Administrative censoring time (120 months, as EpiMed), or ``None``.
    shortlist_p
        Log-rank p above which the Cox model is not fitted at a cut (``test="cox"``).
    full_expression
        Also fit the Cox model on the continuous expression.
    store_grid
        Return the per-cut table (default: when at most 5,000 genes).
    cv_hr
        Number of repeats of the 2-fold cross-validated HR (Faraggi & Simon: the cut is selected in one half and
        tested in the other, :func:`~pyomics_bridge.survival.cross_validated_hr`), which removes the optimism
        of the HR at the selected cut; adds the columns ``cv_hr``, ``cv_hr_p``, ``cv_hr_logrank_p``,
        ``cv_hr_repeats``. ``None`` (default): not computed.
    cv_hr_by
        ``"threshold"`` or ``"percentile"``: how the other half is classified.
    random_state
        Seed of the CV splits and permutations.
    n_jobs
        Parallel CV splits / permutation chunks; results do not depend on it.

    Returns
    -------
    :class:`ThresholdResult`; ``table`` has the columns :data:`GENE_COLUMNS`.
    """
    if mode not in MODES:
        raise ValidationError(f"mode must be one of {list(MODES)}, got {mode!r}")
    test = MODE_DEFAULTS[mode]["test"] if test is None else test
    selection = MODE_DEFAULTS[mode]["selection"] if selection is None else selection
    correction = MODE_DEFAULTS[mode]["correction"] if correction is None else correction
    for name, value, allowed in (("test", test, TESTS), ("selection", selection, SELECTIONS),
                                 ("correction", correction, CORRECTIONS), ("direction", direction, DIRECTIONS)):
        if value not in allowed:
            raise ValidationError(f"{name} must be one of {list(allowed)}, got {value!r}")
    if not 0 < alpha < 1:
        raise ValidationError(f"alpha must be in (0, 1), got {alpha}")
    if isinstance(min_samples, bool) or int(min_samples) != min_samples or min_samples < 1:
        raise ValidationError(f"min_samples must be a positive integer, got {min_samples!r}")
    pct = _percentile_grid(grid)
    if isinstance(X, pd.DataFrame):
        var_names = list(X.columns) if var_names is None else var_names
        X = X.to_numpy()
    try:
        X = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValidationError("X must be a numeric samples x genes matrix") from exc
    if X.ndim != 2:
        raise ValidationError(f"X must be samples x genes, got shape {X.shape}")
    n, g = X.shape
    if not np.isfinite(X).all():
        raise ValidationError(f"X has {int((~np.isfinite(X)).sum())} missing or infinite value(s)")
    t, e = truncate_survival(time, event, truncate)
    if t.size != n:
        raise ValidationError(f"X has {n} rows (samples) but time/event have {t.size}")
    if not e.any():
        raise ValidationError("event has no events (after truncation): nothing to test")
    names = pd.Index([f"g{j}" for j in range(g)] if var_names is None else [str(v) for v in var_names])
    if names.size != g:
        raise ValidationError(f"var_names has {names.size} names, X has {g} columns")
    lower = np.full(g, -np.inf)
    if noise is not None:
        lower[:] = float(noise)
    if reference is not None:
        ref = np.asarray(reference, dtype=np.float64)
        if ref.shape != (g,):
            raise ValidationError(f"reference must have one value per gene ({g}), got shape {ref.shape}")
        lower = np.fmax(lower, ref)
    if cv_hr is not None and (isinstance(cv_hr, bool) or int(cv_hr) != cv_hr or cv_hr < 1):
        raise ValidationError(f"cv_hr must be a positive number of repeats or None, got {cv_hr!r}")
    if cv_hr_by not in ("threshold", "percentile"):
        raise ValidationError(f"cv_hr_by must be 'threshold' or 'percentile', got {cv_hr_by!r}")
    if cv is not None:
        n_splits, n_repeats = (int(v) for v in cv)
        if n_splits < 2 or n_repeats < 1:
            raise ValidationError(f"cv must be (n_splits >= 2, n_repeats >= 1) or None, got {cv!r}")

    grid_ = cut_grid(X, pct)
    thr, n_on = grid_.thresholds, grid_.n_on
    admissible = (n_on >= min_samples) & (n - n_on >= min_samples) & (thr >= lower[:, None])
    lr, p, hr, cox_p, cox_hr = _test_grid(X, grid_, t, e, test, direction, shortlist_p, admissible)
    z_dir = _directed(lr["z"], direction)
    with np.errstate(invalid="ignore"):
        validated_cut = admissible & (p <= alpha) & _hr_ok(hr, direction)

    # ---- CV robustness of the validated cuts
    cv_score = np.where(admissible, 0.0, np.nan) if cv is not None else np.full(thr.shape, np.nan)
    n_cv = 0
    genes_cv = np.flatnonzero(validated_cut.any(axis=1))
    if cv is not None and genes_cv.size:
        splits = _cv_splits(t, e, n_splits, n_repeats, random_state)
        n_cv = len(splits)
        Xs = X[:, genes_cv]
        mask = validated_cut[genes_cv]
        tasks = [(Xs, t, e, (tr, te), pct, test, alpha, direction, shortlist_p, mask) for tr, te in splits]
        succ = parallel_map(_cv_task, tasks, n_jobs=n_jobs, desc="CV splits")
        score = 100.0 * np.mean(np.stack(succ), axis=0)
        cv_score[genes_cv] = np.where(validated_cut[genes_cv], score, cv_score[genes_cv])

    # ---- selection of one cut per gene
    eligible = admissible.any(axis=1)
    gene_idx = np.repeat(np.arange(g), pct.size)
    cvs = np.nan_to_num(cv_score, nan=0.0).ravel()
    if selection == "epimed":
        pp = np.where(np.isnan(p), np.inf, p).ravel()
        keys = (pp, -np.tile(pct, g), -cvs, ~validated_cut.ravel(), ~admissible.ravel(), gene_idx)
    else:
        zz = np.where(admissible & np.isfinite(z_dir), z_dir, -np.inf).ravel()
        keys = (np.tile(pct, g), -zz, ~admissible.ravel(), gene_idx)
    order = np.lexsort(keys)
    first = np.empty(g, dtype=np.int64)
    first[gene_idx[order][::-1]] = order[::-1]  # first entry of each gene in sorted order
    best = first - np.arange(g) * pct.size
    rows = np.arange(g)
    pick = lambda a: np.where(eligible, a[rows, best], np.nan)  # noqa: E731

    # Cox at the chosen cut (always reported)
    need = np.zeros(thr.shape, dtype=bool)
    need[rows[eligible], best[eligible]] = True
    if test == "cox":
        need &= np.isnan(cox_p)
    if need.any():
        cp2, ch2 = _binary_cox(X, grid_, t, e, need, lr["pvalue"])
        cox_p = np.where(need, cp2, cox_p)
        cox_hr = np.where(need, ch2, cox_hr)
        if test == "cox":
            p, hr = np.where(need, cp2, p), np.where(need, ch2, hr)

    # ---- selection-corrected p-values
    two_sided = direction == "both"
    p_lau, top = _lau94(z_dir, admissible, n_on, n, two_sided)
    if correction == "Lau94":
        p_corr = p_lau
    elif correction == "Lau92":
        p_corr = _lau92(top, admissible, n_on, n, two_sided)
    elif correction == "permutation":
        null = permutation_max_z(grid_, t, e, admissible, n_perm=int(n_perm), random_state=random_state,
                                 n_jobs=n_jobs, direction=direction)
        hits = (null >= (top - 1e-10 * np.abs(top))[None, :]).sum(axis=0)
        p_corr = np.where(np.isfinite(top), (1.0 + hits) / (1.0 + int(n_perm)), np.nan)
    else:
        p_corr = np.full(g, np.nan)
    q = bh_adjust(p_corr)

    p_sel, hr_sel = pick(p), pick(hr)
    with np.errstate(invalid="ignore"):
        if mode == "epimed":
            validated = eligible & (p_sel <= alpha) & _hr_ok(hr_sel, direction)
        else:
            crit = q if correction != "none" else p_sel
            validated = eligible & (crit <= alpha) & _hr_ok(hr_sel, direction)
    n_adm = admissible.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        thr_interval = np.where(n_adm > 0, 100.0 * validated_cut.sum(axis=1) / n_adm, np.nan)
        cv_interval = np.where(n_adm > 0, 100.0 * (np.nan_to_num(cv_score) >= 50.0).sum(axis=1) / n_adm, np.nan)
    if cv is None:
        cv_interval[:] = np.nan
    table = pd.DataFrame({
        "eligible": eligible, "n_thresholds": n_adm.astype(np.int64), "threshold": pick(thr),
        "percentile": pick(np.broadcast_to(pct, thr.shape)), "n_activated": pick(n_on.astype(float)),
        "activation_frequency": pick(100.0 * n_on / n), "p": p_sel, "hr": pick(cox_hr),
        "logrank_p": pick(lr["pvalue"]), "cox_p": pick(cox_p), "cox_hr": pick(cox_hr),
        "max_z": np.where(np.isfinite(top), top, np.nan), "cv_score": pick(cv_score),
        "threshold_interval": thr_interval, "cv_interval": cv_interval,
        "p_corrected": p_corr, "q_value": q, "validated": validated.astype(bool),
    }, index=names)
    if full_expression:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CoxConvergenceWarning)
            fe = cox_screen(X, t, e, var_names=list(names))
        table["full_expression_p"] = fe["p"].to_numpy()
        table["full_expression_hr"] = fe["hr"].to_numpy()
    else:
        table["full_expression_p"] = np.nan
        table["full_expression_hr"] = np.nan

    if cv_hr is not None:
        from ._cv_hr import cross_validated_hr

        cvh = cross_validated_hr(
            X, t, e, n_repeats=cv_hr, by=cv_hr_by, var_names=list(names), random_state=random_state, n_jobs=n_jobs,
            reference=reference, mode=mode, grid=grid, min_samples=min_samples, noise=noise, test=test,
            selection=selection, direction=direction, alpha=alpha, shortlist_p=shortlist_p)
        for col in cvh.columns:
            table[col] = cvh[col].to_numpy()

    if store_grid is None:
        store_grid = g <= 5000
    grid_table = None
    if store_grid:
        grid_table = pd.DataFrame({
            "gene": np.repeat(names.to_numpy(), pct.size), "percentile": np.tile(pct, g),
            "threshold": thr.ravel(), "n_activated": n_on.ravel(), "admissible": admissible.ravel(),
            "z": lr["z"].ravel(), "logrank_p": lr["pvalue"].ravel(), "logrank_hr": lr["hr"].ravel(),
            "cox_p": cox_p.ravel(), "cox_hr": cox_hr.ravel(), "p": p.ravel(), "hr": hr.ravel(),
            "validated": validated_cut.ravel(), "cv_score": cv_score.ravel(),
            "selected": np.zeros(g * pct.size, dtype=bool),
        })
        sel = rows[eligible] * pct.size + best[eligible]
        grid_table.loc[sel, "selected"] = True
    params = {"mode": mode, "test": test, "selection": selection, "correction": correction,
              "direction": direction, "alpha": alpha, "grid": [float(v) for v in grid], "min_samples": int(min_samples),
              "noise": noise, "cv": None if cv is None else [n_splits, n_repeats], "n_perm": int(n_perm),
              "truncate": truncate, "shortlist_p": shortlist_p, "threshold_rule": "x > threshold",
              "percentile_method": "linear", "ties": "efron", "random_state": random_state, "cv_hr": cv_hr,
              "cv_hr_by": cv_hr_by}
    return ThresholdResult(table=table, grid=grid_table, cv_splits=n_cv, params=params)


# --------------------------------------------------------------------------- estimator
class AdaptiveThreshold(BaseEstimator):
    """Scikit-learn-style wrapper of :func:`adaptive_thresholds`.

    ``fit(X, time, event, reference=None)`` learns one threshold and percentile per gene; ``transform(X)``
    returns the activation matrix ``X > threshold_`` (same scale as training); ``transform(X, by="percentile")``
    re-derives each threshold at the learnt percentile of the new data (transfer across cohorts/platforms).

    Attributes
    ----------
    table_, grid_ : pandas.DataFrame
        Per-gene results and per-cut details (see :func:`adaptive_thresholds`).
    thresholds_, percentiles_ : numpy.ndarray
        Learnt thresholds and percentiles (NaN for non-eligible genes).
    validated_ : numpy.ndarray
        Validated genes (bool).
    """

    def __init__(self, mode: str = "calibrated", grid=(15.0, 85.0, 1.0), min_samples: int = 20,
                 noise: float | None = 0.3, test: str | None = None, selection: str | None = None,
                 correction: str | None = None, direction: str = "poor", alpha: float = 0.05, cv=(5, 1),
                 n_perm: int = 1000, truncate: float | None = 120.0, cv_hr: int | None = None,
                 random_state: RandomState = 0, n_jobs: int | None = None):
        self.mode = mode
        self.grid = grid
        self.min_samples = min_samples
        self.noise = noise
        self.test = test
        self.selection = selection
        self.correction = correction
        self.direction = direction
        self.alpha = alpha
        self.cv = cv
        self.n_perm = n_perm
        self.truncate = truncate
        self.cv_hr = cv_hr
        self.random_state = random_state
        self.n_jobs = n_jobs

    def fit(self, X, time, event, *, reference=None, var_names=None) -> AdaptiveThreshold:
        res = adaptive_thresholds(
            X, time, event, reference=reference, var_names=var_names, mode=self.mode, grid=self.grid,
            min_samples=self.min_samples, noise=self.noise, test=self.test, selection=self.selection,
            correction=self.correction, direction=self.direction, alpha=self.alpha, cv=self.cv,
            n_perm=self.n_perm, truncate=self.truncate, cv_hr=self.cv_hr, random_state=self.random_state,
            n_jobs=self.n_jobs)
        self.table_ = res.table
        self.grid_ = res.grid
        self.params_ = res.params
        self.thresholds_ = res.table["threshold"].to_numpy()
        self.percentiles_ = res.table["percentile"].to_numpy()
        self.validated_ = res.table["validated"].to_numpy()
        self.feature_names_in_ = res.table.index.to_numpy()
        self.n_features_in_ = len(self.feature_names_in_)
        return self

    def transform(self, X, *, by: str = "threshold") -> np.ndarray:
        """Activation matrix (float 0/1; NaN columns for non-eligible genes)."""
        if not hasattr(self, "thresholds_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("AdaptiveThreshold is not fitted yet; call fit(X, time, event) first")
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise ValidationError(f"X must have {self.n_features_in_} columns, got shape {X.shape}")
        if by == "threshold":
            thr = self.thresholds_
        elif by == "percentile":
            thr = transfer_by_percentile(X, self.percentiles_)
        else:
            raise ValidationError(f"by must be 'threshold' or 'percentile', got {by!r}")
        out = (X > thr[None, :]).astype(np.float64)
        out[:, np.isnan(thr)] = np.nan
        return out


def transfer_by_percentile(X, percentiles) -> np.ndarray:
    """Thresholds of ``X`` (samples × genes) at the given per-gene percentiles (NaN percentile -> NaN)."""
    X = np.asarray(X, dtype=np.float64)
    pct = np.asarray(percentiles, dtype=np.float64)
    if pct.shape != (X.shape[1],):
        raise ValidationError(f"percentiles must have one value per gene ({X.shape[1]}), got shape {pct.shape}")
    out = np.full(pct.shape, np.nan)
    ok = np.isfinite(pct)
    if ok.any():
        if ((pct[ok] < 0) | (pct[ok] > 100)).any():
            raise ValidationError("percentiles must lie in [0, 100]")
        xs = np.sort(X[:, ok].T, axis=1)
        # one percentile per gene: evaluate the gene's own percentile
        for j, (row, q) in enumerate(zip(xs, pct[ok], strict=True)):
            out[np.flatnonzero(ok)[j]] = percentile_thresholds(row[None, :], np.array([q]))[0, 0]
    return out
