"""Prediction from block models: per-block Ŷ and classes, and DIABLO's four ways of combining the blocks.

Per block b (spec §2.7), on the block's training statistics: ``Ŷ_b,h = X_new W (PᵀW)⁻¹ Cᵀ · sd_Y + mean_Y`` with
``P = X_bᵀT_b``, ``C = Y_sᵀT_b`` (scaled training data) and the first h components; predicted variates
``X_new W (PᵀW)⁻¹ diag(‖t_h‖²)``. DA classes per block use ``max.dist``, ``centroids.dist`` or
``mahalanobis.dist`` as :class:`~pyomics_bridge.multiomics.PLSDA` (mixOmics' Mahalanobis quirk; ties "A/B").

Combining the blocks, as mixOmics 6.35.2 does (reference README, quirks 7 and 8):

* **AveragedPredict**: the mean of the per-block Ŷ over *all* model blocks. A block missing from the new data
  enters as a zero (scaled) matrix, whose Ŷ is the training mean of Y (the class proportions for DA).
* **WeightedPredict**: per sample and Y column, the blocks are grouped by identical Ŷ values, each group's weight
  is the sum of its blocks' mean weights (``weights_`` averaged over components), and the value of the heaviest
  group is returned; a tie between groups gives NaN. Continuous values never coincide, so this is the Ŷ of the
  block with the largest mean weight (a missing block included). ``*_class["max.dist"]`` is the argmax.
* **MajorityVote** (per distance and number of components): the most frequent class among the blocks present in
  the new data; a tie gives ``None`` (R's NA), so with two blocks every disagreement is ``None``.
* **WeightedVote**: the weights of the present blocks predicting each class are summed (in block order) and the
  largest sum wins; a tie goes to the class label that sorts last (R's ``aggregate`` then
  ``row_number() == n()``). A block predicting a tie label "A/B" votes for that label.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = [
    "BlockPrediction",
    "classify",
    "weighted_predict",
    "majority_vote",
    "weighted_vote",
    "argmax_labels",
]


def _pick(scores: np.ndarray, levels: np.ndarray, *, largest: bool) -> np.ndarray:
    """Label of the best score per row; exact ties give the tied labels joined by '/' (level order)."""
    best = scores.max(axis=1) if largest else scores.min(axis=1)
    hits = scores == best[:, None]
    out = np.asarray(levels, dtype=object)[np.argmax(hits, axis=1)]
    for i in np.flatnonzero(hits.sum(axis=1) != 1):
        idx = np.flatnonzero(hits[i])
        out[i] = levels[idx[0]] if idx.size == 1 else "/".join(str(levels[j]) for j in idx)
    return out


def classify(
    Yhat: np.ndarray,
    variates: np.ndarray,
    centroids: np.ndarray,
    within: np.ndarray,
    levels: np.ndarray,
    h: int,
    dist: str,
    mahalanobis: str = "mixomics",
) -> np.ndarray:
    """Class labels of one block with its first ``h`` components (see :class:`~pyomics_bridge.multiomics.PLSDA`)."""
    if dist == "max.dist":
        return _pick(Yhat, levels, largest=True)
    G = centroids[:, :h]
    t = variates[:, :h]
    D = t[:, None, :] - G[None, :, :]  # n × K × h
    if dist == "centroids.dist":
        return _pick((D**2).sum(axis=2), levels, largest=False)
    Sinv = np.linalg.inv(within[:h, :h])
    if h == 1:
        d = D[:, :, 0] ** 2 * Sinv[0, 0]
    elif mahalanobis == "textbook":
        d = np.einsum("nkh,hg,nkg->nk", D, Sinv, D)
    else:
        M = np.einsum("nkh,hg,nlg->nkl", D, Sinv, D)
        d = (M**2).sum(axis=2)
    return _pick(d, levels, largest=False)


def argmax_labels(scores: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """``max.dist`` labels of a score matrix; rows containing NaN give ``None``."""
    out = np.empty(scores.shape[0], dtype=object)
    bad = np.isnan(scores).any(axis=1)
    if (~bad).any():
        out[~bad] = _pick(scores[~bad], levels, largest=True)
    out[bad] = None
    return out


def weighted_predict(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """mixOmics' WeightedPredict: ``values`` is B × n × q (every model block), ``weights`` the B mean weights.

    Per cell, blocks with identical values form a group weighing the sum of their weights; the heaviest group's
    value is returned, NaN when two groups tie.
    """
    B = values.shape[0]
    same = values[:, None] == values[None, :]  # B × B × n × q
    group = np.zeros(values.shape)
    for b in range(B):  # sum in block order, as R's aggregate
        group[b] = sum(np.where(same[b, c], weights[c], 0.0) for c in range(B))
    best = group.max(axis=0)
    winners = group == best
    out = np.full(values.shape[1:], np.nan)
    first = np.argmax(winners, axis=0)
    pick = np.take_along_axis(values, first[None], axis=0)[0]
    # a tie between groups: two winning blocks with different values
    tie = np.zeros(values.shape[1:], dtype=bool)
    for b in range(B):
        tie |= winners[b] & (values[b] != pick)
    out[~tie] = pick[~tie]
    return out


def majority_vote(labels: np.ndarray) -> np.ndarray:
    """Most frequent label per row of an n × B object array; a tie gives ``None``."""
    out = np.empty(labels.shape[0], dtype=object)
    for i, row in enumerate(labels):
        values, counts = np.unique(np.asarray([str(v) for v in row], dtype=object), return_counts=True)
        top = counts.max()
        out[i] = values[counts == top][0] if (counts == top).sum() == 1 else None
    return out


def weighted_vote(labels: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Per row of an n × B label array, the label with the largest summed block weight (ties: the label sorting
    last)."""
    out = np.empty(labels.shape[0], dtype=object)
    for i, row in enumerate(labels):
        totals: dict[str, float] = {}
        for lab, w in zip(row, weights, strict=True):
            totals[str(lab)] = totals.get(str(lab), 0.0) + float(w)
        best = max(totals.values())
        out[i] = sorted(k for k, v in totals.items() if v == best)[-1]
    return out


