r"""Maximally selected log-rank statistics: the optimal cut point of a continuous variable and its corrected p.

The method is that of Lausen & Schumacher (1992) and Hothorn & Lausen (2003), the semantics those of R's
``maxstat::maxstat.test(Surv(time, event) ~ x, smethod = "LogRank")``:

* **Scores.** Log-rank scores :math:`a_i = \delta_i - \sum_{u \le t_i} d_u / r_u`, summing over the distinct
  times :math:`u` with :math:`d_u` events, where :math:`r_u = 1 + \#\{j : t_j > u\}` (the convention of
  ``exactRankTests::cscores``; without tied times :math:`r_u` is the number at risk and :math:`a_i` is the event
  indicator minus the Nelson–Aalen cumulative hazard).
* **Cut points.** The distinct values :math:`c` of ``x`` whose count :math:`m = \#\{i : x_i \le c\}` satisfies
  :math:`\lfloor n\,\mathrm{minprop} \rfloor \le m \le \lfloor n\,\mathrm{maxprop} \rfloor` (and :math:`m < n`).
  The low group is :math:`x \le c`.
* **Statistic.** The linear rank statistic :math:`S_c = \sum_{x_i \le c} a_i`, standardized by its permutation
  (conditional on the scores) mean and variance

  .. math:: E = m\bar a, \qquad V = \frac{m (n - m)}{n (n - 1)} \sum_i (a_i - \bar a)^2, \qquad
            T_c = (S_c - E)/\sqrt V,

  and :math:`M = \max_c |T_c|`; the estimated cut point is the first :math:`c` attaining it.

After one sort of ``x`` every :math:`S_c` is a cumulative sum of the scores in ``x`` order, so the whole scan costs
O(n) per variable (and per permutation). :math:`T_c > 0` means that the low group has more events than expected,
i.e. lower ``x`` goes with higher hazard.

p-values (``pmethod``): ``"none"``; ``"Lau92"`` and ``"Lau94"`` (see :mod:`._maxstat_pvalues`); ``"condMC"``, the
conditional Monte Carlo p-value :math:`(1 + \#\{M^* \ge M\}) / (1 + B)` over :math:`B` random permutations of the
scores (R reports :math:`\#\{M^* \ge M\}/B`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._conventions import ValidationError
from .._parallel import RandomState, parallel_map
from ._maxstat_pvalues import lau94_sums, p_lausen92, p_lausen94_from_sums
from ._validate import check_survival_data

__all__ = [
    "PMETHODS",
    "MaxstatResult",
    "bh_adjust",
    "logrank_scores",
    "maxstat_cutpoint",
    "maxstat_screen",
    "permutation_maxT",
]

PMETHODS = ("none", "Lau92", "Lau94", "condMC")
ALTERNATIVES = ("two-sided", "greater", "less")
_PERM_CHUNK = 250  # permutations per task: fixed, so results do not depend on n_jobs
_TIE_RTOL = 1e-10  # a permuted / competing statistic within this relative distance counts as equal


@dataclass(frozen=True)
class MaxstatResult:
    """Result of :func:`maxstat_cutpoint` and of the R reference
    :func:`pyomics_bridge.r.survival_maxstat.maxstat_test`.

    Attributes
    ----------
    cutpoint
        Estimated cut point: the low group is ``x <= cutpoint``.
    statistic
        The maximally selected statistic: :math:`\\max |T|` (two-sided, as R's ``statistic``), or the maximum of
        the one-sided statistic.
    pvalue
        Selection-corrected p-value by ``pmethod`` (NaN for ``"none"``).
    cuts
        Candidate cut points (increasing).
    stats
        The statistic maximised, per cut: :math:`|T_c|` for two-sided (as R's ``stats``), :math:`-T_c` for
        ``"greater"``, :math:`T_c` for ``"less"``.
    pmethod, alternative, minprop, maxprop
        The settings used.
    n_low, n_high
        Group sizes at the cut point (``x <= cutpoint`` / ``x > cutpoint``).
    n
        Number of observations.
    z
        Signed standardized statistics :math:`T_c` per cut (positive: the low group has excess events); ``None``
        from the R reference, which does not report the sign.
    n_perm
        Number of permutations for ``"condMC"``, else ``None``.
    """

    cutpoint: float
    statistic: float
    pvalue: float
    cuts: np.ndarray
    stats: np.ndarray
    pmethod: str
    n_low: int
    n_high: int
    n: int
    alternative: str = "two-sided"
    minprop: float = 0.1
    maxprop: float = 0.9
    z: np.ndarray | None = field(default=None, repr=False)
    n_perm: int | None = None


# --------------------------------------------------------------------------- validation
def _check_props(minprop: float, maxprop: float) -> tuple[float, float]:
    try:
        lo, hi = float(minprop), float(maxprop)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"minprop and maxprop must be numbers, got {minprop!r}, {maxprop!r}") from exc
    if not (0.0 <= lo < 1.0 and 0.0 < hi <= 1.0):
        raise ValidationError(f"minprop must be in [0, 1) and maxprop in (0, 1], got {lo} and {hi}")
    if lo >= hi:
        raise ValidationError(f"minprop must be < maxprop, got minprop={lo} >= maxprop={hi}")
    return lo, hi


def _check_options(pmethod: str, alternative: str, n_perm, minprop: float, maxprop: float) -> int | None:
    if pmethod not in PMETHODS:
        raise ValidationError(f"pmethod must be one of {list(PMETHODS)}, got {pmethod!r}")
    if alternative not in ALTERNATIVES:
        raise ValidationError(f"alternative must be one of {list(ALTERNATIVES)}, got {alternative!r}")
    if pmethod == "Lau92" and not (minprop > 0.0 and maxprop < 1.0):
        raise ValidationError(f"pmethod='Lau92' needs 0 < minprop < maxprop < 1, got {minprop}, {maxprop}")
    if pmethod == "condMC":
        if isinstance(n_perm, bool) or not isinstance(n_perm, (int, np.integer)) or n_perm < 1:
            raise ValidationError(f"n_perm must be a positive integer, got {n_perm!r}")
        return int(n_perm)
    return None


def _check_x(x, n: int, name: str = "x") -> np.ndarray:
    try:
        v = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{name} must be numeric") from exc
    if v.ndim != 1:
        raise ValidationError(f"{name} must be 1-dimensional, got shape {v.shape}")
    if v.size != n:
        raise ValidationError(f"{name} has {v.size} values but time/event have {n}")
    if np.isnan(v).any():
        raise ValidationError(f"{name} has {int(np.isnan(v).sum())} missing value(s); drop those samples first")
    if not np.isfinite(v).all():
        raise ValidationError(f"{name} must be finite")
    return v


# --------------------------------------------------------------------------- kernel pieces
def logrank_scores(time, event) -> np.ndarray:
    r"""Log-rank scores :math:`a_i = \delta_i - \sum_{u \le t_i} d_u / (1 + \#\{j: t_j > u\})`.

    This is the convention of ``exactRankTests::cscores`` used by R's ``maxstat`` (``smethod = "LogRank"``).
    Without tied times it equals the event indicator minus the Nelson–Aalen cumulative hazard at :math:`t_i`.
    """
    t, e = check_survival_data(time, event)
    return _logrank_scores(t, e)


def _logrank_scores(t: np.ndarray, e: np.ndarray) -> np.ndarray:
    ut, inv = np.unique(t, return_inverse=True)
    d = np.bincount(inv, weights=e.astype(np.float64), minlength=ut.size)
    n_after = t.size - np.searchsorted(np.sort(t), ut, side="right")
    hazard = np.cumsum(d / (n_after + 1.0))
    return e.astype(np.float64) - hazard[inv]


def _bounds(n: int, minprop: float, maxprop: float) -> tuple[int, int]:
    """Smallest and largest admissible size ``m`` of the low group."""
    return math.floor(n * minprop), min(math.floor(n * maxprop), n - 1)


def _inv_sd(centered: np.ndarray) -> np.ndarray:
    """``1 / sqrt(V(m))`` for m = 1..n (index m-1); 0 where V = 0 (m = n)."""
    n = centered.size
    ss = float(centered @ centered)
    m = np.arange(1, n + 1, dtype=np.float64)
    var = m * (n - m) / (n * (n - 1.0)) * ss
    with np.errstate(divide="ignore"):
        return np.where(var > 0, 1.0 / np.sqrt(var), 0.0)


def _directed(z: np.ndarray, alternative: str) -> np.ndarray:
    if alternative == "two-sided":
        return np.abs(z)
    return -z if alternative == "greater" else z


def _prepare(time, event):
    t, e = check_survival_data(time, event)
    if t.size < 2:
        raise ValidationError(f"need at least 2 observations, got {t.size}")
    a = _logrank_scores(t, e)
    c = a - a.mean()
    if not np.any(np.abs(c) > 1e-12 * max(1.0, float(np.abs(a).max()))):
        raise ValidationError("the log-rank scores are all equal (no events?): the statistic is undefined")
    return t, e, c


def _first_argmax(values: np.ndarray) -> int:
    top = values.max()
    return int(np.flatnonzero(values >= top - _TIE_RTOL * abs(top))[0])


# --------------------------------------------------------------------------- permutations
def _perm_single_task(task, rng: np.random.Generator) -> int:
    """Count permutations (of one chunk) whose maximal statistic reaches the observed one."""
    size, c, order, pos, inv_sd, alternative, observed = task
    perms = rng.permuted(np.broadcast_to(c, (size, c.size)), axis=1)
    z = np.cumsum(perms[:, order], axis=1)[:, pos] * inv_sd
    best = _directed(z, alternative).max(axis=1)
    return int(np.count_nonzero(best >= observed - _TIE_RTOL * abs(observed)))


def _chunks(n_perm: int) -> list[int]:
    full, rest = divmod(n_perm, _PERM_CHUNK)
    return [_PERM_CHUNK] * full + ([rest] if rest else [])


def maxstat_cutpoint(
    x,
    time,
    event,
    *,
    minprop: float = 0.1,
    maxprop: float = 0.9,
    pmethod: str = "none",
    n_perm: int = 10_000,
    alternative: str = "two-sided",
    percentiles=None,
    random_state: RandomState = None,
    n_jobs: int | None = None,
) -> MaxstatResult:
    """Maximally selected log-rank statistic: the optimal cut point of ``x`` for survival, with a corrected p.

    Same semantics and numbers as R's ``maxstat::maxstat.test(Surv(time, event) ~ x, smethod = "LogRank")``
    (see the module documentation for the definitions). The scan over all cut points is O(n) after one sort.

    Parameters
    ----------
    x
        The continuous variable (no missing values).
    time, event
        Follow-up times and event indicators (1/True = event).
    minprop, maxprop
        Only cuts leaving between ``floor(n * minprop)`` and ``floor(n * maxprop)`` observations in the low
        group ``x <= cut`` are considered.
    pmethod
        ``"none"``, ``"Lau92"`` (Lausen & Schumacher 1992), ``"Lau94"`` (Lausen, Sauerbrei & Schumacher 1994)
        or ``"condMC"`` (conditional Monte Carlo over ``n_perm`` permutations of the scores).
    n_perm
        Number of permutations for ``"condMC"``.
    alternative
        ``"two-sided"`` (:math:`\\max |T|`, as R); ``"greater"``: the high group ``x > cut`` has the higher
        hazard (maximises :math:`-T`); ``"less"``: it has the lower hazard (maximises :math:`T`).
    percentiles
        Restrict the candidate cuts to a percentile grid (the adaptive-threshold grid of
        :func:`~pyomics_bridge.survival.adaptive_thresholds`): the cut of percentile :math:`q` splits at its
        linearly interpolated threshold (low group ``x <= threshold``, i.e. the complement of the activated group
        ``x > threshold``). Cuts giving the same groups count once, and ``minprop``/``maxprop`` still apply.
        ``"Lau94"`` and ``"condMC"`` then account for exactly these cuts (equivalent to R's ``maxstat.test`` on
        ``x`` replaced by the index of its grid interval).
    random_state
        Seed for ``"condMC"``; the p-value depends on it but not on ``n_jobs``.
    n_jobs
        Workers for the permutations (see :func:`pyomics_bridge._parallel.parallel_map`).

    Returns
    -------
    :class:`MaxstatResult`

    Raises
    ------
    ValidationError
        Missing values in ``x``, bad props, no admissible cut point (e.g. constant ``x``), no events.
    """
    t, _, c = _prepare(time, event)
    n = t.size
    v = _check_x(x, n)
    minprop, maxprop = _check_props(minprop, maxprop)
    n_perm = _check_options(pmethod, alternative, n_perm, minprop, maxprop)

    order = np.argsort(v, kind="stable")
    xs = v[order]
    last = np.ones(n, dtype=bool)
    last[:-1] = xs[1:] != xs[:-1]
    pos = np.flatnonzero(last)
    lo, hi = _bounds(n, minprop, maxprop)
    if percentiles is not None:
        from ._cut_scan import percentile_thresholds

        pct = np.atleast_1d(np.asarray(percentiles, dtype=np.float64))
        if pct.size == 0 or not np.isfinite(pct).all() or (pct < 0).any() or (pct > 100).any():
            raise ValidationError(f"percentiles must be values in [0, 100], got {percentiles!r}")
        thr = percentile_thresholds(xs[None, :], np.sort(pct))[0]
        pos = np.unique(np.searchsorted(xs, thr, side="right") - 1)  # last sample of each low group x <= thr
        pos = pos[pos >= 0]
    pos = pos[(pos + 1 >= lo) & (pos + 1 <= hi)]
    if pos.size == 0:
        raise ValidationError(
            f"no admissible cut point: no distinct value of x leaves between floor(n*minprop)={lo} and "
            f"floor(n*maxprop)={hi} of the n={n} observations at or below it (constant or nearly constant x?)"
        )
    inv_sd = _inv_sd(c)[pos]
    z = np.cumsum(c[order])[pos] * inv_sd
    stat_per_cut = _directed(z, alternative)
    best = _first_argmax(stat_per_cut)
    statistic = float(stat_per_cut[best])
    m = pos + 1
    two_sided = alternative == "two-sided"

    if pmethod == "none":
        pvalue = float("nan")
    elif pmethod == "Lau92":
        pvalue = p_lausen92(statistic, minprop, maxprop, two_sided=two_sided)
    elif pmethod == "Lau94":
        s1, s3 = lau94_sums(m / n)
        pvalue = p_lausen94_from_sums(statistic, s1, s3, two_sided=two_sided)
    else:
        tasks = [(size, c, order, pos, inv_sd, alternative, statistic) for size in _chunks(n_perm)]
        hits = sum(parallel_map(_perm_single_task, tasks, n_jobs=n_jobs, random_state=random_state,
                                desc="maxstat permutations"))
        pvalue = (1.0 + hits) / (1.0 + n_perm)

    return MaxstatResult(
        cutpoint=float(xs[pos[best]]), statistic=statistic, pvalue=float(pvalue), cuts=xs[pos].copy(),
        stats=stat_per_cut, pmethod=pmethod, n_low=int(m[best]), n_high=int(n - m[best]), n=n,
        alternative=alternative, minprop=minprop, maxprop=maxprop, z=z, n_perm=n_perm,
    )


# --------------------------------------------------------------------------- many variables
def _as_matrix(X):
    if isinstance(X, pd.DataFrame):
        names = X.columns
        values = X.to_numpy(dtype=np.float64)
    else:
        try:
            values = np.asarray(X, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValidationError("X must be a numeric samples x variables matrix") from exc
        names = None
    if values.ndim != 2:
        raise ValidationError(f"X must be 2-dimensional (samples x variables), got shape {values.shape}")
    if values.shape[1] == 0:
        raise ValidationError("X has no columns (variables)")
    if np.isnan(values).any():
        bad = int(np.isnan(values).any(axis=0).sum())
        raise ValidationError(f"X has missing values in {bad} column(s); impute or drop them first")
    if not np.isfinite(values).all():
        raise ValidationError("X must be finite")
    if names is None:
        names = pd.RangeIndex(values.shape[1])
    return values, pd.Index(names, name="variable")


@dataclass
class _Scan:
    """Everything the permutations need about a block of variables (sorted orders, admissible rows)."""

    order: np.ndarray  # hi x g: the first hi rows of the argsort of each column (hi = largest admissible m)
    start: int  # first row that can be admissible (lo - 1)
    excluded: np.ndarray  # (hi - start) x g: rows start..hi-1 that are not admissible cuts


def _block_size(n: int, budget: int = 1_000_000) -> int:
    return max(1, budget // max(n, 1))


def _scan_block(Xb: np.ndarray, c: np.ndarray, inv_sd: np.ndarray, rows_ok: np.ndarray, alternative: str,
                keep: bool):
    n, g = Xb.shape
    order = np.argsort(Xb, axis=0, kind="stable").astype(np.int32 if n < 2**31 else np.int64)
    xs = np.take_along_axis(Xb, order, axis=0)
    adm = np.empty((n, g), dtype=bool)
    adm[:-1] = xs[1:] != xs[:-1]
    adm[-1] = True
    adm &= rows_ok[:, None]
    z = np.cumsum(c[order], axis=0) * inv_sd[:, None]
    d = np.where(adm, _directed(z, alternative), -np.inf)
    top = d.max(axis=0)
    has = np.isfinite(top)
    # first row reaching the maximum (up to rounding), as the single-variable scan
    reach = d >= (top - _TIE_RTOL * np.abs(np.where(has, top, 0.0)))[None, :]
    best = np.argmax(reach, axis=0)
    cols = np.arange(g)
    cut = np.where(has, xs[best, cols], np.nan)
    n_cuts = adm.sum(axis=0)
    # Lau94 sums over consecutive admissible cuts: the next admissible m after each admissible row
    m = np.arange(1, n + 1, dtype=np.float64)
    big = np.where(adm, m[:, None], np.inf)
    nxt = np.full((n, g), np.inf)
    nxt[:-1] = np.minimum.accumulate(big[::-1], axis=0)[::-1][1:]
    pair = adm & np.isfinite(nxt)
    e1 = np.where(pair, m[:, None] / n, 0.5)
    e2 = np.where(pair, nxt / n, 0.5)
    tt = np.sqrt(np.clip(1.0 - e1 * (1.0 - e2) / ((1.0 - e1) * e2), 0.0, None))
    tt = np.where(pair, tt, 0.0)
    out = {
        "cutpoint": cut,
        "statistic": np.where(has, top, np.nan),
        "n_low": np.where(has, best + 1, 0),
        "n_cuts": n_cuts,
        "_sum_t": tt.sum(axis=0),
        "_sum_t3": (tt**3).sum(axis=0),
    }
    if not keep:
        return out, None
    rows = np.flatnonzero(rows_ok)
    start, stop = (int(rows[0]), int(rows[-1]) + 1) if rows.size else (0, 0)
    return out, _Scan(order=order[:stop].copy(), start=start, excluded=~adm[start:stop])


def _scan_matrix(values, c, minprop, maxprop, alternative, *, keep: bool = False):
    n, p = values.shape
    lo, hi = _bounds(n, minprop, maxprop)
    m = np.arange(1, n + 1)
    rows_ok = (m >= lo) & (m <= hi)
    inv_sd = _inv_sd(c)
    parts, scans = [], []
    step = _block_size(n)
    for start in range(0, p, step):
        out, scan = _scan_block(values[:, start:start + step], c, inv_sd, rows_ok, alternative, keep)
        parts.append(out)
        if keep:
            scans.append(scan)
    res = {k: np.concatenate([part[k] for part in parts]) for k in parts[0]} if parts else {}
    return res, scans, inv_sd


def _perm_matrix_task(task, rng: np.random.Generator):
    """For one chunk of permutations: per permutation, the maximal statistic of every variable (size x p)."""
    size, c, scans, inv_sd, alternative = task
    out = []
    for _ in range(size):
        cp = rng.permutation(c)
        row = []
        for scan in scans:
            if scan.excluded.shape[0] == 0:
                row.append(np.full(scan.excluded.shape[1], -np.inf))
                continue
            z = cp[scan.order]
            np.cumsum(z, axis=0, out=z)
            z = z[scan.start:]
            z *= inv_sd[scan.start:scan.start + z.shape[0], None]
            if alternative == "two-sided":
                np.abs(z, out=z)
            elif alternative == "greater":
                np.negative(z, out=z)
            np.copyto(z, -np.inf, where=scan.excluded)
            row.append(z.max(axis=0))
        out.append(np.concatenate(row) if row else np.empty(0))
    return np.asarray(out).reshape(size, -1)


def _perm_counts_task(task, rng: np.random.Generator):
    """Per-variable exceedance counts (condMC) and max-T counts for one chunk of permutations."""
    size, c, scans, inv_sd, alternative, observed, rank_order = task
    perm = _perm_matrix_task((size, c, scans, inv_sd, alternative), rng)
    tol = _TIE_RTOL * np.abs(np.nan_to_num(observed))
    ok = np.isfinite(observed)
    marginal = (perm >= (observed - tol)[None, :]).sum(axis=0)
    # single step: the maximum over all (valid) variables
    perm_valid = np.where(ok[None, :], perm, -np.inf)
    overall = perm_valid.max(axis=1)
    single = (overall[:, None] >= (observed - tol)[None, :]).sum(axis=0)
    # step-down (Westfall & Young): successive maxima over the variables ranked at or below each one
    ranked = perm_valid[:, rank_order]
    succ = np.maximum.accumulate(ranked[:, ::-1], axis=1)[:, ::-1]
    obs_r = observed[rank_order]
    stepdown = np.zeros(observed.size, dtype=np.int64)
    stepdown[rank_order] = (succ >= (obs_r - tol[rank_order])[None, :]).sum(axis=0)
    return marginal, single, stepdown


def _run_permutations(n_perm, c, scans, inv_sd, alternative, observed, random_state, n_jobs):
    ok = np.isfinite(observed)
    # valid variables by decreasing observed statistic, invalid ones last
    rank_order = np.lexsort((np.arange(observed.size), -np.where(ok, observed, -np.inf)))
    tasks = [(size, c, scans, inv_sd, alternative, observed, rank_order) for size in _chunks(n_perm)]
    results = parallel_map(_perm_counts_task, tasks, n_jobs=n_jobs, random_state=random_state,
                           desc="maxstat permutations")
    marginal = sum(r[0] for r in results)
    single = sum(r[1] for r in results)
    stepdown = sum(r[2] for r in results)
    return marginal, single, stepdown, rank_order


def _prepare_matrix(X, time, event, minprop, maxprop):
    t, _, c = _prepare(time, event)
    values, names = _as_matrix(X)
    if values.shape[0] != t.size:
        raise ValidationError(f"X has {values.shape[0]} rows (samples) but time/event have {t.size}")
    minprop, maxprop = _check_props(minprop, maxprop)
    return t, c, values, names, minprop, maxprop


def maxstat_screen(
    X,
    time,
    event,
    *,
    minprop: float = 0.1,
    maxprop: float = 0.9,
    pmethod: str = "Lau94",
    n_perm: int = 1000,
    alternative: str = "two-sided",
    random_state: RandomState = None,
    n_jobs: int | None = None,
) -> pd.DataFrame:
    """:func:`maxstat_cutpoint` for every column of ``X`` (samples x variables, e.g. genes), vectorised.

    The survival scores are computed once; each column costs one sort and one cumulative sum. ``"condMC"``
    permutes the scores once per permutation and rescans every column with that same permutation.

    Returns
    -------
    DataFrame indexed by variable with ``cutpoint``, ``statistic``, ``pvalue`` (by ``pmethod``; NaN for
    ``"none"``), ``pvalue_bh`` (Benjamini–Hochberg across the variables), ``n_low``, ``n_high`` and ``n_cuts``.
    Columns without an admissible cut (e.g. constant) get NaN and ``n_cuts = 0`` instead of an error.
    """
    t, c, values, names, minprop, maxprop = _prepare_matrix(X, time, event, minprop, maxprop)
    n_perm = _check_options(pmethod, alternative, n_perm, minprop, maxprop)
    n = t.size
    res, scans, inv_sd = _scan_matrix(values, c, minprop, maxprop, alternative, keep=pmethod == "condMC")
    stat = res["statistic"]
    two_sided = alternative == "two-sided"
    ok = np.isfinite(stat)
    if pmethod == "none":
        pvalue = np.full(stat.size, np.nan)
    elif pmethod == "Lau92":
        pvalue = np.where(ok, p_lausen92(np.nan_to_num(stat), minprop, maxprop, two_sided=two_sided), np.nan)
    elif pmethod == "Lau94":
        pvalue = np.where(ok, p_lausen94_from_sums(np.nan_to_num(stat), res["_sum_t"], res["_sum_t3"],
                                                   two_sided=two_sided), np.nan)
    else:
        marginal, _, _, _ = _run_permutations(n_perm, c, scans, inv_sd, alternative, stat, random_state, n_jobs)
        pvalue = np.where(ok, (1.0 + marginal) / (1.0 + n_perm), np.nan)
    pvalue = np.atleast_1d(np.asarray(pvalue, dtype=np.float64))
    return pd.DataFrame(
        {
            "cutpoint": res["cutpoint"],
            "statistic": stat,
            "pvalue": pvalue,
            "pvalue_bh": bh_adjust(pvalue),
            "n_low": res["n_low"].astype(np.int64),
            "n_high": np.where(ok, n - res["n_low"], 0).astype(np.int64),
            "n_cuts": res["n_cuts"].astype(np.int64),
        },
        index=names,
    )


def permutation_maxT(
    X,
    time,
    event,
    n_perm: int = 1000,
    random_state: RandomState = None,
    *,
    minprop: float = 0.1,
    maxprop: float = 0.9,
    alternative: str = "two-sided",
    method: str = "step-down",
    n_jobs: int | None = None,
) -> pd.DataFrame:
    """Family-wise adjusted p-values for the maximally selected statistics of all columns of ``X``.

    Each permutation shuffles the survival rows (``time``, ``event``) once, which keeps the correlation between
    the variables, and rescans every variable; the null distribution of a variable's statistic is compared with
    the maximum over variables (Westfall & Young 1993). Adjusted p-values are :math:`(1 + \\#\\{\\cdot\\})/(1 + B)`.

    Parameters
    ----------
    method
        ``"single-step"``: the maximum over all variables; ``"step-down"`` (default, more powerful, same strong
        FWER control under subset pivotality): successive maxima over the variables ranked at or below the
        current one, made monotone.

    Returns
    -------
    DataFrame indexed by variable with ``cutpoint``, ``statistic``, ``pvalue_raw`` (the per-variable permutation
    p-value, i.e. condMC with the shared permutations), ``pvalue_maxT`` (adjusted), ``n_low``, ``n_high`` and
    ``n_cuts``.
    """
    if method not in ("single-step", "step-down"):
        raise ValidationError(f"method must be 'single-step' or 'step-down', got {method!r}")
    t, c, values, names, minprop, maxprop = _prepare_matrix(X, time, event, minprop, maxprop)
    n_perm = _check_options("condMC", alternative, n_perm, minprop, maxprop)
    n = t.size
    res, scans, inv_sd = _scan_matrix(values, c, minprop, maxprop, alternative, keep=True)
    stat = res["statistic"]
    ok = np.isfinite(stat)
    marginal, single, stepdown, rank_order = _run_permutations(n_perm, c, scans, inv_sd, alternative, stat,
                                                               random_state, n_jobs)
    raw = np.where(ok, (1.0 + marginal) / (1.0 + n_perm), np.nan)
    if method == "single-step":
        adj = np.where(ok, (1.0 + single) / (1.0 + n_perm), np.nan)
    else:
        p_sd = (1.0 + stepdown) / (1.0 + n_perm)
        ranked = np.maximum.accumulate(p_sd[rank_order])
        adj = np.empty_like(p_sd)
        adj[rank_order] = ranked
        adj = np.where(ok, adj, np.nan)
    return pd.DataFrame(
        {
            "cutpoint": res["cutpoint"],
            "statistic": stat,
            "pvalue_raw": raw,
            "pvalue_maxT": adj,
            "n_low": res["n_low"].astype(np.int64),
            "n_high": np.where(ok, n - res["n_low"], 0).astype(np.int64),
            "n_cuts": res["n_cuts"].astype(np.int64),
        },
        index=names,
    )


def bh_adjust(pvalues) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (step-up, monotone, capped at 1); NaN entries stay NaN.

    :math:`q_{(i)} = \\min_{j \\ge i} \\min(1, m\\,p_{(j)}/j)` over the :math:`m` non-missing p-values sorted
    increasingly.
    """
    p = np.asarray(pvalues, dtype=np.float64)
    shape = p.shape
    p = p.ravel()
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        v = p[ok]
        if ((v < 0) | (v > 1)).any():
            raise ValidationError("p-values must lie in [0, 1]")
        m = v.size
        order = np.argsort(v, kind="stable")
        scaled = v[order] * m / np.arange(1, m + 1)
        q = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
        adj = np.empty(m)
        adj[order] = q
        out[ok] = adj
    return out.reshape(shape)
