"""CoxPH: mathematical properties, lifelines, and live R survival::coxph (efron/breslow, strata, weights)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from pyomics_bridge._conventions import ValidationError
from pyomics_bridge.survival._cox import (
    CoxConvergenceWarning,
    CoxPH,
    concordance_counts,
    cox_terms,
    risk_sets,
)
from pyomics_bridge.survival._logrank import logrank_test

from .conftest import rel_err


def _synthetic(n=200, p=3, seed=0, ties=True):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    X[:, -1] = rng.integers(0, 2, n)
    lp = X @ np.linspace(0.6, -0.4, p)
    t = rng.exponential(np.exp(-lp)) * 10
    t = np.round(t) + 1 if ties else t
    c = rng.uniform(2, 30, n)
    e = (t <= c).astype(int)
    return X, np.minimum(t, np.round(c) if ties else c), e


def _separated(seed=0, n=80):
    rng = np.random.default_rng(seed)
    g = rng.integers(0, 2, n)
    t = np.round(rng.exponential(5, n), 1)
    e = np.where(g == 1, 0, rng.random(n) < 0.7).astype(int)  # group 1 has no events
    return g, t, e


# ----------------------------------------------------------------------------- pure Python
@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_score_and_information_are_derivatives(ties):
    X, t, e = _synthetic(seed=3)
    strata = np.arange(t.size) % 2
    w = np.random.default_rng(1).uniform(0.5, 2.0, t.size)
    rs = risk_sets(t, e.astype(bool), strata, w, ties)
    Xs, ws = (X - X.mean(0))[rs.order], w[rs.order]
    beta = np.array([0.3, -0.2, 0.5])
    ll, u, info = cox_terms(Xs, ws, rs, beta)
    h = 1e-6
    num_u = np.array([(cox_terms(Xs, ws, rs, beta + h * d, derivatives=False)[0]
                       - cox_terms(Xs, ws, rs, beta - h * d, derivatives=False)[0]) / (2 * h) for d in np.eye(3)])
    num_i = -np.array([(cox_terms(Xs, ws, rs, beta + h * d)[1] - cox_terms(Xs, ws, rs, beta - h * d)[1]) / (2 * h)
                       for d in np.eye(3)])
    assert np.allclose(u, num_u, rtol=1e-6, atol=1e-6)
    assert np.allclose(info, num_i, rtol=1e-5, atol=1e-6)


def test_hand_computed_breslow_loglik():
    # times 1, 2, 2, 3 with events at 1 (x=1), 2 (x=0 and x=1 tied), censored at 3 (x=0)
    X = np.array([[1.0], [0.0], [1.0], [0.0]])
    t, e = np.array([1.0, 2, 2, 3]), np.array([1, 1, 1, 0])
    rs = risk_sets(t, e.astype(bool), None, np.ones(4), "breslow")
    b = 0.7
    ll = cox_terms(X[rs.order], np.ones(4), rs, np.array([b]), derivatives=False)[0]
    eb = np.exp(b)
    expected = b - np.log(2 * eb + 2) + b - 2 * np.log(eb + 2)
    assert ll == pytest.approx(expected, rel=1e-14)
    rs = risk_sets(t, e.astype(bool), None, np.ones(4), "efron")
    ll = cox_terms(X[rs.order], np.ones(4), rs, np.array([b]), derivatives=False)[0]
    expected = b - np.log(2 * eb + 2) + b - np.log(eb + 2) - np.log(eb + 2 - (eb + 1) / 2)
    assert ll == pytest.approx(expected, rel=1e-14)


def test_score_test_equals_logrank_without_ties():
    X, t, e = _synthetic(n=150, seed=4, ties=False)
    g = X[:, -1]
    fit = CoxPH().fit(g[:, None], t, e)
    lr = logrank_test(t, e, g)
    assert rel_err(fit.score_test_.statistic, lr.statistic) < 1e-8


def test_fitted_attributes_and_summary():
    X, t, e = _synthetic(seed=5)
    df = pd.DataFrame(X, columns=["age", "dose", "male"])
    fit = CoxPH(alpha=0.1).fit(df, t, e)
    assert list(fit.coef_.index) == ["age", "dose", "male"]
    assert fit.converged_ and 1 <= fit.n_iter_ <= 20
    assert np.allclose(fit.se_, np.sqrt(np.diag(fit.var_)))
    assert np.allclose(fit.hazard_ratios_, np.exp(fit.coef_))
    assert np.allclose(fit.z_, fit.coef_ / fit.se_)
    z = 1.6448536269514722
    assert np.allclose(fit.conf_int_["lower"], np.exp(fit.coef_ - z * fit.se_))
    s = fit.summary()
    assert list(s.columns) == ["coef", "exp(coef)", "se", "z", "p", "lower .90", "upper .90"]
    assert fit.lr_test_.df == 3 and fit.lr_test_.statistic == pytest.approx(2 * (fit.loglik_ - fit.loglik_null_))
    # predict: uncentred linear predictor, DataFrame matched by name
    assert np.allclose(fit.predict(df), X @ fit.coef_.to_numpy())
    assert np.allclose(fit.predict(df[["male", "age", "dose"]]), X @ fit.coef_.to_numpy())
    assert 0.5 < fit.concordance_ < 1
    params = clone(fit).get_params()
    assert params == {"ties": "efron", "tol": 1e-9, "max_iter": 20, "alpha": 0.1}


def test_invariances():
    X, t, e = _synthetic(seed=6)
    base = CoxPH().fit(X, t, e)
    shifted = CoxPH().fit(X + 100.0, t, e)
    assert np.allclose(base.coef_, shifted.coef_, atol=1e-10)
    perm = np.random.default_rng(0).permutation(t.size)
    permuted = CoxPH().fit(X[perm], t[perm], e[perm])
    assert np.allclose(base.coef_, permuted.coef_, atol=1e-12)
    assert permuted.concordance_ == pytest.approx(base.concordance_, abs=1e-14)


def test_integer_weights_equal_replication_breslow():
    X, t, e = _synthetic(n=80, seed=7)
    w = np.random.default_rng(2).integers(1, 4, t.size)
    rep = np.repeat(np.arange(t.size), w)
    a = CoxPH(ties="breslow").fit(X, t, e, weights=w)
    b = CoxPH(ties="breslow").fit(X[rep], t[rep], e[rep])
    assert np.allclose(a.coef_, b.coef_, atol=1e-10)
    assert np.allclose(a.se_, b.se_, rtol=1e-10)
    assert a.loglik_ == pytest.approx(b.loglik_, rel=1e-12)


def test_strata_loglik_is_sum_of_stratum_logliks():
    X, t, e = _synthetic(seed=8)
    s = np.arange(t.size) % 3
    fit = CoxPH().fit(X, t, e, strata=s)
    beta = fit.coef_.to_numpy()
    total = 0.0
    for k in range(3):
        m = s == k
        rs = risk_sets(t[m], e[m].astype(bool), None, np.ones(m.sum()), "efron")
        total += cox_terms(X[m][rs.order], np.ones(m.sum()), rs, beta, derivatives=False)[0]
    assert fit.loglik_ == pytest.approx(total, rel=1e-12)


def test_concordance_counts_by_hand():
    # subjects (time, event, risk): pairs counted by R's rules
    t = np.array([1.0, 2, 2, 3, 4])
    e = np.array([1, 1, 0, 1, 0])
    x = np.array([5.0, 3, 4, 3, 1])
    c = concordance_counts(t, e, x)
    # event 1 (x=5) vs 2,3,4,5: all lower -> 4 concordant
    # event at 2 (x=3) vs censored at 2 (x=4): discordant; vs 3 (x=3) tied_x; vs 5 (x=1) concordant
    # event at 3 (x=3) vs 5 (x=1): concordant
    assert (c["concordant"], c["discordant"], c["tied_x"]) == (6.0, 1.0, 1.0)
    assert c["concordance"] == pytest.approx(6.5 / 8)


def test_concordance_matches_lifelines_without_time_ties():
    lifelines_utils = pytest.importorskip("lifelines.utils")
    X, t, e = _synthetic(n=300, seed=9, ties=False)
    fit = CoxPH().fit(X, t, e)
    ref = lifelines_utils.concordance_index(t, -fit.predict(X), e)
    assert fit.concordance_ == pytest.approx(ref, abs=1e-12)


def test_lifelines_cross_check_rossi():
    lifelines = pytest.importorskip("lifelines")
    from lifelines.datasets import load_rossi

    rossi = load_rossi()
    cov = [c for c in rossi.columns if c not in ("week", "arrest")]
    ref = lifelines.CoxPHFitter().fit(rossi, "week", "arrest")
    fit = CoxPH().fit(rossi[cov], rossi["week"], rossi["arrest"])
    assert np.abs(fit.coef_ - ref.params_[cov]).max() < 1e-4
    assert np.abs(fit.se_ / ref.standard_errors_[cov] - 1).max() < 1e-4
    # the 1e-4 above is lifelines' looser stopping rule; converged tightly, it is the same Efron estimate
    tight = lifelines.CoxPHFitter().fit(rossi, "week", "arrest", fit_options={"precision": 1e-12, "step_size": 1.0})
    assert np.abs(fit.coef_ - tight.params_[cov]).max() < 1e-10
    assert np.abs(fit.se_ / tight.standard_errors_[cov] - 1).max() < 1e-10
    assert fit.loglik_ == pytest.approx(ref.log_likelihood_, rel=1e-6)


def test_separation_warns_and_does_not_converge():
    g, t, e = _separated()
    with pytest.warns(CoxConvergenceWarning, match="infinite"):
        fit = CoxPH().fit(g[:, None], t, e)
    assert not fit.converged_
    assert fit.coef_.iloc[0] < -10 and fit.se_.iloc[0] > 100
    assert fit.infinite_coef_.iloc[0]


def test_max_iter_exhausted_warns():
    X, t, e = _synthetic(seed=10)
    with pytest.warns(CoxConvergenceWarning, match="ran out of iterations"):
        fit = CoxPH(max_iter=1).fit(X, t, e)
    assert not fit.converged_ and fit.n_iter_ == 1


def test_validation_errors():
    X, t, e = _synthetic(n=50)
    bad = pd.DataFrame(X.copy(), columns=["a", "b", "c"])
    bad.iloc[3, 1] = np.nan
    with pytest.raises(ValidationError, match=r"\['b'\]"):
        CoxPH().fit(bad, t, e)
    with pytest.raises(ValidationError, match="ties"):
        CoxPH(ties="exact").fit(X, t, e)
    with pytest.raises(ValidationError, match="rows"):
        CoxPH().fit(X[:-1], t, e)
    with pytest.raises(ValidationError, match="no events"):
        CoxPH().fit(X, t, np.zeros_like(e))
    with pytest.raises(ValidationError, match="rank deficient"):
        CoxPH().fit(np.column_stack([X, np.ones(50)]), t, e)
    with pytest.raises(ValidationError, match="weights"):
        CoxPH().fit(X, t, e, weights=-np.ones(50))


# ----------------------------------------------------------------------------- live R
def _compare_with_r(fit: CoxPH, ref: dict, *, coef_abs=1e-6, rel=1e-6):
    assert np.abs(fit.coef_.to_numpy() - ref["coef"].to_numpy()).max() < coef_abs
    assert rel_err(fit.se_, ref["se"]) < rel
    assert rel_err(fit.var_.to_numpy(), ref["var"].to_numpy()) < 10 * rel
    assert fit.loglik_ == pytest.approx(ref["loglik"], rel=1e-10)
    assert fit.loglik_null_ == pytest.approx(ref["loglik_null"], rel=1e-10)
    for name in ("wald_test", "lr_test", "score_test"):
        assert rel_err(getattr(fit, name + "_").statistic, ref[name].statistic) < rel, name
        assert rel_err(getattr(fit, name + "_").pvalue, ref[name].pvalue) < 1e-5, name
    assert fit.concordance_ == pytest.approx(ref["concordance"], abs=1e-6)
    assert fit.n_iter_ == ref["n_iter"]


@pytest.fixture(scope="module")
def r_coxph(require_r_survival):
    from pyomics_bridge.r.survival_cox import coxph

    return coxph


@pytest.mark.r
@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_lung_multivariable_matches_r(lung, r_coxph, ties):
    d = lung.dropna(subset=["age", "sex", "ph.ecog"])
    X = d[["age", "sex", "ph.ecog"]]
    fit = CoxPH(ties=ties).fit(X, d["time"], d["event"])
    ref = r_coxph(X, d["time"], d["event"], ties=ties)
    _compare_with_r(fit, ref)
    assert fit.converged_ and not ref["warnings"]


@pytest.mark.r
@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_veteran_strata_matches_r(veteran, r_coxph, ties):
    X = veteran[["karno", "age"]]
    fit = CoxPH(ties=ties).fit(X, veteran["time"], veteran["status"], strata=veteran["celltype"])
    ref = r_coxph(X, veteran["time"], veteran["status"], ties=ties, strata=veteran["celltype"])
    _compare_with_r(fit, ref)


@pytest.mark.r
def test_colon_strata_sex_matches_r(colon, r_coxph):
    d = colon.dropna(subset=["age", "nodes", "extent"])
    X = d[["age", "nodes", "extent"]]
    fit = CoxPH().fit(X, d["time"], d["status"], strata=d["sex"])
    ref = r_coxph(X, d["time"], d["status"], strata=d["sex"])
    _compare_with_r(fit, ref)


@pytest.mark.r
@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_binary_covariate_with_tied_times_matches_r(lung, r_coxph, ties):
    assert lung["time"].duplicated().any()
    fit = CoxPH(ties=ties).fit(lung[["sex"]], lung["time"], lung["event"])
    ref = r_coxph(lung[["sex"]], lung["time"], lung["event"], ties=ties)
    _compare_with_r(fit, ref)


@pytest.mark.r
@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_case_weights_match_r_naive_variance(veteran, r_coxph, ties):
    w = np.random.default_rng(3).uniform(0.5, 2.0, len(veteran))
    X = veteran[["karno", "age", "prior"]]
    fit = CoxPH(ties=ties).fit(X, veteran["time"], veteran["status"], weights=w)
    ref = r_coxph(X, veteran["time"], veteran["status"], ties=ties, weights=w)
    _compare_with_r(fit, ref)


@pytest.mark.r
def test_no_ties_score_test_equals_survdiff(r_coxph):
    from pyomics_bridge.r.survival import survdiff

    X, t, e = _synthetic(n=150, seed=11, ties=False)
    g = X[:, -1]
    fit = CoxPH().fit(g[:, None], t, e)
    ref = r_coxph(g[:, None], t, e)
    _compare_with_r(fit, ref)
    sd = survdiff(t, e, g)
    assert rel_err(fit.score_test_.statistic, sd.statistic) < 1e-8
    assert rel_err(fit.score_test_.statistic, logrank_test(t, e, g).statistic) < 1e-8


@pytest.mark.r
def test_separation_matches_r(r_coxph):
    g, t, e = _separated()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CoxConvergenceWarning)
        fit = CoxPH().fit(g[:, None], t, e)
    ref = r_coxph(g[:, None], t, e)
    assert any("infinite" in w for w in ref["warnings"])
    assert fit.coef_.iloc[0] == pytest.approx(ref["coef"].iloc[0], rel=1e-6)
    assert fit.n_iter_ == ref["n_iter"]
    assert fit.loglik_ == pytest.approx(ref["loglik"], rel=1e-10)
