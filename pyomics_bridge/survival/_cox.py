r"""Cox proportional-hazards regression (partial likelihood, Efron or Breslow ties), R ``coxph``-compatible.

Model and notation
------------------
Subject :math:`i` has covariates :math:`x_i`, case weight :math:`w_i` (1 by default), linear predictor
:math:`\eta_i = x_i^\top\beta` and relative risk :math:`r_i = e^{\eta_i}`. At a distinct event time :math:`t`
of a stratum, let :math:`D` be the :math:`d` subjects with an event at :math:`t` and :math:`R` the risk set (same
stratum, follow-up :math:`\ge t`, so subjects censored at :math:`t` are still at risk). With

.. math::
    S_0 = \sum_{R} w_i r_i,\quad S_1 = \sum_{R} w_i r_i x_i,\quad S_2 = \sum_{R} w_i r_i x_i x_i^\top

and :math:`S_0^D, S_1^D, S_2^D` the same sums over :math:`D`, the **Efron** approximation replaces the
denominator of the :math:`k`-th tied event (:math:`k = 0..d-1`) by :math:`S_0 - \tfrac{k}{d} S_0^D`; **Breslow**
keeps :math:`S_0` for all :math:`d`. With :math:`\bar w = \sum_D w_i / d` (the mean weight of the tied events),
the log partial likelihood, score and information contributed by one event time are

.. math::
    \ell = \sum_D w_i\eta_i - \bar w\sum_{k} \log S_0^{(k)},\qquad
    U = \sum_D w_i x_i - \bar w\sum_k a_k,\qquad
    I = \bar w\sum_k \Big(\frac{S_2^{(k)}}{S_0^{(k)}} - a_k a_k^\top\Big),

where :math:`S_m^{(k)} = S_m - f_k S_m^D`, :math:`f_k = k/d` (Efron) or 0 (Breslow), and
:math:`a_k = S_1^{(k)}/S_0^{(k)}`. Sums are summed over event times and strata.

Implementation: samples are sorted once by (stratum, time); the risk-set sums are reverse cumulative sums
gathered at the first sample of each distinct time. The information matrix is accumulated without any
:math:`n\times p\times p` array, using :math:`\sum_g c_g S_2[g] = X^\top \mathrm{diag}(w\,r\,C) X` where
:math:`C_i` is the forward cumulative sum of the per-time coefficients :math:`c_g` over the times at which
subject :math:`i` is at risk.

Fitting follows R's ``coxph.fit`` conventions (``coxph.control(eps=1e-9, iter.max=20)``): start at
:math:`\beta=0`, Newton–Raphson steps; an iteration whose log-likelihood decreases (or is not finite) is
replaced by halving the step towards the last accepted :math:`\beta`; convergence when
:math:`|1 - \ell_{old}/\ell_{new}| \le` ``tol`` after a full (non-halved) step. The returned coefficients,
log-likelihood and variance are those of the last evaluated iterate, like R. The score test is computed at
:math:`\beta=0`, the Wald test at :math:`\hat\beta` and the LR test as :math:`2(\ell(\hat\beta) - \ell(0))`.

Separation (e.g. a binary covariate whose one level has no events) makes :math:`\hat\beta` infinite: the
log-likelihood still converges while a coefficient keeps growing. It is detected as in R (the remaining
Newton step of a coefficient is not negligible relative to the coefficient) and reported with a
:class:`CoxConvergenceWarning` and ``converged_ = False`` (R only warns "coefficient may be infinite"); the
coefficient is then large (|β| ≈ 10–30) with a huge standard error.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import linalg, stats
from sklearn.base import BaseEstimator

from .._conventions import ValidationError
from ._validate import check_survival_data, encode_groups

TIES = ("efron", "breslow")


class CoxConvergenceWarning(UserWarning):
    """A Cox fit did not converge, or a coefficient diverges (separation / monotone likelihood)."""


class ChiSquareTest(NamedTuple):
    """A global chi-square test: ``(statistic, df, pvalue)``."""

    statistic: float
    df: int
    pvalue: float


def _chi2_test(statistic: float, df: int) -> ChiSquareTest:
    return ChiSquareTest(float(statistic), int(df), float(stats.chi2.sf(statistic, df)) if df > 0 else np.nan)


# --------------------------------------------------------------------------- input checks
def check_covariates(X, n: int | None = None, *, name: str = "X") -> tuple[np.ndarray, list[str]]:
    """``X`` as a 2-d float64 array plus column names; raise :class:`ValidationError` naming NaN columns."""
    if isinstance(X, pd.Series):
        X = X.to_frame()
    if isinstance(X, pd.DataFrame):
        names = [str(c) for c in X.columns]
        try:
            arr = X.to_numpy(dtype=np.float64)
        except (TypeError, ValueError) as exc:
            bad = [str(c) for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
            raise ValidationError(f"{name} must be numeric; non-numeric column(s): {bad[:10]}") from exc
    else:
        try:
            arr = np.asarray(X, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"{name} must be a numeric array, got {type(X).__name__}") from exc
        if arr.ndim == 1:
            arr = arr[:, None]
        names = [f"x{j}" for j in range(arr.shape[1])] if arr.ndim == 2 else []
    if arr.ndim != 2:
        raise ValidationError(f"{name} must be 2-dimensional (samples x covariates), got shape {arr.shape}")
    if n is not None and arr.shape[0] != n:
        raise ValidationError(f"{name} has {arr.shape[0]} rows but time has {n} values")
    if arr.shape[1] == 0:
        raise ValidationError(f"{name} has no columns")
    finite = np.isfinite(arr)
    if not finite.all():
        bad_cols = np.flatnonzero(~finite.all(axis=0))
        shown = [names[j] for j in bad_cols[:10]]
        more = f" and {bad_cols.size - 10} more" if bad_cols.size > 10 else ""
        raise ValidationError(
            f"{name} has missing or non-finite values in {bad_cols.size} column(s): {shown}{more} "
            "(drop or impute those samples first)"
        )
    return arr, names


def _check_weights(weights, n: int) -> np.ndarray:
    if weights is None:
        return np.ones(n)
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (n,):
        raise ValidationError(f"weights must have shape ({n},), got {w.shape}")
    if not np.isfinite(w).all() or (w <= 0).any():
        raise ValidationError("weights must be finite and > 0")
    return w


# --------------------------------------------------------------------------- risk-set structure
@dataclass(frozen=True)
class RiskSets:
    """Samples sorted by (stratum, time) and the event-time groups of the partial likelihood.

    ``order`` sorts the samples; all other arrays refer to sorted positions. Event rows are the sorted positions
    of the events (``ev``), each with its event-time group ``ev_group`` and Efron fraction ``frac`` (k/d, or 0
    for Breslow). A group ``g`` has ``d[g]`` events, mean event weight ``mean_w[g]`` and risk set
    ``start[g]:stop[g]`` (the first sample at its time through the end of its stratum).
    """

    order: np.ndarray
    bounds: np.ndarray  # stratum boundaries in sorted order, length n_strata + 1
    ev: np.ndarray
    ev_group: np.ndarray
    frac: np.ndarray
    start: np.ndarray
    stop: np.ndarray
    d: np.ndarray
    mean_w: np.ndarray
    ev_w: np.ndarray  # weight of each event row

    @property
    def m(self) -> np.ndarray:
        """Weight of each event row's log-denominator term (the mean event weight of its group)."""
        return self.mean_w[self.ev_group]


