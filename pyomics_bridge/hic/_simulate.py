"""Ground-truth simulator: random-walk chains (one or several chromosomes in a nucleus) and Poisson /
negative-binomial contact counts; :func:`simulate` is the public entry point."""

from __future__ import annotations

from dataclasses import dataclass, field

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


@dataclass
class HiCSimulation:
    """Result of :func:`simulate`: a simulated contact map and its ground truth.

    Attributes
    ----------
    counts
        Symmetric CSR counts, zero diagonal, ``(n_bins, n_bins)``.
    X
        True structure, ``(n_bins, 3)`` (chromosomes stacked in the order of ``lengths``).
    beta
        Scale factor β of the rates λ_ij = β b_i b_j d_ij^α.
    bias
        Per-bin biases b (geometric mean 1).
    lengths
        Bins per chromosome.
    alpha
        Counts-to-distance exponent.
    centers
        Centre of each chromosome territory, ``(n_chromosomes, 3)``.
    expected_total
        Expected number of contacts over pairs i < j (intra, inter) under the model.
    params
        The arguments of the call (for provenance).
    """

    counts: sparse.csr_matrix
    X: np.ndarray
    beta: float
    bias: np.ndarray
    lengths: np.ndarray
    alpha: float
    centers: np.ndarray
    expected_total: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)

    @property
    def n_bins(self) -> int:
        return int(self.X.shape[0])

    @property
    def chromosome(self) -> np.ndarray:
        """Chromosome index of each bin."""
        return np.repeat(np.arange(len(self.lengths)), self.lengths)


def _check_lengths(n_bins, lengths) -> np.ndarray:
    if lengths is None:
        if n_bins is None:
            raise ValidationError("give n_bins or lengths (bins per chromosome)")
        lengths = [n_bins]
    arr = np.asarray(lengths)
    if arr.ndim != 1 or arr.size == 0 or not np.issubdtype(arr.dtype, np.number) or (arr != np.round(arr)).any():
        raise ValidationError(f"lengths must be a non-empty 1-D sequence of integers, got {lengths!r}")
    arr = arr.astype(np.int64)
    if (arr < 2).any():
        raise ValidationError(f"lengths must all be >= 2 (bins per chromosome), got {arr.tolist()}")
    if n_bins is not None and int(n_bins) != int(arr.sum()):
        raise ValidationError(f"lengths sum to {int(arr.sum())} but n_bins = {n_bins}; give one or make them agree")
    return arr


def _draw(lam, distribution, dispersion, rng):
    if distribution == "poisson":
        return rng.poisson(lam)
    r = float(dispersion)
    return rng.negative_binomial(r, r / (r + lam))


