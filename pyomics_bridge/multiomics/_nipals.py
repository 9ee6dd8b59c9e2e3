"""NA-aware products and NIPALS (mixOmics' ``nipals``) for matrices with missing values.

A block with missing values is handled as (values with NaN → 0, boolean mask of observed cells). The products
divide by the squared weights summed over the *observed* cells only, which is what makes NIPALS and the PLS
engine work with NA without imputing them.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from .._conventions import ValidationError

__all__ = ["split_missing", "na_variate", "na_regression", "NipalsResult", "nipals", "impute_nipals"]


def split_missing(X: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """``(X with NaN → 0, mask of observed cells)``; the mask is ``None`` when nothing is missing."""
    missing = np.isnan(X)
    if not missing.any():
        return X, None
    return np.where(missing, 0.0, X), ~missing


def na_variate(Xz: np.ndarray, mask: np.ndarray | None, a: np.ndarray) -> np.ndarray:
    """Row scores ``t_i = Σ_obs x_ij a_j / Σ_obs a_j²`` (``X a`` when complete and ``‖a‖ = 1``; 0/0 → 0)."""
    num = Xz @ a
    if mask is None:
        return num
    den = mask @ (a * a)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = num / den
    return np.where(den > 0, out, 0.0)


def na_regression(Xz: np.ndarray, mask: np.ndarray | None, t: np.ndarray) -> np.ndarray:
    """Column coefficients ``p_j = Σ_obs x_ij t_i / Σ_obs t_i²`` (the deflation vector ``Xᵀt / tᵀt``; 0/0 → 0)."""
    num = Xz.T @ t
    if mask is None:
        den = float(t @ t)
        return num / den if den > 0 else np.zeros_like(num)
    den = mask.T @ (t * t)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = num / den
    return np.where(den > 0, out, 0.0)


@dataclass
class NipalsResult:
    """Output of :func:`nipals`: ``eig`` (√Σt²), loadings ``p`` (p × H, unit columns), scores ``t`` (n × H, t/eig),
    and the number of iterations per component."""

    eig: np.ndarray
    p: np.ndarray
    t: np.ndarray
    n_iter: list[int]


def nipals(X: np.ndarray, n_components: int = 2, *, max_iter: int = 500, tol: float = 1e-6) -> NipalsResult:
    """NIPALS with missing values (Wold), following mixOmics' start rule and stopping rule.

    Per component: the start score is the column with the fewest missing values (the first one, R's
    ``which.min``), or the column of largest variance when nothing is missing; then alternate
    ``p = Xᵀt / Σ_obs t²`` (normalised) and ``t = X p / Σ_obs p²`` until ``Σ(p − p_old)² ≤ tol`` or ``max_iter``
    iterations; deflate ``X ← X − t pᵀ`` (missing cells stay missing).

    Parameters
    ----------
    X
        n × p matrix, usually centred; NaN marks a missing value.
    n_components
        Number of components.
    max_iter, tol
        Stopping rule on the squared change of the loading vector.
    """
    X = np.array(X, dtype=np.float64)
    n, p = X.shape
    missing = np.isnan(X)
    if missing.all(axis=1).any():
        raise ValidationError(f"X has {int(missing.all(axis=1).sum())} row(s) with only missing values")
    if missing.all(axis=0).any():
        raise ValidationError(f"X has {int(missing.all(axis=0).sum())} column(s) with only missing values")
    mask = None if not missing.any() else ~missing
    eig = np.zeros(n_components)
    P = np.zeros((p, n_components))
    T = np.zeros((n, n_components))
    iters: list[int] = []
    R = X.copy()
    for h in range(n_components):
        Rz = np.where(missing, 0.0, R)
        if mask is not None:
            j0 = int(np.argmin(missing.sum(axis=0)))
        else:
            j0 = int(np.argmax(np.var(R, axis=0, ddof=1)))
        t = Rz[:, j0].copy()
        p_old = np.full(p, 1.0 / np.sqrt(p))
        diff, it = 1.0, 1
        while diff > tol and it <= max_iter:
            ph = na_regression(Rz, mask, t)
            ph = ph / np.sqrt(ph @ ph)
            t = na_variate(Rz, mask, ph)
            diff = float(np.sum((ph - p_old) ** 2))
            p_old = ph
            it += 1
        if it > max_iter and diff > tol:
            warnings.warn(f"nipals: component {h + 1} reached max_iter={max_iter} without converging", stacklevel=2)
        R = R - np.outer(t, ph)  # NaN cells stay NaN
        eig[h] = np.sqrt(t @ t)
        P[:, h] = ph
        T[:, h] = t / eig[h] if eig[h] > 0 else 0.0
        iters.append(it - 1)
    return NipalsResult(eig=eig, p=P, t=T, n_iter=iters)


def impute_nipals(X: np.ndarray, n_components: int = 5, *, max_iter: int = 500, tol: float = 1e-6) -> np.ndarray:
    """Fill the missing cells of ``X`` with the NIPALS reconstruction ``T diag(eig) Pᵀ`` of ``X`` as given (mixOmics'
    ``impute.nipals``, which does not centre). Observed cells are unchanged; mixOmics advises
    ``n_components >= min(5, n, p)``."""
    X = np.asarray(X, dtype=np.float64)
    missing = np.isnan(X)
    if not missing.any():
        return X.copy()
    res = nipals(X, n_components, max_iter=max_iter, tol=tol)
    recon = (res.t * res.eig) @ res.p.T
    return np.where(missing, recon, X)
