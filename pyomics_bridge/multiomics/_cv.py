"""Cross-validation machinery shared by :func:`perf` and the tuners (mixOmics' CV protocol, spec §2.11–2.12).

* **Folds.** M-fold CV is stratified for DA models (per class: shuffle, split into ``folds`` groups, shuffle the
  group order, concatenate across classes; empty folds dropped), unstratified for rcc/pls; LOO puts every sample
  in its own fold. R's ``sample()`` cannot be reproduced in numpy, so every CV function also accepts explicit
  folds (``fold_assignments``): per repeat, either one fold label per sample or a list of 0-based index arrays.
* **Per fold.** The model is refitted on the raw training rows (zero-variance training columns dropped and keepX
  capped), the held-out rows are scaled with the training statistics and predicted.
* **Lean refits.** The fold models do not go through the estimators: :func:`fit_fold_da` runs the same
  sparse-PLS iteration as :func:`~pyomics_bridge.multiomics.spls_engine` (start, Gauss–Seidel sweeps, stopping
  rule), but fits the components shared by all candidates once and all keepX candidates of the last component
  *together* (one matrix product per sweep for all candidates; each candidate stops by its own rule).
* **Batched refits.** :func:`fit_folds_da` fits a group of folds (:func:`fold_groups`: up to 64 folds of one
  repeat, fixed, so results never depend on ``n_jobs``) at once when X is complete: each fold's scaled and
  deflated block is kept implicit (global centring + per-fold mean shift and sd from one product with the fold
  masks + deflation terms), so a sweep of every (fold, candidate) pair is one batched product with the folds'
  ``XᵀY`` (``a ∝ soft(M b)``, ``b ∝ Mᵀa``). Same model and stopping rule as the one-fold refit (to rounding);
  folds with missing values or dropped columns use :func:`fit_fold_da`.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special

from .._conventions import ValidationError
from ._engine import leading_singular_pair
from ._nipals import na_regression, split_missing
from ._preprocess import Scaling, apply_scaling, near_zero_var, scale_block

__all__ = [
    "stratified_folds",
    "random_folds",
    "loo_folds",
    "fold_labels",
    "draw_folds",
    "check_validation",
    "FoldModelDA",
    "fit_fold_da",
    "fit_folds_da",
    "classify",
    "code_labels",
    "predict_fold_da",
    "predict_candidates_max",
    "predict_group_max",
    "predict_group_da",
    "sparse_components",
    "chunks",
    "fold_groups",
    "group_size",
    "n_chunks_for",
    "class_errors",
    "ttest_choice",
    "first_min",
    "auc_one_vs_rest",
]


# --------------------------------------------------------------------------- folds
def stratified_folds(codes: np.ndarray, folds: int, rng: np.random.Generator) -> np.ndarray:
    """Stratified fold labels (0..F−1), mixOmics' scheme: per class shuffle and cut into ``folds`` groups of
    near-equal size, shuffle the group order, then merge group g of every class into fold g. Empty folds are
    dropped and the labels renumbered."""
    codes = np.asarray(codes)
    n = codes.shape[0]
    labels = np.empty(n, dtype=np.intp)
    for k in np.unique(codes):
        idx = rng.permutation(np.flatnonzero(codes == k))
        groups = np.array_split(idx, folds)
        order = rng.permutation(folds)
        for g, grp in zip(order, groups, strict=True):
            labels[grp] = g
    _, labels = np.unique(labels, return_inverse=True)  # drop empty folds
    return labels.astype(np.intp)


def random_folds(n: int, folds: int, rng: np.random.Generator) -> np.ndarray:
    """Unstratified fold labels: a random permutation cut into ``folds`` near-equal groups."""
    labels = np.empty(n, dtype=np.intp)
    for g, grp in enumerate(np.array_split(rng.permutation(n), folds)):
        labels[grp] = g
    return labels


def loo_folds(n: int) -> np.ndarray:
    """Leave-one-out: sample i is fold i."""
    return np.arange(n, dtype=np.intp)


def fold_labels(assignment, n: int, *, what: str = "fold_assignments") -> np.ndarray:
    """One repeat's explicit folds as labels 0..F−1 (fold order kept).

    ``assignment`` is either a length-n sequence of fold labels (any integers or strings), or a sequence of
    0-based index arrays, one per fold, that partition ``range(n)``.
    """
    if isinstance(assignment, np.ndarray) and assignment.ndim == 1 and assignment.dtype != object:
        items = assignment
        nested = False
    else:
        items = list(assignment)
        nested = len(items) > 0 and all(
            not np.isscalar(x) and not isinstance(x, (str, bytes)) for x in items
        )
    if nested:
        labels = np.full(n, -1, dtype=np.intp)
        for g, idx in enumerate(items):
            idx = np.asarray(idx)
            if idx.size == 0:
                raise ValidationError(f"{what}: fold {g} is empty")
            if not np.issubdtype(idx.dtype, np.integer):
                raise ValidationError(f"{what}: fold {g} must hold integer (0-based) sample indices")
            if idx.min() < 0 or idx.max() >= n:
                raise ValidationError(
                    f"{what}: fold {g} has indices outside [0, {n - 1}] (indices are 0-based; convert R's 1-based "
                    f"folds with `np.asarray(fold) - 1`)"
                )
            if np.any(labels[idx] >= 0) or np.unique(idx).size != idx.size:
                raise ValidationError(f"{what}: sample(s) {idx[labels[idx] >= 0][:5].tolist()} appear in two folds")
            labels[idx] = g
        if np.any(labels < 0):
            raise ValidationError(
                f"{what}: the folds do not cover every sample; missing e.g. {np.flatnonzero(labels < 0)[:5].tolist()}"
            )
        return labels
    arr = np.asarray(items)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValidationError(
            f"{what}: expected one fold label per sample ({n}) or a list of index arrays, got {arr.shape[0] if arr.ndim == 1 else arr.shape} labels"
        )
    if arr.dtype.kind == "f" and np.isnan(arr).any():
        raise ValidationError(f"{what}: fold labels contain NaN")
    _, labels = np.unique(arr, return_inverse=True)
    return labels.astype(np.intp)


def check_validation(validation: str, folds, n: int) -> tuple[str, int]:
    """Normalise ``validation`` ("Mfold"/"loo", case-insensitive) and check ``folds`` (2 ≤ folds ≤ n)."""
    if not isinstance(validation, str) or validation.lower() not in ("mfold", "loo"):
        raise ValidationError(f"validation must be 'Mfold' or 'loo', got {validation!r}")
    validation = "Mfold" if validation.lower() == "mfold" else "loo"
    if validation == "loo":
        return validation, n
    if isinstance(folds, bool) or not isinstance(folds, numbers.Integral) or folds < 2:
        raise ValidationError(f"folds must be an integer >= 2, got {folds!r}")
    if folds > n:
        raise ValidationError(f"folds={folds} is larger than the number of samples ({n}); use validation='loo'")
    return validation, int(folds)


def draw_folds(
    n: int,
    *,
    validation: str,
    folds: int,
    nrepeat: int,
    codes: np.ndarray | None,
    fold_assignments,
    rngs: Sequence[np.random.Generator] | None,
) -> list[np.ndarray]:
    """Fold labels for each repeat: explicit ones (validated), LOO, or drawn (stratified when ``codes`` given)."""
    if fold_assignments is not None:
        if isinstance(fold_assignments, (str, bytes)) or not isinstance(fold_assignments, Sequence | np.ndarray):
            raise ValidationError("fold_assignments must be a list with one entry per repeat")
        fa = list(fold_assignments)
        if len(fa) != nrepeat:
            raise ValidationError(f"fold_assignments has {len(fa)} repeat(s), nrepeat={nrepeat}")
        out = [fold_labels(a, n, what=f"fold_assignments[{r}]") for r, a in enumerate(fa)]
        for r, lab in enumerate(out):
            if lab.max() < 1:
                raise ValidationError(f"fold_assignments[{r}] has a single fold: there would be no training samples")
        return out
    if validation == "loo":
        return [loo_folds(n) for _ in range(nrepeat)]
    assert rngs is not None
    if codes is not None:
        return [stratified_folds(codes, folds, g) for g in rngs]
    return [random_folds(n, folds, g) for g in rngs]


# --------------------------------------------------------------------------- lean sPLS-DA refits
def _soft_columns(Z: np.ndarray, keeps: np.ndarray) -> np.ndarray:
    """Column-wise soft threshold (``keeps[j]`` of p per column); same arithmetic as :func:`soft_threshold`."""
    p = Z.shape[0]
    out = Z.copy()
    todo = np.flatnonzero(keeps < p)
    if todo.size == 0:
        return out
    Zs = Z[:, todo]
    absZ = np.abs(Zs)
    srt = np.sort(absZ, axis=0)
    thr = srt[p - keeps[todo], np.arange(todo.size)]  # rank (max-ties) > p − k  ⇔  |z| ≥ sorted[p − k]
    selected = absZ >= thr
    lam = np.where(selected, -np.inf, absZ).max(axis=0)
    shrink = np.where(selected, np.sign(Zs) * (absZ - lam), 0.0)
    allsel = ~np.isfinite(lam)
    if allsel.any():
        shrink[:, allsel] = Zs[:, allsel]
    out[:, todo] = shrink
    return out


def _variates(Rz: np.ndarray, mask: np.ndarray | None, A: np.ndarray) -> np.ndarray:
    """NA-aware ``t = X a / Σ_obs a²`` for every column of A (``X A`` when complete, ‖a‖ = 1)."""
    num = Rz @ A
    if mask is None:
        return num
    den = mask @ (A * A)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = num / den
    return np.where(den > 0, out, 0.0)


def _norm_cols(A: np.ndarray) -> np.ndarray:
    return A / np.sqrt(np.sum(A * A, axis=0))


def sparse_components(
    Rx: np.ndarray, mx, Ry: np.ndarray, my, keeps: Sequence[int], *, keep_y: int, tol: float, max_iter: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One sPLS component for each keepX candidate, fitted together (shared start: one SVD of ``XᵀY``).

    Returns loadings A (p × m), X variates T (n × m) and the number of sweeps per candidate. Candidate j stops
    after the first sweep with ``max(‖Δa‖², ‖Δb‖²) < tol``, or after ``max_iter + 1`` sweeps, as the engine.
    """
    keeps = np.asarray(keeps, dtype=np.intp)
    m = keeps.size
    M = Rx.T @ Ry
    if not np.any(M):
        raise ValidationError("a CV fold cannot be fitted: the deflated X and Y blocks are uncorrelated (XᵀY = 0)")
    a0, b0 = leading_singular_pair(M)
    a0 = a0 / np.linalg.norm(a0)
    b0 = b0 / np.linalg.norm(b0)
    A = np.repeat(a0[:, None], m, axis=1)
    B = np.repeat(b0[:, None], m, axis=1)
    U = _variates(Ry, my, B)
    A_out, T_out = np.empty((Rx.shape[1], m)), np.empty((Rx.shape[0], m))
    iters = np.zeros(m, dtype=np.intp)
    active = np.arange(m)
    q = Ry.shape[1]
    ky = np.full(m, keep_y, dtype=np.intp)
    it = 1
    while True:
        A_old, B_old = A, B
        A = _norm_cols(_soft_columns(Rx.T @ U, keeps[active]))
        T = _variates(Rx, mx, A)
        Bn = Ry.T @ T
        if keep_y < q:
            Bn = _soft_columns(Bn, ky[active])
        B = _norm_cols(Bn)
        U = _variates(Ry, my, B)
        change = np.maximum(np.sum((A - A_old) ** 2, axis=0), np.sum((B - B_old) ** 2, axis=0))
        done = change < tol
        if it > max_iter:
            done[:] = True
        if done.any():
            idx = active[done]
            A_out[:, idx], T_out[:, idx] = A[:, done], T[:, done]
            iters[idx] = it
            keep = ~done
            active = active[keep]
            if active.size == 0:
                break
            A, B, U = A[:, keep], B[:, keep], U[:, keep]
        it += 1
    return A_out, T_out, iters


