"""Tuning by cross-validation: ``tune_splsda`` (keepX per component, then ncomp), ``tune_rcc`` (ridge penalties)
and ``tune_block_splsda`` (DIABLO keepX grid), following mixOmics' ``tune.*`` (spec §2.8, §2.12).

tune_splsda, per component c (sequential and greedy):

1. new folds for component c (mixOmics seeds once and continues the stream, so every component gets new folds);
2. in each training fold, components 1..c−1 are refitted once at their chosen keepX and every candidate keepX of
   component c is fitted from the same deflated data (all candidates in one vectorised iteration);
3. the held-out rows are predicted with c components and ``dist``; errors per repeat with ``measure``;
4. ``choice_keepX[c]`` = the smallest mean error, ties (within 1e-12) to the smaller keepX.

``choice_ncomp`` (nrepeat ≥ 3, M-fold): mixOmics' one-sided Welch t-test rule on the per-repeat errors of the
chosen keepX (start at 1, move to a later component when its mean error is significantly smaller, α =
``signif_threshold``).

tune_block_splsda follows the same scheme; per fold, the training blocks are scaled once, components 1..c−1 are
fitted once, and component c of **every** keepX combination (× every start-sign pattern) is iterated together
(:mod:`._block_cv`), then all combinations are predicted and voted in batched products. Folds with missing values
or near-zero-variance filtering refit :class:`~pyomics_bridge.multiomics.BlockSPLSDA` per combination instead
(same results, much slower).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._conventions import ValidationError
from .._parallel import parallel_map, root_seed_sequence
from ._cv import (
    check_validation,
    chunks,
    class_errors,
    draw_folds,
    first_min,
    fit_folds_da,
    fold_groups,
    group_size,
    n_chunks_for,
    predict_candidates_max,
    predict_fold_da,
    predict_group_max,
    ttest_choice,
)
from ._perf import MEASURES, _check_common, _da_inputs
from ._plsda import DISTANCES
from ._rcc import _pairwise_cov
from ._validate import as_block, check_n_components, check_option, check_positive, check_rows

__all__ = ["tune_splsda", "tune_rcc", "tune_block_splsda", "TuneResult", "TuneRCCResult"]


@dataclass
class TuneResult:
    """Result of :func:`tune_splsda` (and, with block grids, ``tune_block_splsda``).

    Attributes
    ----------
    error_rate
        DataFrame (candidates × components): mean error over repeats of each candidate, earlier components at
        their chosen keepX.
    error_rate_sd
        Same shape, sd over repeats (ddof 1; NaN with one repeat).
    error_rate_all
        ``{"comp<c>": DataFrame (candidates × repeats)}``.
    choice_keepX
        Chosen keepX per component (a list; for block grids a dict block → list).
    choice_ncomp
        Chosen number of components (t-test rule), or ``None`` when it cannot be tuned (nrepeat < 3 or LOO).
    choice_ncomp_values
        DataFrame (repeats × components) of the chosen candidates' errors, used by the t-test.
    error_rate_class
        DataFrame (classes × components): per-class error of the chosen candidate, mean over repeats.
    error_rate_class_all
        ``{"comp<c>": DataFrame (classes × repeats)}``.
    folds
        ``{"comp<c>": [fold labels per repeat]}``.
    """

    error_rate: pd.DataFrame
    error_rate_sd: pd.DataFrame
    error_rate_all: dict[str, pd.DataFrame]
    choice_keepX: list[int] | dict[str, list[int]]
    choice_ncomp: int | None
    choice_ncomp_values: pd.DataFrame | None
    error_rate_class: pd.DataFrame
    error_rate_class_all: dict[str, pd.DataFrame]
    measure: str
    dist: str
    validation: str
    nrepeat: int
    folds: dict[str, list[np.ndarray]] = field(default_factory=dict)
    params: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        return (
            f"TuneResult(measure={self.measure!r}, dist={self.dist!r}, validation={self.validation!r}, "
            f"nrepeat={self.nrepeat})\nchoice_keepX={self.choice_keepX}, choice_ncomp={self.choice_ncomp}\n"
            f"error_rate:\n{self.error_rate}"
        )


# --------------------------------------------------------------------------- fold specs
def _folds_for_comp(fold_assignments, c: int):
    """Explicit folds for component ``c`` (1-based): a dict keyed by c / "comp<c>", or one list for all."""
    if fold_assignments is None:
        return None
    if isinstance(fold_assignments, Mapping):
        for key in (c, f"comp{c}", str(c)):
            if key in fold_assignments:
                return fold_assignments[key]
        raise ValidationError(f"fold_assignments has no entry for component {c} (keys: {list(fold_assignments)})")
    return fold_assignments


def _comp_rngs(random_state, n_comp: int, nrepeat: int):
    """Generators per (component, repeat): component c's folds come from the c-th child of the root seed."""
    root = root_seed_sequence(random_state)
    return [[np.random.default_rng(s) for s in cs.spawn(nrepeat)] for cs in root.spawn(n_comp)]


