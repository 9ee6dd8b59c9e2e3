"""mixOmics-style plots: each plot's numbers (``*_data``) against independent computations, and the plots draw."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import pyomics_bridge as pob
from pyomics_bridge import multiomics as mo
from pyomics_bridge._conventions import ValidationError
from pyomics_bridge.pl import _mixomics_plots as mp
from pyomics_bridge.tl._clustering import consensus_clustering

plt = pytest.importorskip("matplotlib.pyplot")

KEEP = {"mrna": [8, 8], "mirna": [6, 6], "protein": [5, 5]}


@pytest.fixture(scope="module")
def mdata():
    md = pob.datasets.synthetic_multiomics(n_samples=60, random_state=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        pob.tl.diablo(md, groupby="class", n_components=2, keepX=KEEP)
        for m in md.mod:
            pob.tl.pca_mixomics(md[m], n_components=2, scale=True)
        consensus_clustering(md, k_range=(2, 5), n_resamples=20, store_all=True)
    return md


@pytest.fixture(scope="module")
def blocks(mdata):
    return {m: pd.DataFrame(mdata[m].X, index=mdata.obs_names, columns=mdata[m].var_names) for m in mdata.mod}


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


# --------------------------------------------------------------------------- loadings
def test_loadings_data_matches_direct_computation(mdata):
    t = mp.loadings_data(mdata, key="diablo", mod="mrna", comp=2)
    L = np.asarray(mdata["mrna"].varm["diablo_loadings"])[:, 1]
    nz = np.flatnonzero(L)
    assert len(t) == len(nz) == KEEP["mrna"][1]
    assert set(t.index) == set(mdata["mrna"].var_names[nz])
    assert (np.diff(t["importance"].to_numpy()) <= 0).all()
    X = np.asarray(mdata["mrna"].X)
    cls = mdata.obs["class"].astype(str).to_numpy()
    for feat in t.index:
        j = mdata["mrna"].var_names.get_loc(feat)
        assert t.loc[feat, "loading"] == L[j]
        means = {c: X[cls == c, j].mean() for c in np.unique(cls)}
        for c, v in means.items():
            assert t.loc[feat, c] == pytest.approx(v, rel=1e-12)
        assert t.loc[feat, "GroupContrib"] == max(means, key=means.get)
    tmin = mp.loadings_data(mdata, key="diablo", mod="mrna", comp=2, contrib="min", method="median", ndisplay=3)
    assert len(tmin) == 3 and list(tmin.index) == list(t.index[:3])
    feat = tmin.index[0]
    j = mdata["mrna"].var_names.get_loc(feat)
    med = {c: np.median(X[cls == c, j]) for c in np.unique(cls)}
    assert tmin.loc[feat, "GroupContrib"] == min(med, key=med.get)


def test_loadings_ties_and_no_classes():
    from anndata import AnnData

    ad = AnnData(np.array([[1.0, 0.0], [1.0, 2.0], [0.0, 1.0], [0.0, 3.0]]),
                 obs=pd.DataFrame({"g": ["a", "a", "b", "b"]}, index=list("wxyz")))
    ad.var_names = ["f1", "f2"]
    ad.varm["m_loadings"] = np.array([[0.5], [-0.7]])
    t = mp.loadings_data(ad, key="m", groupby="g")
    assert list(t.index) == ["f2", "f1"] and list(t["GroupContrib"]) == ["b", "a"]
    ad.X[:, 1] = [1.0, 1.0, 1.0, 1.0]
    assert mp.loadings_data(ad, key="m", groupby="g").loc["f2", "GroupContrib"] == "tie"
    assert "GroupContrib" not in mp.loadings_data(ad, key="m")
    with pytest.raises(ValidationError, match="name the block with mod="):
        mp.loadings_data(pob.datasets.synthetic_multiomics(n_samples=12, random_state=0), key="diablo")


# --------------------------------------------------------------------------- cim
def test_cim_data_orders_by_scipy_dendrogram(mdata):
    from scipy.cluster.hierarchy import dendrogram, linkage

    ad = mdata["protein"]
    feats = list(ad.var_names[:12])
    frame = mp.cim_data(ad, features=feats, scale=True)
    X = np.asarray(ad[:, feats].X, dtype=float)
    Z = (X - X.mean(0)) / X.std(0, ddof=1)
    rows = dendrogram(linkage(Z, "complete", metric="euclidean"), no_plot=True)["leaves"]
    cols = dendrogram(linkage(Z.T, "complete", metric="euclidean"), no_plot=True)["leaves"]
    assert list(frame.index) == list(ad.obs_names[rows])
    assert list(frame.columns) == [feats[j] for j in cols]
    np.testing.assert_allclose(frame.to_numpy(), Z[np.ix_(rows, cols)], atol=1e-12)
    corr = mp.cim_data(ad, features=feats, dist_method="correlation", linkage="average", cluster_rows=False)
    assert list(corr.index) == list(ad.obs_names)
    D = 1 - np.corrcoef(X.T)
    from scipy.spatial.distance import squareform

    cols_c = dendrogram(linkage(squareform(D, checks=False), "average"), no_plot=True)["leaves"]
    assert list(corr.columns) == [feats[j] for j in cols_c]


# --------------------------------------------------------------------------- DIABLO network
def test_diablo_network_data_matches_block_similarity(mdata, blocks):
    est = mo.BlockSPLSDA(2, keepX=KEEP).fit(blocks, mdata.obs["class"])
    K = mo.block_similarity(est)
    nodes, edges = mp.diablo_network_data(mdata, cutoff=0.6)  # K rebuilt from the MuData slots
    assert list(nodes.index) == list(K.index)
    np.testing.assert_allclose(np.hypot(nodes["x"], nodes["y"]), 1.0)
    # every between-block pair with |K| > cutoff, and only those (block_network's matrices, cutoff applied)
    expected = {}
    for M in mo.block_network(est, cutoff=0.6).values():
        for f1 in M.index:
            for f2 in M.columns:
                if abs(M.loc[f1, f2]) > 0.6:
                    expected[(f1, f2)] = M.loc[f1, f2]
    got = {(e.feature1, e.feature2): e.similarity for e in edges.itertuples()}
    assert got.keys() == expected.keys() and len(got) > 0
    for pair, v in expected.items():
        assert got[pair] == pytest.approx(v, abs=1e-10)
    assert (np.diff(np.abs(edges["similarity"].to_numpy())) <= 1e-15).all()
    # blocks occupy disjoint arcs, in block order
    order = [nodes.loc[b, "angle"].to_numpy() for b in KEEP]
    assert order[0].min() > order[1].max() and order[1].min() > order[2].max()
    # model and DataFrame inputs give the same tables
    for other in (est, K):
        n2, e2 = mp.diablo_network_data(other, cutoff=0.6)
        pd.testing.assert_frame_equal(n2, nodes)
        assert len(e2) == len(edges)
    n1, e1 = mp.diablo_network_data(mdata, cutoff=0.6, comp=1)
    assert len(n1) == sum(v[0] for v in KEEP.values())


# --------------------------------------------------------------------------- perf / tune
@pytest.fixture(scope="module")
def perf_results(mdata, blocks):
    y = mdata.obs["class"]
    pr = mo.perf(mo.SPLSDA(2, keepX=[5, 5]), blocks["mrna"], y, folds=3, nrepeat=3, random_state=0)
    tr = mo.tune_splsda(blocks["mrna"], y, test_keepX=[3, 6, 12], n_components=2, folds=3, nrepeat=3,
                        random_state=0)
    return pr, tr


def test_perf_curve_data(perf_results):
    pr, _ = perf_results
    t = mp.perf_curve_data(pr, measure="BER")
    assert len(t) == 2 * 3 and set(t["dist"]) == {"max.dist", "centroids.dist", "mahalanobis.dist"}
    arr = pr.error_rate_all["BER"]  # nrepeat × H × dist
    for row in t.itertuples():
        d = pr.dist.index(row.dist)
        assert row.mean == pytest.approx(arr[:, row.component - 1, d].mean(), abs=1e-12)
        assert row.sd == pytest.approx(arr[:, row.component - 1, d].std(ddof=1), abs=1e-12)


def test_perf_curve_data_block(mdata, blocks):
    bp = mo.perf(mo.BlockSPLSDA(2, keepX=KEEP), blocks, mdata.obs["class"], folds=3, nrepeat=2, random_state=0)
    t = mp.perf_curve_data(bp, measure="overall", scheme="WeightedVote")
    assert len(t) == 2 * len(bp.dist)
    for row in t.itertuples():
        allr = bp.weighted_vote["error_rate_all"][row.dist]  # nrepeat × (K + 2) × H, Overall.ER at K
        K = len(bp.levels)
        assert row.mean == pytest.approx(allr[:, K, row.component - 1].mean(), abs=1e-12)
    ta = mp.perf_curve_data(bp, scheme="AveragedPredict")
    assert set(ta["dist"]) == {"max.dist"}
    with pytest.raises(ValidationError, match="scheme must be"):
        mp.perf_curve_data(bp, scheme="nope")


def test_tune_curve_data(perf_results):
    _, tr = perf_results
    t = mp.tune_curve_data(tr)
    assert len(t) == 3 * 2
    for row in t.itertuples():
        reps = tr.error_rate_all[f"comp{row.component}"].iloc[row.position]
        assert str(tr.error_rate_all[f"comp{row.component}"].index[row.position]) == row.keepX
        assert row.mean == pytest.approx(reps.mean(), abs=1e-12)
        assert row.sd == pytest.approx(reps.std(ddof=1), abs=1e-12)
    chosen = t[t["chosen"]].sort_values("component")["keepX"].astype(int).tolist()
    assert chosen == list(tr.choice_keepX)


# --------------------------------------------------------------------------- consensus
def test_consensus_data(mdata):
    d = mp.consensus_data(mdata)
    rec = mdata.uns["consensus"]
    assert d["k"] == rec["best_k"]
    np.testing.assert_array_equal(d["pac"].to_numpy(), rec["pac"])
    M = d["matrix"]
    full = pd.DataFrame(mdata.obsp[f"consensus_k{d['k']}"], index=mdata.obs_names, columns=mdata.obs_names)
    np.testing.assert_array_equal(M.to_numpy(), full.loc[M.index, M.columns].to_numpy())
    lab = d["labels"].astype(int).to_numpy()
    assert (np.diff(lab) >= 0).all() and list(d["labels"].index) == list(M.index)
    d4 = mp.consensus_data(mdata, k=4)
    assert d4["labels"].nunique() == 4
    assert list(d["cdf"].columns) == [2, 3, 4, 5] and d["cdf"].index[-1] == 1.0


# --------------------------------------------------------------------------- drawing
def test_plots_draw(mdata, perf_results, tmp_path):
    pr, tr = perf_results
    fig, axes = plt.subplots(3, 3, figsize=(12, 12))
    mp.loadings(mdata, key="diablo", mod="mirna", comp=1, ax=axes[0, 0])
    K = mp._similarity_from_mudata(mdata, "diablo", 1, None)
    assert mp.cim(K, ax=axes[0, 1]) is axes[0, 1]
    mp.diablo_network(mdata, cutoff=0.7, labels=False, ax=axes[0, 2])
    mp.perf_curve(pr, ax=axes[1, 0])
    mp.tune_curve(tr, ax=axes[1, 1])
    for ax, kind in zip(axes[2], ("matrix", "pac", "cdf"), strict=True):
        assert mp.consensus(mdata, kind=kind, ax=ax) is ax
    mp.cim(mdata["protein"], features=list(mdata["protein"].var_names[:8]), scale=True, ax=axes[1, 2])
    fig.savefig(tmp_path / "all.png", dpi=30)
    assert (tmp_path / "all.png").stat().st_size > 5_000
    assert axes[2, 1].get_title().startswith("PAC")
    ax = mp.loadings(mdata["mrna"], key="pca_mixomics", comp=1, ndisplay=5)  # no classes: grey bars
    assert len(ax.patches) == 5
    with pytest.raises(ValidationError, match="kind must be"):
        mp.consensus(mdata, kind="bars")
