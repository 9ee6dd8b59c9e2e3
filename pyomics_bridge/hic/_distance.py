"""Pairs, pairwise distances and the O(#pairs) gradient scatter shared by every structure model.

Every objective below is a sum over a set of pairs (i < j) of a function of the distance d_ij, so its gradient
is ∂L/∂x_i = Σ_j (∂L/∂d_ij) (x_i − x_j) / d_ij, accumulated with ``np.bincount`` (no n × n array, no loop).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from .._conventions import ValidationError
from ._validate import as_contact_matrix, check_bias


@dataclass
class PairData:
    """The data a structure model sees: pairs (i < j) among kept beads, their counts and bias products.

    ``i``, ``j`` index the *kept* beads (0..n_kept-1); ``kept`` maps them back to the original bins.
    """

    i: np.ndarray
    j: np.ndarray
    counts: np.ndarray
    bias_prod: np.ndarray
    kept: np.ndarray
    n_bins: int
    lengths: np.ndarray | None = None

    @property
    def n(self) -> int:
        return int(self.kept.size)

    def nonzero(self) -> PairData:
        keep = self.counts > 0
        return PairData(self.i[keep], self.j[keep], self.counts[keep], self.bias_prod[keep], self.kept, self.n_bins)


def make_pairs(counts, *, bias=None, use_zero_counts: bool = True, filtered=None, min_separation: int = 1) -> PairData:
    """Build the pair set of a contact map.

    Parameters
    ----------
    counts
        Symmetric (or triangular) raw counts.
    bias
        Optional per-bin bias (NaN = filtered bin).
    use_zero_counts
        Include every pair of kept bins (zero counts too, the default, needed by the Poisson/NB likelihoods at
        low coverage); otherwise only non-zero pairs.
    filtered
        Optional boolean mask of bins to drop (besides NaN biases and bins without contacts).
    min_separation
        Smallest |i − j| used (1 drops the diagonal only).
    """
    mat = as_contact_matrix(counts)
    n = mat.shape[0]
    b = check_bias(bias, n)
    drop = np.asarray(mat.sum(axis=1)).ravel() == 0
    if b is not None:
        drop |= ~np.isfinite(b)
    if filtered is not None:
        f = np.asarray(filtered, dtype=bool).ravel()
        if f.shape[0] != n:
            raise ValidationError(f"filtered has length {f.shape[0]}, expected {n}")
        drop |= f
    kept = np.flatnonzero(~drop)
    if kept.size < 4:
        raise ValidationError(f"only {kept.size} bins with contacts remain; need at least 4 to infer a structure")
    sub = mat[kept][:, kept]
    bk = np.ones(kept.size) if b is None else b[kept]
    m = kept.size
    if use_zero_counts:
        ii, jj = np.triu_indices(m, k=max(int(min_separation), 1))
        up = sparse.triu(sub, k=max(int(min_separation), 1)).tocsr()
        c = np.asarray(up[ii, jj]).ravel()
    else:
        up = sparse.triu(sub, k=max(int(min_separation), 1)).tocoo()
        ii, jj, c = up.row.astype(np.intp), up.col.astype(np.intp), up.data.astype(np.float64)
        order = np.lexsort((jj, ii))
        ii, jj, c = ii[order], jj[order], c[order]
    return PairData(ii.astype(np.intp), jj.astype(np.intp), c.astype(np.float64), bk[ii] * bk[jj], kept, n)


def pair_distances(X: np.ndarray, i: np.ndarray, j: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Differences x_i − x_j (pairs × 3) and distances d_ij."""
    diff = X[i] - X[j]
    return diff, np.sqrt(np.einsum("ij,ij->i", diff, diff))


def scatter_gradient(diff: np.ndarray, d: np.ndarray, dL_dd: np.ndarray, i, j, n: int) -> np.ndarray:
    """∂L/∂X from per-pair ∂L/∂d (n × 3), in O(#pairs)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(d > 0, dL_dd / d, 0.0)
    v = diff * w[:, None]
    grad = np.empty((n, 3))
    for k in range(3):
        grad[:, k] = np.bincount(i, weights=v[:, k], minlength=n) - np.bincount(j, weights=v[:, k], minlength=n)
    return grad


def embed(X_kept: np.ndarray, kept: np.ndarray, n_bins: int) -> np.ndarray:
    """Full ``(n_bins, 3)`` array with NaN rows for the filtered bins."""
    out = np.full((n_bins, 3), np.nan)
    out[kept] = X_kept
    return out
