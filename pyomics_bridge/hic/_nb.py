"""Negative-binomial structure model (Pastis-NB, Varoquaux, Noble & Vert 2023), constant dispersion.

c_ij ~ NB(mean μ_ij = β b_i b_j d_ij^α, size r_ij = r₀ b_i b_j), Var = μ + μ²/r.
L = Σ [−lnΓ(c + r) + lnΓ(r) − c log μ − r log r + (c + r) log(r + μ)],
∂L/∂d = α (μ − c) r / (d (r + μ)).
r₀ is estimated by moments per genomic distance s on bias-normalised counts (zeros included):
r_s = m_s² / (v_s − m_s), combined as a geometric mean weighted by √(#pairs) (degree-0 dispersion fit).
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.special import gammaln

from ._base import StructureModel
from ._distance import make_pairs, pair_distances, scatter_gradient
from ._optim import lbfgs
from ._poisson import _mds_start, estimate_beta
from ._validate import ConvergenceWarning


def nb_objective(X, i, j, counts, bias_prod, dispersion, *, alpha: float, beta: float, n: int | None = None):
    """NB negative log-likelihood and its gradient; ``dispersion`` is r per pair (array) or a scalar."""
    n = X.shape[0] if n is None else n
    diff, d = pair_distances(X, i, j)
    r = np.broadcast_to(np.asarray(dispersion, dtype=np.float64), d.shape)
    with np.errstate(divide="ignore"):
        logd = np.log(d)
    mu = beta * bias_prod * np.exp(alpha * logd)
    logmu = np.log(beta * bias_prod) + alpha * logd
    f = np.sum(-gammaln(counts + r) + gammaln(r) - counts * logmu - r * np.log(r) + (counts + r) * np.log(r + mu))
    g = scatter_gradient(diff, d, alpha * (mu - counts) * r / (d * (r + mu)), i, j, n)
    return float(f), g


def estimate_dispersion(pairs_full, *, max_fraction: float = 2 / 3, min_pairs: int = 3) -> float:
    """Constant dispersion r₀ from the mean/variance of normalised counts per genomic distance."""
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


class NegativeBinomialStructure(StructureModel):
    """Pastis-NB with α fixed: MDS start, β̂ (Poisson profile on the MDS structure) unless given, r₀ estimated
    (or ``dispersion=``), then L-BFGS-B on X."""

    method = "nb"

    def __init__(self, *, dispersion: float | None = None, **kwargs):
        super().__init__(**kwargs)
        self.dispersion = dispersion

    def _prepare(self, counts, bias, filtered):
        pairs = super()._prepare(counts, bias, filtered)
        if self.dispersion is None:
            full = pairs if self.use_zero_counts else make_pairs(counts, bias=bias, filtered=filtered, use_zero_counts=True)
            self.dispersion_ = estimate_dispersion(full)
        else:
            self.dispersion_ = float(self.dispersion)
        return pairs

    def _fit_one(self, pairs, X0):
        alpha = float(self.alpha)
        n_mds = 0
        if self.init is None:
            X0, n_mds = _mds_start(self, pairs, X0, alpha)
        if self.beta is None:
            _, d = pair_distances(X0, pairs.i, pairs.j)
            beta = estimate_beta(d, pairs.counts, pairs.bias_prod, alpha)
        else:
            beta = float(self.beta)
        r = self.dispersion_ * pairs.bias_prod
        X, info = lbfgs(lambda Y: nb_objective(Y, pairs.i, pairs.j, pairs.counts, pairs.bias_prod, r, alpha=alpha, beta=beta),
                        X0, max_iter=self.max_iter, ftol=self.ftol, gtol=self.gtol)
        return {"X": X, "objective": info.objective, "alpha": alpha, "beta": beta, "n_iter": info.n_iter,
                "n_iter_mds": n_mds, "dispersion": self.dispersion_, "converged": info.converged, "message": info.message}
