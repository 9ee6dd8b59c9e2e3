"""Tools: analysis methods on AnnData/MuData (scanpy-style: data first, keyword-only options, ``key_added``).

Each function validates its inputs, calls a kernel or estimator from a method-family subpackage
(:mod:`pyomics_bridge.survival`, :mod:`pyomics_bridge.multiomics`, ...), and writes its results with
``params`` and ``versions`` in ``.uns[key_added]``.
"""

from ._multiomics import pca_mixomics, pls, plsda, plsda_predict, rcc, spca, spls, splsda
from ._survival import kaplan_meier, logrank

__all__ = [
    "kaplan_meier",
    "logrank",
    "pca_mixomics",
    "pls",
    "plsda",
    "plsda_predict",
    "rcc",
    "spca",
    "spls",
    "splsda",
]
