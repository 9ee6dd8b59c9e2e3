"""MINT: multi-group (multi-study) PLS, sPLS, PLS-DA and sPLS-DA (``mixOmics::mint.pls`` ... ``mint.splsda``).

MINT (Rohart et al. 2017, BMC Bioinformatics 18:128) integrates several studies measured on the same features.
The model (spec §1.1, §2.10):

* **per-study pre-processing** — every block (X, and Y or the DA dummy matrix) is centred on each study's own
  column means and, with ``scale=True``, divided by each study's own n−1 column sd (a zero sd within a study sets
  that study's column to 0);
* **global components** — the sparse PLS engine (:func:`~pyomics_bridge.multiomics.spls_engine`) then runs on the
  concatenated per-study-scaled blocks. A global loading is the (soft-thresholded, normalised) sum of the per-study
  cross-products ``Σ_m X_mᵀ u_m = Xᵀu``; its per-study pieces are ``loadings_partial_``; the global variates
  restricted to the samples of a study are ``variates_partial_``. Deflation is global (on the concatenated
  blocks), as the spec describes it;
* **prediction** needs the study of each new sample: a study seen in training is scaled with its own training
  statistics; an unseen study is scaled on itself (a single-sample unseen study is left unscaled, with a warning,
  as mixOmics). Ŷ is brought back to the dummy/Y scale with the Y statistics of the sample's training study;
  for an unseen study it stays on the scaled scale (no Y statistics exist for it), as mixOmics does.

With a single study every MINT model equals its plain counterpart (:class:`PLS` ... :class:`SPLSDA`) exactly.
On ``stemcells`` (4 studies) mint.pls / spls / plsda / splsda agree with mixOmics 6.35.2 to ~1e-14 (loadings,
variates, predict for known and unseen studies, classes) and leave-one-study-out errors agree exactly
(``tests/multiomics/test_mint.py``).

:func:`~pyomics_bridge.multiomics._mint_perf.perf_mint` runs mixOmics' leave-one-study-out cross-validation.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._conventions import ValidationError
from ._engine import explained_variance, spls_engine
from ._pls import PLS, SPLS, _expand, _TwoBlockBase
from ._plsda import PLSDA, SPLSDA, DAPrediction, _class_labels
from ._preprocess import Scaling, apply_scaling, class_levels, dummy_matrix, scale_block
from ._similarity import na_cor
from ._validate import as_block, as_labels, check_option, check_rows

__all__ = ["MINTPLS", "MINTSPLS", "MINTPLSDA", "MINTSPLSDA", "study_scale"]


# --------------------------------------------------------------------------- study handling
def _as_study(study, n: int, *, name: str = "study") -> np.ndarray:
    """Study labels as a length-n object array of strings (no missing labels)."""
    if study is None:
        raise ValidationError(f"{name} is required: one study label per sample (MINT scales each study on its own)")
    arr, _ = as_labels(study, name=name)
    if arr.shape[0] != n:
        raise ValidationError(f"{name} has {arr.shape[0]} labels, expected one per sample ({n})")
    return np.asarray([str(s) for s in arr], dtype=object)


def _study_levels(study_raw, study: np.ndarray) -> list[str]:
    """Study levels in factor order (a Categorical keeps its categories, otherwise sorted)."""
    return [str(s) for s in class_levels(study_raw if isinstance(study_raw, (pd.Series, pd.Categorical))
                                         else study)]


def study_scale(X: np.ndarray, study: np.ndarray, levels: Sequence[str], *, scale: bool = True
                ) -> tuple[np.ndarray, dict[str, Scaling]]:
    """Centre (and scale) each study's rows on their own statistics (NaN kept; zero-sd columns set to 0).

    Parameters
    ----------
    X
        n × p block.
    study
        Length-n study labels.
    levels
        The studies, in order.
    scale
        Divide by the per-study n−1 column sd.

    Returns
    -------
    The pre-processed block (rows in the input order) and ``{study: Scaling}``.
    """
    out = np.empty(X.shape, dtype=np.float64)
    stats = {}
    for s in levels:
        rows = study == s
        out[rows], stats[s] = scale_block(X[rows], center=True, scale=scale)
    return out, stats


def _check_studies(study: np.ndarray, levels: list[str], labels: np.ndarray | None = None) -> None:
    for s in levels:
        m = int(np.sum(study == s))
        if m < 2:
            raise ValidationError(f"study {s!r} has {m} sample(s); MINT needs at least 2 samples per study")
        if m < 5:
            warnings.warn(f"study {s!r} has only {m} samples (< 5)", stacklevel=4)
        if labels is not None and np.unique(labels[study == s]).size < 2:
            warnings.warn(f"study {s!r} contains a single class; MINT (s)PLS-DA expects >= 2 classes per study",
                          stacklevel=4)


# --------------------------------------------------------------------------- shared fit/predict
class _MINTBase(_TwoBlockBase):
    """Per-study scaling around the two-block engine (not public)."""

    def _fit_mint(self, X_arr, x_cols, Y_arr, y_cols, study, levels, *, keepX, keepY, mode) -> None:
        p = X_arr.shape[1]
        H, max_iter, tol, keep_x, keep_y, kept, nzv = self._check_fit_options(X_arr, Y_arr.shape[1], keepX=keepX,
                                                                               keepY=keepY, mode=mode)
        Xs, sx = study_scale(X_arr[:, kept], study, levels, scale=bool(self.scale))
        Ys, sy = study_scale(Y_arr, study, levels, scale=bool(self.scale))
        if self.scale:
            for name, stats in (("X", sx), ("Y", sy)):
                bad = {s: int(np.sum(v.scale == 0)) for s, v in stats.items() if np.any(v.scale == 0)}
                if bad:
                    warnings.warn(f"{name} has zero-variance column(s) within studies {bad}; they are set to 0 there",
                                  stacklevel=3)
        fit = spls_engine(Xs, Ys, n_components=H, keepX=keep_x, keepY=keep_y, mode=mode, tol=tol, max_iter=max_iter)
        Xz = np.where(np.isnan(Xs), 0.0, Xs)
        T, U = self._store_fit(fit, Ys, p=p, x_columns=x_cols, y_columns=y_cols, kept=kept, nzv=nzv, mode=mode,
                               H=H, keep_x=keep_x, keep_y=keep_y)
        self.studies_ = np.asarray(levels, dtype=object)
        self.scaling_ = {"X": sx, "Y": sy}
        self.mean_ = {"X": {s: _expand(v.mean, kept, p, np.nan) for s, v in sx.items()},
                      "Y": {s: v.mean for s, v in sy.items()}}
        self.scale_ = {"X": {s: None if v.scale is None else _expand(v.scale, kept, p, np.nan) for s, v in sx.items()},
                       "Y": {s: v.scale for s, v in sy.items()}}
        comps = [f"comp{h + 1}" for h in range(H)]
        ev = {}
        for name, B, V in (("X", Xs, T), ("Y", Ys, U)):
            rows = [explained_variance(B[study == s], V[study == s]) for s in levels]
            rows.append(explained_variance(B, V))
            ev[name] = pd.DataFrame(np.array(rows), index=list(levels) + ["all data"], columns=comps)
        self.explained_variance_ = ev
        self.variates_partial_ = {"X": {s: T[study == s] for s in levels}, "Y": {s: U[study == s] for s in levels}}
        # per-study pieces of the X loadings: X_{m,h}ᵀ u_{m,h} on the globally deflated block (Σ_m = X_hᵀ u_h)
        C = fit.mat_c
        partial = {}
        for s in levels:
            rows = study == s
            Xm, Tm, Um = Xz[rows], T[rows], U[rows]
            piece = Xm.T @ Um
            for h in range(1, H):
                piece[:, h] -= C[:, :h] @ (Tm[:, :h].T @ Um[:, h])
            partial[s] = _expand(piece, kept, p)
        self.loadings_partial_ = {"X": partial}
        self._P = Xz.T @ T
        self.feature_correlations_ = {"X": na_cor(X_arr, T), "Y": na_cor(Y_arr, U if mode == "canonical" else T)}

    # ---------------------------------------------------------------- new data
    def _get_state(self):  # pragma: no cover - MINT models are not stored through the tl state helpers
        raise NotImplementedError("MINT models cannot be rebuilt from a stored state yet")

    def _aligned_new(self, X) -> np.ndarray:
        arr, columns, _ = as_block(X, name="X", allow_nan=True, min_samples=1)
        if arr.shape[1] != self.n_features_in_:
            raise ValidationError(f"X has {arr.shape[1]} features, the model was fitted on {self.n_features_in_}")
        if columns is not None and self.feature_names_in_ is not None:
            if set(columns) != set(self.feature_names_in_):
                missing = sorted(set(self.feature_names_in_) - set(columns))[:5]
                raise ValidationError(f"X columns differ from the features seen in fit (missing e.g. {missing})")
            order = {c: i for i, c in enumerate(columns)}
            arr = arr[:, [order[c] for c in self.feature_names_in_]]
        return arr[:, self._kept]

    def _scaled_new_study(self, X, study) -> tuple[np.ndarray, np.ndarray]:
        """New X scaled per study (known study: its training statistics; unseen study: its own), NaN → 0."""
        self._check_fitted()
        arr = self._aligned_new(X)
        st = _as_study(study, arr.shape[0], name="study")
        out = np.empty(arr.shape)
        known = set(self.studies_)
        for s in pd.unique(st):
            rows = st == s
            if s in known:
                out[rows] = apply_scaling(arr[rows], self.scaling_["X"][s])
            elif rows.sum() == 1 and self.scale:
                warnings.warn(f"study {s!r} of the new data has a single sample: it is left unscaled (as mixOmics)",
                              stacklevel=3)
                out[rows] = arr[rows]
            else:
                out[rows], _ = scale_block(arr[rows], center=True, scale=bool(self.scale))
        return np.where(np.isnan(out), 0.0, out), st

    def _unscale_y(self, Yh: np.ndarray, st: np.ndarray) -> np.ndarray:
        """Ŷ back on the Y scale of each sample's training study; an unseen study keeps the scaled Ŷ (mixOmics)."""
        out = Yh.copy()
        for s in pd.unique(st):
            sy = self.scaling_["Y"].get(s)
            if sy is None:
                continue
            rows = st == s
            v = Yh[rows] * sy.scale if sy.scale is not None else Yh[rows]
            out[rows] = v + sy.mean
        return out

    def transform(self, X, study=None) -> np.ndarray:
        """Predicted X variates of new samples (``X_new W (PᵀW)⁻¹ diag(‖t_h‖²)`` on the per-study scaled data).

        Parameters
        ----------
        X
            n_new × p matrix with the training features.
        study
            Study label of every new sample (required).

        Returns
        -------
        n_new × n_components array.
        """
        Xs, _ = self._scaled_new_study(X, study)
        return self._variates_new(Xs)


