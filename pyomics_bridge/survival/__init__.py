"""Survival analysis and prognostic biomarkers (kernels and estimators).

Kaplan–Meier, log-rank / :math:`G^\\rho` tests, Cox proportional hazards (Efron/Breslow, strata) with the
proportional-hazards test (``cox_zph``, as R ``cox.zph``) and vectorised
screens (``logrank_screen``, ``cox_screen``), maximally selected log-rank cut-points with selection-corrected
p-values (``maxstat_cutpoint``), all validated against R's ``survival`` and ``maxstat`` packages
(reference calls in :mod:`pyomics_bridge.r.survival`, ``survival_cox``, ``survival_maxstat``).
"""

from ._cox import ChiSquareTest, CoxConvergenceWarning, CoxPH, concordance_counts
from ._cox_screen import cox_screen
from ._cox_zph import ZPH_TRANSFORMS, CoxZphResult, cox_zph
from ._cut_scan import CutGrid, cut_grid, logrank_cut_scan, permutation_max_z
from ._cv_hr import cross_validated_hr
from ._discrimination import Concordance, TimeDependentAUC, censoring_survival, concordance_index, time_dependent_auc
from ._ectopic import AdaptiveThreshold, ThresholdResult, adaptive_thresholds, transfer_by_percentile, truncate_survival
from ._kaplan_meier import CONF_TYPES, kaplan_meier, median_survival
from ._logrank import LogrankResult, logrank_test
from ._logrank_screen import logrank_screen
from ._maxstat import (
    PMETHODS,
    MaxstatResult,
    bh_adjust,
    logrank_scores,
    maxstat_cutpoint,
    maxstat_screen,
    permutation_maxT,
)
from ._maxstat_pvalues import p_lausen92, p_lausen94
from ._prognostic_score import DEFAULT_BINS, activation_count, check_bins, evaluate_score, risk_groups
from ._thresholds import activation_frequency, reference_thresholds, tissue_restriction

__all__ = [
    "activation_count",
    "activation_frequency",
    "adaptive_thresholds",
    "AdaptiveThreshold",
    "bh_adjust",
    "check_bins",
    "ChiSquareTest",
    "concordance_counts",
    "CONF_TYPES",
    "cox_screen",
    "cox_zph",
    "cross_validated_hr",
    "CoxZphResult",
    "CoxConvergenceWarning",
    "CoxPH",
    "cut_grid",
    "CutGrid",
    "DEFAULT_BINS",
    "evaluate_score",
    "kaplan_meier",
    "logrank_cut_scan",
    "logrank_scores",
    "logrank_screen",
    "logrank_test",
    "LogrankResult",
    "maxstat_cutpoint",
    "maxstat_screen",
    "MaxstatResult",
    "median_survival",
    "p_lausen92",
    "p_lausen94",
    "permutation_max_z",
    "permutation_maxT",
    "PMETHODS",
    "reference_thresholds",
    "risk_groups",
    "ThresholdResult",
    "tissue_restriction",
    "transfer_by_percentile",
    "truncate_survival",
    "ZPH_TRANSFORMS",
    "Concordance",
    "TimeDependentAUC",
    "censoring_survival",
    "concordance_index",
    "time_dependent_auc",
]
