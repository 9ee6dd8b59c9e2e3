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
        return PairData(self.i[keep], self.j[keep], self.counts[keep], self.bias_prod[keep], self.kept, self.n_bins,
                        self.lengths)


def make_pairs(counts, *, bias=None, use_zero_counts: bool | str = True, filtered=None, min_separation: int = 1,
               lengths=None) -> PairData:
    """Build the pair set of a contact map.

    Parameters
    ----------
    counts
        Symmetric (or triangular) raw counts.
    bias
        Optional per-bin bias (NaN = filtered bin).
    use_zero_counts
        ``True`` (default): every pair of kept bins, zero counts included (needed by the Poisson/NB likelihoods at
        low coverage; n(n−1)/2 pairs, fine up to a few thousand bins). ``"intra"``: every intra-chromosomal pair
        (zeros included) plus the non-zero inter-chromosomal pairs; needs ``lengths`` (for genome-wide maps, where
        all pairs would not fit in memory). ``False``: non-zero pairs only (pastis 0.4).
    filtered
        Optional boolean mask of bins to drop (besides NaN biases and bins without contacts).
    min_separation
        Smallest |i − j| used (1 drops the diagonal only).
    lengths
        Bins per chromosome (sum = number of bins); needed by ``use_zero_counts="intra"``.
    """
    mat = as_contact_matrix(counts)
    n = mat.shape[0]
    b = check_bias(bias, n)
    mode = _zero_mode(use_zero_counts)
    chrom = None
    if lengths is not None:
        lens = np.asarray(lengths, dtype=np.int64).ravel()
        if (lens <= 0).any() or int(lens.sum()) != n:
            raise ValidationError(f"lengths must be positive and sum to the number of bins ({n}), got sum {int(lens.sum())}")
        chrom = np.repeat(np.arange(lens.size), lens)
    elif mode == "intra":
        raise ValidationError("use_zero_counts='intra' needs lengths= (bins per chromosome)")
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
    k = max(int(min_separation), 1)
    idx = np.int32 if m < 2**31 - 1 else np.int64
    up = sparse.triu(sub, k=k).tocoo()
    ui, uj, uc = up.row.astype(np.int64), up.col.astype(np.int64), up.data.astype(np.float64)
    if mode == "all":
        ii, jj = np.triu_indices(m, k=k)
        ii, jj = ii.astype(idx), jj.astype(idx)
        c = _upper_counts(ui, uj, uc, m, k)
    elif mode == "intra":
        ck = chrom[kept]
        starts = np.flatnonzero(np.r_[True, ck[1:] != ck[:-1]])
        ends = np.r_[starts[1:], m]
        blocks_i, blocks_j, blocks_c = [], [], []
        for lo, hi in zip(starts, ends, strict=True):
            inside = (ui >= lo) & (ui < hi) & (uj < hi)
            a, bb = np.triu_indices(hi - lo, k=k)
            blocks_i.append((a + lo).astype(idx))
            blocks_j.append((bb + lo).astype(idx))
            blocks_c.append(_upper_counts(ui[inside] - lo, uj[inside] - lo, uc[inside], hi - lo, k))
        inter = ck[ui] != ck[uj]
        ii = np.concatenate(blocks_i + [ui[inter].astype(idx)])
        jj = np.concatenate(blocks_j + [uj[inter].astype(idx)])
        c = np.concatenate(blocks_c + [uc[inter]])
        order = np.lexsort((jj, ii))
        ii, jj, c = ii[order], jj[order], c[order]
    else:
        order = np.lexsort((uj, ui))
        ii, jj, c = ui[order].astype(idx), uj[order].astype(idx), uc[order]
    return PairData(ii, jj, c, bk[ii] * bk[jj], kept, n, None if lengths is None else np.asarray(lengths))


def _upper_counts(ui, uj, uc, m: int, k: int) -> np.ndarray:
    """Counts of every pair (i, j ≥ i + k) of an m-bead block, in ``np.triu_indices(m, k)`` order."""
    c = np.zeros((m - k) * (m - k + 1) // 2 if m > k else 0)
    if ui.size:
        # linear position of (i, j) in the row-major upper triangle with offset k
        pos = ui * m - ui * (ui + 1) // 2 + (uj - ui - k) - ui * (k - 1)
        c[pos] = uc
    return c


def _zero_mode(use_zero_counts) -> str:
    if isinstance(use_zero_counts, str):
        if use_zero_counts not in ("intra",):
            raise ValidationError(f"use_zero_counts must be True, False or 'intra', got {use_zero_counts!r}")
        return "intra"
    return "all" if use_zero_counts else "nonzero"


class PairGeometry:
    """Index structures for fast pairwise work on a fixed pair set (i < j), built once per fit.

    Distances use per-coordinate gathers; the gradient Σ_j w_ij (x_i − x_j) is ``s ⊙ X − (W + Wᵀ) X`` with W the
    sparse upper-triangular matrix of pair weights (a sparse × (n × 3) product, O(#pairs)).
    """

    def __init__(self, i, j, n: int):
        i = np.asarray(i)
        j = np.asarray(j)
        self.n = int(n)
        idx = np.int32 if self.n < 2**31 - 1 else np.int64
        self.i = i.astype(idx, copy=False)
        self.j = j.astype(idx, copy=False)
        if i.size and ((np.diff(i) < 0).any() or ((np.diff(i) == 0) & (np.diff(j) <= 0)).any()):
            self.perm = np.lexsort((j, i))
        else:
            self.perm = None
        si = self.i if self.perm is None else self.i[self.perm]
        self.indices = self.j if self.perm is None else self.j[self.perm]
        self.indptr = np.zeros(self.n + 1, dtype=idx)
        np.cumsum(np.bincount(si, minlength=self.n), out=self.indptr[1:])

    def sqdist(self, X: np.ndarray) -> np.ndarray:
        """Squared distances d_ij² (one value per pair)."""
        XT = np.ascontiguousarray(X.T)
        out = None
        for k in range(3):
            col = XT[k]
            dk = col.take(self.i)
            dk -= col.take(self.j)
            dk *= dk
            if out is None:
                out = dk
            else:
                out += dk
        return out

    def gradient(self, X: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Σ_j w_ij (x_i − x_j) for every bead (n × 3), w_ij = (∂L/∂d_ij) / d_ij."""
        data = w if self.perm is None else w[self.perm]
        W = sparse.csr_matrix((data, self.indices, self.indptr), shape=(self.n, self.n))
        Xc = X - X.mean(axis=0)
        s = np.bincount(self.i, weights=w, minlength=self.n) + np.bincount(self.j, weights=w, minlength=self.n)
        return s[:, None] * Xc - (W @ Xc + W.T @ Xc)


def geometry_of(pairs: PairData) -> PairGeometry:
    """The (cached) :class:`PairGeometry` of a pair set."""
    geom = getattr(pairs, "_geometry", None)
    if geom is None:
        geom = PairGeometry(pairs.i, pairs.j, pairs.n)
        pairs._geometry = geom
    return geom


def chromosome_blocks(pairs: PairData):
    """Contiguous ranges of kept beads per chromosome (``None`` without ``lengths``)."""
    if pairs.lengths is None:
        return None
    bounds = np.concatenate([[0], np.cumsum(np.asarray(pairs.lengths, dtype=np.int64))])
    cuts = np.searchsorted(pairs.kept, bounds)
    return [(int(a), int(b)) for a, b in zip(cuts[:-1], cuts[1:], strict=True) if b > a]


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