def _pls_inputs(X, Y, study):
    X_arr, x_cols, x_idx = as_block(X, name="X", allow_nan=True)
    if Y is None:
        raise ValidationError("Y is required (n × q responses)")
    Y_arr, y_cols, y_idx = as_block(Y, name="Y", allow_nan=False)
    check_rows(X_arr.shape[0], Y_arr.shape[0], x_idx, y_idx, what_y="Y")
    st = _as_study(study, X_arr.shape[0])
    levels = _study_levels(study, st)
    _check_studies(st, levels)
    return X_arr, x_cols, Y_arr, y_cols, st, levels


class MINTPLS(_MINTBase):
    """MINT PLS (``mixOmics::mint.pls``): PLS on blocks centred and scaled within each study, global components.

    Parameters
    ----------
    n_components
        Number of components H.
    mode
        ``"regression"``, ``"canonical"``, ``"invariant"`` or ``"classic"`` (Y deflation, see :class:`PLS`).
    scale
        Scale each study's columns to unit variance (default True).
    tol, max_iter
        Stopping rule of the power iteration.
    near_zero_var
        Remove near-zero-variance columns of X (computed on all samples) first.

    Attributes
    ----------
    variates_, loadings_, loadings_star_, rotations_, mat_c_
        Global model, as :class:`PLS`.
    variates_partial_
        ``{"X"|"Y": {study: rows of the global variates}}``.
    loadings_partial_
        ``{"X": {study: p × H}}``: per-study pieces ``X_{m,h}ᵀ u_{m,h}`` (not normalised; their sum is the
        un-thresholded global direction ``X_hᵀ u_h``).
    explained_variance_
        ``{"X"|"Y": DataFrame (studies + "all data") × components}``.
    studies_, mean_, scale_, scaling_
        Study levels and per-study pre-processing statistics (``mean_["X"][study]``...).
    """

    __init__ = PLS.__init__  # same parameters as PLS

    def _keeps(self):
        return None, None

    def fit(self, X, Y, *, study) -> MINTPLS:
        """Fit on X (n × p), Y (n × q) and the study label of every sample. Returns ``self``."""
        X_arr, x_cols, Y_arr, y_cols, st, levels = _pls_inputs(X, Y, study)
        keepX, keepY = self._keeps()
        self._fit_mint(X_arr, x_cols, Y_arr, y_cols, st, levels, keepX=keepX, keepY=keepY, mode=self.mode)
        return self

    def predict(self, X, study=None, *, n_components: int | None = None) -> np.ndarray:
        """Predicted responses of new samples with the first ``n_components`` (n_new × q, original Y scale).

        Parameters
        ----------
        X
            n_new × p matrix.
        study
            Study label of every new sample (required; see the module doc for unseen studies).
        n_components
            Number of components used (default all).
        """
        self._check_fitted()
        h = self._n_comp(n_components)
        Xs, st = self._scaled_new_study(X, study)
        return self._unscale_y(Xs @ self._b_hat(h), st)


