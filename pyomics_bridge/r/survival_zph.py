"""Reference call to R's ``survival::cox.zph`` through rpy2, in the container of
:func:`pyomics_bridge.survival.cox_zph` (:class:`~pyomics_bridge.survival._cox_zph.CoxZphResult`).

``cox_zph(X, time, event, ties=..., strata=..., transform=...)`` fits ``coxph`` in R on the same data and returns
R's ``cox.zph`` table, transformed times, scaled Schoenfeld residuals and coefficient variance.
Call from the main thread or from worker *processes* only (rpy2 is not thread-safe).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..survival._cox_zph import ZPH_TRANSFORMS, CoxZphResult
from ._session import require_r_package, robjects
from .survival_cox import R_COX_FORMULA, r_cox_data

_ZPH = """
function(X, time, event, ties, strata_codes, transform) {""" + R_COX_FORMULA + """  fit <- survival::coxph(form, data = df, ties = ties)
  z <- survival::cox.zph(fit, transform = transform)
  list(table = unname(as.matrix(z$table)), x = as.numeric(z$x), time = as.numeric(z$time),
       y = unname(as.matrix(z$y)), var = unname(as.matrix(z$var)), coef = unname(coef(fit)))
}
"""


def cox_zph(X, time, event, *, ties: str = "efron", strata=None, transform: str = "km") -> CoxZphResult:
    """``cox.zph(coxph(Surv(time, event) ~ X [+ strata(strata)], ties=ties), transform)`` as a ``CoxZphResult``.

    The R coefficients are in ``result.coef`` (an extra attribute) for comparisons.
    """
    require_r_package("survival", purpose="the R proportional-hazards test reference (cox.zph)")
    if ties not in ("efron", "breslow"):
        raise ValueError(f"ties must be 'efron' or 'breslow', got {ties!r}")
    if transform not in ZPH_TRANSFORMS:
        raise ValueError(f"transform must be one of {list(ZPH_TRANSFORMS)}, got {transform!r}")
    ro = robjects()
    rX, r_t, r_e, r_strata, names = r_cox_data(ro, X, time, event, strata)
    p = len(names)
    out = ro.r(_ZPH)(rX, r_t, r_e, ties, r_strata, transform)
    get = lambda k: np.asarray(out.rx2(k), dtype=np.float64)  # noqa: E731
    tab = get("table").reshape(-1, 3, order="F") if get("table").ndim == 1 else get("table")
    index = list(names) + ["GLOBAL"] if tab.shape[0] > p else list(names)
    table = pd.DataFrame({"chisq": tab[:, 0], "df": tab[:, 1].astype(int), "p": tab[:, 2]}, index=pd.Index(index))
    y = get("y").reshape(-1, p, order="F") if get("y").ndim == 1 else get("y")
    var = get("var").reshape(p, p, order="F") if get("var").ndim == 1 else get("var")
    res = CoxZphResult(table=table, x=get("x"), time=get("time"), y=pd.DataFrame(y, columns=names),
                       var=pd.DataFrame(var, index=names, columns=names), transform=transform)
    res.coef = get("coef")
    return res
