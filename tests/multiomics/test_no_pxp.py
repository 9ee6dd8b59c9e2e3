"""Scale guarantees of SPCA / SPLSDA: no p × p matrix, no needless n × p float64 copies, same results.

On a moderate wide matrix (n = 600 > the dense-SVD cut-off, p = 8,000) the fits must

* never call LAPACK's SVD on the data block (a thin SVD of an n × p block allocates min(n,p) × p factors, and
  p × p when n ≥ p) — checked by monkeypatching ``np.linalg.svd``;
* keep the tracemalloc peak far below p²·8 bytes (and within a small multiple of the block itself);
* give the same loadings/variates as the previous dense implementation (explicit deflation, full SVD start),
  re-implemented here as a reference.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import pyomics_bridge.multiomics as mo
from pyomics_bridge.multiomics import _pca
from pyomics_bridge.multiomics._engine import flip_to_convention, spls_engine
from pyomics_bridge.multiomics._preprocess import column_stats, scale_block
from pyomics_bridge.multiomics._sparse import soft_threshold

N, P, N_INFO = 600, 8000, 9


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(42)
    y = np.arange(N) % 3
    X = rng.standard_normal((N, P))
    for f in range(N_INFO):
        X[:, f] += 6.0 * (y == f % 3)
    return X, y


@pytest.fixture
def no_block_svd(monkeypatch):
    real = np.linalg.svd

    def guarded(a, *args, **kwargs):
        assert np.asarray(a).size <= 100_000, f"LAPACK SVD called on a {np.shape(a)} matrix"
        return real(a, *args, **kwargs)

    monkeypatch.setattr(np.linalg, "svd", guarded)


def _peak(fn):
    tracemalloc.start()
    try:
        out = fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return out, peak


def _ref_spca(X, H, keep, tol=1e-6, max_iter=500):
    """The pre-change SPCA kernel: explicit deflated copy, full thin SVD start."""
    Xs, _ = scale_block(X, center=True, scale=True)
    R = Xs.copy()
    n, p = R.shape
    A, U = np.zeros((p, H)), np.zeros((n, H))
    for h in range(H):
        Us, _, Vt = np.linalg.svd(R, full_matrices=False)
        u, a = Us[:, 0], Vt[0]
        it = 1
        while True:
            a_new = soft_threshold(R.T @ u, keep)
            a_new = a_new / np.linalg.norm(a_new)
            u_new = R @ a_new
            du, da = float(np.sum((u_new - u) ** 2)), float(np.sum((a_new - a) ** 2))
            a, u = a_new, u_new
            if du < tol or da < tol or it >= max_iter:
                break
            it += 1
        s = flip_to_convention(a)
        A[:, h], U[:, h] = s * a, s * u
        R = R - np.outer(U[:, h], R.T @ U[:, h] / (U[:, h] @ U[:, h]))
    return A, U


def test_spca_no_pxp_and_equal(data, no_block_svd):
    X, _ = data
    est, peak = _peak(lambda: mo.SPCA(n_components=2, keepX=50).fit(X))
    print(f"SPCA peak {peak / 2**20:.0f} MiB = {peak / X.nbytes:.2f} × block, {peak / (P * P * 8):.3f} × p²·8")
    assert peak < 0.4 * P * P * 8, peak  # one p × p float64 matrix alone would be p²·8 bytes
    assert peak < 5 * X.nbytes, f"peak {peak / X.nbytes:.2f} × the block"
    assert len(set(range(N_INFO)) & set(np.concatenate(est.selected_features_).tolist())) >= 6
    A_ref, U_ref = _ref_spca_unguarded(X)
    np.testing.assert_allclose(est.loadings_["X"], A_ref, atol=1e-8 * np.abs(A_ref).max())
    np.testing.assert_allclose(est.variates_["X"], U_ref, atol=1e-8 * np.abs(U_ref).max())


def _ref_spca_unguarded(X):
    import numpy.linalg as la  # the monkeypatch guards la.svd too; undo for the reference only

    guarded = la.svd
    la.svd = getattr(guarded, "__wrapped__", None) or np.linalg._linalg.svd
    try:
        return _ref_spca(X, 2, 50)
    finally:
        la.svd = guarded


def test_spca_dense_and_arpack_starts_agree(data, monkeypatch):
    X = data[0][:, :2000]
    a = mo.SPCA(n_components=2, keepX=30).fit(X)
    monkeypatch.setattr(_pca, "_DENSE_SVD_MAX", 10_000)
    b = mo.SPCA(n_components=2, keepX=30).fit(X)
    assert a.n_iter_ == b.n_iter_
    np.testing.assert_allclose(a.loadings_["X"], b.loadings_["X"], atol=1e-9)
    np.testing.assert_allclose(a.cum_var_, b.cum_var_, rtol=1e-10)
    np.testing.assert_allclose(a.explained_variance_["X"], b.explained_variance_["X"], rtol=1e-10)


def _ref_spls(Xs, Ys, H, keepX, tol=1e-6, max_iter=100):
    """Pre-change engine on complete blocks, regression mode: explicit deflated copy of X."""
    Rx, Ry = Xs.copy(), Ys.copy()
    A, T = np.zeros((Xs.shape[1], H)), np.zeros((Xs.shape[0], H))
    for h in range(H):
        U_, _, Vt = np.linalg.svd(Rx.T @ Ry, full_matrices=False)
        a, b = U_[:, 0], Vt[0]
        it = 1
        while True:
            a_old, b_old = a, b
            a = soft_threshold(Rx.T @ (Ry @ b), keepX)
            a /= np.linalg.norm(a)
            t = Rx @ a
            b = Ry.T @ t
            b /= np.linalg.norm(b)
            if max(np.sum((a - a_old) ** 2), np.sum((b - b_old) ** 2)) < tol or it > max_iter:
                break
            it += 1
        s = flip_to_convention(a)
        a, t = s * a, s * t
        A[:, h], T[:, h] = a, t
        Rx = Rx - np.outer(t, Rx.T @ t / (t @ t))
        Ry = Ry - np.outer(t, Ry.T @ t / (t @ t))
    return A, T


def test_splsda_no_pxp_and_equal(data, no_block_svd):
    X, y = data
    est, peak = _peak(lambda: mo.SPLSDA(n_components=2, keepX=50).fit(X, y))
    print(f"SPLSDA peak {peak / 2**20:.0f} MiB = {peak / X.nbytes:.2f} × block, {peak / (P * P * 8):.3f} × p²·8")
    assert peak < 0.6 * P * P * 8, peak
    assert peak < 8 * X.nbytes, f"peak {peak / X.nbytes:.2f} × the block"
    assert set(range(N_INFO)) <= set(np.concatenate(est.selected_features_["X"]).tolist())
    Xs, _ = scale_block(X)
    Ys, _ = scale_block(est.ind_mat_)
    fit = spls_engine(Xs, Ys, n_components=2, keepX=[50, 50], keepY=[3, 3])
    np.testing.assert_array_equal(Xs, scale_block(X)[0])  # the engine did not deflate the caller's block
    A_ref, T_ref = _ref_spls(Xs, Ys, 2, 50)
    np.testing.assert_allclose(fit.loadings_x, A_ref, atol=1e-9)
    np.testing.assert_allclose(est.loadings_["X"], A_ref, atol=1e-9)
    np.testing.assert_allclose(est.variates_["X"], T_ref, atol=1e-8 * np.abs(T_ref).max())


def test_engine_kernel_peak_without_copies(data):
    X, y = data
    Xs, _ = scale_block(X)
    Ys, _ = scale_block(np.eye(3)[y])
    _, peak = _peak(lambda: spls_engine(Xs, Ys, n_components=2, keepX=[50, 50], keepY=[3, 3]))
    assert peak < 0.25 * Xs.nbytes  # no n × p copy at all for a complete block (only p-vectors)


def test_scale_block_single_copy_and_float32(data):
    X = data[0]
    (out, _), peak = _peak(lambda: scale_block(X))
    assert peak < X.nbytes + (80 << 20)  # one working copy + bounded row-chunk temporaries (16 MiB chunks)
    X32 = X.astype(np.float32)
    m32, s32 = column_stats(X32)
    m64, s64 = column_stats(X32.astype(np.float64))
    np.testing.assert_allclose(m32, m64, rtol=0, atol=1e-12)
    np.testing.assert_allclose(s32, s64, rtol=1e-12)
    ref = (X - X.mean(axis=0)) / X.std(axis=0, ddof=1)
    np.testing.assert_allclose(out, ref, atol=1e-12)


def test_engine_missing_values_inplace_deflation():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((40, 30))
    X[rng.random(X.shape) < 0.05] = np.nan
    Y = rng.standard_normal((40, 3))
    Xs, _ = scale_block(X)
    Ys, _ = scale_block(Y)
    before = Xs.copy()
    fit = spls_engine(Xs, Ys, n_components=3, keepX=[10, 10, 10], keepY=[3, 3, 3])
    np.testing.assert_array_equal(np.isnan(Xs), np.isnan(before))
    np.testing.assert_array_equal(np.nan_to_num(Xs), np.nan_to_num(before))
    assert np.all(np.isfinite(fit.loadings_x))


# --------------------------------------------------------------------------- scipy.sparse input (never densified)
@pytest.fixture(scope="module")
def sparse_data():
    from scipy import sparse

    rng = np.random.default_rng(7)
    y = np.arange(N) % 3
    X = sparse.random(N, P, density=0.02, format="lil", random_state=rng,
                      data_rvs=lambda k: rng.standard_normal(k) + 1.0)
    for f in range(N_INFO):  # informative features: a class shift on a dense column
        X[:, f] = (rng.standard_normal(N) + 4.0 * (y == f % 3))[:, None]
    return X.tocsr(), y


@pytest.fixture
def no_densify(monkeypatch):
    from scipy import sparse

    def refuse(self, *args, **kwargs):
        raise AssertionError(f"a {self.shape} sparse matrix was densified")

    for cls in (sparse.csr_matrix, sparse.csc_matrix, sparse.coo_matrix):
        monkeypatch.setattr(cls, "toarray", refuse)
        monkeypatch.setattr(cls, "todense", refuse)
    real_asarray = np.asarray

    def guarded_asarray(a, *args, **kwargs):
        assert not sparse.issparse(a), "np.asarray on a sparse matrix"
        return real_asarray(a, *args, **kwargs)

    monkeypatch.setattr(np, "asarray", guarded_asarray)


@pytest.mark.parametrize("est_name", ["SPCA", "SPLSDA"])
def test_sparse_no_pxp_no_densify_and_equal_to_dense(sparse_data, est_name, no_block_svd, no_densify):
    X, y = sparse_data
    nbytes_sparse = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes

    def fit(M):
        est = mo.SPCA(n_components=2, keepX=50) if est_name == "SPCA" else mo.SPLSDA(n_components=2, keepX=50)
        return est.fit(M) if est_name == "SPCA" else est.fit(M, y)

    est, peak = _peak(lambda: fit(X))
    dense_bytes = N * P * 8
    print(f"{est_name} sparse peak {peak / 2**20:.1f} MiB = {peak / nbytes_sparse:.2f} × the sparse storage, "
          f"{peak / dense_bytes:.3f} × a dense float64 copy")
    assert peak < 0.01 * P * P * 8, peak  # no p × p (nor n × n) matrix
    assert peak < 0.25 * dense_bytes, peak  # never densified (a dense float64 block would be n·p·8 bytes)
    if est_name == "SPLSDA":  # supervised: the informative features are found (ground truth)
        assert set(range(N_INFO)) <= set(np.concatenate(est.selected_features_["X"]).tolist())
    ref = _dense_reference(X, fit)
    for attr in ("loadings_", "variates_", "explained_variance_"):
        for b, v in getattr(ref, attr).items():
            np.testing.assert_allclose(getattr(est, attr)[b], v, atol=1e-9 * np.abs(v).max(), err_msg=attr)


def _dense_reference(X, fit):
    # built from the CSR arrays directly (toarray is patched away in this test)
    dense = np.zeros(X.shape)
    rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
    dense[rows, X.indices] = X.data
    return fit(dense)
