"""3D genome structure from Hi-C: ICE normalisation, MDS/NMDS, Poisson (PM1/PM2) and negative-binomial models,
consensus over starts, evaluation (Kabsch, RMSD, dSCC), a ground-truth simulator, text and .cool/.mcool I/O.

Kernels take arrays (sparse symmetric counts, bias vectors, ``(n, 3)`` structures); the AnnData drivers are
:func:`pyomics_bridge.tl.ice`, :func:`pyomics_bridge.tl.infer_structure` and
:func:`pyomics_bridge.tl.consensus_structure`. See ``docs/hic.md``.
"""

from ._align import (
    Alignment,
    distance_count_spearman,
    dpcc,
    dscc,
    evaluate_structure,
    kabsch,
    mean_pairwise_distance,
    rescale,
    rmsd,
)
from ._api import METHODS, EmptyBinsWarning, StructureResult, ice, infer_structure
from ._base import StructureModel
from ._consensus import Consensus, consensus_structures
from ._cooler import list_resolutions, read_cool, write_cool
from ._distance import PairData, PairGeometry, make_pairs, pair_distances, scatter_gradient
from ._ice import ICE, ICEResult, apply_filter, filter_low_counts, ice_normalization, remove_diagonals
from ._io import (
    bins_from_lengths,
    contact_anndata,
    from_coo,
    read_hicpro,
    read_hicpro_anndata,
    write_hicpro,
    write_structure_pdb,
)
from ._mds import MDS, NMDS, mds_objective, wish_distances
from ._multiscale import Multiscale, coarsen, interpolate_structure
from ._nb import (
    NegativeBinomialStructure,
    estimate_dispersion,
    estimate_dispersion_mle,
    estimate_dispersion_pearson,
    nb_dispersion_nll,
    nb_objective,
)
from ._poisson import (
    PM1,
    PM2,
    alpha_profile_objective,
    estimate_alpha_beta,
    estimate_beta,
    poisson_objective,
    poisson_profile_objective,
)
from ._simulate import HiCSimulation, random_walk, simulate, simulate_counts
from ._validate import ConvergenceWarning, as_contact_matrix

__all__ = [
    "EmptyBinsWarning",
    "HiCSimulation",
    "simulate",
    "METHODS",
    "StructureResult",
    "ice",
    "infer_structure",
    "Multiscale",
    "coarsen",
    "interpolate_structure",
    "Alignment",
    "Consensus",
    "ConvergenceWarning",
    "ICE",
    "ICEResult",
    "MDS",
    "NMDS",
    "NegativeBinomialStructure",
    "PM1",
    "PM2",
    "PairData",
    "PairGeometry",
    "StructureModel",
    "alpha_profile_objective",
    "apply_filter",
    "as_contact_matrix",
    "bins_from_lengths",
    "consensus_structures",
    "contact_anndata",
    "distance_count_spearman",
    "dpcc",
    "dscc",
    "estimate_alpha_beta",
    "estimate_beta",
    "estimate_dispersion",
    "estimate_dispersion_mle",
    "estimate_dispersion_pearson",
    "evaluate_structure",
    "filter_low_counts",
    "from_coo",
    "ice_normalization",
    "kabsch",
    "list_resolutions",
    "make_pairs",
    "mds_objective",
    "mean_pairwise_distance",
    "nb_dispersion_nll",
    "nb_objective",
    "pair_distances",
    "poisson_objective",
    "poisson_profile_objective",
    "random_walk",
    "read_cool",
    "read_hicpro",
    "read_hicpro_anndata",
    "remove_diagonals",
    "rescale",
    "rmsd",
    "scatter_gradient",
    "simulate_counts",
    "wish_distances",
    "write_cool",
    "write_hicpro",
    "write_structure_pdb",
]
