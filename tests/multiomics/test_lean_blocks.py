"""Large-block path of SPCA / PLS / SPLS / (s)PLS-DA: float32 and scipy.sparse input, implicit centring/scaling.

References are independent of the implicit path: the explicit centred/scaled float64 matrix (built here with
numpy), the dense float64 fit of the same values (itself checked against mixOmics by the golden tests), and the
ground truth of simulated data (informative features found).
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from scipy import sparse

import pyomics_bridge.multiomics as mo
from pyomics_bridge._conventions import ValidationError
from pyomics_bridge.multiomics._implicit import ScaledBlock, scaled_block
from pyomics_bridge.multiomics._preprocess import column_stats, near_zero_var, sparse_column_stats


def _sparse_data(n=120, p=400, density=0.05, seed=0, n_info=6):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    X = sparse.random(n, p, density=density, format="csr", random_state=rng,
                      data_rvs=lambda k: rng.standard_normal(k) + 2.0).toarray()
    for f in range(n_info):
        X[:, f] += 3.0 * (y == f % 3)
    return X, y


def _explicit(X, center=True, scale=True):
    Xd = X.toarray() if sparse.issparse(X) else np.asarray(X, dtype=np.float64)
    mu = Xd.mean(axis=0) if center else np.zeros(Xd.shape[1])
    Z = Xd - mu
    if scale:
        sd = np.sqrt((Z**2).sum(axis=0) / (Xd.shape[0] - 1))
        Z = np.divide(Z, sd, out=np.zeros_like(Z), where=sd > 0)
    return Z


# --------------------------------------------------------------------------- the operator itself
@pytest.mark.parametrize("kind", ["f64", "f32", "f32_F", "csr", "csc"])
@pytest.mark.parametrize("center,scale", [(True, True), (True, False), (False, True)])
def test_scaled_block_products_equal_the_explicit_matrix(kind, center, scale):
    X, _ = _sparse_data(n=50, p=30, density=0.3)
    X[:, 7] = 1.5  # a constant column: scaled to 0
    Xin = {"f64": X, "f32": X.astype(np.float32), "f32_F": np.asfortranarray(X.astype(np.float32)),
           "csr": sparse.csr_matrix(X), "csc": sparse.csc_matrix(X)}[kind]
    Xref = X.astype(np.float32).astype(np.float64) if kind.startswith("f32") else X
    cols = np.array([0, 3, 7, 8, 29])
    rng = np.random.default_rng(1)
    for sel in (None, cols):
        op, scaling = scaled_block(Xin, center=center, scale=scale, cols=sel)
        Z = _explicit(Xref, center, scale)
        if sel is not None:
            Z = _explicit(Xref[:, sel], center, scale)
        rtol = 1e-6 if kind.startswith("f32") else 1e-12
        a, A = rng.standard_normal(Z.shape[1]), rng.standard_normal((Z.shape[1], 3))
        v, V = rng.standard_normal(50), rng.standard_normal((50, 2))
        scale_ = np.abs(Z).max() * 10
        np.testing.assert_allclose(op @ a, Z @ a, atol=rtol * scale_)
        np.testing.assert_allclose(op @ A, Z @ A, atol=rtol * scale_)
        np.testing.assert_allclose(op.T @ v, Z.T @ v, atol=rtol * scale_)
        np.testing.assert_allclose(op.T @ V, Z.T @ V, atol=rtol * scale_)
        np.testing.assert_allclose(op.col_sumsq(), (Z**2).sum(axis=0), rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(op.dense(), Z, atol=1e-12 * scale_ if not kind.startswith("f32") else 1e-6)
        assert scaling.mean is None if not center else scaling.mean.shape == (Z.shape[1],)
    # feature correlations are those of the raw columns (np.corrcoef), NaN for the constant one
    T = rng.standard_normal((50, 2))
    R = op.feature_cor(T)
    for j in (0, 3, 29):
        np.testing.assert_allclose(R[j, 1], np.corrcoef(Xref[:, j], T[:, 1])[0, 1], atol=1e-6)
    assert np.isnan(R[7]).all()


def test_sparse_column_stats_and_nzv_match_dense():
    X, _ = _sparse_data(n=60, p=40, density=0.1)
    X[:, 5] = 0.0
    X[:, 6] = 0.0
    X[:2, 6] = 2.0  # 2 non-zeros out of 60: near-zero variance by caret's rule (58/2 > 19, 2/60 <= 10%)
    for center in (True, False):
        m, s = sparse_column_stats(sparse.csr_matrix(X), center=center)
        m0, s0 = column_stats(X, center=center)
        np.testing.assert_allclose(m, m0, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(s, s0, rtol=1e-12, atol=1e-15)
    ref = near_zero_var(X)
    assert {5, 6} <= set(ref.tolist())
    np.testing.assert_array_equal(near_zero_var(sparse.csc_matrix(X)), ref)
    np.testing.assert_array_equal(near_zero_var(X.astype(np.float32)), near_zero_var(X.astype(np.float32)
                                                                                    .astype(np.float64)))


# --------------------------------------------------------------------------- estimators: sparse == dense
def _fits(est_factory, Xs, y):
    return [est_factory().fit(X, y) if y is not None else est_factory().fit(X) for X in Xs]


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_equals_dense_spca_splsda_spls(fmt):
    X, y = _sparse_data()
    Xsp = sparse.csr_matrix(X) if fmt == "csr" else sparse.csc_matrix(X)
    rng = np.random.default_rng(4)
    Y = X[:, :3] @ rng.standard_normal((3, 4)) + rng.standard_normal((X.shape[0], 4))
    cases = [
        (lambda: mo.SPCA(n_components=3, keepX=[20, 15, 10]), None),
        (lambda: mo.SPLSDA(n_components=3, keepX=[10, 10, 10]), y),
        (lambda: mo.PLSDA(n_components=2, near_zero_var=True), y),
        (lambda: mo.SPLS(n_components=2, keepX=[15, 12], keepY=[3, 2], mode="canonical"), Y),
        (lambda: mo.PLS(n_components=2, mode="classic"), Y),
    ]
    for factory, target in cases:
        dense, sp = _fits(factory, [X, Xsp], target)
        for attr in ("variates_", "loadings_", "explained_variance_", "feature_correlations_"):
            for b, v in getattr(dense, attr).items():
                np.testing.assert_allclose(getattr(sp, attr)[b], v, rtol=1e-9, atol=1e-10,
                                           err_msg=f"{type(dense).__name__}.{attr}[{b}]")
        assert sp.n_iter_ == dense.n_iter_
        if hasattr(dense, "cum_var_"):
            np.testing.assert_allclose(sp.cum_var_, dense.cum_var_, rtol=1e-10)
        # new samples given sparse or dense project identically
        new = X[:7] + 0.1
        np.testing.assert_allclose(sp.transform(sparse.csr_matrix(new)), dense.transform(new), atol=1e-10)
        if hasattr(dense, "classes_"):
            np.testing.assert_array_equal(sp.predict(sparse.csr_matrix(new)), dense.predict(new))
            np.testing.assert_allclose(sp.predict_scores(sparse.csr_matrix(new)), dense.predict_scores(new),
                                       atol=1e-10)
    sel = mo.SPLSDA(n_components=2, keepX=[6, 6]).fit(Xsp, y).selected_features_["X"]
    assert set(range(6)) <= set(np.concatenate(sel).tolist())  # the informative features (ground truth)


def test_float32_agrees_with_float64_fit_of_the_same_values():
    X, y = _sparse_data(n=150, p=600, density=0.5, seed=3)
    X32 = X.astype(np.float32)
    X64 = X32.astype(np.float64)
    for factory, target in ((lambda: mo.SPCA(n_components=2, keepX=[25, 25]), None),
                            (lambda: mo.SPLSDA(n_components=2, keepX=[25, 25]), y)):
        f32 = factory().fit(X32, target) if target is not None else factory().fit(X32)
        f64 = factory().fit(X64, target) if target is not None else factory().fit(X64)
        for b, v in f64.loadings_.items():
            np.testing.assert_allclose(f32.loadings_[b], v, atol=2e-5 * np.abs(v).max())
        for b, v in f64.variates_.items():
            np.testing.assert_allclose(f32.variates_[b], v, atol=2e-5 * np.abs(v).max())
        for b, v in f64.explained_variance_.items():
            np.testing.assert_allclose(f32.explained_variance_[b], v, rtol=1e-5)
        sel32 = f32.selected_features_["X"] if isinstance(f32.selected_features_, dict) else f32.selected_features_
        sel64 = f64.selected_features_["X"] if isinstance(f64.selected_features_, dict) else f64.selected_features_
        for a, b in zip(sel32, sel64, strict=True):
            np.testing.assert_array_equal(a, b)
    assert X32.dtype == np.float32  # the caller's block was not converted in place


def test_float32_fit_makes_no_copy_of_the_block():
    rng = np.random.default_rng(0)
    n, p = 1000, 5000
    y = np.arange(n) % 3
    X = rng.standard_normal((n, p), dtype=np.float32)
    X[:, :6] += (3.0 * (y[:, None] == np.arange(6) % 3)).astype(np.float32)
    tracemalloc.start()
    try:
        est = mo.SPLSDA(n_components=2, keepX=[20, 20]).fit(X, y)
        peak_da = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        mo.SPCA(n_components=2, keepX=[20, 20]).fit(X)
        peak_pca = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # a float32 copy would be 1 × X.nbytes, a float64 one 2 ×, a p × p float64 matrix 8 p² bytes (= 8 × X.nbytes)
    assert peak_da < 0.5 * X.nbytes, peak_da / X.nbytes
    assert peak_pca < 0.5 * X.nbytes, peak_pca / X.nbytes
    assert set(range(6)) <= set(np.concatenate(est.selected_features_["X"]).tolist())


# --------------------------------------------------------------------------- errors
def test_sparse_nan_and_inf_are_clear_errors():
    X, y = _sparse_data(n=30, p=20, density=0.3)
    Xs = sparse.csr_matrix(X)
    Xs.data[3] = np.nan
    with pytest.raises(ValidationError, match="scipy.sparse matrix with 1 NaN.*dense array"):
        mo.SPLSDA(n_components=2, keepX=3).fit(Xs, y)
    Xs.data[3] = np.inf
    with pytest.raises(ValidationError, match="X contains 1 infinite"):
        mo.SPCA(n_components=2).fit(Xs)
    X32 = X.astype(np.float32)
    X32[2, 2] = -np.inf
    with pytest.raises(ValidationError, match="X contains 1 infinite"):
        mo.SPLSDA(n_components=2, keepX=3).fit(X32, y)


def test_dense_only_methods_name_the_sparse_input():
    X = sparse.random(20, 10, density=0.5, format="csr", random_state=0)
    with pytest.raises(ValidationError, match=r"X is a scipy.sparse matrix; this method needs a dense array"):
        mo.PCA(n_components=2).fit(X)


def test_nan_float32_takes_the_na_path():
    X, y = _sparse_data(n=60, p=40, density=0.5)
    X[3, 4] = np.nan
    a = mo.SPLSDA(n_components=2, keepX=5).fit(X.astype(np.float32), y)
    b = mo.SPLSDA(n_components=2, keepX=5).fit(X.astype(np.float32).astype(np.float64), y)
    np.testing.assert_allclose(a.loadings_["X"], b.loadings_["X"], atol=1e-12)


def test_scaled_block_is_used_for_complete_input(monkeypatch):
    seen = []
    real = ScaledBlock.rmatvec

    def spy(self, v):
        seen.append(type(self.X).__name__)
        return real(self, v)

    monkeypatch.setattr(ScaledBlock, "rmatvec", spy)
    X, y = _sparse_data(n=40, p=30, density=0.5)
    mo.SPLSDA(n_components=2, keepX=5).fit(sparse.csr_matrix(X), y)
    assert seen and set(seen) == {"csr_matrix"}


# --------------------------------------------------------------------------- AnnData drivers
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_tl_drivers_take_sparse_and_float32_as_they_are(monkeypatch):
    import pandas as pd
    from anndata import AnnData

    import pyomics_bridge as pob

    X, y = _sparse_data(n=90, p=200, density=0.1, seed=2)
    obs = pd.DataFrame({"g": pd.Categorical(y.astype(str))}, index=[f"s{i}" for i in range(len(y))])
    var = pd.DataFrame(index=[f"f{j}" for j in range(X.shape[1])])
    dense = AnnData(X, obs=obs, var=var)
    sp = AnnData(sparse.csr_matrix(X), obs=obs, var=var)
    f32 = AnnData(X.astype(np.float32), obs=obs, var=var)
    seen = []
    real = ScaledBlock.__init__

    def spy(self, X_, **kw):
        seen.append((type(X_).__name__, getattr(X_, "dtype", None)))
        real(self, X_, **kw)

    monkeypatch.setattr(ScaledBlock, "__init__", spy)
    for fn, kw in ((pob.tl.splsda, {"groupby": "g", "keepX": [8, 8]}), (pob.tl.spca, {"keepX": [10, 10]})):
        ref = fn(dense, **kw, copy=True)
        key = fn.__name__
        for other in (sp, f32):
            seen.clear()
            out = fn(other, **kw, copy=True)
            assert seen and seen[0][0] == type(other.X).__name__  # the block reached the kernel as it was
            assert seen[0][1] == other.X.dtype
            tol = 1e-9 if other is sp else 2e-5
            np.testing.assert_allclose(out.obsm[f"X_{key}"], ref.obsm[f"X_{key}"],
                                       atol=tol * np.abs(ref.obsm[f"X_{key}"]).max())
            np.testing.assert_allclose(out.varm[f"{key}_loadings"], ref.varm[f"{key}_loadings"], atol=tol)
    Xnan = X.copy()
    Xnan[0, 0] = np.nan
    bad = AnnData(sparse.csr_matrix(Xnan), obs=obs, var=var)
    with pytest.raises(ValidationError, match=r"adata\.X is a scipy\.sparse matrix with 1 NaN"):
        pob.tl.splsda(bad, groupby="g", keepX=5)
