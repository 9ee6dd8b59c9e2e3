"""Block PLS / DIABLO estimators: behaviour, consistency with the two-block models, vote rules and bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

import pyomics_bridge.multiomics as mo
from pyomics_bridge._conventions import ValidationError
from pyomics_bridge.multiomics._block import BlockPLS, BlockPLSDA, BlockSPLS, BlockSPLSDA
from pyomics_bridge.multiomics._block_predict import majority_vote, weighted_predict, weighted_vote
from pyomics_bridge.multiomics._block_similarity import block_network, block_similarity
from pyomics_bridge.multiomics._design import design_matrix


@pytest.fixture(scope="module")
def sim():
    """Three blocks sharing a 3-class signal, as DataFrames."""
    rng = np.random.default_rng(1)
    n = 45
    y = np.repeat(["a", "b", "c"], 15)
    z = np.where(y == "a", -1.0, np.where(y == "b", 0.2, 1.0))[:, None]
    idx = [f"s{i}" for i in range(n)]
    X = {}
    for name, p in (("rna", 30), ("prot", 12), ("meth", 20)):
        M = rng.normal(size=(n, p))
        M[:, :4] += 1.5 * z
        X[name] = pd.DataFrame(M, index=idx, columns=[f"{name}{j}" for j in range(p)])
    return X, pd.Series(pd.Categorical(y), index=idx)


# --------------------------------------------------------------------------- design
def test_design_forms():
    blocks = ["a", "b", "c"]
    full = design_matrix("full", blocks)
    assert list(full.index) == ["a", "b", "c", "Y"] and (full.to_numpy() == 1 - np.eye(4)).all()
    null = design_matrix("null", blocks).to_numpy()
    assert (null[:3, :3] == 0).all() and (null[3, :3] == 1).all() and null[3, 3] == 0
    d = design_matrix(0.1, blocks).to_numpy()
    assert d[0, 1] == 0.1 and d[0, 3] == 1 and d[2, 2] == 0
    assert (design_matrix(None, blocks).to_numpy() == full.to_numpy()).all()
    inner = pd.DataFrame(0.3 * (1 - np.eye(3)), index=blocks, columns=blocks)
    inner.loc["a", "b"] = inner.loc["b", "a"] = 0.7
    inner = inner.loc[["c", "a", "b"], ["b", "c", "a"]]  # any order: matched by name
    out = design_matrix(inner, blocks)
    assert out.loc["a", "b"] == 0.7 and out.loc["a", "c"] == 0.3 and out.loc["Y", "c"] == 1
    given = np.full((4, 4), 0.5)
    np.fill_diagonal(given, 0)
    assert (design_matrix(given, blocks).to_numpy() == given).all()  # (J+1)² used as is (Y links 0.5)


@pytest.mark.parametrize(
    "design,match",
    [
        (np.zeros((2, 2)), r"design must be a 3 × 3 matrix .* got shape \(2, 2\)"),
        (np.zeros((3, 4)), "got shape"),
        (pd.DataFrame(np.zeros((3, 3)), index=list("abz"), columns=list("abz")), r"unknown block\(s\) \['z'\]"),
        (pd.DataFrame(np.zeros((2, 2)), index=list("ab"), columns=list("ab")), r"lacks block\(s\) \['c'\]"),
        (np.array([[0, 0.1, 0.2], [0.3, 0, 0], [0.2, 0, 0]]), "design must be symmetric"),
        (np.array([[0, 2, 0], [2, 0, 0], [0, 0, 0]]), r"design values must lie in \[0, 1\]"),
        (np.eye(3), "zero diagonal"),
        (1.5, r"design must be a number in \[0, 1\]"),
        ("partial", "design must be 'full', 'null'"),
    ],
)
def test_design_errors(design, match):
    with pytest.raises(ValidationError, match=match):
        design_matrix(design, ["a", "b", "c"])


# --------------------------------------------------------------------------- fitting
def test_diablo_fit_attributes_and_reproducibility(sim):
    X, y = sim
    keepX = {"rna": [5, 3], "prot": [4, 4]}
    est = BlockSPLSDA(2, keepX=keepX, design=0.1)
    assert est.get_params()["keepX"] is keepX and clone(est).get_params()["design"] == 0.1
    assert est.fit(X, y) is est
    assert est.block_names_ == ["rna", "prot", "meth"]
    assert set(est.variates_) == set(est.loadings_) == set(est.explained_variance_) == {"rna", "prot", "meth", "Y"}
    assert [int((est.loadings_["rna"][:, h] != 0).sum()) for h in range(2)] == [5, 3]
    assert est.keepX_ == {"rna": [5, 3], "prot": [4, 4], "meth": [20, 20]}
    assert list(est.selected_features_["prot"][0]) == list(X["prot"].columns[est.loadings_["prot"][:, 0] != 0])
    np.testing.assert_allclose(np.linalg.norm(est.loadings_["meth"], axis=0), 1.0)
    assert est.weights_.shape == (3, 2) and (est.weights_["comp1"] > 0.5).all()
    assert list(est.classes_) == ["a", "b", "c"] and est.ind_mat_.shape == (45, 3)
    # the signal is in the first 4 features of every block
    assert set(range(4)) <= set(np.flatnonzero(est.loadings_["rna"][:, 0]))
    # sign convention: the largest |loading| of the first block is positive on every component
    for h in range(2):
        a = est.loadings_["rna"][:, h]
        assert a[np.argmax(np.abs(a))] > 0
    again = BlockSPLSDA(2, keepX=keepX, design=0.1).fit(X, y)
    np.testing.assert_array_equal(again.variates_["meth"], est.variates_["meth"])
    # the training variates are the transform of the training data
    tr = est.transform(X)
    for b in est.block_names_:
        np.testing.assert_allclose(tr[b], est.variates_[b], rtol=0, atol=1e-10)
    # DIABLO with every sample's own blocks classifies the training data well
    pred = est.predict(X)
    assert (pred.labels("WeightedVote").to_numpy() == y.astype(str).to_numpy()).mean() > 0.8
    assert pred.labels("rna", "centroids.dist", 1).index.tolist() == list(X["rna"].index)


def test_one_block_equals_two_block_models(sim):
    """With one X block the DIABLO engine is the two-block (s)PLS(-DA) of the existing estimators."""
    X, y = sim
    one = {"rna": X["rna"]}
    est = BlockSPLSDA(2, keepX={"rna": [6, 6]}, tol=1e-30).fit(one, y)
    ref = mo.SPLSDA(2, keepX=[6, 6], tol=1e-30).fit(X["rna"], y)
    s = np.sign(np.sum(est.loadings_["rna"] * ref.loadings_["X"], axis=0))
    np.testing.assert_allclose(est.loadings_["rna"] * s, ref.loadings_["X"], rtol=0, atol=1e-10)
    np.testing.assert_allclose(est.variates_["Y"] * s, ref.variates_["Y"], rtol=0, atol=1e-9)
    pred = est.predict({"rna": X["rna"]}, dist="all")
    full = ref.predict_all(X["rna"], dist="all")
    np.testing.assert_allclose(pred.predict["rna"], full.predict, rtol=0, atol=1e-9)
    for dist in mo.DISTANCES:
        assert np.array_equal(pred.classes[dist]["rna"], full.classes[dist])
        assert np.array_equal(pred.majority_vote[dist], full.classes[dist])  # one block: the vote is its class
    Ymat = pd.DataFrame(mo.dummy_matrix(y.to_numpy(), ["a", "b", "c"]), index=y.index)
    bp = BlockPLS(2, tol=1e-30).fit({"rna": X["rna"]}, Ymat)
    pls = mo.PLS(2).fit(X["rna"], Ymat)
    s = np.sign(np.sum(bp.loadings_["rna"] * pls.loadings_["X"], axis=0))
    np.testing.assert_allclose(bp.loadings_["rna"] * s, pls.loadings_["X"], rtol=0, atol=1e-10)
    np.testing.assert_allclose(bp.predict({"rna": X["rna"]}).averaged_predict[1], pls.predict(X["rna"]),
                               rtol=0, atol=1e-9)


def test_design_variants_and_modes(sim):
    X, y = sim
    ymat = pd.DataFrame(mo.dummy_matrix(y.to_numpy(), ["a", "b", "c"]), index=y.index)
    a = BlockPLSDA(2, design=0.1).fit(X, y)
    inner = pd.DataFrame(0.1 * (1 - np.eye(3)), index=["meth", "rna", "prot"], columns=["meth", "rna", "prot"])
    b = BlockPLSDA(2, design=inner).fit(X, y)
    np.testing.assert_array_equal(a.variates_["prot"], b.variates_["prot"])
    np.testing.assert_array_equal(a.design_.to_numpy(), b.design_.to_numpy())
    for mode in ("regression", "invariant", "classic"):
        est = BlockSPLS(2, keepX={"rna": 5}, keepY=[2, 2], mode=mode).fit(X, ymat)
        assert est.mode_ == mode and (est.loadings_["Y"] != 0).sum(axis=0).tolist() == [2, 2]
    est = BlockPLS(1, mode="canonical").fit(X, ymat)
    assert est.variates_["Y"].shape == (45, 1)
    with pytest.raises(ValidationError, match="canonical"):
        BlockPLS(3, mode="canonical").fit(X, ymat)
    unscaled = BlockPLSDA(1, scale=False).fit(X, y)
    assert unscaled.scaling_["rna"].scale is None and unscaled.scale_["Y"] is None


def test_init_signs(sim):
    X, y = sim
    search = BlockPLSDA(2, design=0.1).fit(X, y)
    assert search.init_signs_.shape == (2, 4) and (search.init_signs_[:, :2] == 1).all()
    fixed = BlockPLSDA(2, design=0.1, init_signs="fixed").fit(X, y)
    assert (fixed.init_signs_ == 1).all() and fixed.n_solutions_ == [1, 1]
    replay = BlockPLSDA(2, design=0.1, init_signs=search.init_signs_).fit(X, y)
    np.testing.assert_array_equal(replay.loadings_["meth"], search.loadings_["meth"])
    # the kept solution has the highest criterion among the patterns
    assert search.crit_[0][-1] >= fixed.crit_[0][-1] - 1e-9 * abs(fixed.crit_[0][-1])
    with pytest.raises(ValidationError, match="init_signs must be"):
        BlockPLSDA(2, init_signs=[[1, 1, 1]]).fit(X, y)
    with pytest.raises(ValidationError, match="init_signs must be one of"):
        BlockPLSDA(2, init_signs="random").fit(X, y)


def test_missing_values_and_near_zero_var(sim):
    X, y = sim
    Xn = {k: v.copy() for k, v in X.items()}
    Xn["rna"].iloc[3, 5] = np.nan
    Xn["rna"].iloc[10, 0] = np.nan
    Xn["prot"]["const"] = 1.0
    with pytest.warns(UserWarning, match="near_zero_var: 1 column"):
        est = BlockSPLSDA(2, keepX={"prot": [13, 13]}, near_zero_var=True).fit(Xn, y)
    assert est.nzv_["prot"].tolist() == [12] and est.keepX_["prot"] == [12, 12]
    assert (est.loadings_["prot"][12] == 0).all() and np.isnan(est.mean_["prot"][12])
    assert all(np.isfinite(v).all() for v in est.variates_.values())
    with pytest.warns(UserWarning, match="missing"):
        pred = est.predict({"rna": Xn["rna"].iloc[:5], "prot": Xn["prot"].iloc[:5]})
    assert pred.b_hat["prot"].shape == (2, 13, 3) and (pred.b_hat["prot"][:, 12] == 0).all()
    with pytest.warns(UserWarning, match="zero-variance"):
        BlockPLSDA(1).fit(Xn, y)


def test_predict_matches_features_by_name_and_missing_blocks(sim):
    X, y = sim
    est = BlockSPLSDA(2, keepX={"rna": [5, 5], "prot": [4, 4], "meth": [6, 6]}, design=0.5).fit(X, y)
    new = {b: X[b].iloc[:8] for b in X}
    pred = est.predict(new)
    shuffled = est.predict({b: v.iloc[:, ::-1] for b, v in new.items()})
    for b in X:
        np.testing.assert_allclose(shuffled.predict[b], pred.predict[b], rtol=0, atol=1e-12)
    assert pred.missing_blocks == [] and set(pred.weights) == set(X)
    with pytest.warns(UserWarning, match="based on the following blocks only: rna, meth"):
        part = est.predict({"rna": new["rna"], "meth": new["meth"]})
    # the missing block enters AveragedPredict as the training mean of Y (class proportions)
    mean_y = est.scaling_["Y"].mean
    expect = (part.predict["rna"] + part.predict["meth"] + mean_y) / 3
    np.testing.assert_allclose(part.averaged_predict, expect, rtol=0, atol=1e-12)
    # WeightedPredict = the Ŷ of the block with the largest mean weight among all blocks
    top = est.weights_.mean(axis=1).idxmax()
    if top in part.predict:
        np.testing.assert_allclose(part.weighted_predict, part.predict[top], rtol=0, atol=0)
    assert set(part.weights) == {"rna", "meth"} and "prot" not in part.classes["max.dist"]
    assert part["MajorityVote"] is part.majority_vote and part["B.hat"] is part.b_hat
    with pytest.raises(KeyError):
        part["Votes"]


def test_vote_rules():
    # WeightedVote: sum of weights per label; a tie goes to the label sorting last
    labels = np.array([["A", "B"], ["B", "A"], ["A", "A"], ["A/B", "B"]], dtype=object)
    assert weighted_vote(labels, np.array([0.5, 0.5])).tolist() == ["B", "B", "A", "B"]
    assert weighted_vote(labels, np.array([0.7, 0.3])).tolist() == ["A", "B", "A", "A/B"]
    three = np.array([["A", "B", "B"], ["C", "A", "B"]], dtype=object)
    assert weighted_vote(three, np.array([0.5, 0.3, 0.3])).tolist() == ["B", "C"]
    # MajorityVote: most frequent; tie → None
    assert majority_vote(labels).tolist() == [None, None, "A", None]
    assert majority_vote(three).tolist() == ["B", None]
    # WeightedPredict: blocks with identical values pool their weights; a tie between groups → NaN
    vals = np.array([[[0.2, 0.5]], [[0.2, 0.7]], [[0.9, 0.5]]])  # 3 blocks × 1 sample × 2 columns
    out = weighted_predict(vals, np.array([0.3, 0.3, 0.5]))
    np.testing.assert_array_equal(out, [[0.2, 0.5]])  # col 1: 0.2 (0.3 + 0.3) beats 0.9 (0.5); col 2: 0.5 (0.3 + 0.5) beats 0.7
    tie = weighted_predict(np.array([[[1.0]], [[2.0]]]), np.array([0.4, 0.4]))
    assert np.isnan(tie).all()


def test_similarity_helpers(sim):
    X, y = sim
    est = BlockSPLSDA(2, keepX={"rna": [3, 2], "prot": [2, 2], "meth": [2, 1]}).fit(X, y)
    nets = block_network(est, cutoff=0.3)
    assert list(nets) == [("rna", "prot"), ("rna", "meth"), ("prot", "meth")]
    M = nets[("rna", "prot")]
    assert ((M.to_numpy() == 0) | (np.abs(M.to_numpy()) >= 0.3)).all()
    K = block_similarity(est, comp=[1])
    assert K.shape[0] == 3 + 2 + 2 and np.allclose(K.to_numpy(), K.to_numpy().T)
    full = block_similarity(BlockSPLS(2, keepX={"rna": 3}).fit(X, est.ind_mat_))  # non-DA: Y included
    assert "Y" in full.index.get_level_values("block")
    with pytest.raises(ValidationError, match="unknown blocks"):
        block_network(est, blocks=["rna", "atac"])
    with pytest.raises(ValidationError, match="comp must hold"):
        block_similarity(est, comp=[3])
    with pytest.raises(ValidationError, match="fitted Block"):
        block_similarity(mo.PLS())


# --------------------------------------------------------------------------- bad input
def test_bad_input(sim):
    X, y = sim
    ymat = pd.DataFrame(mo.dummy_matrix(y.to_numpy(), ["a", "b", "c"]), index=y.index)
    short = {**X, "prot": X["prot"].iloc[:40]}
    with pytest.raises(ValidationError, match="blocks 'rna' and 'prot' have different numbers of rows"):
        BlockPLSDA().fit(short, y)
    swapped = {**X, "meth": X["meth"].iloc[::-1]}
    with pytest.raises(ValidationError, match="are not aligned"):
        BlockPLSDA().fit(swapped, y)
    with pytest.raises(ValidationError, match=r"design names unknown block\(s\) \['atac'\]"):
        BlockPLSDA(design=pd.DataFrame(np.zeros((3, 3)), index=["rna", "prot", "atac"],
                                       columns=["rna", "prot", "atac"])).fit(X, y)
    with pytest.raises(ValidationError, match=r"got shape \(2, 2\)"):
        BlockPLSDA(design=np.zeros((2, 2))).fit(X, y)
    with pytest.raises(ValidationError, match=r"keepX names unknown block\(s\) \['atac'\]"):
        BlockSPLSDA(keepX={"atac": [5, 5]}).fit(X, y)
    with pytest.raises(ValidationError, match=r"keepX\['prot'\]\[0\]=50 is larger than the number of features"):
        BlockSPLSDA(keepX={"prot": [50, 5]}).fit(X, y)
    with pytest.raises(ValidationError, match=r"keepX\['rna'\] must have one entry per component"):
        BlockSPLSDA(keepX={"rna": [5, 5, 5]}).fit(X, y)
    with pytest.raises(ValidationError, match="keepX must be a dict"):
        BlockSPLSDA(keepX=[5, 5]).fit(X, y)
    bad_y = ymat.copy()
    bad_y.iloc[2, 1] = np.nan
    with pytest.raises(ValidationError, match=r"Y contains 1 NaN value\(s\)"):
        BlockPLS().fit(X, bad_y)
    with pytest.raises(ValidationError, match=r"y contains 1 missing label"):
        BlockPLSDA().fit(X, y.cat.add_categories("z").where(np.arange(45) != 4))
    with pytest.raises(ValidationError, match="X blocks and y are not aligned"):
        BlockPLSDA().fit(X, y.iloc[:44])
    with pytest.raises(ValidationError, match="at least 2 classes"):
        BlockPLSDA().fit(X, pd.Series(["a"] * 45, index=y.index))
    with pytest.raises(TypeError, match="X must be a dict"):
        BlockPLSDA().fit(X["rna"], y)
    with pytest.raises(ValidationError, match="reserved for the response"):
        BlockPLSDA().fit({**X, "Y": X["rna"]}, y)
    with pytest.raises(ValidationError, match="X has no blocks"):
        BlockPLSDA().fit({}, y)
    with pytest.raises(ValidationError, match="n_components=13 is larger than"):
        BlockPLSDA(13).fit(X, y)
    with pytest.raises(ValidationError, match="mode must be one of"):
        BlockPLS(mode="pls2").fit(X, ymat)
    with pytest.raises(ValidationError, match="tol must be a positive number"):
        BlockPLSDA(tol=0).fit(X, y)
    est = BlockPLSDA()
    with pytest.raises(ValidationError, match="not fitted"):
        est.predict(X)
    est.fit(X, y)
    with pytest.raises(ValidationError, match="dist must be one of"):
        est.predict(X, dist="euclid")
    with pytest.raises(ValidationError, match=r"X names unknown block\(s\) \['atac'\]"):
        est.predict({**X, "atac": X["rna"]})
    with pytest.raises(ValidationError, match="has 29 features, the model was fitted on 30"):
        est.predict({"rna": X["rna"].iloc[:, 1:]})
    renamed = X["rna"].rename(columns={"rna0": "gene0"})
    with pytest.raises(ValidationError, match="columns differ from the features seen in fit"):
        est.predict({"rna": renamed})
    with pytest.raises(ValidationError, match="mahalanobis must be one of"):
        BlockPLSDA(mahalanobis="exact").fit(X, y)
