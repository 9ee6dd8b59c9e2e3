"""Survival analysis and prognostic biomarkers (kernels and estimators).

The foundation provides the Kaplan–Meier estimator and the log-rank / :math:`G^\\rho` tests, both validated
against R's ``survival`` package (``backend="r"`` in :mod:`pyomics_bridge.tl` and :mod:`pyomics_bridge.r.survival`).
"""

from ._kaplan_meier import CONF_TYPES, kaplan_meier, median_survival
from ._logrank import LogrankResult, logrank_test
from ._logrank_screen import logrank_screen

__all__ = ["CONF_TYPES", "LogrankResult", "kaplan_meier", "logrank_screen", "logrank_test", "median_survival"]
