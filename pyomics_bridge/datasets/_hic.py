"""Seeded synthetic Hi-C contact map with a known 3D structure (registered as ``synthetic_hic``)."""

from __future__ import annotations

import numpy as np

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
    random_state: int | None = 0,
):
    """Contact map simulated from a random-walk chain: c_ij ~ Poisson/NB(β b_i b_j d_ij^α), i ≠ j.

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
        Bin size (bp) and chromosome name for ``.obs``.
    random_state
        Seed.

    Returns
    -------
    AnnData contact map (bins as obs and var, sparse symmetric counts in ``.X``), true structure in
    ``.obsm["X_true"]``, true biases in ``.obs["true_bias"]``, and ``.uns["synthetic"]`` with ``alpha``, ``beta``,
    ``mean_count``, ``distribution``, ``dispersion``.
    """
    from ..hic import contact_anndata, random_walk, simulate_counts
    from ..hic._io import bins_from_lengths

    if structure not in ("confined", "random_walk"):
        raise ValidationError(f"structure must be 'confined' or 'random_walk', got {structure!r}")
    if int(n_bins) < 4:
        raise ValidationError(f"n_bins must be >= 4, got {n_bins}")
    rng = np.random.default_rng(random_state)
    X = random_walk(int(n_bins), confinement=confinement if structure == "confined" else None, rng=rng)
    bias = np.exp(rng.normal(scale=bias_sd, size=int(n_bins))) if bias_sd > 0 else np.ones(int(n_bins))
    bias = bias / np.exp(np.mean(np.log(bias)))
    counts, beta = simulate_counts(X, alpha=alpha, mean_count=mean_count, distribution=distribution,
                                   dispersion=dispersion, bias=bias, rng=rng)
    adata = contact_anndata(counts, bins_from_lengths([int(n_bins)], resolution, [chrom]), resolution=resolution)
    adata.obsm["X_true"] = X
    adata.obs["true_bias"] = bias
    adata.uns["synthetic"] = {"alpha": float(alpha), "beta": float(beta), "mean_count": float(mean_count),
                              "distribution": distribution, "dispersion": float(dispersion),
                              "structure": structure, "random_state": "None" if random_state is None else int(random_state)}
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