def _check_grid(test_keepX, p: int, name: str = "test_keepX") -> list[int]:
    if test_keepX is None:
        return [p]
    if np.isscalar(test_keepX):
        test_keepX = [test_keepX]
    vals = []
    for k in test_keepX:
        if isinstance(k, bool) or not float(k).is_integer() or k < 1:
            raise ValidationError(f"{name} must hold positive integers, got {k!r}")
        if k > p:
            raise ValidationError(f"{name} value {int(k)} is larger than the number of features ({p})")
        vals.append(int(k))
    if not vals:
        raise ValidationError(f"{name} is empty")
    return sorted(set(vals))


# --------------------------------------------------------------------------- tune_splsda
def _tune_da_task(task):
    ctx, items = task
    X, dummy = ctx["X"], ctx["dummy"]
    c = ctx["comp"]
    out = []
    tests = [ctx["folds"][r] == f for r, f in items]
    models = fit_folds_da(X, dummy, [~t for t in tests], ctx["fixed"], ctx["grid"], scale=ctx["scale"],
                          tol=ctx["tol"], max_iter=ctx["max_iter"], nzv=ctx["nzv"])
    if ctx["dist"] == "max.dist" and c == len(ctx["fixed"]) + 1:
        all_codes = predict_group_max(models, [X[t] for t in tests], c)
        return [(r, np.flatnonzero(t), cd) for (r, _f), t, cd in zip(items, tests, all_codes, strict=True)]
    for (r, _f), test, model in zip(items, tests, models, strict=True):
        if ctx["dist"] == "max.dist":
            codes = predict_candidates_max(model, X[test], c)
        else:
            _, cd = predict_fold_da(model, X[test], [c], [ctx["dist"]], ctx["mahalanobis"])
            codes = np.stack([cd[j][ctx["dist"]][c][0] for j in range(len(ctx["grid"]))])
        out.append((r, np.flatnonzero(test), codes))
    return out


