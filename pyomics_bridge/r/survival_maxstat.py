"""Reference call to R's ``maxstat::maxstat.test`` (``smethod = "LogRank"``) through rpy2.

Returns the container of :func:`pyomics_bridge.survival._maxstat.maxstat_cutpoint`, so that the Python kernel and
R can be compared number for number. R's values are passed through unchanged: ``stats`` are :math:`|T|` per cut,
the ``Lau94`` bound may exceed 1 (the Python kernel clips it), and ``condMC`` is R's :math:`\\#\\{M^*\\ge M\\}/B`
with R's own random numbers (seeded by ``seed`` through ``set.seed``). The sign of the statistics is not reported
by R, so ``z`` is ``None``. Call from the main thread or worker processes only (rpy2 is not thread-safe).
"""

from __future__ import annotations

import numpy as np

from .._conventions import ValidationError
from ..survival._maxstat import MaxstatResult, _check_props, _check_x
from ..survival._validate import check_survival_data
from ._session import require_r_package, robjects

R_PMETHODS = ("none", "Lau92", "Lau94", "exactGauss", "HL", "condMC", "min")

_MAXSTAT = """
function(x, time, event, minprop, maxprop, pmethod, B, seed) {
  if (!is.na(seed)) set.seed(seed)
  d <- data.frame(x = x, time = time, event = event)
  args <- list(survival::Surv(time, event) ~ x, data = d, smethod = "LogRank", pmethod = pmethod,
               minprop = minprop, maxprop = maxprop)
  if (!is.na(B)) args$B <- B
  m <- do.call(maxstat::maxstat.test, args)
  list(estimate = as.numeric(m$estimate), statistic = as.numeric(m$statistic),
       pvalue = as.numeric(m$p.value), stats = as.numeric(m$stats), cuts = as.numeric(m$cuts))
}
"""


def maxstat_test(
    x,
    time,
    event,
    *,
    minprop: float = 0.1,
    maxprop: float = 0.9,
    pmethod: str = "none",
    n_perm: int | None = None,
    seed: int | None = None,
) -> MaxstatResult:
    """``maxstat::maxstat.test(Surv(time, event) ~ x, smethod="LogRank", ...)`` as a :class:`MaxstatResult`.

    Parameters
    ----------
    x, time, event
        As :func:`pyomics_bridge.survival.maxstat_cutpoint` (missing values in ``x`` are rejected, not dropped).
    minprop, maxprop, pmethod
        Passed to R; ``pmethod`` may be any of R's methods (``"none"``, ``"Lau92"``, ``"Lau94"``,
        ``"exactGauss"``, ``"HL"``, ``"condMC"``, ``"min"``).
    n_perm
        R's ``B`` (number of permutations for ``"condMC"``; R's default 10000 when ``None``).
    seed
        ``set.seed(seed)`` in R before the call (for the stochastic methods).
    """
    if pmethod not in R_PMETHODS:
        raise ValidationError(f"pmethod must be one of {list(R_PMETHODS)}, got {pmethod!r}")
    require_r_package("maxstat", purpose="the R maximally selected rank statistics reference (maxstat.test)")
    t, e = check_survival_data(time, event)
    v = _check_x(x, t.size)
    minprop, maxprop = _check_props(minprop, maxprop)
    ro = robjects()
    out = ro.r(_MAXSTAT)(
        ro.FloatVector(v), ro.FloatVector(t), ro.IntVector(e.astype(int)), minprop, maxprop, pmethod,
        ro.NA_Integer if n_perm is None else int(n_perm), ro.NA_Integer if seed is None else int(seed),
    )
    res = {name: np.asarray(out.rx2(name), dtype=np.float64) for name in
           ("estimate", "statistic", "pvalue", "stats", "cuts")}
    cut = float(res["estimate"][0])
    n_low = int(np.count_nonzero(v <= cut))
    pvalue = float(res["pvalue"][0]) if res["pvalue"].size else float("nan")
    return MaxstatResult(
        cutpoint=cut, statistic=float(res["statistic"][0]), pvalue=pvalue, cuts=res["cuts"], stats=res["stats"],
        pmethod=pmethod, n_low=n_low, n_high=int(v.size - n_low), n=int(v.size), alternative="two-sided",
        minprop=minprop, maxprop=maxprop, z=None,
        n_perm=(10_000 if n_perm is None else int(n_perm)) if pmethod == "condMC" else None,
    )
