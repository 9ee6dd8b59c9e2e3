"""Regularised canonical correlation analysis (``mixOmics::rcc``): ridge or James–Stein-type shrinkage.

Ridge (González et al. 2008): ``C_xx = var(X) + λ₁I``, ``C_yy = var(Y) + λ₂I``, ``C_xy = cov(X, Y)`` (n−1).
With upper Cholesky factors ``C_xx = R_xᵀR_x``, the canonical correlations are the singular values of
``M = R_x⁻ᵀ C_xy R_y⁻¹`` and the loadings are ``R_x⁻¹u``, ``R_y⁻¹v``.

Shrinkage (Schäfer & Strimmer 2005; Opgen-Rhein & Strimmer 2007): ``C_xx``/``C_yy`` are the analytic
shrinkage covariance estimates (correlations shrunk towards the identity with intensity λ, variances towards their
median), and ``C_xy`` is the sample correlation scaled on each side by the shrunk sd and ``√(1 − λ)``.

mixOmics conventions kept: variates are the *centred* (unscaled) data times the loadings (NaN → 0); the
explained variance is computed on the *raw, uncentred* blocks (spec quirk 10).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from .._conventions import ValidationError
from ._engine import explained_variance, flip_to_convention
from ._similarity import na_cor
from ._validate import as_block, check_n_components, check_option, check_rows

__all__ = ["RCC", "ShrinkCov", "cov_shrink"]


@dataclass
class ShrinkCov:
    """Shrinkage covariance estimate: the matrix, the correlation and variance shrinkage intensities."""

    cov: np.ndarray
    lambda_cor: float
    lambda_var: float
    sd: np.ndarray  # shrunk standard deviations


def _intensity(num: float, den: float) -> float:
    if den <= 0:
        return 1.0
    return float(min(1.0, max(0.0, num / den)))


def cov_shrink(X: np.ndarray) -> ShrinkCov:
    """Analytic shrinkage covariance (corpcor's ``cov.shrink`` with equal weights), without p × p × n temporaries.

    Correlation intensity ``λ = Σ_{i≠j} Var(r_ij) / Σ_{i≠j} r_ij²`` and variance intensity
    ``λ_v = Σ Var(v_k) / Σ (v_k − median v)²``, both clipped to [0, 1]; the unbiased empirical variances
    ``Var(·)`` use ``n / (n−1)³ Σ_i (w_i − w̄)²``.
    """
    X = np.asarray(X, dtype=np.float64)
    n, p = X.shape
    Xc = X - X.mean(axis=0)
    v = (Xc**2).sum(axis=0) / (n - 1)
    sd = np.sqrt(v)
    if np.any(sd == 0):
        raise ValidationError("shrinkage rcc: a block has a zero-variance column")
    Z = Xc / sd
    factor = n / (n - 1) ** 3
    # correlations: r_ij = n/(n-1) * mean_k z_ki z_kj; Var(r_ij) = factor * Σ_k (z_ki z_kj − w̄_ij)²
    G = Z.T @ Z  # p × p Gram of the standardised data (= (n−1) R)
    R = G / (n - 1)
    wbar = G / n
    sq = Z * Z
    total_var = factor * (float(np.sum(sq.sum(axis=1) ** 2)) - n * float(np.sum(wbar * wbar)))
    diag_var = factor * float(np.sum((sq - sq.mean(axis=0)) ** 2))
    off_r2 = float(np.sum(R * R)) - float(np.sum(np.diag(R) ** 2))
    lam = _intensity(total_var - diag_var, off_r2)
    # variances towards their median
    W = Xc**2
    var_v = factor * np.sum((W - W.mean(axis=0)) ** 2, axis=0)
    med = float(np.median(v))
    lam_v = _intensity(float(var_v.sum()), float(np.sum((v - med) ** 2)))
    v_star = lam_v * med + (1 - lam_v) * v
    R_star = (1 - lam) * R
    np.fill_diagonal(R_star, 1.0)
    sd_star = np.sqrt(v_star)
    return ShrinkCov(cov=R_star * np.outer(sd_star, sd_star), lambda_cor=lam, lambda_var=lam_v, sd=sd_star)


def _pairwise_cov(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Covariance (n−1) of the columns of A with those of B, pairwise-complete when values are missing."""
    if not (np.isnan(A).any() or np.isnan(B).any()):
        Ac, Bc = A - A.mean(axis=0), B - B.mean(axis=0)
        return Ac.T @ Bc / (A.shape[0] - 1)
    frame = pd.DataFrame(np.hstack([A, B]))
    full = frame.cov().to_numpy()
    return full[: A.shape[1], A.shape[1]:]


class RCC(BaseEstimator):
    """Regularised CCA between two blocks (``mixOmics::rcc``).

    Parameters
    ----------
    n_components
        Number of canonical pairs H.
    method
        ``"ridge"`` (with ``lambda1``, ``lambda2``; both 0 is classical CCA, which needs n > p and n > q) or
        ``"shrinkage"`` (intensities estimated from the data; no missing values).
    lambda1, lambda2
        Ridge penalties added to the diagonals of var(X) and var(Y).

    Attributes
    ----------
    cor_
        All min(p, q) canonical correlations (singular values of M).
    variates_, loadings_
        ``{"X", "Y"}``; variates = centred data × loadings; one sign per component shared by X and Y (largest
        |X loading| positive).
    explained_variance_
        ``{"X", "Y"}`` on the raw, uncentred data (mixOmics quirk).
    lambda_
        ``{"lambda1", "lambda2"}``: the penalties used (estimated for ``"shrinkage"``).
    mean_
        ``{"X", "Y"}`` column means.
    feature_correlations_
        ``{"X", "Y"}``: correlation of each feature with ``t + u`` (mixOmics' network/plotVar rule for rcc).
    """

    def __init__(
        self, n_components: int = 2, *, method: str = "ridge", lambda1: float = 0.0, lambda2: float = 0.0
    ) -> None:
        self.n_components = n_components
        self.method = method
        self.lambda1 = lambda1
        self.lambda2 = lambda2

    def fit(self, X, Y) -> RCC:
        """Fit on X (n × p) and Y (n × q). Returns ``self``."""
        method = check_option(self.method, ("ridge", "shrinkage"), name="method")
        allow_nan = method == "ridge"
        X_arr, x_cols, x_idx = as_block(X, name="X", allow_nan=allow_nan, min_samples=3)
        if Y is None:
            raise ValidationError("Y is required")
        Y_arr, y_cols, y_idx = as_block(Y, name="Y", allow_nan=allow_nan, min_samples=3)
        check_rows(X_arr.shape[0], Y_arr.shape[0], x_idx, y_idx, what_y="Y")
        p, q = X_arr.shape[1], Y_arr.shape[1]
        H = check_n_components(self.n_components, min(p, q), what="min(n_features of X, n_features of Y)")
        if method == "ridge":
            for name, lam in (("lambda1", self.lambda1), ("lambda2", self.lambda2)):
                if not np.isscalar(lam) or not np.isfinite(lam) or lam < 0:
                    raise ValidationError(f"{name} must be a non-negative number, got {lam!r}")
            Cxx = _pairwise_cov(X_arr, X_arr) + float(self.lambda1) * np.eye(p)
            Cyy = _pairwise_cov(Y_arr, Y_arr) + float(self.lambda2) * np.eye(q)
            Cxy = _pairwise_cov(X_arr, Y_arr)
            lambdas = {"lambda1": float(self.lambda1), "lambda2": float(self.lambda2)}
        else:
            sx, sy = cov_shrink(X_arr), cov_shrink(Y_arr)
            Cxx, Cyy = sx.cov, sy.cov
            n = X_arr.shape[0]
            Zx = (X_arr - X_arr.mean(axis=0)) / X_arr.std(axis=0, ddof=1)
            Zy = (Y_arr - Y_arr.mean(axis=0)) / Y_arr.std(axis=0, ddof=1)
            cor_xy = Zx.T @ Zy / (n - 1)
            Cxy = (sx.sd * np.sqrt(1 - sx.lambda_cor))[:, None] * cor_xy * (sy.sd * np.sqrt(1 - sy.lambda_cor))
            lambdas = {"lambda1": sx.lambda_cor, "lambda2": sy.lambda_cor}
            self.lambda_var_ = {"lambda1": sx.lambda_var, "lambda2": sy.lambda_var}
        try:
            Lx = np.linalg.cholesky(Cxx)
            Ly = np.linalg.cholesky(Cyy)
        except np.linalg.LinAlgError as exc:
            raise ValidationError(
                "var(X) + lambda1·I or var(Y) + lambda2·I is not positive definite; increase lambda1/lambda2 "
                "(p or q ≥ n needs a positive penalty)"
            ) from exc
        # M = R_x^{-T} C_xy R_y^{-1} with R = Lᵀ
        M = np.linalg.solve(Lx, Cxy)
        M = np.linalg.solve(Ly, M.T).T
        U, d, Vt = np.linalg.svd(M, full_matrices=False)
        A = np.linalg.solve(Lx.T, U[:, :H])
        B = np.linalg.solve(Ly.T, Vt[:H].T)
        signs = np.array([flip_to_convention(A[:, h]) for h in range(H)])
        A, B = A * signs, B * signs
        mx, my = np.nanmean(X_arr, axis=0), np.nanmean(Y_arr, axis=0)
        Xc = np.nan_to_num(X_arr - mx, nan=0.0)
        Yc = np.nan_to_num(Y_arr - my, nan=0.0)
        T, Uv = Xc @ A, Yc @ B
        self.n_features_in_ = p
        self.n_components_ = H
        self.cor_ = d
        self.loadings_ = {"X": A, "Y": B}
        self.variates_ = {"X": T, "Y": Uv}
        self.explained_variance_ = {"X": explained_variance(X_arr, T), "Y": explained_variance(Y_arr, Uv)}
        self.lambda_ = lambdas
        self.mean_ = {"X": mx, "Y": my}
        self.feature_correlations_ = {"X": na_cor(X_arr, T + Uv), "Y": na_cor(Y_arr, T + Uv)}
        self.feature_names_in_ = None if x_cols is None else np.asarray(x_cols, dtype=object)
        self.y_names_ = None if y_cols is None else np.asarray(y_cols, dtype=object)
        return self

    def transform(self, X, Y=None):
        """Canonical variates of new samples (centred with the training means, NaN → 0).

        Parameters
        ----------
        X
            n_new × p matrix.
        Y
            Optional n_new × q matrix.

        Returns
        -------
        The X variates, or ``(X variates, Y variates)`` when ``Y`` is given.
        """
        if not hasattr(self, "loadings_"):
            raise ValidationError("this RCC is not fitted yet; call fit() first")
        out = []
        for name, M in (("X", X), ("Y", Y)):
            if M is None:
                continue
            arr, _, _ = as_block(M, name=name, allow_nan=True, min_samples=1)
            if arr.shape[1] != self.loadings_[name].shape[0]:
                raise ValidationError(f"{name} has {arr.shape[1]} features, expected {self.loadings_[name].shape[0]}")
            out.append(np.nan_to_num(arr - self.mean_[name], nan=0.0) @ self.loadings_[name])
        return out[0] if len(out) == 1 else tuple(out)
