"""The two-block sparse PLS engine (mixOmics' sGCCA with 2 blocks, Horst scheme, "svd" start) and its outputs.

Per component h (spec §1.3):

1. start ``(a, b)`` from the leading singular pair of ``X_hᵀ Y_h`` (one SVD, so X and Y share one arbitrary sign);
2. Gauss–Seidel sweeps: ``a = soft(X_hᵀ u, keepX)/‖·‖``, ``t = X_h a``; then ``b = soft(Y_hᵀ t, keepY)/‖·‖``,
   ``u = Y_h b``; stop when ``max(‖Δa‖², ‖Δb‖²) < tol`` or after ``max_iter + 1`` sweeps (mixOmics' rule,
   replicated exactly so that sparse fits agree with R to machine precision, not just to ~1e-4);
3. port sign convention: the largest ``|a_j|`` is made positive (X and Y flipped together);
4. deflation (``h < H``): X on ``t`` (``c = X_hᵀt/tᵀt``); Y by mode — regression on ``t``, canonical on ``u``,
   classic ``Y − t bᵀ``, invariant none.

Missing values (NaN) in a block are handled NA-aware (:mod:`._nipals`), never imputed. X may also be a
:class:`~pyomics_bridge.multiomics._implicit.ScaledBlock` (implicitly centred/scaled float32, float64 or
scipy.sparse block, no NaN): only its products ``X a`` and ``Xᵀ v`` are used, so no n × p matrix is made.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from .._conventions import ValidationError
from ._implicit import ScaledBlock
from ._nipals import na_regression, na_variate, split_missing
from ._preprocess import has_nan
from ._preprocess import row_chunks as _row_chunks
from ._sparse import soft_threshold

__all__ = [
    "MODES",
    "TwoBlockFit",
    "spls_engine",
    "leading_singular_pair",
    "flip_to_convention",
    "loadings_star_mixomics",
    "rotations",
    "explained_variance",
]

MODES = ("regression", "canonical", "invariant", "classic")


@dataclass
class TwoBlockFit:
    """Raw engine output (arrays with one column per component)."""

    loadings_x: np.ndarray
    loadings_y: np.ndarray
    variates_x: np.ndarray
    variates_y: np.ndarray
    mat_c: np.ndarray  # X deflation vectors c_h = X_hᵀ t_h / t_hᵀ t_h (mixOmics mat.c)
    defl_y: np.ndarray  # Y deflation vectors used for loadings.star (non-zero only in canonical mode)
    n_iter: list[int] = field(default_factory=list)
    converged: list[bool] = field(default_factory=list)


def leading_singular_pair(M: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First left and right singular vectors of ``M`` (sign arbitrary, as in R)."""
    if min(M.shape) == 1:
        if M.shape[1] == 1:
            u = M[:, 0].copy()
            nrm = np.linalg.norm(u)
            return (u / nrm if nrm > 0 else u), np.ones(1)
        v = M[0, :].copy()
        nrm = np.linalg.norm(v)
        return np.ones(1), (v / nrm if nrm > 0 else v)
    # thin SVD of the p × q cross-product: cheap when one side is small (q = 10 responses, p = 3,000 genes)
    U, _, Vt = np.linalg.svd(M, full_matrices=False)
    return U[:, 0], Vt[0]


def flip_to_convention(a: np.ndarray) -> float:
    """Sign (+1/−1) that makes the largest-magnitude entry of ``a`` positive (first one on ties)."""
    j = int(np.argmax(np.abs(a)))
    return -1.0 if a[j] < 0 else 1.0