def risk_sets(time: np.ndarray, event: np.ndarray, strata_codes: np.ndarray | None, weights: np.ndarray,
              ties: str) -> RiskSets:
    n = time.size
    s = np.zeros(n, dtype=np.int64) if strata_codes is None else np.asarray(strata_codes, dtype=np.int64)
    # by stratum, then time, events before censorings at the same time (tied events are then contiguous)
    order = np.lexsort((~event, time, s))
    ts, es, ss, ws = time[order], event[order], s[order], weights[order]
    change = np.flatnonzero(np.diff(ss)) + 1
    bounds = np.concatenate(([0], change, [n]))
    stratum_of = np.repeat(np.arange(bounds.size - 1), np.diff(bounds))
    ev = np.flatnonzero(es)
    # groups of events sharing stratum and time
    if ev.size:
        new_group = np.concatenate(([True], (ts[ev][1:] != ts[ev][:-1]) | (ss[ev][1:] != ss[ev][:-1])))
    else:
        new_group = np.zeros(0, dtype=bool)
    ev_group = np.cumsum(new_group) - 1
    first_ev = ev[new_group]
    d = np.bincount(ev_group, minlength=first_ev.size).astype(np.float64)
    wsum = np.bincount(ev_group, weights=ws[ev], minlength=first_ev.size)
    # first sorted position of each group's time within its stratum
    start = np.empty(first_ev.size, dtype=np.int64)
    stop = np.empty(first_ev.size, dtype=np.int64)
    g_stratum = stratum_of[first_ev]
    for k in range(bounds.size - 1):
        sel = g_stratum == k
        if sel.any():
            a, b = bounds[k], bounds[k + 1]
            start[sel] = a + np.searchsorted(ts[a:b], ts[first_ev[sel]], side="left")
            stop[sel] = b
    rank_in_group = np.arange(ev.size) - np.flatnonzero(new_group)[ev_group]
    frac = rank_in_group / d[ev_group] if ties == "efron" else np.zeros(ev.size)
    return RiskSets(order=order, bounds=bounds, ev=ev, ev_group=ev_group, frac=frac, start=start, stop=stop,
                    d=d, mean_w=wsum / d, ev_w=ws[ev])


