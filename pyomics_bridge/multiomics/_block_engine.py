"""The multi-block sparse generalised CCA engine behind block PLS and DIABLO (Tenenhaus et al. 2014, SGCCA;
Singh et al. 2019, DIABLO), with mixOmics' iteration (spec §1.3).

Blocks ``A_1 … A_J`` (the response block last) are linked by a symmetric design matrix ``C`` (zero diagonal).
Per component h, with the Horst scheme:

1. **start** ("svd.single"): every block from its own leading right singular vector (of its current residual);
2. **Gauss–Seidel sweeps** over the blocks in order, response last: ``Z_q = Σ_k C_qk t_k`` with the variates
   already updated in this sweep, ``a_q = soft(A_qᵀ Z_q, keep_q)/‖·‖``, ``t_q = A_q a_q`` (NA-aware);
   the criterion ``Σ_jk C_jk cov(t_j, t_k)`` is recorded after every sweep;
3. **stop** when ``max_q ‖a_q − a_q,old‖² < tol`` (a *squared* norm) or after ``max_iter + 1`` sweeps;
4. **port sign convention**: every block is flipped together so that the largest |loading| of the first block is
   positive;
5. **deflation** (h < H): non-response blocks (all blocks in canonical mode) on their own variate,
   ``A_q ← A_q − t_q p_qᵀ`` with ``p_q = A_qᵀ t_q / t_qᵀ t_q``; the response by mode: regression = mean over the
   other blocks k of ``A_Y − t_k d_kᵀ`` (``d_k = A_Yᵀ t_k / t_kᵀ t_k``), classic = mean of ``A_Y − t_k bᵀ``
   (b = the response loading), invariant = none.

**Start signs.** The relative signs of the start vectors are arbitrary (R takes them from ARPACK) and steer the
Gauss–Seidel path: at the default ``tol`` two sign patterns end ~1e-5 apart, and on some data a later component has
two attractors. The first block's start is never used (its loading is recomputed before use), and a global flip
gives the same solution, so there are ``2^(J−2)`` distinct patterns. ``init_signs="search"`` runs all of them and
keeps the highest-criterion solution (ties within 1e-8 relative go to the first pattern), which is the solution
mixOmics reached in every case examined (reference README, quirk 5); ``"fixed"`` runs one pattern (each start made
to have its largest entry positive); an explicit ``H × J`` array of ±1 replays a known pattern exactly.
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass, field

import numpy as np

from .._conventions import ValidationError
from ._nipals import na_regression, na_variate, split_missing
from ._sparse import soft_threshold

__all__ = ["BlockFit", "block_engine", "start_vector"]

BLOCK_MODES = ("regression", "canonical", "invariant", "classic")


@dataclass
class BlockFit:
    """Raw engine output, one entry per block (response last), one column per component."""

    loadings: list[np.ndarray]
    variates: list[np.ndarray]
    crit: list[np.ndarray] = field(default_factory=list)  # criterion after every sweep, per component
    n_iter: list[int] = field(default_factory=list)
    converged: list[bool] = field(default_factory=list)
    init_signs: np.ndarray | None = None  # H × J start signs of the kept solution
    n_solutions: list[int] = field(default_factory=list)  # distinct solutions reached by the sign patterns


def start_vector(R: np.ndarray) -> np.ndarray:
    """Leading right singular vector of ``R`` (unit norm, largest |entry| positive), via the smaller Gram matrix."""
    n, p = R.shape
    if p == 1:
        return np.ones(1)
    if n < p:
        w, U = np.linalg.eigh(R @ R.T)
        v = R.T @ U[:, -1]
    else:
        w, V = np.linalg.eigh(R.T @ R)
        v = V[:, -1]
    nrm = np.linalg.norm(v)
    if not nrm > 0:
        raise ValidationError("a block is zero (after deflation): use fewer components")
    v = v / nrm
    return -v if v[int(np.argmax(np.abs(v)))] < 0 else v


def _patterns(J: int, init_signs, h: int) -> list[np.ndarray]:
    if isinstance(init_signs, str):
        if init_signs == "fixed" or J <= 2:
            return [np.ones(J)]
        return [np.array((1.0, 1.0) + p) for p in itertools.product((1.0, -1.0), repeat=J - 2)]
    return [np.asarray(init_signs[h], dtype=np.float64)]


def _iterate(R, masks, C, starts, keep, tol, max_iter):
    J = len(R)
    a = [s / np.linalg.norm(s) for s in starts]
    T = np.column_stack([na_variate(R[q], masks[q], a[q]) for q in range(J)])
    crits = []
    it = 1
    converged = True
    while True:
        old = list(a)
        for q in range(J):
            z = T @ C[:, q]
            v = soft_threshold(R[q].T @ z, keep[q])
            nrm = np.linalg.norm(v)
            if not nrm > 0:
                raise ValidationError(
                    f"block {q + 1} has no covariance with the blocks it is linked to (its loading is 0); check "
                    f"the design or use fewer components"
                )
            a[q] = v / nrm
            T[:, q] = na_variate(R[q], masks[q], a[q])
        Tc = T - T.mean(axis=0)
        crits.append(float(np.sum(C * (Tc.T @ Tc)) / (T.shape[0] - 1)))
        change = max(float(np.sum((a[q] - old[q]) ** 2)) for q in range(J))
        if change < tol:
            break
        if it > max_iter:
            converged = False
            break
        it += 1
    return a, T, np.asarray(crits), it, converged, change


def block_engine(
    blocks: list[np.ndarray],
    design: np.ndarray,
    *,
    n_components: int,
    keep: list[list[int]],
    mode: str = "regression",
    tol: float = 1e-6,
    max_iter: int = 100,
    init_signs="search",
) -> BlockFit:
    """Fit ``n_components`` sGCCA components to pre-processed blocks (response block last).

    Parameters
    ----------
    blocks
        Centred/scaled n × p_j blocks (NaN = missing); the last one is the response.
    design
        J × J symmetric matrix with zero diagonal.
    n_components
        Number of components H.
    keep
        ``keep[j][h]``: non-zero loadings of block j on component h (p_j for no sparsity).
    mode
        Deflation of the response block: ``"regression"``, ``"canonical"``, ``"invariant"``, ``"classic"``.
    tol, max_iter
        mixOmics' stopping rule.
    init_signs
        ``"search"``, ``"fixed"`` or an H × J array of ±1 (see module docstring).
    """
    if mode not in BLOCK_MODES:
        raise ValueError(f"mode must be one of {list(BLOCK_MODES)}, got {mode!r}")
    J = len(blocks)
    H = n_components
    C = np.asarray(design, dtype=np.float64)
    R, masks = [], []
    for b in blocks:
        z, m = split_missing(np.array(b, dtype=np.float64))
        R.append(z.copy())
        masks.append(m)
    n = R[0].shape[0]
    fit = BlockFit(
        loadings=[np.zeros((r.shape[1], H)) for r in R],
        variates=[np.zeros((n, H)) for _ in R],
        init_signs=np.ones((H, J)),
    )
    for h in range(H):
        starts = [start_vector(r) for r in R]
        best = None
        solutions: list[np.ndarray] = []
        for signs in _patterns(J, init_signs, h):
            res = _iterate(R, masks, C, [s * v for s, v in zip(signs, starts, strict=True)], [k[h] for k in keep], tol, max_iter)
            if not any(min(np.abs(res[0][0] - s).max(), np.abs(res[0][0] + s).max()) < 1e-6 for s in solutions):
                solutions.append(res[0][0])
            if best is None or res[2][-1] > best[0][2][-1] + 1e-8 * abs(best[0][2][-1]):
                best = (res, signs)
        (a, T, crits, it, converged, change), signs = best
        if not converged:
            warnings.warn(
                f"block PLS / DIABLO component {h + 1} did not converge in {max_iter + 1} sweeps (last squared "
                f"change {change:.3g} >= tol={tol:g})",
                stacklevel=3,
            )
        j0 = int(np.argmax(np.abs(a[0])))
        flip = -1.0 if a[0][j0] < 0 else 1.0
        for q in range(J):
            fit.loadings[q][:, h] = flip * a[q]
            fit.variates[q][:, h] = flip * T[:, q]
        fit.crit.append(crits)
        fit.n_iter.append(it)
        fit.converged.append(converged)
        fit.init_signs[h] = signs
        fit.n_solutions.append(len(solutions))
        if h == H - 1:
            break
        t = [fit.variates[q][:, h] for q in range(J)]
        y = J - 1
        for q in range(J - 1):
            R[q] -= np.outer(t[q], na_regression(R[q], masks[q], t[q]))
            if masks[q] is not None:
                R[q][~masks[q]] = 0.0
        if mode == "canonical":
            R[y] -= np.outer(t[y], na_regression(R[y], masks[y], t[y]))
        elif mode == "regression":
            R[y] = np.mean([R[y] - np.outer(t[k], na_regression(R[y], masks[y], t[k])) for k in range(J - 1)], axis=0)
        elif mode == "classic":
            b = fit.loadings[y][:, h]
            R[y] = np.mean([R[y] - np.outer(t[k], b) for k in range(J - 1)], axis=0)
        if masks[y] is not None:
            R[y][~masks[y]] = 0.0
    return fit
