"""ICE balancing (iterative correction, Imakaev et al. 2012) and bin filters, sparse throughout.

Model: E[c_ij] = b_i b_j T_ij with T of equal visibility (equal row sums). The update order is the one
documented for iced (``ICE_normalization``, norm "l1"): row sums s, Δ = s / mean(s[s > 0]) (1 where s = 0),
bias *= Δ, C_ij /= Δ_i Δ_j, then bias and C rescaled so that the total stays constant; stop when the L1 change of
the bias between two iterations is below ``eps``. Unlike iced, non-convergence is reported (warning or error).

The balanced matrix is never rescaled in place: it is always C_ij / (b_i b_j), so each iteration is one sparse
mat-vec of the original upper triangle with 1/b (row sums and total follow from it), O(nnz) time with no
per-iteration allocation of matrix size; the iterates equal iced's up to rounding (≈ 1e-13 on the bias).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from .._conventions import ValidationError
from ._validate import ConvergenceWarning, as_contact_matrix

FILTER_METHODS = ("sum", "sparsity", "none")


def _row_sums(mat: sparse.csr_matrix) -> np.ndarray:
    return np.asarray(mat.sum(axis=1)).ravel()


def remove_diagonals(counts, ignore_diags: int = 0) -> sparse.csr_matrix:
    """Zero the main diagonal and the first ``ignore_diags - 1`` off-diagonals (cooler's ``ignore_diags``)."""
    mat = as_contact_matrix(counts)
    if ignore_diags <= 0:
        return mat
    coo = mat.tocoo()
    keep = np.abs(coo.row - coo.col) >= ignore_diags
    out = sparse.csr_matrix((coo.data[keep], (coo.row[keep], coo.col[keep])), shape=mat.shape)
    out.sort_indices()
    return out


def filter_low_counts(
    counts,
    *,
    method: str = "sum",
    percentage: float = 0.04,
    min_nnz: int = 0,
    remove_all_zeros: bool = True,
) -> np.ndarray:
    """Boolean mask of bins to **remove**.

    Parameters
    ----------
    counts
        Symmetric (or triangular) contact matrix, dense or sparse.
    method
        ``"sum"``: drop the ``percentage`` fraction of bins with the lowest coverage (bins whose row sum is below
        the ``int(n * percentage)``-th smallest row sum, iced's ``sparsity=False`` rule);
        ``"sparsity"``: drop bins whose fraction of zero entries is strictly above the ``1 - percentage`` quantile;
        ``"none"``: no percentage filter.
    percentage
        Fraction in [0, 1).
    min_nnz
        Also drop bins with fewer than ``min_nnz`` non-zero entries.
    remove_all_zeros
        Also drop bins without any contact.

    Returns
    -------
    ``(n,)`` bool array, True for filtered bins.
    """
    if method not in FILTER_METHODS:
        raise ValidationError(f"filter method must be one of {list(FILTER_METHODS)}, got {method!r}")
    if not 0 <= float(percentage) < 1:
        raise ValidationError(f"percentage must be in [0, 1), got {percentage}")
    if int(min_nnz) < 0:
        raise ValidationError(f"min_nnz must be >= 0, got {min_nnz}")
    mat = as_contact_matrix(counts)
    n = mat.shape[0]
    sums = _row_sums(mat)
    nnz = np.diff(mat.indptr)
    mask = np.zeros(n, dtype=bool)
    if method == "sum" and percentage > 0:
        threshold = np.sort(sums)[int(n * percentage)]
        mask |= sums < threshold
    elif method == "sparsity" and percentage > 0:
        zero_frac = 1.0 - nnz / n
        mask |= zero_frac > np.quantile(zero_frac, 1 - percentage)
    if min_nnz:
        mask |= nnz < int(min_nnz)
    if remove_all_zeros:
        mask |= sums == 0
    return mask


def apply_filter(counts, mask) -> sparse.csr_matrix:
    """Zero the rows and columns of the masked bins (sparse; the shape is kept)."""
    mat = as_contact_matrix(counts)
    drop = np.asarray(mask, dtype=bool).ravel()
    if drop.shape[0] != mat.shape[0]:
        raise ValidationError(f"mask has length {drop.shape[0]}, expected {mat.shape[0]}")
    if not drop.any():
        return mat
    out = mat.copy()
    rows = np.repeat(drop, np.diff(out.indptr))
    out.data[rows | drop[out.indices]] = 0.0  # O(nnz), no sparse products
    out.eliminate_zeros()
    out.sort_indices()
    return out


@dataclass
class ICEResult:
    """Output of :func:`ice_normalization`.

    Attributes
    ----------
    bias
        ``(n,)`` ICE biases, NaN for bins without contacts (filtered).
    normalized
        The balanced matrix C_ij / (b_i b_j) (CSR, same total as the input).
    n_iter
        Iterations run.
    converged
        Whether the stopping rule was met before ``max_iter``.
    delta
        Final L1 change of the bias.
    row_sum_cv
        Coefficient of variation of the non-zero row sums of the balanced matrix.
    """

    bias: np.ndarray
    normalized: sparse.csr_matrix
    n_iter: int
    converged: bool
    delta: float
    row_sum_cv: float


def ice_normalization(
    counts,
    *,
    max_iter: int = 3000,
    eps: float = 1e-4,
    norm: str = "l1",
    total_counts: float | None = None,
    counts_profile=None,
    on_nonconvergence: str = "warn",
) -> ICEResult:
    """Balance a contact matrix with ICE.

    Parameters
    ----------
    counts
        Symmetric (or triangular) non-negative contact matrix; filter it first (:func:`filter_low_counts`,
        :func:`apply_filter`): unfiltered maps with nearly empty bins often have no balancing solution.
    max_iter, eps
        Iteration limit and tolerance on the L1 norm of the change of the bias between iterations.
    norm
        ``"l1"`` (row sums, ICE) or ``"l2"`` (row sums of squares).
    total_counts
        Total kept constant (default: the input total).
    counts_profile
        Optional per-bin copy numbers: row sums are divided by it before balancing (CNV-aware ICE).
    on_nonconvergence
        ``"warn"`` (:class:`ConvergenceWarning`), ``"raise"`` (``RuntimeError``) or ``"ignore"``.

    Returns
    -------
    :class:`ICEResult`.
    """
    if norm not in ("l1", "l2"):
        raise ValidationError(f"norm must be 'l1' or 'l2', got {norm!r}")
    if on_nonconvergence not in ("warn", "raise", "ignore"):
        raise ValidationError(f"on_nonconvergence must be 'warn', 'raise' or 'ignore', got {on_nonconvergence!r}")
    if int(max_iter) < 1 or not float(eps) > 0:
        raise ValidationError(f"max_iter must be >= 1 and eps > 0, got {max_iter}, {eps}")
    mat = as_contact_matrix(counts)
    n = mat.shape[0]
    if mat.nnz == 0:
        raise ValidationError("counts has no contacts")
    profile = None
    if counts_profile is not None:
        profile = np.asarray(counts_profile, dtype=np.float64).ravel()
        if profile.shape[0] != n:
            raise ValidationError(f"counts_profile has length {profile.shape[0]}, expected {n}")
    # One sparse mat-vec per iteration on the ORIGINAL matrix: the balanced matrix is always C_ij / (b_i b_j)
    # (every update divides it by Δ_i Δ_j and by the rescaling factor while b is multiplied by Δ and √factor), so
    # its row sums are (C @ (1/b)) / b and its total Σ_i (C @ (1/b))_i / b_i. After the update of b by Δ, the
    # product u = C @ (1/b) gives the total (hence the rescaling factor) and, divided by √factor, the row sums of
    # the next iteration. The iteration sequence (and stopping rule) is iced's; only rounding differs (≈ 1e-15).
    upper = sparse.triu(mat).tocsr()
    upper.sort_indices()
    upper_t = upper.T  # CSC view: C @ v = U v + Uᵀ v − diag(C) v
    diag = mat.diagonal()

    def matvec(v):
        out = upper @ v
        out += upper_t @ v
        out -= diag * v
        return out

    upper2 = upper2_t = diag2 = None
    if norm == "l2":
        upper2 = upper.copy()
        upper2.data **= 2
        upper2_t = upper2.T
        diag2 = diag**2

    bias = np.ones(n)
    u = matvec(bias)  # C @ (1/b) at b = 1
    total = float(u.sum()) if total_counts is None else float(total_counts)
    u2 = None if norm == "l1" else (upper2 @ bias + upper2_t @ bias - diag2 * bias)
    old = None
    delta = np.inf
    converged = False
    it = 0
    for it in range(1, int(max_iter) + 1):  # noqa: B007 (it is the iteration count after the loop)
        s = u / bias if norm == "l1" else u2 / (bias * bias)
        if profile is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                s = s / profile
            s[np.isnan(s)] = 1.0
        dbias = s / s[s != 0].mean()
        dbias[dbias == 0] = 1.0
        bias *= dbias
        inv = 1.0 / bias
        u = matvec(inv)
        factor = float(np.dot(u, inv)) / total
        root = np.sqrt(factor)
        bias *= root
        u /= root
        if u2 is not None:
            inv2 = inv * inv
            u2 = upper2 @ inv2
            u2 += upper2_t @ inv2
            u2 -= diag2 * inv2
            u2 /= factor
        if old is not None:
            delta = float(np.abs(bias - old).sum())
            if delta < eps:
                converged = True
                break
        old = bias.copy()
    inv = 1.0 / bias
    sums = matvec(inv) * inv
    bias = bias.copy()
    bias[np.asarray(mat.getnnz(axis=1)) == 0] = np.nan
    nz = sums[sums > 0]
    cv = float(nz.std() / nz.mean()) if nz.size else float("nan")
    if not converged:
        msg = (
            f"ICE did not converge in {it} iterations (L1 change {delta:.3g} >= eps {eps}); the bias spans "
            f"{np.nanmin(bias):.3g}..{np.nanmax(bias):.3g}. Filter low-coverage bins first "
            "(percentage=, min_nnz=) or raise max_iter."
        )
        if on_nonconvergence == "raise":
            raise RuntimeError(msg)
        if on_nonconvergence == "warn":
            warnings.warn(msg, ConvergenceWarning, stacklevel=2)
    normalized = mat.copy()
    rows = np.repeat(inv, np.diff(normalized.indptr))
    normalized.data *= rows
    normalized.data *= inv[normalized.indices]
    return ICEResult(bias=bias, normalized=normalized, n_iter=it, converged=converged, delta=delta, row_sum_cv=cv)


class ICE:
    """Estimator wrapper: filter then balance (``fit(counts)`` → ``bias_``, ``filtered_``, ``n_iter_``...).

    Parameters
    ----------
    filter_method, percentage, min_nnz, ignore_diags
        Bin filtering (see :func:`filter_low_counts`, :func:`remove_diagonals`).
    max_iter, eps, norm, on_nonconvergence
        See :func:`ice_normalization`.
    """

    def __init__(
        self,
        *,
        filter_method: str = "sum",
        percentage: float = 0.04,
        min_nnz: int = 0,
        ignore_diags: int = 0,
        max_iter: int = 3000,
        eps: float = 1e-4,
        norm: str = "l1",
        on_nonconvergence: str = "warn",
    ):
        self.filter_method = filter_method
        self.percentage = percentage
        self.min_nnz = min_nnz
        self.ignore_diags = ignore_diags
        self.max_iter = max_iter
        self.eps = eps
        self.norm = norm
        self.on_nonconvergence = on_nonconvergence

    def fit(self, counts, y=None, *, counts_profile=None):
        if int(self.ignore_diags) < 0:
            raise ValidationError(f"ignore_diags must be >= 0, got {self.ignore_diags}")
        mat = remove_diagonals(counts, int(self.ignore_diags))
        mask = filter_low_counts(mat, method=self.filter_method, percentage=self.percentage, min_nnz=self.min_nnz)
        if mask.all():
            raise ValidationError("every bin was filtered out; lower percentage/min_nnz")
        filt = apply_filter(mat, mask)
        res = ice_normalization(
            filt,
            max_iter=self.max_iter,
            eps=self.eps,
            norm=self.norm,
            counts_profile=counts_profile,
            on_nonconvergence=self.on_nonconvergence,
        )
        self.bias_ = res.bias
        self.filtered_ = mask | ~np.isfinite(res.bias)
        self.normalized_ = res.normalized
        self.n_iter_ = res.n_iter
        self.converged_ = res.converged
        self.delta_ = res.delta
        self.row_sum_cv_ = res.row_sum_cv
        return self