def _rev_cumsum(a: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Reverse cumulative sums along axis 0 restarted at each stratum (``out[i] = sum(a[i:end_of_stratum])``)."""
    out = np.empty_like(a)
    for k in range(bounds.size - 1):
        lo, hi = bounds[k], bounds[k + 1]
        out[lo:hi] = np.cumsum(a[lo:hi][::-1], axis=0)[::-1]
    return out


def _fwd_cumsum(a: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    out = np.empty_like(a)
    for k in range(bounds.size - 1):
        lo, hi = bounds[k], bounds[k + 1]
        out[lo:hi] = np.cumsum(a[lo:hi], axis=0)
    return out


def cox_terms(Xs: np.ndarray, ws: np.ndarray, rs: RiskSets, beta: np.ndarray, *, derivatives: bool = True):
    """Log partial likelihood, score vector and information matrix at ``beta``.

    ``Xs`` and ``ws`` are the covariates and weights in sorted order (``rs.order``).
    """
    eta = Xs @ beta
    with np.errstate(over="ignore", invalid="ignore"):
        r = ws * np.exp(eta)
        s0 = _rev_cumsum(r, rs.bounds)[rs.start]
        rd = r[rs.ev]
        s0d = np.bincount(rs.ev_group, weights=rd, minlength=rs.d.size)
        g, f, m = rs.ev_group, rs.frac, rs.m
        den = s0[g] - f * s0d[g]
        loglik = float(rs.ev_w @ eta[rs.ev] - m @ np.log(den))
    if not derivatives:
        return loglik, None, None
    p = Xs.shape[1]
    with np.errstate(over="ignore", invalid="ignore"):
        s1 = _rev_cumsum(r[:, None] * Xs, rs.bounds)[rs.start]  # (G, p)
        xd = Xs[rs.ev]
        s1d = np.zeros((rs.d.size, p))
        np.add.at(s1d, g, rd[:, None] * xd)
        a = (s1[g] - f[:, None] * s1d[g]) / den[:, None]  # (E, p)
        score = rs.ev_w @ xd - m @ a
        # sum_j m_j (S2[g_j] - f_j S2D[g_j]) / den_j without n x p x p arrays
        c = np.bincount(g, weights=m / den, minlength=rs.d.size)
        cprime = np.bincount(g, weights=m * f / den, minlength=rs.d.size)
        placed = np.zeros(Xs.shape[0])
        np.add.at(placed, rs.start, c)
        at_risk_coef = _fwd_cumsum(placed, rs.bounds)
        wt = r * at_risk_coef
        wt[rs.ev] -= rd * cprime[g]
        info = (Xs * wt[:, None]).T @ Xs - (a * m[:, None]).T @ a
    return loglik, score, info


def _solve(info: np.ndarray, u: np.ndarray) -> np.ndarray:
    try:
        return linalg.cho_solve(linalg.cho_factor(info, lower=True), u)
    except (linalg.LinAlgError, ValueError):
        return np.linalg.pinv(info, hermitian=True) @ u


def _inverse(info: np.ndarray) -> np.ndarray:
    try:
        c = linalg.cho_factor(info, lower=True)
        return linalg.cho_solve(c, np.eye(info.shape[0]))
    except (linalg.LinAlgError, ValueError):
        return np.linalg.pinv(info, hermitian=True)


def _relative_change_small(old: float, new: float, tol: float) -> bool:
    if new == 0.0:
        return old == 0.0
    return abs(1.0 - old / new) <= tol


def newton_raphson(Xs, ws, rs, *, tol: float, max_iter: int):
    """R-style Newton–Raphson from beta = 0. Returns a dict with the fit at beta = 0 and at the last iterate."""
    p = Xs.shape[1]
    beta = np.zeros(p)
    ll0, u0, i0 = cox_terms(Xs, ws, rs, beta)
    out = {"loglik_null": ll0, "score0": u0, "info0": i0}
    if max_iter <= 0:
        out.update(beta=beta, loglik=ll0, score=u0, info=i0, n_iter=0, converged=False)
        return out
    ll_old, new = ll0, beta + _solve(i0, u0)
    halving, converged = False, False
    ll_new, u, info = ll0, u0, i0
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007
        ll_new, u, info = cox_terms(Xs, ws, rs, new)
        ok = np.isfinite(ll_new) and np.all(np.isfinite(info))
        if ok and not halving and _relative_change_small(ll_old, ll_new, tol):
            converged = True
            break
        if it == max_iter:
            break
        if not ok or ll_new < ll_old:
            halving = True
            new = (new + beta) / 2.0
        else:
            halving = False
            ll_old, beta = ll_new, new
            new = beta + _solve(info, u)
    if not converged and (not np.isfinite(ll_new) or ll_new < ll_old):
        # ran out of iterations on a worse (halving) iterate: report the best one
        new = beta
        ll_new, u, info = cox_terms(Xs, ws, rs, new)
    out.update(beta=new, loglik=ll_new, score=u, info=info, n_iter=it, converged=converged)
    return out


# --------------------------------------------------------------------------- concordance
def concordance_counts(time, event, risk, strata_codes=None, weights=None) -> dict[str, float]:
    """Harrell's concordance of a risk score (higher = shorter survival), with R ``concordance``'s conventions.

    A pair is comparable when the shorter follow-up ends in an event; an event and a censoring at the same time
    are comparable (the censored subject outlived the event); two events at the same time are ``tied_y``. A
    comparable pair is concordant when the subject with the event has the higher risk, ``tied_x`` when the risks
    are equal. Pairs are only formed within strata and weigh ``w_i w_j``.
    ``C = (concordant + tied_x / 2) / (concordant + discordant + tied_x)``.
    """
    t = np.asarray(time, dtype=np.float64)
    e = np.asarray(event, dtype=bool)
    x = np.asarray(risk, dtype=np.float64)
    n = t.size
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    s = np.zeros(n, dtype=np.int64) if strata_codes is None else np.asarray(strata_codes)
    conc = disc = tied_x = tied_y = 0.0
    for k in np.unique(s):
        idx = np.flatnonzero(s == k)
        _, rank = np.unique(x[idx], return_inverse=True)
        m = int(rank.max()) + 1
        tree = [0.0] * (m + 1)  # Fenwick tree: weights of the subjects already passed, by risk rank
        total = 0.0
        # decreasing time; at equal times censorings first (they outlive the events at that time)
        order = np.lexsort((e[idx], -t[idx]))
        ts = t[idx][order].tolist()
        es = e[idx][order].tolist()
        rk = (rank[order] + 1).tolist()  # 1-based
        ws = w[idx][order].tolist()
        size = len(ts)
        i = 0
        while i < size:
            j = i
            while j < size and ts[j] == ts[i]:
                j += 1
            block = range(i, j)
            for q in block:  # censored at this time: comparable with (and later than) the events at this time
                if not es[q]:
                    pos, wq = rk[q], ws[q]
                    total += wq
                    while pos <= m:
                        tree[pos] += wq
                        pos += pos & (-pos)
            wsum = wsq = 0.0
            for q in block:
                if es[q]:
                    wq = ws[q]
                    wsum += wq
                    wsq += wq * wq
                    below = upto = 0.0
                    pos = rk[q] - 1
                    while pos > 0:
                        below += tree[pos]
                        pos -= pos & (-pos)
                    pos = rk[q]
                    while pos > 0:
                        upto += tree[pos]
                        pos -= pos & (-pos)
                    conc += wq * below
                    tied_x += wq * (upto - below)
                    disc += wq * (total - upto)
            tied_y += (wsum * wsum - wsq) / 2.0
            for q in block:
                if es[q]:
                    pos, wq = rk[q], ws[q]
                    total += wq
                    while pos <= m:
                        tree[pos] += wq
                        pos += pos & (-pos)
            i = j
    denom = conc + disc + tied_x
    c = (conc + tied_x / 2.0) / denom if denom > 0 else np.nan
    return {"concordant": conc, "discordant": disc, "tied_x": tied_x, "tied_y": tied_y, "concordance": c}


# --------------------------------------------------------------------------- estimator
class CoxPH(BaseEstimator):
    """Cox proportional-hazards model fitted by Newton–Raphson, matching R ``survival::coxph``.

    Parameters
    ----------
    ties
        ``"efron"`` (R's default) or ``"breslow"`` handling of tied event times.
    tol
        Convergence tolerance on the relative change of the log partial likelihood (R ``eps``).
    max_iter
        Maximum number of Newton–Raphson iterations (R ``iter.max``).
    alpha
        1 − confidence level of ``conf_int_`` and ``summary()``.

    Attributes
    ----------
    coef_, se_, z_, pvalues_, hazard_ratios_ : pandas.Series
        Coefficients, standard errors (model-based, inverse information), Wald z, two-sided Wald p, exp(coef).
    var_ : pandas.DataFrame
        Covariance matrix of the coefficients (inverse of the information at ``coef_``).
    conf_int_ : pandas.DataFrame
        ``lower``/``upper`` confidence limits of the hazard ratios.
    loglik_, loglik_null_ : float
        Log partial likelihood at ``coef_`` and at 0.
    lr_test_, wald_test_, score_test_ : ChiSquareTest
        Global likelihood-ratio, Wald (at ``coef_``) and score (log-rank, at 0) tests, ``(statistic, df, pvalue)``.
    concordance_ : float
        Harrell's C of the linear predictor (R ``summary(fit)$concordance[1]``); ``concordance_counts_`` has the
        pair counts.
    n_iter_ : int
        Newton–Raphson iterations performed (R ``fit$iter``).
    converged_ : bool
        False when the iterations ran out, or a coefficient diverges (separation); a
        :class:`CoxConvergenceWarning` is raised then.
    feature_names_in_, n_samples_, n_events_, means_
        Covariate names, sample and event counts, covariate means (X is centred internally; results do not
        depend on it).
    """

    def __init__(self, ties: str = "efron", tol: float = 1e-9, max_iter: int = 20, alpha: float = 0.05):
        self.ties = ties
        self.tol = tol
        self.max_iter = max_iter
        self.alpha = alpha

    def _check_params(self):
        if self.ties not in TIES:
            raise ValidationError(f"ties must be one of {list(TIES)}, got {self.ties!r}")
        if not (self.tol > 0):
            raise ValidationError(f"tol must be > 0, got {self.tol}")
        if int(self.max_iter) != self.max_iter or self.max_iter < 0:
            raise ValidationError(f"max_iter must be a non-negative integer, got {self.max_iter}")
        if not (0 < self.alpha < 1):
            raise ValidationError(f"alpha must be in (0, 1), got {self.alpha}")

    def fit(self, X, time, event, *, strata=None, weights=None) -> CoxPH:
        """Fit the model.

        Parameters
        ----------
        X
            Covariates, samples × covariates (array or DataFrame; a DataFrame keeps its column names).
            Missing values are an error (R would drop those rows).
        time, event
            Follow-up times and event indicators (1/True = event).
        strata
            Optional stratum labels: separate baseline hazards and risk sets per stratum (R ``strata()``).
        weights
            Optional positive case weights (R ``weights=``); standard errors are the model-based ones
            (R's ``naive.var``; R reports a robust variance by default when weights are not integers).
        """
        self._check_params()
        t, e = check_survival_data(time, event)
        Xa, names = check_covariates(X, t.size)
        w = _check_weights(weights, t.size)
        codes = None
        if strata is not None:
            codes, _ = encode_groups(strata, t.size, name="strata")
        if not e.any():
            raise ValidationError("event has no events: the Cox model cannot be fitted")
        means = (w @ Xa) / w.sum()
        Xc = Xa - means
        if np.linalg.matrix_rank(Xc) < Xc.shape[1]:
            const = [names[j] for j in np.flatnonzero(np.ptp(Xa, axis=0) == 0)]
            raise ValidationError(
                "X is rank deficient (constant or collinear covariates"
                + (f": constant {const}" if const else "") + "); drop the redundant columns"
            )
        rs = risk_sets(t, e, codes, w, self.ties)
        Xs, ws = Xc[rs.order], w[rs.order]
        res = newton_raphson(Xs, ws, rs, tol=self.tol, max_iter=int(self.max_iter))
        beta, info = res["beta"], res["info"]
        var = _inverse(info)
        p = beta.size
        idx = pd.Index(names)
        se = np.sqrt(np.clip(np.diag(var), 0, None))
        z = beta / se
        zq = stats.norm.isf(self.alpha / 2)
        self.feature_names_in_ = np.asarray(names, dtype=object)
        self.n_features_in_ = p
        self.n_samples_ = int(t.size)
        self.n_events_ = int(e.sum())
        self.means_ = pd.Series(means, index=idx)
        self.coef_ = pd.Series(beta, index=idx, name="coef")
        self.var_ = pd.DataFrame(var, index=idx, columns=idx)
        self.se_ = pd.Series(se, index=idx, name="se")
        self.z_ = pd.Series(z, index=idx, name="z")
        self.pvalues_ = pd.Series(2 * stats.norm.sf(np.abs(z)), index=idx, name="p")
        self.hazard_ratios_ = pd.Series(np.exp(beta), index=idx, name="exp(coef)")
        with np.errstate(over="ignore"):
            self.conf_int_ = pd.DataFrame({"lower": np.exp(beta - zq * se), "upper": np.exp(beta + zq * se)},
                                          index=idx)
        self.loglik_ = float(res["loglik"])
        self.loglik_null_ = float(res["loglik_null"])
        self.lr_test_ = _chi2_test(2.0 * (self.loglik_ - self.loglik_null_), p)
        self.wald_test_ = _chi2_test(float(beta @ info @ beta), p)
        u0 = res["score0"]
        self.score_test_ = _chi2_test(float(u0 @ _solve(res["info0"], u0)), p)
        self.n_iter_ = int(res["n_iter"])
        converged = bool(res["converged"])
        if not converged:
            warnings.warn(f"CoxPH: ran out of iterations ({self.n_iter_}) and did not converge",
                          CoxConvergenceWarning, stacklevel=2)
        # A coefficient whose remaining Newton step is not small relative to itself diverges (separation).
        step = np.abs(_solve(info, res["score"]))
        infinite = (step > self.tol) & (step > np.sqrt(self.tol) * np.abs(beta)) & converged
        self.infinite_coef_ = pd.Series(infinite, index=idx, name="infinite")
        if infinite.any():
            converged = False
            warnings.warn(
                f"CoxPH: the log-likelihood converged but coefficient(s) {[names[j] for j in np.flatnonzero(infinite)]}"
                " diverge (may be infinite: separation, e.g. a group without events); estimates are not reliable",
                CoxConvergenceWarning, stacklevel=2,
            )
        self.converged_ = converged
        lp = Xc @ beta
        self.concordance_counts_ = concordance_counts(t, e, lp, codes, None if weights is None else w)
        self.concordance_ = float(self.concordance_counts_["concordance"])
        return self

    def _check_fitted(self):
        if not hasattr(self, "coef_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("this CoxPH instance is not fitted yet; call fit(X, time, event) first")

    def predict(self, X) -> np.ndarray:
        """Linear predictor ``X @ coef_`` (log relative hazard, not centred; higher = higher risk).

        A DataFrame is matched to the fitted covariates by column name.
        """
        self._check_fitted()
        if isinstance(X, pd.DataFrame):
            missing = [c for c in self.feature_names_in_ if c not in X.columns.astype(str)]
            if missing:
                raise ValidationError(f"X lacks the fitted covariate(s) {missing}")
            X = X.set_axis(X.columns.astype(str), axis=1)[list(self.feature_names_in_)]
        Xa, _ = check_covariates(X)
        if Xa.shape[1] != self.n_features_in_:
            raise ValidationError(f"X has {Xa.shape[1]} columns, the model has {self.n_features_in_}")
        return Xa @ self.coef_.to_numpy()

    def summary(self) -> pd.DataFrame:
        """Coefficient table like R's ``summary(coxph)``: coef, exp(coef), se, z, p, lower/upper CI of exp(coef)."""
        self._check_fitted()
        level = f"{1 - self.alpha:.2f}".lstrip("0") if 1 - self.alpha < 1 else "1"
        return pd.DataFrame({
            "coef": self.coef_, "exp(coef)": self.hazard_ratios_, "se": self.se_, "z": self.z_,
            "p": self.pvalues_, f"lower {level}": self.conf_int_["lower"], f"upper {level}": self.conf_int_["upper"],
        })
