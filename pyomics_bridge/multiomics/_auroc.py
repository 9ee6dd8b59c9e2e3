"""``auroc``: one-vs-rest ROC AUC of the predicted dummy scores of a DA model (``mixOmics::auroc``, spec §2.13).

Definition (mixOmics 6.35.2, ``statauc``):

* **scores** — the ``max.dist`` predicted dummy scores Ŷ (``predict(...)$predict``) with the first h components,
  one table per component h (per block and component for DIABLO models);
* **AUC** — for class k, the class-k samples against all others ("k vs Other(s)") on the score column k, with
  the class as the *higher* group (mixOmics fixes the direction; it never flips an AUC below 0.5). This is the
  Mann–Whitney probability ``P(s_k(class k) > s_k(other)) + ½ P(tie)`` = ``sklearn.metrics.roc_auc_score``.
  With two classes only the first level is reported, as "A vs B";
* **p-value** — mixOmics' normal approximation of the Wilcoxon test: ``se = √((0.25 + (N−2)·0.083333)/(n₁n₀))``,
  ``z = |AUC − 0.5|/se``, ``p = 2(1 − Φ(z))``;
* both are rounded to 4 significant digits (``digits=4``, R's ``signif``); ``digits=None`` keeps full precision.

By default mixOmics evaluates the training data (optimistic AUCs). The estimators here keep no training data, so
pass it (``X``, ``Y``) — or a test set. (For DIABLO and MINT models mixOmics' default ``newdata`` is the already
*scaled* training data, which predict scales a second time; passing the raw training data avoids that quirk.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .._conventions import ValidationError
from ._validate import as_labels

__all__ = ["auroc", "auc_table", "AurocResult"]


@dataclass
class AurocResult:
    """AUC tables of :func:`auroc`.

    Attributes
    ----------
    tables
        ``{"comp1": DataFrame, ...}`` (single-block models) or ``{block: {"comp1": DataFrame, ...}}`` (DIABLO);
        each DataFrame has rows "k vs Other(s)" (or "A vs B" for two classes) and columns ``AUC``, ``p-value``.
    scores
        The predicted scores used: ``{"comp1": n × K array}`` (or ``{block: {...}}``).
    """

    tables: dict
    scores: dict

    def __getitem__(self, key):
        return self.tables[key]

    def __repr__(self) -> str:
        parts = []
        for k, v in self.tables.items():
            if isinstance(v, dict):
                parts.extend(f"{k} {c}:\n{t}" for c, t in v.items())
            else:
                parts.append(f"{k}:\n{v}")
        return "AurocResult\n" + "\n".join(parts)


def _signif(x: float, digits: int | None) -> float:
    if digits is None or not np.isfinite(x) or x == 0:
        return float(x)
    return float(f"{x:.{digits}g}")


def _mann_whitney_auc(scores: np.ndarray, is_case: np.ndarray) -> float:
    cases, controls = scores[is_case], scores[~is_case]
    ranks = stats.rankdata(np.concatenate([controls, cases]))  # average ranks: ties count ½
    u = ranks[controls.size:].sum() - cases.size * (cases.size + 1) / 2
    return float(u / (cases.size * controls.size))


def auc_table(scores: np.ndarray, labels, levels, *, digits: int | None = 4) -> pd.DataFrame:
    """One-vs-rest AUC and p-value table of a score matrix (mixOmics ``statauc``; see module doc).

    Parameters
    ----------
    scores
        n × K scores, columns in ``levels`` order.
    labels
        Length-n true class labels (every label must be one of ``levels``).
    levels
        The classes, in the model's order.
    digits
        Significant digits (``None``: unrounded).

    Returns
    -------
    DataFrame with columns ``AUC`` and ``p-value``.
    """
    scores = np.asarray(scores, dtype=float)
    labels = np.asarray(labels, dtype=object)
    levels = list(levels)
    K = len(levels)
    if scores.ndim != 2 or scores.shape != (labels.shape[0], K):
        raise ValidationError(f"scores must be n × K = {labels.shape[0]} × {K}, got {scores.shape}")
    rows, out = [], []
    for k in range(1 if K == 2 else K):
        case = labels == levels[k]
        n1, n0 = int(case.sum()), int((~case).sum())
        if n1 == 0 or n0 == 0:
            auc = pval = np.nan
        else:
            auc = _mann_whitney_auc(scores[:, k], case)
            se = np.sqrt((0.25 + (n1 + n0 - 2) * 0.083333) / (n1 * n0))
            pval = 2.0 * (1.0 - stats.norm.cdf(abs(auc - 0.5) / se))
        rows.append(f"{levels[0]} vs {levels[1]}" if K == 2 else f"{levels[k]} vs Other(s)")
        out.append((_signif(auc, digits), _signif(pval, digits)))
    return pd.DataFrame(out, index=rows, columns=["AUC", "p-value"])


def _comp_list(roc_comp, H: int) -> list[int]:
    if roc_comp is None:
        return list(range(1, H + 1))
    comps = [roc_comp] if np.isscalar(roc_comp) else list(roc_comp)
    for c in comps:
        if isinstance(c, bool) or not isinstance(c, (int, np.integer)) or not 1 <= c <= H:
            raise ValidationError(f"roc_comp must be component numbers in 1..{H}, got {roc_comp!r}")
    return [int(c) for c in comps]


def auroc(model, X=None, Y=None, *, study=None, roc_comp=None, roc_block=None, digits: int | None = 4
          ) -> AurocResult:
    """ROC AUC per class (one vs the others) and per component of a fitted DA model, as ``mixOmics::auroc``.

    Parameters
    ----------
    model
        A fitted :class:`PLSDA`/:class:`SPLSDA`, :class:`MINTPLSDA`/:class:`MINTSPLSDA`, or DIABLO model
        (:class:`BlockPLSDA`/:class:`BlockSPLSDA`).
    X
        Data to predict: the training data (mixOmics' default, optimistic) or a test set; a dict of blocks for
        DIABLO models (blocks missing from it are handled as ``predict`` does and get no table).
    Y
        True class labels of the rows of ``X`` (mixOmics' ``outcome.test``); every label must be a model class.
    study
        Study of every row of ``X`` (MINT models only; mixOmics' ``study.test``).
    roc_comp
        Component(s) to report (1-based; default all).
    roc_block
        DIABLO: block name(s) to report (default every block present in ``X``).
    digits
        Significant digits of AUC and p-value (4 as mixOmics; ``None`` for full precision).

    Returns
    -------
    :class:`AurocResult`: ``tables["comp1"]`` (or ``tables[block]["comp1"]``) → DataFrame (``AUC``, ``p-value``).
    """
    if not hasattr(model, "classes_"):
        raise ValidationError(f"auroc() needs a fitted DA model (PLSDA, SPLSDA, MINT or DIABLO), got "
                              f"{type(model).__name__} without classes_ (not fitted, or not a DA model)")
    if X is None or Y is None:
        raise ValidationError("auroc(): pass X and Y (the models keep no training data; use the training data to "
                              "reproduce mixOmics' default, or a test set)")
    labels, _ = as_labels(Y, name="Y")
    levels = list(model.classes_)
    unknown = sorted({str(v) for v in labels} - {str(v) for v in levels})
    if unknown:
        raise ValidationError(f"Y has labels that are not classes of the model: {unknown}; classes: {levels}")
    lab = np.asarray([str(v) for v in labels], dtype=object)
    lev = [str(v) for v in levels]
    if digits is not None and (isinstance(digits, bool) or not isinstance(digits, (int, np.integer)) or digits < 1):
        raise ValidationError(f"digits must be a positive integer or None, got {digits!r}")
    H = int(model.n_components_)
    comps = _comp_list(roc_comp, H)
    name = type(model).__name__
    if name in ("BlockPLSDA", "BlockSPLSDA"):
        if not isinstance(X, dict):
            raise ValidationError("X must be a dict {block: matrix} for a DIABLO model")
        pred = model.predict(X, dist="max.dist")
        blocks = [b for b in model.block_names_ if b in pred.predict]
        if roc_block is not None:
            wanted = [roc_block] if isinstance(roc_block, str) else list(roc_block)
            missing = [b for b in wanted if b not in blocks]
            if missing:
                raise ValidationError(f"roc_block {missing} not among the predicted blocks {blocks}")
            blocks = wanted
        tables, scores = {}, {}
        for b in blocks:
            P = pred.predict[b]
            if P.shape[1] != lab.shape[0]:
                raise ValidationError(f"Y has {lab.shape[0]} labels, X[{b!r}] has {P.shape[1]} rows")
            scores[b] = {f"comp{h}": P[h - 1] for h in comps}
            tables[b] = {f"comp{h}": auc_table(P[h - 1], lab, lev, digits=digits) for h in comps}
        return AurocResult(tables=tables, scores=scores)
    if name.startswith("MINT"):
        if study is None:
            raise ValidationError("study is required for a MINT model (the study of every row of X)")
        P = model.predict_all(X, study, dist="max.dist").predict
    else:
        if study is not None:
            raise ValidationError(f"study is only used with MINT models, not {name}")
        P = model.predict_all(X, dist="max.dist").predict
    if P.shape[1] != lab.shape[0]:
        raise ValidationError(f"Y has {lab.shape[0]} labels, X has {P.shape[1]} rows")
    return AurocResult(tables={f"comp{h}": auc_table(P[h - 1], lab, lev, digits=digits) for h in comps},
                       scores={f"comp{h}": P[h - 1] for h in comps})
