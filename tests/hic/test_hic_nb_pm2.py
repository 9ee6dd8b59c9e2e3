"""NB dispersion estimation, the PM2 joint objective, intra-chromosomal pair sets and the fast pair geometry."""

# ruff: noqa: B023

from __future__ import annotations

import numpy as np
import pytest

from pyomics_bridge import hic
from pyomics_bridge._conventions import ValidationError
from pyomics_bridge.hic._distance import geometry_of
from pyomics_bridge.hic._optim import preconditioned_fit


@pytest.mark.parametrize(("r_true", "seed"), [(2.0, 0), (8.0, 0)])
def test_nb_dispersion_recovers_simulated_value(r_true, seed):
    rng = np.random.default_rng(seed)
    X = hic.random_walk(60, confinement=60 ** (1 / 3) * 0.8, rng=rng)
    C, _ = hic.simulate_counts(X, mean_count=10.0, distribution="nb", dispersion=r_true, rng=rng)
    m = hic.NegativeBinomialStructure(random_state=0).fit(C)
    assert m.dispersion_ == pytest.approx(r_true, rel=0.2)
    # the per-distance moment estimate (Pastis-NB's) is far off on the same data; the structure is recovered
    assert m.dispersion_moments_ < r_true / 3
    assert hic.dscc(m.structure_, X) > 0.95
    hist = m.extra_["dispersion_history"]
    assert hist[0] == pytest.approx(m.dispersion_moments_) and hist[-1] == pytest.approx(m.dispersion_)


def test_dispersion_estimators_at_true_means():
    rng = np.random.default_rng(4)
    mu = rng.uniform(0.5, 30.0, size=20000)
    r = 3.0
    c = rng.negative_binomial(r, r / (r + mu)).astype(float)
    ones = np.ones_like(mu)
    assert hic.estimate_dispersion_mle(c, mu, ones) == pytest.approx(r, rel=0.05)
    assert hic.estimate_dispersion_pearson(c, mu, ones) == pytest.approx(r, rel=0.1)
    # derivative of the dispersion NLL against central differences
    f, g = hic.nb_dispersion_nll(np.log(2.0), c, mu, ones)
    h = 1e-6
    fd = (hic.nb_dispersion_nll(np.log(2.0) + h, c, mu, ones)[0] - hic.nb_dispersion_nll(np.log(2.0) - h, c, mu, ones)[0]) / (2 * h)
    assert fd == pytest.approx(g, rel=1e-5)


def test_nb_bad_dispersion(small_chain):
    _, C, _ = small_chain
    with pytest.raises(ValidationError, match="dispersion"):
        hic.NegativeBinomialStructure(dispersion="auto").fit(C)
    with pytest.raises(ValidationError, match="dispersion"):
        hic.NegativeBinomialStructure(dispersion=-1.0).fit(C)


@pytest.fixture
def pairs_and_X():
    rng = np.random.default_rng(7)
    X_true = hic.random_walk(25, rng=rng)
    C, _ = hic.simulate_counts(X_true, mean_count=3.0, rng=rng)
    pairs = hic.make_pairs(C, bias=np.exp(rng.normal(scale=0.2, size=25)))
    return pairs, rng.normal(size=(25, 3))


@pytest.mark.parametrize("beta", [None, 2.5])
def test_profile_objective_gradients(pairs_and_X, beta):
    pairs, X = pairs_and_X
    a = -2.6

    def fun(Y, al):
        return hic.poisson_profile_objective(Y, al, pairs.i, pairs.j, pairs.counts, pairs.bias_prod, beta=beta)

    f0, g, da, b_used = fun(X, a)
    h = 1e-6
    for k in np.random.default_rng(0).choice(X.size, 10, replace=False):
        E = np.zeros(X.size)
        E[k] = h
        E = E.reshape(X.shape)
        fd = (fun(X + E, a)[0] - fun(X - E, a)[0]) / (2 * h)
        assert fd == pytest.approx(g.ravel()[k], rel=1e-5, abs=1e-7 * abs(f0))
    fd_a = (fun(X, a + h)[0] - fun(X, a - h)[0]) / (2 * h)
    assert fd_a == pytest.approx(da, rel=1e-6)
    # the value is the Poisson NLL at the beta used (beta-hat when profiled)
    d = np.linalg.norm(X[pairs.i] - X[pairs.j], axis=1)
    if beta is None:
        assert b_used == pytest.approx(hic.estimate_beta(d, pairs.counts, pairs.bias_prod, a), rel=1e-12)
    full, _ = hic.poisson_objective(X, pairs.i, pairs.j, pairs.counts, pairs.bias_prod, alpha=a, beta=b_used)
    assert f0 == pytest.approx(full, rel=1e-12)


