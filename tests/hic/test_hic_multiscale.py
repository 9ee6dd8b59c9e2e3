"""Multiscale (coarse-to-fine) structure inference: coarsening, interpolation, recovery of a simulated genome."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

import pyomics_bridge as pob
from pyomics_bridge import hic
from pyomics_bridge._conventions import ValidationError
from pyomics_bridge.hic._multiscale import Multiscale, coarsen, group_bins, interpolate_structure

ALPHA = -3.0


def _genome(n_chrom=3, per_chrom=200, mean_count=2.0, seed=0):
    """Chromosome territories: one confined random walk per chromosome at a random centre, Poisson counts
    (α = −3) within chromosomes, sparse uniform inter-chromosomal contacts."""
    rng = np.random.default_rng(seed)
    n = n_chrom * per_chrom
    rows, cols, vals, Xs = [], [], [], []
    for k in range(n_chrom):
        X = hic.random_walk(per_chrom, confinement=per_chrom ** (1 / 3) * 0.9, rng=rng) + rng.normal(scale=30, size=3)
        Ck, _ = hic.simulate_counts(X, alpha=ALPHA, mean_count=mean_count, rng=rng)
        up = sparse.triu(Ck, k=1).tocoo()
        rows.append(up.row + k * per_chrom)
        cols.append(up.col + k * per_chrom)
        vals.append(up.data)
        Xs.append(X)
    a, b = rng.integers(0, n, size=n), rng.integers(0, n, size=n)
    inter = a // per_chrom != b // per_chrom
    rows.append(np.minimum(a, b)[inter])
    cols.append(np.maximum(a, b)[inter])
    vals.append(np.ones(int(inter.sum())))
    up = sparse.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n)).tocsr()
    return (up + up.T).tocsr(), np.vstack(Xs), np.full(n_chrom, per_chrom)


@pytest.fixture(scope="module")
def genome():
    return _genome()


def _per_chrom(X, truth, lengths):
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    return np.array([hic.dscc(X[a:b], truth[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)])


def test_group_bins_respect_chromosomes():
    groups, coarse = group_bins(12, 3, lengths=[7, 5])
    np.testing.assert_array_equal(groups, [0, 0, 0, 1, 1, 1, 2, 3, 3, 3, 4, 4])
    np.testing.assert_array_equal(coarse, [3, 2])
    with pytest.raises(ValidationError, match="lengths"):
        group_bins(12, 3, lengths=[7, 4])
    with pytest.raises(ValidationError, match="factor"):
        group_bins(12, 0)


def test_coarsen_matches_dense_aggregation():
    rng = np.random.default_rng(1)
    n, lengths = 11, [6, 5]
    C = rng.poisson(3.0, size=(n, n)).astype(float)
    C = np.triu(C, 1) + np.triu(C, 1).T
    bias = rng.uniform(0.5, 2.0, size=n)
    bias[4] = np.nan  # a filtered bin: left out of counts and bias sums
    coarse, cbias, clens, groups = coarsen(C, 2, lengths=lengths, bias=bias)
    # independent reference: indicator matrix P (bins × groups) with zero rows for dropped bins, PᵀCP
    g = np.array([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5])
    P = np.zeros((n, 6))
    P[np.arange(n), g] = 1.0
    P[4] = 0.0
    np.testing.assert_allclose(coarse.toarray(), P.T @ C @ P)
    np.testing.assert_array_equal(clens, [3, 3])
    np.testing.assert_array_equal(groups, np.where(np.arange(n) == 4, -1, g))
    raw = P.T @ np.nan_to_num(bias)
    np.testing.assert_allclose(cbias, raw / raw.mean())


def test_interpolation_recovers_a_straight_chain():
    # beads on two straight lines (one per chromosome): group centres lie on the lines, so linear interpolation
    # (and extrapolation at chromosome ends) without jitter gives back every bead
    t = np.arange(10.0)
    truth = np.vstack([np.c_[t, 2 * t, -t], np.c_[100 + t[:8], np.zeros(8), 3 * t[:8]]])
    lengths = [10, 8]
    _, _, _, cg = coarsen(np.ones((18, 18)) - np.eye(18), 3, lengths=lengths)
    Xc = np.vstack([truth[cg == k].mean(axis=0) for k in range(cg.max() + 1)])
    fine = interpolate_structure(Xc, cg, np.arange(18), lengths=lengths, jitter=0.0)
    np.testing.assert_allclose(fine, truth, atol=1e-12)
    jittered = interpolate_structure(Xc, cg, np.arange(18), lengths=lengths, jitter=0.25, rng=0)
    assert 0 < np.abs(jittered - truth).max() < 2.0


def test_multiscale_recovers_simulated_genome(genome):
    """Two levels (5 bins per coarse bead, then the 600 original bins, every intra-chromosomal pair): the spec's
    single-chromosome recovery targets (§9.3: dSCC ≥ 0.9 and α̂ within ±0.2 of the truth at a few counts per
    pair) hold for every chromosome. Measured: dSCC 0.96–0.98, α̂ −2.93."""
    C, X, lengths = genome
    ms = Multiscale(hic.PM2(use_zero_counts="intra", random_state=0), factors=5).fit(C, lengths=lengths)
    d = _per_chrom(ms.structure_, X, lengths)
    assert d.min() > 0.9, d
    assert abs(ms.alpha_ - ALPHA) < 0.2
    assert [lev["factor"] for lev in ms.levels_] == [5, 1]
    assert ms.levels_[0]["n_beads"] == 120 and ms.levels_[1]["n_beads"] == 600
    assert ms.levels_[1]["n_iter_fixed_alpha"] > 0 and ms.converged_
    assert ms.structure_.shape == (600, 3) and np.isfinite(ms.structure_).all()
    # the coarse structure recovers the coarsened truth (group centroids)
    Xt = X.reshape(-1, 5, 3).mean(axis=1)
    assert _per_chrom(ms.coarse_structures_[0], Xt, lengths // 5).min() > 0.9


def test_refinement_budget_keeps_coarse_alpha(genome):
    C, X, lengths = genome
    ms = Multiscale(hic.PM2(use_zero_counts="intra", random_state=0), factors=5, refine_max_iter=20,
                    fixed_alpha_iter=100).fit(C, lengths=lengths)
    assert ms.levels_[1]["n_iter"] == ms.levels_[1]["n_iter_fixed_alpha"] == 20
    assert not ms.converged_ and ms.extra_["alpha_fixed"]
    assert ms.alpha_ == pytest.approx(ms.levels_[0]["alpha"])
    assert "budget" in ms.message_
    with pytest.raises(ValidationError, match="refine_max_iter"):
        Multiscale(hic.PM2(), factors=(10, 5), refine_max_iter=(5,)).fit(C, lengths=lengths)


def test_multiscale_validation(genome):
    C, _, lengths = genome
    with pytest.raises(ValidationError, match="init"):
        Multiscale(hic.PM2(init=np.zeros((600, 3)))).fit(C, lengths=lengths)
    with pytest.raises(ValidationError, match="factors"):
        Multiscale(hic.PM2(), factors=2.5).fit(C, lengths=lengths)
    with pytest.raises(ValidationError, match="jitter"):
        Multiscale(hic.PM2(), jitter=-1).fit(C, lengths=lengths)


def test_tl_infer_structure_multiscale():
    C, X, lengths = _genome(n_chrom=2, per_chrom=100, mean_count=3.0, seed=2)
    adata = hic.contact_anndata(C, lengths=lengths)
    pob.tl.infer_structure(adata, method="pm2", bias_key=None, use_zero_counts="intra", multiscale=4,
                           key_added="ms")
    out = adata.obsm["X_ms"]
    assert out.shape == (200, 3) and np.isfinite(out).all()
    info = adata.uns["ms"]
    np.testing.assert_array_equal(info["multiscale"]["factor"], [4, 1])
    np.testing.assert_array_equal(info["multiscale"]["n_beads"], [50, 200])
    assert info["params"]["multiscale"] == [4]
    assert _per_chrom(out, X, lengths).min() > 0.85
    with pytest.raises(ValidationError, match="multiscale"):
        pob.tl.infer_structure(adata, bias_key=None, multiscale=1)
    with pytest.raises(ValidationError, match="refine_max_iter"):
        pob.tl.infer_structure(adata, bias_key=None, refine_max_iter=10)
