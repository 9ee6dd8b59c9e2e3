"""PLS-DA and sPLS-DA (``mixOmics::plsda`` / ``splsda``) and mixOmics' three class-prediction distances.

Y is the 0/1 dummy matrix of the class labels (columns in factor-level order), centred and scaled like any block;
the model is a regression-mode (s)PLS. ``predict`` follows ``predict.mixo_plsda`` (spec §2.7):

* ``"max.dist"``: the class with the largest predicted dummy score Ŷ;
* ``"centroids.dist"``: the class whose centroid (mean training X variate) is nearest in Euclidean distance;
* ``"mahalanobis.dist"``: with ``D_k = t_new − G_k`` and ``S`` the within-class covariance (divisor n) of the
  training variates, mixOmics scores class k by ``Σ_l (D_k S⁻¹ D_lᵀ)²`` (it squares the whole K × K product and
  sums row k); with one component ``D_k² / S``. This quirk is replicated (``mahalanobis="mixomics"``, the
  default); ``mahalanobis="textbook"`` uses ``D_k S⁻¹ D_kᵀ``.

Ties between classes are labelled with the tied levels joined by ``"/"`` (e.g. ``"Basal/Her2"``), as mixOmics.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._conventions import ValidationError
from ._pls import _TwoBlockBase
from ._preprocess import class_levels, dummy_matrix
from ._validate import as_block_lean, as_labels, check_option, check_rows

__all__ = ["PLSDA", "SPLSDA", "DAPrediction", "DISTANCES"]

DISTANCES = ("max.dist", "centroids.dist", "mahalanobis.dist")


@dataclass
class DAPrediction:
    """Everything ``predict(object, newdata, dist="all")`` returns in mixOmics.

    Attributes
    ----------
    predict
        H × n_new × K predicted dummy scores (``predict[h-1]`` uses the first h components).
    variates
        n_new × H predicted X variates.
    b_hat
        H × p × K coefficients on the scaled scale (mixOmics ``B.hat``).
    classes
        ``{dist: n_new × H array of labels}`` (column h-1 uses the first h components).
    centroids
        K × H class means of the training X variates.
    """

    predict: np.ndarray
    variates: np.ndarray
    b_hat: np.ndarray
    classes: dict[str, np.ndarray]
    centroids: np.ndarray


def _pick(scores: np.ndarray, levels: np.ndarray, *, largest: bool) -> np.ndarray:
    """Label of the best score per row; exact ties give the tied labels joined by '/' (level order)."""
    best = scores.max(axis=1) if largest else scores.min(axis=1)
    hits = scores == best[:, None]
    out = np.empty(scores.shape[0], dtype=object)
    for i in range(scores.shape[0]):
        idx = np.flatnonzero(hits[i])
        out[i] = levels[idx[0]] if idx.size == 1 else "/".join(str(levels[j]) for j in idx)
    return out


def _class_labels(y, n: int, x_index) -> tuple[np.ndarray, list]:
    """Validated class labels of the n samples of X and their factor levels (at least 2 classes)."""
    if y is None:
        raise ValidationError("y (class labels) is required")
    labels, y_idx = as_labels(y, name="y")
    check_rows(n, labels.shape[0], x_index, y_idx, what_y="y")
    levels = class_levels(y if isinstance(y, (pd.Series, pd.Categorical)) else labels)
    if len(levels) < 2:
        raise ValidationError(f"y must contain at least 2 classes, got {len(levels)}: {levels}")
    return labels, levels


class PLSDA(_TwoBlockBase):
    """PLS discriminant analysis (``mixOmics::plsda``): regression-mode PLS of X on the scaled dummy matrix of y.

    X may be a float32/float64 array or a scipy.sparse CSR/CSC matrix: a complete X is never copied, centred,
    up-cast or densified (see :class:`~pyomics_bridge.multiomics.PLS`); missing values (NaN) need a dense array.

    Parameters
    ----------
    n_components
        Number of components H.
    scale
        Scale X and the dummy Y to unit variance (default True, as mixOmics).
    tol, max_iter
        Stopping rule of the power iteration.
    near_zero_var
        Remove near-zero-variance columns of X first.
    mahalanobis
        ``"mixomics"`` (default: replicate mixOmics' distance, see module doc) or ``"textbook"``.

    Attributes
    ----------
    classes_
        Factor levels (a pandas Categorical keeps its category order, e.g. srbct's EWS, BL, NB, RMS; other labels
        are sorted, as R's ``factor()``); they order the dummy columns and every class-indexed output.
    variates_, loadings_, loadings_star_, explained_variance_, rotations_, mat_c_
        As :class:`~pyomics_bridge.multiomics.PLS`, with block ``"Y"`` = the dummy matrix.
    centroids_
        K × H class means of the training X variates.
    ind_mat_
        The scaled n × K dummy matrix (mixOmics ``ind.mat``).
    """

    def __init__(
        self,
        n_components: int = 2,
        *,
        scale: bool = True,
        tol: float = 1e-6,
        max_iter: int = 100,
        near_zero_var: bool = False,
        mahalanobis: str = "mixomics",
    ) -> None:
        self.n_components = n_components
        self.scale = scale
        self.tol = tol
        self.max_iter = max_iter
        self.near_zero_var = near_zero_var
        self.mahalanobis = mahalanobis

    def _keeps(self):
        return None

    def fit(self, X, y) -> PLSDA:
        """Fit on X (n × p: dense, NaN allowed, or scipy.sparse without NaN) and class labels y (length n, no missing
        label). Returns ``self``."""
        check_option(self.mahalanobis, ("mixomics", "textbook"), name="mahalanobis")
        X_arr, x_cols, x_idx, _ = as_block_lean(X, name="X")
        labels, levels = _class_labels(y, X_arr.shape[0], x_idx)
        dummy = dummy_matrix(labels, levels)
        self._fit_blocks(X_arr, x_cols, dummy, [str(v) for v in levels], keepX=self._keeps(), keepY=None,
                         mode="regression")
        self.classes_ = np.asarray(levels, dtype=object)
        sy = self.scaling_["Y"]
        self.ind_mat_ = (dummy - sy.mean) / np.where(sy.scale == 0, 1.0, sy.scale) if sy.scale is not None \
            else dummy - sy.mean
        self._fit_centroids(dummy)
        return self

    def _fit_centroids(self, dummy: np.ndarray) -> None:
        """Class centroids of the training X variates and their within-class covariance (divisor n)."""
        T = self.variates_["X"]
        counts = dummy.sum(axis=0)
        self.centroids_ = (dummy.T @ T) / counts[:, None]
        resid = T - dummy @ self.centroids_
        self._within = resid.T @ resid / T.shape[0]

    def _get_state(self) -> dict[str, np.ndarray]:
        state = super()._get_state()
        state["centroids"] = self.centroids_.copy()
        state["within"] = self._within.copy()
        state["classes"] = np.asarray([str(c) for c in self.classes_], dtype=object)
        return state

    @classmethod
    def _from_state(cls, state, **params):
        est = super()._from_state(state, **params)
        est.centroids_ = np.asarray(state["centroids"], float)
        est._within = np.asarray(state["within"], float)
        est.classes_ = np.asarray(state["classes"], dtype=object)
        return est

    # ---------------------------------------------------------------- class rules
    def _classify(self, Yhat: np.ndarray, variates: np.ndarray, h: int, dist: str) -> np.ndarray:
        levels = self.classes_
        if dist == "max.dist":
            return _pick(Yhat, levels, largest=True)
        G = self.centroids_[:, :h]
        t = variates[:, :h]
        if dist == "centroids.dist":
            d = ((t[:, None, :] - G[None, :, :]) ** 2).sum(axis=2)
            return _pick(d, levels, largest=False)
        S = self._within[:h, :h]
        Sinv = np.linalg.inv(S)
        D = t[:, None, :] - G[None, :, :]  # n × K × h
        if h == 1:
            d = D[:, :, 0] ** 2 * Sinv[0, 0]
        elif self.mahalanobis == "textbook":
            d = np.einsum("nkh,hg,nkg->nk", D, Sinv, D)
        else:
            M = np.einsum("nkh,hg,nlg->nkl", D, Sinv, D)
            d = (M**2).sum(axis=2)
        return _pick(d, levels, largest=False)

    def _check_dist(self, dist: str, *, allow_all: bool) -> list[str]:
        allowed = DISTANCES + (("all",) if allow_all else ())
        check_option(dist, allowed, name="dist")
        return list(DISTANCES) if dist == "all" else [dist]

    def predict(self, X, *, dist: str = "max.dist", n_components: int | None = None) -> np.ndarray:
        """Predicted class of new samples with the first ``n_components`` components (default all).

        Parameters
        ----------
        X
            n_new × p matrix (training features; NaN → 0 after scaling).
        dist
            ``"max.dist"``, ``"centroids.dist"`` or ``"mahalanobis.dist"``.
        n_components
            Number of components used.

        Returns
        -------
        Array of n_new labels (ties: tied labels joined by "/").
        """
        self._check_fitted()
        dists = self._check_dist(dist, allow_all=False)
        h = self._n_comp(n_components)
        Xs = self._scaled_new(X)
        Yhat = self._predict_scaled(Xs, h)
        return self._classify(Yhat, self._variates_new(Xs), h, dists[0])

    def predict_scores(self, X, *, n_components: int | None = None) -> np.ndarray:
        """Predicted dummy scores Ŷ (n_new × K, columns in ``classes_`` order) with the first components."""
        self._check_fitted()
        h = self._n_comp(n_components)
        return self._predict_scaled(self._scaled_new(X), h)

    def predict_all(self, X, *, dist: str = "all") -> DAPrediction:
        """mixOmics' full ``predict`` output for every number of components: Ŷ, variates, B.hat, classes, centroids.

        Parameters
        ----------
        X
            n_new × p matrix.
        dist
            One distance or ``"all"`` (the three).

        Returns
        -------
        :class:`DAPrediction`.
        """
        self._check_fitted()
        dists = self._check_dist(dist, allow_all=True)
        Xs = self._scaled_new(X)
        return self._predict_all_scaled(Xs, dists, lambda h: self._predict_scaled(Xs, h))

    def _predict_all_scaled(self, Xs, dists: list[str], predict_h) -> DAPrediction:
        """:class:`DAPrediction` of scaled new samples; ``predict_h(h)`` gives Ŷ with the first h components."""
        H = self.n_components_
        variates = self._variates_new(Xs)
        preds, bhats = [], []
        classes = {d: np.empty((Xs.shape[0], H), dtype=object) for d in dists}
        for h in range(1, H + 1):
            Yhat = predict_h(h)
            preds.append(Yhat)
            bhats.append(self.coef(h))
            for d in dists:
                classes[d][:, h - 1] = self._classify(Yhat, variates, h, d)
        return DAPrediction(
            predict=np.stack(preds), variates=variates, b_hat=np.stack(bhats), classes=classes,
            centroids=self.centroids_.copy(),
        )


class SPLSDA(PLSDA):
    """Sparse PLS-DA (``mixOmics::splsda``): :class:`PLSDA` with ``keepX[h]`` selected X features per component.

    Parameters
    ----------
    n_components
        Number of components H.
    keepX
        Non-zero X loadings per component (list of H integers, or one integer; default all features).
    scale, tol, max_iter, near_zero_var, mahalanobis
        As :class:`PLSDA`.

    Attributes
    ----------
    As :class:`PLSDA`; ``selected_features_["X"][h]`` lists the selected features of component h.
    """

    def __init__(
        self,
        n_components: int = 2,
        *,
        keepX: int | Sequence[int] | None = None,
        scale: bool = True,
        tol: float = 1e-6,
        max_iter: int = 100,
        near_zero_var: bool = False,
        mahalanobis: str = "mixomics",
    ) -> None:
        self.n_components = n_components
        self.keepX = keepX
        self.scale = scale
        self.tol = tol
        self.max_iter = max_iter
        self.near_zero_var = near_zero_var
        self.mahalanobis = mahalanobis

    def _keeps(self):
        return self.keepX
