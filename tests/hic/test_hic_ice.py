"""ICE: against a hand-written dense loop, against iced (skipped when absent), filters, non-convergence."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import sparse

from pyomics_bridge import hic
from pyomics_bridge._conventions import ValidationError


def _hand_ice(C, max_iter=3000, eps=1e-4, norm="l1", profile=None, total=None):
    """Dense textbook ICE loop (the documented update order, rescaling the matrix at every step), used as an
    independent reference for the mat-vec implementation."""
    X = C.astype(float).copy()
    total = X.sum() if total is None else total
    bias = np.ones(X.shape[0])
    old = None
    for it in range(max_iter):  # noqa: B007
        s = X.sum(axis=0) if norm == "l1" else (X**2).sum(axis=0)
        if profile is not None:
            s = s / profile
        db = s / s[s != 0].mean()
        db[db == 0] = 1
        bias *= db
        X = X / np.outer(db, db)
        bias *= np.sqrt(X.sum() / total)
        X *= total / X.sum()
        if old is not None and np.abs(bias - old).sum() < eps:
            break
        old = bias.copy()
    bias[C.sum(axis=0) == 0] = np.nan
    return bias, X, it + 1


@pytest.fixture(scope="module")
def sim_counts():
    rng = np.random.default_rng(0)
    n = 80
    i, j = np.triu_indices(n, 1)
    b = np.exp(rng.normal(scale=0.3, size=n))
    lam = 50.0 / (j - i) * b[i] * b[j]
    c = rng.poisson(lam).astype(float)
    C = np.zeros((n, n))
    C[i, j] = c
    C = C + C.T
    C[5] = C[:, 5] = 0  # an empty bin
    return C


def test_matches_hand_implementation(sim_counts):
    res = hic.ice_normalization(sparse.csr_matrix(sim_counts))
    bias, X, n_iter = _hand_ice(sim_counts)
    assert res.converged and res.n_iter == n_iter
    np.testing.assert_allclose(res.bias, bias, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(res.normalized.toarray(), X, rtol=1e-12, atol=1e-12)
    assert np.isnan(res.bias[5])
    assert res.normalized.sum() == pytest.approx(sim_counts.sum(), rel=1e-12)
    sums = res.normalized.toarray().sum(axis=0)
    assert res.row_sum_cv < 1e-3 and np.std(sums[sums > 0]) / np.mean(sums[sums > 0]) < 1e-3


@pytest.mark.parametrize("kind", ["l2", "profile", "total", "diagonal"])
def test_variants_match_hand_implementation(sim_counts, kind):
    C = sim_counts.copy()
    kwargs, ref_kwargs = {}, {}
    if kind == "l2":  # (l2 balancing of this map does not settle: compare the first iterations)
        kwargs = {"norm": "l2", "max_iter": 6, "on_nonconvergence": "ignore"}
        ref_kwargs = {"norm": "l2", "max_iter": 6}
    elif kind == "profile":
        prof = np.where(np.arange(C.shape[0]) < 40, 2.0, 1.0)
        kwargs, ref_kwargs = {"counts_profile": prof}, {"profile": prof}
    elif kind == "total":
        kwargs, ref_kwargs = {"total_counts": 1000.0}, {"total": 1000.0}
    else:  # a non-zero diagonal (counted once in the row sums)
        C[np.diag_indices_from(C)] = 7.0
        C[5, 5] = 0.0
    res = hic.ice_normalization(sparse.csr_matrix(C), **kwargs)
    bias, X, n_iter = _hand_ice(C, **ref_kwargs)
    assert res.n_iter == n_iter and np.isfinite(bias).sum() == C.shape[0] - 1
    np.testing.assert_allclose(res.bias, bias, rtol=1e-11)
    np.testing.assert_allclose(res.normalized.toarray(), X, rtol=1e-10, atol=1e-12)


def test_dense_sparse_and_triangular_input_agree(sim_counts):
    a = hic.ice_normalization(sim_counts).bias
    b = hic.ice_normalization(sparse.triu(sparse.csr_matrix(sim_counts))).bias
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    np.testing.assert_allclose(a, b, rtol=1e-12)


def test_against_iced(sim_counts):
    iced_norm = pytest.importorskip("iced.normalization", reason="iced (pip install iced==0.6.0) not installed")
    iced_filter = pytest.importorskip("iced.filter")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = iced_filter.filter_low_counts(sim_counts.copy(), sparsity=False, percentage=0.04)
    ref_mask = np.isnan(ref).all(axis=0)
    mask = hic.filter_low_counts(sim_counts, method="sum", percentage=0.04, remove_all_zeros=False)
    np.testing.assert_array_equal(mask, ref_mask)
    filt = np.where(np.isnan(ref), 0.0, ref)
    _, ref_bias = iced_norm.ICE_normalization(filt.copy(), max_iter=3000, eps=1e-4, output_bias=True)
    ref_bias = np.asarray(ref_bias).ravel()
    ref_bias[filt.sum(axis=0) == 0] = np.nan  # empty bins: NaN in both
    ours = hic.ice_normalization(filt).bias
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref_bias))
    np.testing.assert_allclose(ours, ref_bias, rtol=0, atol=1e-10)


def test_iced_yeast_sample():
    iced = pytest.importorskip("iced", reason="iced not installed")
    from iced.filter import filter_low_counts
    from iced.normalization import ICE_normalization

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        counts, _ = iced.datasets.load_sample_yeast()
        counts = np.array(counts, dtype=float)
        ref = filter_low_counts(counts.copy(), sparsity=False, percentage=0.04)
    filt = np.where(np.isnan(ref), 0.0, ref)
    _, ref_bias = ICE_normalization(filt.copy(), max_iter=3000, eps=1e-4, output_bias=True)
    est = hic.ICE(percentage=0.04).fit(counts)
    assert est.filtered_.sum() == 14 and est.n_iter_ == 49
    ok = ~est.filtered_
    np.testing.assert_allclose(est.bias_[ok], np.asarray(ref_bias).ravel()[ok], rtol=0, atol=1e-10)


def test_nonconvergence_is_reported():
    # a bin with a single contact: ICE oscillates without a finite solution within few iterations
    n = 30
    i, j = np.triu_indices(n, 1)
    C = np.zeros((n, n))
    C[i, j] = 100.0 / (j - i)
    C = C + C.T
    C[0, :] = C[:, 0] = 0
    C[0, 20] = C[20, 0] = 1.0
    with pytest.warns(hic.ConvergenceWarning, match="did not converge"):
        res = hic.ice_normalization(C, max_iter=5)
    assert not res.converged and res.n_iter == 5
    with pytest.raises(RuntimeError, match="did not converge"):
        hic.ice_normalization(C, max_iter=5, on_nonconvergence="raise")


def test_filters(sim_counts):
    C = sim_counts.copy()
    m = hic.filter_low_counts(C, method="sum", percentage=0.1)
    assert m.sum() == 8 and m[5]
    nnz_mask = hic.filter_low_counts(C, method="none", min_nnz=79)
    assert nnz_mask[5]
    rm = hic.remove_diagonals(C + np.eye(80), 2)
    assert rm.diagonal().sum() == 0 and rm.diagonal(1).sum() == 0 and rm.diagonal(2).sum() > 0
    with pytest.raises(ValidationError, match="percentage"):
        hic.filter_low_counts(C, percentage=1.5)
    with pytest.raises(ValidationError, match="filter method"):
        hic.filter_low_counts(C, method="mad")


def test_bad_matrices():
    with pytest.raises(ValidationError, match="square"):
        hic.as_contact_matrix(np.ones((3, 4)))
    with pytest.raises(ValidationError, match="negative"):
        hic.as_contact_matrix(-np.ones((3, 3)))
    with pytest.raises(ValidationError, match="not symmetric"):
        hic.as_contact_matrix(np.array([[0, 1, 2], [3, 0, 1], [1, 1, 0]], float))
    with pytest.raises(ValidationError, match="NaN"):
        hic.as_contact_matrix(np.full((3, 3), np.nan))
    with pytest.raises(TypeError):
        hic.as_contact_matrix(np.array([["a", "b"], ["c", "d"]]))
