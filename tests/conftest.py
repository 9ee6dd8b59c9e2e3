"""Shared test fixtures: R availability and small AnnData objects.

Live R tests skip when R, rpy2 or an R package is missing, except when the environment variable
``POB_REQUIRE_R=1`` is set (CI): then they fail, so that a broken R installation cannot pass as skipped tests.
"""

from __future__ import annotations

import os

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


def r_required() -> bool:
    """True when ``POB_REQUIRE_R`` is set to 1/true/yes: missing R makes the live R tests fail, not skip."""
    return os.environ.get("POB_REQUIRE_R", "").strip().lower() in ("1", "true", "yes")


def skip_or_fail_without_r(reason: str) -> None:
    """Skip the test, or fail it when ``POB_REQUIRE_R=1``."""
    if r_required():
        pytest.fail(f"POB_REQUIRE_R=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def require_r_survival():
    if not r_survival_available():
        skip_or_fail_without_r("R, rpy2 or the R package 'survival' is not installed "
                               "(apt-get install r-cran-survival)")


@pytest.fixture(scope="session")
def require_r_maxstat(require_r_survival):
    from pyomics_bridge.r._session import r_package_version

    if r_package_version("maxstat") is None:
        skip_or_fail_without_r("the R package 'maxstat' is not installed (apt-get install r-cran-maxstat)")


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