def _scale_fast(X: np.ndarray, scale: bool):
    """Centre/scale a block (n−1 sd, zero-sd columns → 0); complete data takes a fast path without NaN logic."""
    if not np.isnan(X).any():
        mean = X.mean(axis=0)
        Xc = X - mean
        if not scale:
            return Xc, Scaling(mean, None)
        sd = np.sqrt(np.einsum("ij,ij->j", Xc, Xc) / (X.shape[0] - 1))
        bad = ~(sd > 0)
        if bad.any():
            Xc[:, bad] = 0.0
            sd = np.where(bad, 0.0, sd)
            return Xc / np.where(bad, 1.0, sd), Scaling(mean, sd)
        return Xc / sd, Scaling(mean, sd)
    return scale_block(X, center=True, scale=scale)


@dataclass
class FoldModelDA:
    """A fold's sPLS-DA refit, reduced to what prediction needs.

    Components 1..H−1 are shared (``W_fixed``, ``T_fixed``); candidate j adds ``W_cand[:, j]``/``T_cand[:, j]``
    as component H (no candidates: the fixed chain is the model). ``kept`` are the X columns used.
    """

    kept: np.ndarray
    x_scaling: Scaling
    y_scaling: Scaling
    Xz: np.ndarray
    Ys: np.ndarray
    dummy: np.ndarray
    W_fixed: np.ndarray
    T_fixed: np.ndarray
    W_cand: np.ndarray | None
    T_cand: np.ndarray | None
    n_iter_fixed: list[int]
    n_iter_cand: np.ndarray | None
    P_fixed: np.ndarray | None = None  # Xzᵀ T_fixed / Xzᵀ T_cand when precomputed (then Xz may be None)
    P_cand: np.ndarray | None = None

    @property
    def n_candidates(self) -> int:
        return 1 if self.W_cand is None else self.W_cand.shape[1]

    def W(self, j: int) -> np.ndarray:
        return self.W_fixed if self.W_cand is None else np.column_stack([self.W_fixed, self.W_cand[:, j]])

    def T(self, j: int) -> np.ndarray:
        return self.T_fixed if self.T_cand is None else np.column_stack([self.T_fixed, self.T_cand[:, j]])

    def n_iter(self, j: int) -> np.ndarray:
        extra = [] if self.n_iter_cand is None else [int(self.n_iter_cand[j])]
        return np.array(self.n_iter_fixed + extra, dtype=np.intp)


