"""Consensus clustering (Monti et al. 2003) with PAC (Şenbabaoğlu et al. 2014): planted clusters, the consensus
definition checked against a direct count, determinism and n_jobs independence, and the AnnData/MuData driver."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from anndata import AnnData
from sklearn.metrics import adjusted_rand_score

import pyomics_bridge as pob
from pyomics_bridge._conventions import ValidationError
from pyomics_bridge._parallel import spawn_generators
from pyomics_bridge.multiomics._consensus import (
    ConsensusClustering,
    _resample_task,
    consensus_cdf,
    consensus_labels,
    kmeans,
    pac_score,
    relabel_by_size,
)
from pyomics_bridge.tl._clustering import consensus_clustering


def planted(n_per: int = 30, k: int = 3, d: int = 4, sep: float = 8.0, seed: int = 0):
    """k well-separated Gaussian clusters whose centres are equidistant (a regular simplex, scaled by sep)."""
    rng = np.random.default_rng(seed)
    centres = np.eye(k, d) * sep / np.sqrt(2)
    labels = np.repeat(np.arange(k), n_per)
    perm = rng.permutation(labels.size)
    labels = labels[perm]
    return centres[labels] + rng.normal(size=(labels.size, d)), labels


@pytest.fixture(scope="module")
def three():
    return planted()


@pytest.fixture(scope="module")
def fit_km(three):
    X, _ = three
    return ConsensusClustering((2, 5), n_resamples=40, random_state=0).fit(X)


@pytest.mark.parametrize("true_k", [3, 4])
@pytest.mark.parametrize("method", ["kmeans", "hierarchical"])
def test_recovers_planted_clusters(true_k, method):
    X, labels = planted(n_per=25, k=true_k, d=true_k + 1, seed=true_k)
    cc = ConsensusClustering((2, 6), n_resamples=30, method=method, random_state=1).fit(X)
    assert cc.best_k_ == true_k
    assert adjusted_rand_score(labels, cc.labels_) > 0.9
    # PAC is lowest at the true k, strictly below every other k
    others = cc.pac_.drop(true_k)
    assert cc.pac_.loc[true_k] < others.min()
    assert cc.labels_per_k_[true_k].max() == true_k - 1


def test_consensus_matches_direct_count(fit_km, three):
    """M[i, j] = (# resamples co-clustering i and j) / (# resamples drawing both), recounted pair by pair."""
    X, _ = three
    n, H, m = X.shape[0], 40, int(round(0.8 * X.shape[0]))
    gens = spawn_generators(0, H)
    draws = [_resample_task((X, [2, 3, 4, 5], m, X.shape[1], "kmeans", "average", 5), g) for g in gens]
    for ki, k in enumerate([2, 3, 4, 5]):
        together = np.zeros((n, n))
        both = np.zeros((n, n))
        for rows, labs in draws:
            for a in range(len(rows)):
                both[rows[a], rows] += 1
                together[rows[a], rows] += labs[ki] == labs[ki][a]
        expected = np.divide(together, both, out=np.zeros((n, n)), where=both > 0)
        np.fill_diagonal(expected, 1.0)
        np.testing.assert_allclose(fit_km.consensus_[k], expected, atol=1e-12)
        np.testing.assert_array_equal(fit_km.pair_counts_, both)


def test_pac_cdf_and_area_definitions(fit_km):
    for k in fit_km.k_values_:
        M = fit_km.consensus_[k]
        vals = M[np.triu_indices_from(M, 1)]
        assert fit_km.pac_.loc[k] == pytest.approx(np.mean((vals > 0.1) & (vals <= 0.9)), abs=1e-15)
        grid, cdf = consensus_cdf(M, [0.1, 0.9])
        assert fit_km.pac_.loc[k] == pytest.approx(cdf[1] - cdf[0], abs=1e-12)
        assert fit_km.cdf_.loc[0.5, k] == pytest.approx(np.mean(vals <= 0.5), abs=1e-15)
        # area under the step CDF on [0, 1] = 1 - mean(values)
        assert fit_km.area_.loc[k] == pytest.approx(1 - vals.mean(), abs=1e-12)
    a = fit_km.area_.to_numpy()
    np.testing.assert_allclose(fit_km.delta_area_.to_numpy()[1:], (a[1:] - a[:-1]) / a[:-1])
    assert np.all(np.diff(fit_km.cdf_.to_numpy(), axis=0) >= 0)


def test_pac_on_ideal_matrices():
    crisp = np.kron(np.eye(2), np.ones((3, 3)))
    assert pac_score(crisp) == 0.0
    half = np.full((4, 4), 0.5)
    assert pac_score(half) == 1.0
    assert pac_score(half, (0.5, 0.9)) == 0.0  # the window is (u1, u2]


def test_labels_relabelled_by_size_and_from_consensus():
    assert relabel_by_size(np.array([5, 5, 2, 7, 7, 7])).tolist() == [1, 1, 2, 0, 0, 0]
    assert relabel_by_size(np.array([1, 0, 0, 1])).tolist() == [0, 1, 1, 0]  # tie: first sample's cluster first
    M = np.kron(np.eye(3), np.ones((2, 2))) * 0.9 + 0.05
    np.fill_diagonal(M, 1.0)
    assert consensus_labels(M, 3).tolist() == [0, 0, 1, 1, 2, 2]


def test_kmeans_kernel_finds_separated_groups():
    X, labels = planted(n_per=20, k=4, d=5, seed=3)
    lab = kmeans(X, 4, np.random.default_rng(0))
    assert adjusted_rand_score(labels, lab) == 1.0
    within = sum(((X[lab == c] - X[lab == c].mean(0)) ** 2).sum() for c in range(4))
    from sklearn.cluster import KMeans

    ref = KMeans(4, n_init=10, random_state=0).fit(X).inertia_
    assert within == pytest.approx(ref, rel=1e-9)


def test_determinism_and_n_jobs_independence(three):
    X, _ = three
    kw = {"n_resamples": 12, "random_state": 7}
    a = ConsensusClustering((2, 4), **kw).fit(X)
    b = ConsensusClustering((2, 4), **kw).fit(X)
    # threads keep the test fast (loky worker start-up costs ~20 s here); seeds are per task either way, and
    # tests/test_parallel.py checks parallel_map itself across loky/threading/dask
    from joblib import parallel_config

    with parallel_config(backend="threading"):
        c = ConsensusClustering((2, 4), n_jobs=3, **kw).fit(X)
    for other in (b, c):
        for k in a.k_values_:
            np.testing.assert_array_equal(a.consensus_[k], other.consensus_[k])
            np.testing.assert_array_equal(a.labels_per_k_[k], other.labels_per_k_[k])
        pd.testing.assert_series_equal(a.pac_, other.pac_)
    d = ConsensusClustering((2, 4), n_resamples=12, random_state=8).fit(X)
    assert not np.array_equal(a.pair_counts_, d.pair_counts_)


def test_feature_subsample_and_k_forms(three):
    X, _ = three
    cc = ConsensusClustering([3, 2], n_resamples=10, feature_subsample=0.5, random_state=0).fit(X)
    assert cc.k_values_ == [2, 3]
    assert ConsensusClustering(range(2, 5), n_resamples=2, random_state=0).fit(X).k_values_ == [2, 3, 4]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"k_range": (1, 3)}, "k_range values must be >= 2"),
        ({"k_range": (2, 80)}, "a resample has only 72"),
        ({"method": "dbscan"}, "method must be one of"),
        ({"subsample": 0.0}, r"subsample must be in \(0, 1\]"),
        ({"n_resamples": 0}, "n_resamples must be a positive integer"),
        ({"pac_window": (0.9, 0.1)}, "pac_window"),
        ({"linkage": "median"}, "linkage must be one of"),
    ],
)
def test_validation(three, kwargs, match):
    X, _ = three
    with pytest.raises(ValidationError, match=match):
        ConsensusClustering(**{"n_resamples": 2, **kwargs}).fit(X)


