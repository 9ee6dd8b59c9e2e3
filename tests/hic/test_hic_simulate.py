"""pob.hic.simulate: counts follow c ~ Poisson/NB(β b_i b_j d_ij^α) for every pair, intra and inter-chromosomal.

References are the simulated truth itself (known X, β, b) and closed-form moments, checked with fits written here.
"""

import numpy as np
import pytest
from scipy import sparse

from pyomics_bridge._conventions import ValidationError
from pyomics_bridge.hic._simulate import HiCSimulation, simulate


def _pairs(sim, which="all"):
    """Upper-triangle pairs (i, j), their true distance, b_i b_j and count."""
    n = sim.n_bins
    i, j = np.triu_indices(n, k=1)
    ch = sim.chromosome
    keep = {"all": np.ones(i.size, bool), "intra": ch[i] == ch[j], "inter": ch[i] != ch[j]}[which]
    i, j = i[keep], j[keep]
    d = np.linalg.norm(sim.X[i] - sim.X[j], axis=1)
    c = np.asarray(sim.counts[i, j]).ravel()
    return i, j, d, sim.bias[i] * sim.bias[j], c


def _loglinear_alpha(d, bb, c, n_bins=30):
    """Slope of log(mean normalised count) on log(distance) in narrow equal-width log-distance bins
    (between the 2nd and 98th percentiles, bins of >= 20 pairs)."""
    logd = np.log(d)
    edges = np.linspace(*np.quantile(logd, [0.02, 0.98]), n_bins + 1)
    idx = np.searchsorted(edges, logd, side="right") - 1
    x, y, w = [], [], []
    for k in range(n_bins):
        m = idx == k
        if m.sum() < 20 or c[m].sum() == 0:
            continue
        x.append(logd[m].mean())
        y.append(np.log((c[m] / bb[m]).mean()))
        w.append(np.sqrt(c[m].sum()))
    return np.polyfit(x, y, 1, w=w)[0]


def test_counts_symmetric_zero_diagonal_integer_and_mean():
    sim = simulate(200, mean_count=5.0, bias_sd=0.3, random_state=0)
    assert isinstance(sim, HiCSimulation)
    C = sim.counts
    assert sparse.isspmatrix_csr(C) and C.shape == (200, 200)
    assert abs(C - C.T).max() == 0
    assert np.all(C.diagonal() == 0)
    assert np.all(C.data > 0) and np.all(C.data == np.round(C.data))
    n_pairs = 200 * 199 / 2
    # β is set so that the mean expected count over pairs is 5 (exactly, by construction) ...
    _, _, d, bb, c = _pairs(sim)
    assert np.isclose((sim.beta * bb * d**sim.alpha).mean(), 5.0, rtol=1e-10)
    assert np.isclose(sim.expected_total["intra"], 5.0 * n_pairs, rtol=1e-10)
    # ... and the observed mean agrees within Poisson noise (sd of the total ≈ 315 on 99,500)
    assert abs(C.sum() / 2 / n_pairs - 5.0) < 0.1
    assert np.isclose(np.exp(np.mean(np.log(sim.bias))), 1.0)
    assert sim.X.shape == (200, 3) and list(sim.lengths) == [200]


@pytest.mark.parametrize("alpha", [-3.0, -2.0])
def test_loglinear_fit_recovers_alpha(alpha):
    sim = simulate(300, alpha=alpha, mean_count=20.0, bias_sd=0.2, random_state=1)
    _, _, d, bb, c = _pairs(sim)
    assert abs(_loglinear_alpha(d, bb, c) - alpha) < 0.15


def test_poisson_and_nb_dispersion():
    """Mean Pearson residual² (c − λ)²/λ over pairs with 0.5 <= λ <= 50: ≈ 1 for Poisson, ≈ mean(1 + λ/r) for
    NB(size r)."""
    for dist, r in (("poisson", None), ("nb", 2.0)):
        sim = simulate(200, mean_count=4.0, distribution=dist, dispersion=r or 5.0, random_state=2)
        _, _, d, bb, c = _pairs(sim)
        lam = sim.beta * bb * d**sim.alpha
        m = (lam >= 0.5) & (lam <= 50)
        stat = ((c[m] - lam[m]) ** 2 / lam[m]).mean()
        expected = 1.0 if r is None else (1.0 + lam[m] / r).mean()
        assert abs(stat / expected - 1.0) < 0.15, (dist, stat, expected)
        var_total = lam.sum() + (0.0 if r is None else (lam**2).sum() / r)
        assert abs(c.sum() - lam.sum()) < 4 * np.sqrt(var_total)


