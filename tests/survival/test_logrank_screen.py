"""Vectorised log-rank screen against the single-test kernel and R survdiff."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pyomics_bridge._conventions import ValidationError
from pyomics_bridge.survival import logrank_screen, logrank_test

from .conftest import rel_err


@pytest.fixture
def data():
    rng = np.random.default_rng(4)
    n = 250
    t = np.round(rng.exponential(5, n))  # heavy ties, including time 0
    e = rng.random(n) < 0.6
    x = rng.normal(size=(n, 40))
    groups = pd.DataFrame(x > np.percentile(x, 60, axis=0), columns=[f"g{j}" for j in range(40)])
    return t, e, groups


@pytest.mark.parametrize("rho", [0.0, 1.0])
def test_equals_single_tests(data, rho):
    t, e, groups = data
    res = logrank_screen(groups, t, e, rho=rho, batch_size=7)  # odd batch size exercises batching
    assert list(res.index) == list(groups.columns)
    for name in groups.columns[:: 5]:
        ref = logrank_test(t, e, groups[name].to_numpy(), rho=rho)
        assert res.loc[name, "statistic"] == pytest.approx(ref.statistic, rel=1e-11)
        assert res.loc[name, "observed"] == pytest.approx(ref.table.loc[True, "observed"], rel=1e-12)
        assert res.loc[name, "expected"] == pytest.approx(ref.table.loc[True, "expected"], rel=1e-12)
        assert res.loc[name, "var"] == pytest.approx(ref.table.loc[True, "var"], rel=1e-11)
        assert res.loc[name, "pvalue"] == pytest.approx(ref.pvalue, rel=1e-9)


def test_peto_hazard_ratio(data):
    t, e, groups = data
    res = logrank_screen(groups, t, e)
    log_hr = (res["observed"] - res["expected"]) / res["var"]
    np.testing.assert_allclose(np.log(res["hr"]), log_hr)
    np.testing.assert_allclose(np.log(res["hr_upper"]) - log_hr, 1.959963984540054 / np.sqrt(res["var"]))


def test_degenerate_groupings():
    t = np.array([1.0, 2, 3, 4, 5, 6])
    e = np.array([1, 1, 0, 1, 1, 0])
    groups = np.column_stack([np.zeros(6, bool), np.ones(6, bool), [1, 1, 1, 0, 0, 0], [0, 0, 1, 0, 0, 1]])
    res = logrank_screen(groups, t, e)
    assert np.isnan(res["statistic"].iloc[0]) and np.isnan(res["pvalue"].iloc[1])
    assert np.isfinite(res["statistic"].iloc[2])
    # group 1 of the last column has no events: statistic and Peto HR stay finite (HR < 1)
    assert res["observed"].iloc[3] == 0 and np.isfinite(res["hr"].iloc[3]) and res["hr"].iloc[3] < 1


def test_bad_shape():
    with pytest.raises(ValidationError, match="n × m matrix with n = 3"):
        logrank_screen(np.zeros((4, 2), bool), [1, 2, 3], [1, 0, 1])
    with pytest.raises(ValidationError, match="boolean or 0/1"):
        logrank_screen(np.full((3, 1), 2), [1, 2, 3], [1, 0, 1])


@pytest.mark.r
def test_matches_r(data, require_r_survival):
    from pyomics_bridge.r.survival import survdiff

    t, e, groups = data
    res = logrank_screen(groups, t, e)
    for name in groups.columns[:4]:
        ref = survdiff(t, e, groups[name].to_numpy())
        assert rel_err(res.loc[name, "statistic"], ref.statistic) < 1e-10
