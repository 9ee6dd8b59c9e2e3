"""Pre-processing of a block as mixOmics does it: NA-aware centring and n−1 scaling, near-zero variance, dummy Y.

Conventions (``docs/multiomics.md``, spec §1.1):

* every block is centred on its NA-removed column means and, with ``scale=True``, divided by the NA-removed
  column standard deviations with divisor ``n_obs − 1``;
* a column whose sd is 0 (or undefined) is set to 0 after centring, and its stored scale is 0, so that new data
  projected with the training statistics also gives 0 in that column;
* with ``center=False`` and ``scale=True`` (pca only) the divisor is the n−1 root mean square, as R's ``scale()``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "Scaling",
    "column_stats",
    "sparse_column_stats",
    "scale_block",
    "apply_scaling",
    "near_zero_var",
    "dummy_matrix",
    "class_levels",
]


@dataclass
class Scaling:
    """Column statistics of a block: ``mean`` (``None`` when not centred) and ``scale`` (``None`` when not scaled)."""

    mean: np.ndarray | None
    scale: np.ndarray | None


def row_chunks(n: int, p: int, *, max_bytes: int = 16 << 20):
    """Row slices of an n × p block, each about ``max_bytes`` of float64 (memory-lean passes over large blocks)."""
    step = max(1, int(max_bytes // (8 * max(p, 1))))
    for i in range(0, n, step):
        yield slice(i, min(n, i + step))


def has_nan(X: np.ndarray) -> bool:
    """Whether ``X`` contains a NaN (checked by row chunks: no n × p boolean temporary)."""
    n, p = X.shape
    return any(bool(np.isnan(X[sl]).any()) for sl in row_chunks(n, p))


def column_stats(X: np.ndarray, *, center: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """NA-aware column means and n−1 standard deviations (R's ``colMeans(na.rm)``, ``matrixStats::colSds``).

    With ``center=False`` the "sd" is the root mean square with divisor n−1 (what ``scale(center=FALSE)`` uses).
    Columns with fewer than 2 observed values get sd ``nan``. Computed in two passes over row chunks, so no
    n × p temporary is made (float32 input is accumulated in float64).
    """
    X = np.asarray(X)
    if X.dtype not in (np.float64, np.float32):
        X = X.astype(np.float64)
    n, p = X.shape
    n_obs = np.zeros(p, dtype=np.int64)
    total = np.zeros(p)
    chunk = 4 << 20  # small float64 chunks: bounded temporaries for very large (float32) blocks
    for sl in row_chunks(n, p, max_bytes=chunk):
        B = np.array(X[sl], dtype=np.float64)
        nan = np.isnan(B)
        if nan.any():
            n_obs += (~nan).sum(axis=0)
            B[nan] = 0.0
        else:
            n_obs += B.shape[0]
        total += B.sum(axis=0)
    ss = np.zeros(p)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / n_obs
        for sl in row_chunks(n, p, max_bytes=chunk):
            B = np.array(X[sl], dtype=np.float64)
            if center:
                B -= mean
            B[np.isnan(B)] = 0.0
            B *= B
            ss += B.sum(axis=0)
        sd = np.sqrt(ss / (n_obs - 1))
    sd = np.where(n_obs >= 2, sd, np.nan)
    return mean, sd


def sparse_column_stats(X, *, center: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Column means and n−1 sds of a scipy.sparse matrix (no NaN), as :func:`column_stats`, without densifying.

    The sum of squares is computed exactly in two passes over the stored values: ``Σ_nz (x − μ)² + (n − nnz_j) μ²``
    (no ``Σx² − nμ²`` cancellation). With ``center=False`` the "sd" is the n−1 root mean square.
    """
    from scipy import sparse

    X = sparse.csc_matrix(X)
    n, p = X.shape
    nnz = np.diff(X.indptr)
    cols = np.repeat(np.arange(p), nnz)
    data = np.asarray(X.data, dtype=np.float64)
    total = np.bincount(cols, weights=data, minlength=p)
    mean = total / n
    if center:
        dev = data - mean[cols]
        ss = np.bincount(cols, weights=dev * dev, minlength=p) + (n - nnz) * mean**2
    else:
        ss = np.bincount(cols, weights=data * data, minlength=p)
    sd = np.sqrt(ss / (n - 1)) if n >= 2 else np.full(p, np.nan)
    return mean, sd


def scale_block(X: np.ndarray, *, center: bool = True, scale: bool = True) -> tuple[np.ndarray, Scaling]:
    """Centre (and scale) a block; NaN cells stay NaN. Zero-sd columns become 0 and get scale 0.

    Exactly one float64 working copy of ``X`` is made (centring and scaling are done in place on it).

    Returns
    -------
    The pre-processed block and its :class:`Scaling` (for :func:`apply_scaling` on new data).
    """
    out = np.array(X, dtype=np.float64)  # the single working copy
    mean, sd = column_stats(out, center=center)
    if center:
        out -= mean
    scale_vec = None
    if scale:
        bad = ~(sd > 0)  # 0 or nan
        safe = np.where(bad, 1.0, sd)
        out /= safe
        if bad.any():
            out[:, bad] = np.where(np.isnan(out[:, bad]), np.nan, 0.0)
        scale_vec = np.where(bad, 0.0, sd)
    return out, Scaling(mean=mean if center else None, scale=scale_vec)


def apply_scaling(X: np.ndarray, scaling: Scaling) -> np.ndarray:
    """Scale new rows with training statistics; columns with a zero training sd give 0 (R: Inf/NaN → NA → 0)."""
    out = np.asarray(X, dtype=np.float64)
    if scaling.mean is not None:
        out = out - scaling.mean
    if scaling.scale is not None:
        bad = scaling.scale == 0
        out = out / np.where(bad, 1.0, scaling.scale)
        if bad.any():
            out[:, bad] = np.where(np.isnan(out[:, bad]), np.nan, 0.0)
    return out


def near_zero_var(X: np.ndarray, *, freq_cut: float = 95 / 5, unique_cut: float = 10.0) -> np.ndarray:
    """Indices of near-zero-variance columns (caret's rule, as mixOmics' ``nearZeroVar``).

    A column is flagged when it has a single distinct value (or none: all NA), or when the ratio of the most to the
    second most frequent value exceeds ``freq_cut`` *and* the percentage of distinct values (100·unique/n) is at
    most ``unique_cut``. NA values are ignored when counting.
    """
    from scipy import sparse

    if sparse.issparse(X):
        X = sparse.csc_matrix(X)
        n = X.shape[0]

        def column(j):  # stored values plus the implicit zeros
            vals = np.asarray(X.data[X.indptr[j]:X.indptr[j + 1]], dtype=np.float64)
            return np.concatenate([vals, np.zeros(n - vals.size)])
    else:
        X = np.asarray(X)
        if X.dtype not in (np.float32, np.float64):
            X = X.astype(np.float64)
        n = X.shape[0]

        def column(j):  # one column at a time: no n × p float64 copy of a float32 block
            return np.asarray(X[:, j], dtype=np.float64)
    flagged = []
    for j in range(X.shape[1]):
        col = column(j)
        col = col[~np.isnan(col)]
        if col.size == 0:
            flagged.append(j)
            continue
        _, counts = np.unique(col, return_counts=True)
        if counts.size == 1:
            flagged.append(j)
            continue
        top = np.sort(counts)[::-1]
        freq_ratio = top[0] / top[1]
        pct_unique = 100.0 * counts.size / n
        if freq_ratio > freq_cut and pct_unique <= unique_cut:
            flagged.append(j)
    return np.asarray(flagged, dtype=np.intp)


def class_levels(y: Sequence | np.ndarray | pd.Series | pd.Categorical) -> list:
    """Factor levels of class labels: a categorical keeps its category order (unused levels dropped), anything else
    is sorted (R's ``factor()`` default)."""
    if isinstance(y, pd.Series) and isinstance(y.dtype, pd.CategoricalDtype):
        y = y.array
    if isinstance(y, pd.Categorical):
        present = set(y[~pd.isna(y)])
        return [c for c in y.categories if c in present]
    values = pd.unique(pd.Series(np.asarray(y, dtype=object)))
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=str)


def dummy_matrix(y: Sequence | np.ndarray, levels: Sequence) -> np.ndarray:
    """0/1 indicator matrix (n × K) with columns in ``levels`` order (mixOmics' ``unmap``)."""
    y = np.asarray(y, dtype=object)
    out = np.zeros((y.shape[0], len(levels)))
    for k, lev in enumerate(levels):
        out[:, k] = y == lev
    return out