_R_NAMES = {
    "predict": "predict",
    "variates": "variates",
    "B.hat": "b_hat",
    "AveragedPredict": "averaged_predict",
    "WeightedPredict": "weighted_predict",
    "AveragedPredict.class": "averaged_predict_class",
    "WeightedPredict.class": "weighted_predict_class",
    "class": "classes",
    "MajorityVote": "majority_vote",
    "WeightedVote": "weighted_vote",
    "weights": "weights",
    "centroids": "centroids",
}


@dataclass
class BlockPrediction:
    """What mixOmics' ``predict`` returns for a block model (``pred["AveragedPredict"]`` etc. also work).

    Attributes
    ----------
    predict
        ``{block: H × n_new × q}`` predicted Y per present block (``[h-1]`` uses the first h components).
    variates
        ``{block: n_new × H}`` predicted variates of the present blocks.
    b_hat
        ``{block: H × p × q}`` coefficients on the scaled scale (zero rows for removed features).
    averaged_predict, weighted_predict
        ``H × n_new × q`` (see module docstring).
    weights
        ``{block: mean weight}`` of the present blocks (the vote weights).
    missing_blocks
        Model blocks absent from the new data.
    sample_names, y_names
        Row names of the new data (or ``None``) and Y column names (the classes for DA).
    classes
        DA only: ``{dist: {block: n_new × H labels}}``.
    centroids
        DA only: ``{block: K × H}`` class means of the training variates.
    averaged_predict_class, weighted_predict_class
        DA only: ``{"max.dist": n_new × H labels}``.
    majority_vote, weighted_vote
        DA only: ``{dist: n_new × H labels}`` (``None`` = NA).
    """

    predict: dict[str, np.ndarray]
    variates: dict[str, np.ndarray]
    b_hat: dict[str, np.ndarray]
    averaged_predict: np.ndarray
    weighted_predict: np.ndarray
    weights: dict[str, float]
    missing_blocks: list[str]
    sample_names: np.ndarray | None
    y_names: np.ndarray
    classes: dict[str, dict[str, np.ndarray]] | None = None
    centroids: dict[str, np.ndarray] | None = None
    averaged_predict_class: dict[str, np.ndarray] | None = None
    weighted_predict_class: dict[str, np.ndarray] | None = None
    majority_vote: dict[str, np.ndarray] | None = None
    weighted_vote: dict[str, np.ndarray] | None = None
    extra: dict = field(default_factory=dict)

    def __getitem__(self, key: str):
        """R-style access: ``pred["WeightedVote"]["max.dist"]``, ``pred["AveragedPredict"]``, ``pred["class"]``."""
        if key not in _R_NAMES:
            raise KeyError(f"{key!r}; available: {list(_R_NAMES)}")
        return getattr(self, _R_NAMES[key])

    def labels(self, scheme: str = "WeightedVote", dist: str = "max.dist", n_components: int | None = None):
        """Predicted labels of one scheme (``"WeightedVote"``, ``"MajorityVote"``, ``"AveragedPredict"``,
        ``"WeightedPredict"`` or a block name) and distance, with the first ``n_components`` (default all), as a
        pandas Series (``None`` = NA)."""
        if self.classes is None:
            raise TypeError("labels() needs a discriminant (DA) model")
        if scheme in ("WeightedVote", "MajorityVote"):
            table = self[scheme][dist]
        elif scheme in ("AveragedPredict", "WeightedPredict"):
            if dist != "max.dist":
                raise ValueError(f"{scheme} classes exist for dist='max.dist' only")
            table = self[f"{scheme}.class"]["max.dist"]
        elif scheme in self.classes.get(dist, {}):
            table = self.classes[dist][scheme]
        else:
            raise ValueError(
                f"scheme must be 'WeightedVote', 'MajorityVote', 'AveragedPredict', 'WeightedPredict' or a present "
                f"block {list(self.predict)}, got {scheme!r}"
            )
        h = table.shape[1] if n_components is None else int(n_components)
        if not 1 <= h <= table.shape[1]:
            raise ValueError(f"n_components must be between 1 and {table.shape[1]}, got {n_components!r}")
        index = None if self.sample_names is None else pd.Index(self.sample_names)
        return pd.Series(table[:, h - 1], index=index, dtype=object, name=f"{scheme}.{dist}")
