"""PCA (SVD, or NIPALS when values are missing) and sparse PCA, as mixOmics' ``pca`` and ``spca``."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from .._conventions import ValidationError
from ._engine import explained_variance, flip_to_convention
from ._implicit import ScaledBlock, scaled_block
from ._nipals import nipals
from ._preprocess import has_nan, row_chunks, scale_block
from ._similarity import na_cor
from ._sparse import check_keep, soft_threshold
from ._validate import as_block, as_block_lean, check_n_components, check_positive

__all__ = ["PCA", "SPCA"]


_DENSE_SVD_MAX = 500  # blocks with min(n, p) up to this get the exact LAPACK start (small square factors only)
_DENSE_SVD_CELLS = 10_000_000  # ... and an implicit block is materialised for it only up to this many cells


def _leading_pair(X0: np.ndarray, Uprev: np.ndarray, Cprev: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Leading singular pair ``(u, v)`` of ``R = X0 − Uprev Cprevᵀ`` (sign arbitrary, u and v consistent).

    Small blocks: thin LAPACK SVD of R. Large blocks: ARPACK (``scipy.sparse.linalg.svds``, k=1, tol=0, fixed
    start vector) on the implicit operator, so neither R nor a p × p / n × n factor is formed.
    """
    n, p = X0.shape
    if min(n, p) <= _DENSE_SVD_MAX and (not isinstance(X0, ScaledBlock) or n * p <= _DENSE_SVD_CELLS):
        if isinstance(X0, ScaledBlock):
            X0 = X0.dense()
        R = X0 - Uprev @ Cprev.T if Uprev.shape[1] else X0
        Us, _, Vt = np.linalg.svd(R, full_matrices=False)
        return Us[:, 0], Vt[0]
    from scipy.sparse.linalg import LinearOperator, svds

    def mv(v):
        out = X0 @ v
        if Uprev.shape[1]:
            out -= Uprev @ (Cprev.T @ v)
        return out

    def rmv(v):
        out = X0.T @ v
        if Uprev.shape[1]:
            out -= Cprev @ (Uprev.T @ v)
        return out

    op = LinearOperator((n, p), matvec=mv, rmatvec=rmv, matmat=mv, rmatmat=rmv, dtype=np.float64)
    v0 = np.random.default_rng(0).standard_normal(min(n, p))
    u, _, vt = svds(op, k=1, tol=0, v0=v0, solver="arpack")
    return u[:, 0], vt[0]


class _ProjectionMixin:
    """Shared helpers: fitted check and projection of new rows on the loadings."""

    def _check_fitted(self) -> None:
        if not hasattr(self, "loadings_"):
            raise ValidationError(f"this {type(self).__name__} is not fitted yet; call fit() first")

    def _new_block(self, X) -> np.ndarray:
        from ._pls import new_block

        self._check_fitted()
        return new_block(X, n_features=self.n_features_in_, feature_names=getattr(self, "feature_names_in_", None),
                         kept=np.ones(self.n_features_in_, dtype=bool), scaling=self.scaling_)

    def transform(self, X) -> np.ndarray:
        """Project new samples: ``(X − mean)/scale`` (training statistics, NaN → 0) times the loadings.

        Parameters
        ----------
        X
            n_new × p matrix with the training features (a DataFrame is reordered by column name).

        Returns
        -------
        n_new × n_components array of variates.
        """
        return self._new_block(X) @ self.loadings_["X"]


