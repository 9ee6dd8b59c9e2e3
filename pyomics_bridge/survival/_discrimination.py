r"""Discrimination of a risk score under right censoring: time-dependent AUC and concordance indices.

Conventions: ``risk`` is a score where **higher means shorter survival** (a Cox linear predictor, a number of
activated genes, ...). Subject :math:`i` has follow-up :math:`T_i`, event indicator :math:`\Delta_i` and risk
:math:`\eta_i`.

Censoring distribution
----------------------
Inverse-probability-of-censoring weights use :math:`\hat G`, the Kaplan–Meier estimate of the *censoring*
survival function :math:`P(C > t)`, fitted on ``train_time``/``train_event`` (default: the evaluation data).
At a time where events and censorings are tied, the events are taken to happen first (a subject censored at
:math:`t` was still at risk of the event at :math:`t`), so the censoring hazard at :math:`t` is
:math:`c(t) / (n(t) - d(t))` with :math:`n(t)` at risk, :math:`d(t)` events and :math:`c(t)` censorings at
:math:`t`. :math:`\hat G` is right-continuous and is evaluated at :math:`T_i` (with that ordering this is the
probability of being uncensored just after the event at :math:`T_i`).

Cumulative/dynamic AUC (Heagerty, Lumley & Pepe 2000 definition; IPCW estimator of Uno et al. 2007, Hung & Chiang 2010)
-------------------------------------------------------------------------------------------------------------------------
Cases at :math:`t`: :math:`T_i \le t, \Delta_i = 1`; controls: :math:`T_j > t`.

.. math::
    \widehat{AUC}(t) = \frac{\sum_i \sum_j w_i\, I(T_i \le t, \Delta_i = 1)\, I(T_j > t)
                        \,[I(\eta_i > \eta_j) + \tfrac12 I(\eta_i = \eta_j)]}
                       {\big(\sum_i w_i\, I(T_i \le t, \Delta_i = 1)\big)\big(\sum_j I(T_j > t)\big)},
    \qquad w_i = 1 / \hat G(T_i).

The controls' weight :math:`1/\hat G(t)` is the same for all controls and cancels (the "marginal" weighting of
R ``timeROC``'s ``cumulative`` AUC). The summary ``mean_auc`` integrates :math:`AUC(t)` against the Kaplan–Meier
estimate :math:`\hat S` of the evaluation data (Lambert & Chevret 2016):
:math:`\sum_k AUC(t_k)\,[\hat S(t_{k-1}) - \hat S(t_k)] / (1 - \hat S(t_K))`, :math:`\hat S(t_0) = 1`.

Concordance (Harrell 1982; Uno et al. 2011)
-------------------------------------------
A pair :math:`(i, j)` is comparable when :math:`\Delta_i = 1` and :math:`T_i < T_j`, or :math:`T_i = T_j`
with :math:`j` censored (the censored subject outlived the event, as R ``concordance``); two events at the same
time are not comparable (``tied_time``). Only cases with :math:`T_i < \tau` count when ``tau`` is given. It is
concordant when :math:`\eta_i > \eta_j`, a risk tie (counted 1/2) when equal.
Harrell's :math:`C` weighs every comparable pair 1; Uno's :math:`C_\tau` weighs it :math:`\hat G(T_i)^{-2}`,
which makes it consistent for a censoring-independent population quantity
:math:`P(\eta_i > \eta_j \mid T_i < T_j, T_i < \tau)`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from .._conventions import ValidationError
from ._validate import check_survival_data

METHODS = ("harrell", "uno")
_CHUNK = 1 << 22  # elements per pairwise block


class TimeDependentAUC(NamedTuple):
    """Result of :func:`time_dependent_auc`."""

    times: np.ndarray
    auc: np.ndarray
    mean_auc: float
    n_cases: np.ndarray
    n_controls: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"time": self.times, "auc": self.auc, "n_cases": self.n_cases,
                             "n_controls": self.n_controls})


class Concordance(NamedTuple):
    """Result of :func:`concordance_index`: the index and the (unweighted) pair counts."""

    cindex: float
    concordant: int
    discordant: int
    tied_risk: int
    tied_time: int


# --------------------------------------------------------------------------- inputs
def _check_risk(risk, n: int, *, allow_2d: bool = False, n_times: int | None = None) -> np.ndarray:
    try:
        r = np.asarray(risk, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"risk must be numeric, got {type(risk).__name__}") from exc
    if r.ndim == 2 and allow_2d:
        if r.shape != (n, n_times):
            raise ValidationError(f"a 2-d risk must have shape (n_samples, n_times) = ({n}, {n_times}), got {r.shape}")
    elif r.ndim != 1 or r.size != n:
        raise ValidationError(f"risk must have {n} values (one per sample), got shape {r.shape}")
    if not np.isfinite(r).all():
        raise ValidationError(f"risk has {int((~np.isfinite(r)).sum())} missing or non-finite value(s)")
    return r


def censoring_survival(time, event) -> tuple[np.ndarray, np.ndarray]:
    """Kaplan–Meier estimate of the censoring survival function :math:`G(t) = P(C > t)`.

    Returns the distinct follow-up times and :math:`\\hat G` just after each (right-continuous). Events at a
    time are taken to precede the censorings at that time.
    """
    t, e = check_survival_data(time, event)
    times, inverse = np.unique(t, return_inverse=True)
    n_event = np.bincount(inverse, weights=e, minlength=times.size)
    n_total = np.bincount(inverse, minlength=times.size).astype(np.float64)
    n_censor = n_total - n_event
    n_risk = n_total[::-1].cumsum()[::-1]
    at_risk_of_censoring = n_risk - n_event
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard = np.where(n_censor > 0, n_censor / at_risk_of_censoring, 0.0)
    return times, np.cumprod(1.0 - hazard)


def _step_eval(knots: np.ndarray, values: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Right-continuous step function equal to 1 before the first knot."""
    pos = np.searchsorted(knots, x, side="right") - 1
    return np.where(pos >= 0, values[np.maximum(pos, 0)], 1.0)


