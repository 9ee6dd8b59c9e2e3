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

**Batched iteration (CV).** :func:`iterate_batch` runs the same iteration for many problems sharing the residual
blocks (every keepX candidate × start pattern of a tuning fold): one matrix product per block and sweep, each
problem frozen when its own stopping rule fires; :func:`iterate_stacked` does the same for problems on different
residuals (the folds of ``perf``). :func:`fit_component` builds one component for every candidate from them.
The estimator itself keeps the one-problem loop (:func:`block_engine`), so its results stay bit for bit those
checked against mixOmics; the batched paths agree with it to rounding (tested problem by problem).
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass, field

import numpy as np

from .._conventions import ValidationError
from ._nipals import na_regression, na_variate, split_missing
from ._sparse import soft_threshold

__all__ = ["BlockFit", "block_engine", "start_vector", "fit_component", "iterate_batch", "iterate_stacked", "deflate",
           "prepare_blocks"]

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
    """Leading right singular vector of ``R`` (unit norm, largest |entry| positive), via the smaller Gram matrix
    (only its top eigenpair is computed for Gram matrices larger than 32 × 32)."""
    n, p = R.shape
    if p == 1:
        return np.ones(1)
    if n < p:
        v = R.T @ _top_eigenvector(R @ R.T)
    else:
        v = _top_eigenvector(R.T @ R)
    nrm = np.linalg.norm(v)
    if not nrm > 0:
        raise ValidationError("a block is zero (after deflation): use fewer components")
    v = v / nrm
    return -v if v[int(np.argmax(np.abs(v)))] < 0 else v


def _top_eigenvector(G: np.ndarray) -> np.ndarray:
    k = G.shape[0]
    if k <= 32:
        return np.linalg.eigh(G)[1][:, -1]
    from scipy.linalg import lapack

    z, info = lapack.dsyevx(G, range="I", il=k, iu=k, lower=1)[1::3]  # the top eigenpair only
    if info != 0:  # pragma: no cover - LAPACK failure: the full decomposition instead
        return np.linalg.eigh(G)[1][:, -1]
    return z[:, 0]


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


def soft_rows(Z: np.ndarray, keeps: np.ndarray) -> np.ndarray:
    """Row-wise :func:`~._sparse.soft_threshold` (``keeps[i]`` of p in row i), same arithmetic: the threshold
    and λ of each row come from one partial sort per distinct keep value."""
    m, p = Z.shape
    absZ = np.abs(Z)
    lam = np.zeros(m)
    todo = keeps < p
    for k in np.unique(keeps[todo]):
        rows = np.flatnonzero(keeps == k)
        part = np.partition(absZ[rows], p - k, axis=1)
        thr = part[:, p - k]  # selected: rank (max ties) > p − k ⇔ |z| ≥ thr
        below = part[:, : p - k].max(axis=1)  # the largest entry that is not selected, unless it ties thr
        lam[rows] = below
        tie = below == thr
        if tie.any():  # a tie at the boundary keeps more entries; λ = the largest |z| not selected
            rr = rows[tie]
            sub = absZ[rr]
            low = np.where(sub >= thr[tie][:, None], -np.inf, sub).max(axis=1)
            lam[rr] = np.where(np.isfinite(low), low, 0.0)
    # selected entries (|z| > λ): z ∓ λ = sign(z)(|z| − λ) exactly; the others (|z| ≤ λ) become z − z = 0
    lam = lam[:, None]
    clipped = np.maximum(Z, -lam, out=absZ)
    np.minimum(clipped, lam, out=clipped)
    return np.subtract(Z, clipped, out=clipped)


def _variates(R: np.ndarray, mask: np.ndarray | None, A: np.ndarray) -> np.ndarray:
    """:func:`~._nipals.na_variate` for every row of ``A`` (m × p → m × n)."""
    num = A @ R.T
    if mask is None:
        return num
    den = (A * A) @ mask.T
    with np.errstate(invalid="ignore", divide="ignore"):
        out = num / den
    return np.where(den > 0, out, 0.0)


def _criterion(C: np.ndarray, T: np.ndarray) -> np.ndarray:
    """``Σ_jk C_jk cov(t_j, t_k)`` per problem of the J × m × n variates."""
    n = T.shape[2]
    Tc = T - T.mean(axis=2, keepdims=True)
    out = np.zeros(T.shape[1])
    J = T.shape[0]
    for j in range(J):
        for k in range(J):
            if C[j, k] != 0:
                out += C[j, k] * np.einsum("mn,mn->m", Tc[j], Tc[k])
    return out / (n - 1)


@dataclass
class _Batch:
    """Converged problems of :func:`iterate_batch` (one per start × keep setting)."""

    A: list[np.ndarray]  # per block, m × p_q
    T: np.ndarray  # J × m × n
    crit: np.ndarray  # final criterion per problem
    n_iter: np.ndarray
    converged: np.ndarray
    change: np.ndarray


