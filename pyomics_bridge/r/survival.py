"""Reference calls to R's ``survival`` package (``survdiff``, ``survfit``) through rpy2.

These return exactly the containers of the Python kernels in :mod:`pyomics_bridge.survival`, so that
``backend="r"`` and ``backend="python"`` are interchangeable and comparable number for number.
Call them from the main thread or from worker *processes* only (rpy2 is not thread-safe).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..survival._kaplan_meier import CONF_TYPES
from ..survival._logrank import LogrankResult
from ..survival._validate import check_survival_data, encode_groups
from ._session import require_r_package, robjects

_SURVDIFF = """
function(time, event, group, rho) {
  fit <- survival::survdiff(survival::Surv(time, event) ~ group, rho = rho)
  list(obs = as.numeric(fit$obs), exp = as.numeric(fit$exp), var = as.matrix(fit$var),
       chisq = fit$chisq, n = as.numeric(fit$n))
}
"""

_SURVFIT = """
function(time, event, group, conf_type, conf_int) {
  fit <- survival::survfit(survival::Surv(time, event) ~ group, conf.type = conf_type, conf.int = conf_int)
  strata <- if (is.null(fit$strata)) rep(1L, length(fit$time)) else rep(seq_along(fit$strata), fit$strata)
  list(strata = as.integer(strata), time = fit$time, n_risk = fit$n.risk, n_event = fit$n.event,
       n_censor = fit$n.censor, surv = fit$surv, std_err = fit$std.err,
       lower = fit$lower, upper = fit$upper,
       median = as.numeric(if (is.null(fit$strata)) summary(fit)$table["median"]
                           else summary(fit)$table[, "median"]))
}
"""


def _r_inputs(time, event, group):
    ro = robjects()
    t, e = check_survival_data(time, event)
    codes, labels = encode_groups(group, len(t))
    # Pass the group as integer codes with explicit level labels, so R keeps our level order.
    factor = ro.r["factor"](ro.IntVector(codes + 1), levels=ro.IntVector(range(1, len(labels) + 1)),
                            labels=ro.StrVector([str(x) for x in labels]))
    return ro, ro.FloatVector(t), ro.IntVector(e.astype(int)), factor, codes, labels


def _as_array(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def survdiff(time, event, group, *, rho: float = 0.0) -> LogrankResult:
    """``survival::survdiff(Surv(time, event) ~ group, rho=rho)`` as a :class:`LogrankResult`."""
    require_r_package("survival", purpose="the R log-rank reference (survdiff)")
    ro, t, e, g, codes, labels = _r_inputs(time, event, group)
    out = ro.r(_SURVDIFF)(t, e, g, float(rho))
    res = {name: out.rx2(name) for name in ("obs", "exp", "var", "chisq", "n")}
    k = len(labels)
    variance = _as_array(res["var"]).reshape(k, k, order="F")
    df = k - 1
    statistic = float(res["chisq"][0])
    table = pd.DataFrame(
        {"n": _as_array(res["n"]).astype(np.int64), "observed": _as_array(res["obs"]),
         "expected": _as_array(res["exp"]), "var": np.diag(variance)},
        index=pd.Index(labels, name="group"),
    )
    return LogrankResult(statistic=statistic, df=df, pvalue=float(stats.chi2.sf(statistic, df)), table=table,
                         variance=variance)


def survfit(time, event, group=None, *, conf_type: str = "log", conf_level: float = 0.95):
    """``survival::survfit`` Kaplan–Meier curves, in the layout of :func:`pyomics_bridge.survival.kaplan_meier`."""
    require_r_package("survival", purpose="the R Kaplan-Meier reference (survfit)")
    if conf_type not in CONF_TYPES:
        raise ValueError(f"conf_type must be one of {list(CONF_TYPES)}, got {conf_type!r}")
    if group is None:
        group = np.zeros(len(np.asarray(time)), dtype=int)
        relabel = ["all"]
    else:
        relabel = None
    ro, t, e, g, codes, labels = _r_inputs(time, event, group)
    labels = relabel or labels
    out = ro.r(_SURVFIT)(t, e, g, conf_type, float(conf_level))
    cols = {name: _as_array(out.rx2(name)) for name in
            ("time", "n_risk", "n_event", "n_censor", "surv", "std_err", "lower", "upper")}
    strata = np.asarray(out.rx2("strata"), dtype=int) - 1
    table = pd.DataFrame({
        "group": pd.Categorical.from_codes(strata, categories=labels),
        "time": cols["time"], "n_risk": cols["n_risk"], "n_event": cols["n_event"],
        "n_censor": cols["n_censor"], "survival": cols["surv"], "std_err": cols["std_err"],
        "lower": cols["lower"], "upper": cols["upper"],
    })
    # survfit drops empty strata; medians come from R's own summary table.
    medians = pd.Series(_as_array(out.rx2("median")), index=labels, name="median", dtype=np.float64)
    return table, medians
