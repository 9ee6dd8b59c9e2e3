r"""Test of the proportional-hazards assumption of a Cox model (R ``survival::cox.zph``, survival >= 3.0).

For a fitted model with coefficients :math:`\hat\beta`, the alternative is a coefficient that moves with a
transform :math:`g(t)` of time, :math:`\beta(t) = \beta + \theta\, g(t)`, i.e. the extra time-dependent
covariates :math:`x\,g(t)`. The test of :math:`\theta = 0` is the **score test** of that expanded model at
:math:`(\hat\beta, 0)`, with the nuisance :math:`\beta` accounted for through the full information matrix.
With :math:`a_k` and :math:`V_k` the weighted mean and covariance of :math:`x` over the risk set of event row
:math:`k` (Efron rows for tied events, exactly as in the partial likelihood of
:class:`~pyomics_bridge.survival.CoxPH`), :math:`\bar w_k` its weight and :math:`g_k = g(t_k)`:

.. math::

    U_\theta = \sum_{\text{events}} w_i g_i x_i - \sum_k \bar w_k g_k a_k,\qquad
    I_{\beta\beta} = \sum_k \bar w_k V_k,\quad I_{\beta\theta} = \sum_k \bar w_k g_k V_k,\quad
    I_{\theta\theta} = \sum_k \bar w_k g_k^2 V_k,

and the statistic for a set :math:`J` of covariates (one covariate, or all of them for ``GLOBAL``) is
:math:`U^\top I^{-1} U` for the model :math:`(\beta, \theta_J)` with :math:`U = (U_\beta, U_{\theta_J})`
(:math:`U_\beta \approx 0` at :math:`\hat\beta`), chi-square with :math:`|J|` df. Centring :math:`g` does not
change it (a constant shift of :math:`g` lies in the span of :math:`x`).

Transforms of the event times: ``"km"`` (1 − the left-continuous Kaplan–Meier estimate of the whole sample,
R's default), ``"rank"`` (rank of the event time among all follow-up times, ties averaged), ``"identity"``.

The **scaled Schoenfeld residuals** (for plotting :math:`\hat\beta_j(t)`) are
:math:`\hat\beta + d\,\mathrm{Var}(\hat\beta)\,r_i` with :math:`r_i = x_i - \bar a_i` the Schoenfeld residual of
event :math:`i` (:math:`\bar a_i` = the mean of the Efron means of its tied group) and :math:`d` the number of
events. Verified against R's ``cox.zph`` (live tests on ``lung`` and ``veteran``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import linalg, stats

from .._conventions import ValidationError
from ._cox import CoxPH, _check_weights, check_covariates, risk_sets
from ._validate import check_survival_data, encode_groups

__all__ = ["CoxZphResult", "ZPH_TRANSFORMS", "cox_zph"]

ZPH_TRANSFORMS = ("km", "rank", "identity")


@dataclass
class CoxZphResult:
    """Output of :func:`cox_zph`.

    Attributes
    ----------
    table
        Rows = covariates and ``"GLOBAL"``; columns ``chisq``, ``df``, ``p`` (R's ``$table``).
    x
        Transformed time of each event (R's ``$x``); events are ordered by stratum, then time (as R).
    time
        Event times (R's ``$time``).
    y
        Scaled Schoenfeld residuals, events × covariates (R's ``$y``).
    var
        Covariance matrix of the coefficients used (R's ``$var``).
    transform
        The time transform.
    """

    table: pd.DataFrame
    x: np.ndarray
    time: np.ndarray
    y: pd.DataFrame
    var: pd.DataFrame
    transform: str


def _km_left(t: np.ndarray, e: np.ndarray, w: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Left-continuous Kaplan–Meier estimate S(t-) of the whole sample at the times ``at``."""
    ut = np.unique(t[e])
    d = np.bincount(np.searchsorted(ut, t[e]), weights=w[e], minlength=ut.size)
    order = np.sort(t)
    w_sorted = w[np.argsort(t, kind="stable")]
    at_risk = np.concatenate((np.cumsum(w_sorted[::-1])[::-1], [0.0]))[np.searchsorted(order, ut, side="left")]
    surv = np.cumprod(1.0 - d / at_risk)
    k = np.searchsorted(ut, at, side="left")  # events strictly before `at`
    return np.where(k > 0, surv[np.maximum(k - 1, 0)], 1.0)


def _transform(kind: str, t, e, w, ev_idx):
    """g(t) at the events ``ev_idx`` (indices into ``t``)."""
    if kind == "km":
        return 1.0 - _km_left(t, e, w, t[ev_idx])
    if kind == "rank":
        return stats.rankdata(t)[ev_idx]  # rank among all follow-up times, ties averaged (as R)
    return t[ev_idx].astype(np.float64)


def cox_zph(model, X, time, event, *, strata=None, weights=None, transform: str = "km",
            global_test: bool = True) -> CoxZphResult:
    """Proportional-hazards test of a fitted Cox model, as R ``cox.zph(fit, transform)``.

    Parameters
    ----------
    model
        A fitted :class:`~pyomics_bridge.survival.CoxPH`, or a mapping with ``coef`` (and optionally ``ties``,
        default ``"efron"``), e.g. the result of :func:`pyomics_bridge.r.survival_cox.coxph`.
    X, time, event, strata, weights
        The data the model was fitted on (an estimator keeps no training data).
    transform
        ``"km"`` (default, as R), ``"rank"`` or ``"identity"``.
    global_test
        Add the ``GLOBAL`` row (all covariates jointly).

    Returns
    -------
    :class:`CoxZphResult`
    """
    if transform not in ZPH_TRANSFORMS:
        raise ValidationError(f"transform must be one of {list(ZPH_TRANSFORMS)}, got {transform!r}")
    if isinstance(model, CoxPH):
        if not hasattr(model, "coef_"):
            raise ValidationError("model is not fitted; call CoxPH().fit(X, time, event) first")
        beta, ties = model.coef_.to_numpy(np.float64), model.ties
    elif isinstance(model, dict) and "coef" in model:
        beta, ties = np.asarray(model["coef"], dtype=np.float64).ravel(), model.get("ties", "efron")
    else:
        raise ValidationError("model must be a fitted CoxPH or a dict with 'coef' (e.g. pob.r.survival_cox.coxph)")
    t, e = check_survival_data(time, event)
    Xa, names = check_covariates(X, t.size)
    if Xa.shape[1] != beta.size:
        raise ValidationError(f"X has {Xa.shape[1]} columns but the model has {beta.size} coefficients")
    if not np.isfinite(beta).all():
        raise ValidationError("the model has non-finite coefficients; cox.zph needs a converged fit")
    w = _check_weights(weights, t.size)
    codes = None if strata is None else encode_groups(strata, t.size, name="strata")[0]
    if not e.any():
        raise ValidationError("event has no events: nothing to test")
    p = beta.size
    Xc = Xa - (w @ Xa) / w.sum()
    rs = risk_sets(t, e, codes, w, ties)
    Xs, ws = Xc[rs.order], w[rs.order]
    r = ws * np.exp(Xs @ beta)
    # risk-set sums per event group (reverse cumulative sums within strata), and the same over the tied events
    from ._cox import _rev_cumsum

    xx = Xs[:, :, None] * Xs[:, None, :]
    s0 = _rev_cumsum(r, rs.bounds)[rs.start]
    s1 = _rev_cumsum(r[:, None] * Xs, rs.bounds)[rs.start]
    s2 = _rev_cumsum(r[:, None, None] * xx, rs.bounds)[rs.start]
    g, f, mw = rs.ev_group, rs.frac, rs.m
    rd = r[rs.ev]
    G = rs.d.size
    s0d = np.bincount(g, weights=rd, minlength=G)
    s1d = np.zeros((G, p))
    np.add.at(s1d, g, rd[:, None] * Xs[rs.ev])
    s2d = np.zeros((G, p, p))
    np.add.at(s2d, g, rd[:, None, None] * xx[rs.ev])
    den = s0[g] - f * s0d[g]
    a = (s1[g] - f[:, None] * s1d[g]) / den[:, None]  # (E, p) Efron means
    V = (s2[g] - f[:, None, None] * s2d[g]) / den[:, None, None] - a[:, :, None] * a[:, None, :]

    ev_sorted_times = t[rs.order][rs.ev]
    gk = _transform(transform, t, e, w, rs.order[rs.ev])
    xe, we = Xs[rs.ev], rs.ev_w
    u_beta = we @ xe - mw @ a
    u_theta = (we * gk) @ xe - (mw * gk) @ a
    i_bb = np.einsum("k,kij->ij", mw, V)
    i_bt = np.einsum("k,kij->ij", mw * gk, V)
    i_tt = np.einsum("k,kij->ij", mw * gk * gk, V)

    def score_test(J):
        U = np.concatenate((u_beta, u_theta[J]))
        info = np.block([[i_bb, i_bt[:, J]], [i_bt[J, :], i_tt[np.ix_(J, J)]]])
        try:
            stat = float(U @ linalg.solve(info, U, assume_a="sym"))
        except linalg.LinAlgError:
            stat = float(U @ np.linalg.pinv(info, hermitian=True) @ U)
        return stat, len(J)

    rows = [score_test([j]) for j in range(p)]
    index = list(names)
    if global_test:
        rows.append(score_test(list(range(p))))
        index.append("GLOBAL")
    chisq = np.array([s for s, _ in rows])
    df = np.array([k for _, k in rows])
    table = pd.DataFrame({"chisq": chisq, "df": df, "p": stats.chi2.sf(chisq, df)}, index=pd.Index(index))

    # scaled Schoenfeld residuals: x_i - mean of the Efron means of its tied group
    abar = np.zeros((G, p))
    np.add.at(abar, g, a)
    abar /= rs.d[:, None]
    resid = xe - abar[g]
    var = linalg.inv(i_bb) if not isinstance(model, CoxPH) else model.var_.to_numpy()
    if isinstance(model, dict) and "var" in model:
        var = np.asarray(model["var"], dtype=np.float64)
    n_ev = int(e.sum())
    y = beta[None, :] + n_ev * resid @ var
    # events by stratum, then time, then data order (R's order)
    return CoxZphResult(table=table, x=gk, time=ev_sorted_times, y=pd.DataFrame(y, columns=names), var=pd.DataFrame(var, index=names, columns=names),
                        transform=transform)