def fit_fold_da(
    X_train: np.ndarray,
    dummy_train: np.ndarray,
    fixed_keeps: Sequence[int],
    cand_keeps: Sequence[int],
    *,
    scale: bool,
    tol: float,
    max_iter: int,
    nzv: bool = False,
) -> FoldModelDA:
    """Refit sPLS-DA on one training fold: components with ``fixed_keeps`` (shared), then one last component per
    keepX in ``cand_keeps`` (``cand_keeps`` may be empty: only the fixed chain). Zero-variance training columns
    (and near-zero-variance ones with ``nzv``) are dropped and keepX capped, as mixOmics' CV does."""
    if np.isnan(X_train).any():
        with np.errstate(invalid="ignore"):
            sd = np.nanstd(X_train, axis=0)
        kept = sd > 0
    else:
        kept = np.ptp(X_train, axis=0) > 0
    if nzv:
        kept[near_zero_var(X_train)] = False
    if not kept.any():
        raise ValidationError("a CV training fold has no column with non-zero variance")
    Xk = X_train if kept.all() else X_train[:, kept]
    pk = Xk.shape[1]
    Xs, sx = _scale_fast(Xk, scale)
    Ys, sy = _scale_fast(dummy_train, scale)
    Rx, mx = split_missing(Xs)
    Ry, my = split_missing(Ys)
    Xz = Rx
    Rx, Ry = Rx.copy(), Ry.copy()
    K = Ys.shape[1]
    W_fixed, T_fixed, it_fixed = [], [], []
    for h, k in enumerate(fixed_keeps):
        a, t, its = sparse_components(Rx, mx, Ry, my, [min(int(k), pk)], keep_y=K, tol=tol, max_iter=max_iter)
        a, t = a[:, 0], t[:, 0]
        W_fixed.append(a)
        T_fixed.append(t)
        it_fixed.append(int(its[0]))
        if h == len(fixed_keeps) - 1 and len(cand_keeps) == 0:
            break
        c = na_regression(Rx, mx, t)
        d = na_regression(Ry, my, t)
        Rx -= np.outer(t, c)
        if mx is not None:
            Rx[~mx] = 0.0
        Ry -= np.outer(t, d)
        if my is not None:
            Ry[~my] = 0.0
    Wf = np.column_stack(W_fixed) if W_fixed else np.zeros((pk, 0))
    Tf = np.column_stack(T_fixed) if T_fixed else np.zeros((Xs.shape[0], 0))
    Wc = Tc = itc = None
    if len(cand_keeps):
        Wc, Tc, itc = sparse_components(
            Rx, mx, Ry, my, [min(int(k), pk) for k in cand_keeps], keep_y=K, tol=tol, max_iter=max_iter
        )
    return FoldModelDA(kept=kept, x_scaling=sx, y_scaling=sy, Xz=Xz, Ys=Ys, dummy=dummy_train, W_fixed=Wf,
                       T_fixed=Tf, W_cand=Wc, T_cand=Tc, n_iter_fixed=it_fixed, n_iter_cand=itc)


def _soft_rows(Z: np.ndarray, keeps: np.ndarray) -> np.ndarray:
    """Row-wise soft threshold of a stack ``Z`` (a × p), ``keeps[i]`` of p kept in row i (as :func:`_soft_columns`)."""
    a, p = Z.shape
    todo = keeps < p
    if not todo.any():
        return Z.copy()
    absZ = np.abs(Z)
    srt = np.sort(absZ, axis=1)
    rows = np.arange(a)
    thr = srt[rows, np.where(todo, p - keeps, 0)]
    selected = absZ >= thr[:, None]
    lam = np.where(selected, -np.inf, absZ).max(axis=1)
    allsel = ~np.isfinite(lam)
    shrink = np.where(selected, np.sign(Z) * (absZ - np.where(allsel, 0.0, lam)[:, None]), 0.0)
    keep_raw = ~todo | allsel
    if keep_raw.any():
        shrink[keep_raw] = Z[keep_raw]
    return shrink


