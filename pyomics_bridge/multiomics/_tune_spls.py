"""``tune_spls``: keepX / keepY of a sparse PLS by cross-validation (``mixOmics::tune.spls``, PLS2 measures).

Protocol (mixOmics 6.35.2 ``tune.spls`` → ``perf.mixo_pls``, spec §2.11–2.12), components tuned one after the other:

1. **Grid.** Every pair (keepX, keepY) of ``test_keepX`` × ``test_keepY`` (keepX in the outer loop, the given
   order). The earlier components stay at their chosen values.
2. **Full-data model.** An sPLS with c components fitted on all samples gives the "actual" variates t_c, u_c.
3. **CV** (unstratified M-fold or LOO; the same folds for every candidate and component). Both blocks are scaled
   once on all samples (mixOmics' ``object$X``/``object$Y``); in each fold, component by component, a
   1-component sPLS is fitted on the (deflated) training rows — with its own centring/scaling, as mixOmics'
   ``spls(..., ncomp = 1)`` — after dropping zero-variance training columns (keeps capped). The held-out rows give
   ``t_pred = X_test a`` and ``u_pred = Y_test b``; then both sides are deflated: X with ``c = X_trainᵀu/uᵀu``
   (mixOmics regresses X on u here), Y by mode — regression: training ``Y − t dᵀ`` (``d = Y_trainᵀt/tᵀt``), test
   ``Y − Ŷ`` with Ŷ the 1-component model's prediction; classic: ``Y − t bᵀ``; canonical: ``Y − u eᵀ``.
4. **Measures per repeat** on the out-of-fold predictions of all n samples: ``cor`` = |cor(t_pred, t_c)| and
   |cor(u_pred, u_c)|; ``RSS`` = Σ(t_pred − t_c)²/(n−1) and the same for u.

   **One deliberate difference:** each fold component's sign is arbitrary (R: ARPACK), and mixOmics does not
   align it with the full-data component, so a fold that comes out flipped lowers ``cor`` and inflates ``RSS`` at
   random (nutrimouse, LOO, keepX 5 / keepY 21: 2 of 40 folds flipped, ``cor.upred`` 0.733 instead of 0.998).
   Here each fold's component is flipped to agree with the full model's (sign of the dot product of the X
   loadings, else of the Y loadings). Where no fold is flipped in R, the measures equal mixOmics' to ~1e-15
   (``tests/multiomics/test_tune_spls.py``: every first-component value, and the second-component values of
   regression and canonical mode against mixOmics' spls/predict run through the same protocol).
5. **Choice** (mixOmics' scan): the first pair is the running optimum; each pair in grid order replaces it when
   it improves the u measure (in canonical mode: the u *and* the t measures). With nrepeat ≥ 3, "improves" is a
   one-sided Welch t-test at 0.05 (cor: optimum < candidate; RSS: optimum > candidate; a tiny offset
   ``linspace(1, 2, nrepeat)·1e-6`` is added to both vectors, as mixOmics does, so constant values can be tested);
   with fewer repeats, a strictly better mean.

The results do not depend on ``n_jobs``: folds are drawn up front from ``random_state`` (repeat r uses the r-th
child seed) and every fold is computed from scratch. mixOmics draws its folds with R's ``sample()``, which numpy
cannot reproduce: pass ``fold_assignments`` to use R's folds.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from .._conventions import ValidationError
from .._parallel import parallel_map, spawn_generators
from ._cv import check_validation, chunks, draw_folds, n_chunks_for
from ._engine import spls_engine
from ._preprocess import apply_scaling, scale_block
from ._validate import as_block, check_n_components, check_option, check_positive, check_rows

__all__ = ["tune_spls", "TuneSPLSResult", "select_keep_pair"]

_MODES = ("regression", "canonical", "classic")


@dataclass
class TuneSPLSResult:
    """Result of :func:`tune_spls`.

    Attributes
    ----------
    measure_pred
        Long table, one row per (comp, keepX, keepY, V ∈ {"t", "u"}, measure ∈ {"cor", "RSS"}) with the mean and
        sd (ddof 1) over repeats and the per-repeat values in columns ``nrep.1``, ``nrep.2``...
    cor_pred, RSS_pred
        ``{"t"|"u": DataFrame ((keepX, keepY) × components)}``: mean over repeats.
    choice_keepX, choice_keepY
        The chosen values per component.
    measure
        ``"cor"`` or ``"RSS"`` (the measure used for the choice).
    folds
        The fold labels used, one array per repeat.
    """

    measure_pred: pd.DataFrame
    cor_pred: dict[str, pd.DataFrame]
    RSS_pred: dict[str, pd.DataFrame]
    choice_keepX: list[int]
    choice_keepY: list[int]
    measure: str
    mode: str
    validation: str
    nrepeat: int
    folds: list[np.ndarray]
    params: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        return (f"TuneSPLSResult(measure={self.measure!r}, mode={self.mode!r}, validation={self.validation!r}, "
                f"nrepeat={self.nrepeat})\nchoice_keepX={self.choice_keepX}, choice_keepY={self.choice_keepY}")


# --------------------------------------------------------------------------- one-component fold fits
def _one_component(Xtr, Ytr, kx, ky, *, mode, scale, tol, max_iter):
    """mixOmics' ``spls(X.train, Y.train, ncomp = 1)`` on the non-constant columns; returns what CV needs."""
    with np.errstate(invalid="ignore"):
        okx = Xtr.var(axis=0, ddof=1) > np.finfo(float).eps
        oky = Ytr.var(axis=0, ddof=1) > np.finfo(float).eps
    if not okx.any() or not oky.any():
        raise ValidationError("a training fold has no non-constant X or Y column left; use fewer components or folds")
    kx, ky = min(kx, int(okx.sum())), min(ky, int(oky.sum()))
    Xs, sx = scale_block(Xtr[:, okx], center=True, scale=scale)
    Ys, sy = scale_block(Ytr[:, oky], center=True, scale=scale)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = spls_engine(Xs, Ys, n_components=1, keepX=[kx], keepY=[ky], mode=mode, tol=tol, max_iter=max_iter)
    return {"okx": okx, "oky": oky, "a": fit.loadings_x[:, 0], "b": fit.loadings_y[:, 0],
            "t": fit.variates_x[:, 0], "u": fit.variates_y[:, 0], "sx": sx, "sy": sy, "Ys": Ys}