def test_nan_rejected():
    X = np.ones((10, 2))
    X[0, 0] = np.nan
    with pytest.raises(ValidationError, match="NaN"):
        ConsensusClustering((2, 3), n_resamples=2).fit(X)


# --------------------------------------------------------------------------- driver
def test_tl_anndata_slots(three, tmp_path):
    X, labels = three
    ad = AnnData(np.zeros((X.shape[0], 1)), obsm={"X_pca_mixomics": X})
    ad.obs_names = [f"s{i}" for i in range(ad.n_obs)]
    assert consensus_clustering(ad, k_range=(2, 4), n_resamples=20) is None
    rec = ad.uns["consensus"]
    assert rec["best_k"] == 3 and rec["k"].tolist() == [2, 3, 4]
    assert list(ad.obs["consensus"].cat.categories) == ["1", "2", "3"]
    assert adjusted_rand_score(labels, ad.obs["consensus"]) > 0.9
    for k in (2, 3, 4):
        assert ad.obs[f"consensus_k{k}"].nunique() == k
    assert list(ad.obsp) == ["consensus_k3"]
    M = ad.obsp["consensus_k3"]
    est = ConsensusClustering((2, 4), n_resamples=20, random_state=0).fit(X)
    np.testing.assert_array_equal(M, est.consensus_[3])
    np.testing.assert_allclose(rec["pac"], est.pac_.to_numpy())
    assert rec["params"]["n_resamples"] == 20 and rec["params"]["method"] == "kmeans"
    ad.write_h5ad(tmp_path / "c.h5ad")  # every slot is storable


def test_tl_mudata_concatenates_blocks_and_copy():
    md = pob.datasets.synthetic_multiomics(n_samples=60, random_state=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        for m in md.mod:
            pob.tl.pca_mixomics(md[m], n_components=2)
        out = consensus_clustering(md, k_range=(2, 4), n_resamples=10, store_all=True, copy=True)
    assert "consensus" not in md.uns and "consensus" in out.uns
    assert out.uns["consensus"]["use_rep"].startswith("concatenated")
    assert sorted(out.obsp) == ["consensus_k2", "consensus_k3", "consensus_k4"]
    joint = np.hstack([md[m].obsm["X_pca_mixomics"] for m in md.mod])
    est = ConsensusClustering((2, 4), n_resamples=10, random_state=0).fit(joint)
    np.testing.assert_array_equal(out.obsp["consensus_k3"], est.consensus_[3])
    one = consensus_clustering(md, mod="mrna", k_range=(2, 3), n_resamples=5, copy=True)
    assert one.uns["consensus"]["use_rep"] == "mdata['mrna'].obsm['X_pca_mixomics']"


def test_tl_errors_leave_object_intact():
    ad = AnnData(np.zeros((20, 2)), obsm={"X_pca_mixomics": np.random.default_rng(0).normal(size=(20, 2))})
    with pytest.raises(ValidationError, match="obsm='nope' not in adata.obsm"):
        consensus_clustering(ad, use_rep="nope")
    with pytest.raises(ValidationError, match="a resample has only"):
        consensus_clustering(ad, k_range=(2, 30), n_resamples=2)
    with pytest.raises(ValidationError, match="for MuData input only"):
        consensus_clustering(ad, mod="x")
    assert "consensus" not in ad.uns and "consensus" not in ad.obs