def simulate(
    n_bins: int | None = None,
    *,
    lengths=None,
    alpha: float = -3.0,
    mean_count: float = 5.0,
    structure: str = "confined",
    confinement: float = 4.0,
    nucleus_radius: float | None = None,
    distribution: str = "poisson",
    dispersion: float = 5.0,
    bias_sd: float = 0.0,
    inter_scale: float = 1.0,
    random_state=0,
) -> HiCSimulation:
    """Simulate a Hi-C contact map from a known 3D structure (one or several chromosomes).

    Each chromosome is a Gaussian random-walk chain (:func:`random_walk`, mean step 1), confined to a sphere of
    radius ``confinement`` or free. With several chromosomes, each chain is centred on a territory centre drawn
    uniformly in a nucleus of radius ``nucleus_radius``, so that **every** pair, intra- or inter-chromosomal,
    follows the same model

        c_ij ~ Poisson(λ_ij) or NB(mean λ_ij, size ``dispersion``),  λ_ij = β b_i b_j d_ij^α  (i < j),

    with the inter-chromosomal rates multiplied by ``inter_scale``. Counts are generated one chromosome block at a
    time (an intra block as a vector over its pairs, an inter block as an ``L_k × L_l`` rate matrix), so memory
    stays O(max block + non-zeros), never O(n²); the draws are exact (no approximation).

    Parameters
    ----------
    n_bins
        Total number of bins; may be omitted when ``lengths`` is given (then it must equal their sum).
    lengths
        Bins per chromosome (default: one chromosome of ``n_bins``).
    alpha
        Counts-to-distance exponent (< 0).
    mean_count
        Mean expected count λ over intra-chromosomal pairs i < j (sets β; coverage). For one chromosome this is
        the mean over all pairs.
    structure
        ``"confined"`` (random walk in a sphere of radius ``confinement``) or ``"random_walk"`` (free).
    confinement
        Territory radius in step lengths for ``"confined"``.
    nucleus_radius
        Radius of the sphere in which territory centres are drawn (several chromosomes only). Default
        ``a · (2 K)^{1/3}`` with K chromosomes and a the territory radius (``confinement``, or twice the radius of
        gyration of the longest free chain), i.e. territories fill about half of the nucleus.
    distribution
        ``"poisson"`` or ``"nb"``.
    dispersion
        NB size parameter r (Var = λ + λ²/r).
    bias_sd
        Standard deviation of the log-normal per-bin biases (0: none); biases have geometric mean 1.
    inter_scale
        Multiplier of the model-based inter-chromosomal rates (1: same law as within chromosomes; 0: no
        inter-chromosomal counts).
    random_state
        Seed (int, ``SeedSequence``, ``Generator`` or None).

    Returns
    -------
    :class:`HiCSimulation` with ``counts`` (CSR, symmetric, zero diagonal), ``X``, ``beta``, ``bias``,
    ``lengths``, ``alpha``, ``centers``, ``expected_total`` and ``params``.

    Examples
    --------
    >>> sim = simulate(lengths=[200, 150], mean_count=2.0, random_state=0)
    >>> sim.counts.shape, sim.X.shape
    ((350, 350), (350, 3))
    """
    lengths = _check_lengths(n_bins, lengths)
    alpha = check_alpha(alpha)
    if structure not in ("confined", "random_walk"):
        raise ValidationError(f"structure must be 'confined' or 'random_walk', got {structure!r}")
    if distribution not in ("poisson", "nb"):
        raise ValidationError(f"distribution must be 'poisson' or 'nb', got {distribution!r}")
    for name, value in (("mean_count", mean_count), ("dispersion", dispersion)):
        if not (np.isfinite(float(value)) and float(value) > 0):
            raise ValidationError(f"{name} must be a finite number > 0, got {value}")
    if structure == "confined" and not (np.isfinite(float(confinement)) and float(confinement) > 0):
        raise ValidationError(f"confinement must be a finite number > 0 for structure='confined', got {confinement}")
    if not (np.isfinite(float(bias_sd)) and float(bias_sd) >= 0):
        raise ValidationError(f"bias_sd must be a finite number >= 0, got {bias_sd}")
    if not (np.isfinite(float(inter_scale)) and float(inter_scale) >= 0):
        raise ValidationError(f"inter_scale must be a finite number >= 0, got {inter_scale}")
    if nucleus_radius is not None and not (np.isfinite(float(nucleus_radius)) and float(nucleus_radius) > 0):
        raise ValidationError(f"nucleus_radius must be a finite number > 0 or None, got {nucleus_radius}")
    params = {"lengths": lengths.tolist(), "alpha": alpha, "mean_count": float(mean_count), "structure": structure,
              "confinement": float(confinement), "nucleus_radius": nucleus_radius, "distribution": distribution,
              "dispersion": float(dispersion), "bias_sd": float(bias_sd), "inter_scale": float(inter_scale),
              "random_state": random_state if isinstance(random_state, int | None) else repr(random_state)}
    rng = np.random.default_rng(random_state)
    K, n = len(lengths), int(lengths.sum())
    conf = float(confinement) if structure == "confined" else None
    chains = [random_walk(int(L), confinement=conf, rng=rng) for L in lengths]
    if K == 1:
        centers = np.zeros((1, 3))
    else:
        a = conf if conf is not None else 2.0 * np.sqrt(lengths.max() / 6.0)
        R = float(nucleus_radius) if nucleus_radius is not None else a * (2.0 * K) ** (1.0 / 3.0)
        u = rng.normal(size=(K, 3))
        u /= np.linalg.norm(u, axis=1, keepdims=True)
        centers = u * R * rng.uniform(size=(K, 1)) ** (1.0 / 3.0)
        chains = [Xk - Xk.mean(axis=0) + c for Xk, c in zip(chains, centers, strict=True)]
    X = np.vstack(chains)
    bias = np.exp(rng.normal(scale=bias_sd, size=n)) if bias_sd > 0 else np.ones(n)
    bias = bias / np.exp(np.mean(np.log(bias)))
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    expected = {"intra": 0.0, "inter": 0.0}
    if K == 1:
        counts, beta = simulate_counts(X, alpha=alpha, mean_count=mean_count, distribution=distribution,
                                       dispersion=dispersion, bias=bias, rng=rng)
        expected["intra"] = float(beta * _shape_sum(X, bias, alpha))
    else:
        n_intra = int(sum(L * (L - 1) // 2 for L in lengths))
        total_shape = sum(_shape_sum(X[s:e], bias[s:e], alpha) for s, e in zip(offsets[:-1], offsets[1:], strict=True))
        beta = float(mean_count) * n_intra / total_shape
        expected["intra"] = float(mean_count) * n_intra
        rows, cols, vals = [], [], []
        for s, e in zip(offsets[:-1], offsets[1:], strict=True):
            Ck, _ = simulate_counts(X[s:e], alpha=alpha, beta=beta, distribution=distribution,
                                    dispersion=dispersion, bias=bias[s:e], rng=rng)
            up = sparse.triu(Ck, k=1).tocoo()
            rows.append(up.row + s)
            cols.append(up.col + s)
            vals.append(up.data)
        if inter_scale > 0:
            for k in range(K):
                for m in range(k + 1, K):
                    (sk, ek), (sm, em) = offsets[k:k + 2], offsets[m:m + 2]
                    d2 = ((X[sk:ek, None, :] - X[None, sm:em, :]) ** 2).sum(axis=2)
                    if (d2 <= 0).any():
                        raise ValidationError("the simulated structure has coincident beads (zero distances)")
                    lam = (float(inter_scale) * beta) * np.outer(bias[sk:ek], bias[sm:em]) * d2 ** (alpha / 2.0)
                    expected["inter"] += float(lam.sum())
                    c = _draw(lam, distribution, dispersion, rng)
                    ii, jj = np.nonzero(c)
                    rows.append(ii + sk)
                    cols.append(jj + sm)
                    vals.append(c[ii, jj].astype(np.float64))
        up = sparse.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n))
        counts = (up + up.T).tocsr()
        counts.sort_indices()
    return HiCSimulation(counts=counts, X=X, beta=float(beta), bias=bias, lengths=lengths, alpha=alpha,
                         centers=centers, expected_total=expected, params=params)


def _shape_sum(X, bias, alpha) -> float:
    """Σ_{i<j} b_i b_j d_ij^α, computed row block by row block (O(n) memory per block)."""
    n, total = X.shape[0], 0.0
    for start in range(0, n - 1, 512):
        stop = min(start + 512, n - 1)
        d2 = ((X[start:stop, None, :] - X[None, :, :]) ** 2).sum(axis=2)
        mask = np.arange(n)[None, :] > np.arange(start, stop)[:, None]
        total += float((np.outer(bias[start:stop], bias)[mask] * d2[mask] ** (alpha / 2.0)).sum())
    return total
