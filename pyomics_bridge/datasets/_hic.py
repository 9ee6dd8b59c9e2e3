"""Seeded synthetic Hi-C contact map with a known 3D structure (registered as ``synthetic_hic``)."""

from __future__ import annotations

from .._conventions import ValidationError
from ._registry import register_synthetic


def synthetic_hic(
    *,
    n_bins: int = 100,
    alpha: float = -3.0,
    mean_count: float = 5.0,
    structure: str = "confined",
    confinement: float = 4.0,
    distribution: str = "poisson",
    dispersion: float = 5.0,
    bias_sd: float = 0.0,
    resolution: int = 10_000,
    chrom: str = "chr1",
    lengths=None,
    inter_scale: float = 1.0,
    random_state: int | None = 0,
):
    """Contact map simulated from random-walk chains: c_ij ~ Poisson/NB(β b_i b_j d_ij^α), i ≠ j.

    A thin AnnData wrapper around :func:`pyomics_bridge.hic.simulate` (same draws for the same arguments).

    Parameters
    ----------
    n_bins
        Number of beads (bins).
    alpha
        Counts-to-distance exponent (< 0).
    mean_count
        Mean expected count over pairs i < j (sets β; coverage).
    structure
        ``"confined"`` (random walk in a sphere of radius ``confinement`` steps) or ``"random_walk"`` (free).
    confinement
        Sphere radius in step lengths for ``"confined"``.
    distribution
        ``"poisson"`` or ``"nb"`` (size ``dispersion``).
    dispersion
        NB size parameter r.
    bias_sd
        Standard deviation of log-normal per-bin biases (0: none).
    resolution, chrom
        Bin size (bp) and chromosome name for ``.obs`` (one chromosome).
    lengths
        Bins per chromosome for a multi-chromosome map (chromosomes named ``chr1``, ``chr2``, ...; ``n_bins`` is
        then ignored). Inter-chromosomal counts follow the same model (see :func:`pyomics_bridge.hic.simulate`).
    inter_scale
        Multiplier of the inter-chromosomal rates (several chromosomes only).
    random_state
        Seed.

    Returns
    -------
    AnnData contact map (bins as obs and var, sparse symmetric counts in ``.X``), true structure in
    ``.obsm["X_true"]``, true biases in ``.obs["true_bias"]``, and ``.uns["synthetic"]`` with ``alpha``, ``beta``,
    ``mean_count``, ``distribution``, ``dispersion``.
    """
    from ..hic import contact_anndata
    from ..hic._io import bins_from_lengths
    from ..hic._simulate import simulate

    if structure not in ("confined", "random_walk"):
        raise ValidationError(f"structure must be 'confined' or 'random_walk', got {structure!r}")
    if lengths is None:
        if int(n_bins) < 4:
            raise ValidationError(f"n_bins must be >= 4, got {n_bins}")
        n_bins_arg, names = int(n_bins), [chrom]
    else:
        n_bins_arg, names = None, [f"chr{k + 1}" for k in range(len(lengths))]
    sim = simulate(n_bins_arg, lengths=lengths, alpha=alpha, mean_count=mean_count, structure=structure,
                   confinement=confinement, distribution=distribution, dispersion=dispersion, bias_sd=bias_sd,
                   inter_scale=inter_scale, random_state=random_state)
    X, bias, beta, counts = sim.X, sim.bias, sim.beta, sim.counts
    adata = contact_anndata(counts, bins_from_lengths([int(L) for L in sim.lengths], resolution, names),
                            resolution=resolution)
    adata.obsm["X_true"] = X
    adata.obs["true_bias"] = bias
    adata.uns["synthetic"] = {"alpha": float(alpha), "beta": float(beta), "mean_count": float(mean_count),
                              "distribution": distribution, "dispersion": float(dispersion),
                              "structure": structure, "lengths": [int(L) for L in sim.lengths],
                              "inter_scale": float(inter_scale),
                              "random_state": "None" if random_state is None else int(random_state)}
    return adata


register_synthetic(
    "synthetic_hic",
    synthetic_hic,
    "Hi-C contact map simulated from a (confined) random-walk chain, Poisson or NB counts with c ~ d^alpha; "
    "true structure in .obsm['X_true']",
    modalities=("contacts",),
    function="pyomics_bridge.datasets.synthetic_hic",
    overwrite=True,
)