def _batched_components(Ms: np.ndarray, keeps: np.ndarray, *, tol: float, max_iter: int):
    """:func:`sparse_components` for complete data, every (fold, candidate) pair advancing together.

    ``Ms`` is the stack (F × p × q) of the folds' cross-products ``XᵀY``; with complete data the sweep
    ``a ∝ soft(Xᵀ(Y b))``, ``b ∝ Yᵀ(X a)`` is ``a ∝ soft(M b)``, ``b ∝ Mᵀ a`` (no keepY sparsity: DA). Every pair
    stops by its own rule (``max(‖Δa‖², ‖Δb‖²) < tol`` or ``max_iter + 1`` sweeps). Returns loadings (F × p × m)
    and sweeps (F × m).
    """
    F, p, q = Ms.shape
    m = keeps.size
    if not np.all(np.any(Ms, axis=(1, 2))):
        raise ValidationError("a CV fold cannot be fitted: the deflated X and Y blocks are uncorrelated (XᵀY = 0)")
    if min(p, q) > 1:  # one stacked SVD (the same LAPACK call per fold as leading_singular_pair)
        U, _, Vt = np.linalg.svd(Ms, full_matrices=False)
        A0, B0 = U[:, :, 0], Vt[:, 0, :]
    else:
        pairs = [leading_singular_pair(M) for M in Ms]
        A0 = np.stack([a for a, _ in pairs])
        B0 = np.stack([b for _, b in pairs])
    A0 = A0 / np.sqrt(np.sum(A0 * A0, axis=1))[:, None]
    B0 = B0 / np.sqrt(np.sum(B0 * B0, axis=1))[:, None]
    fi = np.repeat(np.arange(F), m)  # item → fold
    ki = np.tile(keeps, F)  # item → keep
    A = A0[fi]
    B = B0[fi]
    Ma = Ms[fi]
    A_out = np.empty((F * m, p))
    iters = np.zeros(F * m, dtype=np.intp)
    active = np.arange(F * m)
    it = 1
    while True:
        A_old, B_old = A, B
        Z = np.matmul(Ma, B[:, :, None])[:, :, 0]
        Z = _soft_rows(Z, ki)
        A = Z / np.sqrt(np.sum(Z * Z, axis=1))[:, None]
        Bn = np.matmul(A[:, None, :], Ma)[:, 0, :]
        B = Bn / np.sqrt(np.sum(Bn * Bn, axis=1))[:, None]
        change = np.maximum(np.sum((A - A_old) ** 2, axis=1), np.sum((B - B_old) ** 2, axis=1))
        done = change < tol
        if it > max_iter:
            done[:] = True
        if done.any():
            idx = active[done]
            A_out[idx] = A[done]
            iters[idx] = it
            keep = ~done
            active = active[keep]
            if active.size == 0:
                break
            A, B, Ma, ki = A[keep], B[keep], Ma[keep], ki[keep]
        it += 1
    return A_out.reshape(F, m, p).transpose(0, 2, 1), iters.reshape(F, m)


def _fit_folds_stacked(X, dummy, trains, fixed_keeps, cand_keeps, *, scale, tol, max_iter) -> list[FoldModelDA]:
    """Complete data: every fold's scaled, deflated training block is kept *implicit*.

    With ``Xc`` the globally centred X, fold f's block is ``X_f = (Xc_f − δ_f) / s_f`` (``δ_f`` its training mean
    minus the global mean, ``s_f`` its training sd; one product with the fold masks gives all folds' statistics),
    minus the deflation terms ``Σ_l t_l c_lᵀ``. So ``X_fᵀ V`` and ``X_f A`` for all folds are a single product
    with ``Xc`` each, and no n × p block is formed per fold. Folds with a (near) constant training column go
    through :func:`fit_fold_da` (mixOmics drops such columns).
    """
    n, p = X.shape
    F = len(trains)
    Mask = np.stack([np.asarray(t, dtype=bool) for t in trains])  # F × n
    Wm = Mask.astype(np.float64)
    nf = Wm.sum(axis=1)  # training sizes
    mu = X.mean(axis=0)
    Xc = X - mu
    delta = (Wm @ Xc) / nf[:, None]  # F × p: training mean − global mean
    if scale:
        var = ((Wm @ (Xc * Xc)) - nf[:, None] * delta * delta) / (nf[:, None] - 1)
        gvar = np.einsum("ij,ij->j", Xc, Xc) / (n - 1)
        ok = np.all(var > 1e-10 * gvar, axis=1) & np.all(gvar > 0)
        sd = np.sqrt(np.where(var > 0, var, 1.0))
    else:
        ptp_ok = np.ptp(X, axis=0) > 0
        ok = np.array([ptp_ok.all() and np.all(np.ptp(X[t], axis=0) > 0) for t in Mask])
        sd = np.ones((F, p))
    out: list[FoldModelDA | None] = [None] * F
    for f in np.flatnonzero(~ok):
        t = Mask[f]
        out[f] = fit_fold_da(X[t], dummy[t], fixed_keeps, cand_keeps, scale=scale, tol=tol, max_iter=max_iter)
    idx = np.flatnonzero(ok)
    if idx.size == 0:
        return out
    Mask, Wm, nf, delta, sd = Mask[idx], Wm[idx], nf[idx], delta[idx], sd[idx]
    F = idx.size
    K = dummy.shape[1]
    Ry = np.zeros((F, n, K))
    ys = []
    for g in range(F):
        Ys, sy = _scale_fast(dummy[Mask[g]], scale)
        Ry[g, Mask[g]] = Ys
        ys.append((Ys, sy))
    inv = 1.0 / sd  # F × p
    TC: list[tuple[np.ndarray, np.ndarray]] = []  # (t_l: F × n, c_l: F × p)

    def xt(V, deflated=True):  # X_fᵀ V_f for V (F × n × k) zero on test rows → F × p × k
        k = V.shape[2]
        raw = (Xc.T @ V.transpose(1, 0, 2).reshape(n, F * k)).reshape(p, F, k).transpose(1, 0, 2)
        res = (raw - delta[:, :, None] * V.sum(axis=1)[:, None, :]) * inv[:, :, None]
        if deflated:
            for t, c in TC:
                res = res - c[:, :, None] * np.einsum("fn,fnk->fk", t, V)[:, None, :]
        return res

    def xa(A):  # X_f A_f for A (F × p × k) → F × n × k, zero on test rows
        k = A.shape[2]
        As = A * inv[:, :, None]
        raw = (Xc @ As.transpose(1, 0, 2).reshape(p, F * k)).reshape(n, F, k).transpose(1, 0, 2)
        res = raw - np.einsum("fp,fpk->fk", delta, As)[:, None, :]
        for t, c in TC:
            res = res - t[:, :, None] * np.einsum("fp,fpk->fk", c, A)[:, None, :]
        return res * Mask[:, :, None]

    stages = [[min(int(k), p)] for k in fixed_keeps]
    if len(cand_keeps):
        stages.append([min(int(k), p) for k in cand_keeps])
    W_fixed, T_fixed, it_fixed = [], [], []
    Wc = Tc = itc = None
    for h, keeps in enumerate(stages):
        Ms = xt(Ry)
        A, its = _batched_components(Ms, np.asarray(keeps, dtype=np.intp), tol=tol, max_iter=max_iter)
        T = xa(A)
        if h == len(fixed_keeps):
            Wc, Tc, itc = A, T, its
            break
        W_fixed.append(A[:, :, 0])
        T_fixed.append(T[:, :, 0])
        it_fixed.append(its[:, 0])
        if h == len(stages) - 1:
            break
        t = T[:, :, 0]
        tt = np.einsum("fn,fn->f", t, t)
        with np.errstate(invalid="ignore", divide="ignore"):
            c = np.where(tt[:, None] > 0, xt(t[:, :, None])[:, :, 0] / tt[:, None], 0.0)
            d = np.where(tt[:, None] > 0, np.einsum("fn,fnk->fk", t, Ry) / tt[:, None], 0.0)
        TC.append((t, c))
        Ry = Ry - t[:, :, None] * d[:, None, :]
    Wf = np.stack(W_fixed, axis=2) if W_fixed else np.zeros((F, p, 0))
    Tf = np.stack(T_fixed, axis=2) if T_fixed else np.zeros((F, n, 0))
    TC.clear()
    Pf = xt(Tf, deflated=False) if Tf.shape[2] else np.zeros((F, p, 0))
    Pc = xt(Tc, deflated=False) if Tc is not None else None
    kept = np.ones(p, dtype=bool)
    for g, f in enumerate(idx):
        tr = Mask[g]
        Ys, sy = ys[g]
        sx = Scaling(mu + delta[g], sd[g] if scale else None)
        out[f] = FoldModelDA(kept=kept, x_scaling=sx, y_scaling=sy, Xz=None, Ys=Ys, dummy=dummy[tr], W_fixed=Wf[g],
                             T_fixed=Tf[g][tr], W_cand=None if Wc is None else Wc[g],
                             T_cand=None if Tc is None else Tc[g][tr],
                             n_iter_fixed=[int(x[g]) for x in it_fixed], n_iter_cand=None if itc is None else itc[g],
                             P_fixed=Pf[g], P_cand=None if Pc is None else Pc[g])
    return out


