"""Weighted metric MDS (PASTIS "MDS2") and non-metric MDS on wish distances from counts.

Wish distances δ_ij = (c_ij / (β b_i b_j))^{1/α} for c_ij > 0. Objective Σ ((d_ij − δ_ij) / δ_ij)²,
∂L/∂d_ij = 2 (d_ij − δ_ij) / δ_ij². NMDS replaces δ by the isotonic regression of the current distances on
1/c_ij (distances non-increasing in the count) for a few rounds.
"""

from __future__ import annotations

import numpy as np

from ._base import StructureModel
from ._distance import PairData, PairGeometry, chromosome_blocks, geometry_of
from ._optim import preconditioned_fit


def wish_distances(counts: np.ndarray, bias_prod: np.ndarray, *, alpha: float = -3.0, beta: float = 1.0) -> np.ndarray:
    """δ = (c / (β b_i b_j))^{1/α} (NaN where c = 0)."""
    with np.errstate(divide="ignore"):
        return np.where(counts > 0, (counts / (beta * bias_prod)) ** (1.0 / alpha), np.nan)


def mds_objective(X: np.ndarray, i, j, wish: np.ndarray, n: int | None = None,
                  geometry: PairGeometry | None = None) -> tuple[float, np.ndarray]:
    """Weighted MDS stress Σ ((d − δ)/δ)² and its gradient (n × 3); O(#pairs) time and memory."""
    n = X.shape[0] if n is None else n
    geom = PairGeometry(i, j, n) if geometry is None else geometry
    d = np.sqrt(geom.sqdist(X))
    r = (d - wish) / wish
    f = float(np.dot(r, r))
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(d > 0, 2.0 * r / (wish * d), 0.0)
    return f, geom.gradient(X, w)


def fit_wish(pairs: PairData, wish: np.ndarray, X0: np.ndarray, *, max_iter: int, ftol: float, gtol: float,
             precondition=None):
    """Weighted MDS of ``wish`` distances on the pairs of ``pairs``, Laplacian-preconditioned L-BFGS-B
    (per-pair Gauss–Newton curvature 2/δ²)."""
    geom = geometry_of(pairs)
    h = 2.0 / wish**2

    def fun(X, _extra):
        f, g = mds_objective(X, pairs.i, pairs.j, wish, geometry=geom)
        return f, g, ()

    X, _, info = preconditioned_fit(fun, X0, curvature=lambda X, e: h, pair_i=geom.i, pair_j=geom.j,
                                    max_iter=max_iter, ftol=ftol, gtol=gtol, blocks=chromosome_blocks(pairs),
                                    precondition=precondition)
    return X, info


def fit_mds(pairs: PairData, X0: np.ndarray, *, alpha: float, beta: float, max_iter: int, ftol: float, gtol: float,
            precondition=None):
    nz = pairs.nonzero()
    wish = wish_distances(nz.counts, nz.bias_prod, alpha=alpha, beta=beta)
    return fit_wish(nz, wish, X0, max_iter=max_iter, ftol=ftol, gtol=gtol, precondition=precondition)


class MDS(StructureModel):
    """Weighted metric MDS of the wish distances (non-zero counts only); ``beta=None`` means β = 1."""

    method = "mds"
    uses_zeros = False

    def _fit_one(self, pairs, X0):
        beta = 1.0 if self.beta is None else float(self.beta)
        X, info = fit_mds(pairs, X0, alpha=float(self.alpha), beta=beta, max_iter=self.max_iter, ftol=self.ftol, gtol=self.gtol)
        return {"X": X, "objective": info.objective, "alpha": float(self.alpha), "beta": beta, "n_iter": info.n_iter,
                "converged": info.converged, "message": info.message}


class NMDS(StructureModel):
    """Non-metric MDS: MDS start, then ``n_rounds`` of isotonic targets (distances non-increasing in counts)."""

    method = "nmds"
    uses_zeros = False

    def __init__(self, *, n_rounds: int = 5, **kwargs):
        super().__init__(**kwargs)
        self.n_rounds = n_rounds

    def _fit_one(self, pairs, X0):
        from sklearn.isotonic import IsotonicRegression

        beta = 1.0 if self.beta is None else float(self.beta)
        X, info = fit_mds(pairs, X0, alpha=float(self.alpha), beta=beta, max_iter=self.max_iter, ftol=self.ftol, gtol=self.gtol)
        nz = pairs.nonzero()
        geom = geometry_of(nz)
        inv = 1.0 / (nz.counts / nz.bias_prod)
        n_iter = info.n_iter
        for _ in range(int(self.n_rounds)):
            d = np.sqrt(geom.sqdist(X))
            target = IsotonicRegression(increasing=True).fit(inv, d).predict(inv)
            target = np.maximum(target, 1e-6 * max(float(np.mean(d)), 1e-12))
            X, info = fit_wish(nz, target, X, max_iter=self.max_iter, ftol=self.ftol, gtol=self.gtol)
            n_iter += info.n_iter
        return {"X": X, "objective": info.objective, "alpha": None, "beta": None, "n_iter": n_iter,
                "converged": info.converged, "message": info.message}
