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
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

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
    "sparse_components",
    "chunks",
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
    A0 = np.empty((F, p))
    B0 = np.empty((F, q))
    for f in range(F):
        if not np.any(Ms[f]):
            raise ValidationError("a CV fold cannot be fitted: the deflated X and Y blocks are uncorrelated (XᵀY = 0)")
        a0, b0 = leading_singular_pair(Ms[f])
        A0[f] = a0 / np.linalg.norm(a0)
        B0[f] = b0 / np.linalg.norm(b0)
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
    Rxs = [Xs.copy() for _, _, Xs, _, _, _ in prep]
    Rys = [Ys.copy() for _, _, _, _, Ys, _ in prep]
    W_fixed = [[] for _ in range(F)]
    T_fixed = [[] for _ in range(F)]
    it_fixed = [[] for _ in range(F)]
    stages = [[min(int(k), p)] for k in fixed_keeps]
    if len(cand_keeps):
        stages.append([min(int(k), p) for k in cand_keeps])
    Wc = Tc = itc = None
    for h, keeps in enumerate(stages):
        Ms = np.stack([Rx.T @ Ry for Rx, Ry in zip(Rxs, Rys, strict=True)])
        A, its = _batched_components(Ms, np.asarray(keeps, dtype=np.intp), tol=tol, max_iter=max_iter)
        if h == len(fixed_keeps):  # the candidates
            Wc = [A[f] for f in range(F)]
            Tc = [Rxs[f] @ A[f] for f in range(F)]
            itc = [its[f] for f in range(F)]
            break
        last = h == len(stages) - 1
        for f in range(F):
            a = A[f, :, 0]
            t = Rxs[f] @ a
            W_fixed[f].append(a)
            T_fixed[f].append(t)
            it_fixed[f].append(int(its[f, 0]))
            if last:
                continue
            Rxs[f] -= np.outer(t, na_regression(Rxs[f], None, t))
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
    P_fixed, C_fixed = model.Xz.T @ model.T_fixed, model.Ys.T @ model.T_fixed
    if model.T_cand is not None:
        P_c, C_c = model.Xz.T @ model.T_cand, model.Ys.T @ model.T_cand
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
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        p = stats.ttest_ind(x, y, equal_var=False, alternative="greater").pvalue
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
def _auc(scores: np.ndarray, is_case: np.ndarray) -> float:
    """pROC-style AUC with ``direction="auto"`` (cases higher unless their median is lower); ties count 1/2."""
    cases, controls = scores[is_case], scores[~is_case]
    if cases.size == 0 or controls.size == 0:
        return np.nan
    ranks = stats.rankdata(np.concatenate([controls, cases]))
    u = ranks[controls.size:].sum() - cases.size * (cases.size + 1) / 2
    auc = u / (cases.size * controls.size)
    if np.median(controls) > np.median(cases):
        auc = 1.0 - auc
    return float(auc)


def auc_one_vs_rest(scores: np.ndarray, codes_true: np.ndarray, K: int) -> np.ndarray:
    """K' × 2 array of (AUC, p-value) for each class against the others (only the first class when K = 2).

    p-value as mixOmics' ``statauc``: ``se = √((0.25 + (N−2)/12)/(n₁n₀))``, ``z = |AUC − 0.5|/se``,
    ``p = 2(1 − Φ(z))``.
    """
    out = []
    for k in range(1 if K == 2 else K):
        case = codes_true == k
        auc = _auc(scores[:, k], case)
        n1, n0 = int(case.sum()), int((~case).sum())
        N = n1 + n0
        if n1 and n0:
            se = np.sqrt((0.25 + (N - 2) * 0.083333) / (n1 * n0))
            pval = 2 * (1 - stats.norm.cdf(abs(auc - 0.5) / se))
        else:
            pval = np.nan
        out.append((auc, pval))
    return np.array(out)


def chunks(items: list, n_chunks: int) -> list[list]:
    """Split ``items`` into at most ``n_chunks`` contiguous, non-empty pieces (order kept)."""
    n_chunks = max(1, min(n_chunks, len(items)))
    return [[items[i] for i in c] for c in np.array_split(np.arange(len(items)), n_chunks) if len(c)]


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


