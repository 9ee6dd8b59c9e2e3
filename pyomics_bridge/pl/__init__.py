"""Plotting: figures drawn from the slots that :mod:`pyomics_bridge.tl` functions write.

matplotlib is imported only when a plotting function is called (extra ``plot``).
Every function takes the data object first, returns the :class:`matplotlib.axes.Axes`, and accepts ``ax=``.
"""

from ._cox_zph import cox_zph
from ._gonet import gonet_terms
from ._hic import contact_map, distance_decay, structure_3d
from ._km_risk_table import kaplan_meier_risk_table, numbers_at_risk
from ._mixomics_plots import (
    cim,
    cim_data,
    consensus,
    consensus_data,
    diablo_network,
    diablo_network_data,
    loadings,
    loadings_data,
    perf_curve,
    perf_curve_data,
    tune_curve,
    tune_curve_data,
)
from ._multiomics import correlation_circle, sample_plot, variable_correlations
from ._prognostic import forest, forest_data, threshold_scan, threshold_scan_data
from ._regulatory import (
    tfscope_cofactors,
    tfscope_core,
    tfscope_environment,
    tfscope_environment_data,
    tfscope_roc,
)
from ._survival import kaplan_meier

__all__ = [
    "cim",
    "cim_data",
    "consensus",
    "consensus_data",
    "contact_map",
    "correlation_circle",
    "cox_zph",
    "diablo_network",
    "diablo_network_data",
    "distance_decay",
    "forest",
    "forest_data",
    "gonet_terms",
    "kaplan_meier",
    "kaplan_meier_risk_table",
    "loadings",
    "loadings_data",
    "perf_curve",
    "perf_curve_data",
    "sample_plot",
    "structure_3d",
    "tfscope_cofactors",
    "tfscope_core",
    "tfscope_environment",
    "tfscope_environment_data",
    "tfscope_roc",
    "threshold_scan",
    "threshold_scan_data",
    "tune_curve",
    "tune_curve_data",
    "variable_correlations",
]
