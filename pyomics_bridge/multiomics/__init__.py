"""Multi-omics integration (mixOmics in Python): kernels and scikit-learn-style estimators.

Planned content (issue "Multi-omics integration"): PCA/sPCA, PLS/sPLS, PLS-DA/sPLS-DA, rCCA, block PLS and
DIABLO, ``predict``/``perf``/``tune`` and consensus clustering. ``pob.tl`` wrappers work on MuData
(one modality per block). Nothing is implemented here yet.
"""

__all__: list[str] = []
