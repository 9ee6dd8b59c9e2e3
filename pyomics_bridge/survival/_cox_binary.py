r"""Univariate Cox models of **binary** (0/1) columns from per-event-time counts (used by ``cox_screen``).

With a 0/1 covariate the risk score of a sample is 1 or :math:`w = e^\beta`, so every risk-set sum only needs,
per distinct event time :math:`g` and column, the number :math:`n_{1g}` of group-1 samples at risk and the
number :math:`d_{1g}` of group-1 events (one prefix-sum pass over the samples, see
:class:`~pyomics_bridge.survival._cox_screen._Kernel`). For an event row of time :math:`g` with Efron fraction
:math:`f = k/d_g` (Breslow: :math:`f = 0`, the row repeated :math:`d_g` times):

.. math::

    \text{den} = A_0 + A_1 w,\quad A_1 = n_{1g} - f d_{1g},\quad A_0 = (N_g - n_{1g}) - f (d_g - d_{1g}),

    a = A_1 w / \text{den},\qquad \ell(\beta) = \beta \textstyle\sum_g d_{1g} - \sum \log \text{den},\quad
    U = \sum_g d_{1g} - \sum a,\quad I = \sum a (1 - a)

(:math:`S_2 = S_1` because :math:`x^2 = x`). The Newton–Raphson iterations (R ``coxph`` rules, shared with the
continuous screen) then cost a few operations per event row and column, with one exponential per column instead
of one per sample. The partial likelihood is the same as for the continuous kernel (it does not depend on
centring), so results agree with :class:`~pyomics_bridge.survival.CoxPH` and R to rounding.
"""

from __future__ import annotations

import numpy as np


class _BinaryTerms:
    """Row coefficients :math:`A_0, A_1` (event rows × columns) of one batch of 0/1 columns."""

    def __init__(self, B: np.ndarray, kernel):
        # B: samples (decreasing time) x columns, 0/1 floats
        Q = kernel.layout(B)
        O = kernel._scan(Q)
        n1 = kernel._gather(Q, O, kernel.jh, kernel.kh)  # group-1 samples at risk, per event time
        below = kernel._gather(Q, O, *kernel._loc(np.maximum(kernel.lo, 1)))
        below *= (kernel.lo > 0)[:, None]
        d1 = n1 - below  # group-1 events per event time
        N = kernel.hi.astype(np.float64)[:, None]
        d = kernel.d[:, None]
        self.sum_x_ev = d1.sum(axis=0)
        if kernel.mult is None and kernel.efron:
            g = kernel.ev_group
            f = kernel.frac[:, None]
            self.A1 = n1[g] - f * d1[g]
            self.A0 = (N - n1)[g] - f * (d - d1)[g]
            self.wts = None
        else:  # no tied events, or Breslow: one row per event time (repeated d times)
            self.A1 = n1
            self.A0 = N - n1
            self.wts = kernel.mult
        self.n_rows = float(kernel.d.sum())  # weighted number of event rows

    def _sum(self, a: np.ndarray) -> np.ndarray:
        return a.sum(axis=0) if self.wts is None else self.wts @ a

    def at_zero(self):
        """Score and information at beta = 0."""
        den = self.A0 + self.A1
        a = self.A1 / den
        return self.sum_x_ev - self._sum(a), self._sum(a * (1.0 - a))

    def terms(self, active: np.ndarray, beta: np.ndarray):
        """Log-likelihood, score and information of the columns ``active`` at ``beta``."""
        full = active.size == self.A0.shape[1]
        A0 = self.A0 if full else self.A0[:, active]
        A1 = self.A1 if full else self.A1[:, active]
        sx = self.sum_x_ev[active]
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            # scale by the larger of 1 and w = e^beta so that nothing overflows
            pos = beta > 0
            small = np.exp(-np.abs(beta))
            c0 = np.where(pos, small, 1.0)
            c1 = np.where(pos, 1.0, small)
            num = A1 * c1
            den = A0 * c0
            den += num
            log_den = self._sum(np.log(den)) + self.n_rows * np.where(pos, beta, 0.0)
            num /= den
            score = sx - self._sum(num)
            rest = 1.0 - num
            rest *= num
            info = self._sum(rest)  # sum of a (1 - a), without the cancellation of sum(a) - sum(a^2)
            loglik = beta * sx - log_den
        return loglik, score, info


def binary_batch(task) -> dict[str, np.ndarray]:
    """Fit the univariate Cox model of every 0/1 column of one batch (sorted samples × columns)."""
    from ._cox_screen import _empty_out, _newton, _start

    B, kernel, tol, max_iter = task
    m = B.shape[1]
    out = _empty_out(m)
    valid = np.ptp(B, axis=0) > 0
    cols = np.flatnonzero(valid)
    if cols.size == 0:
        return out
    bt = _BinaryTerms(B if valid.all() else B[:, valid], kernel)
    u0, i0 = bt.at_zero()
    ok0 = _start(out, cols, u0, i0, kernel.loglik0, max_iter)
    if not ok0.all():
        bt.A0, bt.A1, bt.sum_x_ev = bt.A0[:, ok0], bt.A1[:, ok0], bt.sum_x_ev[ok0]
        cols, u0, i0 = cols[ok0], u0[ok0], i0[ok0]
    if max_iter <= 0 or cols.size == 0:
        return out
    return _newton(bt.terms, u0, i0, kernel.loglik0, tol, max_iter, out, cols)