def tune_splsda(
    X,
    Y,
    *,
    test_keepX=None,
    n_components: int = 1,
    validation: str = "Mfold",
    folds: int = 10,
    nrepeat: int = 1,
    dist: str = "max.dist",
    measure: str = "BER",
    scale: bool = True,
    tol: float = 1e-6,
    max_iter: int = 100,
    near_zero_var: bool = False,
    already_tested_X: Sequence[int] | None = None,
    signif_threshold: float = 0.01,
    mahalanobis: str = "mixomics",
    fold_assignments=None,
    random_state=None,
    n_jobs: int | None = None,
    progress: bool | None = None,
) -> TuneResult:
    """Choose keepX per component and the number of components of an sPLS-DA by cross-validation
    (mixOmics ``tune.splsda``).

    Parameters
    ----------
    X, Y
        n × p data (NaN allowed) and n class labels.
    test_keepX
        Candidate numbers of selected features (sorted and de-duplicated); ``None`` = all features (tunes the
        number of components of a PLS-DA only).
    n_components
        Number of components to tune.
    validation, folds, nrepeat
        ``"Mfold"`` (stratified, ``folds`` folds, ``nrepeat`` repeats) or ``"loo"``.
    dist
        One prediction distance: ``"max.dist"``, ``"centroids.dist"`` or ``"mahalanobis.dist"``.
    measure
        ``"BER"`` (balanced error rate, mixOmics' default) or ``"overall"``.
    scale, tol, max_iter, near_zero_var, mahalanobis
        Settings of the refitted sPLS-DA models (as :class:`SPLSDA`).
    already_tested_X
        keepX of the first components, already chosen: tuning starts at the next component.
    signif_threshold
        Level of the t-test rule for ``choice_ncomp``.
    fold_assignments
        Explicit folds: a list with one entry per repeat (a length-n sequence of fold labels, or a list of 0-based
        index arrays), used for every component, or a dict ``{c or "comp<c>": such a list}`` with one set of folds
        per component (mixOmics draws new folds for each component).
    random_state
        Seed of the fold draws (component c, repeat r use a fixed child seed; independent of ``n_jobs``).
    n_jobs, progress
        joblib workers and progress bar.

    Returns
    -------
    :class:`TuneResult`.
    """
    check_option(dist, DISTANCES, name="dist")
    check_option(measure, MEASURES, name="measure")
    check_option(mahalanobis, ("mixomics", "textbook"), name="mahalanobis")
    _check_common(nrepeat, signif_threshold)
    X_arr, codes, dummy, levels, _ = _da_inputs(X, Y)
    n, p = X_arr.shape
    K = len(levels)
    validation, n_folds = check_validation(validation, folds, n)
    if validation == "loo" and fold_assignments is None:
        nrepeat = 1
    H = check_n_components(n_components, min(n - 1, p), what="min(n_samples − 1, n_features) of X")
    tol = float(check_positive(tol, name="tol"))
    max_iter = int(check_positive(max_iter, name="max_iter", integer=True))
    grid = _check_grid(test_keepX, p)
    chosen = [] if already_tested_X is None else [int(k) for k in _check_already(already_tested_X, p, H)]
    start = len(chosen)
    rngs = _comp_rngs(random_state, H, nrepeat)
    cand_names = [str(k) for k in grid]
    err_mean = np.full((len(grid), H), np.nan)
    err_sd = np.full((len(grid), H), np.nan)
    err_all, cls_all, fold_record = {}, {}, {}
    chosen_err = np.full((nrepeat, H), np.nan)
    cls_mean = np.full((K, H), np.nan)
    lev = [str(v) for v in levels]
    rep_names = [f"nrep.{r + 1}" for r in range(nrepeat)]
    for c in range(start + 1, H + 1):
        use_rng = validation == "Mfold" and fold_assignments is None
        fold_list = draw_folds(n, validation=validation, folds=n_folds, nrepeat=nrepeat, codes=codes,
                               fold_assignments=_folds_for_comp(fold_assignments, c),
                               rngs=rngs[c - 1] if use_rng else None)
        fold_record[f"comp{c}"] = fold_list
        ctx = {"X": X_arr, "dummy": dummy, "fixed": chosen[: c - 1], "grid": grid, "comp": c, "dist": dist,
               "scale": bool(scale), "tol": tol, "max_iter": max_iter, "nzv": bool(near_zero_var),
               "mahalanobis": mahalanobis, "folds": fold_list}
        tasks = [(ctx, g) for g in fold_groups(fold_list, group_size(n, p, K, len(grid)))]
        results = [x for chunk in parallel_map(_tune_da_task, tasks, n_jobs=n_jobs, progress=progress,
                                               desc=f"tune comp {c}") for x in chunk]
        pred = np.zeros((nrepeat, len(grid), n), dtype=np.intp)
        for r, test_idx, cd in results:
            pred[r][:, test_idx] = cd
        e = np.zeros((len(grid), nrepeat))
        per = np.zeros((len(grid), K, nrepeat))
        for r in range(nrepeat):
            for j in range(len(grid)):
                ov, ber, pc = class_errors(pred[r, j], codes, K)
                e[j, r] = ov if measure == "overall" else ber
                per[j, :, r] = pc
        err_mean[:, c - 1] = e.mean(axis=1)
        if nrepeat > 1:
            err_sd[:, c - 1] = e.std(axis=1, ddof=1)
        best = first_min(err_mean[:, c - 1])
        chosen.append(grid[best])
        chosen_err[:, c - 1] = e[best]
        cls_mean[:, c - 1] = per[best].mean(axis=1)
        err_all[f"comp{c}"] = pd.DataFrame(e, index=cand_names, columns=rep_names)
        cls_all[f"comp{c}"] = pd.DataFrame(per[best], index=lev, columns=rep_names)
    comp_names = [f"comp{h + 1}" for h in range(H)]
    can_tune = validation == "Mfold" and nrepeat > 2 and start == 0
    choice_ncomp = None
    values = None
    if can_tune:
        values = pd.DataFrame(chosen_err, index=rep_names, columns=comp_names)
        choice_ncomp = ttest_choice(chosen_err, signif_threshold) if H > 1 else 1
    return TuneResult(
        error_rate=pd.DataFrame(err_mean, index=cand_names, columns=comp_names),
        error_rate_sd=pd.DataFrame(err_sd, index=cand_names, columns=comp_names),
        error_rate_all=err_all,
        choice_keepX=chosen,
        choice_ncomp=choice_ncomp,
        choice_ncomp_values=values,
        error_rate_class=pd.DataFrame(cls_mean, index=lev, columns=comp_names),
        error_rate_class_all=cls_all,
        measure=measure,
        dist=dist,
        validation=validation,
        nrepeat=nrepeat,
        folds=fold_record,
        params={"test_keepX": grid, "n_components": H, "folds": n_folds, "scale": scale, "tol": tol,
                "max_iter": max_iter, "signif_threshold": signif_threshold},
    )


