"""Objectives and gradients: central finite differences, invariances, O(#pairs) building blocks."""

# ruff: noqa: B023

from __future__ import annotations

import numpy as np
import pytest

from pyomics_bridge import hic


def _fd_check(fun, X, h=1e-6, n_check=12, seed=0):
    f0, g = fun(X)
    rng = np.random.default_rng(seed)
    idx = rng.choice(X.size, size=min(n_check, X.size), replace=False)
    for k in idx:
        E = np.zeros(X.size)
        E[k] = h
        E = E.reshape(X.shape)
        fd = (fun(X + E)[0] - fun(X - E)[0]) / (2 * h)
        assert fd == pytest.approx(g.ravel()[k], rel=1e-5, abs=1e-6 * max(1.0, abs(f0)) * 1e-3)
    return f0, g


@pytest.fixture
def setup():
    rng = np.random.default_rng(1)
    X_true = hic.random_walk(15, rng=rng)
    C, beta = hic.simulate_counts(X_true, mean_count=5.0, rng=rng)
    pairs = hic.make_pairs(C, bias=np.exp(rng.normal(scale=0.2, size=15)))
    X = rng.normal(size=(15, 3))
    return pairs, X, beta


def test_poisson_gradient(setup):
    pairs, X, beta = setup
    for alpha in (-3.0, -1.7):
        _fd_check(lambda Y: hic.poisson_objective(Y, pairs.i, pairs.j, pairs.counts, pairs.bias_prod, alpha=alpha, beta=beta), X)


def test_poisson_objective_matches_direct_formula(setup):
    pairs, X, beta = setup
    d = np.linalg.norm(X[pairs.i] - X[pairs.j], axis=1)
    mu = beta * pairs.bias_prod * d**-3.0
    direct = np.sum(mu - pairs.counts * np.log(mu))
    f, _ = hic.poisson_objective(X, pairs.i, pairs.j, pairs.counts, pairs.bias_prod, alpha=-3.0, beta=beta)
    assert f == pytest.approx(direct, rel=1e-12)


def test_mds_gradient(setup):
    pairs, X, _ = setup
    nz = pairs.nonzero()
    wish = hic.wish_distances(nz.counts, nz.bias_prod, alpha=-3.0, beta=2.0)
    _fd_check(lambda Y: hic.mds_objective(Y, nz.i, nz.j, wish), X)


def test_nb_gradient_and_poisson_limit(setup):
    pairs, X, beta = setup
    r = 3.0 * pairs.bias_prod
    _fd_check(lambda Y: hic.nb_objective(Y, pairs.i, pairs.j, pairs.counts, pairs.bias_prod, r, alpha=-3.0, beta=beta), X)
    # r -> infinity: NB NLL -> Poisson NLL + sum log c! (gradients agree)
    _, g_nb = hic.nb_objective(X, pairs.i, pairs.j, pairs.counts, pairs.bias_prod, 1e9, alpha=-3.0, beta=beta)
    _, g_p = hic.poisson_objective(X, pairs.i, pairs.j, pairs.counts, pairs.bias_prod, alpha=-3.0, beta=beta)
    np.testing.assert_allclose(g_nb, g_p, rtol=1e-5, atol=1e-6 * np.abs(g_p).max())


def test_alpha_profile_derivative(setup):
    pairs, X, _ = setup
    d = np.linalg.norm(X[pairs.i] - X[pairs.j], axis=1)
    for a in (-3.0, -2.2):
        f, g = hic.alpha_profile_objective(a, d, pairs.counts, pairs.bias_prod)
        h = 1e-6
        fd = (hic.alpha_profile_objective(a + h, d, pairs.counts, pairs.bias_prod)[0]
              - hic.alpha_profile_objective(a - h, d, pairs.counts, pairs.bias_prod)[0]) / (2 * h)
        assert fd == pytest.approx(g, rel=1e-5)
        # profiled value equals the full NLL at beta-hat
        beta = hic.estimate_beta(d, pairs.counts, pairs.bias_prod, a)
        full, _ = hic.poisson_objective(X, pairs.i, pairs.j, pairs.counts, pairs.bias_prod, alpha=a, beta=beta)
        assert f == pytest.approx(full, rel=1e-10)


def test_alpha_estimate_on_true_structure():
    rng = np.random.default_rng(5)
    X = hic.random_walk(80, confinement=4.0, rng=rng)
    C, beta = hic.simulate_counts(X, alpha=-2.5, mean_count=50.0, rng=rng)
    pairs = hic.make_pairs(C)
    a, b, _ = hic.estimate_alpha_beta(X, pairs, alpha0=-3.0)
    assert a == pytest.approx(-2.5, abs=0.05)
    assert b == pytest.approx(beta, rel=0.1)


def test_objective_invariant_to_rigid_motion(setup):
    pairs, X, beta = setup
    Q, _ = np.linalg.qr(np.random.default_rng(2).normal(size=(3, 3)))
    f1, _ = hic.poisson_objective(X, pairs.i, pairs.j, pairs.counts, pairs.bias_prod, alpha=-3.0, beta=beta)
    f2, _ = hic.poisson_objective(X @ Q + 5.0, pairs.i, pairs.j, pairs.counts, pairs.bias_prod, alpha=-3.0, beta=beta)
    assert f1 == pytest.approx(f2, rel=1e-12)


def test_pairs_with_and_without_zeros(small_chain):
    _, C, _ = small_chain
    full = hic.make_pairs(C)
    nz = hic.make_pairs(C, use_zero_counts=False)
    assert full.i.size == 40 * 39 // 2
    assert nz.i.size == int((C.toarray()[np.triu_indices(40, 1)] > 0).sum())
    assert np.all(nz.counts > 0) and (full.counts == 0).any()
    assert full.counts.sum() == pytest.approx(nz.counts.sum())