def test_geometry_gradient_matches_explicit_sum(pairs_and_X):
    pairs, X = pairs_and_X
    w = np.random.default_rng(1).normal(size=pairs.i.size)
    diff = X[pairs.i] - X[pairs.j]
    ref = np.zeros_like(X)
    np.add.at(ref, pairs.i, w[:, None] * diff)
    np.add.at(ref, pairs.j, -w[:, None] * diff)
    perm = np.random.default_rng(2).permutation(pairs.i.size)
    for geom, ww in ((geometry_of(pairs), w), (hic.PairGeometry(pairs.i[perm], pairs.j[perm], 25), w[perm])):
        np.testing.assert_allclose(geom.gradient(X + 100.0, ww), ref, atol=1e-9)
        np.testing.assert_allclose(geom.sqdist(X), np.sum(diff**2, axis=1) if geom.perm is None else
                                   np.sum(diff[perm] ** 2, axis=1), rtol=1e-12)


def test_preconditioned_fit_reaches_lower_objective_than_plain():
    """Same (MDS) start, same objective and tolerance: the Laplacian-preconditioned fit ends at least as low, in
    fewer iterations."""
    rng = np.random.default_rng(2)
    X_true = hic.random_walk(50, confinement=50 ** (1 / 3) * 0.8, rng=rng)
    C, beta = hic.simulate_counts(X_true, mean_count=5.0, rng=rng)
    pairs = hic.make_pairs(C)
    geom = geometry_of(pairs)
    X0 = hic.MDS(random_state=0).fit(C).structure_

    def fun(Y, _e):
        f, g = hic.poisson_objective(Y, pairs.i, pairs.j, pairs.counts, pairs.bias_prod, alpha=-3.0, beta=beta,
                                     geometry=geom)
        return f, g, ()

    def curv(Y, _e):  # alpha^2 mu / d^2
        return 9.0 * beta * geom.sqdist(Y) ** -2.5

    kw = {"pair_i": geom.i, "pair_j": geom.j, "max_iter": 3000, "ftol": 2.2e-9, "gtol": 1e-5}
    Xp, _, info_p = preconditioned_fit(fun, X0, curvature=curv, precondition=True, **kw)
    Xn, _, info_n = preconditioned_fit(fun, X0, curvature=curv, precondition=False, **kw)
    assert info_p.objective <= info_n.objective + 1e-6 * abs(info_n.objective)
    assert info_p.n_iter < info_n.n_iter / 2
    assert hic.dscc(Xp, X_true) > 0.95 and hic.dscc(Xn, X_true) > 0.9


def test_intra_pairs_and_lengths(small_chain):
    _, C, _ = small_chain
    dense = C.toarray()
    p = hic.make_pairs(C, use_zero_counts="intra", lengths=[15, 25])
    assert np.array_equal(p.counts, dense[p.i, p.j])
    intra = (p.i < 15) == (p.j < 15)
    assert intra.sum() == 15 * 14 // 2 + 25 * 24 // 2
    assert np.all(p.counts[~intra] > 0) and (~intra).sum() == int((dense[:15, 15:] > 0).sum())
    full = hic.make_pairs(C)
    assert full.i.size == 40 * 39 // 2 and np.array_equal(full.counts, dense[full.i, full.j])
    for k in (2, 3):
        band = hic.make_pairs(C, min_separation=k)
        assert np.array_equal(band.counts, dense[band.i, band.j]) and np.all(band.j - band.i >= k)
    with pytest.raises(ValidationError, match="lengths"):
        hic.make_pairs(C, use_zero_counts="intra")
    with pytest.raises(ValidationError, match="sum to"):
        hic.make_pairs(C, lengths=[10, 10])
    with pytest.raises(ValidationError, match="use_zero_counts"):
        hic.make_pairs(C, use_zero_counts="inter")
    m = hic.PM2(use_zero_counts="intra", random_state=0, max_iter=500).fit(C, lengths=[15, 25])
    assert m.n_pairs_ == p.i.size and np.isfinite(m.structure_).all()
