"""Tools: analysis methods on AnnData/MuData (scanpy-style: data first, keyword-only options, ``key_added``).

Each function validates its inputs, calls a kernel or estimator from a method-family subpackage
(:mod:`pyomics_bridge.survival`, :mod:`pyomics_bridge.multiomics`, ...), and writes its results with
``params`` and ``versions`` in ``.uns[key_added]``.
"""

from ._clustering import consensus_clustering
from ._cox import cox
from ._diablo import block_spls, diablo, diablo_predict
from ._gonet import gonet
from ._hic import consensus_structure, hic_structure, ice, infer_structure
from ._mint import mint_plsda, mint_splsda
from ._multiomics import pca_mixomics, pls, plsda, plsda_predict, rcc, spca, spls, splsda
from ._prognostic import (
    activation_reference,
    activation_score,
    prognostic_thresholds,
    tissue_restricted_genes,
    transfer_thresholds,
    validate_panel,
)
from ._regulatory import tfscope
from ._survival import kaplan_meier, logrank

__all__ = [
    "mint_plsda",
    "mint_splsda",
    "activation_reference",
    "activation_score",
    "block_spls",
    "consensus_clustering",
    "consensus_structure",
    "cox",
    "diablo",
    "diablo_predict",
    "gonet",
    "ice",
    "hic_structure",
    "infer_structure",
    "kaplan_meier",
    "logrank",
    "pca_mixomics",
    "pls",
    "plsda",
    "plsda_predict",
    "prognostic_thresholds",
    "rcc",
    "spca",
    "spls",
    "splsda",
    "tfscope",
    "tissue_restricted_genes",
    "transfer_thresholds",
    "validate_panel",
]
