"""PLS and sparse PLS between two blocks (``mixOmics::pls`` / ``spls``), with mixOmics' four deflation modes."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from .._conventions import ValidationError
from ._engine import MODES, explained_variance, loadings_star_mixomics, rotations, spls_engine
from ._implicit import ScaledBlock, is_lean_input, scaled_block
from ._preprocess import Scaling, apply_scaling, has_nan, near_zero_var, scale_block
from ._similarity import na_cor
from ._sparse import check_keep
from ._validate import as_block, as_block_lean, check_n_components, check_option, check_positive, check_rows

__all__ = ["PLS", "SPLS"]


def new_block(X, *, n_features: int, feature_names, kept: np.ndarray, scaling: Scaling):
    """New samples with the training pre-processing: a dense float64 array (NaN → 0) or, for float32 / scipy.sparse
    input without NaN, an implicit :class:`ScaledBlock` (no float64 or dense copy); both support ``@``."""
    arr, columns, _, missing = as_block_lean(X, name="X", min_samples=1)
    if arr.shape[1] != n_features:
        raise ValidationError(f"X has {arr.shape[1]} features, the model was fitted on {n_features}")
    if columns is not None and feature_names is not None:
        if set(columns) != set(feature_names):
            absent = sorted(set(feature_names) - set(columns))[:5]
            raise ValidationError(f"X columns differ from the features seen in fit (missing e.g. {absent})")
        if list(columns) != list(feature_names):
            order = {c: i for i, c in enumerate(columns)}
            arr = arr[:, [order[c] for c in feature_names]]
    if not missing and is_lean_input(arr):
        mean = scaling.mean if scaling.mean is not None else np.zeros(int(kept.sum()))
        if scaling.scale is None:
            inv = np.ones_like(mean)
        else:
            inv = np.where(scaling.scale == 0, 0.0, 1.0 / np.where(scaling.scale == 0, 1.0, scaling.scale))
        cols = None if kept.all() else np.flatnonzero(kept)
        return ScaledBlock(arr, mean=mean, inv_scale=inv, sumsq=np.zeros_like(mean), cols=cols)
    arr = np.asarray(arr, dtype=np.float64)
    Xs = apply_scaling(arr if kept.all() else arr[:, kept], scaling)
    return np.where(np.isnan(Xs), 0.0, Xs)


def _expand(values: np.ndarray, keep: np.ndarray, p: int, fill: float = 0.0) -> np.ndarray:
    """Put the rows of ``values`` (kept features) back into a p-row array (``fill`` for dropped features)."""
    shape = (p,) + values.shape[1:]
    out = np.full(shape, fill, dtype=np.float64)
    out[keep] = values
    return out


class _TwoBlockBase(TransformerMixin, BaseEstimator):
    """Shared fit/predict machinery of PLS, SPLS, PLSDA and SPLSDA (not public)."""

    # ---------------------------------------------------------------- fitting
    def _fit_blocks(
        self,
        X_arr: np.ndarray,
        x_columns: pd.Index | None,
        Y_arr: np.ndarray,
        y_columns: Sequence | None,
        *,
        keepX,
        keepY,
        mode: str,
    ) -> None:
        p = X_arr.shape[1]
        q = Y_arr.shape[1]
        # complete blocks (dense float32/float64 or scipy.sparse) take the implicit path: no centred/scaled copy,
        # no float64 copy of float32 data, no densified sparse block; NaN needs the dense NA-aware path.
        lean = not isinstance(X_arr, np.ndarray) or not has_nan(X_arr)
        H, max_iter, tol, keep_x, keep_y, kept, nzv = self._check_fit_options(X_arr, q, keepX=keepX, keepY=keepY,
                                                                               mode=mode)

        if lean:
            Xs, sx = scaled_block(X_arr, center=True, scale=bool(self.scale),
                                  cols=None if kept.all() else np.flatnonzero(kept))
        else:
            Xs, sx = scale_block(X_arr[:, kept], center=True, scale=bool(self.scale))
        Ys, sy = scale_block(Y_arr, center=True, scale=bool(self.scale))
        for name, s in (("X", sx), ("Y", sy)):
            if s.scale is not None and np.any(s.scale == 0):
                warnings.warn(f"{name} has {int(np.sum(s.scale == 0))} zero-variance column(s); they are set to 0",
                              stacklevel=3)
        fit = spls_engine(Xs, Ys, n_components=H, keepX=keep_x, keepY=keep_y, mode=mode, tol=tol, max_iter=max_iter)

        T, U = self._store_fit(fit, Ys, p=p, x_columns=x_columns, y_columns=y_columns, kept=kept, nzv=nzv,
                               mode=mode, H=H, keep_x=keep_x, keep_y=keep_y)
        self.scaling_ = {"X": sx, "Y": sy}
        self.mean_ = {"X": _expand(sx.mean, kept, p, np.nan), "Y": sy.mean}
        self.scale_ = {
            "X": None if sx.scale is None else _expand(sx.scale, kept, p, np.nan),
            "Y": sy.scale,
        }
        self.explained_variance_ = {"X": explained_variance(Xs, T), "Y": explained_variance(Ys, U)}
        # un-normalised projections of the scaled training data, used by predict (spec §2.7)
        self._P = Xs.T @ T if lean else np.where(np.isnan(Xs), 0.0, Xs).T @ T
        cor_x = Xs.feature_cor(T) if lean else na_cor(X_arr, T)
        v_y = U if mode == "canonical" else T
        self.feature_correlations_ = {"X": cor_x, "Y": na_cor(Y_arr, v_y)}

    def _check_fit_options(self, X_arr, q: int, *, keepX, keepY, mode: str):
        """Validated options of a two-block fit and the near-zero-variance filter of X (shared with MINT).

        Returns ``(H, max_iter, tol, keep_x, keep_y, kept, nzv)``.
        """
        n, p = X_arr.shape
        check_option(mode, MODES, name="mode")
        H = check_n_components(self.n_components, min(n, p), what="min(n_samples, n_features) of X")
        max_iter = int(check_positive(self.max_iter, name="max_iter", integer=True))
        tol = float(check_positive(self.tol, name="tol"))
        keep_x = check_keep(keepX, H, p, name="keepX")
        keep_y = check_keep(keepY, H, q, name="keepY")
        kept = np.ones(p, dtype=bool)
        nzv = np.zeros(0, dtype=np.intp)
        if self.near_zero_var:
            nzv = near_zero_var(X_arr)
            if nzv.size == p:
                raise ValidationError("X: every column has near-zero variance (near_zero_var=True removed them all)")
            if nzv.size:
                kept[nzv] = False
                warnings.warn(f"near_zero_var: {nzv.size} column(s) of X removed", stacklevel=4)
        p_kept = int(kept.sum())
        if p_kept < H:
            raise ValidationError(f"n_components={H} is larger than the number of X columns kept ({p_kept})")
        keep_x = [min(k, p_kept) for k in keep_x]
        return H, max_iter, tol, keep_x, keep_y, kept, nzv

    def _store_fit(self, fit, Ys, *, p: int, x_columns, y_columns, kept, nzv, mode: str, H: int,
                   keep_x, keep_y):
        """Attributes every two-block fit sets from the engine result (shared with MINT); returns ``(T, U)``."""
        T, U = fit.variates_x, fit.variates_y
        self.n_features_in_ = p
        self.feature_names_in_ = None if x_columns is None else np.asarray(x_columns, dtype=object)
        self.y_names_ = None if y_columns is None else np.asarray(y_columns, dtype=object)
        self.nzv_ = nzv
        self.mode_ = mode
        self.n_components_ = H
        self.keepX_ = keep_x
        self.keepY_ = keep_y
        self.n_iter_ = list(fit.n_iter)
        self.converged_ = list(fit.converged)
        self._kept = kept
        self.variates_ = {"X": T, "Y": U}
        self.loadings_ = {"X": _expand(fit.loadings_x, kept, p), "Y": fit.loadings_y}
        self.loadings_star_ = {
            "X": _expand(loadings_star_mixomics(fit.loadings_x, fit.mat_c), kept, p),
            "Y": loadings_star_mixomics(fit.loadings_y, fit.defl_y),
        }
        self.rotations_ = {"X": _expand(rotations(fit.loadings_x, fit.mat_c), kept, p)}
        self.mat_c_ = _expand(fit.mat_c, kept, p)
        self.deflation_ = {"X": self.mat_c_, "Y": fit.defl_y}
        self._W = fit.loadings_x
        self._C = Ys.T @ T
        self._tt = np.sum(T * T, axis=0)
        self._rd = np.nansum(na_cor(Ys, T) ** 2, axis=0)
        self.selected_features_ = {
            "X": [self._names(self.feature_names_in_, np.flatnonzero(self.loadings_["X"][:, h])) for h in range(H)],
            "Y": [self._names(self.y_names_, np.flatnonzero(fit.loadings_y[:, h])) for h in range(H)],
        }
        return T, U

    @staticmethod
    def _names(names, idx):
        return idx if names is None else names[idx]

    # ---------------------------------------------------------------- state for AnnData storage
    _STATE_EXTRA: tuple[str, ...] = ()

    def _get_state(self) -> dict[str, np.ndarray]:
        """Arrays needed to predict/transform, storable in ``.uns`` (see :meth:`_from_state`)."""
        self._check_fitted()
        sx, sy = self.scaling_["X"], self.scaling_["Y"]
        state = {
            "kept": self._kept.copy(),
            "x_mean": sx.mean.copy(),
            "y_mean": sy.mean.copy(),
            "W": self._W.copy(),
            "P": self._P.copy(),
            "C": self._C.copy(),
            "tt": self._tt.copy(),
        }
        if sx.scale is not None:
            state["x_scale"] = sx.scale.copy()
        if sy.scale is not None:
            state["y_scale"] = sy.scale.copy()
        return state

    @classmethod
    def _from_state(cls, state, **params):
        """A predict-only estimator rebuilt from :meth:`_get_state` arrays (attributes of the training fit that
        predict does not need, such as the training variates, are absent)."""
        est = cls(**params)
        kept = np.asarray(state["kept"], dtype=bool)
        est._kept = kept
        est.n_features_in_ = kept.size
        est.feature_names_in_ = None
        est.scaling_ = {
            "X": Scaling(np.asarray(state["x_mean"], float),
                         np.asarray(state["x_scale"], float) if "x_scale" in state else None),
            "Y": Scaling(np.asarray(state["y_mean"], float),
                         np.asarray(state["y_scale"], float) if "y_scale" in state else None),
        }
        est._W = np.asarray(state["W"], float)
        est._P = np.asarray(state["P"], float)
        est._C = np.asarray(state["C"], float)
        est._tt = np.asarray(state["tt"], float)
        est.n_components_ = est._W.shape[1]
        est.loadings_ = {"X": _expand(est._W, kept, kept.size)}
        return est

    # ---------------------------------------------------------------- new data
    def _check_fitted(self) -> None:
        if not hasattr(self, "loadings_"):
            raise ValidationError(f"this {type(self).__name__} is not fitted yet; call fit() first")

    def _scaled_new(self, X) -> np.ndarray:
        """New X scaled with the training statistics, nzv columns dropped, NaN → 0 (n_new × p_kept); float32 or
        scipy.sparse input gives an implicit block (see :func:`new_block`)."""
        self._check_fitted()
        return new_block(X, n_features=self.n_features_in_, feature_names=self.feature_names_in_, kept=self._kept,
                         scaling=self.scaling_["X"])

    def _n_comp(self, n_components: int | None) -> int:
        if n_components is None:
            return self.n_components_
        return check_n_components(n_components, self.n_components_, what="the number of fitted components")

    def _b_hat(self, h: int) -> np.ndarray:
        """Regression coefficients on the scaled-X scale with the first ``h`` components (p_kept × q)."""
        W, P, C = self._W[:, :h], self._P[:, :h], self._C[:, :h]
        return W @ np.linalg.solve(P.T @ W, C.T)

    def _predict_scaled(self, Xs: np.ndarray, h: int) -> np.ndarray:
        """Ŷ with ``h`` components, back on the original Y scale (``× sd_Y + mean_Y``)."""
        Yh = Xs @ self._b_hat(h)
        sy: Scaling = self.scaling_["Y"]
        if sy.scale is not None:
            Yh = Yh * sy.scale
        return Yh + sy.mean

    def transform(self, X) -> np.ndarray:
        """Predicted X variates of new samples, ``X_new W (PᵀW)⁻¹ diag(‖t_h‖²)`` (= scaled X_new × ``rotations_``).

        Parameters
        ----------
        X
            n_new × p matrix with the training features (NaN allowed: set to 0 after scaling).

        Returns
        -------
        n_new × n_components array.
        """
        return self._variates_new(self._scaled_new(X))

    def _variates_new(self, Xs) -> np.ndarray:
        """Predicted X variates ``Xs W (PᵀW)⁻¹ diag(‖t_h‖²)`` of already scaled new samples."""
        return Xs @ self._W @ np.linalg.solve(self._P.T @ self._W, np.diag(self._tt))

    def vip(self) -> np.ndarray:
        """Variable importance in projection (p × H), see :func:`~pyomics_bridge.multiomics.vip`."""
        self._check_fitted()
        from ._similarity import vip

        return vip(self)

    def coef(self, n_components: int | None = None) -> np.ndarray:
        """mixOmics ``B.hat``: p × q coefficients on the scaled-X / scaled-Y scale with the first components
        (zero rows for features removed by ``near_zero_var``)."""
        self._check_fitted()
        h = self._n_comp(n_components)
        return _expand(self._b_hat(h), self._kept, self.n_features_in_)


class PLS(_TwoBlockBase):
    """Partial least squares between two blocks (``mixOmics::pls``).

    Each component maximises cov(Xa, Yb) with unit loadings; the modes differ only in how Y is deflated:
    ``"regression"`` (PLS2, Y deflated on the X variate), ``"canonical"`` (on its own variate, as
    :class:`sklearn.cross_decomposition.PLSCanonical`), ``"invariant"`` (not deflated, redundancy analysis),
    ``"classic"`` (Tenenhaus, ``Y − t bᵀ``). Blocks are centred and, with ``scale=True``, divided by their n−1 sd.
    Missing values in X are handled NA-aware (no imputation; they need a dense array); Y must be complete.

    Large blocks: a complete X (float32 or float64 array, or scipy.sparse CSR/CSC) is never copied, centred,
    up-cast or densified: the engine multiplies by the implicitly centred/scaled block
    (:class:`~pyomics_bridge.multiomics._implicit.ScaledBlock`) and deflates with low-rank corrections, so memory
    stays O(n·H + p·H) beyond the input. float32 input is multiplied in float32 with float64 accumulation (agrees
    with a float64 fit to float32 precision).

    Parameters
    ----------
    n_components
        Number of components H.
    mode
        Deflation mode (see above).
    scale
        Scale both blocks to unit variance (default True, as mixOmics).
    tol, max_iter
        Stopping rule of the power iteration: ``max(‖Δa‖², ‖Δb‖²) < tol`` or ``max_iter + 1`` sweeps.
    near_zero_var
        Remove near-zero-variance columns of X first (caret's rule); ``nzv_`` lists them.

    Attributes
    ----------
    variates_, loadings_
        ``{"X": T, "Y": U}`` and ``{"X": A, "Y": B}`` (one column per component; the largest |X loading| of each
        component is positive, X and Y flipped together).
    loadings_star_
        ``{"X", "Y"}`` as mixOmics returns ``loadings.star`` — including its shifted-deflation quirk for
        H ≥ 3 (see :func:`~pyomics_bridge.multiomics.loadings_star_mixomics`). ``rotations_["X"]`` is the textbook
        W* with ``T = X W*``.
    explained_variance_
        ``{"X", "Y"}``: mixOmics ``prop_expl_var`` per component.
    mat_c_
        X deflation vectors (mixOmics ``mat.c``).
    deflation_
        ``{"X": mat_c_, "Y": ...}``: the deflation vectors entering ``loadings.star`` (Y's are non-zero only in
        canonical mode, ``e_h = Y_hᵀu_h / u_hᵀu_h``).
    mean_, scale_, scaling_
        Pre-processing statistics of X and Y.
    feature_correlations_
        ``{"X": cor(X_j, t_h), "Y": cor(Y_k, v_h)}`` with v = U in canonical mode, else T (correlation circle,
        :func:`~pyomics_bridge.multiomics.similarity_matrix`; NaN for features removed by ``near_zero_var``).
    keepX_, keepY_, n_iter_, converged_, selected_features_, nzv_
        Per component settings and diagnostics.
    """

    def __init__(
        self,
        n_components: int = 2,
        *,
        mode: str = "regression",
        scale: bool = True,
        tol: float = 1e-6,
        max_iter: int = 100,
        near_zero_var: bool = False,
    ) -> None:
        self.n_components = n_components
        self.mode = mode
        self.scale = scale
        self.tol = tol
        self.max_iter = max_iter
        self.near_zero_var = near_zero_var

    def _keeps(self):
        return None, None

    def fit(self, X, Y) -> PLS:
        """Fit on X (n × p: dense, NaN allowed, or scipy.sparse) and Y (n × q, or a vector). Returns ``self``."""
        X_arr, x_cols, x_idx, _ = as_block_lean(X, name="X")
        if Y is None:
            raise ValidationError("Y is required (n × q responses)")
        Y_arr, y_cols, y_idx = as_block(Y, name="Y", allow_nan=False)
        check_rows(X_arr.shape[0], Y_arr.shape[0], x_idx, y_idx, what_y="Y")
        keepX, keepY = self._keeps()
        self._fit_blocks(X_arr, x_cols, Y_arr, y_cols, keepX=keepX, keepY=keepY, mode=self.mode)
        return self

    def predict(self, X, *, n_components: int | None = None) -> np.ndarray:
        """Predicted responses ``Ŷ = X_new W (PᵀW)⁻¹ Cᵀ × sd_Y + mean_Y`` with the first ``n_components``.

        Parameters
        ----------
        X
            n_new × p matrix.
        n_components
            Number of components used (default all).

        Returns
        -------
        n_new × q array on the original Y scale.
        """
        self._check_fitted()
        h = self._n_comp(n_components)
        return self._predict_scaled(self._scaled_new(X), h)


class SPLS(PLS):
    """Sparse PLS with count sparsity (``mixOmics::spls``): ``keepX[h]``/``keepY[h]`` non-zero loadings per component.

    Same model as :class:`PLS` with a soft-threshold in every sweep of the power iteration (spec §1.3). The
    iteration replicates mixOmics' start (leading singular pair of XᵀY), Gauss–Seidel order and stopping rule, so
    fits agree with R to ~1e-15 rather than to the ~1e-4 of a different stopping point.

    Parameters
    ----------
    n_components
        Number of components H.
    keepX, keepY
        Non-zero loadings per component for X and Y (list of H integers, or one integer; default all).
    mode, scale, tol, max_iter, near_zero_var
        As :class:`PLS`.

    Attributes
    ----------
    As :class:`PLS`; ``selected_features_["X"][h]`` lists the selected X features of component h.
    """

    def __init__(
        self,
        n_components: int = 2,
        *,
        keepX: int | Sequence[int] | None = None,
        keepY: int | Sequence[int] | None = None,
        mode: str = "regression",
        scale: bool = True,
        tol: float = 1e-6,
        max_iter: int = 100,
        near_zero_var: bool = False,
    ) -> None:
        self.n_components = n_components
        self.keepX = keepX
        self.keepY = keepY
        self.mode = mode
        self.scale = scale
        self.tol = tol
        self.max_iter = max_iter
        self.near_zero_var = near_zero_var

    def _keeps(self):
        return self.keepX, self.keepY
