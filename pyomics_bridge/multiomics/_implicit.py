"""A pre-processed block that is never formed: implicit centring/scaling over dense float32/float64 or scipy.sparse.

:class:`ScaledBlock` stands for ``Z = (X[:, cols] − 1 μᵀ) diag(d)`` (``d_j = 1/σ_j``, 0 for a zero-variance column;
``d = 1`` without scaling; ``μ = 0`` without centring) and offers the only two products the sPCA / sPLS kernels
need::

    Z a  = X (d ∘ a)  − 1 · (μ · (d ∘ a))
    Zᵀ v = d ∘ (Xᵀ v − μ (1ᵀ v))

so the centred matrix, a float64 copy of a float32 block and a densified sparse block are never made; the
per-column sums of squares of Z come from the two-pass column statistics. Deflation stays implicit in the
kernels (low-rank corrections with the stored variates and deflation vectors).

Arithmetic: float64 blocks and sparse blocks (whose stored values are converted to float64 once, O(nnz)) are
multiplied in float64. Float32 dense blocks are multiplied with float32 BLAS on row (or column) chunks of a few
MiB, each chunk's result accumulated in float64, and the centring correction applied in float64: results agree
with a float64 fit on the same values to float32 precision (≈1e-6 relative), at the memory traffic of the float32
block. Missing values (NaN) are not handled here: they need the dense NA-aware path (NIPALS / NA-aware engine).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from ._preprocess import Scaling, column_stats, sparse_column_stats

__all__ = ["ScaledBlock", "scaled_block", "is_lean_input"]

_CHUNK_BYTES = 8 << 20  # chunk of a float32 block per BLAS call (results accumulated in float64)


def is_lean_input(X) -> bool:
    """Whether ``X`` is a block the implicit path keeps as it is (float32 array or scipy.sparse)."""
    return sparse.issparse(X) or (isinstance(X, np.ndarray) and X.dtype == np.float32)


def _slices(n: int, width: int, itemsize: int):
    step = max(1, int(_CHUNK_BYTES // (itemsize * max(width, 1))))
    for i in range(0, n, step):
        yield slice(i, min(n, i + step))


class ScaledBlock:
    """Implicitly pre-processed block ``Z = (X[:, cols] − 1 μᵀ) diag(d)`` (see the module doc).

    Parameters
    ----------
    X
        n × p_all data: ``ndarray`` (float32 or float64, C or F order; not copied) or scipy.sparse (no NaN).
    mean, inv_scale, sumsq
        Per kept column: ``μ`` (zeros when not centred), ``d`` and ``Σ_i (x_ij − μ_j)²`` (float64).
    cols
        Indices of the kept columns of ``X`` (``None``: all).
    """

    def __init__(self, X, *, mean, inv_scale, sumsq, cols=None) -> None:
        if sparse.issparse(X):
            X = sparse.csr_matrix(X, dtype=np.float64)  # O(nnz); Xᵀ products use the CSC view of it
        self.X = X
        self.n, self.p_all = X.shape
        self.cols = None if cols is None else np.asarray(cols, dtype=np.intp)
        self.mean = np.asarray(mean, dtype=np.float64)
        self.inv_scale = np.asarray(inv_scale, dtype=np.float64)
        self.sumsq = np.asarray(sumsq, dtype=np.float64)
        self.shape = (self.n, self.p_all if self.cols is None else self.cols.size)
        self.dtype = np.dtype(np.float64)
        self.ndim = 2

    # ------------------------------------------------------------------ raw products (all columns of X)
    def raw_matvec(self, w: np.ndarray) -> np.ndarray:
        """``X w`` in float64 (``w``: p_all or p_all × k)."""
        X = self.X
        if sparse.issparse(X) or X.dtype == np.float64:
            return np.asarray(X @ w, dtype=np.float64)
        w32 = np.asarray(w, dtype=X.dtype)
        out = np.zeros((self.n,) + w.shape[1:])
        if X.flags.f_contiguous and not X.flags.c_contiguous:
            for cs in _slices(self.p_all, self.n, X.itemsize):
                out += X[:, cs] @ w32[cs]
        else:
            for sl in _slices(self.n, self.p_all, X.itemsize):
                out[sl] = X[sl] @ w32
        return out

    def raw_rmatvec(self, v: np.ndarray) -> np.ndarray:
        """``Xᵀ v`` in float64 (``v``: n or n × k)."""
        X = self.X
        if sparse.issparse(X):
            return np.asarray(X.T @ v, dtype=np.float64)
        if X.dtype == np.float64:
            return X.T @ v
        v32 = np.asarray(v, dtype=X.dtype)
        out = np.zeros((self.p_all,) + v.shape[1:])
        if X.flags.f_contiguous and not X.flags.c_contiguous:
            for cs in _slices(self.p_all, self.n, X.itemsize):
                out[cs] = X[:, cs].T @ v32
        else:
            for sl in _slices(self.n, self.p_all, X.itemsize):
                out += X[sl].T @ v32[sl]
        return out

    # ------------------------------------------------------------------ products with Z
    def matvec(self, a: np.ndarray) -> np.ndarray:
        """``Z a`` (``a``: p or p × k)."""
        a = np.asarray(a, dtype=np.float64)
        da = a * (self.inv_scale if a.ndim == 1 else self.inv_scale[:, None])
        if self.cols is None:
            w = da
        else:
            w = np.zeros((self.p_all,) + a.shape[1:])
            w[self.cols] = da
        out = self.raw_matvec(w)
        out -= self.mean @ da  # scalar (or k-vector) broadcast over the rows
        return out

    def rmatvec(self, v: np.ndarray) -> np.ndarray:
        """``Zᵀ v`` (``v``: n or n × k)."""
        v = np.asarray(v, dtype=np.float64)
        r = self.raw_rmatvec(v)
        if self.cols is not None:
            r = r[self.cols]
        if v.ndim == 1:
            r -= self.mean * v.sum()
            r *= self.inv_scale
        else:
            r -= np.outer(self.mean, v.sum(axis=0))
            r *= self.inv_scale[:, None]
        return r

    @property
    def T(self):  # noqa: N802 - so that ``Z.T @ v`` reads as for an array
        return _Transposed(self)

    def __matmul__(self, a):
        return self.matvec(a)

    def col_sumsq(self) -> np.ndarray:
        """``‖Z_j‖²`` per column."""
        return self.sumsq * self.inv_scale**2

    def frobenius2(self) -> float:
        """``‖Z‖_F²``."""
        return float(self.col_sumsq().sum())

    def dense(self) -> np.ndarray:
        """Z as a float64 array (only for small blocks: the LAPACK start of small problems)."""
        X = self.X.toarray() if sparse.issparse(self.X) else np.asarray(self.X, dtype=np.float64)
        if self.cols is not None:
            X = X[:, self.cols]
        return (X - self.mean) * self.inv_scale

    def feature_cor(self, T: np.ndarray) -> np.ndarray:
        """Pearson correlation of every *raw* column of X (all p_all) with every column of ``T`` (n × H).

        Needs :attr:`raw_mean` / :attr:`raw_sumsq` (set by :func:`scaled_block`); a constant column gives NaN.
        """
        T = np.asarray(T, dtype=np.float64)
        if T.ndim == 1:
            T = T[:, None]
        tc = T - T.mean(axis=0)
        num = self.raw_rmatvec(tc) - np.outer(self.raw_mean, tc.sum(axis=0))
        with np.errstate(invalid="ignore", divide="ignore"):
            out = num / np.sqrt(np.outer(self.raw_sumsq, (tc * tc).sum(axis=0)))
        out[self.raw_sumsq == 0] = np.nan  # constant column: 0/0 as R's cor (not ±rounding/0)
        return out


class _Transposed:
    def __init__(self, op: ScaledBlock) -> None:
        self.op = op

    def __matmul__(self, v):
        return self.op.rmatvec(v)


def scaled_block(X, *, center: bool = True, scale: bool = True, cols=None) -> tuple[ScaledBlock, Scaling]:
    """The implicit counterpart of :func:`~pyomics_bridge.multiomics._preprocess.scale_block` for a complete block.

    Same statistics and conventions (NA-free column means, n−1 sds, zero-sd columns → 0 with stored scale 0;
    ``center=False`` + ``scale=True`` divides by the n−1 root mean square), computed in two float64 passes over
    row chunks (dense) or the stored values (sparse); ``cols`` restricts Z to those columns (``near_zero_var``).

    Returns
    -------
    The :class:`ScaledBlock` and the :class:`Scaling` of the kept columns (for new data).
    """
    if sparse.issparse(X):
        mean_all, sd_all = sparse_column_stats(X, center=center)
    else:
        mean_all, sd_all = column_stats(X, center=center)
    n = X.shape[0]
    sumsq_all = np.where(np.isnan(sd_all), 0.0, sd_all) ** 2 * (n - 1)
    sel = slice(None) if cols is None else np.asarray(cols, dtype=np.intp)
    mean, sd, sumsq = mean_all[sel], sd_all[sel], sumsq_all[sel]
    if scale:
        bad = ~(sd > 0)
        inv = np.where(bad, 0.0, 1.0 / np.where(bad, 1.0, sd))
        scale_vec = np.where(bad, 0.0, sd)
    else:
        inv, scale_vec = np.ones_like(sd), None
    op = ScaledBlock(X, mean=mean if center else np.zeros_like(mean), inv_scale=inv, sumsq=sumsq, cols=cols)
    # raw (uncentred-by-scaling) statistics of all columns, for feature correlations
    if center:
        op.raw_mean, op.raw_sumsq = mean_all, sumsq_all
    else:
        raw_mean, raw_sd = (sparse_column_stats(X, center=True) if sparse.issparse(X)
                            else column_stats(X, center=True))
        op.raw_mean, op.raw_sumsq = raw_mean, np.where(np.isnan(raw_sd), 0.0, raw_sd) ** 2 * (n - 1)
    return op, Scaling(mean=mean if center else None, scale=scale_vec)
