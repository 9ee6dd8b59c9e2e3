r"""Kaplan–Meier estimator with Greenwood standard errors and R-compatible confidence intervals.

For distinct times :math:`t_j` with :math:`n_j` at risk and :math:`d_j` events,
:math:`\hat S(t) = \prod_{t_j \le t} (1 - d_j/n_j)` and the Greenwood standard error of the cumulative hazard
:math:`\sigma(t)^2 = \sum_{t_j \le t} d_j / (n_j (n_j - d_j))`, as reported in ``survival::survfit``'s ``std.err``.
Confidence intervals follow ``survfit``'s ``conf.type``:

- ``"log"``: :math:`\hat S \exp(\pm z\sigma)`, capped at 1;
- ``"log-log"``: :math:`\exp(-\exp(\log(-\log \hat S) \pm z\sigma/\log \hat S))`;
- ``"plain"``: :math:`\hat S (1 \pm z\sigma)`, clipped to [0, 1].
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .._conventions import ValidationError
from ._validate import check_survival_data, encode_groups

CONF_TYPES = ("log", "log-log", "plain")


def _km_one(time: np.ndarray, event: np.ndarray, z: float, conf_type: str) -> dict[str, np.ndarray]:
    times, inverse = np.unique(time, return_inverse=True)
    n_event = np.bincount(inverse, weights=event, minlength=len(times))
    n_total = np.bincount(inverse, minlength=len(times)).astype(np.float64)
    n_censor = n_total - n_event
    n_risk = n_total[::-1].cumsum()[::-1]
    surv = np.cumprod(1.0 - n_event / n_risk)
    with np.errstate(divide="ignore", invalid="ignore"):
        increments = np.where(n_event > 0, n_event / (n_risk * (n_risk - n_event)), 0.0)
    std_err = np.sqrt(np.cumsum(increments))  # inf after the survival drops to 0, as in R
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if conf_type == "log":
            lower = surv * np.exp(-z * std_err)
            upper = np.minimum(surv * np.exp(z * std_err), 1.0)
        elif conf_type == "log-log":
            loglog = np.log(-np.log(surv))
            lower = np.exp(-np.exp(loglog - z * std_err / np.log(surv)))
            upper = np.exp(-np.exp(loglog + z * std_err / np.log(surv)))
        else:
            lower = np.clip(surv - z * std_err * surv, 0.0, 1.0)
            upper = np.clip(surv + z * std_err * surv, 0.0, 1.0)
    # Where S = 0 (or S = 1 for log-log) the interval is undefined: R reports NA.
    undefined = (surv == 0) | ((surv == 1) & (conf_type == "log-log")) | ~np.isfinite(std_err)
    lower = np.where(undefined, np.nan, lower)
    upper = np.where(undefined, np.nan, upper)
    return {
        "time": times, "n_risk": n_risk, "n_event": n_event, "n_censor": n_censor,
        "survival": surv, "std_err": std_err, "lower": lower, "upper": upper,
    }


def median_survival(times: np.ndarray, surv: np.ndarray, n_event: np.ndarray) -> float:
    """Median survival as ``survfit`` reports it.

    The first event time with S(t) <= 0.5; when S(t) is exactly 0.5 there, the midpoint between that time and
    the next event time (the curve is flat at 0.5 in between).
    """
    steps = n_event > 0
    times, surv = times[steps], surv[steps]
    below = np.flatnonzero(surv <= 0.5 + 1e-12)
    if below.size == 0:
        return float("nan")
    i = below[0]
    if abs(surv[i] - 0.5) < 1e-12 and i + 1 < len(times):
        return float((times[i] + times[i + 1]) / 2.0)
    return float(times[i])


def kaplan_meier(
    time,
    event,
    group=None,
    *,
    conf_type: str = "log",
    conf_level: float = 0.95,
) -> tuple[pd.DataFrame, pd.Series]:
    """Kaplan–Meier curves for one cohort or per group.

    Parameters
    ----------
    time
        Follow-up times (>= 0).
    event
        1 (or True) for an observed event, 0 for censoring.
    group
        Optional group labels; a categorical keeps its level order.
    conf_type
        ``"log"`` (R's default), ``"log-log"`` or ``"plain"``.
    conf_level
        Confidence level of the pointwise intervals.

    Returns
    -------
    table
        One row per distinct time and group: ``group``, ``time``, ``n_risk``, ``n_event``, ``n_censor``,
        ``survival``, ``std_err`` (of the cumulative hazard, as R's ``std.err``), ``lower``, ``upper``.
    median
        Median survival per group (NaN when the curve never reaches 0.5).
    """
    t, e = check_survival_data(time, event)
    if conf_type not in CONF_TYPES:
        raise ValidationError(f"conf_type must be one of {list(CONF_TYPES)}, got {conf_type!r}")
    if not 0 < conf_level < 1:
        raise ValidationError(f"conf_level must be in (0, 1), got {conf_level}")
    z = stats.norm.ppf(0.5 + conf_level / 2.0)
    if group is None:
        codes, labels = np.zeros(len(t), dtype=int), ["all"]
    else:
        codes, labels = encode_groups(group, len(t))
    frames, medians = [], {}
    for k, label in enumerate(labels):
        mask = codes == k
        res = _km_one(t[mask], e[mask], z, conf_type)
        frame = pd.DataFrame(res)
        frame.insert(0, "group", label)
        frames.append(frame)
        medians[label] = median_survival(res["time"], res["survival"], res["n_event"])
    table = pd.concat(frames, ignore_index=True)
    table["group"] = pd.Categorical(table["group"], categories=labels)
    return table, pd.Series(medians, name="median", dtype=np.float64)