class PCA(_ProjectionMixin, TransformerMixin, BaseEstimator):
    """Principal component analysis with mixOmics' conventions (``mixOmics::pca``).

    Without missing values: thin SVD of the centred (optionally scaled) matrix; loadings = V, variates = XV
    (not normalised), ``sdev = d/√(n−1)``. With missing values: NIPALS (mixOmics' start and stopping rules,
    ``tol`` and ``max_iter``), loadings = NIPALS loadings and variates = (X with NaN → 0) × loadings.

    Parameters
    ----------
    n_components
        Number of components (≤ min(n, p)).
    center
        Centre the columns (NA-removed means).
    scale
        Divide by the n−1 column sd (default False, as ``pca``; a zero-variance column is then an error).
    max_iter, tol
        NIPALS stopping rule (used only when values are missing).

    Attributes
    ----------
    variates_, loadings_
        ``{"X": array}``: n × H scores and p × H unit loadings; the largest |loading| of each component is
        positive (R's signs are arbitrary).
    sdev_
        Standard deviations of the components.
    explained_variance_
        ``{"X": sdev² / var_tot}`` (mixOmics ``prop_expl_var``); ``cum_var_`` is its cumulative sum.
    var_tot_
        Total variance ``ΣX² / (n−1)`` of the pre-processed data (NA removed).
    mean_, scale_
        Column statistics (``None`` when not centred / not scaled); ``scaling_`` bundles them.
    n_iter_
        NIPALS iterations per component (empty list for the SVD path).
    feature_correlations_
        ``{"X": cor(X_j, t_h)}`` (pairwise-complete), the correlation-circle coordinates.
    """

    def __init__(
        self,
        n_components: int = 2,
        *,
        center: bool = True,
        scale: bool = False,
        max_iter: int = 500,
        tol: float = 1e-9,
    ) -> None:
        self.n_components = n_components
        self.center = center
        self.scale = scale
        self.max_iter = max_iter
        self.tol = tol

    def fit(self, X, y=None) -> PCA:
        """Fit on an n × p matrix (NaN allowed: NIPALS path). Returns ``self``."""
        arr, columns, _ = as_block(X, name="X", allow_nan=True)
        n, p = arr.shape
        H = check_n_components(self.n_components, min(n, p), what="min(n_samples, n_features) of X")
        check_positive(self.max_iter, name="max_iter", integer=True)
        check_positive(self.tol, name="tol")
        Xs, scaling = scale_block(arr, center=bool(self.center), scale=bool(self.scale))
        if self.scale and np.any(scaling.scale == 0):
            bad = np.flatnonzero(scaling.scale == 0)[:5]
            names = list(columns[bad]) if columns is not None else bad.tolist()
            raise ValidationError(f"X has zero-variance column(s) {names}; cannot scale them (scale=True)")
        missing = np.isnan(Xs)
        Xz = np.where(missing, 0.0, Xs)
        if missing.any():
            res = nipals(Xs, H, max_iter=int(self.max_iter), tol=float(self.tol))
            loadings = res.p
            sdev = res.eig / np.sqrt(n - 1)
            self.n_iter_ = res.n_iter
        else:
            _, d, Vt = np.linalg.svd(Xz, full_matrices=False)
            loadings = Vt[:H].T.copy()
            sdev = d[:H] / np.sqrt(n - 1)
            self.n_iter_ = []
        signs = np.array([flip_to_convention(loadings[:, h]) for h in range(H)])
        loadings = loadings * signs
        var_tot = float(np.sum(Xz * Xz)) / (n - 1)
        self.n_features_in_ = p
        self.feature_names_in_ = None if columns is None else np.asarray(columns, dtype=object)
        self.scaling_ = scaling
        self.mean_ = scaling.mean
        self.scale_ = scaling.scale
        self.loadings_ = {"X": loadings}
        self.variates_ = {"X": Xz @ loadings}
        self.sdev_ = sdev
        self.var_tot_ = var_tot
        self.explained_variance_ = {"X": sdev**2 / var_tot}
        self.cum_var_ = np.cumsum(self.explained_variance_["X"])
        self.feature_correlations_ = {"X": na_cor(arr, self.variates_["X"])}
        self.n_components_ = H
        return self