def _predict_and_deflate(m, Xtr, Ytr, Xte, Yte, *, mode):
    """Predicted test variates of one fold component, then the deflation of the four blocks (in place)."""
    okx, oky, a, b, t, u = m["okx"], m["oky"], m["a"], m["b"], m["t"], m["u"]
    t_pred = Xte[:, okx] @ a
    u_pred = Yte[:, oky] @ b
    uu, tt = float(u @ u), float(t @ t)
    if mode == "regression":  # the 1-component model's prediction of the test Y, from the undeflated test X
        xs = apply_scaling(Xte[:, okx], m["sx"]) @ a
        yhat = np.outer(xs, m["Ys"].T @ t / tt)
        sy = m["sy"]
        if sy.scale is not None:
            yhat = yhat * sy.scale
        yhat += sy.mean
    c = Xtr.T @ u / uu
    Xtr -= np.outer(t, c)
    Xte -= np.outer(t_pred, c)
    if mode == "classic":
        Ytr[:, oky] -= np.outer(t, b)
        Yte[:, oky] -= np.outer(t_pred, b)
    elif mode == "regression":
        d = Ytr.T @ t / tt
        Ytr -= np.outer(t, d)
        Yte[:, oky] -= yhat
    else:  # canonical
        e = Ytr.T @ u / uu
        Ytr -= np.outer(u, e)
        Yte -= np.outer(u_pred, e)
    return t_pred, u_pred


def _tune_spls_task(task):
    ctx, items = task
    Xs, Ys, folds = ctx["X"], ctx["Y"], ctx["folds"]
    kw = {"mode": ctx["mode"], "scale": ctx["scale"], "tol": ctx["tol"], "max_iter": ctx["max_iter"]}
    out = []
    for r, f in items:
        test = folds[r] == f
        Xtr, Ytr = Xs[~test].copy(), Ys[~test].copy()
        Xte, Yte = Xs[test].copy(), Ys[test].copy()
        for kx, ky in ctx["fixed"]:
            m = _one_component(Xtr, Ytr, kx, ky, **kw)
            _predict_and_deflate(m, Xtr, Ytr, Xte, Yte, mode=ctx["mode"])
        tp = np.zeros((len(ctx["grid"]), int(test.sum())))
        up = np.zeros_like(tp)
        for j, (kx, ky) in enumerate(ctx["grid"]):
            m = _one_component(Xtr, Ytr, kx, ky, **kw)
            okx, oky = m["okx"], m["oky"]
            # the fold component's sign is arbitrary: align it with the full-data component (X loadings, else Y)
            dot = float(m["a"] @ ctx["A_full"][j][okx]) or float(m["b"] @ ctx["B_full"][j][oky])
            sign = -1.0 if dot < 0 else 1.0
            tp[j] = sign * (Xte[:, okx] @ m["a"])
            up[j] = sign * (Yte[:, oky] @ m["b"])
        out.append((r, np.flatnonzero(test), tp, up))
    return out