def test_multichromosome_inter_counts_follow_3d_distance():
    sim = simulate(lengths=[120, 100, 80], mean_count=3.0, confinement=5.0, random_state=3)
    assert sim.counts.shape == (300, 300) and sim.centers.shape == (3, 3)
    # intra-chromosomal mean count is the requested coverage
    _, _, d, bb, c = _pairs(sim, "intra")
    assert abs(c.mean() - 3.0) < 0.15
    # inter counts exist, and pairs closer in 3D get more of them (same law as within chromosomes)
    _, _, d, bb, c = _pairs(sim, "inter")
    assert c.sum() > 100
    near = d < np.median(d)
    assert c[near].mean() > 3 * c[~near].mean()
    assert abs(_loglinear_alpha(d, bb, c, n_bins=10) - sim.alpha) < 0.3
    lam = sim.beta * bb * d**sim.alpha
    assert np.isclose(lam.sum(), sim.expected_total["inter"], rtol=1e-10)
    assert abs(c.sum() - lam.sum()) < 5 * np.sqrt(lam.sum())
    # the chains are centred on their territory centres
    for k, (a, b) in enumerate(zip(np.r_[0, np.cumsum(sim.lengths)[:-1]], np.cumsum(sim.lengths), strict=True)):
        assert np.allclose(sim.X[a:b].mean(axis=0), sim.centers[k])


def test_inter_scale():
    kw = {"lengths": [60, 60], "mean_count": 3.0, "random_state": 4}
    none = simulate(inter_scale=0.0, **kw)
    assert none.counts[:60, 60:].nnz == 0 and none.expected_total["inter"] == 0
    one, two = simulate(**kw), simulate(inter_scale=2.0, **kw)
    assert np.isclose(two.expected_total["inter"], 2 * one.expected_total["inter"])
    assert np.array_equal(one.X, two.X)


def test_determinism():
    kw = {"lengths": [50, 40], "mean_count": 2.0, "bias_sd": 0.2, "distribution": "nb", "random_state": 7}
    a, b = simulate(**kw), simulate(**kw)
    assert (a.counts != b.counts).nnz == 0 and np.array_equal(a.X, b.X) and np.array_equal(a.bias, b.bias)
    c = simulate(**{**kw, "random_state": 8})
    assert not np.array_equal(a.X, c.X)


def test_synthetic_hic_wraps_simulate():
    from pyomics_bridge.datasets import synthetic_hic

    ad = synthetic_hic(n_bins=40, bias_sd=0.2, random_state=5)
    sim = simulate(40, bias_sd=0.2, random_state=5)
    assert (ad.X != sim.counts).nnz == 0 and np.array_equal(ad.obsm["X_true"], sim.X)
    multi = synthetic_hic(lengths=[30, 20], random_state=5)
    assert list(multi.obs["chrom"].unique()) == ["chr1", "chr2"] and multi.n_obs == 50
    assert multi.uns["synthetic"]["lengths"] == [30, 20]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_bins": 10, "lengths": [4, 5]}, "lengths sum to 9 but n_bins = 10"),
        ({}, "give n_bins or lengths"),
        ({"lengths": [5, 1]}, "lengths must all be >= 2"),
        ({"lengths": [5.5, 3]}, "lengths must be a non-empty 1-D sequence of integers"),
        ({"n_bins": 10, "alpha": 0.5}, "alpha must be a finite negative number"),
        ({"n_bins": 10, "mean_count": 0}, "mean_count must be a finite number > 0"),
        ({"n_bins": 10, "distribution": "binomial"}, "distribution must be 'poisson' or 'nb'"),
        ({"n_bins": 10, "structure": "globule"}, "structure must be 'confined' or 'random_walk'"),
        ({"n_bins": 10, "dispersion": -1}, "dispersion must be a finite number > 0"),
        ({"n_bins": 10, "bias_sd": -0.1}, "bias_sd must be a finite number >= 0"),
        ({"lengths": [5, 5], "inter_scale": -1}, "inter_scale must be a finite number >= 0"),
        ({"lengths": [5, 5], "nucleus_radius": 0}, "nucleus_radius must be a finite number > 0"),
        ({"n_bins": 10, "confinement": 0}, "confinement must be a finite number > 0"),
    ],
)
def test_bad_input(kwargs, match):
    with pytest.raises(ValidationError, match=match):
        simulate(**kwargs)
