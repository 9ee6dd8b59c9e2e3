r"""Log-rank test and the Harrington–Fleming :math:`G^\rho` family for two or more groups.

At each distinct event time :math:`t_j`, with :math:`n_{kj}` at risk and :math:`d_{kj}` events in group
:math:`k` (totals :math:`n_j`, :math:`d_j`) and weight :math:`w_j = \hat S(t_j^-)^\rho` from the pooled
Kaplan–Meier curve:

.. math::
    O_k - E_k = \sum_j w_j (d_{kj} - d_j n_{kj}/n_j), \qquad
    V_{kl} = \sum_j w_j^2 \frac{d_j (n_j - d_j)}{n_j - 1} \frac{n_{kj}}{n_j}\Big(\delta_{kl} - \frac{n_{lj}}{n_j}\Big),

and :math:`\chi^2 = (O-E)^\top V^- (O-E)` on :math:`K-1` degrees of freedom (generalised inverse, as the
variance matrix has rank :math:`K-1`). ``rho=0`` is the log-rank test, ``rho=1`` the Peto–Peto modification of
the Gehan–Wilcoxon test; this is the definition used by R's ``survival::survdiff``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .._conventions import ValidationError
from ._validate import check_survival_data, encode_groups


@dataclass(frozen=True)
class LogrankResult:
    """Result of :func:`logrank_test`.

    Attributes
    ----------
    statistic
        Chi-square statistic.
    df
        Degrees of freedom (number of non-empty groups minus one).
    pvalue
        Upper-tail chi-square p-value.
    table
        Per group: ``n``, ``observed`` (weighted for rho != 0, as R's ``obs``), ``expected`` and ``var``
        (the diagonal of the variance matrix).
    variance
        The full K × K variance matrix of O − E.
    """

    statistic: float
    df: int
    pvalue: float
    table: pd.DataFrame
    variance: np.ndarray


def _event_time_counts(time: np.ndarray, event: np.ndarray, codes: np.ndarray, n_groups: int):
    """Per distinct event time: events and numbers at risk in each group (K × J arrays)."""
    event_times = np.unique(time[event])
    # at risk at t: subjects with time >= t
    n_risk = np.empty((n_groups, event_times.size))
    n_event = np.empty((n_groups, event_times.size))
    for k in range(n_groups):
        tk = np.sort(time[codes == k])
        n_risk[k] = tk.size - np.searchsorted(tk, event_times, side="left")
        ek = np.sort(time[(codes == k) & event])
        n_event[k] = np.searchsorted(ek, event_times, side="right") - np.searchsorted(ek, event_times, side="left")
    return event_times, n_risk, n_event


_MISSING = object()


def logrank_test(time, event, groups=_MISSING, *, rho: float = 0.0, group=_MISSING) -> LogrankResult:
    """Compare survival between groups with the log-rank (``rho=0``) or a :math:`G^\\rho` test.

    Parameters
    ----------
    time
        Follow-up times (>= 0).
    event
        1 (or True) for an observed event, 0 for censoring.
    groups
        Group labels (at least two distinct values); a categorical keeps its level order.
    rho
        Weight exponent on the pooled Kaplan–Meier survival, :math:`w = S(t^-)^\\rho`.
    group
        Deprecated alias of ``groups`` (emits a :class:`FutureWarning`).

    Returns
    -------
    :class:`LogrankResult`
    """
    if group is not _MISSING:
        if groups is not _MISSING:
            raise TypeError("logrank_test() got both groups= and its deprecated alias group=; pass groups only")
        warnings.warn("logrank_test(group=...) is deprecated; use groups=...", FutureWarning, stacklevel=2)
        groups = group
    if groups is _MISSING:
        raise TypeError("logrank_test() missing required argument: 'groups'")
    t, e = check_survival_data(time, event)
    codes, labels = encode_groups(groups, len(t), name="groups")
    if len(labels) < 2:
        raise ValidationError(f"groups must have at least two distinct values, found {labels}")
    if not np.isfinite(rho):
        raise ValidationError(f"rho must be finite, got {rho}")
    k = len(labels)
    event_times, n_risk_kj, d_kj = _event_time_counts(t, e, codes, k)
    n_j = n_risk_kj.sum(axis=0)
    d_j = d_kj.sum(axis=0)
    if rho == 0:
        w = np.ones_like(n_j)
    else:
        # pooled KM just before each event time
        s_after = np.cumprod(1.0 - d_j / n_j)
        w = np.concatenate(([1.0], s_after[:-1])) ** rho
    frac = n_risk_kj / n_j
    observed = (w * d_kj).sum(axis=1)
    expected = (w * d_j * frac).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(n_j > 1, w**2 * d_j * (n_j - d_j) / (n_j - 1), 0.0)
    variance = np.diag((scale * frac).sum(axis=1)) - (scale * frac) @ frac.T
    diff = observed - expected
    # V has rank K-1; drop the last group as survdiff does (equivalent to a generalised inverse).
    sub = variance[:-1, :-1]
    try:
        statistic = float(diff[:-1] @ np.linalg.solve(sub, diff[:-1]))
    except np.linalg.LinAlgError:
        statistic = float(diff @ np.linalg.pinv(variance) @ diff)
    df = int(np.linalg.matrix_rank(sub)) if k > 2 else 1
    pvalue = float(stats.chi2.sf(statistic, df))
    n = np.bincount(codes, minlength=k)
    table = pd.DataFrame(
        {"n": n, "observed": observed, "expected": expected, "var": np.diag(variance)},
        index=pd.Index(labels, name="group"),
    )
    return LogrankResult(statistic=statistic, df=df, pvalue=pvalue, table=table, variance=variance)