# --------------------------------------------------------------------------- choice
def _improved(opt: np.ndarray, val: np.ndarray, measure: str) -> bool:
    if opt.size > 2:
        alt = "less" if measure == "cor" else "greater"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            p = stats.ttest_ind(opt, val, equal_var=False, alternative=alt).pvalue
        return bool(np.isfinite(p) and p < 0.05)
    return bool(opt.mean() < val.mean()) if measure == "cor" else bool(opt.mean() > val.mean())


def select_keep_pair(values_t: np.ndarray, values_u: np.ndarray, *, measure: str = "cor",
                     mode: str = "regression") -> int:
    """mixOmics' scan over the grid (module doc, step 5): index of the chosen candidate.

    Parameters
    ----------
    values_t, values_u
        candidates × nrepeat per-repeat measures of the t and u variates, candidates in grid order.
    measure
        ``"cor"`` (larger is better) or ``"RSS"`` (smaller is better).
    mode
        In ``"canonical"`` mode both t and u must improve; otherwise u only.
    """
    vt = np.asarray(values_t, dtype=float)
    vu = np.asarray(values_u, dtype=float)
    off = np.linspace(1.0, 2.0, vt.shape[1]) / 1e6
    opt = 0
    for j in range(vt.shape[0]):
        u_ok = _improved(vu[opt] + off, vu[j] + off, measure)
        t_ok = _improved(vt[opt] + off, vt[j] + off, measure)
        if (u_ok and t_ok) if mode == "canonical" else u_ok:
            opt = j
    return opt


def _grid(values, limit: int, name: str) -> list[int]:
    arr = np.atleast_1d(np.asarray(values))
    if arr.size == 0 or arr.ndim != 1:
        raise ValidationError(f"{name} must be a non-empty list of integers")
    out = []
    for v in arr.tolist():
        if isinstance(v, bool) or not float(v).is_integer() or not 1 <= v <= limit:
            raise ValidationError(f"{name} values must be integers in [1, {limit}], got {v!r}")
        if int(v) not in out:
            out.append(int(v))
    return out


