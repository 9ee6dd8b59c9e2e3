"""Behaviour of the multi-omics kernels and estimators on small simulated data (no fixture files needed)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.cross_decomposition import PLSCanonical, PLSRegression

import pyomics_bridge.multiomics as mo
from pyomics_bridge._conventions import ValidationError


@pytest.fixture
def blocks():
    rng = np.random.default_rng(1)
    n = 30
    latent = rng.normal(size=(n, 2)) * [3.0, 1.5]  # well separated components
    X = latent @ rng.normal(size=(2, 25)) + 0.5 * rng.normal(size=(n, 25))
    Y = latent @ rng.normal(size=(2, 4)) + 0.5 * rng.normal(size=(n, 4))
    idx = [f"s{i}" for i in range(n)]
    return (pd.DataFrame(X, index=idx, columns=[f"g{j}" for j in range(25)]),
            pd.DataFrame(Y, index=idx, columns=[f"y{j}" for j in range(4)]))


@pytest.fixture
def classes(blocks):
    X, _ = blocks
    rng = np.random.default_rng(2)
    y = np.array(["b", "a", "c"] * 10)
    Xd = X.copy()
    shift = {"a": 0.0, "b": 1.5, "c": -1.5}
    Xd.iloc[:, :5] += np.array([shift[v] for v in y])[:, None] + 0.1 * rng.normal(size=(30, 5))
    return Xd, pd.Series(pd.Categorical(y, categories=["b", "a", "c"]), index=X.index)


ALL = [
    lambda: mo.PCA(2), lambda: mo.SPCA(2, keepX=[5, 3]), lambda: mo.PLS(2), lambda: mo.SPLS(2, keepX=[5, 4], keepY=2),
    lambda: mo.PLSDA(2), lambda: mo.SPLSDA(2, keepX=[6, 6]), lambda: mo.RCC(2, lambda1=0.1, lambda2=0.1),
]
IDS = ["PCA", "SPCA", "PLS", "SPLS", "PLSDA", "SPLSDA", "RCC"]


def _fit(est, blocks, classes):
    X, Y = blocks
    if isinstance(est, (mo.PCA, mo.SPCA)):
        return est.fit(X)
    if isinstance(est, mo.PLSDA):
        return est.fit(*classes)
    return est.fit(X, Y)


def _arrays(est):
    return {f"{k}.{b}": v for k in ("variates_", "loadings_") for b, v in getattr(est, k).items()}


# --------------------------------------------------------------------------- contract
@pytest.mark.parametrize("make", ALL, ids=IDS)
def test_fit_returns_self_and_is_deterministic(make, blocks, classes):
    est = make()
    assert _fit(est, blocks, classes) is est
    again = _fit(make(), blocks, classes)
    for k, v in _arrays(est).items():
        assert np.array_equal(v, _arrays(again)[k]), k
    for b, v in est.explained_variance_.items():
        assert np.all(v >= 0) and np.all(v <= 1 + 1e-12), b


@pytest.mark.parametrize("make", ALL, ids=IDS)
def test_sklearn_params_and_clone(make):
    est = make()
    params = est.get_params()
    assert "n_components" in params
    twin = clone(est)
    assert twin.get_params() == params and twin is not est


@pytest.mark.parametrize("make", ALL[:6], ids=IDS[:6])
def test_signs_follow_port_convention(make, blocks, classes):
    est = _fit(make(), blocks, classes)
    A = est.loadings_["X"]
    for h in range(A.shape[1]):
        assert A[np.argmax(np.abs(A[:, h])), h] > 0


def test_transform_reproduces_training_variates(blocks, classes):
    X, Y = blocks
    pls = mo.PLS(3).fit(X, Y)
    np.testing.assert_allclose(pls.transform(X), pls.variates_["X"], atol=1e-12)
    pca = mo.PCA(3).fit(X)
    np.testing.assert_allclose(pca.transform(X), pca.variates_["X"], atol=1e-12)
    rcc = mo.RCC(2, lambda1=0.1, lambda2=0.1).fit(X, Y)
    np.testing.assert_allclose(rcc.transform(X), rcc.variates_["X"], atol=1e-12)


def test_textbook_rotations_give_the_variates(blocks):
    X, Y = blocks
    est = mo.SPLS(3, keepX=[10, 8, 6]).fit(X, Y)
    Xs = (X - X.mean()) / X.std(ddof=1)
    np.testing.assert_allclose(Xs.to_numpy() @ est.rotations_["X"], est.variates_["X"], atol=1e-10)
    # with 3+ components mixOmics' loadings.star is not W* (its quirk); with 2 it is the textbook W*
    assert not np.allclose(est.loadings_star_["X"][:, 1], est.rotations_["X"][:, 1])
    two = mo.SPLS(2, keepX=[10, 8]).fit(X, Y)
    np.testing.assert_allclose(two.loadings_star_["X"], two.rotations_["X"], atol=1e-12)


# --------------------------------------------------------------------------- cross-checks
def test_pls_regression_matches_sklearn_x_side(blocks):
    X, Y = blocks
    ours = mo.PLS(3).fit(X, Y)
    sk = PLSRegression(3, scale=True, tol=1e-15, max_iter=5000).fit(X, Y)
    s = np.sign(np.sum(ours.loadings_["X"] * sk.x_weights_, axis=0))
    np.testing.assert_allclose(ours.loadings_["X"] * s, sk.x_weights_, atol=1e-8)
    np.testing.assert_allclose(ours.variates_["X"] * s, sk.x_scores_, atol=1e-8)
    np.testing.assert_allclose(ours.predict(X), sk.predict(X), atol=1e-8)


def test_pls_canonical_matches_sklearn(blocks):
    X, Y = blocks
    ours = mo.PLS(2, mode="canonical").fit(X, Y)
    sk = PLSCanonical(2, scale=True, algorithm="svd").fit(X, Y)
    s = np.sign(np.sum(ours.loadings_["X"] * sk.x_weights_, axis=0))
    np.testing.assert_allclose(ours.loadings_["Y"] * s, sk.y_weights_, atol=1e-8)
    np.testing.assert_allclose(ours.variates_["Y"] * s, sk.transform(X, Y)[1], atol=1e-8)


def test_nipals_on_complete_data_matches_svd(blocks):
    X, _ = blocks
    Xc = X.to_numpy() - X.to_numpy().mean(axis=0)
    res = mo.nipals(Xc, 3, tol=1e-14, max_iter=5000)
    _, d, Vt = np.linalg.svd(Xc, full_matrices=False)
    s = np.sign(np.sum(res.p * Vt[:3].T, axis=0))
    np.testing.assert_allclose(res.p * s, Vt[:3].T, atol=1e-6)
    np.testing.assert_allclose(res.eig, d[:3], rtol=1e-10)


def test_impute_nipals_fills_only_missing(blocks):
    X = blocks[0].to_numpy().copy()
    X[3, 4] = X[10, 0] = np.nan
    filled = mo.impute_nipals(X, 5)
    assert not np.isnan(filled).any()
    keep = ~np.isnan(X)
    assert np.array_equal(filled[keep], X[keep])


# --------------------------------------------------------------------------- kernels
def test_soft_threshold_rule():
    a = np.array([0.1, -0.5, 0.3, 0.05, -0.2])
    out = mo.soft_threshold(a, 2)
    np.testing.assert_allclose(out, [0.0, -0.3, 0.1, 0.0, 0.0])  # kept entries shrunk by λ = 0.2
    assert np.array_equal(mo.soft_threshold(a, 5), a)
    # ties at the boundary keep more than k entries
    tied = np.array([0.4, 0.4, 0.1])
    assert np.count_nonzero(mo.soft_threshold(tied, 1)) == 2


def test_scale_block_conventions():
    X = np.array([[1.0, 5.0, np.nan], [2.0, 5.0, 1.0], [4.0, 5.0, 3.0]])
    Xs, sc = mo.scale_block(X)
    np.testing.assert_allclose(sc.mean, [7 / 3, 5.0, 2.0])
    np.testing.assert_allclose(sc.scale[[0, 2]], [np.std([1, 2, 4], ddof=1), np.std([1, 3], ddof=1)])
    assert sc.scale[1] == 0 and np.all(Xs[:, 1] == 0)  # zero-sd column → 0
    assert np.isnan(Xs[0, 2])
    new = mo.apply_scaling(np.array([[3.0, 7.0, 2.0]]), sc)
    assert new[0, 1] == 0 and new[0, 2] == 0


def test_near_zero_var_and_dummy():
    X = np.c_[np.ones(40), np.r_[np.zeros(39), 1.0], np.arange(40.0)]
    assert mo.near_zero_var(X).tolist() == [0, 1]
    y = np.array(["b", "a", "b"])
    assert mo.class_levels(y) == ["a", "b"]
    assert mo.class_levels(pd.Categorical(y, categories=["b", "a", "z"])) == ["b", "a"]
    np.testing.assert_array_equal(mo.dummy_matrix(y, ["b", "a"]), [[1, 0], [0, 1], [1, 0]])


# --------------------------------------------------------------------------- missing values, nzv, prediction
def test_missing_values_in_x(blocks):
    X, Y = blocks
    Xn = X.copy()
    Xn.iloc[2, 3] = Xn.iloc[7, 10] = np.nan
    est = mo.SPLS(2, keepX=[5, 5]).fit(Xn, Y)
    assert np.isfinite(est.variates_["X"]).all()
    ref = mo.SPLS(2, keepX=[5, 5]).fit(X, Y)
    assert np.abs(np.corrcoef(est.variates_["X"][:, 0], ref.variates_["X"][:, 0])[0, 1]) > 0.99
    pca = mo.PCA(2).fit(Xn)
    assert pca.n_iter_ and np.isfinite(pca.variates_["X"]).all()


def test_near_zero_var_drops_columns(blocks):
    X, Y = blocks
    Xz = X.copy()
    Xz["const"] = 1.0
    with pytest.warns(UserWarning, match="near_zero_var: 1 column"):
        est = mo.PLS(2, near_zero_var=True).fit(Xz, Y)
    assert est.nzv_.tolist() == [25]
    assert np.all(est.loadings_["X"][25] == 0) and np.isnan(est.mean_["X"][25])
    ref = mo.PLS(2).fit(X, Y)
    np.testing.assert_allclose(est.loadings_["X"][:25], ref.loadings_["X"], atol=1e-12)
    np.testing.assert_allclose(est.predict(Xz), ref.predict(X), atol=1e-10)


def test_predict_reorders_columns_by_name(classes):
    X, y = classes
    est = mo.SPLSDA(2, keepX=5).fit(X, y)
    shuffled = X[X.columns[::-1]]
    for dist in mo.DISTANCES:
        assert np.array_equal(est.predict(X, dist=dist), est.predict(shuffled, dist=dist))
    assert (est.predict(X, dist="centroids.dist") == y.to_numpy()).mean() > 0.9


def test_da_outputs(classes):
    X, y = classes
    est = mo.PLSDA(2).fit(X, y)
    assert list(est.classes_) == ["b", "a", "c"]  # categorical level order
    full = est.predict_all(X)
    assert full.predict.shape == (2, 30, 3) and full.b_hat.shape == (2, 25, 3)
    for dist in mo.DISTANCES:
        assert full.classes[dist].shape == (30, 2)
        assert np.array_equal(full.classes[dist][:, 1], est.predict(X, dist=dist))
    np.testing.assert_allclose(full.predict[1], est.predict_scores(X))
    np.testing.assert_allclose(full.predict[1].sum(axis=1), 1.0, atol=1e-12)  # dummy scores sum to 1
    text = mo.PLSDA(2, mahalanobis="textbook").fit(X, y)
    assert text.predict(X, dist="mahalanobis.dist").shape == (30,)
    assert est.vip().shape == (25, 2)


def test_tie_labels_joined():
    from pyomics_bridge.multiomics._plsda import _pick

    out = _pick(np.array([[1.0, 1.0, 0.0], [0.0, 2.0, 1.0]]), np.array(["A", "B", "C"], dtype=object), largest=True)
    assert out.tolist() == ["A/B", "B"]


def test_similarity_and_circle(blocks):
    X, Y = blocks
    est = mo.SPLS(2, keepX=[5, 5], keepY=[2, 2]).fit(X, Y)
    M = mo.similarity_matrix(est)
    assert M.shape[1] <= 4 and M.shape[0] <= 10
    cc = mo.correlation_circle(est, comp=(1, 2))
    assert set(cc["block"]) == {"X", "Y"} and (cc[["x", "y"]].abs() <= 1).all().all()
    with pytest.raises(ValidationError, match="comp must hold"):
        mo.correlation_circle(est, comp=(1, 5))


# --------------------------------------------------------------------------- errors naming the field
@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda X, Y: mo.PLS(2).fit(X, Y.mask(Y > 1.5)), r"Y contains \d+ NaN"),
        (lambda X, Y: mo.PLS(2).fit(X, Y.iloc[:-1]), "X and Y are not aligned"),
        (lambda X, Y: mo.PLS(2).fit(X, Y.set_axis([f"t{i}" for i in range(30)])), "X rows and Y rows are not aligned"),
        (lambda X, Y: mo.SPLS(2, keepX=[5, 26]).fit(X, Y), r"keepX\[1\]=26 is larger than the number of features \(25\)"),
        (lambda X, Y: mo.SPLS(2, keepY=[5, 1]).fit(X, Y), r"keepY\[0\]=5 is larger than the number of features \(4\)"),
        (lambda X, Y: mo.SPLS(2, keepX=[5]).fit(X, Y), "keepX must have one entry per component"),
        (lambda X, Y: mo.SPLS(2, keepX=[5, 0]).fit(X, Y), r"keepX\[1\] must be a positive integer"),
        (lambda X, Y: mo.PLS(2).fit(X.iloc[:1], Y.iloc[:1]), "X has 1 sample"),
        (lambda X, Y: mo.PLS(2, mode="bogus").fit(X, Y), "mode must be one of"),
        (lambda X, Y: mo.PLS(40).fit(X, Y), "n_components=40 is larger than"),
        (lambda X, Y: mo.PLS(0).fit(X, Y), "n_components must be a positive integer"),
        (lambda X, Y: mo.PLS(2, tol=-1).fit(X, Y), "tol must be a positive number"),
        (lambda X, Y: mo.PCA(2).fit(X.assign(g0=np.inf)), "X contains 30 infinite"),
        (lambda X, Y: mo.PCA(2).fit(X.assign(g0=np.nan)), "X has column\\(s\\) with only missing values"),
        (lambda X, Y: mo.PCA(2, scale=True).fit(X.assign(g0=1.0)), "zero-variance column"),
        (lambda X, Y: mo.RCC(2, method="shrinkage").fit(X.mask(X > 2), Y), "X contains .* NaN"),
        (lambda X, Y: mo.RCC(2, method="cca").fit(X, Y), "method must be one of"),
        (lambda X, Y: mo.RCC(2).fit(pd.concat([X, X.add_suffix("b")], axis=1), Y), "not positive definite"),
        (lambda X, Y: mo.PLSDA(2).fit(X, ["a"] * 29 + [None]), r"y contains 1 missing label"),
        (lambda X, Y: mo.PLSDA(2).fit(X, ["a"] * 30), "at least 2 classes"),
        (lambda X, Y: mo.PLSDA(2).fit(X, ["a", "b"] * 14), "X and y are not aligned"),
        (lambda X, Y: mo.PLSDA(2, mahalanobis="x").fit(X, ["a", "b"] * 15), "mahalanobis must be one of"),
    ],
)
def test_bad_input_errors(blocks, make, match):
    X, Y = blocks
    with pytest.raises(ValidationError, match=match):
        make(X, Y)


def test_predict_errors(classes, blocks):
    X, y = classes
    with pytest.raises(ValidationError, match="not fitted"):
        mo.PLSDA(2).predict(X)
    est = mo.PLSDA(2).fit(X, y)
    with pytest.raises(ValidationError, match="dist must be one of"):
        est.predict(X, dist="euclid")
    with pytest.raises(ValidationError, match="X has 24 features, the model was fitted on 25"):
        est.predict(X.iloc[:, 1:])
    with pytest.raises(ValidationError, match="X columns differ"):
        est.predict(X.rename(columns={"g0": "zz"}))
    with pytest.raises(ValidationError, match="n_components=3 is larger"):
        est.predict(X, n_components=3)
    pls = mo.PLS(2).fit(*blocks)
    with pytest.raises(ValidationError, match="not fitted"):
        mo.PCA().transform(X)
    assert pls.predict(X.iloc[:3]).shape == (3, 4)