def iterate_batch(R, masks, C, starts, keeps, tol, max_iter) -> _Batch:
    """mixOmics' sGCCA iteration for m problems at once, sharing the residual blocks ``R``.

    ``starts[q]`` (m × p_q) are the start vectors and ``keeps`` (J × m) the keep counts of each problem;
    problem i runs exactly the single-problem iteration (Gauss–Seidel sweeps, ``max_q ‖Δa_q‖² < tol`` or
    ``max_iter + 1`` sweeps) and is frozen once it stops, so its result does not depend on the other problems.
    """
    J = len(R)
    m = starts[0].shape[0]
    keeps = np.asarray(keeps, dtype=np.intp)
    A = [s / np.sqrt(np.einsum("ij,ij->i", s, s))[:, None] for s in starts]
    T = np.stack([_variates(R[q], masks[q], A[q]) for q in range(J)])
    links = [[k for k in range(J) if C[k, q] != 0] for q in range(J)]
    out = _Batch([np.empty_like(a) for a in A], np.empty_like(T), np.empty(m), np.zeros(m, dtype=np.intp),
                 np.zeros(m, dtype=bool), np.empty(m))
    active = np.arange(m)
    kq = keeps
    for q in range(J):
        if not links[q]:
            raise ValidationError(f"block {q + 1} is not linked to any other block in the design")
    # work buffers (large temporaries are costly to allocate; every product writes into them)
    zbuf = np.empty(m * R[0].shape[0])
    tbuf = np.empty(m * R[0].shape[0])
    dbuf = np.empty(m * max(r.shape[1] for r in R))
    it = 1
    while True:
        ma = active.size
        change = np.zeros(ma)
        size = T[0].size
        for q in range(J):
            Z = zbuf[:size].reshape(T[0].shape)  # Σ_k C_kq t_k over the linked blocks, in block order
            np.multiply(T[links[q][0]], C[links[q][0], q], out=Z)
            for k in links[q][1:]:
                Z += np.multiply(T[k], C[k, q], out=tbuf[:size].reshape(Z.shape))
            V = Z @ R[q]
            if np.any(kq[q] < V.shape[1]):
                V = soft_rows(V, kq[q])
            nrm = np.sqrt(np.einsum("ij,ij->i", V, V))
            if not np.all(nrm > 0):
                raise ValidationError(
                    f"block {q + 1} has no covariance with the blocks it is linked to (its loading is 0); check "
                    f"the design or use fewer components"
                )
            V /= nrm[:, None]
            d = np.subtract(V, A[q], out=dbuf[: V.size].reshape(V.shape))
            np.maximum(change, np.einsum("ij,ij->i", d, d), out=change)
            A[q] = V
            if masks[q] is None:
                np.matmul(V, R[q].T, out=T[q])
            else:
                T[q] = _variates(R[q], masks[q], V)
        done = change < tol
        stop = done | (it > max_iter)
        if stop.any():
            idx = active[stop]
            for q in range(J):
                out.A[q][idx] = A[q][stop]
            out.T[:, idx] = T[:, stop]
            out.crit[idx] = _criterion(C, T[:, stop])
            out.n_iter[idx] = it
            out.converged[idx] = done[stop]
            out.change[idx] = change[stop]
            keep = ~stop
            active = active[keep]
            if active.size == 0:
                break
            A = [a[keep] for a in A]
            T = T[:, keep]
            kq = kq[:, keep]
        it += 1
    return out


def best_patterns(crit: np.ndarray) -> np.ndarray:
    """Index of the kept start pattern per problem from the final criteria (patterns × problems): the highest
    criterion, ties within 1e-8 relative going to the earlier pattern."""
    best = np.zeros(crit.shape[1], dtype=np.intp)
    top = crit[0].copy()
    for s in range(1, crit.shape[0]):
        better = crit[s] > top + 1e-8 * np.abs(top)
        best[better] = s
        top[better] = crit[s][better]
    return best


def fit_component(R, masks, C, keeps, patterns, tol, max_iter):
    """One component for every column of ``keeps`` (J × g): every start pattern is iterated, the best kept
    (highest criterion, ties within 1e-8 to the earlier pattern, as :func:`block_engine`), and each solution
    flipped so that the largest |loading| of the first block is positive.

    Returns ``(A, T, batch, best)``: loadings per block (p_q × g), variates (J × n × g), the raw
    :class:`_Batch` (problems pattern-major: pattern s of column i is problem ``s * g + i``) and the kept
    pattern per column.
    """
    J = len(R)
    keeps = np.asarray(keeps, dtype=np.intp)
    g = keeps.shape[1]
    S = len(patterns)
    base = [start_vector(r) for r in R]
    starts = [np.repeat(np.array([pat[q] * base[q] for pat in patterns]), g, axis=0) for q in range(J)]
    batch = iterate_batch(R, masks, C, starts, np.tile(keeps, (1, S)), tol, max_iter)
    best = best_patterns(batch.crit.reshape(S, g))
    rows = best * g + np.arange(g)
    a0 = batch.A[0][rows]
    j0 = np.argmax(np.abs(a0), axis=1)
    flip = np.where(a0[np.arange(g), j0] < 0, -1.0, 1.0)
    A = [(a[rows] * flip[:, None]).T for a in batch.A]
    T = (batch.T[:, rows] * flip[:, None]).transpose(0, 2, 1)
    return A, T, batch, best


