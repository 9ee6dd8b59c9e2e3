"""Multi-omics integration: mixOmics' projection methods in Python (kernels and scikit-learn-style estimators).

Estimators (fit/transform/predict; fitted attributes keyed by block name ``"X"``/``"Y"``):

* :class:`PCA` (SVD, or NIPALS with missing values) and :class:`SPCA` (count-sparse PCA);
* :class:`PLS` / :class:`SPLS` (modes ``"regression"``, ``"canonical"``, ``"invariant"``, ``"classic"``);
* :class:`PLSDA` / :class:`SPLSDA` with mixOmics' ``max.dist``, ``centroids.dist`` and ``mahalanobis.dist``;
* :class:`RCC` (regularised CCA: ``"ridge"`` or ``"shrinkage"``).

Kernels (pure numpy): :func:`nipals`, :func:`impute_nipals`, :func:`soft_threshold`, :func:`spls_engine`,
:func:`scale_block`, :func:`near_zero_var`, :func:`explained_variance`, :func:`loadings_star_mixomics`.
Plot data: :func:`correlation_circle` (``plotVar``), :func:`similarity_matrix` (``network``/``cim``), :func:`vip`.
AnnData/MuData drivers live in :mod:`pyomics_bridge.tl` (``pca_mixomics``, ``spca``, ``pls``, ``spls``,
``plsda``, ``splsda``, ``plsda_predict``, ``rcc``). Numerical conventions and agreement with mixOmics 6.35.2:
``docs/multiomics.md``.
"""

from ._auroc import AurocResult, auc_table, auroc
from ._block import BlockPLS, BlockPLSDA, BlockSPLS, BlockSPLSDA
from ._block_predict import BlockPrediction
from ._block_similarity import block_network, block_similarity, cim_diablo
from ._compare import compare_backends
from ._consensus import ConsensusClustering, consensus_cdf, consensus_labels, pac_score
from ._cv import fold_labels, stratified_folds
from ._design import design_matrix
from ._engine import MODES, TwoBlockFit, explained_variance, loadings_star_mixomics, rotations, spls_engine
from ._mint import MINTPLS, MINTPLSDA, MINTSPLS, MINTSPLSDA, study_scale
from ._mint_perf import MINTPerfResult, TuneMINTResult, perf_mint, tune_mint_splsda
from ._nipals import NipalsResult, impute_nipals, nipals
from ._pca import PCA, SPCA
from ._perf import BlockPerfResult, PerfResult, perf
from ._pls import PLS, SPLS
from ._plsda import DISTANCES, PLSDA, SPLSDA, DAPrediction
from ._preprocess import Scaling, apply_scaling, class_levels, dummy_matrix, near_zero_var, scale_block
from ._rcc import RCC, cov_shrink
from ._similarity import correlation_circle, na_cor, similarity_matrix, vip
from ._sparse import check_keep, soft_threshold
from ._tune import TuneRCCResult, TuneResult, tune_block_splsda, tune_rcc, tune_splsda
from ._tune_spls import TuneSPLSResult, select_keep_pair, tune_spls

__all__ = [
    "AurocResult",
    "auc_table",
    "auroc",
    "MINTPLS",
    "MINTPLSDA",
    "MINTSPLS",
    "MINTSPLSDA",
    "study_scale",
    "MINTPerfResult",
    "TuneMINTResult",
    "perf_mint",
    "tune_mint_splsda",
    "TuneSPLSResult",
    "select_keep_pair",
    "tune_spls",
    "PCA",
    "SPCA",
    "PLS",
    "SPLS",
    "PLSDA",
    "SPLSDA",
    "RCC",
    "DAPrediction",
    "DISTANCES",
    "MODES",
    "NipalsResult",
    "Scaling",
    "TwoBlockFit",
    "apply_scaling",
    "check_keep",
    "correlation_circle",
    "na_cor",
    "similarity_matrix",
    "vip",
    "class_levels",
    "cov_shrink",
    "dummy_matrix",
    "explained_variance",
    "impute_nipals",
    "loadings_star_mixomics",
    "near_zero_var",
    "nipals",
    "rotations",
    "scale_block",
    "soft_threshold",
    "spls_engine",
    "fold_labels",
    "stratified_folds",
    "BlockPerfResult",
    "PerfResult",
    "perf",
    "TuneRCCResult",
    "TuneResult",
    "tune_block_splsda",
    "tune_rcc",
    "tune_splsda",
    "BlockPLS",
    "BlockSPLS",
    "BlockPLSDA",
    "BlockSPLSDA",
    "BlockPrediction",
    "block_network",
    "block_similarity",
    "cim_diablo",
    "design_matrix",
    "ConsensusClustering",
    "consensus_cdf",
    "consensus_labels",
    "pac_score",
    "compare_backends",
]
