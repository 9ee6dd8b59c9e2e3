"""L1-penalised logistic regression with the penalty chosen by cross-validated AUC, and stability selection.

Features are standardised with training statistics. ``select="1se"`` (default) takes the strongest penalty
(smallest C) whose mean CV AUC is within one standard error of the best; ``"best"`` the best. With
``guard=True`` a model whose best CV AUC is not above ``0.5 + 2 SE`` (SE: the larger of the fold standard error
and the chance-level SD of an AUC for these class sizes, ``sqrt((n1 + n0 + 1) / (12 n1 n0))``) is reported as "no signal": all
coefficients are set to zero (the spec's requirement for honest, sparse interpretation under null data).
"""

from __future__ import annotations

import inspect
import threading
import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from .._parallel import parallel_map, root_seed_sequence

DEFAULT_CS = np.logspace(-3, 0, 10)
_HAS_L1_RATIO = "l1_ratio" in inspect.signature(LogisticRegression).parameters and (
    inspect.signature(LogisticRegression).parameters["penalty"].default == "deprecated"
)


def l1_logistic(C: float, *, max_iter: int = 500) -> LogisticRegression:
    """An L1 logistic regression that works on scikit-learn before and after 1.8 (``penalty`` deprecation)."""
    if _HAS_L1_RATIO:
        return LogisticRegression(C=C, l1_ratio=1.0, solver="liblinear", max_iter=max_iter, random_state=0)
    return LogisticRegression(C=C, penalty="l1", solver="liblinear", max_iter=max_iter, random_state=0)  # pragma: no cover


# liblinear draws its coordinate order from one process-global generator: two fits running at once in threads
# interleave its draws and converge to (slightly) different coefficients, so fits are serialised within a process
# (processes, joblib's default loky backend, still run in parallel); results then never depend on n_jobs
_LIBLINEAR_LOCK = threading.Lock()


def _fit(Z, y, C):
    with _LIBLINEAR_LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return l1_logistic(C).fit(Z, y)


def _safe_auc(y, s) -> float:
    return float(roc_auc_score(y, s)) if len(np.unique(y)) == 2 else float("nan")


def _fold_task(task):
    """Held-out AUC and decision values of one fold for every C."""
    Z, y, tr, te, Cs = task
    auc, dec = [], []
    for C in Cs:
        m = _fit(Z[tr], y[tr], C)
        d = m.decision_function(Z[te])
        auc.append(_safe_auc(y[te], d))
        dec.append(d)
    return auc, np.array(dec)


def _cv_path(Z, y, splits, Cs, sd_null, patience, n_jobs):
    """Fold AUCs ``(folds, Cs)`` (NaN where untried) and per-fold decision values ``(Cs, n_test)`` along the C path,
    stopped early after the peak (see ``patience`` in :func:`fit_lasso_logistic`)."""
    nf = len(splits)
    auc = np.full((nf, Cs.size), np.nan)
    dec = [np.zeros((Cs.size, te.size)) for _, te in splits]
    best, since = -np.inf, 0
    for j, C in enumerate(Cs):
        out = parallel_map(_fold_task, [(Z, y, tr, te, [C]) for tr, te in splits], n_jobs=n_jobs)
        for i, (a, d) in enumerate(out):
            auc[i, j] = a[0]
            dec[i][j] = d[0]
        col = auc[:, j]
        mj = float(np.nanmean(col)) if np.isfinite(col).any() else -np.inf
        sej = float(np.nanstd(col, ddof=1) / np.sqrt(np.isfinite(col).sum())) if nf > 1 else 0.0
        if mj > best:
            best, since, best_se = mj, 0, np.nan_to_num(sej)
        else:
            since += 1
        if patience is not None and since >= patience and best > 0.5 + 2 * max(best_se, sd_null):
            break
    return auc, dec


def _stab_task(task, rng):
    Z, y, C, frac = task
    idx = []
    for cls in (0, 1):
        members = np.nonzero(y == cls)[0]
        idx.append(rng.choice(members, size=max(int(frac * members.size), 1), replace=False))
    idx = np.concatenate(idx)
    # liblinear's C multiplies a sum over rows: the same per-row penalty on a half sample needs C * n / n_half
    # (at C itself the refits are twice as sparse as the model they are meant to check)
    return _fit(Z[idx], y[idx], C * y.size / idx.size).coef_[0] != 0