def spls_engine(
    X: np.ndarray,
    Y: np.ndarray,
    *,
    n_components: int,
    keepX: list[int],
    keepY: list[int],
    mode: str = "regression",
    tol: float = 1e-6,
    max_iter: int = 100,
) -> TwoBlockFit:
    """Fit ``n_components`` sparse PLS components to pre-processed blocks ``X`` (n × p) and ``Y`` (n × q).

    Parameters
    ----------
    X, Y
        Centred/scaled blocks; NaN marks a missing value.
    n_components
        Number of components H.
    keepX, keepY
        Number of non-zero loadings per component (``p``/``q`` for no sparsity).
    mode
        ``"regression"``, ``"canonical"``, ``"invariant"`` or ``"classic"`` (Y deflation, see module doc).
    tol, max_iter
        mixOmics' stopping rule: ``max(‖Δa‖², ‖Δb‖²) < tol`` or ``max_iter + 1`` sweeps.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {list(MODES)}, got {mode!r}")
    # No copy of X: a complete block is deflated implicitly (X_h = X − Σ_{l<h} t_l c_lᵀ is never formed; products
    # use X_hᵀu = Xᵀu − C(Tᵀu) and X_h a = X a − T(Cᵀa)). Only a block with missing values gets a working copy
    # (NaN → 0), deflated in place by row chunks. Y (n × q, q small) is copied.
    if isinstance(X, ScaledBlock):
        Rx, mx = X, None  # implicit block: products only
    else:
        Rx, mx = split_missing(np.asarray(X, dtype=np.float64))
    Ry, my = split_missing(np.array(Y, dtype=np.float64))
    Ry = Ry.copy()
    implicit = mx is None
    n, p = Rx.shape
    q = Ry.shape[1]
    H = n_components
    A, B = np.zeros((p, H)), np.zeros((q, H))
    T, U = np.zeros((n, H)), np.zeros((n, H))
    C, E = np.zeros((p, H)), np.zeros((q, H))
    fit = TwoBlockFit(A, B, T, U, C, E)

    def x_t(v: np.ndarray, h: int) -> np.ndarray:  # X_hᵀ v
        out = Rx.T @ v
        if implicit and h > 0:
            out -= C[:, :h] @ (T[:, :h].T @ v)
        return out

    def x_variate(a: np.ndarray, h: int) -> np.ndarray:  # na_variate(X_h, mask, a)
        if not implicit:
            return na_variate(Rx, mx, a)
        out = Rx @ a
        if h > 0:
            out -= T[:, :h] @ (C[:, :h].T @ a)
        return out

    def x_regression(t: np.ndarray, h: int) -> np.ndarray:  # na_regression(X_h, mask, t)
        if not implicit:
            return na_regression(Rx, mx, t)
        num = x_t(t, h)
        den = float(t @ t)
        return num / den if den > 0 else np.zeros_like(num)

    for h in range(H):
        M = x_t(Ry, h)
        if not np.any(M):
            raise ValidationError(
                f"component {h + 1} cannot be computed: the deflated X and Y blocks are uncorrelated (XᵀY = 0); "
                f"use fewer components"
            )
        a, b = leading_singular_pair(M)
        a = a / np.linalg.norm(a)
        b = b / np.linalg.norm(b)
        t = x_variate(a, h)
        u = na_variate(Ry, my, b)
        it = 1
        converged = True
        while True:
            a_old, b_old = a, b
            a = soft_threshold(x_t(u, h), keepX[h])
            a = a / np.linalg.norm(a)
            t = x_variate(a, h)
            b = soft_threshold(Ry.T @ t, keepY[h])
            b = b / np.linalg.norm(b)
            u = na_variate(Ry, my, b)
            change = max(float(np.sum((a - a_old) ** 2)), float(np.sum((b - b_old) ** 2)))
            if change < tol:
                break
            if it > max_iter:
                converged = False
                warnings.warn(
                    f"sPLS component {h + 1} did not converge in {max_iter + 1} sweeps (last squared change "
                    f"{change:.3g} >= tol={tol:g})",
                    stacklevel=3,
                )
                break
            it += 1
        s = flip_to_convention(a)
        a, b, t, u = s * a, s * b, s * t, s * u
        A[:, h], B[:, h], T[:, h], U[:, h] = a, b, t, u
        c = x_regression(t, h)
        C[:, h] = c
        if mode == "canonical":
            E[:, h] = na_regression(Ry, my, u)
        fit.n_iter.append(it)
        fit.converged.append(converged)
        if h == H - 1:
            break
        if not implicit:
            for sl in _row_chunks(n, p):  # in place, no n × p temporary
                Rx[sl] -= np.outer(t[sl], c)
                Rx[sl][~mx[sl]] = 0.0
        if mode == "regression":
            Ry -= np.outer(t, na_regression(Ry, my, t))
        elif mode == "canonical":
            Ry -= np.outer(u, E[:, h])
        elif mode == "classic":
            Ry -= np.outer(t, b)
        if my is not None:
            Ry[~my] = 0.0
    return fit


def loadings_star_mixomics(W: np.ndarray, P: np.ndarray) -> np.ndarray:
    """``loadings.star`` exactly as mixOmics 6.35.2 returns it (spec quirk 3).

    ``a*_h = a_h − Σ_{l<h} a*_l (a_hᵀ P_l)`` where mixOmics uses the deflation vectors shifted by one component:
    ``P_l = p_{l+1}`` for ``l ≤ H−2`` and ``P_{H−1} = p_{H−1}`` (1-based). For ``H ≤ 2`` this is the textbook
    ``W* = W (PᵀW)⁻¹`` (``T = X W*``); for ``H ≥ 3`` columns 2.. differ from it. :func:`rotations` gives the
    textbook matrix, which :meth:`transform`/``predict`` use.
    """
    H = W.shape[1]
    out = W.copy()
    if H < 2:
        return out
    shifted = [P[:, l + 1] if l <= H - 3 else P[:, H - 2] for l in range(H - 1)]
    for h in range(1, H):
        acc = W[:, h].copy()
        for l in range(h):
            acc -= out[:, l] * float(W[:, h] @ shifted[l])
        out[:, h] = acc
    return out


def rotations(W: np.ndarray, P: np.ndarray) -> np.ndarray:
    """Textbook ``W* = W (PᵀW)⁻¹`` (so that the variates are ``T = X W*``); ``P`` = deflation vectors."""
    return W @ np.linalg.pinv(P.T @ W)


def explained_variance(X: np.ndarray, T: np.ndarray) -> np.ndarray:
    """mixOmics' ``prop_expl_var``: per component ``‖t_hᵀ X‖² / (t_hᵀ t_h) / ‖X‖_F²`` on the pre-processed,
    undeflated block (NaN → 0). Not cumulative, not orthogonalised. ``X`` may be a
    :class:`~pyomics_bridge.multiomics._implicit.ScaledBlock`."""
    if isinstance(X, ScaledBlock):
        total = X.frobenius2()
        tt = np.sum(T * T, axis=0)
        V = X.T @ np.asarray(T, dtype=np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.sum(V * V, axis=0) / tt / total
        return np.where((tt > 0) & (total > 0), out, 0.0)
    X = np.asarray(X, dtype=np.float64)
    n, p = X.shape
    if has_nan(X):
        Xz = np.where(np.isnan(X), 0.0, X)
    else:
        Xz = X  # no copy
    total = 0.0
    for sl in _row_chunks(n, p):
        blk = Xz[sl]
        total += float(np.einsum("ij,ij->", blk, blk))
    out = np.zeros(T.shape[1])
    for h in range(T.shape[1]):
        t = T[:, h]
        tt = float(t @ t)
        if tt > 0 and total > 0:
            v = Xz.T @ t
            out[h] = float(v @ v) / tt / total
    return out
