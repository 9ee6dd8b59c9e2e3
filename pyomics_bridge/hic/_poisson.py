"""Poisson structure models PM1 (α fixed) and PM2 ((α, β) estimated) of Varoquaux et al. (2014).

c_ij ~ Poisson(μ_ij), μ_ij = β b_i b_j d_ij^α. Negative log-likelihood (log c! dropped)
L = Σ_P [μ_ij − c_ij log μ_ij], ∂L/∂d_ij = α (μ_ij − c_ij) / d_ij. By default P holds every pair of kept bins,
zero counts included.

Profile in β: β̂(α, X) = C / S with C = Σ c, S = Σ b_i b_j d^α, so
L_p(X, α) = C − C log C + C log S − Σ c log(b_i b_j) − α Σ c log d,
∂L_p/∂α = C Σ w d^α log d / S − Σ c log d, and ∂L_p/∂X is the Poisson gradient at β̂ (envelope theorem).

PM2 minimises L_p jointly over (X, α) with L-BFGS-B (``strategy="joint"``, default; β in closed form at every
step), or alternates X fits at fixed (α, β̂) with 1-D solves for α (``strategy="alternate"``); both stop on the
relative change of the objective. pastis 0.4.0 never alternates (its loop re-fits the same structure);
``pastis_compatible=True`` reproduces that for regression comparisons.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize

from .._conventions import ValidationError
from ._base import StructureModel
from ._distance import PairData, PairGeometry, chromosome_blocks, geometry_of
from ._mds import fit_mds, fit_wish, wish_distances
from ._optim import FitInfo, preconditioned_fit, single_thread_blas

ALPHA_BOUNDS = (-100.0, -1e-3)


def _sum_clogw(counts, bias_prod) -> float:
    pos = counts > 0
    return float(np.dot(counts[pos], np.log(bias_prod[pos])))


def _poisson_core(geom: PairGeometry, X, counts, bias_prod, alpha, beta, clogw, *, profile: bool, need_alpha: bool):
    """Shared evaluation: returns (f, grad_X, dfdalpha, beta_used). ``profile``: β = β̂(α, X)."""
    d2 = geom.sqdist(X)
    with np.errstate(divide="ignore"):
        logd2 = np.log(d2)
    t = np.exp((0.5 * alpha) * logd2)
    t *= bias_prod  # b_i b_j d^α
    c_logd2 = float(np.dot(counts, logd2))
    C = float(counts.sum())
    if profile:
        S = float(t.sum())
        beta = C / S
        f = C - C * np.log(C) + C * np.log(S) - clogw - 0.5 * alpha * c_logd2
    else:
        f = beta * float(t.sum()) - (C * np.log(beta) + clogw + 0.5 * alpha * c_logd2)
    mu = t
    mu *= beta
    dalpha = 0.5 * (float(np.dot(mu, logd2)) - c_logd2) if need_alpha else 0.0
    mu -= counts
    mu *= alpha
    mu /= d2  # w = α (μ − c) / d²  (= (∂L/∂d) / d)
    return float(f), geom.gradient(X, mu), dalpha, beta


def poisson_objective(X, i, j, counts, bias_prod, *, alpha: float, beta: float, n: int | None = None,
                      geometry: PairGeometry | None = None):
    """Poisson negative log-likelihood (without log c!) and its gradient with respect to X (O(#pairs))."""
    n = X.shape[0] if n is None else n
    geom = PairGeometry(i, j, n) if geometry is None else geometry
    f, g, _, _ = _poisson_core(geom, X, counts, bias_prod, float(alpha), float(beta), _sum_clogw(counts, bias_prod),
                               profile=False, need_alpha=False)
    return f, g


def poisson_profile_objective(X, alpha: float, i, j, counts, bias_prod, *, beta: float | None = None,
                              n: int | None = None, geometry: PairGeometry | None = None):
    """PM2 objective in (X, α): NLL with β = β̂(α, X) (``beta=None``) or fixed β.

    Returns ``(f, grad_X, df/dα, β)``.
    """
    n = X.shape[0] if n is None else n
    geom = PairGeometry(i, j, n) if geometry is None else geometry
    return _poisson_core(geom, X, counts, bias_prod, float(alpha), 1.0 if beta is None else float(beta),
                         _sum_clogw(counts, bias_prod), profile=beta is None, need_alpha=True)


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


def estimate_alpha_beta(X, pairs: PairData, *, alpha0: float = -3.0, bounds=ALPHA_BOUNDS):
    """(α̂, β̂, profiled NLL) for a fixed structure (1-D L-BFGS-B in α, β in closed form)."""
    d = np.sqrt(geometry_of(pairs).sqdist(X))

    def fun(a):
        f, g = alpha_profile_objective(float(a[0]), d, pairs.counts, pairs.bias_prod)
        return f, np.array([g])

    with single_thread_blas():
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
        X, info = fit_wish(pairs, wish, X0, max_iter=model.max_iter, ftol=model.ftol, gtol=model.gtol)
    else:
        X, info = fit_mds(pairs, X0, alpha=alpha, beta=beta, max_iter=model.max_iter, ftol=model.ftol, gtol=model.gtol)
    return X, info.n_iter


def _fisher_curvature(pairs, geom, alpha, beta):
    """Per-pair radial Fisher information α² μ / d² at (α, β) (β = None: β̂)."""

    def curvature(X, extra):
        a = float(extra[0]) if len(extra) else alpha
        d2 = geom.sqdist(X)
        t = pairs.bias_prod * np.exp((0.5 * a) * np.log(d2))
        b = pairs.counts.sum() / t.sum() if beta is None else beta
        return (a * a * b) * t / d2

    return curvature


def _alpha_scale(pairs, geom, beta):
    """√(Fisher information of α) at the current point (profiled when β is estimated)."""

    def scale(X, extra):
        a = float(extra[0])
        d2 = geom.sqdist(X)
        logd = 0.5 * np.log(d2)
        t = pairs.bias_prod * np.exp(a * logd)
        b = pairs.counts.sum() / t.sum() if beta is None else beta
        mu = b * t
        info = float(np.dot(mu, logd * logd))
        if beta is None:
            info -= float(np.dot(mu, logd)) ** 2 / float(mu.sum())
        return np.array([np.sqrt(max(info, 1e-12))])

    return scale


def fit_pm1_structure(pairs: PairData, X0, *, alpha: float, beta: float, max_iter: int, ftol: float, gtol: float,
                      precondition=None):
    """Preconditioned L-BFGS-B on X at fixed (α, β)."""
    geom = geometry_of(pairs)
    clogw = _sum_clogw(pairs.counts, pairs.bias_prod)

    def fun(Y, _extra):
        f, g, _, _ = _poisson_core(geom, Y, pairs.counts, pairs.bias_prod, alpha, beta, clogw, profile=False,
                                   need_alpha=False)
        return f, g, ()

    X, _, info = preconditioned_fit(fun, X0, curvature=_fisher_curvature(pairs, geom, alpha, beta), pair_i=geom.i,
                                    pair_j=geom.j, max_iter=max_iter, ftol=ftol, gtol=gtol,
                                    blocks=chromosome_blocks(pairs), precondition=precondition)
    return X, info


def fit_pm2_joint(pairs: PairData, X0, *, alpha0: float, beta: float | None, max_iter: int, ftol: float, gtol: float,
                  bounds=ALPHA_BOUNDS, precondition=None):
    """Preconditioned L-BFGS-B on (X, α) jointly, β = β̂(α, X) in closed form (or fixed).

    Returns (X, α, β, FitInfo)."""
    geom = geometry_of(pairs)
    clogw = _sum_clogw(pairs.counts, pairs.bias_prod)
    fixed_beta = 1.0 if beta is None else float(beta)

    def fun(X, extra):
        f, g, da, _ = _poisson_core(geom, X, pairs.counts, pairs.bias_prod, float(extra[0]), fixed_beta, clogw,
                                    profile=beta is None, need_alpha=True)
        return f, g, (da,)

    a0 = float(np.clip(alpha0, *bounds))
    X, extra, info = preconditioned_fit(fun, X0, curvature=_fisher_curvature(pairs, geom, a0, beta), pair_i=geom.i,
                                        pair_j=geom.j, extra0=(a0,), extra_scale=_alpha_scale(pairs, geom, beta),
                                        extra_bounds=(bounds,), max_iter=max_iter, ftol=ftol, gtol=gtol,
                                        blocks=chromosome_blocks(pairs), precondition=precondition)
    alpha = float(extra[0])
    _, _, _, beta_hat = _poisson_core(geom, X, pairs.counts, pairs.bias_prod, alpha, fixed_beta, clogw,
                                      profile=beta is None, need_alpha=False)
    return X, alpha, float(beta_hat), info


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
            d = np.sqrt(geometry_of(pairs).sqdist(X0))
            beta = estimate_beta(d, pairs.counts, pairs.bias_prod, alpha)
        else:
            beta = float(self.beta)
        X, info = fit_pm1_structure(pairs, X0, alpha=alpha, beta=beta, max_iter=self.max_iter, ftol=self.ftol,
                                    gtol=self.gtol)
        return {"X": X, "objective": info.objective, "alpha": alpha, "beta": beta, "n_iter": info.n_iter,
                "n_iter_mds": n_mds, "converged": info.converged, "message": info.message}


class PM2(StructureModel):
    """Poisson model with α and β estimated (β in closed form given α and X).

    Parameters
    ----------
    strategy
        ``"joint"`` (default): L-BFGS-B over (X, α) with β = β̂(α, X) profiled out, stopping when the relative
        change of the objective is below ``ftol``. ``"alternate"``: rounds of an X fit at fixed (α, β̂) (at most
        ``inner_max_iter`` iterations, warm-started) and an exact 1-D solve for α, until the relative objective
        change between rounds is below ``outer_tol`` or |Δα| < ``alpha_tol``. Both reach a stationary point of the
        same likelihood; joint is several times faster because it never zig-zags between the blocks.
    max_alpha_loop
        Maximum number of rounds (``"alternate"``).
    pastis_compatible
        Reproduce pastis 0.4.0 (α, β estimated once on the MDS structure, then one X fit): regression use only.
    **kwargs
        As :class:`StructureModel` (``beta`` given: β fixed, only α and X estimated).
    """

    method = "pm2"

    def __init__(self, *, strategy: str = "joint", max_alpha_loop: int = 20, alpha_tol: float = 1e-3,
                 outer_tol: float = 1e-7, inner_max_iter: int = 300, pastis_compatible: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.strategy = strategy
        self.max_alpha_loop = max_alpha_loop
        self.alpha_tol = alpha_tol
        self.outer_tol = outer_tol
        self.inner_max_iter = inner_max_iter
        self.pastis_compatible = pastis_compatible

    def _fit_one(self, pairs, X0):
        if self.strategy not in ("joint", "alternate"):
            raise ValidationError(f"strategy must be 'joint' or 'alternate', got {self.strategy!r}")
        alpha = float(self.alpha)
        n_mds = 0
        if self.init is None:
            X0, n_mds = _mds_start(self, pairs, X0, alpha)
        if self.pastis_compatible:
            alpha, beta, _ = estimate_alpha_beta(X0, pairs, alpha0=alpha)
            X, info = fit_pm1_structure(pairs, X0, alpha=alpha, beta=beta, max_iter=self.max_iter, ftol=self.ftol,
                                        gtol=self.gtol)
            return {"X": X, "objective": info.objective, "alpha": alpha, "beta": beta, "n_iter": info.n_iter,
                    "n_iter_mds": n_mds, "converged": info.converged, "alpha_history": np.array([alpha]),
                    "message": info.message}
        if self.strategy == "joint":
            if self.beta is None:
                a_start, _, _ = estimate_alpha_beta(X0, pairs, alpha0=alpha)  # α start for the joint fit
                if -20.0 < a_start < -0.1:  # an unconverged start can push α to a bound: keep α₀ then
                    alpha = a_start
            X, alpha, beta, info = fit_pm2_joint(pairs, X0, alpha0=alpha, beta=self.beta, max_iter=self.max_iter,
                                                 ftol=self.ftol, gtol=self.gtol)
            return {"X": X, "objective": info.objective, "alpha": alpha, "beta": beta, "n_iter": info.n_iter,
                    "n_iter_mds": n_mds, "converged": info.converged, "alpha_history": np.array([alpha]),
                    "message": info.message}
        return self._alternate(pairs, X0, alpha, n_mds)

    def _alternate(self, pairs, X, alpha, n_mds):
        if self.beta is not None:
            raise ValidationError("strategy='alternate' estimates beta: give beta=None, or use strategy='joint'")
        alpha, beta, obj = estimate_alpha_beta(X, pairs, alpha0=alpha)
        history, objectives = [alpha], [obj]
        n_iter, converged, info = 0, False, FitInfo(obj, 0, False, "")
        for _ in range(int(self.max_alpha_loop)):
            X, info = fit_pm1_structure(pairs, X, alpha=alpha, beta=beta, max_iter=min(self.inner_max_iter, self.max_iter),
                                        ftol=self.ftol, gtol=self.gtol)
            n_iter += info.n_iter
            new_alpha, new_beta, obj = estimate_alpha_beta(X, pairs, alpha0=alpha)
            rel = abs(objectives[-1] - obj) / max(abs(obj), abs(objectives[-1]), 1.0)
            step = abs(new_alpha - alpha)
            alpha, beta = new_alpha, new_beta
            history.append(alpha)
            objectives.append(obj)
            if info.converged and (rel < float(self.outer_tol) or step < float(self.alpha_tol)):
                converged = True
                break
        return {"X": X, "objective": float(objectives[-1]), "alpha": alpha, "beta": beta, "n_iter": n_iter,
                "n_iter_mds": n_mds, "converged": converged, "alpha_history": np.asarray(history),
                "objective_history": np.asarray(objectives), "message": info.message}