def _check_already(already, p, H):
    vals = list(already)
    if len(vals) >= H:
        raise ValidationError(f"already_tested_X has {len(vals)} entries: n_components must be larger ({H} given)")
    for k in vals:
        if isinstance(k, bool) or not float(k).is_integer() or not 1 <= k <= p:
            raise ValidationError(f"already_tested_X entries must be integers in [1, {p}], got {k!r}")
    return vals


# --------------------------------------------------------------------------- tune_rcc
@dataclass
class TuneRCCResult:
    """Result of :func:`tune_rcc`.

    Attributes
    ----------
    scores
        DataFrame (grid1 × grid2) of CV scores: the correlation of the concatenated out-of-fold X and Y scores
        of a 1-component ridge rcc.
    opt_lambda1, opt_lambda2, opt_score
        The penalties with the largest score (first in row-major order on ties) and that score.
    """

    scores: pd.DataFrame
    opt_lambda1: float
    opt_lambda2: float
    opt_score: float
    grid1: np.ndarray
    grid2: np.ndarray
    validation: str
    folds: list[np.ndarray] = field(default_factory=list)

    def __repr__(self) -> str:
        return (f"TuneRCCResult(validation={self.validation!r}, opt_lambda1={self.opt_lambda1}, "
                f"opt_lambda2={self.opt_lambda2}, opt_score={self.opt_score:.6g})")


