"""Negative-binomial structure model (Pastis-NB, Varoquaux, Noble & Vert 2023), constant dispersion.

c_ij ~ NB(mean μ_ij = β b_i b_j d_ij^α, size r_ij = r₀ b_i b_j), Var = μ + μ²/r.
L = Σ [−lnΓ(c + r) + lnΓ(r) − c log μ − r log r + (c + r) log(r + μ)],
∂L/∂d = α (μ − c) r / (d (r + μ)),
∂L/∂r = Σ [−ψ(c + r) + ψ(r) − log r − 1 + log(r + μ) + (c + r)/(r + μ)].

r₀ starts from moments per genomic distance s on bias-normalised counts (zeros included):
r_s = m_s² / (v_s − m_s), combined as a geometric mean weighted by √(#pairs) (Pastis-NB's degree-0 dispersion
fit). That moment estimate is strongly biased low (pairs at one genomic distance differ in spatial distance,
which adds variance). By default (``dispersion="pearson"``) r₀ is then re-estimated alternately with the structure:
X fit at fixed r₀, then r₀ solving the quasi-likelihood moment equation with a degrees-of-freedom correction,
Σ (c − μ)² / (μ + μ²/r) = #pairs − (3 n − 6), until r₀ changes by < ``dispersion_tol`` (relative). The plain
maximum-likelihood r₀ given the fitted X (``dispersion="mle"``) is biased high, because the 3n coordinates absorb
part of the noise (measured: r = 2 → 3.9, r = 8 → 20 at 60 beads; Pearson: 1.9 and 7.0).
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.optimize import brentq, minimize_scalar
from scipy.special import digamma, gammaln

from .._conventions import ValidationError
from ._base import StructureModel
from ._distance import PairGeometry, chromosome_blocks, geometry_of, make_pairs
from ._optim import preconditioned_fit, single_thread_blas
from ._poisson import _mds_start, estimate_beta
from ._validate import ConvergenceWarning


def _nb_core(geom, X, counts, bias_prod, r, alpha, beta):
    d2 = geom.sqdist(X)
    with np.errstate(divide="ignore"):
        logd2 = np.log(d2)
    logmu = np.log(beta * bias_prod) + (0.5 * alpha) * logd2
    mu = np.exp(logmu)
    f = np.sum(-gammaln(counts + r) + gammaln(r) - counts * logmu - r * np.log(r) + (counts + r) * np.log(r + mu))
    w = alpha * (mu - counts) * r / (d2 * (r + mu))
    return float(f), geom.gradient(X, w), mu


def nb_objective(X, i, j, counts, bias_prod, dispersion, *, alpha: float, beta: float, n: int | None = None,
                 geometry: PairGeometry | None = None):
    """NB negative log-likelihood and its gradient; ``dispersion`` is r per pair (array) or a scalar."""
    n = X.shape[0] if n is None else n
    geom = PairGeometry(i, j, n) if geometry is None else geometry
    r = np.broadcast_to(np.asarray(dispersion, dtype=np.float64), counts.shape)
    f, g, _ = _nb_core(geom, X, counts, bias_prod, r, float(alpha), float(beta))
    return f, g


def nb_dispersion_nll(log_r0: float, counts, mu, bias_prod) -> tuple[float, float]:
    """NB NLL as a function of log r₀ (r_ij = r₀ b_i b_j) at fixed means, and its derivative."""
    r = np.exp(log_r0) * bias_prod
    f = np.sum(-gammaln(counts + r) + gammaln(r) - r * np.log(r) + (counts + r) * np.log(r + mu) - counts * np.log(mu))
    dr = -digamma(counts + r) + digamma(r) - np.log(r) - 1.0 + np.log(r + mu) + (counts + r) / (r + mu)
    return float(f), float(np.dot(dr, r))


def estimate_dispersion_mle(counts, mu, bias_prod, *, bounds=(-10.0, 15.0)) -> float:
    """Maximum-likelihood r₀ given the means μ (1-D bounded search in log r₀)."""
    res = minimize_scalar(lambda lr: nb_dispersion_nll(lr, counts, mu, bias_prod)[0], bounds=bounds, method="bounded",
                          options={"xatol": 1e-6})
    return float(np.exp(res.x))


def estimate_dispersion_pearson(counts, mu, bias_prod, *, n_params: int = 0, bounds=(-10.0, 15.0)) -> float:
    """r₀ solving Σ (c − μ)² / (μ + μ²/(r₀ b_i b_j)) = #pairs − ``n_params`` (quasi-likelihood with a
    degrees-of-freedom correction for the fitted structure); the bounds of log r₀ when there is no root."""
    df = counts.size - int(n_params)
    if df <= 0:
        raise ValidationError(f"not enough pairs ({counts.size}) to estimate the dispersion with {n_params} parameters")
    res2 = (counts - mu) ** 2

    def g(lr):
        return float(np.sum(res2 / (mu + mu * mu / (np.exp(lr) * bias_prod)))) - df

    lo, hi = bounds
    if g(hi) <= 0:
        return float(np.exp(hi))
    if g(lo) >= 0:
        return float(np.exp(lo))
    return float(np.exp(brentq(g, lo, hi, xtol=1e-8)))


def estimate_dispersion(pairs_full, *, max_fraction: float = 2 / 3, min_pairs: int = 3) -> float:
    """Constant dispersion r₀ from the mean/variance of normalised counts per genomic distance (moments)."""
    s = pairs_full.kept[pairs_full.j] - pairs_full.kept[pairs_full.i]
    y = pairs_full.counts / pairs_full.bias_prod
    smax = max(int(max_fraction * pairs_full.n_bins), 1)
    use = s <= smax
    s, y = s[use], y[use]
    cnt = np.bincount(s)
    m = np.bincount(s, weights=y) / np.maximum(cnt, 1)
    v = (np.bincount(s, weights=y * y) - cnt * m**2) / np.maximum(cnt - 1, 1)
    ok = (cnt >= min_pairs) & (v > m) & (m > 0)
    if not ok.any():
        warnings.warn("no genomic distance shows over-dispersion; using r0 = 1e6 (Poisson limit)", ConvergenceWarning,
                      stacklevel=2)
        return 1e6
    logr = 2 * np.log(m[ok]) - np.log(v[ok] - m[ok])
    w = np.sqrt(cnt[ok])
    return float(np.exp(np.sum(w * logr) / w.sum()))


def fit_nb_structure(pairs, X0, r, *, alpha, beta, max_iter, ftol, gtol):
    geom = geometry_of(pairs)

    def fun(Y, _extra):
        f, g, _ = _nb_core(geom, Y, pairs.counts, pairs.bias_prod, r, alpha, beta)
        return f, g, ()

    def curvature(Y, _extra):
        d2 = geom.sqdist(Y)
        mu = beta * pairs.bias_prod * np.exp((0.5 * alpha) * np.log(d2))
        return alpha * alpha * mu * r / ((r + mu) * d2)

    X, _, info = preconditioned_fit(fun, X0, curvature=curvature, pair_i=geom.i, pair_j=geom.j, max_iter=max_iter,
                                    ftol=ftol, gtol=gtol, blocks=chromosome_blocks(pairs))
    return X, info


class NegativeBinomialStructure(StructureModel):
    """Pastis-NB with α fixed: MDS start, β̂ (Poisson profile on the MDS structure) unless given, then L-BFGS-B on
    X with the NB likelihood.

    Parameters
    ----------
    dispersion
        ``"pearson"`` (default): r₀ re-estimated alternately with X (degrees-of-freedom-corrected Pearson
        equation, moment estimate as the start); ``"mle"``: the same alternation with the maximum-likelihood r₀
        given X (biased high); ``"moments"``: the per-distance moment estimate only (Pastis-NB's fit); a number:
        fixed r₀.
    max_dispersion_loop, dispersion_tol
        Alternation rounds and relative-change tolerance on r₀.
    **kwargs
        As :class:`StructureModel`.
    """

    method = "nb"

    def __init__(self, *, dispersion="pearson", max_dispersion_loop: int = 10, dispersion_tol: float = 1e-3, **kwargs):
        super().__init__(**kwargs)
        self.dispersion = dispersion
        self.max_dispersion_loop = max_dispersion_loop
        self.dispersion_tol = dispersion_tol

    def _prepare(self, counts, bias, filtered, lengths=None):
        pairs = super()._prepare(counts, bias, filtered, lengths)
        disp = self.dispersion
        if disp is None or isinstance(disp, str):
            if disp not in (None, "pearson", "mle", "moments"):
                raise ValidationError(
                    f"dispersion must be 'pearson', 'mle', 'moments' or a positive number, got {disp!r}")
            full = pairs if self.use_zero_counts is True else make_pairs(counts, bias=bias, filtered=filtered)
            self.dispersion_moments_ = estimate_dispersion(full)
            self.dispersion_ = self.dispersion_moments_
        else:
            if not float(disp) > 0:
                raise ValidationError(
                    f"dispersion must be 'pearson', 'mle', 'moments' or a positive number, got {disp!r}")
            self.dispersion_ = float(disp)
        return pairs

    def fit(self, counts, y=None, *, bias=None, filtered=None, lengths=None):
        super().fit(counts, bias=bias, filtered=filtered, lengths=lengths)
        self.dispersion_ = float(self.extra_["dispersion"])
        return self

    def _fit_one(self, pairs, X0):
        alpha = float(self.alpha)
        n_mds = 0
        if self.init is None:
            X0, n_mds = _mds_start(self, pairs, X0, alpha)
        if self.beta is None:
            d = np.sqrt(geometry_of(pairs).sqdist(X0))
            beta = estimate_beta(d, pairs.counts, pairs.bias_prod, alpha)
        else:
            beta = float(self.beta)
        r0 = self.dispersion_
        X, info = fit_nb_structure(pairs, X0, r0 * pairs.bias_prod, alpha=alpha, beta=beta, max_iter=self.max_iter,
                                   ftol=self.ftol, gtol=self.gtol)
        n_iter, history = info.n_iter, [r0]
        if self.dispersion in ("pearson", "mle"):
            geom = geometry_of(pairs)
            for _ in range(int(self.max_dispersion_loop)):
                mu = beta * pairs.bias_prod * np.exp((0.5 * alpha) * np.log(geom.sqdist(X)))
                if self.dispersion == "pearson":
                    new = estimate_dispersion_pearson(pairs.counts, mu, pairs.bias_prod, n_params=3 * pairs.n - 6)
                else:
                    with single_thread_blas():
                        new = estimate_dispersion_mle(pairs.counts, mu, pairs.bias_prod)
                history.append(new)
                step = abs(np.log(new) - np.log(r0))
                r0 = new
                X, info = fit_nb_structure(pairs, X, r0 * pairs.bias_prod, alpha=alpha, beta=beta,
                                           max_iter=self.max_iter, ftol=self.ftol, gtol=self.gtol)
                n_iter += info.n_iter
                if step < float(self.dispersion_tol):
                    break
        return {"X": X, "objective": info.objective, "alpha": alpha, "beta": beta, "n_iter": n_iter,
                "n_iter_mds": n_mds, "dispersion": r0, "dispersion_history": np.asarray(history),
                "converged": info.converged, "message": info.message}
