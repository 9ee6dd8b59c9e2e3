"""The fast path of the all-cuts log-rank kernel: many distinct event times, ties, odd block sizes."""

from __future__ import annotations

import numpy as np
import pytest

from pyomics_bridge.survival import _cut_scan, logrank_screen
from pyomics_bridge.survival._cut_scan import cut_grid, logrank_cut_scan

KEYS = ("statistic", "observed", "expected", "var", "hr", "pvalue")


def _cohort(n, g, seed, time_resolution):
    rng = np.random.default_rng(seed)
    X = np.maximum(rng.normal(0.0, 1.5, (n, g)), 0.0)  # point mass at 0 (silent genes)
    X[:, 1] = np.round(X[:, 1])  # heavy ties in expression
    X[:, 2] = np.repeat(np.arange(6.0), n // 6 + 1)[:n]  # six tied levels
    act = X[:, 0] > np.percentile(X[:, 0], 60)
    t = rng.exponential(40.0 / np.where(act, 2.0, 1.0))
    t = np.round(np.maximum(t, time_resolution), -int(np.log10(time_resolution)))  # ties at the resolution
    c = np.round(rng.uniform(0, 150, n), 1)
    e = t <= c
    t = np.minimum(t, c)
    t[:5] = t[5]  # a block of tied times (events and censorings mixed)
    return X, t, e


def _check_against_screen(X, t, e, pct):
    grid = cut_grid(X, pct)
    res = logrank_cut_scan(grid, t, e)
    for j in range(X.shape[1]):
        ref = logrank_screen(X[:, [j]] > grid.thresholds[j][None, :], t, e)
        for key in KEYS:
            r, m = ref[key].to_numpy(), res[key][j]
            assert np.array_equal(np.isfinite(r), np.isfinite(m)), (j, key)
            ok = np.isfinite(r)
            np.testing.assert_allclose(m[ok], r[ok], rtol=1e-10, atol=1e-10, err_msg=f"gene {j}, {key}")
    return grid, res


@pytest.mark.parametrize("resolution", [0.01, 1.0])
def test_many_distinct_event_times_with_ties_equal_logrank_screen(resolution):
    X, t, e = _cohort(n=400, g=37, seed=5, time_resolution=resolution)  # 37 genes: not a multiple of the block
    n_times = np.unique(t[e]).size
    if resolution < 1:
        assert n_times > 200 and n_times < e.sum()  # many distinct event times, still some ties
    _check_against_screen(X, t, e, np.arange(10.0, 91.0, 1.0))


def test_block_splits_do_not_change_the_result(monkeypatch):
    X, t, e = _cohort(n=150, g=23, seed=2, time_resolution=0.1)
    pct = np.arange(15.0, 86.0, 0.5)
    full = logrank_cut_scan(cut_grid(X, pct), t, e)
    monkeypatch.setattr(_cut_scan, "_BATCH_CELLS", 700)  # outer blocks of 4 genes
    monkeypatch.setattr(_cut_scan, "_QUAD_GENES", 3)  # histogram blocks of 3 genes
    split = logrank_cut_scan(cut_grid(X, pct), t, e)
    for key in KEYS:
        np.testing.assert_allclose(split[key], full[key], rtol=1e-12, atol=1e-12, equal_nan=True)


def test_grid_order_is_decreasing_and_cuts_count_activated_samples():
    X, _, _ = _cohort(n=120, g=9, seed=1, time_resolution=1.0)
    pct = np.arange(5.0, 96.0, 2.5)
    grid = cut_grid(X, pct)
    np.testing.assert_allclose(grid.thresholds, np.percentile(X, pct, axis=0).T, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(grid.n_on, (X[:, :, None] > grid.thresholds[None, :, :]).sum(axis=0))
    xs = np.take_along_axis(X.T, grid.order, axis=1)
    assert np.all(np.diff(xs, axis=1) <= 0)
    assert np.array_equal(np.sort(grid.order, axis=1), np.tile(np.arange(X.shape[0]), (X.shape[1], 1)))


def test_no_events_and_single_event_time():
    X, t, _ = _cohort(n=60, g=4, seed=3, time_resolution=1.0)
    none = logrank_cut_scan(cut_grid(X, np.arange(20.0, 81.0, 5.0)), t, np.zeros(t.size, dtype=bool))
    assert np.all(none["var"] == 0) and np.all(np.isnan(none["z"]))
    e = np.zeros(t.size, dtype=bool)
    e[[3, 7, 11]] = True
    t = t.copy()
    t[[3, 7, 11]] = t[3]  # one distinct event time with three events
    _check_against_screen(X, t, e, np.arange(20.0, 81.0, 5.0))
