"""Maximally selected log-rank statistics: kernel identities, screens, max-T, BH, null calibration, live R maxstat."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from joblib import parallel_config
from scipy import stats

from pyomics_bridge._conventions import ValidationError
from pyomics_bridge._parallel import spawn_generators
from pyomics_bridge.survival._maxstat import (
    bh_adjust,
    logrank_scores,
    maxstat_cutpoint,
    maxstat_screen,
    permutation_maxT,
)
from pyomics_bridge.survival._maxstat_pvalues import p_lausen92, p_lausen94

from .conftest import rel_err


def _data(n=80, seed=0, beta=0.0, ties=False):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    t = rng.exponential(1.0, n) * np.exp(-beta * x)
    c = rng.exponential(2.0, n)
    e = (t <= c).astype(int)
    t = np.minimum(t, c)
    if ties:
        t = np.ceil(t * 4) / 4
        x = np.round(x, 1)
    return x, t, e


# --------------------------------------------------------------------------- kernel identities (no R)
def test_scores_untied_are_event_minus_nelson_aalen():
    x, t, e = _data(50, seed=1)
    order = np.argsort(t)
    at_risk = np.arange(t.size, 0, -1)
    na = np.cumsum(e[order] / at_risk)  # Nelson-Aalen at each ordered time
    expected = np.empty(t.size)
    expected[order] = e[order] - na
    np.testing.assert_allclose(logrank_scores(t, e), expected, rtol=0, atol=1e-13)


def test_scores_tied_times_hand_computed():
    # distinct times 1,2,3,4,5; r_u = 1 + #{t > u} = 8, 6, 5, 2, 1
    t = np.array([1, 2, 2, 3, 4, 4, 4, 5.0])
    e = np.array([1, 1, 0, 1, 1, 0, 1, 0])
    h = np.cumsum([1 / 8, 1 / 6, 1 / 5, 2 / 2, 0 / 1])
    expected = e - h[[0, 1, 1, 2, 3, 3, 3, 4]]
    np.testing.assert_allclose(logrank_scores(t, e), expected, atol=1e-15)


@pytest.mark.parametrize("ties", [False, True])
def test_cumsum_scan_equals_direct_two_sample_statistic(ties):
    x, t, e = _data(90, seed=2, ties=ties)
    res = maxstat_cutpoint(x, t, e, minprop=0.2, maxprop=0.8)
    a = logrank_scores(t, e)
    n = a.size
    lo, hi = int(np.floor(n * 0.2)), int(np.floor(n * 0.8))
    cand = [c for c in np.unique(x) if lo <= np.sum(x <= c) <= hi]
    np.testing.assert_array_equal(res.cuts, cand)
    for cut, z in zip(res.cuts, res.z, strict=True):
        low = x <= cut
        m = low.sum()
        var = m * (n - m) / (n * (n - 1)) * np.sum((a - a.mean()) ** 2)
        assert z == pytest.approx((a[low].sum() - m * a.mean()) / np.sqrt(var), rel=1e-10, abs=1e-12)
    np.testing.assert_allclose(res.stats, np.abs(res.z))
    k = int(np.argmax(res.stats))
    assert res.cutpoint == res.cuts[k] and res.statistic == res.stats[k]
    assert res.n_low == np.sum(x <= res.cutpoint) and res.n_low + res.n_high == n


def test_alternatives_and_one_sided_pvalues():
    x, t, e = _data(150, seed=3, beta=0.8)  # high x -> higher hazard -> T < 0
    two = maxstat_cutpoint(x, t, e, pmethod="Lau94")
    gr = maxstat_cutpoint(x, t, e, pmethod="Lau94", alternative="greater")
    ls = maxstat_cutpoint(x, t, e, pmethod="Lau94", alternative="less")
    np.testing.assert_allclose(gr.stats, -two.z)
    np.testing.assert_allclose(ls.stats, two.z)
    assert two.z[np.argmax(two.stats)] < 0
    assert gr.statistic == pytest.approx(two.statistic)
    assert gr.pvalue == pytest.approx(two.pvalue / 2, rel=1e-12)
    assert ls.pvalue > 0.5


def test_lausen_formulas_hand_values():
    b = 3.0
    phi = stats.norm.pdf(b)
    expected = phi * (b - 1 / b) * np.log(0.9 * 0.9 / (0.1 * 0.1)) + 4 * phi / b
    assert p_lausen92(b, 0.1, 0.9) == pytest.approx(expected, rel=1e-14)
    assert p_lausen92(0.9, 0.1, 0.9) == 1.0
    eps = np.array([0.2, 0.5])
    t1 = np.sqrt(1 - 0.2 * 0.5 / (0.8 * 0.5))
    expected94 = 2 * stats.norm.sf(b) + np.exp(-b * b / 2) / np.pi * (t1 - (b * b / 4 - 1) * t1**3 / 6)
    assert p_lausen94(b, eps) == pytest.approx(expected94, rel=1e-14)
    assert p_lausen94(0.1, np.linspace(0.1, 0.9, 50)) == 1.0  # the bound exceeds 1: clipped


def test_condmc_reproducible_and_independent_of_n_jobs():
    x, t, e = _data(100, seed=4, beta=0.3)
    kw = {"pmethod": "condMC", "n_perm": 600, "random_state": 7}
    a = maxstat_cutpoint(x, t, e, **kw, n_jobs=1)
    with parallel_config(backend="threading"):
        b = maxstat_cutpoint(x, t, e, **kw, n_jobs=2)
    assert a.pvalue == b.pvalue
    assert maxstat_cutpoint(x, t, e, **kw).pvalue == a.pvalue
    assert 1 / 601 <= a.pvalue <= 1
    # the screen uses the same permutation stream: same p for the same column and seed
    s = maxstat_screen(x[:, None], t, e, pmethod="condMC", n_perm=600, random_state=7)
    assert s["pvalue"].iloc[0] == a.pvalue


def test_condmc_agrees_with_lau94_roughly():
    x, t, e = _data(120, seed=5, beta=0.25)
    mc = maxstat_cutpoint(x, t, e, pmethod="condMC", n_perm=4000, random_state=0)
    l94 = maxstat_cutpoint(x, t, e, pmethod="Lau94")
    assert 0.02 < mc.pvalue < 0.9
    assert abs(mc.pvalue - l94.pvalue) < 0.1  # Lau94 is a (slightly conservative) bound


# --------------------------------------------------------------------------- screen and max-T
def test_screen_matches_single_variable():
    rng = np.random.default_rng(6)
    n = 70
    _, t, e = _data(n, seed=6, ties=True)
    X = np.round(rng.normal(size=(n, 25)), 1)
    X[:, 3] = 1.0  # constant: no admissible cut
    X[:, 4] = rng.integers(0, 3, n)  # heavy ties
    X[:, 5] = (np.arange(n) < 3).astype(float)  # a rare level: no admissible cut either
    df = pd.DataFrame(X, columns=[f"g{i}" for i in range(25)])
    for pm, alt in (("none", "two-sided"), ("Lau92", "two-sided"), ("Lau94", "two-sided"), ("Lau94", "greater"),
                    ("Lau92", "less")):
        scr = maxstat_screen(df, t, e, pmethod=pm, alternative=alt)
        assert list(scr.index) == list(df.columns)
        for j in range(25):
            row = scr.iloc[j]
            if j in (3, 5):
                assert row["n_cuts"] == 0 and np.isnan(row["statistic"]) and np.isnan(row["pvalue"])
                continue
            one = maxstat_cutpoint(X[:, j], t, e, pmethod=pm, alternative=alt)
            assert row["cutpoint"] == one.cutpoint
            assert row["statistic"] == pytest.approx(one.statistic, rel=1e-12)
            assert row["n_low"] == one.n_low and row["n_high"] == one.n_high and row["n_cuts"] == one.cuts.size
            if pm == "none":
                assert np.isnan(row["pvalue"])
            else:
                assert row["pvalue"] == pytest.approx(one.pvalue, rel=1e-12)
        if pm != "none":
            np.testing.assert_allclose(scr["pvalue_bh"], bh_adjust(scr["pvalue"].to_numpy()))


def test_permutation_maxT_equals_brute_force_row_permutations():
    rng = np.random.default_rng(8)
    n, p, n_perm, seed = 50, 3, 300, 11
    _, t, e = _data(n, seed=8)
    X = rng.normal(size=(n, p))
    out = permutation_maxT(X, t, e, n_perm=n_perm, random_state=seed, method="single-step")
    # replay the permutation stream: one generator per chunk of 250, permuting the survival rows
    obs = np.array([maxstat_cutpoint(X[:, j], t, e).statistic for j in range(p)])
    perm_max = []
    for size, rng_k in zip([250, 50], spawn_generators(seed, 2), strict=True):
        for _ in range(size):
            idx = rng_k.permutation(n)
            perm_max.append([maxstat_cutpoint(X[:, j], t[idx], e[idx]).statistic for j in range(p)])
    perm_max = np.asarray(perm_max)
    tol = 1e-9
    raw = (1 + (perm_max >= obs - tol).sum(axis=0)) / (1 + n_perm)
    single = (1 + (perm_max.max(axis=1)[:, None] >= obs - tol).sum(axis=0)) / (1 + n_perm)
    np.testing.assert_allclose(out["statistic"], obs, rtol=1e-12)
    np.testing.assert_allclose(out["pvalue_raw"], raw)
    np.testing.assert_allclose(out["pvalue_maxT"], single)


def test_permutation_maxT_planted_gene_and_properties():
    rng = np.random.default_rng(9)
    n, p = 150, 40
    X = rng.normal(size=(n, p))
    t0 = rng.exponential(1.0, n) * np.exp(-2.0 * (X[:, 0] > 0.5))
    c = rng.exponential(2.0, n)
    t, e = np.minimum(t0, c), (t0 <= c).astype(int)
    X[:, -1] = 2.0  # constant: no cut, NaN and left out of the maxima
    sd = permutation_maxT(X, t, e, n_perm=500, random_state=3)
    with parallel_config(backend="threading"):  # n_jobs must not change the result; threads start fast
        ss = permutation_maxT(X, t, e, n_perm=500, random_state=3, method="single-step", n_jobs=2)
        again = permutation_maxT(X, t, e, n_perm=500, random_state=3, n_jobs=2)
    assert sd["pvalue_maxT"].iloc[0] < 0.01
    assert np.isnan(sd["pvalue_maxT"].iloc[-1]) and sd["n_cuts"].iloc[-1] == 0
    sd, ss = sd.iloc[:-1], ss.iloc[:-1]
    assert (sd["pvalue_maxT"].iloc[1:] > 0.05).mean() > 0.9
    assert (sd["pvalue_maxT"] >= sd["pvalue_raw"] - 1e-15).all()
    assert (sd["pvalue_maxT"] <= ss["pvalue_maxT"] + 1e-15).all()
    # monotone in the observed statistic
    order = np.argsort(-sd["statistic"].to_numpy())
    assert np.all(np.diff(sd["pvalue_maxT"].to_numpy()[order]) >= -1e-15)
    pd.testing.assert_frame_equal(sd, again.iloc[:-1])


# --------------------------------------------------------------------------- BH
def test_bh_adjust_matches_scipy_and_hand():
    p = np.array([0.01, 0.04, 0.03, 0.005, 0.5, 0.2, 0.04])
    np.testing.assert_allclose(bh_adjust(p), stats.false_discovery_control(p), rtol=1e-14)
    # hand: m = 4, sorted 0.01, 0.02, 0.03, 0.5 -> 0.04, 0.04, 0.04, 0.5
    np.testing.assert_allclose(bh_adjust([0.03, 0.5, 0.01, 0.02]), [0.04, 0.5, 0.04, 0.04])
    rng = np.random.default_rng(0)
    q = rng.random(500) ** 3
    np.testing.assert_allclose(bh_adjust(q), stats.false_discovery_control(q), rtol=1e-12)
    with_nan = bh_adjust([0.01, np.nan, 0.02])
    assert np.isnan(with_nan[1]) and with_nan[0] == pytest.approx(0.02) and with_nan[2] == pytest.approx(0.02)
    with pytest.raises(ValidationError):
        bh_adjust([0.5, 1.5])


# --------------------------------------------------------------------------- null calibration
def test_null_simulation_minp_inflated_corrections_calibrated():
    rng = np.random.default_rng(2024)
    n_sim, n = 1000, 100
    naive = l92 = l94 = 0
    for _ in range(n_sim):
        x = rng.normal(size=n)
        t0, c = rng.exponential(1.0, n), rng.exponential(2.0, n)
        res = maxstat_cutpoint(x, np.minimum(t0, c), t0 <= c, minprop=0.1, maxprop=0.9, pmethod="Lau94")
        naive += 2 * stats.norm.sf(res.statistic) < 0.05
        l94 += res.pvalue < 0.05
        l92 += p_lausen92(res.statistic, 0.1, 0.9) < 0.05
    naive, l92, l94 = naive / n_sim, l92 / n_sim, l94 / n_sim
    assert 0.2 <= naive <= 0.5, naive
    assert 0.01 <= l92 <= 0.08, l92
    assert 0.01 <= l94 <= 0.08, l94


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"x": [1.0, np.nan, 3.0, 4.0]}, "missing"),
        ({"x": [2.0, 2.0, 2.0, 2.0]}, "no admissible cut"),
        ({"minprop": 0.6, "maxprop": 0.4}, "minprop must be < maxprop"),
        ({"minprop": 0.5, "maxprop": 0.5}, "minprop must be < maxprop"),
        ({"maxprop": 1.5}, "maxprop"),
        ({"pmethod": "exactGauss"}, "pmethod"),
        ({"alternative": "bigger"}, "alternative"),
        ({"pmethod": "Lau92", "minprop": 0.0}, "Lau92"),
        ({"pmethod": "condMC", "n_perm": 0}, "n_perm"),
        ({"x": [1.0, 2.0, 3.0]}, "x has 3 values"),
        ({"event": [0, 0, 0, 0]}, "no events"),
    ],
)
def test_bad_input(kwargs, match):
    args = {"x": [1.0, 2.0, 3.0, 4.0], "time": [1.0, 2.0, 3.0, 4.0], "event": [1, 0, 1, 1], "minprop": 0.25, "maxprop": 0.75}
    args.update(kwargs)
    x, t, e = args.pop("x"), args.pop("time"), args.pop("event")
    with pytest.raises(ValidationError, match=match):
        maxstat_cutpoint(x, t, e, **args)


def test_screen_bad_input():
    _, t, e = _data(20)
    X = np.random.default_rng(0).normal(size=(20, 3))
    X[2, 1] = np.nan
    with pytest.raises(ValidationError, match="missing"):
        maxstat_screen(X, t, e)
    with pytest.raises(ValidationError, match="rows"):
        maxstat_screen(np.ones((19, 2)), t, e)
    with pytest.raises(ValidationError, match="method"):
        permutation_maxT(np.ones((20, 2)), t, e, method="holm")


# --------------------------------------------------------------------------- live R maxstat
# require_r_maxstat: tests/conftest.py (skips, or fails under POB_REQUIRE_R=1)


def _lung_sets(lung):
    for col in ("age", "ph.karno", "meal.cal"):
        d = lung[["time", "event", col]].dropna()
        yield f"lung:{col}", d[col].to_numpy(float), d["time"].to_numpy(float), d["event"].to_numpy(int)


def _reference_sets(lung, veteran):
    yield from _lung_sets(lung)
    yield "veteran:karno", veteran["karno"].to_numpy(float), veteran["time"].to_numpy(float), \
        veteran["status"].to_numpy(int)
    rng = np.random.default_rng(42)
    n = 150
    x = rng.integers(0, 12, n).astype(float)  # heavy ties in x
    t = np.ceil(rng.exponential(10, n) * np.exp(-0.08 * x))  # ties in time
    e = (rng.random(n) < 0.7).astype(int)
    yield "synthetic-ties", x, t, e


@pytest.mark.r
@pytest.mark.parametrize("props", [(0.1, 0.9), (0.25, 0.75)])
def test_matches_r_maxstat(require_r_maxstat, lung, veteran, props):
    from pyomics_bridge.r.survival_maxstat import maxstat_test

    lo, hi = props
    for name, x, t, e in _reference_sets(lung, veteran):
        for pm in ("none", "Lau92", "Lau94"):
            ours = maxstat_cutpoint(x, t, e, minprop=lo, maxprop=hi, pmethod=pm)
            ref = maxstat_test(x, t, e, minprop=lo, maxprop=hi, pmethod=pm)
            np.testing.assert_array_equal(ours.cuts, ref.cuts, err_msg=name)
            assert ours.cutpoint == ref.cutpoint, name
            assert (ours.n_low, ours.n_high) == (ref.n_low, ref.n_high), name
            assert rel_err(ours.stats, ref.stats) < 1e-8, name
            assert rel_err(ours.statistic, ref.statistic) < 1e-8, name
            if pm == "none":
                assert np.isnan(ours.pvalue) and np.isnan(ref.pvalue)
            else:
                assert rel_err(ours.pvalue, min(ref.pvalue, 1.0)) < 1e-6, (name, pm, ours.pvalue, ref.pvalue)


@pytest.mark.r
def test_condmc_within_monte_carlo_error_of_r(require_r_maxstat, lung, veteran):
    from pyomics_bridge.r.survival_maxstat import maxstat_test

    b = 10_000
    for name, x, t, e in _reference_sets(lung, veteran):
        ref = maxstat_test(x, t, e, pmethod="condMC", n_perm=b, seed=1)
        ours = maxstat_cutpoint(x, t, e, pmethod="condMC", n_perm=b, random_state=1)
        assert ours.statistic == pytest.approx(ref.statistic, rel=1e-8)
        p = max(ours.pvalue, 1.0 / b)
        se = np.sqrt(2 * p * (1 - p) / b)  # two independent Monte Carlo estimates
        assert abs(ours.pvalue - ref.pvalue) <= 3 * se + 1.0 / b, (name, ours.pvalue, ref.pvalue)
