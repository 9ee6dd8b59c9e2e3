"""Survival analysis and prognostic biomarkers (kernels and estimators).

Kaplan–Meier, log-rank / :math:`G^\\rho` tests, Cox proportional hazards (Efron/Breslow, strata) and vectorised
screens (``logrank_screen``, ``cox_screen``), maximally selected log-rank cut-points with selection-corrected
p-values (``maxstat_cutpoint``), all validated against R's ``survival`` and ``maxstat`` packages
(reference calls in :mod:`pyomics_bridge.r.survival`, ``survival_cox``, ``survival_maxstat``).
"""

from ._cox import ChiSquareTest, CoxConvergenceWarning, CoxPH, concordance_counts
from ._cox_screen import cox_screen
from ._kaplan_meier import CONF_TYPES, kaplan_meier, median_survival
from ._logrank import LogrankResult, logrank_test
from ._logrank_screen import logrank_screen
from ._maxstat import PMETHODS, MaxstatResult, bh_adjust, logrank_scores, maxstat_cutpoint, maxstat_screen, permutation_maxT
from ._maxstat_pvalues import p_lausen92, p_lausen94

__all__ = [
    "CONF_TYPES",
    "ChiSquareTest",
    "CoxConvergenceWarning",
    "CoxPH",
    "concordance_counts",
    "cox_screen",
    "PMETHODS",
    "LogrankResult",
    "MaxstatResult",
    "bh_adjust",
    "kaplan_meier",
    "logrank_scores",
    "logrank_screen",
    "logrank_test",
    "maxstat_cutpoint",
    "maxstat_screen",
    "median_survival",
    "p_lausen92",
    "p_lausen94",
    "permutation_maxT",
]