class MINTSPLS(MINTPLS):
    """MINT sparse PLS (``mixOmics::mint.spls``): :class:`MINTPLS` with ``keepX``/``keepY`` per component.

    Parameters
    ----------
    n_components
        Number of components H.
    keepX, keepY
        Non-zero loadings per component (list of H integers, or one integer; default all).
    mode, scale, tol, max_iter, near_zero_var
        As :class:`MINTPLS`.
    """

    __init__ = SPLS.__init__  # same parameters as SPLS

    def _keeps(self):
        return self.keepX, self.keepY


class MINTPLSDA(_MINTBase, PLSDA):
    """MINT PLS-DA (``mixOmics::mint.plsda``): PLS-DA whose X and dummy Y are centred/scaled within each study.

    Parameters
    ----------
    n_components
        Number of components H.
    scale
        Scale each study's columns (X and the dummy Y) to unit variance (default True).
    tol, max_iter, near_zero_var, mahalanobis
        As :class:`PLSDA`.

    Attributes
    ----------
    As :class:`MINTPLS`, plus ``classes_``, ``centroids_`` (class means of the global training variates) and
    ``ind_mat_`` (the per-study scaled dummy matrix).
    """

    __init__ = PLSDA.__init__  # same parameters as PLSDA

    def _keeps(self):
        return None

    def fit(self, X, y, *, study) -> MINTPLSDA:
        """Fit on X (n × p), class labels y and the study label of every sample. Returns ``self``."""
        check_option(self.mahalanobis, ("mixomics", "textbook"), name="mahalanobis")
        X_arr, x_cols, x_idx = as_block(X, name="X", allow_nan=True)
        labels, levels = _class_labels(y, X_arr.shape[0], x_idx)
        st = _as_study(study, X_arr.shape[0])
        s_levels = _study_levels(study, st)
        _check_studies(st, s_levels, labels)
        dummy = dummy_matrix(labels, levels)
        self._fit_mint(X_arr, x_cols, dummy, [str(v) for v in levels], st, s_levels, keepX=self._keeps(),
                       keepY=None, mode="regression")
        self.classes_ = np.asarray(levels, dtype=object)
        ind = np.empty_like(dummy)
        for s in s_levels:
            rows = st == s
            sy = self.scaling_["Y"][s]
            ind[rows] = dummy[rows] - sy.mean
            if sy.scale is not None:
                ind[rows] /= np.where(sy.scale == 0, 1.0, sy.scale)
        self.ind_mat_ = ind
        self._fit_centroids(dummy)
        return self

    def predict_scores(self, X, study=None, *, n_components: int | None = None) -> np.ndarray:
        """Predicted dummy scores Ŷ (n_new × K, columns in ``classes_`` order) with the first components."""
        self._check_fitted()
        h = self._n_comp(n_components)
        Xs, st = self._scaled_new_study(X, study)
        return self._unscale_y(Xs @ self._b_hat(h), st)

    def predict(self, X, study=None, *, dist: str = "max.dist", n_components: int | None = None) -> np.ndarray:
        """Predicted class of new samples (``max.dist``, ``centroids.dist`` or ``mahalanobis.dist``).

        Parameters
        ----------
        X
            n_new × p matrix.
        study
            Study label of every new sample (required).
        dist
            Class rule (see :class:`PLSDA`).
        n_components
            Number of components used (default all).

        Returns
        -------
        Array of n_new labels (ties: tied labels joined by "/").
        """
        self._check_fitted()
        dists = self._check_dist(dist, allow_all=False)
        h = self._n_comp(n_components)
        Xs, st = self._scaled_new_study(X, study)
        Yhat = self._unscale_y(Xs @ self._b_hat(h), st)
        return self._classify(Yhat, self._variates_new(Xs), h, dists[0])

    def predict_all(self, X, study=None, *, dist: str = "all") -> DAPrediction:
        """mixOmics' full ``predict`` output for every number of components (see :meth:`PLSDA.predict_all`)."""
        self._check_fitted()
        dists = self._check_dist(dist, allow_all=True)
        Xs, st = self._scaled_new_study(X, study)
        return self._predict_all_scaled(Xs, dists, lambda h: self._unscale_y(Xs @ self._b_hat(h), st))


class MINTSPLSDA(MINTPLSDA):
    """MINT sparse PLS-DA (``mixOmics::mint.splsda``): :class:`MINTPLSDA` with ``keepX[h]`` features per component.

    Parameters
    ----------
    n_components
        Number of components H.
    keepX
        Non-zero X loadings per component (list of H integers, or one integer; default all features).
    scale, tol, max_iter, near_zero_var, mahalanobis
        As :class:`MINTPLSDA`.
    """

    __init__ = SPLSDA.__init__  # same parameters as SPLSDA

    def _keeps(self):
        return self.keepX
