"""Validation of contact matrices, bias vectors and structures (kernels: arrays only, no AnnData)."""

from __future__ import annotations

import numpy as np
from scipy import sparse

from .._conventions import ValidationError


class ConvergenceWarning(UserWarning):
    """An iterative Hi-C method stopped at its iteration limit without meeting its tolerance."""


def as_contact_matrix(counts, *, name: str = "counts", symmetric_tol: float = 1e-8) -> sparse.csr_matrix:
    """Return ``counts`` as a square, symmetric, non-negative float64 CSR matrix.

    A strictly upper- (or lower-) triangular input (the HiC-Pro/iced storage) is mirrored:
    ``C + C.T - diag(C)``. Dense input is accepted and converted.
    """
    if sparse.issparse(counts):
        mat = sparse.csr_matrix(counts, dtype=np.float64)
    else:
        arr = np.asarray(counts)
        if arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
            raise TypeError(f"{name} must be a numeric array or sparse matrix, got dtype {arr.dtype}")
        if arr.ndim != 2:
            raise ValidationError(f"{name} must be 2-dimensional, got shape {arr.shape}")
        mat = sparse.csr_matrix(arr.astype(np.float64))
    if mat.shape[0] != mat.shape[1]:
        raise ValidationError(f"{name} must be square (bins x bins), got shape {mat.shape}")
    if mat.shape[0] < 2:
        raise ValidationError(f"{name} needs at least 2 bins, got {mat.shape[0]}")
    mat.sum_duplicates()
    if mat.data.size and not np.isfinite(mat.data).all():
        raise ValidationError(f"{name} contains {int((~np.isfinite(mat.data)).sum())} NaN/infinite value(s)")
    if (mat.data < 0).any():
        raise ValidationError(f"{name} contains {int((mat.data < 0).sum())} negative value(s); counts must be >= 0")
    mat.eliminate_zeros()
    lower = sparse.tril(mat, k=-1)
    upper = sparse.triu(mat, k=1)
    if lower.nnz == 0 and upper.nnz > 0 or upper.nnz == 0 and lower.nnz > 0:
        mat = (mat + mat.T - sparse.diags(mat.diagonal())).tocsr()
    else:
        diff = abs(mat - mat.T)
        scale = max(float(abs(mat).max()) if mat.nnz else 1.0, 1.0)
        if diff.nnz and diff.max() > symmetric_tol * scale:
            raise ValidationError(
                f"{name} is not symmetric (max |C - C.T| = {diff.max():.3g}); give a symmetric or triangular matrix"
            )
    mat.sort_indices()
    return mat


def check_bias(bias, n: int, *, name: str = "bias") -> np.ndarray | None:
    """``None`` or a length-``n`` float vector, positive where finite (NaN marks filtered bins)."""
    if bias is None:
        return None
    b = np.asarray(bias, dtype=np.float64).ravel()
    if b.shape[0] != n:
        raise ValidationError(f"{name} has length {b.shape[0]}, expected {n} (one value per bin)")
    ok = np.isfinite(b)
    if (b[ok] <= 0).any():
        raise ValidationError(f"{name} must be > 0 where finite (NaN marks filtered bins)")
    if np.isinf(b).any():
        raise ValidationError(f"{name} contains infinite values")
    return b


def check_structure(X, *, name: str = "X", n: int | None = None, allow_nan: bool = True) -> np.ndarray:
    """An ``(n, 3)`` float array (NaN rows allowed for filtered beads)."""
    arr = np.asarray(X, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 3:
        raise ValidationError(f"{name} must have shape (n_beads, 3), got {arr.shape}")
    if n is not None and arr.shape[0] != n:
        raise ValidationError(f"{name} has {arr.shape[0]} beads, expected {n}")
    if np.isinf(arr).any():
        raise ValidationError(f"{name} contains infinite values")
    if not allow_nan and np.isnan(arr).any():
        raise ValidationError(f"{name} contains NaN values")
    return arr


def check_alpha(alpha) -> float:
    a = float(alpha)
    if not np.isfinite(a) or a >= 0:
        raise ValidationError(f"alpha must be a finite negative number (counts decay with distance), got {alpha}")
    return a


def check_beta(beta) -> float | None:
    if beta is None:
        return None
    b = float(beta)
    if not np.isfinite(b) or b <= 0:
        raise ValidationError(f"beta must be a finite positive number or None (estimated), got {beta}")
    return b
