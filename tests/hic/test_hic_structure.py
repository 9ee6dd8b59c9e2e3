"""Alignment metrics, recovery of simulated truth, determinism."""

from __future__ import annotations

import numpy as np
import pytest

from pyomics_bridge import hic
from pyomics_bridge._conventions import ValidationError


def _rotation(seed):
    Q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(3, 3)))
    return Q * np.sign(np.linalg.det(Q))  # proper rotation


@pytest.mark.parametrize("mirror_copy", [False, True])
def test_kabsch_recovers_transformed_copy(mirror_copy):
    X = hic.random_walk(50, rng=0)
    R = _rotation(1)
    Y = 2.5 * X @ R + np.array([3.0, -1.0, 7.0])
    if mirror_copy:
        Y[:, 0] *= -1
    al = hic.kabsch(X, Y, scale=True, mirror=True)
    np.testing.assert_allclose(al.aligned, Y, atol=1e-10)
    assert al.rmsd < 1e-10 and al.scale == pytest.approx(2.5) and al.mirrored == mirror_copy
    assert hic.rmsd(X, Y) < 1e-9
    assert hic.dscc(X, Y) == pytest.approx(1.0)
    if mirror_copy:
        assert hic.kabsch(X, Y, scale=True, mirror=False).rmsd > 1.0


def test_kabsch_ignores_nan_rows_and_metrics_scale():
    X = hic.random_walk(30, rng=2)
    Y = X @ _rotation(3)
    Xn = X.copy()
    Xn[4] = np.nan
    al = hic.kabsch(Xn, Y)
    assert np.isnan(al.aligned[4]).all() and al.rmsd < 1e-10
    assert hic.mean_pairwise_distance(hic.rescale(X)) == pytest.approx(100.0)
    other = hic.random_walk(30, rng=9)
    assert 20 < hic.rmsd(other, X) < 100
    with pytest.raises(ValidationError, match="same shape"):
        hic.kabsch(X, X[:10])


def _fit(cls, C, max_iter=1500, **kw):
    return cls(random_state=0, max_iter=max_iter, **kw).fit(C)


def test_pm1_recovers_truth_with_zero_counts(small_chain):
    X, C, beta = small_chain
    with_zeros = _fit(hic.PM1, C, beta=beta, max_iter=800)
    without = _fit(hic.PM1, C, beta=beta, use_zero_counts=False, max_iter=800)
    d_with, d_without = hic.dscc(with_zeros.structure_, X), hic.dscc(without.structure_, X)
    assert d_with > 0.8
    assert d_without < d_with - 0.1
    assert hic.rmsd(with_zeros.structure_, X) < hic.rmsd(without.structure_, X)


def test_pm2_joint_and_alternate_recover(small_chain):
    X, C, _ = small_chain
    joint = _fit(hic.PM2, C)
    alt = _fit(hic.PM2, C, strategy="alternate", max_alpha_loop=30, outer_tol=1e-9)
    for m in (joint, alt):
        assert hic.dscc(m.structure_, X) > 0.9
        assert -3.6 < m.alpha_ < -2.4 and m.beta_ > 0
    hist = alt.extra_["alpha_history"]
    assert hist.size >= 3 and hist[-1] == pytest.approx(alt.alpha_)
    # alternation really moves alpha and decreases the objective monotonically
    objs = alt.extra_["objective_history"]
    assert np.all(np.diff(objs) <= 1e-6 * np.abs(objs[:-1]))
    # both strategies reach the same likelihood (joint at least as low); the result is a stationary point in alpha
    assert joint.objective_ <= alt.objective_ + 1e-6 * abs(alt.objective_)
    pairs = hic.make_pairs(C)
    a_hat, _, f_hat = hic.estimate_alpha_beta(joint.structure_, pairs, alpha0=-3.0)
    assert a_hat == pytest.approx(joint.alpha_, abs=2e-3)
    assert f_hat == pytest.approx(joint.objective_, rel=1e-9)
    compat = _fit(hic.PM2, C, pastis_compatible=True, max_iter=50)
    assert compat.extra_["alpha_history"].size == 1
    with pytest.raises(ValidationError, match="strategy"):
        _fit(hic.PM2, C, strategy="zigzag")


def test_nb_and_mds_run(small_chain):
    X, C, _ = small_chain
    nb = _fit(hic.NegativeBinomialStructure, C)
    assert nb.dispersion_ > 0 and hic.dscc(nb.structure_, X) > 0.8
    mds = _fit(hic.MDS, C)
    assert mds.structure_.shape == (40, 3) and np.isfinite(mds.objective_)


