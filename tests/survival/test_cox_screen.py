"""cox_screen: per-column equality with CoxPH, lifelines, live R coxph, degenerate columns, parallel invariance."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from joblib import parallel_config

from pyomics_bridge._conventions import ValidationError
from pyomics_bridge.survival._cox import CoxConvergenceWarning, CoxPH
from pyomics_bridge.survival._cox_screen import SCREEN_COLUMNS, cox_screen

from .conftest import rel_err


def _matrix(n=200, p=40, seed=0, ties=True):
    """Continuous, binary, integer and skewed genes; survival depends on the first two genes."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    X[:, 2] = rng.integers(0, 2, n)  # binary
    X[:, 3] = rng.poisson(2.0, n)  # small integers: tied values
    X[:, 4] = rng.lognormal(2.0, 1.0, n)  # skewed, large scale
    lp = 0.7 * X[:, 0] - 0.5 * X[:, 1]
    t = rng.exponential(np.exp(-lp)) * 12
    c = rng.uniform(3, 40, n)
    if ties:
        t, c = np.ceil(t), np.ceil(c)
    return X, np.minimum(t, c), (t <= c).astype(int)


def _check_against_coxph(X, t, e, ties, cols, tol=1e-8):
    res = cox_screen(X, t, e, ties=ties)
    for j in cols:
        fit = CoxPH(ties=ties).fit(X[:, [j]], t, e)
        row = res.iloc[j]
        assert abs(row["coef"] - fit.coef_.iloc[0]) < tol, j
        assert rel_err(row["se"], fit.se_.iloc[0]) < tol, j
        assert row["loglik"] == pytest.approx(fit.loglik_, rel=1e-12)
        assert row["lr_stat"] == pytest.approx(fit.lr_test_.statistic, rel=1e-8, abs=1e-9)
        assert row["p"] == pytest.approx(fit.pvalues_.iloc[0], rel=1e-7)
        assert row["hr_lower"] == pytest.approx(fit.conf_int_["lower"].iloc[0], rel=1e-8)
        assert row["n_iter"] == fit.n_iter_, j
        assert bool(row["converged"]) == fit.converged_
    return res


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_matches_coxph_on_every_column(ties):
    X, t, e = _matrix()
    res = _check_against_coxph(X, t, e, ties, range(X.shape[1]))
    assert list(res.columns) == list(SCREEN_COLUMNS)
    assert res.index.name == "gene" and res.index[0] == "x0"
    assert res["converged"].all()
    assert res["p"].iloc[:2].max() < 1e-4  # the planted genes


def test_matches_coxph_without_ties_and_all_tied():
    X, t, e = _matrix(n=120, p=10, seed=1, ties=False)
    assert np.unique(t).size == t.size
    _check_against_coxph(X, t, e, "efron", range(10))
    # heavy ties: only 4 distinct times
    t4 = np.ceil(t / t.max() * 4)
    _check_against_coxph(X, t4, e, "efron", range(10))
    _check_against_coxph(X, t4, e, "breslow", range(10))


def test_large_screen_matches_coxph_sample():
    rng = np.random.default_rng(2)
    n, p = 500, 2000
    X = rng.normal(size=(n, p))
    t = np.round(rng.exponential(np.exp(-0.5 * X[:, 7]) * 20, n), 1) + 0.1
    e = (rng.random(n) < 0.6).astype(int)
    res = cox_screen(X, t, e)
    assert res.shape == (p, len(SCREEN_COLUMNS)) and res["converged"].all()
    cols = np.concatenate(([7], rng.choice(p, 15, replace=False)))
    for j in cols:
        fit = CoxPH().fit(X[:, [j]], t, e)
        assert abs(res["coef"].iloc[j] - fit.coef_.iloc[0]) < 1e-8
        assert res["n_iter"].iloc[j] == fit.n_iter_


def test_results_do_not_depend_on_batches_or_jobs():
    X, t, e = _matrix(p=30, seed=3)
    a = cox_screen(X, t, e, batch_size=256)
    b = cox_screen(X, t, e, batch_size=7)
    with parallel_config(backend="threading"):  # cheap workers; the batches are the same as with processes
        c = cox_screen(X, t, e, batch_size=7, n_jobs=2)
    pd.testing.assert_frame_equal(a, b, rtol=1e-13)
    pd.testing.assert_frame_equal(b, c, check_exact=True)


def test_constant_column_nan_and_names():
    X, t, e = _matrix(p=5, seed=4)
    X[:, 1] = 3.0
    df = pd.DataFrame(X, columns=[f"g{j}" for j in range(5)])
    res = cox_screen(df, t, e)
    assert list(res.index) == ["g0", "g1", "g2", "g3", "g4"]
    row = res.loc["g1"]
    assert np.isnan(row[["coef", "se", "z", "p", "hr", "loglik", "lr_stat", "lr_p"]].to_numpy(float)).all()
    assert not row["converged"] and row["n_iter"] == 0
    assert res.drop(index="g1")["converged"].all()
    named = cox_screen(X, t, e, var_names=list("abcde"))
    assert list(named.index) == list("abcde")
    pd.testing.assert_frame_equal(res.reset_index(drop=True), named.reset_index(drop=True))