# --------------------------------------------------------------------------- driver
def tune_spls(
    X,
    Y,
    *,
    test_keepX=None,
    test_keepY=None,
    n_components: int = 2,
    mode: str = "regression",
    validation: str = "Mfold",
    folds: int = 10,
    nrepeat: int = 1,
    measure: str = "cor",
    scale: bool = True,
    tol: float = 1e-9,
    max_iter: int = 100,
    fold_assignments=None,
    random_state=None,
    n_jobs: int | None = None,
    progress: bool | None = None,
) -> TuneSPLSResult:
    """Choose keepX and keepY per component of a sparse PLS by cross-validation (mixOmics ``tune.spls``).

    Parameters
    ----------
    X, Y
        n × p predictors and n × q responses (complete data; q ≥ 2 for the PLS2 measures).
    test_keepX, test_keepY
        Candidate numbers of selected X / Y features (order kept, duplicates dropped); defaults: all features.
    n_components
        Number of components to tune.
    mode
        ``"regression"``, ``"canonical"`` or ``"classic"``.
    validation, folds, nrepeat
        ``"Mfold"`` (unstratified, ``folds`` folds, ``nrepeat`` repeats) or ``"loo"`` (nrepeat is then 1).
    measure
        ``"cor"`` (correlation of predicted and actual variates, maximised) or ``"RSS"`` (minimised).
    scale, tol, max_iter
        Settings of the sPLS fits (as :class:`SPLS`; ``tol=1e-9`` is mixOmics' ``tune.spls`` default).
    fold_assignments
        Explicit folds, one entry per repeat (length-n fold labels, or a list of 0-based index arrays).
    random_state
        Seed of the fold draws.
    n_jobs, progress
        joblib workers and progress bar (results never depend on ``n_jobs``).

    Returns
    -------
    :class:`TuneSPLSResult`.
    """
    check_option(mode, _MODES, name="mode")
    check_option(measure, ("cor", "RSS"), name="measure")
    if isinstance(nrepeat, bool) or not isinstance(nrepeat, (int, np.integer)) or nrepeat < 1:
        raise ValidationError(f"nrepeat must be a positive integer, got {nrepeat!r}")
    X_arr, _, x_idx = as_block(X, name="X", allow_nan=False)
    Y_arr, _, y_idx = as_block(Y, name="Y", allow_nan=False)
    check_rows(X_arr.shape[0], Y_arr.shape[0], x_idx, y_idx, what_y="Y")
    n, p = X_arr.shape
    q = Y_arr.shape[1]
    if q < 2:
        raise ValidationError("Y has a single column: tune_spls implements the PLS2 measures ('cor', 'RSS'); "
                              "use at least 2 responses")
    validation, n_folds = check_validation(validation, folds, n)
    if validation == "loo" and fold_assignments is None:
        nrepeat = 1
    H = check_n_components(n_components, min(n - 1, p), what="min(n_samples − 1, n_features) of X")
    tol = float(check_positive(tol, name="tol"))
    max_iter = int(check_positive(max_iter, name="max_iter", integer=True))
    gx = _grid([p] if test_keepX is None else test_keepX, p, "test_keepX")
    gy = _grid([q] if test_keepY is None else test_keepY, q, "test_keepY")
    grid = [(kx, ky) for kx in gx for ky in gy]
    rngs = spawn_generators(random_state, nrepeat) if (validation == "Mfold" and fold_assignments is None) else None
    fold_list = draw_folds(n, validation=validation, folds=n_folds, nrepeat=nrepeat, codes=None,
                           fold_assignments=fold_assignments, rngs=rngs)
    Xs, _ = scale_block(X_arr, center=True, scale=bool(scale))
    Ys, _ = scale_block(Y_arr, center=True, scale=bool(scale))
    items = [(r, f) for r in range(nrepeat) for f in range(int(fold_list[r].max()) + 1)]
    rep_names = [f"nrep.{r + 1}" for r in range(nrepeat)]
    chosen: list[tuple[int, int]] = []
    rows = []
    means = {(m, v): np.full((len(grid), H), np.nan) for m in ("cor", "RSS") for v in ("t", "u")}
    for c in range(1, H + 1):
        fulls = []
        for kx, ky in grid:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fulls.append(spls_engine(Xs, Ys, n_components=c, keepX=[k for k, _ in chosen] + [kx],
                                         keepY=[k for _, k in chosen] + [ky], mode=mode, tol=tol,
                                         max_iter=max_iter))
        ctx = {"X": Xs, "Y": Ys, "folds": fold_list, "fixed": list(chosen), "grid": grid, "mode": mode,
               "scale": bool(scale), "tol": tol, "max_iter": max_iter,
               "A_full": [f.loadings_x[:, c - 1] for f in fulls], "B_full": [f.loadings_y[:, c - 1] for f in fulls]}
        tasks = [(ctx, chunk) for chunk in chunks(items, n_chunks_for(n_jobs))]
        results = [x for part in parallel_map(_tune_spls_task, tasks, n_jobs=n_jobs, progress=progress,
                                              desc=f"tune_spls comp {c}") for x in part]
        tpred = np.zeros((nrepeat, len(grid), n))
        upred = np.zeros_like(tpred)
        for r, idx, tp, up in results:
            tpred[r][:, idx] = tp
            upred[r][:, idx] = up
        vals = {(m, v): np.zeros((len(grid), nrepeat)) for m in ("cor", "RSS") for v in ("t", "u")}
        for j, full in enumerate(fulls):
            actual = {"t": full.variates_x[:, c - 1], "u": full.variates_y[:, c - 1]}
            for r in range(nrepeat):
                for v, pred in (("t", tpred[r, j]), ("u", upred[r, j])):
                    vals[("cor", v)][j, r] = abs(np.corrcoef(pred, actual[v])[0, 1])
                    vals[("RSS", v)][j, r] = float(np.sum((pred - actual[v]) ** 2)) / (n - 1)
        best = select_keep_pair(vals[(measure, "t")], vals[(measure, "u")], measure=measure, mode=mode)
        chosen.append(grid[best])
        for key, arr in vals.items():
            means[key][:, c - 1] = arr.mean(axis=1)
            for j, (kx, ky) in enumerate(grid):
                sd = float(arr[j].std(ddof=1)) if nrepeat > 1 else np.nan
                rows.append([c, kx, ky, key[1], key[0], float(arr[j].mean()), sd, *arr[j].tolist()])
    table = pd.DataFrame(rows, columns=["comp", "keepX", "keepY", "V", "measure", "mean", "sd", *rep_names])
    index = pd.MultiIndex.from_tuples(grid, names=["keepX", "keepY"])
    comps = [f"comp{h + 1}" for h in range(H)]

    def frame(m, v):
        return pd.DataFrame(means[(m, v)], index=index, columns=comps)

    return TuneSPLSResult(
        measure_pred=table,
        cor_pred={v: frame("cor", v) for v in ("t", "u")},
        RSS_pred={v: frame("RSS", v) for v in ("t", "u")},
        choice_keepX=[k for k, _ in chosen],
        choice_keepY=[k for _, k in chosen],
        measure=measure, mode=mode, validation=validation, nrepeat=nrepeat, folds=fold_list,
        params={"test_keepX": gx, "test_keepY": gy, "n_components": H, "folds": n_folds, "scale": scale,
                "tol": tol, "max_iter": max_iter},
    )
