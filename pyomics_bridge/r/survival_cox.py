"""Reference call to R's ``survival::coxph`` through rpy2, in the containers of
:class:`pyomics_bridge.survival._cox.CoxPH`.

``coxph(X, time, event, ties=..., strata=..., weights=...)`` returns a dict whose keys are the fitted-attribute
names of ``CoxPH`` without the trailing underscore (``coef``, ``se``, ``var``, ``z``, ``pvalues``,
``hazard_ratios``, ``loglik``, ``loglik_null``, ``lr_test``, ``wald_test``, ``score_test``, ``concordance``,
``n_iter``), with the same types (Series / DataFrame indexed by covariate name, :class:`ChiSquareTest`), plus
``warnings`` (R's warning messages, e.g. "coefficient may be infinite").

With case weights R reports a robust (sandwich) variance by default; the model-based ``naive.var`` is returned
instead, to match ``CoxPH`` (and the Wald test is computed from it).
Call from the main thread or from worker *processes* only (rpy2 is not thread-safe).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..survival._cox import ChiSquareTest, check_covariates
from ..survival._validate import check_survival_data, encode_groups
from ._session import require_r_package, robjects

# R lines shared by the coxph and cox.zph references: the data frame ``df`` and the formula ``form``
# (``Surv(.time, .event) ~ x1 + ... [+ strata(.strata)]``) from X, time, event and strata_codes.
R_COX_FORMULA = """
  strata <- survival::strata
  df <- as.data.frame(X)
  cov <- paste0("x", seq_len(ncol(X)))
  names(df) <- cov
  df$.time <- time
  df$.event <- event
  rhs <- paste(cov, collapse = " + ")
  if (!is.null(strata_codes)) {
    df$.strata <- factor(strata_codes)
    rhs <- paste(rhs, "+ strata(.strata)")
  }
  form <- as.formula(paste("survival::Surv(.time, .event) ~", rhs))
"""

_COXPH = """
function(X, time, event, ties, strata_codes, weights, iter_max, eps) {""" + R_COX_FORMULA + """  msgs <- character(0)
  ctrl <- survival::coxph.control(eps = eps, iter.max = iter_max)
  fit <- withCallingHandlers(
    if (is.null(weights)) survival::coxph(form, data = df, ties = ties, control = ctrl)
    else { df$.w <- weights; survival::coxph(form, data = df, ties = ties, weights = .w, control = ctrl) },
    warning = function(w) { msgs <<- c(msgs, conditionMessage(w)); invokeRestart("muffleWarning") })
  v <- if (!is.null(fit$naive.var)) fit$naive.var else fit$var
  b <- unname(coef(fit))
  wald <- if (!is.null(fit$naive.var)) sum(b * solve(v, b)) else fit$wald.test
  list(coef = b, var = as.matrix(v), loglik = fit$loglik, score = fit$score, wald = unname(wald),
       concordance = unname(fit$concordance["concordance"]), iter = fit$iter, warnings = msgs)
}
"""


def r_cox_data(ro, X, time, event, strata):
    """Checked survival data as R objects ``(X matrix, time, event, strata codes or NULL)`` and covariate names."""
    t, e = check_survival_data(time, event)
    Xa, names = check_covariates(X, t.size)
    n, p = Xa.shape
    rX = ro.r["matrix"](ro.FloatVector(Xa.ravel(order="F")), nrow=n, ncol=p)
    r_strata = ro.NULL if strata is None else ro.IntVector(encode_groups(strata, n, name="strata")[0] + 1)
    return rX, ro.FloatVector(t), ro.IntVector(e.astype(int)), r_strata, names


def coxph(X, time, event, *, ties: str = "efron", strata=None, weights=None, tol: float = 1e-9,
          max_iter: int = 20) -> dict:
    """``survival::coxph(Surv(time, event) ~ X [+ strata(strata)], ties=ties)`` as ``CoxPH``'s containers."""
    require_r_package("survival", purpose="the R Cox regression reference (coxph)")
    if ties not in ("efron", "breslow"):
        raise ValueError(f"ties must be 'efron' or 'breslow', got {ties!r}")
    ro = robjects()
    rX, r_t, r_e, r_strata, names = r_cox_data(ro, X, time, event, strata)
    p = len(names)
    r_w = ro.NULL if weights is None else ro.FloatVector(np.asarray(weights, dtype=np.float64))
    out = ro.r(_COXPH)(rX, r_t, r_e, ties, r_strata, r_w,
                       int(max_iter), float(tol))
    res = {k: out.rx2(k) for k in ("coef", "var", "loglik", "score", "wald", "concordance", "iter", "warnings")}
    idx = pd.Index(names)
    coef = np.asarray(res["coef"], dtype=np.float64)
    var = np.asarray(res["var"], dtype=np.float64).reshape(p, p, order="F")
    se = np.sqrt(np.diag(var))
    z = coef / se
    loglik = np.asarray(res["loglik"], dtype=np.float64)

    def test(stat):
        return ChiSquareTest(float(stat), p, float(stats.chi2.sf(stat, p)))

    return {
        "coef": pd.Series(coef, index=idx, name="coef"),
        "se": pd.Series(se, index=idx, name="se"),
        "var": pd.DataFrame(var, index=idx, columns=idx),
        "z": pd.Series(z, index=idx, name="z"),
        "pvalues": pd.Series(2 * stats.norm.sf(np.abs(z)), index=idx, name="p"),
        "hazard_ratios": pd.Series(np.exp(coef), index=idx, name="exp(coef)"),
        "loglik_null": float(loglik[0]),
        "loglik": float(loglik[-1]),
        "lr_test": test(2 * (loglik[-1] - loglik[0])),
        "wald_test": test(float(np.asarray(res["wald"])[0])),
        "score_test": test(float(np.asarray(res["score"])[0])),
        "concordance": float(np.asarray(res["concordance"])[0]),
        "n_iter": int(np.asarray(res["iter"])[0]),
        "warnings": [str(w) for w in res["warnings"]],
    }