def _first_pair(Lx: np.ndarray, Ly: np.ndarray, Cxy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First canonical loadings of a ridge rcc from the Cholesky factors (LAPACK signs, as mixOmics: SVD of
    ``M = R_x⁻ᵀ C_xy R_y⁻¹``, or of ``Mᵀ`` when p < q)."""
    M = np.linalg.solve(Lx, Cxy)
    M = np.linalg.solve(Ly, M.T).T
    if M.shape[0] < M.shape[1]:
        U2, _, Vt2 = np.linalg.svd(M.T, full_matrices=False)
        u, v = Vt2[0], U2[:, 0]
    else:
        U, _, Vt = np.linalg.svd(M, full_matrices=False)
        u, v = U[:, 0], Vt[0]
    return np.linalg.solve(Lx.T, u), np.linalg.solve(Ly.T, v)


def _rcc_fold_scores(Lxs, Lys, Cxy, Xte, Yte):
    """Held-out X/Y scores (|grid1| × |grid2| × n_test) of every penalty pair of one fold, as :func:`_first_pair`
    per pair but with triangular solves, ``R_x⁻ᵀ C_xy`` shared by a row of the grid and one batched SVD."""
    from scipy.linalg.lapack import dtrtrs

    def solve_triangular(L, B, lower=True, trans="N", check_finite=False):  # LAPACK directly: less overhead
        x, info = dtrtrs(L, B, lower=1, trans=1 if trans == "T" else 0)
        if info != 0:
            raise np.linalg.LinAlgError(f"singular triangular factor (dtrtrs info={info})")
        return x

    p, q = Cxy.shape
    n1, n2 = len(Lxs), len(Lys)
    Gt = np.concatenate([solve_triangular(Lx, Cxy, lower=True, check_finite=False).T for Lx in Lxs], axis=1)
    Ms = np.empty((n1, n2, p, q))
    for j, Ly in enumerate(Lys):  # all λ1 at once: q × (n1·p) right-hand sides
        Ms[:, j] = solve_triangular(Ly, Gt, lower=True, check_finite=False).T.reshape(n1, p, q)
    if p < q:
        U2, _, Vt2 = np.linalg.svd(Ms.transpose(0, 1, 3, 2), full_matrices=False)
        us, vs = Vt2[:, :, 0, :], U2[:, :, :, 0]
    else:
        U, _, Vt = np.linalg.svd(Ms, full_matrices=False)
        us, vs = U[:, :, :, 0], Vt[:, :, 0, :]
    xs = np.empty((n1, n2, Xte.shape[0]))
    ys = np.empty((n1, n2, Yte.shape[0]))
    for i, Lx in enumerate(Lxs):
        a = solve_triangular(Lx, us[i].T, lower=True, trans="T", check_finite=False)  # p × n2
        xs[i] = (Xte @ a).T
    for j, Ly in enumerate(Lys):
        b = solve_triangular(Ly, vs[:, j].T, lower=True, trans="T", check_finite=False)  # q × n1
        ys[:, j] = (Yte @ b).T
    return xs, ys


def _tune_rcc_task(task):
    ctx, items = task
    X, Y = ctx["X"], ctx["Y"]
    g1, g2 = ctx["grid1"], ctx["grid2"]
    out = []
    for r, f in items:
        lab = ctx["folds"][r]
        test = lab == f
        train = ~test
        Xtr, Ytr = X[train], Y[train]
        Cxx, Cyy, Cxy = _pairwise_cov(Xtr, Xtr), _pairwise_cov(Ytr, Ytr), _pairwise_cov(Xtr, Ytr)
        Xte = np.nan_to_num(X[test], nan=0.0)
        Yte = np.nan_to_num(Y[test], nan=0.0)
        Lxs = _chols(Cxx, g1, "lambda1")
        Lys = _chols(Cyy, g2, "lambda2")
        xs, ys = _rcc_fold_scores(Lxs, Lys, Cxy, Xte, Yte)
        out.append((r, np.flatnonzero(test), xs, ys))
    return out


def _chols(C: np.ndarray, lams: np.ndarray, name: str) -> list[np.ndarray]:
    """Cholesky factors of ``C + λI`` for every λ (one stacked call; on failure :func:`_chol` names the λ)."""
    try:
        L = np.linalg.cholesky(C[None] + np.asarray(lams, dtype=float)[:, None, None] * np.eye(C.shape[0]))
    except np.linalg.LinAlgError:
        return [_chol(C, lam, name) for lam in lams]
    return list(L)


def _chol(C: np.ndarray, lam: float, name: str) -> np.ndarray:
    try:
        return np.linalg.cholesky(C + lam * np.eye(C.shape[0]))
    except np.linalg.LinAlgError as exc:
        raise ValidationError(
            f"a CV training fold's covariance + {name}·I is not positive definite with {name}={lam}; "
            f"use larger penalties"
        ) from exc


def tune_rcc(
    X,
    Y,
    *,
    grid1=None,
    grid2=None,
    validation: str = "loo",
    folds: int = 10,
    fold_assignments=None,
    random_state=None,
    n_jobs: int | None = None,
    progress: bool | None = None,
) -> TuneRCCResult:
    """Choose the ridge penalties of :class:`RCC` by cross-validation (mixOmics ``tune.rcc``).

    For every (λ₁, λ₂) and fold, a 1-component ridge rcc is fitted on the training rows; the *raw* held-out rows
    (uncentred, NaN → 0, as mixOmics) are projected on its loadings; the score is the correlation between the
    concatenated out-of-fold X and Y scores.

    Parameters
    ----------
    X, Y
        n × p and n × q blocks (NaN allowed; pairwise-complete covariances).
    grid1, grid2
        Candidate λ₁ and λ₂ (default ``linspace(0.001, 1, 5)`` each, as mixOmics).
    validation, folds
        ``"loo"`` (default, deterministic) or ``"Mfold"`` with ``folds`` random (unstratified) folds.
    fold_assignments
        Explicit folds: a one-element list (one repeat) holding fold labels per sample or 0-based index arrays.
    random_state, n_jobs, progress
        Seed of the M-fold draw, joblib workers, progress bar.

    Returns
    -------
    :class:`TuneRCCResult`.
    """
    X_arr, _, x_idx = as_block(X, name="X", allow_nan=True, min_samples=3)
    if Y is None:
        raise ValidationError("Y is required")
    Y_arr, _, y_idx = as_block(Y, name="Y", allow_nan=True, min_samples=3)
    check_rows(X_arr.shape[0], Y_arr.shape[0], x_idx, y_idx, what_y="Y")
    n = X_arr.shape[0]
    g1 = np.linspace(0.001, 1, 5) if grid1 is None else np.asarray(grid1, dtype=float).ravel()
    g2 = np.linspace(0.001, 1, 5) if grid2 is None else np.asarray(grid2, dtype=float).ravel()
    for name, g in (("grid1", g1), ("grid2", g2)):
        if g.size == 0 or not np.all(np.isfinite(g)) or np.any(g < 0):
            raise ValidationError(f"{name} must be a non-empty list of non-negative numbers")
    validation, n_folds = check_validation(validation, folds, n)
    rngs = [np.random.default_rng(s) for s in root_seed_sequence(random_state).spawn(1)]
    fold_list = draw_folds(n, validation=validation, folds=n_folds, nrepeat=1, codes=None,
                           fold_assignments=fold_assignments, rngs=rngs if validation == "Mfold" else None)
    ctx = {"X": X_arr, "Y": Y_arr, "grid1": g1, "grid2": g2, "folds": fold_list}
    items = [(0, f) for f in range(int(fold_list[0].max()) + 1)]
    tasks = [(ctx, ch) for ch in chunks(items, n_chunks_for(n_jobs))]
    results = [x for chunk in parallel_map(_tune_rcc_task, tasks, n_jobs=n_jobs, progress=progress,
                                           desc="tune_rcc folds") for x in chunk]
    xs = np.zeros((g1.size, g2.size, n))
    ys = np.zeros_like(xs)
    for _, idx, xf, yf in results:
        xs[:, :, idx] = xf
        ys[:, :, idx] = yf
    xc = xs - xs.mean(axis=2, keepdims=True)
    yc = ys - ys.mean(axis=2, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = (xc * yc).sum(axis=2) / np.sqrt((xc * xc).sum(axis=2) * (yc * yc).sum(axis=2))
    flat = np.where(np.isnan(score), -np.inf, score)
    i, j = np.unravel_index(int(np.argmax(flat)), flat.shape)
    return TuneRCCResult(
        scores=pd.DataFrame(score, index=pd.Index(g1, name="lambda1"), columns=pd.Index(g2, name="lambda2")),
        opt_lambda1=float(g1[i]), opt_lambda2=float(g2[j]), opt_score=float(score[i, j]), grid1=g1, grid2=g2,
        validation=validation, folds=fold_list,
    )


# --------------------------------------------------------------------------- tune_block_splsda
def _tune_block_task(task):
    """Class codes (candidates × held-out rows; −1 = NA or tie label) of one chunk of (repeat, fold) items."""
    import warnings

    from ._block_cv import fit_candidates, predict_candidates, prepare_fold, vote_codes
    from ._perf import fit_fold_block

    ctx, items = task
    out = []
    names = list(ctx["X"])
    arrays = [ctx["X"][b] for b in names]
    c = ctx["comp"]
    levels = ctx["levels"]
    m = len(ctx["grid"])
    cand = np.array(ctx["grid"], dtype=np.intp).T  # blocks × candidates
    for r, f in items:
        lab = ctx["folds"][r]
        test = lab == f
        train = ~test
        fd = None if ctx["slow"] else prepare_fold(arrays, ctx["codes"], len(levels), train, test,
                                                   scale=ctx["params"]["scale"])
        if fd is not None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fit = fit_candidates(fd, ctx["design"], [ctx["chosen"][b] for b in names], cand,
                                     tol=ctx["params"]["tol"], max_iter=ctx["params"]["max_iter"],
                                     init_signs=ctx["params"]["init_signs"])
            codes, ties, weights = predict_candidates(fd, fit, ctx["dist"], mahalanobis=ctx["params"]["mahalanobis"])
            nte = codes.shape[2]
            flat = vote_codes(codes.reshape(len(names), m * nte), ties, np.repeat(weights, nte, axis=0), levels,
                              weighted=ctx["weighted"])
            out.append((r, np.flatnonzero(test), flat.reshape(m, nte)))
            continue
        lookup = {str(v): k for k, v in enumerate(levels)}
        res = np.empty((m, int(test.sum())), dtype=np.intp)
        for j, combo in enumerate(ctx["grid"]):
            keepX = {b: ctx["chosen"][b] + [combo[i]] for i, b in enumerate(names)}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                est, kept = fit_fold_block(ctx["params"], ctx["cls"], {b: a[train] for b, a in ctx["X"].items()},
                                           ctx["labels_cat"][train], keepX)
                pred = est.predict({b: a[test][:, kept[b]] for b, a in ctx["X"].items()}, dist=ctx["dist"])
            votes = pred.weighted_vote if ctx["weighted"] else pred.majority_vote
            res[j] = [-1 if v is None else lookup.get(str(v), -1) for v in votes[ctx["dist"]][:, c - 1]]
        out.append((r, np.flatnonzero(test), res))
    return out


def tune_block_splsda(
    X,
    Y,
    *,
    test_keepX: Mapping[str, Sequence[int]] | None = None,
    n_components: int = 2,
    design="full",
    validation: str = "Mfold",
    folds: int = 10,
    nrepeat: int = 1,
    dist: str = "max.dist",
    measure: str = "BER",
    weighted: bool = True,
    scale: bool = True,
    tol: float = 1e-6,
    max_iter: int = 100,
    near_zero_var: bool = False,
    init_signs="search",
    signif_threshold: float = 0.01,
    fold_assignments=None,
    random_state=None,
    n_jobs: int | None = None,
    progress: bool | None = None,
) -> TuneResult:
    """Choose DIABLO's keepX per block and component by cross-validation (mixOmics ``tune.block.splsda``).

    For each component (sequentially, earlier components at their chosen keepX), every combination of the
    per-block candidates (``expand.grid`` order: the first block varies fastest; rows named ``"k1_k2_..."``) is
    refitted in every training fold and the held-out rows are classified by WeightedVote (``weighted=True``, the
    fold model's weights) or MajorityVote with ``dist``. The smallest mean error wins; ties go to the combination
    with the smallest ``Σ_b keepX_b / p_b``, then to the first in grid order. ``choice_ncomp`` as
    :func:`tune_splsda`.

    Parameters
    ----------
    X, Y
        ``{block: n × p_b}`` and class labels.
    test_keepX
        ``{block: candidates}`` (sorted, de-duplicated). Default per block: ``5, 10, ..., min(30, p)`` when
        ``min(30, p) > 15``, else ``1, 3, 5, ..., min(30, p)``.
    n_components, design, scale, tol, max_iter, near_zero_var, init_signs
        Settings of the refitted :class:`BlockSPLSDA` models.
    validation, folds, nrepeat, dist, measure, signif_threshold, fold_assignments, random_state, n_jobs, progress
        As :func:`tune_splsda`.
    weighted
        Score WeightedVote (default) or MajorityVote.

    Returns
    -------
    :class:`TuneResult` with ``choice_keepX`` a dict ``{block: [keepX per component]}``.
    """
    from ._block import BlockSPLSDA
    from ._design import design_matrix
    from ._perf import _block_inputs

    check_option(dist, DISTANCES, name="dist")
    check_option(measure, MEASURES, name="measure")
    _check_common(nrepeat, signif_threshold)
    model = BlockSPLSDA(n_components, design=design, scale=scale, tol=tol, max_iter=max_iter,
                        near_zero_var=near_zero_var, init_signs=init_signs)
    arrays, _, labels, codes, levels = _block_inputs(X, Y, model)
    names = list(arrays)
    n = codes.shape[0]
    K = len(levels)
    p = {b: arrays[b].shape[1] for b in names}
    validation, n_folds = check_validation(validation, folds, n)
    if validation == "loo" and fold_assignments is None:
        nrepeat = 1
    H = check_n_components(n_components, min(n - 1, min(p.values())), what="min(n_samples − 1, smallest block)")
    if test_keepX is None:
        test_keepX = {}
        for b in names:
            top = min(30, p[b])
            test_keepX[b] = list(range(5, top + 1, 5)) if top > 15 else list(range(1, top + 1, 2))
    if not isinstance(test_keepX, Mapping):
        raise ValidationError("test_keepX must be a dict {block name: candidate keepX}")
    unknown = [b for b in test_keepX if b not in names]
    missing = [b for b in names if b not in test_keepX]
    if unknown or missing:
        raise ValidationError(f"test_keepX must name every block exactly: unknown {unknown}, missing {missing}; "
                              f"blocks: {names}")
    grids = {b: _check_grid(test_keepX[b], p[b], name=f"test_keepX[{b!r}]") for b in names}  # keyed by name
    # expand.grid order: first block fastest
    combos = [tuple(reversed(t)) for t in np.ndindex(*[len(grids[b]) for b in reversed(names)])]
    combos = [tuple(grids[b][i] for b, i in zip(names, idx, strict=True)) for idx in combos]
    combo_names = ["_".join(str(k) for k in cmb) for cmb in combos]
    cost = np.array([sum(k / p[b] for b, k in zip(names, cmb, strict=True)) for cmb in combos])
    params = model.get_params()
    labels_cat = pd.Categorical(labels, categories=levels)
    design_arr = design_matrix(design, names, y_name="Y").to_numpy()
    # the lean refits (``_block_cv``) need complete blocks; otherwise every candidate refits the estimator
    slow = bool(near_zero_var) or any(np.isnan(a).any() for a in arrays.values())
    rngs = _comp_rngs(random_state, H, nrepeat)
    chosen = {b: [] for b in names}
    m = len(combos)
    err_mean = np.full((m, H), np.nan)
    err_sd = np.full((m, H), np.nan)
    err_all, cls_all, fold_record = {}, {}, {}
    chosen_err = np.full((nrepeat, H), np.nan)
    cls_mean = np.full((K, H), np.nan)
    lev = [str(v) for v in levels]
    rep_names = [f"nrep.{r + 1}" for r in range(nrepeat)]
    for c in range(1, H + 1):
        use_rng = validation == "Mfold" and fold_assignments is None
        fold_list = draw_folds(n, validation=validation, folds=n_folds, nrepeat=nrepeat, codes=codes,
                               fold_assignments=_folds_for_comp(fold_assignments, c),
                               rngs=rngs[c - 1] if use_rng else None)
        fold_record[f"comp{c}"] = fold_list
        cparams = dict(params, n_components=c)
        ctx = {"X": arrays, "params": cparams, "cls": BlockSPLSDA, "labels_cat": labels_cat, "folds": fold_list,
               "grid": combos, "chosen": {b: list(v) for b, v in chosen.items()}, "comp": c, "dist": dist,
               "weighted": bool(weighted), "levels": list(levels), "codes": codes, "design": design_arr,
               "slow": slow}
        items = [(r, f) for r in range(nrepeat) for f in range(int(fold_list[r].max()) + 1)]
        tasks = [(ctx, ch) for ch in chunks(items, n_chunks_for(n_jobs))]
        results = [x for chunk in parallel_map(_tune_block_task, tasks, n_jobs=n_jobs, progress=progress,
                                               desc=f"tune comp {c}") for x in chunk]
        pred = np.full((nrepeat, m, n), -1, dtype=np.intp)
        for r, idx, cd in results:
            pred[r][:, idx] = cd
        e = np.zeros((m, nrepeat))
        per = np.zeros((m, K, nrepeat))
        for r in range(nrepeat):
            wrong = pred[r] != codes[None, :]
            for k in range(K):
                per[:, k, r] = wrong[:, codes == k].mean(axis=1)
            for j in range(m):
                e[j, r] = wrong[j].mean() if measure == "overall" else per[j, :, r].mean()
        err_mean[:, c - 1] = e.mean(axis=1)
        if nrepeat > 1:
            err_sd[:, c - 1] = e.std(axis=1, ddof=1)
        best_err = np.nanmin(err_mean[:, c - 1])
        ties = [j for j in range(m) if abs(err_mean[j, c - 1] - best_err) <= 1e-12 * max(1.0, abs(best_err))]
        best = min(ties, key=lambda j: (cost[j], j))
        for i, b in enumerate(names):
            chosen[b].append(combos[best][i])
        chosen_err[:, c - 1] = e[best]
        cls_mean[:, c - 1] = per[best].mean(axis=1)
        err_all[f"comp{c}"] = pd.DataFrame(e, index=combo_names, columns=rep_names)
        cls_all[f"comp{c}"] = pd.DataFrame(per[best], index=lev, columns=rep_names)
    comp_names = [f"comp{h + 1}" for h in range(H)]
    choice_ncomp = values = None
    if validation == "Mfold" and nrepeat > 2:
        values = pd.DataFrame(chosen_err, index=rep_names, columns=comp_names)
        choice_ncomp = ttest_choice(chosen_err, signif_threshold) if H > 1 else 1
    return TuneResult(
        error_rate=pd.DataFrame(err_mean, index=combo_names, columns=comp_names),
        error_rate_sd=pd.DataFrame(err_sd, index=combo_names, columns=comp_names),
        error_rate_all=err_all, choice_keepX=chosen, choice_ncomp=choice_ncomp, choice_ncomp_values=values,
        error_rate_class=pd.DataFrame(cls_mean, index=lev, columns=comp_names), error_rate_class_all=cls_all,
        measure=measure, dist=dist, validation=validation, nrepeat=nrepeat, folds=fold_record,
        params={"test_keepX": grids, "n_components": H, "folds": n_folds, "weighted": weighted,
                "design": design},
    )