class SPCA(_ProjectionMixin, TransformerMixin, BaseEstimator):
    """Sparse PCA with count sparsity (``mixOmics::spca``; Shen & Huang's sparse rank-one SVD).

    Per component h, starting from the leading singular pair of the deflated matrix, alternate
    ``a = soft(Xᵀu, keepX[h])/‖·‖`` and ``u = X a`` until ``‖Δu‖² < tol`` or ``‖Δa‖² < tol`` (or ``max_iter``), then
    deflate ``X ← X − u cᵀ`` with ``c = Xᵀu / uᵀu``. Missing values are set to 0 after scaling (as mixOmics).

    Large blocks: a complete X (float32 or float64 array, or scipy.sparse CSR/CSC) is never copied, centred,
    up-cast or densified — the kernel multiplies by the implicitly centred/scaled block
    (:class:`~pyomics_bridge.multiomics._implicit.ScaledBlock`), deflation is a low-rank correction, and the start
    pair comes from ARPACK on that operator (exact LAPACK SVD only for small blocks). No p × p or n × n matrix is
    formed. float32 input is multiplied in float32 with float64 accumulation. Missing values (NaN) need a dense
    array (they take the copy-and-zero path).

    Parameters
    ----------
    n_components
        Number of components.
    keepX
        Non-zero loadings per component (list, or one integer for all; default all features).
    center, scale
        Pre-processing (default centre and scale with the n−1 sd, unlike :class:`PCA`).
    max_iter, tol
        Stopping rule.

    Attributes
    ----------
    variates_, loadings_
        ``{"X": array}``; loadings have ``keepX[h]`` non-zeros and unit norm; variates are ``u_h = X_h a_h`` on
        the deflated matrix.
    explained_variance_
        ``{"X": ‖u_hᵀX‖²/(u_hᵀu_h)/‖X‖²}`` (mixOmics ``prop_expl_var``).
    cum_var_
        ``‖X P_h (P_hᵀP_h)⁻¹ P_hᵀ‖² / ‖X‖²`` for the first h loadings (mixOmics ``cum.var``).
    keepX_, n_iter_, selected_features_
        Per component: number kept, iterations, indices (or names) of the non-zero loadings.
    feature_correlations_
        ``{"X": cor(X_j, u_h)}``, the correlation-circle coordinates.
    """

    def __init__(
        self,
        n_components: int = 2,
        *,
        keepX: int | Sequence[int] | None = None,
        center: bool = True,
        scale: bool = True,
        max_iter: int = 500,
        tol: float = 1e-6,
    ) -> None:
        self.n_components = n_components
        self.keepX = keepX
        self.center = center
        self.scale = scale
        self.max_iter = max_iter
        self.tol = tol

    def fit(self, X, y=None) -> SPCA:
        """Fit on an n × p matrix (dense, NaN allowed, or scipy.sparse). Returns ``self``."""
        arr, columns, _, missing = as_block_lean(X, name="X")
        n, p = arr.shape
        H = check_n_components(self.n_components, min(n, p), what="min(n_samples, n_features) of X")
        keep = check_keep(self.keepX, H, p, name="keepX")
        max_iter = int(check_positive(self.max_iter, name="max_iter", integer=True))
        tol = float(check_positive(self.tol, name="tol"))
        if missing:  # NaN: one float64 working copy, NaN → 0 after scaling (mixOmics)
            Xs, scaling = scale_block(arr, center=bool(self.center), scale=bool(self.scale))
            X0 = np.where(np.isnan(Xs), 0.0, Xs) if has_nan(Xs) else Xs
            del Xs
        else:  # complete: implicit centring/scaling, no copy of the block at all
            X0, scaling = scaled_block(arr, center=bool(self.center), scale=bool(self.scale))
        if self.scale and np.any(scaling.scale == 0):
            warnings.warn("X has zero-variance column(s); they are set to 0", stacklevel=2)
        # No p × p (or n × n) matrix: the deflated matrix R_h = X0 − Σ_{l<h} u_l c_lᵀ is never formed (implicit
        # products), and the start pair comes from _leading_pair (ARPACK on the implicit operator for large blocks).
        A, U, C = np.zeros((p, H)), np.zeros((n, H)), np.zeros((p, H))

        def r_t(v: np.ndarray, h: int) -> np.ndarray:  # R_hᵀ v
            out = X0.T @ v
            if h > 0:
                out -= C[:, :h] @ (U[:, :h].T @ v)
            return out

        def r_v(a: np.ndarray, h: int) -> np.ndarray:  # R_h a
            out = X0 @ a
            if h > 0:
                out -= U[:, :h] @ (C[:, :h].T @ a)
            return out

        iters = []
        for h in range(H):
            u, a = _leading_pair(X0, U[:, :h], C[:, :h])
            it = 1
            while True:
                a_new = soft_threshold(r_t(u, h), keep[h])
                a_new = a_new / np.linalg.norm(a_new)
                u_new = r_v(a_new, h)
                du = float(np.sum((u_new - u) ** 2))
                da = float(np.sum((a_new - a) ** 2))
                a, u = a_new, u_new
                if du < tol or da < tol or it >= max_iter:
                    break
                it += 1
            s = flip_to_convention(a)
            a, u = s * a, s * u
            A[:, h], U[:, h] = a, u
            iters.append(it)
            uu = float(u @ u)
            if uu > 0:
                C[:, h] = r_t(u, h) / uu
        if isinstance(X0, ScaledBlock):
            total = X0.frobenius2()
        else:
            total = 0.0
            for sl in row_chunks(n, p):
                blk = X0[sl]
                total += float(np.einsum("ij,ij->", blk, blk))
        G = X0 @ A  # n × H
        cum = np.zeros(H)
        for h in range(H):
            P = A[:, : h + 1]
            PtP = P.T @ P
            K = G[:, : h + 1] @ np.linalg.pinv(PtP)  # projection X0 P (PᵀP)⁺ Pᵀ = K Pᵀ, ‖K Pᵀ‖² = Σ (K PᵀP) ∘ K
            cum[h] = float(np.sum((K @ PtP) * K)) / total if total > 0 else 0.0
        self.n_features_in_ = p
        self.feature_names_in_ = None if columns is None else np.asarray(columns, dtype=object)
        self.scaling_ = scaling
        self.mean_ = scaling.mean
        self.scale_ = scaling.scale
        self.loadings_ = {"X": A}
        self.variates_ = {"X": U}
        self.explained_variance_ = {"X": explained_variance(X0, U)}
        self.cum_var_ = cum
        self.feature_correlations_ = {"X": X0.feature_cor(U) if isinstance(X0, ScaledBlock) else na_cor(arr, U)}
        self.keepX_ = keep
        self.n_iter_ = iters
        names = self.feature_names_in_
        self.selected_features_ = [
            (names[np.flatnonzero(A[:, h])] if names is not None else np.flatnonzero(A[:, h])) for h in range(H)
        ]
        self.n_components_ = H
        return self
