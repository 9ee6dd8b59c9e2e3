"""Shared test fixtures: R availability and small AnnData objects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from anndata import AnnData


def r_survival_available() -> bool:
    try:
        from pyomics_bridge.r._session import r_package_version

        return r_package_version("survival") is not None
    except Exception:
        return False


@pytest.fixture(scope="session")
def require_r_survival():
    if not r_survival_available():
        pytest.skip("R, rpy2 or the R package 'survival' is not installed (apt-get install r-cran-survival)")


@pytest.fixture
def surv_adata() -> AnnData:
    rng = np.random.default_rng(0)
    n = 60
    obs = pd.DataFrame(
        {
            "time": np.round(rng.exponential(10, n), 1),
            "event": rng.integers(0, 2, n),
            "arm": pd.Categorical(rng.choice(["b", "a", "c"], n), categories=["b", "a", "c"]),
        },
        index=[f"s{i}" for i in range(n)],
    )
    return AnnData(rng.normal(size=(n, 4)), obs=obs)
