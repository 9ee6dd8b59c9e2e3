"""Survival analysis and prognostic biomarkers (kernels and estimators).

The foundation provides the Kaplan–Meier estimator and the log-rank / :math:`G^\\rho` tests, both validated
against R's ``survival`` package (``backend="r"`` in :mod:`pyomics_bridge.tl` and :mod:`pyomics_bridge.r.survival`).
"""

from ._kaplan_meier import CONF_TYPES, kaplan_meier, median_survival
from ._logrank import LogrankResult, logrank_test
from ._logrank_screen import logrank_screen
from ._maxstat import PMETHODS, MaxstatResult, bh_adjust, logrank_scores, maxstat_cutpoint, maxstat_screen, permutation_maxT
from ._maxstat_pvalues import p_lausen92, p_lausen94

__all__ = [
    "CONF_TYPES",
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
