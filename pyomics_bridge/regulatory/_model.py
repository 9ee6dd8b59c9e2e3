"""L1-penalised logistic regression with the penalty chosen by cross-validated AUC, and stability selection.

Features are standardised with training statistics. ``select="1se"`` (default) takes the strongest penalty
(smallest C) whose mean CV AUC is within one standard error of the best; ``"best"`` the best. With
``guard=True`` a model whose best CV AUC is not above ``0.5 + 2 SE`` (SE: the larger of the fold standard error
and the chance-level SD of an AUC for these class sizes, ``sqrt((n1 + n0 + 1) / (12 n1 n0))``) is reported as "no signal": all
coefficients are set to zero (the spec's requirement for honest, sparse interpretation under null data).
"""

from __future__ import annotations

import inspect
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


def _fit(Z, y, C):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return l1_logistic(C).fit(Z, y)


def _safe_auc(y, s) -> float:
    return float(roc_auc_score(y, s)) if len(np.unique(y)) == 2 else float("nan")


def _fold_task(task):
    Z, y, tr, te, Cs = task
    out = []
    for C in Cs:
        m = _fit(Z[tr], y[tr], C)
        out.append(_safe_auc(y[te], m.decision_function(Z[te])))
    return out


def _stab_task(task, rng):
    Z, y, C, frac = task
    idx = []
    for cls in (0, 1):
        members = np.nonzero(y == cls)[0]
        idx.append(rng.choice(members, size=max(int(frac * members.size), 1), replace=False))
    idx = np.concatenate(idx)
    return _fit(Z[idx], y[idx], C).coef_[0] != 0


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
        Number of subsample refits (half of each class, at the chosen C) for selection frequencies; 0 = none.
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
    Cs = np.sort(np.asarray(DEFAULT_CS if Cs is None else Cs, dtype=float))
    mean = F.mean(axis=0)
    scale = F.std(axis=0)
    scale[scale == 0] = 1.0
    Z = (F - mean) / scale
    seeds = root_seed_sequence(random_state).spawn(2)
    folds = StratifiedKFold(n_splits=cv, shuffle=True, random_state=int(seeds[0].generate_state(1)[0] % 2**31))
    tasks = [(Z, y, tr, te, Cs) for tr, te in folds.split(Z, y)]
    auc = np.array(parallel_map(_fold_task, tasks, n_jobs=n_jobs))
    m = np.nanmean(auc, axis=0)
    se = np.nanstd(auc, axis=0, ddof=1) / np.sqrt(np.isfinite(auc).sum(axis=0))
    best = int(np.nanargmax(m))
    if select == "best":
        k = best
    else:
        k = int(np.nonzero(m >= m[best] - se[best])[0][0])
    C = float(Cs[k])
    # chance-level SD of an AUC with these class sizes (Mann-Whitney null): a floor for the few-fold SE
    n1, n0 = int(y.sum()), int((1 - y).sum())
    sd_null = float(np.sqrt((n1 + n0 + 1) / (12.0 * n1 * n0)))
    no_signal = bool(guard and not (m[best] > 0.5 + 2 * max(se[best], sd_null)))
    model = _fit(Z, y, C)
    coef = model.coef_[0].copy()
    intercept = float(model.intercept_[0])
    if no_signal:
        coef[:] = 0.0
        p = y.mean()
        intercept = float(np.log(p / (1 - p)))
    res = LassoResult(coef=coef, intercept=intercept, C=C, Cs=Cs, cv_auc=auc, mean=mean, scale=scale,
                      no_signal=no_signal)
    if stability:
        sel = parallel_map(_stab_task, [(Z, y, C, stability_fraction)] * stability, n_jobs=n_jobs,
                           random_state=seeds[1])
        res.stability = np.mean(sel, axis=0)
    return res
