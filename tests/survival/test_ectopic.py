"""All-cuts log-rank kernel, adaptive thresholds (EpiMed-compatible and calibrated) and the prognostic score."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from pyomics_bridge._conventions import ValidationError
from pyomics_bridge.survival import cox_screen, logrank_screen
from pyomics_bridge.survival._cox import CoxConvergenceWarning
from pyomics_bridge.survival._cut_scan import cut_grid, logrank_cut_scan, permutation_max_z
from pyomics_bridge.survival._ectopic import (
    AdaptiveThreshold,
    adaptive_thresholds,
    transfer_by_percentile,
    truncate_survival,
)
from pyomics_bridge.survival._prognostic_score import activation_count, check_bins, risk_groups
from pyomics_bridge.survival._thresholds import activation_frequency, reference_thresholds, tissue_restriction

PCT = np.arange(15.0, 86.0, 1.0)


def _cohort(n=240, g=30, seed=0, effect_gene=0, hr=2.5):
    rng = np.random.default_rng(seed)
    X = np.maximum(rng.normal(0.0, 1.5, (n, g)), 0.0)  # point mass at 0 (silent) + activated values
    X[:, 1] = np.round(X[:, 1])  # heavy ties in expression
    act = X[:, effect_gene] > np.percentile(X[:, effect_gene], 60)
    t = np.ceil(rng.exponential(40.0 / np.where(act, hr, 1.0)))  # integer months: tied times
    c = rng.uniform(0, 150, n)
    e = t <= c
    return X, np.minimum(t, np.ceil(c)), e


# --------------------------------------------------------------------------- kernel
def test_percentile_thresholds_match_numpy():
    X, _, _ = _cohort()
    grid = cut_grid(X, PCT)
    np.testing.assert_allclose(grid.thresholds, np.percentile(X, PCT, axis=0).T, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(grid.n_on, (X[:, :, None] > grid.thresholds[None, :, :]).sum(axis=0))


def test_all_cuts_equal_logrank_screen_every_cut():
    X, t, e = _cohort(n=180, g=12, seed=3)
    X[:, 2] = np.repeat(np.arange(6.0), 30)  # six tied levels
    grid = cut_grid(X, np.arange(5.0, 96.0, 0.5))
    res = logrank_cut_scan(grid, t, e)
    for j in range(X.shape[1]):
        B = X[:, [j]] > grid.thresholds[j][None, :]
        ref = logrank_screen(B, t, e)
        for key in ("statistic", "observed", "expected", "var", "hr", "pvalue"):
            r, m = ref[key].to_numpy(), res[key][j]
            assert np.array_equal(np.isfinite(r), np.isfinite(m)), (j, key)
            ok = np.isfinite(r)
            np.testing.assert_allclose(m[ok], r[ok], rtol=1e-10, atol=1e-10)
        z = res["z"][j]
        ok = np.isfinite(z)
        assert np.all(np.sign(z[ok]) == np.sign(ref["observed"] - ref["expected"]).to_numpy()[ok])


def test_zero_event_group_does_not_crash():
    rng = np.random.default_rng(1)
    n = 100
    x = rng.normal(size=n)
    t = rng.exponential(10, n)
    e = x < np.percentile(x, 60)  # nobody in the top 40 % has an event
    X = np.column_stack([x, rng.normal(size=n)])
    res = logrank_cut_scan(cut_grid(X, PCT), t, e)
    top = res["observed"][0, PCT >= 60]
    assert np.all(top == 0) and np.all(res["z"][0, PCT >= 60] < 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CoxConvergenceWarning)  # must be caught inside
        out = adaptive_thresholds(X, t, e, mode="epimed", direction="good", cv=(3, 1), noise=None)
    assert out.table.loc["g0", "eligible"]
    assert np.isfinite(out.table.loc["g0", "p"]) or np.isnan(out.table.loc["g0", "p"])


def test_permutation_null_seeded_and_njobs_independent():
    X, t, e = _cohort(n=120, g=5)
    grid = cut_grid(X, PCT)
    adm = np.ones(grid.n_on.shape, dtype=bool)
    a = permutation_max_z(grid, t, e, adm, n_perm=12, random_state=7, n_jobs=1, chunk=4)
    b = permutation_max_z(grid, t, e, adm, n_perm=12, random_state=7, n_jobs=2, chunk=4)
    c = permutation_max_z(grid, t, e, adm, n_perm=12, random_state=8, n_jobs=1, chunk=4)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


# --------------------------------------------------------------------------- grid rules
def test_admissible_bounds_min_samples_noise_reference_and_strict_rule():
    n = 100
    x = np.concatenate([np.zeros(50), np.arange(1.0, 51.0) / 10])  # 50 silent, then 0.1 .. 5.0
    rng = np.random.default_rng(0)
    t, e = rng.exponential(10, n), rng.random(n) < 0.7
    X = np.column_stack([x, x])
    res = adaptive_thresholds(X, t, e, reference=[np.nan, 2.0], cv=None, noise=0.3, min_samples=20,
                              full_expression=False)
    grid = res.grid
    for gene, lower in (("g0", 0.3), ("g1", 2.0)):
        sub = grid[grid.gene == gene]
        adm = sub.admissible.to_numpy()
        assert np.all(sub.threshold[adm] >= lower)
        assert np.all(sub.n_activated[adm] >= 20) and np.all(n - sub.n_activated[adm] >= 20)
        # everything satisfying the rules is admissible (rules are the only bounds)
        ok = (sub.threshold >= lower) & (sub.n_activated >= 20) & (n - sub.n_activated >= 20)
        np.testing.assert_array_equal(adm, ok.to_numpy())
        # strict ">": samples equal to the threshold are not activated
        np.testing.assert_array_equal(sub.n_activated, [(x > v).sum() for v in sub.threshold])
    assert res.table.loc["g0", "n_thresholds"] > res.table.loc["g1", "n_thresholds"] > 0
    # a gene that is silent almost everywhere has no admissible cut
    Xs = np.column_stack([np.r_[np.zeros(90), np.ones(10)], x])
    r2 = adaptive_thresholds(Xs, t, e, cv=None, full_expression=False)
    assert not r2.table.loc["g0", "eligible"] and np.isnan(r2.table.loc["g0", "threshold"])


def test_truncation_at_120():
    t, e = truncate_survival([10, 130, 120, 200], [1, 1, 1, 0], 120)
    np.testing.assert_array_equal(t, [10, 120, 120, 120])
    np.testing.assert_array_equal(e, [True, False, True, False])


# --------------------------------------------------------------------------- CV, Cox shortlist, modes
def test_seeded_cv_reproducible_and_njobs_independent():
    X, t, e = _cohort(n=200, g=8)
    kw = {"mode": "epimed", "cv": (3, 2), "full_expression": False}
    a = adaptive_thresholds(X, t, e, random_state=5, n_jobs=1, **kw)
    b = adaptive_thresholds(X, t, e, random_state=5, n_jobs=2, **kw)
    pd.testing.assert_frame_equal(a.table, b.table)
    pd.testing.assert_frame_equal(a.grid, b.grid)
    assert a.cv_splits == 6
    assert a.table.loc["g0", "validated"] and a.table.loc["g0", "cv_score"] > 50


def test_cox_shortlist_equals_full_cox_on_validated_cuts():
    X, t, e = _cohort(n=200, g=10, seed=2)
    res = adaptive_thresholds(X, t, e, mode="epimed", cv=None, full_expression=False, truncate=None)
    grid = res.grid[res.grid.admissible]
    B = np.column_stack([X[:, int(g[1:])] > thr for g, thr in zip(grid.gene, grid.threshold, strict=True)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CoxConvergenceWarning)
        full = cox_screen(B, t, e)
    validated_full = (full["p"].to_numpy() <= 0.05) & (full["hr"].to_numpy() >= 1)
    np.testing.assert_array_equal(grid.validated.to_numpy(), validated_full)
    fitted = grid.cox_p.notna().to_numpy()
    np.testing.assert_allclose(grid.cox_p.to_numpy()[fitted], full["p"].to_numpy()[fitted], rtol=1e-10)


def test_epimed_selection_rule():
    X, t, e = _cohort(n=240, g=6)
    res = adaptive_thresholds(X, t, e, mode="epimed", cv=(3, 1), random_state=0, full_expression=False)
    for gene in res.table.index[res.table.eligible]:
        sub = res.grid[(res.grid.gene == gene) & res.grid.admissible].copy()
        sub["p_"] = sub["p"].fillna(np.inf)
        best = sub.sort_values(["validated", "cv_score", "percentile", "p_"],
                               ascending=[False, False, False, True]).iloc[0]
        assert res.table.loc[gene, "percentile"] == best.percentile
    assert res.params["correction"] == "none" and np.isnan(res.table["p_corrected"]).all()


def test_type_one_error_calibrated_vs_nominal_min_p():
    rng = np.random.default_rng(11)
    n, g = 300, 600
    X = np.where(rng.random((n, g)) < 0.6, rng.normal(3, 1, (n, g)), rng.uniform(0, 0.2, (n, g)))
    t = np.ceil(rng.exponential(40, n))
    e = rng.random(n) < 0.6
    res = adaptive_thresholds(X, t, e, mode="calibrated", cv=None, direction="both", full_expression=False)
    grid = res.grid[res.grid.admissible]
    min_p = grid.groupby("gene")["logrank_p"].min()
    nominal = float((min_p < 0.05).mean())
    corrected = float((res.table["p_corrected"] < 0.05).mean())
    assert nominal > 0.2, nominal
    assert 0.02 < corrected < 0.08, corrected
    assert float((res.table["p_corrected"] < 0.1).mean()) < 0.14
    assert (res.table["q_value"] < 0.05).sum() <= 2


def test_permutation_correction_close_to_lau94():
    X, t, e = _cohort(n=150, g=6)
    kw = {"mode": "calibrated", "cv": None, "full_expression": False, "random_state": 3}
    perm = adaptive_thresholds(X, t, e, correction="permutation", n_perm=199, **kw)
    lau = adaptive_thresholds(X, t, e, correction="Lau94", **kw)
    assert perm.table.loc["g0", "p_corrected"] == pytest.approx(1 / 200)
    null = perm.table.index != "g0"
    # Lau94 is an upper bound: never far below the permutation p-value (tight in the tail only)
    assert np.all(lau.table.loc[null, "p_corrected"] >= perm.table.loc[null, "p_corrected"] - 0.06)
    assert lau.table.loc["g0", "p_corrected"] < 1e-4


def test_invariance_to_monotone_transform():
    X, t, e = _cohort(n=200, g=8)
    kw = {"mode": "epimed", "cv": (3, 1), "random_state": 1, "full_expression": False}
    a = adaptive_thresholds(X, t, e, noise=None, **kw)
    b = adaptive_thresholds(np.exp2(X) * 3.0 + 1.0, t, e, noise=None, **kw)
    for col in ("percentile", "p", "hr", "cv_score", "n_activated", "validated"):
        pd.testing.assert_series_equal(a.table[col], b.table[col], check_exact=False, rtol=1e-12)


def test_transfer_by_percentile_and_estimator():
    X, t, e = _cohort(n=200, g=5)
    est = AdaptiveThreshold(mode="calibrated", cv=None).fit(X, t, e)
    pct = est.percentiles_
    Y = np.exp2(X[:150])
    thr = transfer_by_percentile(Y, pct)
    for j in range(5):
        if np.isfinite(pct[j]):
            assert thr[j] == pytest.approx(np.percentile(Y[:, j], pct[j]), rel=1e-12)
    A = est.transform(Y, by="percentile")
    B = est.transform(X[:150], by="percentile")
    np.testing.assert_array_equal(np.nan_to_num(A, nan=-1), np.nan_to_num(B, nan=-1))


# --------------------------------------------------------------------------- reference, score, errors
def test_reference_thresholds_and_frequency():
    rng = np.random.default_rng(0)
    N = rng.uniform(0, 0.5, (20, 3))
    np.testing.assert_allclose(reference_thresholds(N, method="m2sd", noise=None),
                               N.mean(0) + 2 * N.std(0, ddof=1))
    np.testing.assert_allclose(reference_thresholds(N, method="max", noise=0.3), np.maximum(N.max(0), 0.3))
    np.testing.assert_allclose(reference_thresholds(N, method="noise"), 0.3)
    T = np.array([[0.5, 0.1, 2.0], [0.3, 0.4, 0.0]])
    np.testing.assert_allclose(activation_frequency(T, [0.3, 0.3, 0.3]), [50.0, 50.0, 50.0])
    atlas = pd.DataFrame({"testis": [5.0, 0.1, 4.0], "colon": [0.1, 0.1, 3.0]}, index=["a", "b", "c"])
    res = tissue_restriction(atlas, target_tissues="testis", reference_tissues="colon")
    assert res["restricted"].tolist() == [True, False, False]


def test_bins_and_counts():
    assert check_bins([1, 3]) == {"P1": (0, 0), "P2": (1, 2), "P3": (3, None)}
    groups = risk_groups([0, 1, 2, 3, 7])
    assert list(groups) == ["P1", "P2", "P2", "P3", "P3"]
    np.testing.assert_array_equal(activation_count(np.array([[1.0, 2.0], [0.0, 5.0]]), [1.0, 1.0]), [1, 1])
    with pytest.raises(ValidationError, match="contiguous"):
        check_bins({"a": (0, 0), "b": (2, None)})


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"mode": "fast"}, "mode must be one of"),
    ({"grid": (50, 10, 1)}, "grid must satisfy"),
    ({"test": "wald"}, "test must be one of"),
    ({"cv": (1, 1)}, "cv must be"),
    ({"min_samples": 0}, "min_samples"),
    ({"reference": [1.0]}, "reference must have one value per gene"),
])
def test_bad_input_errors_named(kwargs, match):
    X, t, e = _cohort(n=60, g=3)
    with pytest.raises(ValidationError, match=match):
        adaptive_thresholds(X, t, e, **kwargs)


def test_bad_data_errors_named():
    X, t, e = _cohort(n=60, g=3)
    X2 = X.copy()
    X2[0, 0] = np.nan
    with pytest.raises(ValidationError, match="missing or infinite"):
        adaptive_thresholds(X2, t, e)
    with pytest.raises(ValidationError, match="rows"):
        adaptive_thresholds(X[:50], t, e)
    with pytest.raises(ValidationError, match="no events"):
        adaptive_thresholds(X, t, np.zeros(60))
