"""Stacked combination of the feature families: per-family out-of-fold lasso scores combined by a logistic model.

One lasso on all families at once must share a single penalty between a few strong core features, thousands of
weak environment k-mers and co-factor scores; the 1-SE rule then keeps the penalty strong enough to silence the
weakest family. Stacking (Wolpert 1992) fits each family's L1-logistic model on its own (own penalty by CV) and
learns how to weigh the families from *out-of-fold* scores on the training rows, so the weights are not fitted on
the same rows as the family models. Supervised feature construction (the environment search) is refitted inside
every fold, so no label of a held-out fold leaks into its out-of-fold score.

Two shortcuts keep this affordable at benchmark scale (2 x 2,000 sequences, ~5,500 features): a family whose
features are label-free (core one-hot, fixed environment bins, co-factor scores) reuses the out-of-fold decision
values of its own penalty CV (``family_oof``: no extra fit), and a family with a supervised step (the environment
search) is refitted in each fold at the penalty chosen for the family (``family_C``; the fold model must still pass
the no-signal guard of an inner CV at that single C) instead of a full nested penalty search.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from ._model import fit_lasso_logistic


def stacked_scores(
    blocks: dict,
    y: np.ndarray,
    train: np.ndarray,
    family_scores: dict,
    *,
    subsets: dict | None = None,
    cv: int = 5,
    Cs=None,
    select: str = "1se",
    guard: bool = True,
    random_state=None,
    n_jobs: int | None = None,
    family_oof: dict | None = None,
    family_C: dict | None = None,
) -> dict:
    """Stacked scores of every row from per-family scores, for several subsets of families.

    Parameters
    ----------
    blocks
        ``{family: callable(fit_rows, rows) -> F}`` returning the family's features of ``rows`` with any supervised
        step fitted on ``fit_rows`` only.
    y
        0/1 labels of all rows.
    train
        Indices of the training rows (the only rows whose labels are used).
    family_scores
        ``{family: (scores of all rows from the family model refitted on all training rows, no_signal)}``.
    subsets
        ``{name: [families]}`` to combine (default ``{"full": all families}``); the out-of-fold scores are computed
        once and shared.
    cv, Cs, select, guard
        Folds of the out-of-fold split (also used for the inner penalty CV) and the lasso options.
    random_state
        A :class:`numpy.random.SeedSequence` (or int) seeding the folds and the inner CV.
    family_oof
        ``{family: out-of-fold scores of the training rows (in the order of train)}`` for families whose features
        need no supervised step: used as they are (e.g. ``LassoResult.oof``).
    family_C
        ``{family: C}``: refit such a family in each fold at this penalty (the inner CV then only runs the guard).

    Returns
    -------
    ``{name: (score, info)}``: stacked decision values of all rows and ``info`` with per-family ``weights`` (on
    the standardised out-of-fold score), ``oof_auc`` and ``scale`` (the out-of-fold score's SD) of the families
    used, ``oof_auc_all`` (every family checked) and ``floor`` (the guard's AUC threshold). Families whose
    refitted model reports no signal, or (with ``guard``) whose out-of-fold AUC is not above ``0.5 + 2 SD`` of a
    chance AUC, are left out; with none left the score is constant (zero).
    """
    seq = random_state if isinstance(random_state, np.random.SeedSequence) else np.random.SeedSequence(random_state)
    s_fold, s_inner = seq.spawn(2)
    subsets = {"full": list(blocks)} if subsets is None else subsets
    fams = [f for f in blocks if not family_scores[f][1]]
    n = y.size
    ytr = y[train]
    family_oof = family_oof or {}
    family_C = family_C or {}
    oof = np.zeros((train.size, len(fams)))
    for j, f in enumerate(fams):
        if f in family_oof:
            oof[:, j] = np.asarray(family_oof[f], dtype=float)
    todo = [j for j, f in enumerate(fams) if f not in family_oof]
    if todo:
        folds = StratifiedKFold(n_splits=cv, shuffle=True, random_state=int(s_fold.generate_state(1)[0] % 2**31))
        inner = s_inner.spawn(cv * len(fams))
        for i, (a, b) in enumerate(folds.split(train, ytr)):
            A, B = train[a], train[b]
            rows = np.r_[A, B]
            for j in todo:
                f = fams[j]
                F = blocks[f](A, rows)
                # a fixed-C family is still checked for signal inside the fold (inner CV at that one C + guard); C
                # is rescaled so that the per-row penalty equals that of the family model fitted on all train rows
                # (liblinear's C multiplies a sum over rows: fewer rows at the same C would mean a sparser model)
                fold_Cs = [family_C[f] * train.size / A.size] if f in family_C else Cs
                res = fit_lasso_logistic(F[: A.size], y[A], Cs=fold_Cs, cv=cv, select=select, guard=guard,
                                         random_state=inner[i * len(fams) + j], n_jobs=n_jobs)
                oof[b, j] = 0.0 if res.no_signal else res.decision_function(F[A.size :])
    mu, sd = oof.mean(axis=0), oof.std(axis=0)
    sd[sd == 0] = 1.0
    oof_auc = {f: float(roc_auc_score(ytr, oof[:, j])) if np.ptp(oof[:, j]) > 0 else 0.5
               for j, f in enumerate(fams)}
    # guard on the out-of-fold scores: a family enters the stack only if its out-of-fold AUC exceeds chance by
    # two chance-level SDs (Mann-Whitney null SD for these class sizes); training rows only
    n1, n0 = int(ytr.sum()), int((1 - ytr).sum())
    floor = 0.5 + 2 * float(np.sqrt((n1 + n0 + 1) / (12.0 * n1 * n0))) if guard else -np.inf
    out = {}
    checked = {"oof_auc_all": oof_auc, "floor": floor}
    for name, members in subsets.items():
        cols = [j for j, f in enumerate(fams) if f in members and oof_auc[f] > floor]
        if not cols:
            out[name] = (np.zeros(n), {"weights": {}, "oof_auc": {}, "scale": {}, **checked})
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            meta = LogisticRegression(C=1.0).fit((oof[:, cols] - mu[cols]) / sd[cols], ytr)
        S = np.column_stack([family_scores[fams[j]][0] for j in cols])
        score = ((S - mu[cols]) / sd[cols]) @ meta.coef_[0] + meta.intercept_[0]
        names = [fams[j] for j in cols]
        out[name] = (score, {"weights": dict(zip(names, meta.coef_[0].tolist(), strict=True)),
                             "oof_auc": {f: oof_auc[f] for f in names},
                             "scale": dict(zip(names, sd[cols].tolist(), strict=True)), **checked})
    return out
