"""Small simulated Hi-C fixtures (seeded)."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="session")
def small_chain():
    """40-bead confined random walk and Poisson counts at mean 5 per pair (α = −3)."""
    from pyomics_bridge import hic

    rng = np.random.default_rng(3)
    X = hic.random_walk(40, confinement=3.0, rng=rng)
    C, beta = hic.simulate_counts(X, alpha=-3.0, mean_count=5.0, rng=rng)
    return X, C, beta


@pytest.fixture
def contact_adata():
    from pyomics_bridge.datasets._hic import synthetic_hic

    return synthetic_hic(n_bins=30, mean_count=5.0, bias_sd=0.2, random_state=1)