def _ipcw(time, event, train_time, train_event) -> np.ndarray:
    """``1 / G(T_i)`` for the events, 0 for censored subjects; raises where G vanishes at an event."""
    if (train_time is None) != (train_event is None):
        raise ValidationError("give both train_time and train_event, or neither")
    if train_time is None:
        train_time, train_event = time, event
    knots, g = censoring_survival(train_time, train_event)
    g_at = _step_eval(knots, g, time)
    w = np.zeros(time.size)
    bad = event & (g_at <= 0)
    if bad.any():
        raise ValidationError(
            f"the censoring survival function is 0 at {int(bad.sum())} event time(s) (e.g. {time[bad][:3].tolist()}): "
            "the IPCW weights are infinite. Evaluate only up to the last time with G > 0 (use tau=), or give "
            "training data with longer follow-up"
        )
    w[event] = 1.0 / g_at[event]
    return w


# --------------------------------------------------------------------------- time-dependent AUC
def time_dependent_auc(risk, time, event, times, *, train_time=None, train_event=None) -> TimeDependentAUC:
    """Cumulative/dynamic time-dependent AUC with Uno's IPCW estimator.

    Parameters
    ----------
    risk
        Risk score, higher = shorter survival; shape ``(n,)``, or ``(n, len(times))`` for a time-dependent
        score (e.g. :math:`1 - S(t \\mid x)`), column ``k`` being used at ``times[k]`` (after sorting).
    time, event
        Follow-up times and event indicators of the evaluation data.
    times
        Evaluation times; sorted and de-duplicated. Each must lie in ``[min(time), max(time))``.
    train_time, train_event
        Data on which the censoring distribution is estimated (default: the evaluation data). Give the training
        cohort to reproduce scikit-survival's ``cumulative_dynamic_auc(survival_train, survival_test, ...)``.

    Returns
    -------
    :class:`TimeDependentAUC` with ``times``, ``auc`` (NaN where there is no case or no control),
    ``mean_auc`` (Kaplan–Meier-weighted mean over ``times``), ``n_cases`` and ``n_controls`` per time.

    Notes
    -----
    Matches ``sksurv.metrics.cumulative_dynamic_auc`` (tested to 1e-12) and R ``timeROC(..., cause=1,
    weighting="marginal")``'s cumulative AUC where no censoring is tied with an event (timeROC evaluates
    :math:`\\hat G` just before :math:`T_i`). Cost: O(n log n) per time.
    """
    t, e = check_survival_data(time, event)
    tt = np.asarray(times, dtype=np.float64).ravel()
    if tt.size == 0 or not np.isfinite(tt).all():
        raise ValidationError("times must be a non-empty array of finite values")
    order_t = np.argsort(tt, kind="stable")
    tt_sorted, first = np.unique(tt[order_t], return_index=True)
    r = _check_risk(risk, t.size, allow_2d=True, n_times=tt.size)
    if r.ndim == 2:
        r = r[:, order_t[first]]
    tt = tt_sorted
    lo, hi = t.min(), t.max()
    outside = (tt < lo) | (tt >= hi)
    if outside.any():
        raise ValidationError(
            f"times must lie within the follow-up of the data, [{lo:g}, {hi:g}); got {tt[outside][:5].tolist()}"
        )
    if (train_time is None) != (train_event is None):
        raise ValidationError("give both train_time and train_event, or neither")
    if train_time is not None:
        train_time, train_event = check_survival_data(train_time, train_event, name_time="train_time",
                                                      name_event="train_event")
    w = _ipcw(t, e, train_time, train_event)
    auc = np.full(tt.size, np.nan)
    n_cases = np.zeros(tt.size, dtype=np.int64)
    n_controls = np.zeros(tt.size, dtype=np.int64)
    for k, tk in enumerate(tt):
        rk = r[:, k] if r.ndim == 2 else r
        cases = e & (t <= tk)
        controls = t > tk
        n_cases[k], n_controls[k] = int(cases.sum()), int(controls.sum())
        if n_cases[k] == 0 or n_controls[k] == 0:
            continue
        ctrl = np.sort(rk[controls])
        rc = rk[cases]
        below = np.searchsorted(ctrl, rc, side="left")
        upto = np.searchsorted(ctrl, rc, side="right")
        score = below + 0.5 * (upto - below)
        wc = w[cases]
        auc[k] = float(wc @ score) / (wc.sum() * ctrl.size)
    mean_auc = _integrated_auc(auc, t, e, tt)
    return TimeDependentAUC(times=tt, auc=auc, mean_auc=mean_auc, n_cases=n_cases, n_controls=n_controls)