def fit_folds_da(
    X: np.ndarray,
    dummy: np.ndarray,
    trains: Sequence[np.ndarray],
    fixed_keeps: Sequence[int],
    cand_keeps: Sequence[int],
    *,
    scale: bool,
    tol: float,
    max_iter: int,
    nzv: bool = False,
) -> list[FoldModelDA]:
    """:func:`fit_fold_da` for several training folds (boolean row masks ``trains``) at once.

    Folds with complete data and no dropped column are fitted together (:func:`_batched_components`: one batched
    product per sweep for all folds and candidates); the others (missing values, zero-variance or ``nzv``
    columns) go through :func:`fit_fold_da`. Each fold's result does not depend on the other folds.
    """
    out: list[FoldModelDA | None] = [None] * len(trains)
    prep = []
    complete = not np.isnan(X).any()
    if complete and not nzv:
        return _fit_folds_stacked(X, dummy, trains, fixed_keeps, cand_keeps, scale=scale, tol=tol,
                                  max_iter=max_iter)
    for i, train in enumerate(trains):
        Xtr, dtr = X[train], dummy[train]
        if nzv or not complete or not np.all(np.ptp(Xtr, axis=0) > 0):
            out[i] = fit_fold_da(Xtr, dtr, fixed_keeps, cand_keeps, scale=scale, tol=tol, max_iter=max_iter, nzv=nzv)
            continue
        Xs, sx = _scale_fast(Xtr, scale)
        Ys, sy = _scale_fast(dtr, scale)
        prep.append((i, dtr, Xs, sx, Ys, sy))
    if not prep:
        return out
    p = X.shape[1]
    F = len(prep)
    # X is deflated implicitly: X_h = Xs − Σ_{l<h} t_l c_lᵀ (no n × p copy per fold); Y (n × K) explicitly
    Rys = [Ys.copy() for _, _, _, _, Ys, _ in prep]
    TC = [[] for _ in range(F)]  # (t_l, c_l) per fold
    W_fixed = [[] for _ in range(F)]
    T_fixed = [[] for _ in range(F)]
    it_fixed = [[] for _ in range(F)]
    stages = [[min(int(k), p)] for k in fixed_keeps]
    if len(cand_keeps):
        stages.append([min(int(k), p) for k in cand_keeps])
    Wc = Tc = itc = None

    def xt_v(f, v):  # X_hᵀ v
        out = prep[f][2].T @ v
        for t, c in TC[f]:
            out = out - np.outer(c, t @ v) if v.ndim == 2 else out - c * (t @ v)
        return out

    def x_a(f, a):  # X_h a
        out = prep[f][2] @ a
        for t, c in TC[f]:
            out = out - np.outer(t, c @ a) if a.ndim == 2 else out - t * (c @ a)
        return out

    for h, keeps in enumerate(stages):
        Ms = np.stack([xt_v(f, Rys[f]) for f in range(F)])
        A, its = _batched_components(Ms, np.asarray(keeps, dtype=np.intp), tol=tol, max_iter=max_iter)
        if h == len(fixed_keeps):  # the candidates
            Wc = [A[f] for f in range(F)]
            Tc = [x_a(f, A[f]) for f in range(F)]
            itc = [its[f] for f in range(F)]
            break
        last = h == len(stages) - 1
        for f in range(F):
            a = A[f, :, 0]
            t = x_a(f, a)
            W_fixed[f].append(a)
            T_fixed[f].append(t)
            it_fixed[f].append(int(its[f, 0]))
            if last:
                continue
            tt = float(t @ t)
            c = xt_v(f, t) / tt if tt > 0 else np.zeros(p)
            TC[f].append((t, c))
            Rys[f] -= np.outer(t, na_regression(Rys[f], None, t))
    for f, (i, dtr, Xs, sx, Ys, sy) in enumerate(prep):
        Wf = np.column_stack(W_fixed[f]) if W_fixed[f] else np.zeros((p, 0))
        Tf = np.column_stack(T_fixed[f]) if T_fixed[f] else np.zeros((Xs.shape[0], 0))
        out[i] = FoldModelDA(kept=np.ones(p, dtype=bool), x_scaling=sx, y_scaling=sy, Xz=Xs, Ys=Ys, dummy=dtr,
                             W_fixed=Wf, T_fixed=Tf, W_cand=None if Wc is None else Wc[f],
                             T_cand=None if Tc is None else Tc[f], n_iter_fixed=it_fixed[f],
                             n_iter_cand=None if itc is None else itc[f])
    return out