def deflate(R, masks, t, b_y, mode: str) -> None:
    """Deflate the residual blocks in place after a component (variates ``t[q]``, response loading ``b_y``)."""
    J = len(R)
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
        R[y] = np.mean([R[y] - np.outer(t[k], b_y) for k in range(J - 1)], axis=0)
    if masks[y] is not None:
        R[y][~masks[y]] = 0.0


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
    residuals: list | None = None,
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
    residuals
        A list that receives ``(R, masks)``: the blocks deflated after the last component (for fitting one more
        component with :func:`fit_component`).
    """
    if mode not in BLOCK_MODES:
        raise ValueError(f"mode must be one of {list(BLOCK_MODES)}, got {mode!r}")
    R, masks = prepare_blocks(blocks)
    if residuals is not None:
        residuals[:] = [R, masks]
    C = np.asarray(design, dtype=np.float64)
    J = len(R)
    H = n_components
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
        if h == H - 1 and residuals is None:
            break
        deflate(R, masks, [fit.variates[q][:, h] for q in range(J)], fit.loadings[J - 1][:, h], mode)
    return fit


def prepare_blocks(blocks) -> tuple[list[np.ndarray], list[np.ndarray | None]]:
    """Float64 working copies (NaN → 0) and observed-cell masks (``None`` for complete blocks)."""
    R, masks = [], []
    for b in blocks:
        z, m = split_missing(np.array(b, dtype=np.float64))
        R.append(z.copy() if m is None else z)
        masks.append(m)
    return R, masks


def iterate_stacked(R, C, starts, keeps, tol, max_iter, n_rows) -> _Batch:
    """:func:`iterate_batch` for S problems on each of F different residual sets (CV folds) at once.

    ``R[q]`` is F × n_pad × p_q (fold f's rows first, then zero rows up to a fixed ``n_pad``), ``starts[q]`` is
    F × S × p_q, ``keeps`` one keep count per block and ``n_rows[f]`` the rows of fold f. Every product is a
    stacked matrix product (one BLAS call per fold slice, so a fold's result does not depend on the other
    folds); stopped problems are frozen. Returns the :class:`_Batch` fields with a leading F × S shape.
    """
    J = len(R)
    F, S = starts[0].shape[:2]
    A = [s / np.sqrt(np.einsum("fsp,fsp->fs", s, s))[..., None] for s in starts]
    T = np.stack([A[q] @ R[q].transpose(0, 2, 1) for q in range(J)])  # J × F × S × n_pad
    links = [[k for k in range(J) if C[k, q] != 0] for q in range(J)]
    for q in range(J):
        if not links[q]:
            raise ValidationError(f"block {q + 1} is not linked to any other block in the design")
    out = _Batch([np.empty_like(a) for a in A], np.empty_like(T), np.empty((F, S)), np.zeros((F, S), dtype=np.intp),
                 np.zeros((F, S), dtype=bool), np.empty((F, S)))
    stopped = np.zeros((F, S), dtype=bool)
    it = 1
    while True:
        change = np.zeros((F, S))
        for q in range(J):
            Z = T[links[q][0]] * C[links[q][0], q]
            for k in links[q][1:]:
                Z += T[k] * C[k, q]
            V = Z @ R[q]
            p = V.shape[2]
            if keeps[q] < p:
                V = soft_rows(V.reshape(F * S, p), np.full(F * S, keeps[q])).reshape(F, S, p)
            nrm = np.sqrt(np.einsum("fsp,fsp->fs", V, V))
            if not np.all(nrm[~stopped] > 0):
                raise ValidationError(
                    f"block {q + 1} has no covariance with the blocks it is linked to (its loading is 0); check "
                    f"the design or use fewer components"
                )
            V /= np.where(stopped, 1.0, nrm)[..., None]
            d = V - A[q]
            np.maximum(change, np.einsum("fsp,fsp->fs", d, d), out=change)
            V[stopped] = A[q][stopped]
            A[q] = V
            T[q] = V @ R[q].transpose(0, 2, 1)
        done = (change < tol) & ~stopped
        new = done | ((it > max_iter) & ~stopped)
        if new.any():
            for q in range(J):
                out.A[q][new] = A[q][new]
            out.T[:, new] = T[:, new]
            for f, s in zip(*np.nonzero(new), strict=True):
                out.crit[f, s] = _criterion(C, T[:, f, s, : n_rows[f]][:, None, :])[0]
            out.n_iter[new] = it
            out.converged[new] = done[new]
            out.change[new] = change[new]
            stopped |= new
            if stopped.all():
                break
        it += 1
    return out
