"""Plotting: figures drawn from the slots that :mod:`pyomics_bridge.tl` functions write.

matplotlib is imported only when a plotting function is called (extra ``plot``).
Every function takes the data object first, returns the :class:`matplotlib.axes.Axes`, and accepts ``ax=``.
"""

from ._km_risk_table import kaplan_meier_risk_table, numbers_at_risk
from ._multiomics import correlation_circle, sample_plot, variable_correlations
from ._prognostic import forest, threshold_scan
from ._survival import kaplan_meier

__all__ = [
    "correlation_circle",
    "forest",
    "kaplan_meier",
    "kaplan_meier_risk_table",
    "sample_plot",
    "threshold_scan",
    "variable_correlations",
]
