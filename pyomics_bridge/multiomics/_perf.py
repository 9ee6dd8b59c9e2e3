"""``perf()``: cross-validated performance of (s)PLS-DA and DIABLO models (mixOmics' ``perf``, spec §2.11).

Protocol (the one mixOmics' own re-fit checks confirm): for every repeat and fold, the model is refitted on the
raw training rows with the same settings (keepX, scale, tol, max_iter; zero-variance training columns dropped and
keepX capped), the held-out rows are scaled with the training statistics and predicted with 1..H components.
Because the components are fitted sequentially, the H-component refit contains every smaller model, so one refit
per fold serves all components (mixOmics refits per component on the same folds: same numbers).

Error rates per repeat, from all out-of-fold predictions: overall = misclassified / n; per-class = misclassified
class-k samples / n_k; BER = mean of the per-class rates. A tie between classes (mixOmics' "A/B" label) is an
error. Mean and sd (ddof 1) over repeats.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._conventions import ValidationError
from .._parallel import parallel_map, spawn_generators
from ._auroc import auc_table
from ._cv import (
    check_validation,
    chunks,
    class_errors,
    code_labels,
    draw_folds,
    first_min,
    fit_folds_da,
    fold_groups,
    group_size,
    n_chunks_for,
    predict_group_da,
    ttest_choice,
)
from ._plsda import DISTANCES, PLSDA, SPLSDA
from ._preprocess import class_levels, dummy_matrix
from ._sparse import check_keep
from ._validate import as_block, as_labels, check_n_components, check_option, check_positive, check_rows

__all__ = ["perf", "PerfResult", "BlockPerfResult", "perf_block"]

MEASURES = ("overall", "BER")


@dataclass
class PerfResult:
    """Cross-validated performance of a PLS-DA / sPLS-DA model (mixOmics ``perf``).

    Attributes
    ----------
    error_rate
        ``{"overall", "BER"}`` → DataFrame (components × distances), mean over repeats.
    error_rate_sd
        Same shape, sd over repeats (ddof 1; NaN with one repeat).
    error_rate_all
        ``{"overall", "BER"}`` → array (nrepeat × H × n_dist).
    error_rate_class
        ``{dist}`` → DataFrame (classes × components): per-class error, mean over repeats.
    error_rate_class_all
        ``{dist}`` → array (nrepeat × K × H).
    predict
        Out-of-fold predicted dummy scores, array (nrepeat × H × n × K).
    classes
        ``{dist}`` → array (nrepeat × n × H) of out-of-fold labels (ties: "A/B").
    choice_ncomp
        DataFrame (measure × dist): with nrepeat > 2, mixOmics' one-sided t-test rule; otherwise the first
        component with the smallest mean error.
    features_stable
        One Series per component: fraction of the folds × repeats in which each selected feature was selected
        (descending, ties by name).
    auc, auc_all
        With ``auc=True`` (mixOmics' ``auc``/``auc.all``): per component, ``auc`` is a DataFrame (rows "k vs
        Other(s)", or "A vs B" with two classes; columns ``AUC.mean``, ``AUC.sd``) and ``auc_all`` an array
        nrepeat × K' × (AUC, p-value). Each repeat's one-vs-rest AUC of the out-of-fold ``max.dist`` scores is
        mixOmics' ``statauc`` (fixed direction: an AUC below 0.5, which occurs out of fold, is kept as is; 4
        significant digits); mean and sd (ddof 1, NaN with one repeat) are over repeats of the rounded values.
    folds
        The fold labels used, one array per repeat.
    n_iter
        Sweeps of the refits, array (nrepeat × n_folds_max × H) (−1 where a repeat has fewer folds).
    """

    error_rate: dict[str, pd.DataFrame]
    error_rate_sd: dict[str, pd.DataFrame]
    error_rate_all: dict[str, np.ndarray]
    error_rate_class: dict[str, pd.DataFrame]
    error_rate_class_all: dict[str, np.ndarray]
    predict: np.ndarray
    classes: dict[str, np.ndarray]
    choice_ncomp: pd.DataFrame
    features_stable: list[pd.Series]
    folds: list[np.ndarray]
    levels: list
    dist: list[str]
    validation: str
    nrepeat: int
    auc: list[pd.DataFrame] | None = None
    auc_all: list[np.ndarray] | None = None
    n_iter: np.ndarray | None = None
    params: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        return (
            f"PerfResult(validation={self.validation!r}, nrepeat={self.nrepeat}, dist={self.dist}, "
            f"n_components={self.predict.shape[1]})\nBER:\n{self.error_rate['BER']}\n"
            f"choice_ncomp:\n{self.choice_ncomp}"
        )


def _check_dist(dist) -> list[str]:
    if isinstance(dist, str):
        if dist == "all":
            return list(DISTANCES)
        check_option(dist, DISTANCES, name="dist")
        return [dist]
    dists = list(dist)
    if not dists:
        raise ValidationError("dist must name at least one distance")
    for d in dists:
        check_option(d, DISTANCES + ("all",), name="dist")
    if "all" in dists:
        return list(DISTANCES)
    return [d for d in DISTANCES if d in dists]


def _check_common(nrepeat, signif_threshold):
    if isinstance(nrepeat, bool) or not isinstance(nrepeat, (int, np.integer)) or nrepeat < 1:
        raise ValidationError(f"nrepeat must be a positive integer, got {nrepeat!r}")
    if not (0 < float(signif_threshold) < 1):
        raise ValidationError(f"signif_threshold must be in (0, 1), got {signif_threshold!r}")


def _da_inputs(X, Y):
    X_arr, x_cols, x_idx = as_block(X, name="X", allow_nan=True)
    if Y is None:
        raise ValidationError("Y (class labels) is required")
    labels, y_idx = as_labels(Y, name="Y")
    check_rows(X_arr.shape[0], labels.shape[0], x_idx, y_idx, what_y="Y")
    levels = class_levels(Y if isinstance(Y, (pd.Series, pd.Categorical)) else labels)
    if len(levels) < 2:
        raise ValidationError(f"Y must contain at least 2 classes, got {len(levels)}: {levels}")
    lookup = {v: i for i, v in enumerate(levels)}
    codes = np.array([lookup[v] for v in labels], dtype=np.intp)
    dummy = dummy_matrix(labels, levels)
    names = np.asarray(x_cols, dtype=object) if x_cols is not None else np.array(
        [f"X{j + 1}" for j in range(X_arr.shape[1])], dtype=object)
    return X_arr, codes, dummy, levels, names


def _perf_da_task(task):
    """One chunk of (repeat, fold) refits of an sPLS-DA model; returns per fold what the errors need."""
    ctx, items = task
    X, dummy = ctx["X"], ctx["dummy"]
    H = len(ctx["keepX"])
    out = []
    tests = [ctx["folds"][r] == f for r, f in items]
    models = fit_folds_da(X, dummy, [~t for t in tests], ctx["keepX"], [], scale=ctx["scale"], tol=ctx["tol"],
                          max_iter=ctx["max_iter"], nzv=ctx["nzv"])
    preds = predict_group_da(models, [X[t] for t in tests], range(1, H + 1), ctx["dists"], ctx["mahalanobis"])
    for (r, _f), test, model, (Yh, codes) in zip(items, tests, models, preds, strict=True):
        kept_idx = np.flatnonzero(model.kept)
        W = model.W(0)
        selected = [kept_idx[np.flatnonzero(W[:, h])] for h in range(H)]
        out.append((r, np.flatnonzero(test), Yh, codes, selected, model.n_iter(0)))
    return out


def perf(
    model,
    X,
    Y,
    *,
    validation: str = "Mfold",
    folds: int = 10,
    nrepeat: int = 1,
    dist="all",
    fold_assignments=None,
    auc: bool = False,
    signif_threshold: float = 0.01,
    random_state=None,
    n_jobs: int | None = None,
    progress: bool | None = None,
    study=None,
):
    """Cross-validated error rates of a PLS-DA/sPLS-DA (or DIABLO) model, as mixOmics' ``perf``.

    Parameters
    ----------
    model
        A :class:`PLSDA`/:class:`SPLSDA` (fitted or not: its parameters are used) or a DIABLO model
        (``BlockSPLSDA``/``BlockPLSDA``, then ``X`` is a dict of blocks).
    X, Y
        The training data the model was (or would be) fitted on and the class labels.
    validation
        ``"Mfold"`` (stratified M-fold) or ``"loo"`` (leave-one-out; nrepeat is then 1).
    folds
        Number of folds for ``"Mfold"`` (2 ≤ folds ≤ n).
    nrepeat
        Number of repeats of the M-fold CV.
    dist
        ``"all"``, one of ``"max.dist"``, ``"centroids.dist"``, ``"mahalanobis.dist"``, or a list of them.
    fold_assignments
        Explicit folds, one entry per repeat: a length-n sequence of fold labels, or a list of 0-based index
        arrays (one per fold). Use the folds R recorded to reproduce mixOmics exactly. Overrides ``validation``'s
        random draw.
    auc
        Also compute one-vs-rest ROC AUCs per component as mixOmics does: for (s)PLS-DA on the out-of-fold
        scores (:class:`PerfResult` ``auc``); for DIABLO on each fold model's own training data
        (:class:`BlockPerfResult` ``auc``, see there).
    signif_threshold
        Level of the t-test rule for ``choice_ncomp``.
    random_state
        Seed of the fold draws (repeat r uses the r-th child seed; results never depend on ``n_jobs``).
    n_jobs
        joblib workers for the fold refits.
    progress
        Show a progress bar (``None``: only in a terminal).
    study
        MINT models only: the study of every sample. A :class:`MINTPLSDA`/:class:`MINTSPLSDA` model is evaluated
        as mixOmics does, leave-one-study-out (:func:`perf_mint`; ``validation``, ``folds``, ``nrepeat`` and
        ``random_state`` do not apply, ``fold_assignments`` and ``auc`` are refused).

    Returns
    -------
    :class:`PerfResult` (``BlockPerfResult`` for DIABLO models, ``MINTPerfResult`` for MINT models).
    """
    from ._mint import MINTPLSDA

    if isinstance(model, MINTPLSDA):
        from ._mint_perf import perf_mint

        if study is None:
            raise ValidationError(f"perf() of a {type(model).__name__} model needs study= (the study of every "
                                  "sample): MINT models are evaluated leave-one-study-out, as mixOmics does")
        if fold_assignments is not None or auc:
            raise ValidationError("perf() of a MINT model is leave-one-study-out: fold_assignments and auc=True "
                                  "are not supported (use auroc() on a held-out study for AUCs)")
        return perf_mint(model, X, Y, study=study, dist=dist)
    if study is not None:
        raise ValidationError(f"study is only used with MINT models, not {type(model).__name__}")
    if type(model).__name__ in ("BlockSPLSDA", "BlockPLSDA"):
        return perf_block(model, X, Y, validation=validation, folds=folds, nrepeat=nrepeat, dist=dist,
                          fold_assignments=fold_assignments, auc=auc, signif_threshold=signif_threshold,
                          random_state=random_state, n_jobs=n_jobs, progress=progress)
    if not isinstance(model, PLSDA):
        raise TypeError(f"perf() supports PLSDA, SPLSDA and DIABLO (BlockSPLSDA) models, got {type(model).__name__}")
    dists = _check_dist(dist)
    _check_common(nrepeat, signif_threshold)
    X_arr, codes, dummy, levels, names = _da_inputs(X, Y)
    n, p = X_arr.shape
    K = len(levels)
    validation, n_folds = check_validation(validation, folds, n)
    if validation == "loo" and fold_assignments is None:
        nrepeat = 1
    H = check_n_components(model.n_components, min(n - 1, p), what="min(n_samples − 1, n_features) of X")
    keepX = check_keep(model.keepX if isinstance(model, SPLSDA) else None, H, p, name="keepX")
    tol = float(check_positive(model.tol, name="tol"))
    max_iter = int(check_positive(model.max_iter, name="max_iter", integer=True))
    check_option(model.mahalanobis, ("mixomics", "textbook"), name="mahalanobis")

    rngs = spawn_generators(random_state, nrepeat) if (validation == "Mfold" and fold_assignments is None) else None
    fold_list = draw_folds(n, validation=validation, folds=n_folds, nrepeat=nrepeat, codes=codes,
                           fold_assignments=fold_assignments, rngs=rngs)
    ctx = {"X": X_arr, "dummy": dummy, "keepX": keepX, "scale": bool(model.scale), "tol": tol,
           "max_iter": max_iter, "nzv": bool(model.near_zero_var), "dists": dists, "mahalanobis": model.mahalanobis,
           "folds": fold_list}
    items = [(r, f) for r in range(nrepeat) for f in range(int(fold_list[r].max()) + 1)]
    tasks = [(ctx, g) for g in fold_groups(fold_list, group_size(n, p, K, 1))]
    results = [x for chunk in parallel_map(_perf_da_task, tasks, n_jobs=n_jobs, progress=progress,
                                           desc="perf folds") for x in chunk]

    predict = np.zeros((nrepeat, H, n, K))
    code_arr = {d: np.zeros((nrepeat, H, n), dtype=np.intp) for d in dists}
    ties = {d: [[{} for _ in range(H)] for _ in range(nrepeat)] for d in dists}
    counts = np.zeros((H, p))
    max_f = max(int(f.max()) + 1 for f in fold_list)
    n_iter = np.full((nrepeat, max_f, H), -1, dtype=np.intp)
    fold_counter = [0] * nrepeat
    for r, test_idx, Yh, cd, selected, its in results:
        for h in range(1, H + 1):
            predict[r, h - 1, test_idx] = Yh[h]
            for d in dists:
                c, tie = cd[d][h]
                code_arr[d][r, h - 1, test_idx] = c
                for i, t in tie.items():
                    ties[d][r][h - 1][int(test_idx[i])] = t
        for h in range(H):
            counts[h, selected[h]] += 1
        n_iter[r, fold_counter[r], : its.size] = its
        fold_counter[r] += 1
    total_folds = len(items)

    err_all = {m: np.zeros((nrepeat, H, len(dists))) for m in MEASURES}
    cls_all = {d: np.zeros((nrepeat, K, H)) for d in dists}
    for r in range(nrepeat):
        for h in range(H):
            for j, d in enumerate(dists):
                ov, ber, per = class_errors(code_arr[d][r, h], codes, K)
                err_all["overall"][r, h, j] = ov
                err_all["BER"][r, h, j] = ber
                cls_all[d][r, :, h] = per
    comp_names = [f"comp{h + 1}" for h in range(H)]
    lev = [str(v) for v in levels]
    error_rate = {m: pd.DataFrame(err_all[m].mean(axis=0), index=comp_names, columns=dists) for m in MEASURES}
    error_rate_sd = {
        m: pd.DataFrame(err_all[m].std(axis=0, ddof=1) if nrepeat > 1 else np.full((H, len(dists)), np.nan),
                        index=comp_names, columns=dists)
        for m in MEASURES
    }
    error_rate_class = {d: pd.DataFrame(cls_all[d].mean(axis=0), index=lev, columns=comp_names) for d in dists}
    choice = np.zeros((len(MEASURES), len(dists)), dtype=int)
    for i, m in enumerate(MEASURES):
        for j in range(len(dists)):
            vals = err_all[m][:, :, j]
            if nrepeat > 2 and H > 1:
                choice[i, j] = ttest_choice(vals, signif_threshold)
            else:
                choice[i, j] = first_min(vals.mean(axis=0)) + 1
    levels_arr = np.asarray(levels, dtype=object)
    classes = {}
    for d in dists:
        arr = np.empty((nrepeat, n, H), dtype=object)
        for r in range(nrepeat):
            for h in range(H):
                arr[r, :, h] = code_labels(code_arr[d][r, h], ties[d][r][h], levels_arr)
        classes[d] = arr
    features_stable = []
    for h in range(H):
        frac = counts[h] / total_folds
        nz = np.flatnonzero(frac > 0)
        s = pd.Series(frac[nz], index=pd.Index(names[nz], name="feature"), name=f"comp{h + 1}")
        order = sorted(range(len(s)), key=lambda i: (-s.iloc[i], str(s.index[i])))
        features_stable.append(s.iloc[order])
    res = PerfResult(
        error_rate=error_rate, error_rate_sd=error_rate_sd, error_rate_all=err_all, error_rate_class=error_rate_class,
        error_rate_class_all=cls_all, predict=predict, classes=classes,
        choice_ncomp=pd.DataFrame(choice, index=list(MEASURES), columns=dists), features_stable=features_stable,
        folds=fold_list, levels=list(levels), dist=dists, validation=validation, nrepeat=nrepeat, n_iter=n_iter,
        params={"keepX": keepX, "n_components": H, "folds": n_folds, "signif_threshold": signif_threshold},
    )
    if auc:
        res.auc, res.auc_all = _auc_tables(predict, np.asarray(lev, dtype=object)[codes], lev)
    return res


def _auc_tables(predict: np.ndarray, labels: np.ndarray, levels: list):
    """mixOmics' perf AUC: per repeat, ``statauc`` (4 significant digits) of the out-of-fold scores; then the mean
    and sd (ddof 1) over repeats of the rounded AUCs."""
    nrepeat, H = predict.shape[:2]
    auc_mean, auc_all = [], []
    for h in range(H):
        tabs = [auc_table(predict[r, h], labels, levels, digits=4) for r in range(nrepeat)]
        a = np.stack([t.to_numpy(dtype=float) for t in tabs])  # nrepeat × K' × (AUC, p-value)
        auc_all.append(a)
        sd = a[:, :, 0].std(axis=0, ddof=1) if nrepeat > 1 else np.full(a.shape[1], np.nan)
        auc_mean.append(pd.DataFrame({"AUC.mean": a[:, :, 0].mean(axis=0), "AUC.sd": sd}, index=tabs[0].index))
    return auc_mean, auc_all


# =========================================================================== DIABLO
VOTE_ROWS = ("Overall.ER", "Overall.BER")


@dataclass
class BlockPerfResult:
    """Cross-validated performance of a DIABLO model (mixOmics ``perf.sgccda``).

    Attributes
    ----------
    error_rate, error_rate_sd
        ``{block: DataFrame (components × distances)}``: the **overall** error rate of each block's own prediction
        (as mixOmics' ``error.rate[[block]]``), mean and sd over repeats.
    error_rate_all
        ``{block: array (nrepeat × H × n_dist)}``.
    error_rate_per_class, error_rate_per_class_all
        ``{block: {dist: DataFrame (classes × components)}}`` (mean over repeats) and the per-repeat arrays
        (nrepeat × K × H).
    majority_vote, weighted_vote
        ``{"error_rate": {dist: DataFrame}, "error_rate_sd": {dist: DataFrame}, "error_rate_all": {dist: array
        (nrepeat × (K + 2) × H)}}``; rows are the classes, then ``Overall.ER`` and ``Overall.BER``. A NA vote
        (MajorityVote tie) counts as an error.
    averaged_predict, weighted_predict
        Same tables for the max.dist classes of AveragedPredict / WeightedPredict (DataFrames, not dicts).
    choice_ncomp
        ``{"AveragedPredict", "WeightedPredict", "MajorityVote", "WeightedVote"}`` → DataFrame
        (Overall.ER/Overall.BER × dist): t-test rule with nrepeat > 2, else the first minimum.
    weights
        DataFrame (repeat, fold, block, comp1..compH): the fold models' block weights cor(t_block, t_Y).
    classes
        ``classes[r][block][dist]``: out-of-fold labels (n × H, rows in sample order) per repeat.
    features_stable
        ``{block: [Series per component]}``: selection frequency over folds × repeats.
    folds
        Fold labels per repeat.
    auc, auc_all
        With ``auc=True``, mixOmics' ``perf.sgccda`` AUC: **not out of fold**. Each fold model is refitted on
        the training rows of the model's stored X (centred/scaled on all samples) and its ``auroc`` is computed
        on that fold's own training data as the fold model stores it (already scaled, and scaled a second time
        by predict — mixOmics' quirk), per block and component (``statauc``, 4 significant digits), and
        ``auc["comp<h>"]`` (rows "k vs Other(s)", columns ``AUC``, ``p-value``) is the mean over folds, blocks
        and repeats. ``auc_all``: the long table (repeat, fold, block, comp, class, AUC, p-value). These AUCs are
        optimistic (training data); the error rates are the out-of-fold measure.
    """

    error_rate: dict[str, pd.DataFrame]
    error_rate_sd: dict[str, pd.DataFrame]
    error_rate_all: dict[str, np.ndarray]
    error_rate_per_class: dict[str, dict[str, pd.DataFrame]]
    error_rate_per_class_all: dict[str, dict[str, np.ndarray]]
    majority_vote: dict
    weighted_vote: dict
    averaged_predict: dict
    weighted_predict: dict
    choice_ncomp: dict[str, pd.DataFrame]
    weights: pd.DataFrame
    classes: list[dict[str, dict[str, np.ndarray]]]
    features_stable: dict[str, list[pd.Series]]
    folds: list[np.ndarray]
    levels: list
    dist: list[str]
    validation: str
    nrepeat: int
    auc: dict[str, pd.DataFrame] | None = None
    auc_all: pd.DataFrame | None = None

    def __repr__(self) -> str:
        wv = self.weighted_vote["error_rate"]
        return (f"BlockPerfResult(validation={self.validation!r}, nrepeat={self.nrepeat}, dist={self.dist})\n"
                f"WeightedVote error rates:\n" + "\n".join(f"{d}:\n{t}" for d, t in wv.items()))


def _block_inputs(X, Y, model):
    from ._block import _as_blocks

    blocks = _as_blocks(X)
    names = list(blocks)
    n = blocks[names[0]][0].shape[0]
    labels, y_idx = as_labels(Y, name="Y")
    if labels.shape[0] != n:
        raise ValidationError(f"X blocks and Y are not aligned: {n} rows vs {labels.shape[0]} labels")
    if y_idx is not None and blocks[names[0]][2] is not None:
        check_rows(n, labels.shape[0], blocks[names[0]][2], y_idx, what_y="Y")
    levels = class_levels(Y if isinstance(Y, (pd.Series, pd.Categorical)) else labels)
    if len(levels) < 2:
        raise ValidationError(f"Y must contain at least 2 classes, got {len(levels)}: {levels}")
    lookup = {v: i for i, v in enumerate(levels)}
    codes = np.array([lookup[v] for v in labels], dtype=np.intp)
    arrays = {b: blocks[b][0] for b in names}
    feat = {b: (np.asarray(blocks[b][1], dtype=object) if blocks[b][1] is not None
                else np.array([f"{b}{j + 1}" for j in range(arrays[b].shape[1])], dtype=object)) for b in names}
    return arrays, feat, labels, codes, levels


def fit_fold_block(model_params: dict, cls, Xtr: dict, ytr, keepX: dict | None):
    """Refit a DIABLO model on training rows, dropping zero-variance training columns (keepX capped)."""
    kept, Xk, kx = {}, {}, None if keepX is None else {}
    for b, arr in Xtr.items():
        with np.errstate(invalid="ignore"):
            ok = np.nanstd(arr, axis=0) > 0 if np.isnan(arr).any() else np.ptp(arr, axis=0) > 0
        kept[b] = ok
        Xk[b] = arr if ok.all() else arr[:, ok]
        if keepX is not None and b in keepX:
            kx[b] = [min(int(k), int(ok.sum())) for k in keepX[b]]
    params = dict(model_params)
    if kx is not None:
        params["keepX"] = kx
    est = cls(**params).fit(Xk, ytr)
    return est, kept


def _perf_block_task(task):
    import warnings

    from ._block_cv import fit_models, predict_model, prepare_fold

    ctx, items = task
    out = {}
    names = list(ctx["X"])
    arrays = [ctx["X"][b] for b in names]
    p = ctx["params"]
    H = ctx["H"]
    lean, slow = {}, []
    for r, f in items:
        test = ctx["folds"][r] == f
        fd = None if ctx["slow"] else prepare_fold(arrays, ctx["codes"], len(ctx["levels"]), ~test, test,
                                                   scale=p["scale"])
        if fd is None:
            slow.append((r, f))
        else:
            lean.setdefault(tuple(x.shape[1] for x in fd.Xs), []).append((r, f, fd))
    keep = [check_keep((ctx["keepX"] or {}).get(b), H, a.shape[1], name=f"keepX[{b!r}]")
            for b, a in zip(names, arrays, strict=True)]
    for group in lean.values():  # the lean refits, folds with the same block widths stacked
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fits = fit_models([fd for _, _, fd in group], ctx["design"], keep, H, tol=p["tol"],
                              max_iter=p["max_iter"], init_signs=p["init_signs"], n_pad=ctx["n_pad"])
        for (r, f, fd), (W, T) in zip(group, fits, strict=True):
            res = predict_model(fd, W, T, ctx["levels"], ctx["dists"], mahalanobis=p["mahalanobis"])
            selected = {}
            for j, b in enumerate(names):
                kidx = np.flatnonzero(fd.kept[j])
                selected[b] = [kidx[np.flatnonzero(W[j][:, h])] for h in range(H)]
            out[(r, f)] = (r, f, np.flatnonzero(ctx["folds"][r] == f), {
                "classes": {d: {b: res["classes"][d][j] for j, b in enumerate(names)} for d in ctx["dists"]},
                "mv": res["mv"], "wv": res["wv"], "ap": res["ap"], "wp": res["wp"],
                "weights": res["weights"], "selected": selected,
            })
    for r, f in slow:  # estimator refits (missing values, near-zero-variance filtering, absent classes)
        test = ctx["folds"][r] == f
        train = ~test
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est, kept = fit_fold_block(ctx["params"], ctx["cls"], {b: a[train] for b, a in ctx["X"].items()},
                                       ctx["labels_cat"][train], ctx["keepX"])
            pred = est.predict({b: a[test][:, kept[b]] for b, a in ctx["X"].items()}, dist="all")
        selected = {}
        for b in ctx["X"]:
            kidx = np.flatnonzero(kept[b])
            L = est.loadings_[b]
            selected[b] = [kidx[np.flatnonzero(L[:, h])] for h in range(L.shape[1])]
        out[(r, f)] = (r, f, np.flatnonzero(test), {
            "classes": pred.classes, "mv": pred.majority_vote, "wv": pred.weighted_vote,
            "ap": pred.averaged_predict_class["max.dist"], "wp": pred.weighted_predict_class["max.dist"],
            "weights": est.weights_.loc[names].to_numpy(), "selected": selected,
        })
    return [out[it] for it in items]


def _block_auc_task(task):
    """AUCs of the fold refits as mixOmics' ``perf.sgccda`` computes them (see :class:`BlockPerfResult`)."""
    import warnings

    ctx, items = task
    out = []
    lev = [str(v) for v in ctx["levels"]]
    scale = bool(ctx["params"].get("scale", True))
    full = {}
    for b, a in ctx["X"].items():  # the model's stored X: centred (and scaled) on all samples
        with np.errstate(invalid="ignore"):
            Xs = a - np.nanmean(a, axis=0)
            if scale:
                sd = np.nanstd(a, axis=0, ddof=1)
                Xs = Xs / np.where(sd > 0, sd, 1.0)
        full[b] = Xs
    for r, f in items:
        train = ctx["folds"][r] != f
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est, kept = fit_fold_block(ctx["params"], ctx["cls"], {b: a[train] for b, a in full.items()},
                                       ctx["labels_cat"][train], ctx["keepX"])
            stored = {}  # the fold model's own (scaled) training data, which predict scales once more
            for b, a in full.items():
                sc = est.scaling_[b]
                Xs = a[train][:, kept[b]] - sc.mean
                if sc.scale is not None:
                    Xs = Xs / np.where(sc.scale > 0, sc.scale, 1.0)
                stored[b] = Xs
            pred = est.predict(stored, dist="max.dist")
        truth = np.asarray([str(v) for v in ctx["labels_cat"][train]], dtype=object)
        out.append((r, f, {b: [auc_table(pred.predict[b][h], truth, lev, digits=4) for h in range(ctx["H"])]
                           for b in est.block_names_}))
    return out


def _label_errors(pred_labels: np.ndarray, truth: np.ndarray, levels: list) -> tuple[float, float, np.ndarray]:
    """(overall, BER, per-class) errors of label predictions; None/NA and "A/B" labels are errors."""
    pred_labels = np.asarray(pred_labels, dtype=object)
    if pred_labels.shape != truth.shape:
        raise ValueError("pred_labels and truth differ in length")
    wrong = (pred_labels != truth).astype(bool)  # truth has no None: a None (NA) label is never equal
    per = np.array([wrong[truth == lev].mean() for lev in levels])
    return float(wrong.mean()), float(per.mean()), per


def perf_block(model, X, Y, *, validation="Mfold", folds=10, nrepeat=1, dist="all", fold_assignments=None, auc=False,
               signif_threshold=0.01, random_state=None, n_jobs=None, progress=None) -> BlockPerfResult:
    """:func:`perf` for DIABLO models (``BlockSPLSDA``/``BlockPLSDA``); see :class:`BlockPerfResult`.

    Each fold refits the model (same keepX, design, tol, ...; zero-variance training columns dropped) and predicts
    the held-out rows of every block with all distances; per-block classes, MajorityVote, WeightedVote (fold
    model weights), AveragedPredict and WeightedPredict are scored.
    """
    dists = _check_dist(dist)
    _check_common(nrepeat, signif_threshold)
    arrays, feat, labels, codes, levels = _block_inputs(X, Y, model)
    names = list(arrays)
    n = codes.shape[0]
    K = len(levels)
    validation, n_folds = check_validation(validation, folds, n)
    if validation == "loo" and fold_assignments is None:
        nrepeat = 1
    params = model.get_params()
    keepX = params.get("keepX")
    H = int(model.n_components)
    rngs = spawn_generators(random_state, nrepeat) if (validation == "Mfold" and fold_assignments is None) else None
    fold_list = draw_folds(n, validation=validation, folds=n_folds, nrepeat=nrepeat, codes=codes,
                           fold_assignments=fold_assignments, rngs=rngs)
    labels_cat = pd.Categorical(labels, categories=levels)
    # a Categorical keeps the level order (and every level) in each fold
    from ._block import BlockPLSDA
    from ._design import design_matrix

    # the lean refits (``_block_cv``) cover complete blocks without near-zero-variance filtering; otherwise the
    # estimator is refitted (same results, slower)
    slow = (not isinstance(model, BlockPLSDA) or bool(params.get("near_zero_var"))
            or any(np.isnan(a).any() for a in arrays.values()))
    design_arr = design_matrix(params["design"], names, y_name="Y").to_numpy()
    ctx = {"X": arrays, "params": params, "cls": type(model), "keepX": keepX, "labels_cat": labels_cat,
           "folds": fold_list, "slow": slow, "codes": codes, "levels": list(levels), "design": design_arr, "H": H,
           "dists": dists,
           # rows of the stacked fold refits: the largest training set (fixed by the folds, not by the chunking)
           "n_pad": max(int(np.sum(lab != f)) for lab in fold_list for f in np.unique(lab))}
    items = [(r, f) for r in range(nrepeat) for f in range(int(fold_list[r].max()) + 1)]
    tasks = [(ctx, c) for c in chunks(items, n_chunks_for(n_jobs))]
    results = [x for chunk in parallel_map(_perf_block_task, tasks, n_jobs=n_jobs, progress=progress,
                                           desc="perf folds") for x in chunk]
    truth = np.asarray(labels, dtype=object)
    lev = [str(v) for v in levels]
    levels_obj = list(levels)
    cls = [{b: {d: np.empty((n, H), dtype=object) for d in dists} for b in names} for _ in range(nrepeat)]
    votes = {k: [{d: np.empty((n, H), dtype=object) for d in dists} for _ in range(nrepeat)] for k in ("mv", "wv")}
    preds = {k: [np.empty((n, H), dtype=object) for _ in range(nrepeat)] for k in ("ap", "wp")}
    counts = {b: np.zeros((H, arrays[b].shape[1])) for b in names}
    wrows = []
    for r, f, idx, res in results:
        for d in dists:
            for b in names:
                cls[r][b][d][idx] = res["classes"][d][b]
            for k in ("mv", "wv"):
                votes[k][r][d][idx] = res[k][d]
        for k in ("ap", "wp"):
            preds[k][r][idx] = res[k]
        for b in names:
            for h in range(H):
                counts[b][h, res["selected"][b][h]] += 1
        w = res["weights"]
        for j, b in enumerate(names):
            wrows.append([r + 1, f + 1, b] + [float(w[j, h]) for h in range(H)])
    comp_names = [f"comp{h + 1}" for h in range(H)]
    err_all, cls_all = {}, {}
    for b in names:
        e = np.zeros((nrepeat, H, len(dists)))
        pc = {d: np.zeros((nrepeat, K, H)) for d in dists}
        for r in range(nrepeat):
            for h in range(H):
                for j, d in enumerate(dists):
                    ov, _, per = _label_errors(cls[r][b][d][:, h], truth, levels_obj)
                    e[r, h, j] = ov
                    pc[d][r, :, h] = per
        err_all[b], cls_all[b] = e, pc

    def _sd(a, axis=0):
        return a.std(axis=axis, ddof=1) if a.shape[axis] > 1 else np.full(np.delete(a.shape, axis), np.nan)

    def vote_table(tabs):  # list over repeats of n × H labels → (nrepeat × (K+2) × H)
        out = np.zeros((nrepeat, K + 2, H))
        for r in range(nrepeat):
            for h in range(H):
                ov, ber, per = _label_errors(tabs[r][:, h], truth, levels_obj)
                out[r, :K, h], out[r, K, h], out[r, K + 1, h] = per, ov, ber
        return out

    rows = lev + list(VOTE_ROWS)

    def summarise(allv):
        return (pd.DataFrame(allv.mean(axis=0), index=rows, columns=comp_names),
                pd.DataFrame(_sd(allv), index=rows, columns=comp_names))

    def choice_for(allv):
        res = []
        for k in (K, K + 1):
            vals = allv[:, k, :]
            res.append(ttest_choice(vals, signif_threshold) if nrepeat > 2 and H > 1
                       else first_min(vals.mean(axis=0)) + 1)
        return res

    vote_res, choice = {}, {}
    for key, name in (("mv", "MajorityVote"), ("wv", "WeightedVote")):
        tabs = {d: vote_table([votes[key][r][d] for r in range(nrepeat)]) for d in dists}
        er, sd = {}, {}
        for d in dists:
            er[d], sd[d] = summarise(tabs[d])
        vote_res[key] = {"error_rate": er, "error_rate_sd": sd, "error_rate_all": tabs}
        choice[name] = pd.DataFrame(np.array([choice_for(tabs[d]) for d in dists]).T, index=list(VOTE_ROWS),
                                    columns=dists)
    for key, name in (("ap", "AveragedPredict"), ("wp", "WeightedPredict")):
        tab = vote_table(preds[key])
        er, sd = summarise(tab)
        vote_res[key] = {"error_rate": er, "error_rate_sd": sd, "error_rate_all": tab}
        choice[name] = pd.DataFrame(np.array([choice_for(tab)]).T, index=list(VOTE_ROWS), columns=["max.dist"])
    auc_mean = auc_all = None
    if auc:
        auc_res = [x for chunk in parallel_map(_block_auc_task, [(ctx, c) for c in chunks(items, n_chunks_for(n_jobs))],
                                               n_jobs=n_jobs, progress=progress, desc="perf AUC") for x in chunk]
        long = []
        auc_mean = {}
        for h in range(H):
            tabs = [t[b][h] for _, _, t in auc_res for b in names]
            rows_h = tabs[0].index
            vals = np.stack([t.to_numpy(dtype=float) for t in tabs])
            auc_mean[comp_names[h]] = pd.DataFrame(vals.mean(axis=0), index=rows_h, columns=["AUC", "p-value"])
        for r, f, t in auc_res:
            for b in names:
                for h in range(H):
                    for row, (a, pv) in t[b][h].iterrows():
                        long.append((r + 1, f + 1, b, comp_names[h], row, a, pv))
        auc_all = pd.DataFrame(long, columns=["repeat", "fold", "block", "comp", "class", "AUC", "p-value"])
    total = len(items)
    stable = {}
    for b in names:
        stable[b] = []
        for h in range(H):
            frac = counts[b][h] / total
            nz = np.flatnonzero(frac > 0)
            s = pd.Series(frac[nz], index=pd.Index(feat[b][nz], name="feature"), name=f"comp{h + 1}")
            order = sorted(range(len(s)), key=lambda i: (-s.iloc[i], str(s.index[i])))
            stable[b].append(s.iloc[order])
    return BlockPerfResult(
        error_rate={b: pd.DataFrame(err_all[b].mean(axis=0), index=comp_names, columns=dists) for b in names},
        error_rate_sd={b: pd.DataFrame(_sd(err_all[b]), index=comp_names, columns=dists) for b in names},
        error_rate_all=err_all,
        error_rate_per_class={b: {d: pd.DataFrame(cls_all[b][d].mean(axis=0), index=lev, columns=comp_names)
                                  for d in dists} for b in names},
        error_rate_per_class_all=cls_all,
        majority_vote=vote_res["mv"], weighted_vote=vote_res["wv"], averaged_predict=vote_res["ap"],
        weighted_predict=vote_res["wp"], choice_ncomp=choice,
        weights=pd.DataFrame(wrows, columns=["repeat", "fold", "block"] + comp_names),
        classes=cls, features_stable=stable, folds=fold_list, levels=list(levels), dist=dists,
        validation=validation, nrepeat=nrepeat, auc=auc_mean, auc_all=auc_all,
    )
