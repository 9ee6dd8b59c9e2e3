"""maxstat_cutpoint on the percentile grid of the adaptive thresholds: against R maxstat.test on the same cuts."""

from __future__ import annotations

import numpy as np
import pytest

from pyomics_bridge._conventions import ValidationError
from pyomics_bridge.survival._cut_scan import cut_grid
from pyomics_bridge.survival._maxstat import maxstat_cutpoint

from .conftest import rel_err

GRIDS = [np.arange(15.0, 85.5, 1.0), np.arange(10.0, 90.25, 0.5)]


# require_r_maxstat: tests/conftest.py (skips, or fails under POB_REQUIRE_R=1)


def _expression(seed=0, n=220):
    """A silent-or-activated gene (point mass at the noise floor) and survival depending on activation."""
    rng = np.random.default_rng(seed)
    on = rng.random(n) < 0.45
    x = np.where(on, rng.normal(4.0, 1.0, n), 0.1)
    x = np.round(x, 1)  # ties among the activated values too
    t = np.ceil(rng.exponential(40 * np.exp(-0.6 * on)))
    c = np.ceil(rng.uniform(5, 120, n))
    return x, np.minimum(t, c), (t <= c).astype(int)


def _grid_index(x, pct):
    """x replaced by the number of grid thresholds below it: cuts x' <= k are exactly the grid cuts."""
    thr = np.unique(cut_grid(x[:, None], pct).thresholds[0])
    return np.searchsorted(thr, x, side="left").astype(float)


def test_grid_cuts_are_the_adaptive_threshold_groups():
    x, t, e = _expression()
    pct = GRIDS[0]
    res = maxstat_cutpoint(x, t, e, minprop=0.0, maxprop=1.0, percentiles=pct)
    grid = cut_grid(x[:, None], pct)
    n_on = np.unique(grid.n_on[0])
    n_low_cuts = np.array([(x <= c).sum() for c in res.cuts])
    np.testing.assert_array_equal(np.sort(x.size - n_low_cuts), n_on[(n_on > 0) & (n_on < x.size)])
    # the statistics are those of the full scan at the same cuts, and the grid maximum is at most the full one
    full = maxstat_cutpoint(x, t, e, minprop=0.0, maxprop=1.0)
    idx = np.searchsorted(full.cuts, res.cuts)
    np.testing.assert_allclose(res.stats, full.stats[idx], rtol=1e-13)
    assert res.statistic <= full.statistic
    # same p-value with the discretised variable (the equivalence used against R)
    res2 = maxstat_cutpoint(_grid_index(x, pct), t, e, minprop=0.0, maxprop=1.0, pmethod="Lau94")
    res1 = maxstat_cutpoint(x, t, e, minprop=0.0, maxprop=1.0, pmethod="Lau94", percentiles=pct)
    assert res1.statistic == pytest.approx(res2.statistic, rel=1e-13)
    assert res1.pvalue == pytest.approx(res2.pvalue, rel=1e-12)
    assert res1.n_low == res2.n_low


def test_grid_fewer_cuts_smaller_lau94_p():
    x, t, e = _expression(seed=3)
    full = maxstat_cutpoint(x, t, e, pmethod="Lau94")
    grid = maxstat_cutpoint(x, t, e, pmethod="Lau94", percentiles=GRIDS[0])
    assert grid.cuts.size < full.cuts.size
    if grid.statistic == pytest.approx(full.statistic):
        assert grid.pvalue <= full.pvalue  # fewer cuts searched: a smaller correction


def test_grid_bad_percentiles():
    x, t, e = _expression()
    with pytest.raises(ValidationError, match="percentiles"):
        maxstat_cutpoint(x, t, e, percentiles=[10, 120])
    with pytest.raises(ValidationError, match="percentiles"):
        maxstat_cutpoint(x, t, e, percentiles=[])


@pytest.mark.r
@pytest.mark.parametrize("g", [0, 1])
@pytest.mark.parametrize("props", [(0.1, 0.9), (0.2, 0.8)])
def test_grid_matches_r_maxstat(require_r_maxstat, lung, g, props):
    from pyomics_bridge.r.survival_maxstat import maxstat_test

    pct = GRIDS[g]
    lo, hi = props
    sets = [("expression", *_expression()), ("expression-2", *_expression(seed=5, n=300))]
    for col in ("age", "ph.karno"):
        d = lung[["time", "event", col]].dropna()
        sets.append((f"lung:{col}", d[col].to_numpy(float), d["time"].to_numpy(float), d["event"].to_numpy(int)))
    for name, x, t, e in sets:
        xi = _grid_index(x, pct)
        for pm in ("none", "Lau92", "Lau94"):
            ours = maxstat_cutpoint(x, t, e, minprop=lo, maxprop=hi, pmethod=pm, percentiles=pct)
            ref = maxstat_test(xi, t, e, minprop=lo, maxprop=hi, pmethod=pm)
            m_ours = np.array([(x <= c).sum() for c in ours.cuts])
            m_ref = np.array([(xi <= c).sum() for c in ref.cuts])
            np.testing.assert_array_equal(m_ours, m_ref, err_msg=name)
            assert (ours.n_low, ours.n_high) == (ref.n_low, ref.n_high), name
            assert rel_err(ours.stats, ref.stats) < 1e-8, name
            assert rel_err(ours.statistic, ref.statistic) < 1e-8, name
            if pm != "none":
                assert rel_err(ours.pvalue, min(ref.pvalue, 1.0)) < 1e-6, (name, pm, ours.pvalue, ref.pvalue)