def predict_fold_da(model: FoldModelDA, X_test: np.ndarray, comps: Sequence[int], dists: Sequence[str],
                    mahalanobis: str = "mixomics", candidates: Sequence[int] | None = None):
    """Predict held-out rows with each candidate of a fold model and each number of components in ``comps``.

    Returns ``(Yhat, codes)`` with ``Yhat[j][h]`` (n_test × K, original dummy scale) and ``codes[j][dist][h] =
    (class indices, ties)`` (index −1 for a tie, which counts as an error; see :func:`classify`).
    """
    Xt = X_test if model.kept.all() else X_test[:, model.kept]
    Xs = apply_scaling(Xt, model.x_scaling)
    if np.isnan(Xs).any():
        Xs = np.where(np.isnan(Xs), 0.0, Xs)
    sy = model.y_scaling
    cands = range(model.n_candidates) if candidates is None else candidates
    # shared pieces: projections of the fixed components, then all candidates' last column in one product
    P_fixed = model.Xz.T @ model.T_fixed if model.P_fixed is None else model.P_fixed
    C_fixed = model.Ys.T @ model.T_fixed
    if model.T_cand is not None:
        P_c = model.Xz.T @ model.T_cand if model.P_cand is None else model.P_cand
        C_c = model.Ys.T @ model.T_cand
    need_var = any(d != "max.dist" for d in dists)
    counts = model.dummy.sum(axis=0)
    present = counts > 0
    Yhats, codes = [], []
    for j in cands:
        W, T = model.W(j), model.T(j)
        if model.T_cand is None:
            P, C = P_fixed, C_fixed
        else:
            P, C = np.column_stack([P_fixed, P_c[:, j]]), np.column_stack([C_fixed, C_c[:, j]])
        tt = np.sum(T * T, axis=0)
        Yj, cj = {}, {d: {} for d in dists}
        for h in comps:
            Wh, Ph, Ch = W[:, :h], P[:, :h], C[:, :h]
            PW = Ph.T @ Wh
            Yh = Xs @ (Wh @ np.linalg.solve(PW, Ch.T))
            if sy.scale is not None:
                Yh = Yh * sy.scale
            Yh = Yh + sy.mean
            Yj[h] = Yh
            if need_var:
                var = Xs @ (Wh @ np.linalg.solve(PW, np.diag(tt[:h])))
                with np.errstate(invalid="ignore", divide="ignore"):
                    G = (model.dummy.T @ T[:, :h]) / counts[:, None]
            for d in dists:
                if d == "max.dist":
                    cj[d][h] = classify(Yh, largest=True)
                    continue
                D = var[:, None, :] - G[None, :, :]  # n × K × h
                if d == "centroids.dist":
                    dist = (D**2).sum(axis=2)
                else:
                    resid = T[:, :h] - model.dummy @ np.where(present[:, None], G, 0.0)
                    S = resid.T @ resid / T.shape[0]
                    Sinv = np.linalg.inv(S)
                    if h == 1:
                        dist = D[:, :, 0] ** 2 * Sinv[0, 0]
                    elif mahalanobis == "textbook":
                        dist = np.einsum("nkh,hg,nkg->nk", D, Sinv, D)
                    else:
                        Dp = D[:, present, :]
                        Mk = np.einsum("nkh,hg,nlg->nkl", Dp, Sinv, Dp)
                        dist = np.full(D.shape[:2], np.inf)
                        dist[:, present] = (Mk**2).sum(axis=2)
                dist = np.where(present[None, :], dist, np.inf)
                cj[d][h] = classify(dist, largest=False)
        Yhats.append(Yj)
        codes.append(cj)
    return Yhats, codes


def predict_candidates_max(model: FoldModelDA, X_test: np.ndarray, h: int) -> np.ndarray:
    """max.dist class codes (candidates × n_test; −1 = tie) of every candidate of a fold model with ``h``
    components: :func:`predict_fold_da` for one distance and one number of components, all candidates in
    batched products."""
    Xt = X_test if model.kept.all() else X_test[:, model.kept]
    Xs = apply_scaling(Xt, model.x_scaling)
    if np.isnan(Xs).any():
        Xs = np.where(np.isnan(Xs), 0.0, Xs)
    sy = model.y_scaling
    m = model.n_candidates
    hf = model.W_fixed.shape[1]
    if model.T_cand is None or h <= hf:
        W = np.broadcast_to(model.W_fixed[:, :h], (m,) + model.W_fixed[:, :h].shape)
        T = np.broadcast_to(model.T_fixed[:, :h], (m,) + model.T_fixed[:, :h].shape)
    else:
        W = np.concatenate([np.broadcast_to(model.W_fixed, (m,) + model.W_fixed.shape),
                            model.W_cand.T[:, :, None]], axis=2)
        T = np.concatenate([np.broadcast_to(model.T_fixed, (m,) + model.T_fixed.shape),
                            model.T_cand.T[:, :, None]], axis=2)
    if model.P_fixed is not None:
        if model.T_cand is None or h <= hf:
            P = np.broadcast_to(model.P_fixed[:, :h], W.shape)
        else:
            P = np.concatenate([np.broadcast_to(model.P_fixed, (m,) + model.P_fixed.shape),
                                model.P_cand.T[:, :, None]], axis=2)
    else:
        P = np.matmul(model.Xz.T, T)  # m × p × h
    C = np.matmul(model.Ys.T, T)  # m × K × h
    PW = np.matmul(P.transpose(0, 2, 1), W)
    coef = np.matmul(W, np.linalg.solve(PW, C.transpose(0, 2, 1)))  # m × p × K
    Yh = np.matmul(Xs, coef)
    if sy.scale is not None:
        Yh = Yh * sy.scale
    Yh = Yh + sy.mean
    nt, K = Yh.shape[1], Yh.shape[2]
    return classify(Yh.reshape(m * nt, K), largest=True)[0].reshape(m, nt)