def _choose(auc: np.ndarray, rule: str) -> tuple[int, float, float]:
    """Index of the chosen C (``rule`` "best"/"1se") from a (folds, Cs) AUC table, with its mean and SE."""
    m = np.nanmean(auc, axis=0)
    nf = np.isfinite(auc).sum(axis=0)
    se = np.nanstd(auc, axis=0, ddof=1) / np.sqrt(nf) if auc.shape[0] > 1 else np.zeros(auc.shape[1])
    se = np.nan_to_num(se)
    best = int(np.nanargmax(m))
    k = best if rule == "best" else int(np.nonzero(m >= m[best] - se[best])[0][0])
    return k, float(m[best]), float(se[best])


def _chance_sd(y) -> float:
    """SD of an AUC under no signal (Mann-Whitney null) for these class sizes."""
    n1, n0 = int(np.sum(y)), int(np.sum(1 - np.asarray(y)))
    return float(np.sqrt((n1 + n0 + 1) / (12.0 * max(n1, 1) * max(n0, 1))))


def _nested_oof(auc, splits, decisions, y, rule, guard) -> np.ndarray:
    """Out-of-fold decision values with the penalty of each held-out fold chosen (and guarded) on the AUCs of the
    *other* folds only, so that a fold's labels do not pick its own C: a cheap stand-in for a nested CV, with no
    extra fit (used by the stacked combination)."""
    oof = np.zeros(y.size)
    for i, ((tr, te), dec) in enumerate(zip(splits, decisions, strict=True)):
        others = np.delete(auc, i, axis=0)
        if not np.isfinite(others).any():
            continue
        k, m_best, se_best = _choose(others, rule)
        if guard and not (m_best > 0.5 + 2 * max(se_best, _chance_sd(y[tr]))):
            continue  # no signal in this fold: score 0
        oof[te] = dec[k]
    return oof


