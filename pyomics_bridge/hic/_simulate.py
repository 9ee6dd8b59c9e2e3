"""Ground-truth simulator: random-walk chains and Poisson / negative-binomial contact counts."""

from __future__ import annotations

import numpy as np
from scipy import sparse

from .._conventions import ValidationError
from ._validate import check_alpha, check_structure


def random_walk(n: int, *, step: float = 1.0, confinement: float | None = None, rng=None) -> np.ndarray:
    """Gaussian random-walk chain of ``n`` beads (mean step length ≈ ``step``).

    ``confinement`` = radius of a sphere around the origin: steps that leave it are redrawn (up to 100 times,
    then the step is reflected towards the centre), giving a compact, confined chain.
    """
    if int(n) < 2:
        raise ValidationError(f"n must be >= 2, got {n}")
    if confinement is not None and not float(confinement) > 0:
        raise ValidationError(f"confinement must be > 0 or None, got {confinement}")
    rng = np.random.default_rng(rng)
    sd = step / np.sqrt(3.0)
    X = np.zeros((int(n), 3))
    for k in range(1, int(n)):
        for _ in range(100):
            nxt = X[k - 1] + rng.normal(scale=sd, size=3)
            if confinement is None or np.linalg.norm(nxt) <= confinement:
                break
        else:
            nxt = X[k - 1] - 0.5 * X[k - 1] / max(np.linalg.norm(X[k - 1]), 1e-12) * step
        X[k] = nxt
    return X


def simulate_counts(
    X,
    *,
    alpha: float = -3.0,
    mean_count: float = 5.0,
    beta: float | None = None,
    distribution: str = "poisson",
    dispersion: float = 5.0,
    bias=None,
    rng=None,
) -> tuple[sparse.csr_matrix, float]:
    """Counts c_ij ~ Poisson(λ) or NB(λ, r) with λ_ij = β b_i b_j d_ij^α for i < j (diagonal 0, symmetric).

    β is set so that the mean of λ over pairs i < j equals ``mean_count`` unless given.
    Returns (CSR counts, β).
    """
    X = check_structure(X, allow_nan=False)
    alpha = check_alpha(alpha)
    if distribution not in ("poisson", "nb"):
        raise ValidationError(f"distribution must be 'poisson' or 'nb', got {distribution!r}")
    if not float(dispersion) > 0:
        raise ValidationError(f"dispersion must be > 0, got {dispersion}")
    rng = np.random.default_rng(rng)
    n = X.shape[0]
    i, j = np.triu_indices(n, k=1)
    d = np.linalg.norm(X[i] - X[j], axis=1)
    if (d <= 0).any():
        raise ValidationError("X has coincident beads (zero distances)")
    bb = np.ones_like(d) if bias is None else np.asarray(bias, float)[i] * np.asarray(bias, float)[j]
    shape = bb * d**alpha
    if beta is None:
        if not float(mean_count) > 0:
            raise ValidationError(f"mean_count must be > 0, got {mean_count}")
        beta = float(mean_count) / shape.mean()
    lam = beta * shape
    if distribution == "poisson":
        c = rng.poisson(lam)
    else:
        r = float(dispersion)
        c = rng.negative_binomial(r, r / (r + lam))
    c = c.astype(np.float64)
    keep = c > 0
    up = sparse.csr_matrix((c[keep], (i[keep], j[keep])), shape=(n, n))
    full = (up + up.T).tocsr()
    full.sort_indices()
    return full, float(beta)