def predict_group_max(models: Sequence[FoldModelDA], X_tests: Sequence[np.ndarray], h: int) -> list[np.ndarray]:
    """:func:`predict_candidates_max` for a group of fold models (all from the batched refit, each with one
    candidate component after its fixed chain, ``h`` = fixed + 1), the small solves of all folds and candidates
    stacked. Falls back to :func:`predict_candidates_max` per fold otherwise."""
    ok = all(md.P_fixed is not None and md.T_cand is not None and md.W_fixed.shape[1] == h - 1
             and md.kept.all() for md in models)
    if not ok or not models:
        return [predict_candidates_max(md, Xt, h) for md, Xt in zip(models, X_tests, strict=True)]
    F, m = len(models), models[0].n_candidates
    p, K = models[0].W_fixed.shape[0], models[0].Ys.shape[1]
    W = np.empty((F, m, p, h))
    P = np.empty((F, m, p, h))
    C = np.empty((F, m, K, h))
    for f, md in enumerate(models):
        W[f, :, :, : h - 1] = md.W_fixed
        W[f, :, :, h - 1] = md.W_cand.T
        P[f, :, :, : h - 1] = md.P_fixed
        P[f, :, :, h - 1] = md.P_cand.T
        C[f, :, :, : h - 1] = md.Ys.T @ md.T_fixed
        C[f, :, :, h - 1] = (md.Ys.T @ md.T_cand).T
    PW = np.matmul(P.transpose(0, 1, 3, 2), W)
    coef = np.matmul(W, np.linalg.solve(PW, C.transpose(0, 1, 3, 2)))  # F × m × p × K
    out = []
    for f, (md, Xt) in enumerate(zip(models, X_tests, strict=True)):
        Xs = apply_scaling(Xt, md.x_scaling)
        Yh = np.matmul(Xs, coef[f])  # m × nt × K
        sy = md.y_scaling
        if sy.scale is not None:
            Yh = Yh * sy.scale
        Yh = Yh + sy.mean
        nt = Yh.shape[1]
        out.append(classify(Yh.reshape(m * nt, K), largest=True)[0].reshape(m, nt))
    return out


def predict_group_da(models: Sequence[FoldModelDA], X_tests: Sequence[np.ndarray], comps: Sequence[int],
                     dists: Sequence[str], mahalanobis: str = "mixomics"):
    """:func:`predict_fold_da` for a group of single-model folds (``W_cand`` None) from the batched refit: the
    small per-fold solves are stacked and the held-out rows of all folds are classified together. Returns a list
    ``(Yhat, codes)`` per fold, each as ``predict_fold_da(...)[0][0], [1][0]``. Falls back to
    :func:`predict_fold_da` per fold when a fold lacks a class or a model is not from the batched refit."""
    ok = bool(models) and all(md.P_fixed is not None and md.W_cand is None and md.kept.all()
                              and np.all(md.dummy.sum(axis=0) > 0) for md in models)
    if not ok:
        res = [predict_fold_da(md, Xt, comps, dists, mahalanobis) for md, Xt in zip(models, X_tests, strict=True)]
        return [(Y[0], c[0]) for Y, c in res]
    F = len(models)
    W = np.stack([md.W_fixed for md in models])  # F × p × H
    P = np.stack([md.P_fixed for md in models])
    C = np.stack([md.Ys.T @ md.T_fixed for md in models])  # F × K × H
    tt = np.stack([np.sum(md.T_fixed * md.T_fixed, axis=0) for md in models])  # F × H
    counts = [md.dummy.sum(axis=0) for md in models]
    Xs = [apply_scaling(Xt, md.x_scaling) for md, Xt in zip(models, X_tests, strict=True)]
    nts = [x.shape[0] for x in Xs]
    starts = np.concatenate([[0], np.cumsum(nts)])
    fr = np.repeat(np.arange(F), nts)  # held-out row → fold
    need_var = any(d != "max.dist" for d in dists)
    Yhats = [{} for _ in range(F)]
    codes = [{d: {} for d in dists} for _ in range(F)]

    def split(codes_all, ties_all, f):
        lo, hi = starts[f], starts[f + 1]
        return codes_all[lo:hi], {int(i - lo): t for i, t in ties_all.items() if lo <= i < hi}

    for h in comps:
        Wh, Ph, Ch = W[:, :, :h], P[:, :, :h], C[:, :, :h]
        PW = np.matmul(Ph.transpose(0, 2, 1), Wh)
        coef = np.matmul(Wh, np.linalg.solve(PW, Ch.transpose(0, 2, 1)))  # F × p × K
        Yrows = []
        for f, md in enumerate(models):
            Yh = Xs[f] @ coef[f]
            sy = md.y_scaling
            if sy.scale is not None:
                Yh = Yh * sy.scale
            Yh = Yh + sy.mean
            Yhats[f][h] = Yh
            Yrows.append(Yh)
        if need_var:
            diag = np.zeros((F, h, h))
            idx = np.arange(h)
            diag[:, idx, idx] = tt[:, :h]
            Vc = np.matmul(Wh, np.linalg.solve(PW, diag))  # F × p × h
            var = np.concatenate([Xs[f] @ Vc[f] for f in range(F)])  # R × h
            with np.errstate(invalid="ignore", divide="ignore"):
                G = np.stack([(md.dummy.T @ md.T_fixed[:, :h]) / counts[f][:, None] for f, md in enumerate(models)])
            D = var[:, None, :] - G[fr]  # R × K × h
        for d in dists:
            if d == "max.dist":
                c_all, t_all = classify(np.concatenate(Yrows), largest=True)
            else:
                if d == "centroids.dist":
                    dist = (D**2).sum(axis=2)
                else:
                    S = np.stack([(r := md.T_fixed[:, :h] - md.dummy @ G[f]).T @ r / md.T_fixed.shape[0]
                                  for f, md in enumerate(models)])
                    Sinv = np.linalg.inv(S)
                    if h == 1:
                        dist = D[:, :, 0] ** 2 * Sinv[fr, 0, 0][:, None]
                    elif mahalanobis == "textbook":
                        dist = np.einsum("nkh,nhg,nkg->nk", D, Sinv[fr], D)
                    else:
                        Mk = np.einsum("nkh,nhg,nlg->nkl", D, Sinv[fr], D)
                        dist = (Mk**2).sum(axis=2)
                c_all, t_all = classify(dist, largest=False)
            for f in range(F):
                codes[f][d][h] = split(c_all, t_all, f)
    return list(zip(Yhats, codes, strict=True))