@dataclass
class LassoResult:
    """A fitted L1-logistic model on standardised features."""

    coef: np.ndarray  # on standardised features
    intercept: float
    C: float
    Cs: np.ndarray
    cv_auc: np.ndarray  # (folds, Cs)
    mean: np.ndarray
    scale: np.ndarray
    no_signal: bool = False
    stability: np.ndarray | None = None
    extra: dict = field(default_factory=dict)
    # prediction model (``predict=`` of fit_lasso_logistic; None: the interpretation model above) and the
    # out-of-fold decision values of the rows (from the CV fits, no extra fit; each fold's C chosen and guarded on
    # the other folds, see _nested_oof)
    predict_coef: np.ndarray | None = None
    predict_intercept: float | None = None
    predict_C: float | None = None
    oof: np.ndarray | None = None

    @property
    def selected(self) -> np.ndarray:
        return np.nonzero(self.coef)[0]

    @property
    def cv_auc_mean(self) -> float:
        return float(np.nanmean(self.cv_auc[:, list(self.Cs).index(self.C)]))

    @property
    def cv_auc_se(self) -> float:
        col = self.cv_auc[:, list(self.Cs).index(self.C)]
        return float(np.nanstd(col, ddof=1) / np.sqrt(np.isfinite(col).sum()))

    def standardize(self, F: np.ndarray) -> np.ndarray:
        return (np.asarray(F, dtype=float) - self.mean) / self.scale

    def decision_function(self, F: np.ndarray) -> np.ndarray:
        """Scores of the prediction model (the interpretation model unless ``predict`` chose another C)."""
        if self.predict_coef is not None:
            return self.standardize(F) @ self.predict_coef + self.predict_intercept
        return self.standardize(F) @ self.coef + self.intercept

    def contributions(self, F: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean ``coef_j * z_ij`` over the sequences of class 1 and of class 0 (signed, per feature)."""
        Z = self.standardize(F) * self.coef
        y = np.asarray(y)
        return Z[y == 1].mean(axis=0), Z[y == 0].mean(axis=0)


def fit_lasso_logistic(
    F: np.ndarray,
    y: np.ndarray,
    *,
    Cs=None,
    cv: int = 5,
    select: str = "1se",
    guard: bool = True,
    stability: int = 0,
    stability_fraction: float = 0.5,
    predict: str | None = None,
    patience: int | None = 2,
    random_state=0,
    n_jobs: int | None = None,
) -> LassoResult:
    """Standardise, choose C by stratified ``cv``-fold CV AUC, refit on all rows; optional stability selection.

    Parameters
    ----------
    F, y
        Features ``(n, p)`` and 0/1 labels.
    Cs
        Inverse penalties to try (default ``logspace(-3, 0, 10)``).
    cv
        Number of folds.
    select
        ``"1se"`` (sparsest C within one SE of the best mean CV AUC) or ``"best"``.
    guard
        Report "no signal" (all-zero coefficients) when the best CV AUC is not above ``0.5 + 2 SE``.
    stability
        Number of subsample refits (half of each class, at the chosen per-row penalty: ``C * n / n_half``) for
        selection frequencies; 0 = none.
        When the guard reports no signal every frequency is 0 (no refit is run).
    predict
        ``None`` (scores from the ``select`` model) or ``"best"``/``"1se"``: the rule choosing the C of the model
        behind :meth:`LassoResult.decision_function`, so that interpretation can stay sparse (``select="1se"``,
        ``coef``) while prediction uses the CV-best penalty (``predict_coef``; one extra fit). The guard zeroes
        both. ``oof`` holds out-of-fold decision values of the rows of ``F``: each fold's C is chosen by the
        ``predict`` (else ``select``) rule, and the guard applied, on the CV AUCs of the other folds only.
    patience
        The Cs are tried in increasing order (all folds at once) and the path stops once the mean CV AUC passes
        the guard's threshold and has not improved for ``patience`` consecutive Cs (weak penalties are the
        slowest fits and past the peak they only lose AUC); ``None``: the whole grid. Without a signal the whole
        grid is always run. Untried Cs have NaN in ``cv_auc``.
    random_state
        Seeds the folds and the stability subsamples (results do not depend on ``n_jobs``).
    """
    F = np.asarray(F, dtype=float)
    y = np.asarray(y).astype(int)
    if F.ndim != 2 or F.shape[0] != y.size:
        raise ValueError(f"F must be (n, p) with n = len(y); got {F.shape} and {y.size}")
    if set(np.unique(y)) != {0, 1}:
        raise ValueError("y must contain both classes 0 and 1")
    if select not in ("1se", "best"):
        raise ValueError(f"select must be '1se' or 'best', got {select!r}")
    if predict not in (None, "1se", "best"):
        raise ValueError(f"predict must be None, '1se' or 'best', got {predict!r}")
    Cs = np.sort(np.asarray(DEFAULT_CS if Cs is None else Cs, dtype=float))
    mean = F.mean(axis=0)
    scale = F.std(axis=0)
    scale[scale == 0] = 1.0
    Z = (F - mean) / scale
    seeds = root_seed_sequence(random_state).spawn(2)
    folds = StratifiedKFold(n_splits=cv, shuffle=True, random_state=int(seeds[0].generate_state(1)[0] % 2**31))
    splits = list(folds.split(Z, y))
    # chance-level SD of an AUC with these class sizes (Mann-Whitney null): a floor for the few-fold SE
    n1, n0 = int(y.sum()), int((1 - y).sum())
    sd_null = float(np.sqrt((n1 + n0 + 1) / (12.0 * n1 * n0)))
    auc, decisions = _cv_path(Z, y, splits, Cs, sd_null, patience, n_jobs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # columns of Cs beyond the stopped path are all NaN
        m = np.nanmean(auc, axis=0)
        se = np.nanstd(auc, axis=0, ddof=1) / np.sqrt(np.isfinite(auc).sum(axis=0))
    best = int(np.nanargmax(m))
    k_1se = int(np.nonzero(m >= m[best] - se[best])[0][0])
    k = best if select == "best" else k_1se
    kp = k if predict is None else (best if predict == "best" else k_1se)
    C = float(Cs[k])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        oof = _nested_oof(auc, splits, decisions, y, predict or select, guard)
    no_signal = bool(guard and not (m[best] > 0.5 + 2 * max(se[best], sd_null)))
    model = _fit(Z, y, C)
    coef = model.coef_[0].copy()
    intercept = float(model.intercept_[0])
    pcoef, pint = None, None
    if kp != k:
        pm = _fit(Z, y, float(Cs[kp]))
        pcoef, pint = pm.coef_[0].copy(), float(pm.intercept_[0])
    if no_signal:
        coef[:] = 0.0
        p = y.mean()
        intercept = float(np.log(p / (1 - p)))
        oof[:] = 0.0
        if pcoef is not None:
            pcoef[:], pint = 0.0, intercept
    res = LassoResult(coef=coef, intercept=intercept, C=C, Cs=Cs, cv_auc=auc, mean=mean, scale=scale,
                      no_signal=no_signal, predict_coef=pcoef, predict_intercept=pint, predict_C=float(Cs[kp]),
                      oof=oof)
    if stability and no_signal:
        # the guard found no signal: frequencies of refits at a C chosen on noise would list noise features as
        # "stable" (all of them, at a weak C), so none is reported
        res.stability = np.zeros(Z.shape[1])
    elif stability:
        sel = parallel_map(_stab_task, [(Z, y, C, stability_fraction)] * stability, n_jobs=n_jobs,
                           random_state=seeds[1])
        res.stability = np.mean(sel, axis=0)
    return res