def test_separated_column_flagged():
    rng = np.random.default_rng(5)
    n = 100
    g = rng.integers(0, 2, n).astype(float)
    t = np.round(rng.exponential(5, n), 1)
    e = np.where(g == 1, 0, rng.random(n) < 0.7).astype(int)
    X = np.column_stack([rng.normal(size=n), g])
    with pytest.warns(CoxConvergenceWarning, match="1 column"):
        res = cox_screen(X, t, e)
    assert res["converged"].tolist() == [True, False]
    assert res["coef"].iloc[1] < -10
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CoxConvergenceWarning)
        fit = CoxPH().fit(g[:, None], t, e)
    # a diverging coefficient sits on a flat likelihood: only loosely reproducible
    assert res["coef"].iloc[1] == pytest.approx(fit.coef_.iloc[0], rel=1e-5)
    assert res["n_iter"].iloc[1] == fit.n_iter_


def test_validation_errors():
    X, t, e = _matrix(p=5, seed=6)
    df = pd.DataFrame(X.copy(), columns=["a", "b", "c", "d", "e"])
    df.iloc[0, 2] = np.nan
    df.iloc[5, 3] = np.inf
    with pytest.raises(ValidationError, match=r"2 column\(s\): \['c', 'd'\]"):
        cox_screen(df, t, e)
    with pytest.raises(ValidationError, match="ties"):
        cox_screen(X, t, e, ties="exact")
    with pytest.raises(ValidationError, match="var_names"):
        cox_screen(X, t, e, var_names=["a"])
    with pytest.raises(ValidationError, match="rows"):
        cox_screen(X[:-1], t, e)
    with pytest.raises(ValidationError, match="no events"):
        cox_screen(X, t, np.zeros_like(e))


def test_lifelines_cross_check():
    lifelines = pytest.importorskip("lifelines")
    X, t, e = _matrix(p=6, seed=7)
    res = cox_screen(X, t, e)
    for j in range(6):
        d = pd.DataFrame({"x": X[:, j], "t": t, "e": e})
        ref = lifelines.CoxPHFitter().fit(d, "t", "e")
        assert abs(res["coef"].iloc[j] - ref.params_["x"]) < 1e-4
        assert rel_err(res["se"].iloc[j], ref.standard_errors_["x"]) < 1e-3


@pytest.mark.r
@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_matches_r_coxph_on_columns(require_r_survival, ties):
    from pyomics_bridge.r.survival_cox import coxph

    X, t, e = _matrix(n=300, p=8, seed=8)
    res = cox_screen(X, t, e, ties=ties)
    for j in range(8):
        ref = coxph(X[:, [j]], t, e, ties=ties)
        assert abs(res["coef"].iloc[j] - ref["coef"].iloc[0]) < 1e-6
        assert rel_err(res["se"].iloc[j], ref["se"].iloc[0]) < 1e-6
        assert rel_err(res["lr_stat"].iloc[j], ref["lr_test"].statistic) < 1e-6
        assert res["loglik"].iloc[j] == pytest.approx(ref["loglik"], rel=1e-10)
        assert res["n_iter"].iloc[j] == ref["n_iter"]


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_binary_columns_counts_kernel(ties):
    """0/1 columns use the per-event-time counts kernel: equal to CoxPH and to the sample kernel on 2 * B."""
    rng = np.random.default_rng(11)
    n = 150
    t = np.ceil(rng.exponential(8, n))  # heavy ties
    e = (rng.random(n) < 0.7).astype(int)
    B = (rng.random((n, 12)) < np.linspace(0.1, 0.9, 12)).astype(float)
    B[:, 0] = ((t > np.median(t)) ^ (rng.random(n) < 0.25)).astype(float)  # strong effect
    B[:, 1] = np.where(e == 1, 0.0, B[:, 1])  # no events in group 1: diverging coefficient
    B[:, 2] = 1.0  # constant
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CoxConvergenceWarning)
        res = cox_screen(B, t, e, ties=ties)
        doubled = cox_screen(2.0 * B, t, e, ties=ties)  # not 0/1: the per-sample kernel
    assert np.isnan(res["coef"].iloc[2]) and res["n_iter"].iloc[2] == 0
    assert not res["converged"].iloc[1] and res["coef"].iloc[1] < -5
    ok = np.r_[0, 3:12]
    np.testing.assert_allclose(res["coef"].to_numpy()[ok], 2.0 * doubled["coef"].to_numpy()[ok], rtol=1e-9)
    np.testing.assert_allclose(res["loglik"].to_numpy()[ok], doubled["loglik"].to_numpy()[ok], rtol=1e-12)
    for j in ok:
        fit = CoxPH(ties=ties).fit(B[:, [j]], t, e)
        assert abs(res["coef"].iloc[j] - fit.coef_.iloc[0]) < 1e-8
        assert rel_err(res["se"].iloc[j], fit.se_.iloc[0]) < 1e-8
        assert res["loglik"].iloc[j] == pytest.approx(fit.loglik_, rel=1e-12)
        assert res["n_iter"].iloc[j] == fit.n_iter_
    # boolean input takes the same path
    pd.testing.assert_frame_equal(cox_screen(B.astype(bool)[:, ok], t, e, ties=ties), res.iloc[ok].set_axis(
        [f"x{j}" for j in range(ok.size)]).rename_axis("gene"), check_exact=False, rtol=1e-14)
