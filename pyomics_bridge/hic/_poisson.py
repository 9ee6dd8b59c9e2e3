"""Poisson structure models PM1 (α fixed) and PM2 (X ↔ (α, β) alternated) of Varoquaux et al. (2014).

c_ij ~ Poisson(μ_ij), μ_ij = β b_i b_j d_ij^α. Negative log-likelihood (log c! dropped)
L = Σ_P [μ_ij − c_ij log μ_ij], ∂L/∂d_ij = α (μ_ij − c_ij) / d_ij. By default P holds every pair of kept bins,
zero counts included.
Given X: β̂(α) = Σ c / Σ b_i b_j d^α and α minimises the profiled L, whose derivative is
Σc · (Σ w d^α log d / Σ w d^α) − Σ c log d (w = b_i b_j).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize

from ._base import StructureModel
from ._distance import PairData, pair_distances, scatter_gradient
from ._mds import fit_mds, mds_objective, wish_distances
from ._optim import lbfgs


def poisson_objective(X, i, j, counts, bias_prod, *, alpha: float, beta: float, n: int | None = None):
    """Poisson negative log-likelihood (without log c!) and its gradient with respect to X."""
    n = X.shape[0] if n is None else n
    diff, d = pair_distances(X, i, j)
    with np.errstate(divide="ignore"):
        logd = np.log(d)
    mu = beta * bias_prod * np.exp(alpha * logd)
    pos = counts > 0
    f = float(mu.sum() - np.dot(counts[pos], np.log(beta * bias_prod[pos]) + alpha * logd[pos]))
    g = scatter_gradient(diff, d, alpha * (mu - counts) / d, i, j, n)
    return f, g


def estimate_beta(d: np.ndarray, counts: np.ndarray, bias_prod: np.ndarray, alpha: float) -> float:
    """Closed-form β̂(α) = Σ c / Σ b_i b_j d^α."""
    return float(counts.sum() / np.sum(bias_prod * d**alpha))


def alpha_profile_objective(alpha: float, d, counts, bias_prod) -> tuple[float, float]:
    """Profiled Poisson NLL in α (β = β̂(α)) and its derivative."""
    logd = np.log(d)
    w = bias_prod * np.exp(alpha * logd)
    sw = w.sum()
    C = counts.sum()
    pos = counts > 0
    beta = C / sw
    f = C - C * np.log(beta) - np.dot(counts[pos], np.log(bias_prod[pos]) + alpha * logd[pos])
    g = C * np.dot(w, logd) / sw - np.dot(counts[pos], logd[pos])
    return float(f), float(g)


def estimate_alpha_beta(X, pairs: PairData, *, alpha0: float = -3.0, bounds=(-100.0, -1e-3)):
    """(α̂, β̂, profiled NLL) for a fixed structure."""
    _, d = pair_distances(X, pairs.i, pairs.j)
    def fun(a):
        f, g = alpha_profile_objective(float(a[0]), d, pairs.counts, pairs.bias_prod)
        return f, np.array([g])

    res = minimize(fun, np.array([alpha0]), jac=True, method="L-BFGS-B", bounds=[bounds],
                   options={"ftol": 1e-12, "gtol": 1e-8})
    alpha = float(res.x[0])
    return alpha, estimate_beta(d, pairs.counts, pairs.bias_prod, alpha), float(res.fun)


def _mds_start(model, pairs, X0, alpha):
    """MDS start for the likelihood models. With zero counts in the pair set, zero pairs get the wish distance
    of ``zero_pseudocount`` (farther than any observed pair): a far better start than non-zero pairs only at
    low coverage, where the non-zero pairs alone do not determine the fold."""
    beta = 1.0 if model.beta is None else float(model.beta)
    pc = getattr(model, "zero_pseudocount", 0.5)
    if pc and (pairs.counts == 0).any():
        wish = wish_distances(np.maximum(pairs.counts, pc * (pairs.counts == 0)), pairs.bias_prod, alpha=alpha, beta=beta)
        X, info = lbfgs(lambda Y: mds_objective(Y, pairs.i, pairs.j, wish), X0, max_iter=model.max_iter,
                        ftol=model.ftol, gtol=model.gtol)
    else:
        X, info = fit_mds(pairs, X0, alpha=alpha, beta=beta, max_iter=model.max_iter, ftol=model.ftol, gtol=model.gtol)
    return X, info.n_iter


class PM1(StructureModel):
    """Poisson model with fixed α: MDS start, β fixed (or β̂ on the MDS structure when ``beta=None``), fit X."""

    method = "pm1"

    def __init__(self, *, mds_init: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.mds_init = mds_init

    def _fit_one(self, pairs, X0):
        alpha = float(self.alpha)
        n_mds = 0
        if self.mds_init and self.init is None:
            X0, n_mds = _mds_start(self, pairs, X0, alpha)
        if self.beta is None:
            _, d = pair_distances(X0, pairs.i, pairs.j)
            beta = estimate_beta(d, pairs.counts, pairs.bias_prod, alpha)
        else:
            beta = float(self.beta)
        X, info = lbfgs(lambda Y: poisson_objective(Y, pairs.i, pairs.j, pairs.counts, pairs.bias_prod, alpha=alpha, beta=beta),
                        X0, max_iter=self.max_iter, ftol=self.ftol, gtol=self.gtol)
        return {"X": X, "objective": info.objective, "alpha": alpha, "beta": beta, "n_iter": info.n_iter,
                "n_iter_mds": n_mds, "converged": info.converged, "message": info.message}


class PM2(StructureModel):
    """Poisson model with α and β estimated, alternating X ↔ (α, β) until |Δα| < ``alpha_tol``.

    ``pastis_compatible=True`` reproduces pastis 0.4.0's loop (α, β estimated once on the MDS structure, then one
    X fit): for regression comparisons only.
    """

    method = "pm2"

    def __init__(self, *, max_alpha_loop: int = 20, alpha_tol: float = 1e-3, pastis_compatible: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.max_alpha_loop = max_alpha_loop
        self.alpha_tol = alpha_tol
        self.pastis_compatible = pastis_compatible

    def _fit_one(self, pairs, X0):
        alpha = float(self.alpha)
        n_mds = 0
        if self.init is None:
            X0, n_mds = _mds_start(self, pairs, X0, alpha)
        X = X0
        alpha, beta, _ = estimate_alpha_beta(X, pairs, alpha0=alpha)
        history = [alpha]
        n_iter = 0
        converged_alpha = False
        n_loop = 1 if self.pastis_compatible else int(self.max_alpha_loop)
        info = None
        for _ in range(n_loop):
            X, info = lbfgs(lambda Y, a=alpha, b=beta: poisson_objective(Y, pairs.i, pairs.j, pairs.counts, pairs.bias_prod, alpha=a, beta=b),
                            X, max_iter=self.max_iter, ftol=self.ftol, gtol=self.gtol)
            n_iter += info.n_iter
            if self.pastis_compatible:
                break
            new_alpha, new_beta, _ = estimate_alpha_beta(X, pairs, alpha0=alpha)
            history.append(new_alpha)
            step = abs(new_alpha - alpha)
            alpha, beta = new_alpha, new_beta
            if step < float(self.alpha_tol):
                converged_alpha = True
                break
        obj, _ = poisson_objective(X, pairs.i, pairs.j, pairs.counts, pairs.bias_prod, alpha=alpha, beta=beta)
        return {"X": X, "objective": obj, "alpha": alpha, "beta": beta, "n_iter": n_iter, "n_iter_mds": n_mds,
                "converged": bool(info.converged and (converged_alpha or self.pastis_compatible)),
                "alpha_history": np.asarray(history), "message": info.message}