def test_determinism_and_n_init(small_chain):
    _, C, _ = small_chain
    a = hic.MDS(random_state=7, n_init=2, max_iter=100).fit(C)
    b = hic.MDS(random_state=7, n_init=2, max_iter=100).fit(C)
    np.testing.assert_array_equal(a.structure_, b.structure_)
    np.testing.assert_array_equal(a.objectives_, b.objectives_)
    assert a.objective_ == a.objectives_.min() and a.structures_.shape == (2, 40, 3)
    c = hic.MDS(random_state=8, n_init=1, max_iter=100).fit(C)
    assert not np.array_equal(a.structures_[0], c.structure_)


def test_filtered_bins_give_nan_rows(small_chain):
    _, C, _ = small_chain
    bias = np.ones(40)
    bias[[3, 10]] = np.nan
    m = hic.MDS(random_state=0).fit(C, bias=bias)
    assert np.isnan(m.structure_[[3, 10]]).all() and not np.isnan(np.delete(m.structure_, [3, 10], 0)).any()


def test_consensus_of_identical_structures():
    X = hic.random_walk(20, rng=1)
    stack = np.stack([X, 3 * X @ _rotation(2), X * np.array([-1, 1, 1])])
    cons = hic.consensus_structures(stack, [1.0, 0.5, 2.0])
    assert cons.best_index == 1
    np.testing.assert_allclose(cons.mean, stack[1], atol=1e-9)
    assert cons.variability.max() < 1e-8


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"alpha": 1.0}, "alpha must be"), ({"beta": -1.0}, "beta must be"), ({"n_init": 0}, "n_init")],
)
def test_bad_parameters(small_chain, kwargs, match):
    _, C, _ = small_chain
    with pytest.raises(ValidationError, match=match):
        hic.PM1(**kwargs).fit(C)


def test_simulator_checks():
    with pytest.raises(ValidationError, match="distribution"):
        hic.simulate_counts(hic.random_walk(5, rng=0), distribution="binomial")
    C, beta = hic.simulate_counts(hic.random_walk(30, rng=0), mean_count=2.0, distribution="nb", dispersion=2.0, rng=0)
    assert (C != C.T).nnz == 0 and C.diagonal().sum() == 0 and beta > 0


def test_iteration_trace_records_the_trajectory(small_chain):
    """The benchmark trace hook: iterates map back to the fitted coordinates, the objective recomputed on them
    decreases along the fit, and tracing does not change the result."""
    from pyomics_bridge.hic._optim import trace_iterations

    _, C, _ = small_chain
    plain = hic.PM2(random_state=0, max_iter=400).fit(C)
    with trace_iterations() as trace:
        traced = hic.PM2(random_state=0, max_iter=400).fit(C)
    np.testing.assert_array_equal(plain.structure_, traced.structure_)
    # MDS start (one fit per preconditioner round) and the joint fit: every fit starts with its starting point
    fits = np.asarray(trace.fit)
    assert fits[0] == 0 and np.all(np.diff(fits) >= 0) and fits[-1] >= 1
    assert np.all(np.diff(trace.cpu_s) >= 0) and trace.cpu_s[0] >= 0
    assert len(trace) == plain.n_iter_ + plain.extra_["n_iter_mds"] + trace._n_fits
    X_last, extra_last = trace.iterate(len(trace) - 1)
    np.testing.assert_allclose(X_last, traced.structure_[traced.kept_], rtol=1e-9, atol=1e-9)
    assert extra_last[0] == pytest.approx(traced.alpha_, rel=1e-9)
    # joint-fit iterates: the PM2 objective (β profiled) at the recorded (X, α) is non-increasing
    pairs = hic.make_pairs(C)
    last_fit = np.flatnonzero(fits == fits[-1])
    f = []
    for k in last_fit:
        Xk, ek = trace.iterate(k)
        f.append(hic.poisson_profile_objective(Xk, ek[0], pairs.i, pairs.j, pairs.counts, pairs.bias_prod)[0])
    assert np.all(np.diff(f) <= 1e-9 * np.abs(f[:-1]))
    assert f[-1] == pytest.approx(traced.objective_, rel=1e-9)
    # outside the block nothing is recorded
    hic.MDS(random_state=0, max_iter=20).fit(C)
    assert len(trace) == plain.n_iter_ + plain.extra_["n_iter_mds"] + trace._n_fits