def classify(scores: np.ndarray, *, largest: bool) -> tuple[np.ndarray, dict[int, tuple[int, ...]]]:
    """Index of the best score per row, −1 when several classes tie exactly (mixOmics labels those "A/B" and
    counts them as errors); also ``{row: tied class indices}``."""
    best = np.nanmax(scores, axis=1) if largest else np.nanmin(scores, axis=1)
    hits = scores == best[:, None]
    out = np.argmax(hits, axis=1).astype(np.intp)
    multi = np.flatnonzero(hits.sum(axis=1) != 1)
    out[multi] = -1
    return out, {int(i): tuple(int(k) for k in np.flatnonzero(hits[i])) for i in multi}


def code_labels(codes: np.ndarray, ties: dict[int, tuple[int, ...]], levels: np.ndarray) -> np.ndarray:
    """Class codes → labels (object array); a tie (−1) → the tied levels joined by "/" (None when unknown)."""
    out = np.empty(codes.shape, dtype=object)
    ok = codes >= 0
    out[ok] = levels[codes[ok]]
    for i in np.flatnonzero(~ok):
        tied = ties.get(int(i))
        out[i] = None if not tied else "/".join(str(levels[k]) for k in tied)
    return out


def class_errors(codes_pred: np.ndarray, codes_true: np.ndarray, K: int) -> tuple[float, float, np.ndarray]:
    """(overall error, BER, per-class error rates) of predicted class codes (−1 = tie/NA = error)."""
    wrong = codes_pred != codes_true
    per = np.array([wrong[codes_true == k].mean() if np.any(codes_true == k) else np.nan for k in range(K)])
    return float(wrong.mean()), float(np.nanmean(per)), per


# --------------------------------------------------------------------------- selection rules
def _same(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-12 * max(1.0, abs(a), abs(b))


def first_min(values: Sequence[float]) -> int:
    """Index of the first minimum (values within 1e-12 relative of the minimum count as ties); NaN ignored."""
    v = np.asarray(values, dtype=float)
    if np.all(np.isnan(v)):
        return 0
    best = np.nanmin(v)
    for i, x in enumerate(v):
        if not np.isnan(x) and _same(x, best):
            return i
    return int(np.nanargmin(v))  # pragma: no cover


def _welch_greater(x: np.ndarray, y: np.ndarray) -> float:
    """One-sided Welch t-test p-value for mean(x) > mean(y), with R's "data are essentially constant" fallback."""
    x, y = x[~np.isnan(x)], y[~np.isnan(y)]
    if x.size < 2 or y.size < 2:
        return 1.0
    mx, my = x.mean(), y.mean()
    se = np.sqrt(x.var(ddof=1) / x.size + y.var(ddof=1) / y.size)
    if se < 10 * np.finfo(float).eps * max(abs(mx), abs(my)):
        return 0.0 if my / (mx + 0.01) < 0.95 else 1.0
    # Welch's t and Satterthwaite's df (scipy.stats.ttest_ind(equal_var=False) without its per-call overhead)
    vx, vy = x.var(ddof=1) / x.size, y.var(ddof=1) / y.size
    with np.errstate(divide="ignore", invalid="ignore"):
        df = (vx + vy) ** 2 / (vx**2 / (x.size - 1) + vy**2 / (y.size - 1))
        t = (mx - my) / np.sqrt(vx + vy)
    if np.isnan(df):
        df = 1.0
    p = special.stdtr(df, -t)
    return 1.0 if np.isnan(p) else float(p)


def ttest_choice(errors: np.ndarray, alpha: float = 0.01) -> int:
    """mixOmics' ``t.test.process``: ``errors`` is nrepeat × H; start at component 1 and move to a later component
    when a one-sided Welch test says the current choice has a larger mean error (p < alpha). Returns 1-based."""
    errors = np.asarray(errors, dtype=float)
    opt = 0
    for nxt in range(1, errors.shape[1]):
        if _welch_greater(errors[:, opt], errors[:, nxt]) < alpha:
            opt = nxt
    return opt + 1


# --------------------------------------------------------------------------- AUC
def auc_one_vs_rest(scores: np.ndarray, codes_true: np.ndarray, K: int, *, digits: int | None = None) -> np.ndarray:
    """K' × 2 array of (AUC, p-value) for each class against the others (only the first class when K = 2).

    mixOmics' ``statauc`` (:func:`pyomics_bridge.multiomics._auroc.auc_table`): the class is the *higher* group, the
    direction is fixed (an AUC below 0.5, which happens out of fold, is reported as is, never flipped), ties count
    ½; ``se = √((0.25 + (N−2)·0.083333)/(n₁n₀))``, ``z = |AUC − 0.5|/se``, ``p = 2(1 − Φ(z))``. ``digits``: round
    both to that many significant digits (mixOmics rounds to 4).
    """
    from ._auroc import auc_table

    codes_true = np.asarray(codes_true)
    return auc_table(scores, codes_true, list(range(K)), digits=digits).to_numpy(dtype=float)


def chunks(items: list, n_chunks: int) -> list[list]:
    """Split ``items`` into at most ``n_chunks`` contiguous, non-empty pieces (order kept)."""
    n_chunks = max(1, min(n_chunks, len(items)))
    return [[items[i] for i in c] for c in np.array_split(np.arange(len(items)), n_chunks) if len(c)]


def group_size(n: int, p: int, q: int, m: int, budget: int = 64 * 2**20) -> int:
    """Folds per :func:`fold_groups` group: as many as keep the batched arrays (≈ folds × max(m p q, n p)
    doubles) within ``budget`` bytes, between 1 and 256. Depends on the data shape only, never on ``n_jobs``."""
    per_fold = 8 * max(m * p * q, n * max(m, q), p * max(m, q))
    return int(min(256, max(1, budget // per_fold)))


def fold_groups(fold_list: Sequence[np.ndarray], size: int = 64) -> list[list[tuple[int, int]]]:
    """(repeat, fold) items cut into groups of at most ``size`` folds of one repeat, fitted together by
    :func:`fit_folds_da`. The groups never depend on ``n_jobs`` (so neither do the results, to the last bit)."""
    out = []
    for r, lab in enumerate(fold_list):
        nf = int(lab.max()) + 1
        out.extend([(r, f) for f in range(g, min(g + size, nf))] for g in range(0, nf, size))
    return out


def n_chunks_for(n_jobs) -> int:
    """How many tasks to cut a CV loop into (results never depend on it)."""
    from joblib import effective_n_jobs

    from ..settings import settings

    nj = settings.n_jobs if n_jobs is None else n_jobs
    try:
        e = effective_n_jobs(nj)
    except Exception:  # pragma: no cover
        e = 1
    return 1 if e <= 1 else 4 * e