def _integrated_auc(auc: np.ndarray, t: np.ndarray, e: np.ndarray, tt: np.ndarray) -> float:
    if auc.size == 1:
        return float(auc[0])
    from ._kaplan_meier import _km_one

    km = _km_one(t, e.astype(np.float64), 1.96, "plain")
    surv = _step_eval(km["time"], km["survival"], tt)
    drop = -np.diff(np.concatenate(([1.0], surv)))
    total = 1.0 - surv[-1]
    ok = np.isfinite(auc)
    if total <= 0 or not ok.all():
        return float(np.sum(auc[ok] * drop[ok]) / drop[ok].sum()) if drop[ok].sum() > 0 else float("nan")
    return float(np.sum(auc * drop) / total)


# --------------------------------------------------------------------------- concordance
def _pair_counts(t, e, r, w_case, case_mask):
    """Weighted and unweighted concordant / discordant / risk-tied pair counts over comparable pairs."""
    # sort by time, events before censorings at a tied time: the comparable set of a case is then a suffix
    order = np.lexsort((~e, t))
    ts, es, rs = t[order], e[order], r[order]
    ws, cs = w_case[order], case_mask[order]
    n = ts.size
    # the suffix of case i starts after every subject with time < T_i and every event at T_i
    after = np.searchsorted(ts, ts, side="right")  # first index with time > T_i
    first_at = np.searchsorted(ts, ts, side="left")
    ev_cum = np.concatenate(([0], np.cumsum(es)))
    n_events_at = ev_cum[after] - ev_cum[first_at]  # events are contiguous and first within a time
    start = first_at + n_events_at
    cases = np.flatnonzero(cs)
    wsum = np.zeros(3)
    csum = np.zeros(3, dtype=np.int64)
    # pairs of events at the same time (not comparable), each unordered pair once; tau keeps or drops a whole time
    tied_time = int(np.sum(n_events_at[cs] - 1)) // 2 if cases.size else 0
    step = max(1, _CHUNK // max(n, 1))
    idx = np.arange(n)
    for a in range(0, cases.size, step):
        c = cases[a:a + step]
        comparable = idx[None, :] >= start[c][:, None]
        diff = rs[c][:, None] - rs[None, :]
        conc = (comparable & (diff > 0)).sum(axis=1)
        disc = (comparable & (diff < 0)).sum(axis=1)
        tie = (comparable & (diff == 0)).sum(axis=1)
        csum += np.array([conc.sum(), disc.sum(), tie.sum()])
        wsum += np.array([ws[c] @ conc, ws[c] @ disc, ws[c] @ tie])
    return wsum, csum, tied_time


def concordance_index(risk, time, event, *, tau: float | None = None, method: str = "harrell",
                      train_time=None, train_event=None) -> Concordance:
    """Harrell's or Uno's concordance index of a risk score (higher = shorter survival).

    Parameters
    ----------
    risk
        Risk score per sample.
    time, event
        Follow-up times and event indicators.
    tau
        Truncation time: only pairs whose earlier time (an event) is ``< tau`` count. Required in practice for
        Uno's C when the censoring survival reaches 0 (weights would be infinite).
    method
        ``"harrell"`` (every comparable pair weighs 1; equals R ``concordance`` and
        ``CoxPH.concordance_``) or ``"uno"`` (pairs weighted by :math:`\\hat G(T_i)^{-2}`; as
        ``sksurv.metrics.concordance_index_ipcw``).
    train_time, train_event
        Data for the censoring distribution of Uno's weights (default: the evaluation data).

    Returns
    -------
    :class:`Concordance` ``(cindex, concordant, discordant, tied_risk, tied_time)``; the pair counts are
    unweighted, ``cindex = (concordant + tied_risk / 2) / (concordant + discordant + tied_risk)`` with the
    method's weights.
    """
    if method not in METHODS:
        raise ValidationError(f"method must be one of {list(METHODS)}, got {method!r}")
    t, e = check_survival_data(time, event)
    r = _check_risk(risk, t.size)
    if tau is not None:
        tau = float(tau)
        if not np.isfinite(tau) or tau <= 0:
            raise ValidationError(f"tau must be a finite time > 0, got {tau}")
    case_mask = e.copy()
    if tau is not None:
        case_mask &= t < tau
    if method == "uno":
        if (train_time is None) != (train_event is None):
            raise ValidationError("give both train_time and train_event, or neither")
        if train_time is not None:
            train_time, train_event = check_survival_data(train_time, train_event, name_time="train_time",
                                                          name_event="train_event")
        tr_t, tr_e = (t, e) if train_time is None else (train_time, train_event)
        knots, g = censoring_survival(tr_t, tr_e)
        g_at = _step_eval(knots, g, t)
        bad = case_mask & (g_at <= 0)
        if bad.any():
            raise ValidationError(
                f"the censoring survival function is 0 at {int(bad.sum())} event time(s) "
                f"(e.g. {t[bad][:3].tolist()}): Uno's weights are infinite; give tau= below those times"
            )
        w = np.zeros(t.size)
        w[case_mask] = 1.0 / g_at[case_mask] ** 2
    elif train_time is not None or train_event is not None:
        raise ValidationError("train_time/train_event are only used by method='uno'")
    else:
        w = case_mask.astype(np.float64)
    wsum, csum, tied_time = _pair_counts(t, e, r, w, case_mask)
    denom = wsum.sum()
    cindex = float((wsum[0] + 0.5 * wsum[2]) / denom) if denom > 0 else float("nan")
    return Concordance(cindex=cindex, concordant=int(csum[0]), discordant=int(csum[1]), tied_risk=int(csum[2]),
                       tied_time=tied_time)
