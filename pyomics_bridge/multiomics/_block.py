"""Block PLS and DIABLO (``mixOmics::block.pls``, ``block.spls``, ``block.plsda``, ``block.splsda``).

Several omics blocks measured on the same samples are linked to a response (a Y matrix, or the dummy matrix of
class labels for DIABLO) and to each other through a design matrix (:func:`~pyomics_bridge.multiomics.design_matrix`).
Each block is centred and scaled (n−1 sd, the dummy Y included), then the multi-block sGCCA engine
(:mod:`._block_engine`; Tenenhaus et al. 2014, Singh et al. 2019) finds, per component, one unit loading vector
per block (``keepX`` non-zero entries) maximising ``Σ_jk C_jk cov(X_j a_j, X_k a_k)``.

Blocks are passed as a dict ``{name: n × p_j array or DataFrame}`` (same samples, same order); every fitted
attribute is a dict keyed by the block names plus ``"Y"``.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from .._conventions import ValidationError, check_aligned
from ._block_engine import BLOCK_MODES, block_engine
from ._block_predict import BlockPrediction, argmax_labels, classify, majority_vote, weighted_predict, weighted_vote
from ._design import design_matrix
from ._engine import explained_variance
from ._plsda import DISTANCES
from ._preprocess import Scaling, apply_scaling, class_levels, dummy_matrix, near_zero_var, scale_block
from ._similarity import na_cor
from ._sparse import check_keep
from ._validate import as_block, as_labels, check_n_components, check_option, check_positive

__all__ = ["BlockPLS", "BlockSPLS", "BlockPLSDA", "BlockSPLSDA"]

Y_NAME = "Y"


def _expand(values: np.ndarray, keep: np.ndarray, fill: float = 0.0) -> np.ndarray:
    out = np.full((keep.size,) + values.shape[1:], fill, dtype=np.float64)
    out[keep] = values
    return out


def _as_blocks(X, *, name: str = "X", min_samples: int = 2, allow_empty: bool = False):
    """Validate a dict of blocks: returns ``{name: (array, columns, index)}`` in the given order."""
    if not isinstance(X, Mapping):
        raise TypeError(f"{name} must be a dict {{block name: samples × features matrix}}, got {type(X).__name__}")
    if not X and not allow_empty:
        raise ValidationError(f"{name} has no blocks")
    out = {}
    for key, value in X.items():
        if not isinstance(key, str):
            raise ValidationError(f"{name} block names must be strings, got {key!r}")
        if key == Y_NAME:
            raise ValidationError(f"{name} cannot contain a block named {Y_NAME!r} (reserved for the response)")
        out[key] = as_block(value, name=f"{name}[{key!r}]", allow_nan=True, min_samples=min_samples)
    names = list(out)
    for key in names[1:]:
        n0, n1 = out[names[0]][0].shape[0], out[key][0].shape[0]
        if n0 != n1:
            raise ValidationError(
                f"blocks {names[0]!r} and {key!r} have different numbers of rows (samples): {n0} and {n1}"
            )
        i0, i1 = out[names[0]][2], out[key][2]
        if i0 is not None and i1 is not None:
            check_aligned(pd.Index(i0), pd.Index(i1), what_a=f"{name}[{names[0]!r}] rows", what_b=f"{name}[{key!r}] rows")
    return out


def _check_init_signs(init_signs, H: int, J: int):
    if isinstance(init_signs, str):
        return check_option(init_signs, ("search", "fixed"), name="init_signs")
    arr = np.asarray(init_signs, dtype=np.float64)
    if arr.shape != (H, J) or not np.all(np.isin(arr, (-1.0, 1.0))):
        raise ValidationError(
            f"init_signs must be 'search', 'fixed' or an n_components × n_blocks ({H} × {J}, response last) array of "
            f"±1, got {arr.shape if arr.ndim else init_signs!r}"
        )
    return arr


class _BlockBase(BaseEstimator):
    """Shared fit/transform/predict machinery (not public)."""

    _da = False

    # ------------------------------------------------------------------ fitting
    def _keeps(self):
        return None, None

    def _fit_blocks(self, blocks: dict, Y_arr: np.ndarray, y_names, *, mode: str) -> None:
        names = list(blocks)
        J = len(names)
        n = Y_arr.shape[0]
        check_option(mode, BLOCK_MODES, name="mode")
        max_iter = int(check_positive(self.max_iter, name="max_iter", integer=True))
        tol = float(check_positive(self.tol, name="tol"))
        min_p = min(arr.shape[1] for arr, _, _ in blocks.values())
        H = check_n_components(self.n_components, min(n, min_p), what="min(n_samples, features of the smallest block)")
        q = Y_arr.shape[1]
        if mode == "canonical" and q > 1 and H > q - 1:
            raise ValidationError(f"mode='canonical' allows at most q − 1 = {q - 1} components (Y has {q} columns)")
        design = design_matrix(self.design, names, y_name=Y_NAME)
        init_signs = _check_init_signs(self.init_signs, H, J + 1)

        keepX, keepY = self._keeps()
        if keepX is None:
            keepX = {}
        if not isinstance(keepX, Mapping):
            raise ValidationError(f"keepX must be a dict {{block name: list per component}}, got {type(keepX).__name__}")
        unknown = [k for k in keepX if k not in names]
        if unknown:
            raise ValidationError(f"keepX names unknown block(s) {unknown}; blocks: {names}")

        self.nzv_, self._kept, self.scaling_, scaled = {}, {}, {}, []
        keep_lists, self.keepX_ = [], {}
        for b in names:
            arr, _, _ = blocks[b]
            p = arr.shape[1]
            kept = np.ones(p, dtype=bool)
            nzv = np.zeros(0, dtype=np.intp)
            if self.near_zero_var:
                nzv = near_zero_var(arr)
                if nzv.size == p:
                    raise ValidationError(f"X[{b!r}]: every column has near-zero variance (near_zero_var removed them)")
                if nzv.size:
                    kept[nzv] = False
                    warnings.warn(f"near_zero_var: {nzv.size} column(s) of block {b!r} removed", stacklevel=3)
            p_kept = int(kept.sum())
            if p_kept < H:
                raise ValidationError(f"n_components={H} is larger than the number of columns kept in {b!r} ({p_kept})")
            kx = check_keep(keepX.get(b), H, p, name=f"keepX[{b!r}]")
            kx = [min(k, p_kept) for k in kx]
            Xs, sc = scale_block(arr[:, kept], center=True, scale=bool(self.scale))
            if sc.scale is not None and np.any(sc.scale == 0):
                warnings.warn(f"block {b!r} has {int(np.sum(sc.scale == 0))} zero-variance column(s); set to 0",
                              stacklevel=3)
            self.nzv_[b], self._kept[b], self.scaling_[b] = nzv, kept, sc
            self.keepX_[b] = kx
            keep_lists.append(kx)
            scaled.append(Xs)
        self.keepY_ = check_keep(keepY, H, q, name="keepY")
        Ys, sy = scale_block(Y_arr, center=True, scale=bool(self.scale))
        self.scaling_[Y_NAME] = sy
        scaled.append(Ys)
        keep_lists.append(self.keepY_)

        fit = block_engine(scaled, design.to_numpy(), n_components=H, keep=keep_lists, mode=mode, tol=tol,
                           max_iter=max_iter, init_signs=init_signs)

        all_names = names + [Y_NAME]
        self.block_names_ = names
        self.n_components_ = H
        self.mode_ = mode
        self.design_ = design
        self.n_iter_ = list(fit.n_iter)
        self.converged_ = list(fit.converged)
        self.crit_ = [np.asarray(c) for c in fit.crit]
        self.init_signs_ = fit.init_signs.astype(int)
        self.n_solutions_ = list(fit.n_solutions)
        self.feature_names_in_ = {b: (None if blocks[b][1] is None else np.asarray(blocks[b][1], dtype=object))
                                  for b in names}
        self.feature_names_in_[Y_NAME] = None if y_names is None else np.asarray(y_names, dtype=object)
        self.n_features_in_ = {b: blocks[b][0].shape[1] for b in names}
        self.n_features_in_[Y_NAME] = q
        self.variates_ = {b: fit.variates[j] for j, b in enumerate(all_names)}
        self.loadings_ = {b: _expand(fit.loadings[j], self._kept[b]) for j, b in enumerate(names)}
        self.loadings_[Y_NAME] = fit.loadings[J]
        self.explained_variance_ = {b: explained_variance(scaled[j], fit.variates[j]) for j, b in enumerate(all_names)}
        self.mean_ = {b: (_expand(self.scaling_[b].mean, self._kept[b], np.nan)) for b in names}
        self.mean_[Y_NAME] = sy.mean
        self.scale_ = {b: (None if self.scaling_[b].scale is None else
                           _expand(self.scaling_[b].scale, self._kept[b], np.nan)) for b in names}
        self.scale_[Y_NAME] = sy.scale
        tY = fit.variates[J]
        weights = np.array([[np.corrcoef(fit.variates[j][:, h], tY[:, h])[0, 1] for h in range(H)]
                            for j in range(J)])
        comps = [f"comp{h + 1}" for h in range(H)]
        self.weights_ = pd.DataFrame(weights, index=names, columns=comps)
        # AVE (average variance explained): per block, outer (p-weighted) and inner (design-weighted)
        ave_x = {}
        for j, b in enumerate(all_names):
            ave_x[b] = np.nanmean(na_cor(scaled[j], fit.variates[j]) ** 2, axis=0)
        p_all = np.array([s.shape[1] for s in scaled], dtype=float)
        ave_outer = sum(p_all[j] * ave_x[b] for j, b in enumerate(all_names)) / p_all.sum()
        Cm = design.to_numpy()
        ave_inner = np.zeros(H)
        for h in range(H):
            Th = np.column_stack([v[:, h] for v in fit.variates])
            ave_inner[h] = np.sum(Cm * np.corrcoef(Th, rowvar=False) ** 2) / np.sum(Cm)
        self.ave_ = {"X": ave_x, "outer": ave_outer, "inner": ave_inner}
        self.feature_correlations_ = {b: _expand(na_cor(blocks[b][0][:, self._kept[b]], fit.variates[j]),
                                                 self._kept[b], np.nan) for j, b in enumerate(names)}
        self.feature_correlations_[Y_NAME] = na_cor(Y_arr, tY)
        self.selected_features_ = {}
        for b in all_names:
            nm = self.feature_names_in_[b]
            idx = [np.flatnonzero(self.loadings_[b][:, h]) for h in range(H)]
            self.selected_features_[b] = [i if nm is None else nm[i] for i in idx]
        # projections of the scaled training data used by transform/predict (spec §2.7)
        self._W, self._P, self._C, self._tt = {}, {}, {}, {}
        for j, b in enumerate(names):
            Xz = np.where(np.isnan(scaled[j]), 0.0, scaled[j])
            T = fit.variates[j]
            self._W[b] = fit.loadings[j]
            self._P[b] = Xz.T @ T
            self._C[b] = Ys.T @ T
            self._tt[b] = np.sum(T * T, axis=0)

    # ------------------------------------------------------------------ state for MuData storage
    def _get_state(self) -> dict:
        """Arrays needed by transform/predict, storable in ``.uns`` (and .h5mu); see :meth:`_from_state`."""
        self._check_fitted()
        sy = self.scaling_[Y_NAME]
        state = {
            "blocks": np.asarray(self.block_names_, dtype=str),
            "weights": self.weights_.to_numpy().copy(),
            "y_mean": sy.mean.copy(),
            "per_block": {},
        }
        if sy.scale is not None:
            state["y_scale"] = sy.scale.copy()
        if self.feature_names_in_[Y_NAME] is not None:
            state["y_names"] = np.asarray(self.feature_names_in_[Y_NAME], dtype=str)
        for b in self.block_names_:
            sc = self.scaling_[b]
            entry = {"kept": self._kept[b].copy(), "mean": sc.mean.copy(), "W": self._W[b].copy(),
                     "P": self._P[b].copy(), "C": self._C[b].copy(), "tt": self._tt[b].copy()}
            if sc.scale is not None:
                entry["scale"] = sc.scale.copy()
            if self.feature_names_in_[b] is not None:
                entry["features"] = np.asarray(self.feature_names_in_[b], dtype=str)
            if self._da:
                entry["centroids"] = self.centroids_[b].copy()
                entry["within"] = self._within[b].copy()
            state["per_block"][b] = entry
        if self._da:
            state["classes"] = np.asarray([str(c) for c in self.classes_], dtype=str)
        return state

    @classmethod
    def _from_state(cls, state, **params):
        """A predict-only estimator rebuilt from :meth:`_get_state` (training variates etc. are absent)."""
        est = cls(**params)
        names = [str(b) for b in np.asarray(state["blocks"])]
        per = state["per_block"]
        est.block_names_ = names
        W0 = np.asarray(per[names[0]]["W"], float)
        est.n_components_ = W0.shape[1]
        est.weights_ = pd.DataFrame(np.asarray(state["weights"], float), index=names,
                                    columns=[f"comp{h + 1}" for h in range(est.n_components_)])
        est.scaling_ = {Y_NAME: Scaling(np.asarray(state["y_mean"], float),
                                        np.asarray(state["y_scale"], float) if "y_scale" in state else None)}
        est.feature_names_in_ = {Y_NAME: np.asarray(state["y_names"], dtype=object) if "y_names" in state else None}
        est.n_features_in_ = {Y_NAME: np.asarray(state["y_mean"]).size}
        est._kept, est._W, est._P, est._C, est._tt = {}, {}, {}, {}, {}
        est.centroids_, est._within = {}, {}
        for b in names:
            e = per[b]
            est._kept[b] = np.asarray(e["kept"], dtype=bool)
            est.scaling_[b] = Scaling(np.asarray(e["mean"], float),
                                      np.asarray(e["scale"], float) if "scale" in e else None)
            est.feature_names_in_[b] = np.asarray(e["features"], dtype=object) if "features" in e else None
            est.n_features_in_[b] = est._kept[b].size
            for attr, key in (("_W", "W"), ("_P", "P"), ("_C", "C"), ("_tt", "tt")):
                getattr(est, attr)[b] = np.asarray(e[key], float)
            if "centroids" in e:
                est.centroids_[b] = np.asarray(e["centroids"], float)
                est._within[b] = np.asarray(e["within"], float)
        if "classes" in state:
            est.classes_ = np.asarray(state["classes"], dtype=object)
        return est

    # ------------------------------------------------------------------ new data
    def _check_fitted(self) -> None:
        if not hasattr(self, "_W"):
            raise ValidationError(f"this {type(self).__name__} is not fitted yet; call fit() first")

    def _scaled_new(self, X) -> tuple[dict[str, np.ndarray], np.ndarray | None]:
        """New blocks scaled with the training statistics (features matched by name), NaN → 0."""
        self._check_fitted()
        blocks = _as_blocks(X, name="X", min_samples=1)
        unknown = [b for b in blocks if b not in self.block_names_]
        if unknown:
            raise ValidationError(f"X names unknown block(s) {unknown}; model blocks: {self.block_names_}")
        out, index = {}, None
        for b, (arr, cols, idx) in blocks.items():
            index = idx if index is None else index
            p = self.n_features_in_[b]
            if arr.shape[1] != p:
                raise ValidationError(f"X[{b!r}] has {arr.shape[1]} features, the model was fitted on {p}")
            names = self.feature_names_in_[b]
            if cols is not None and names is not None:
                if set(cols) != set(names):
                    missing = sorted(set(names) - set(cols))[:5]
                    raise ValidationError(f"X[{b!r}] columns differ from the features seen in fit (missing e.g. "
                                          f"{missing})")
                order = {c: i for i, c in enumerate(cols)}
                arr = arr[:, [order[c] for c in names]]
            Xs = apply_scaling(arr[:, self._kept[b]], self.scaling_[b])
            out[b] = np.where(np.isnan(Xs), 0.0, Xs)
        return out, (None if index is None else np.asarray(index, dtype=object))

    def _rotation(self, b: str, h: int) -> np.ndarray:
        W, P = self._W[b][:, :h], self._P[b][:, :h]
        return W @ np.linalg.inv(P.T @ W)

    def transform(self, X) -> dict[str, np.ndarray]:
        """Predicted variates of new samples per given block, ``X_new W (PᵀW)⁻¹ diag(‖t_h‖²)``.

        Parameters
        ----------
        X
            ``{block: n_new × p_b}`` for some or all model blocks (features matched by name for DataFrames).

        Returns
        -------
        ``{block: n_new × n_components}``.
        """
        Xs, _ = self._scaled_new(X)
        H = self.n_components_
        return {b: Xs[b] @ self._rotation(b, H) @ np.diag(self._tt[b]) for b in Xs}

    def _predict_blocks(self, X):
        Xs, index = self._scaled_new(X)
        missing = [b for b in self.block_names_ if b not in Xs]
        if missing:
            warnings.warn(
                f"Some blocks are missing in 'newdata'; the prediction is based on the following blocks only: "
                f"{', '.join(b for b in self.block_names_ if b in Xs)}",
                UserWarning,
                stacklevel=3,
            )
        H = self.n_components_
        sy = self.scaling_[Y_NAME]
        ysd = np.ones_like(sy.mean) if sy.scale is None else sy.scale
        n_new = next(iter(Xs.values())).shape[0]
        preds, variates, bhats = {}, {}, {}
        all_preds = []
        for b in self.block_names_:
            stack = []
            if b in Xs:
                bh = []
                for h in range(1, H + 1):
                    B = self._rotation(b, h) @ self._C[b][:, :h].T
                    bh.append(_expand(B, self._kept[b]))
                    stack.append(Xs[b] @ B * ysd + sy.mean)
                preds[b] = np.stack(stack)
                bhats[b] = np.stack(bh)
                variates[b] = Xs[b] @ self._rotation(b, H) @ np.diag(self._tt[b])
                all_preds.append(preds[b])
            else:  # a zero (scaled) block: Ŷ = the training mean of Y
                all_preds.append(np.broadcast_to(sy.mean, (H, n_new, sy.mean.size)).copy())
        all_preds = np.stack(all_preds)  # B × H × n × q
        mean_w = self.weights_.mean(axis=1).to_numpy()
        avg = all_preds.mean(axis=0)
        wpred = np.stack([weighted_predict(all_preds[:, h], mean_w) for h in range(H)])
        present_w = {b: float(mean_w[j]) for j, b in enumerate(self.block_names_) if b in Xs}
        y_names = self.feature_names_in_[Y_NAME]
        pred = BlockPrediction(
            predict=preds, variates=variates, b_hat=bhats, averaged_predict=avg, weighted_predict=wpred,
            weights=present_w, missing_blocks=missing, sample_names=index,
            y_names=np.arange(sy.mean.size) if y_names is None else y_names,
        )
        return pred, Xs

    def predict(self, X):
        """Predicted responses of new samples (mixOmics ``predict``) for 1..H components: per-block Ŷ,
        AveragedPredict and WeightedPredict (see :mod:`pyomics_bridge.multiomics._block_predict`).

        Parameters
        ----------
        X
            ``{block: n_new × p_b}``; blocks missing from the dict are handled as mixOmics (warning).

        Returns
        -------
        :class:`~pyomics_bridge.multiomics.BlockPrediction`.
        """
        pred, _ = self._predict_blocks(X)
        return pred


# ---------------------------------------------------------------------------- regression models
class BlockPLS(_BlockBase):
    """Multi-block PLS (``mixOmics::block.pls``): several X blocks and a response matrix Y.

    Parameters
    ----------
    n_components
        Number of components H (the same for every block).
    design
        Links between blocks (``"full"``, ``"null"``, a number in [0, 1] or a matrix, see
        :func:`~pyomics_bridge.multiomics.design_matrix`; Y is always linked to every block).
    mode
        Deflation of Y: ``"regression"`` (default), ``"canonical"``, ``"invariant"``, ``"classic"``.
    scale
        Scale every block to unit variance (default True).
    tol, max_iter
        Stopping rule of the iteration (``max_q ‖Δa_q‖² < tol`` or ``max_iter + 1`` sweeps).
    near_zero_var
        Remove near-zero-variance columns of every X block first.
    init_signs
        ``"search"`` (default: try every relative sign of the start vectors, keep the highest criterion),
        ``"fixed"``, or an H × (J+1) array of ±1 (blocks in order, Y last) replaying a known start.

    Attributes
    ----------
    variates_, loadings_, explained_variance_
        Dicts keyed by block names and ``"Y"`` (n × H, p × H with zero rows for unselected or removed features,
        and mixOmics ``prop_expl_var``). Each component is flipped so that the largest |loading| of the first
        block is positive, every block with it.
    weights_
        DataFrame (X blocks × components) of ``cor(t_block, t_Y)``: DIABLO's block weights.
    ave_
        ``{"X": {block: AVE}, "outer": ..., "inner": ...}`` (mixOmics ``AVE``).
    design_
        The full design matrix used (DataFrame, Y last).
    crit_, n_iter_, converged_, init_signs_, n_solutions_
        Criterion per sweep, sweeps, convergence per component; the start signs kept and how many distinct
        solutions the sign patterns reached.
    keepX_, keepY_, selected_features_, nzv_, mean_, scale_, scaling_, feature_correlations_, block_names_
        Settings, selected features per block and component, pre-processing statistics and ``cor(X_j, t_h)``.
    """

    def __init__(
        self,
        n_components: int = 2,
        *,
        design="full",
        mode: str = "regression",
        scale: bool = True,
        tol: float = 1e-6,
        max_iter: int = 100,
        near_zero_var: bool = False,
        init_signs="search",
    ) -> None:
        self.n_components = n_components
        self.design = design
        self.mode = mode
        self.scale = scale
        self.tol = tol
        self.max_iter = max_iter
        self.near_zero_var = near_zero_var
        self.init_signs = init_signs

    def fit(self, X, Y) -> BlockPLS:
        """Fit on ``X = {block: n × p_b}`` (NaN allowed) and Y (n × q, complete). Returns ``self``."""
        blocks = _as_blocks(X)
        if Y is None:
            raise ValidationError("Y is required (n × q responses)")
        Y_arr, y_cols, y_idx = as_block(Y, name="Y", allow_nan=False)
        first = next(iter(blocks))
        n = blocks[first][0].shape[0]
        if Y_arr.shape[0] != n:
            raise ValidationError(f"X blocks and Y are not aligned: the blocks have {n} rows (samples), Y has "
                                  f"{Y_arr.shape[0]}")
        if y_idx is not None and blocks[first][2] is not None:
            check_aligned(pd.Index(blocks[first][2]), pd.Index(y_idx), what_a=f"X[{first!r}] rows", what_b="Y rows")
        self._fit_blocks(blocks, Y_arr, y_cols, mode=self.mode)
        return self


class BlockSPLS(BlockPLS):
    """Sparse multi-block PLS (``mixOmics::block.spls``): :class:`BlockPLS` with ``keepX[block][h]`` and
    ``keepY[h]`` non-zero loadings per component.

    Parameters
    ----------
    n_components, design, mode, scale, tol, max_iter, near_zero_var, init_signs
        As :class:`BlockPLS`.
    keepX
        ``{block: list of H integers (or one integer)}``; blocks not named keep all features.
    keepY
        List of H integers (or one integer) for Y (default all).

    Attributes
    ----------
    As :class:`BlockPLS`.
    """

    def __init__(
        self,
        n_components: int = 2,
        *,
        keepX: Mapping[str, int | Sequence[int]] | None = None,
        keepY: int | Sequence[int] | None = None,
        design="full",
        mode: str = "regression",
        scale: bool = True,
        tol: float = 1e-6,
        max_iter: int = 100,
        near_zero_var: bool = False,
        init_signs="search",
    ) -> None:
        self.n_components = n_components
        self.keepX = keepX
        self.keepY = keepY
        self.design = design
        self.mode = mode
        self.scale = scale
        self.tol = tol
        self.max_iter = max_iter
        self.near_zero_var = near_zero_var
        self.init_signs = init_signs

    def _keeps(self):
        return self.keepX, self.keepY


# ---------------------------------------------------------------------------- DIABLO
class BlockPLSDA(_BlockBase):
    """Multi-block PLS-DA (``mixOmics::block.plsda``; DIABLO without feature selection).

    Y is the dummy matrix of the class labels (columns in level order: a pandas Categorical keeps its categories,
    other labels are sorted), centred and scaled like every block; the model is a regression-mode block PLS.

    Parameters
    ----------
    n_components, design, scale, tol, max_iter, near_zero_var, init_signs
        As :class:`BlockPLS` (``design`` default ``"full"``; DIABLO tutorials use ~0.1 for prediction).
    mahalanobis
        ``"mixomics"`` (default: replicate mixOmics' distance) or ``"textbook"``.

    Attributes
    ----------
    As :class:`BlockPLS` (``"Y"`` = the dummy matrix), plus ``classes_``, ``ind_mat_`` (scaled dummy) and
    ``centroids_`` (``{block: K × H}`` class means of the training variates). ``weights_`` are the DIABLO
    weights used by WeightedPredict and WeightedVote (averaged over components).
    """

    _da = True

    def __init__(
        self,
        n_components: int = 2,
        *,
        design="full",
        scale: bool = True,
        tol: float = 1e-6,
        max_iter: int = 100,
        near_zero_var: bool = False,
        init_signs="search",
        mahalanobis: str = "mixomics",
    ) -> None:
        self.n_components = n_components
        self.design = design
        self.scale = scale
        self.tol = tol
        self.max_iter = max_iter
        self.near_zero_var = near_zero_var
        self.init_signs = init_signs
        self.mahalanobis = mahalanobis

    def fit(self, X, y) -> BlockPLSDA:
        """Fit on ``X = {block: n × p_b}`` (NaN allowed) and class labels y (length n). Returns ``self``."""
        check_option(self.mahalanobis, ("mixomics", "textbook"), name="mahalanobis")
        blocks = _as_blocks(X)
        if y is None:
            raise ValidationError("y (class labels) is required")
        labels, y_idx = as_labels(y, name="y")
        first = next(iter(blocks))
        n = blocks[first][0].shape[0]
        if labels.shape[0] != n:
            raise ValidationError(f"X blocks and y are not aligned: the blocks have {n} rows (samples), y has "
                                  f"{labels.shape[0]} labels")
        if y_idx is not None and blocks[first][2] is not None:
            check_aligned(pd.Index(blocks[first][2]), pd.Index(y_idx), what_a=f"X[{first!r}] rows", what_b="y rows")
        levels = class_levels(y if isinstance(y, (pd.Series, pd.Categorical)) else labels)
        if len(levels) < 2:
            raise ValidationError(f"y must contain at least 2 classes, got {len(levels)}: {levels}")
        dummy = dummy_matrix(labels, levels)
        self._fit_blocks(blocks, dummy, [str(v) for v in levels], mode="regression")
        self.classes_ = np.asarray(levels, dtype=object)
        sy = self.scaling_[Y_NAME]
        self.ind_mat_ = (dummy - sy.mean) / np.where(sy.scale == 0, 1.0, sy.scale) if sy.scale is not None \
            else dummy - sy.mean
        counts = dummy.sum(axis=0)
        self.centroids_, self._within = {}, {}
        for b in self.block_names_:
            T = self.variates_[b]
            G = (dummy.T @ T) / counts[:, None]
            resid = T - dummy @ G
            self.centroids_[b] = G
            self._within[b] = resid.T @ resid / T.shape[0]
        return self

    def predict(self, X, *, dist: str = "all") -> BlockPrediction:
        """Classify new samples (mixOmics ``predict(model, newdata, dist=...)``).

        Parameters
        ----------
        X
            ``{block: n_new × p_b}``; model blocks absent from the dict are handled as mixOmics does (a warning;
            they enter AveragedPredict/WeightedPredict as zero matrices and are left out of the votes).
        dist
            ``"all"`` (default), ``"max.dist"``, ``"centroids.dist"`` or ``"mahalanobis.dist"``.

        Returns
        -------
        :class:`~pyomics_bridge.multiomics.BlockPrediction` with per-block Ŷ, variates, B.hat and classes,
        AveragedPredict(.class), WeightedPredict(.class), MajorityVote and WeightedVote per distance, the vote
        weights and the centroids.
        """
        check_option(dist, DISTANCES + ("all",), name="dist")
        dists = list(DISTANCES) if dist == "all" else [dist]
        pred, Xs = self._predict_blocks(X)
        H = self.n_components_
        levels = self.classes_
        present = [b for b in self.block_names_ if b in Xs]
        classes = {d: {} for d in dists}
        for b in present:
            for d in dists:
                tab = np.empty((Xs[b].shape[0], H), dtype=object)
                for h in range(1, H + 1):
                    tab[:, h - 1] = classify(pred.predict[b][h - 1], pred.variates[b], self.centroids_[b],
                                             self._within[b], levels, h, d, self.mahalanobis)
                classes[d][b] = tab
        w = np.array([pred.weights[b] for b in present])
        mv, wv = {}, {}
        for d in dists:
            stacked = np.stack([classes[d][b] for b in present], axis=2)  # n × H × B
            mv[d] = np.stack([majority_vote(stacked[:, h]) for h in range(H)], axis=1)
            wv[d] = np.stack([weighted_vote(stacked[:, h], w) for h in range(H)], axis=1)
        pred.classes = classes
        pred.centroids = {b: self.centroids_[b].copy() for b in present}
        pred.averaged_predict_class = {
            "max.dist": np.stack([argmax_labels(pred.averaged_predict[h], levels) for h in range(H)], axis=1)}
        pred.weighted_predict_class = {
            "max.dist": np.stack([argmax_labels(pred.weighted_predict[h], levels) for h in range(H)], axis=1)}
        pred.majority_vote = mv
        pred.weighted_vote = wv
        return pred


class BlockSPLSDA(BlockPLSDA):
    """DIABLO (``mixOmics::block.splsda``; Singh et al. 2019): :class:`BlockPLSDA` with ``keepX[block][h]``
    selected features per block and component.

    Parameters
    ----------
    n_components, design, scale, tol, max_iter, near_zero_var, init_signs, mahalanobis
        As :class:`BlockPLSDA`.
    keepX
        ``{block: list of H integers (or one integer)}``; blocks not named keep all features.

    Attributes
    ----------
    As :class:`BlockPLSDA`.
    """

    def __init__(
        self,
        n_components: int = 2,
        *,
        keepX: Mapping[str, int | Sequence[int]] | None = None,
        design="full",
        scale: bool = True,
        tol: float = 1e-6,
        max_iter: int = 100,
        near_zero_var: bool = False,
        init_signs="search",
        mahalanobis: str = "mixomics",
    ) -> None:
        self.n_components = n_components
        self.keepX = keepX
        self.design = design
        self.scale = scale
        self.tol = tol
        self.max_iter = max_iter
        self.near_zero_var = near_zero_var
        self.init_signs = init_signs
        self.mahalanobis = mahalanobis

    def _keeps(self):
        return self.keepX, None

