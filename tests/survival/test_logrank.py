"""Log-rank / G-rho tests: a hand-computed example, lifelines, and live R survival::survdiff."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pyomics_bridge._conventions import ValidationError
from pyomics_bridge.survival import logrank_test

from .conftest import rel_err


def test_hand_computed_two_groups():
    # Group A: events at 1, 3; censored at 4. Group B: events at 2, 5.
    # t=1: n=(3,2) d=(1,0): E_A = 3/5, V = 1*4/4 * 3/5 * 2/5 = 6/25
    # t=2: n=(2,2) d=(0,1): E_A = 1/2, V = 1*3/3 * 1/2 * 1/2 = 1/4
    # t=3: n=(2,1) d=(1,0): E_A = 2/3, V = 1*2/2 * 2/3 * 1/3 = 2/9
    # t=5: n=(0,1) d=(0,1): E_A = 0,   V = 0
    time = [1, 3, 4, 2, 5]
    event = [1, 1, 0, 1, 1]
    group = ["A", "A", "A", "B", "B"]
    res = logrank_test(time, event, group)
    e_a = 3 / 5 + 1 / 2 + 2 / 3
    v = 6 / 25 + 1 / 4 + 2 / 9
    assert res.table.loc["A", "expected"] == pytest.approx(e_a, rel=1e-14)
    assert res.statistic == pytest.approx((2 - e_a) ** 2 / v, rel=1e-14)
    assert res.df == 1
    assert list(res.table.index) == ["A", "B"]


def test_matches_lifelines_multigroup():
    lifelines_stats = pytest.importorskip("lifelines.statistics")
    rng = np.random.default_rng(1)
    t = np.round(rng.exponential(5, 300), 0) + 1  # many ties
    e = rng.random(300) < 0.6
    g = rng.integers(0, 4, 300)
    ours = logrank_test(t, e, g)
    ref = lifelines_stats.multivariate_logrank_test(t, g, e)
    assert ours.statistic == pytest.approx(ref.test_statistic, rel=1e-10)
    assert ours.df == 3


def test_level_order_and_empty_levels():
    cat = pd.Categorical(["x", "z", "x", "z"], categories=["z", "y", "x"])
    res = logrank_test([1, 2, 3, 4], [1, 1, 0, 1], cat)
    assert list(res.table.index) == ["z", "x"]  # empty level 'y' dropped, order kept


@pytest.mark.parametrize(
    ("time", "event", "group", "match"),
    [
        ([1, 2, np.nan], [1, 0, 1], [0, 1, 1], "time has 1 missing"),
        ([1, -2, 3], [1, 0, 1], [0, 1, 1], "time must be >= 0"),
        ([1, 2, 3], [1, 2, 1], [0, 1, 1], "event must be 0/1"),
        ([1, 2, 3], [1, 0], [0, 1, 1], "event has shape"),
        ([1, 2, 3], [1, 0, 1], [0, 0, 0], "at least two distinct"),
    ],
)
def test_bad_input(time, event, group, match):
    with pytest.raises(ValidationError, match=match):
        logrank_test(time, event, group)


@pytest.mark.r
@pytest.mark.parametrize("rho", [0.0, 1.0, 0.5])
@pytest.mark.parametrize(("dataset", "by"), [("lung", "sex"), ("lung", "ph.ecog"), ("veteran", "celltype"),
                                             ("colon", "rx")])
def test_matches_r_survdiff(request, dataset, by, rho):
    from pyomics_bridge.r.survival import survdiff

    d = request.getfixturevalue(dataset).dropna(subset=[by])
    event = d["event"] if "event" in d else d["status"]
    ours = logrank_test(d["time"], event, d[by].astype(str), rho=rho)
    ref = survdiff(d["time"], event, d[by].astype(str), rho=rho)
    assert rel_err(ours.statistic, ref.statistic) < 1e-10
    np.testing.assert_allclose(ours.table[["observed", "expected", "var"]], ref.table[["observed", "expected", "var"]],
                               rtol=1e-10)
    np.testing.assert_allclose(ours.variance, ref.variance, rtol=1e-9, atol=1e-12)
    assert ours.df == ref.df


@pytest.mark.r
def test_r_lung_published_value(lung):
    # survdiff(Surv(time, status) ~ sex, data = lung): Chisq = 10.3 on 1 df, p = 0.001 (R documentation output)
    res = logrank_test(lung["time"], lung["event"], lung["sex"])
    assert round(res.statistic, 1) == 10.3
    assert res.table["observed"].tolist() == [112, 53]


def test_groups_keyword_and_deprecated_group_alias():
    # The public name is logrank_test(time, event, groups); the old keyword `group` still works but warns.
    time = [1, 3, 4, 2, 5]
    event = [1, 1, 0, 1, 1]
    labels = ["A", "A", "A", "B", "B"]
    e_a = 3 / 5 + 1 / 2 + 2 / 3
    expected = (2 - e_a) ** 2 / (6 / 25 + 1 / 4 + 2 / 9)  # hand-computed, as in test_hand_computed_two_groups
    assert logrank_test(time, event, groups=labels).statistic == pytest.approx(expected, rel=1e-14)
    with pytest.warns(FutureWarning, match="groups="):
        old = logrank_test(time, event, group=labels)
    assert old.statistic == pytest.approx(expected, rel=1e-14)
    with pytest.raises(TypeError, match="both groups= and"):
        logrank_test(time, event, labels, group=labels)
    with pytest.raises(TypeError, match="groups"):
        logrank_test(time, event)
