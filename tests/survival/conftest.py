"""R's survival datasets (lung, veteran, colon) fetched live through rpy2 for reference comparisons."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def _r_dataset(name: str) -> pd.DataFrame:
    from rpy2.robjects import conversion, default_converter, pandas2ri

    from pyomics_bridge.r import robjects

    ro = robjects()
    frame = ro.r(f"as.data.frame(lapply(survival::{name}, function(x) if (is.factor(x)) as.character(x) else x))")
    with conversion.localconverter(default_converter + pandas2ri.converter):
        return conversion.get_conversion().rpy2py(frame)


@pytest.fixture(scope="session")
def lung(require_r_survival) -> pd.DataFrame:
    d = _r_dataset("lung")
    d["event"] = (d["status"] == 2).astype(int)  # lung codes 1 = censored, 2 = dead
    return d


@pytest.fixture(scope="session")
def veteran(require_r_survival) -> pd.DataFrame:
    return _r_dataset("veteran")


@pytest.fixture(scope="session")
def colon(require_r_survival) -> pd.DataFrame:
    d = _r_dataset("colon")
    return d[d["etype"] == 2].reset_index(drop=True)  # death events only


def rel_err(a, b) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))
