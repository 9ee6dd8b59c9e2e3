"""Consensus clustering of samples (Monti et al. 2003) with the PAC criterion (Şenbabaoğlu et al. 2014).

Typical input: sample components of a multi-omics model (PCA per block, block PLS / DIABLO variates), n × d.

Algorithm, for every number of clusters k in ``k_range``:

1. ``n_resamples`` times, draw ``round(subsample · n)`` samples without replacement (and, optionally, a fraction
   of the columns) and cluster them into k groups with k-means or agglomerative clustering;
2. the **consensus matrix** is ``M[i, j] = (# resamples where i and j fall in the same cluster) /
   (# resamples where both i and j were drawn)`` (0 when a pair was never drawn together; diagonal 1);
3. the **CDF** of the off-diagonal consensus values (the upper triangle, one value per pair) and its area, and
   Monti's relative increase of that area ``Δ(k)``;
4. **PAC** (proportion of ambiguous clustering) ``= CDF_k(u₂) − CDF_k(u₁)``: the fraction of pairs whose
   consensus lies in ``(u₁, u₂]`` (default ``(0.1, 0.9]``); the chosen k is the one with the **lowest PAC**
   (ties: the smallest such k);
5. **final labels** per k: average-linkage hierarchical clustering of ``1 − M`` cut into k clusters (as Monti
   et al.), labels ``0..k−1`` numbered by decreasing cluster size (ties by first sample).

Resamples run through :func:`pyomics_bridge._parallel.parallel_map`, one child seed per resample, so results
depend on ``random_state`` only, never on ``n_jobs`` or the joblib backend. Memory: the consensus matrix is n × n
by definition (one float64 matrix per k: 8·n² bytes each, 80 MB per k at n = 3,000); the co-clustering counts are
computed as one matrix product per k over the resamples' one-hot indicators (n × Σ clusters), so the method is
meant for up to a few thousand samples.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._conventions import ValidationError
from .._parallel import parallel_map

__all__ = ["ConsensusClustering", "kmeans", "pac_score", "consensus_cdf", "consensus_labels", "relabel_by_size"]

METHODS = ("kmeans", "hierarchical")
LINKAGES = ("average", "complete", "single", "ward")


def _k_values(k_range) -> list[int]:
    if isinstance(k_range, range):
        ks = list(k_range)
    elif isinstance(k_range, tuple) and len(k_range) == 2:
        lo, hi = (int(v) for v in k_range)
        ks = list(range(lo, hi + 1))
    elif isinstance(k_range, (int, np.integer)):
        ks = [int(k_range)]
    else:
        ks = [int(v) for v in k_range]
    if not ks:
        raise ValidationError(f"k_range gives no number of clusters: {k_range!r}")
    if min(ks) < 2:
        raise ValidationError(f"k_range values must be >= 2, got {ks}")
    if len(set(ks)) != len(ks):
        raise ValidationError(f"k_range has duplicates: {ks}")
    return sorted(ks)


def relabel_by_size(labels: np.ndarray) -> np.ndarray:
    """Renumber cluster labels 0..k−1 by decreasing size (ties: the cluster whose first sample comes first)."""
    labels = np.asarray(labels)
    uniq, first, counts = np.unique(labels, return_index=True, return_counts=True)
    order = sorted(range(len(uniq)), key=lambda i: (-counts[i], first[i]))
    mapping = {uniq[i]: new for new, i in enumerate(order)}
    return np.asarray([mapping[v] for v in labels], dtype=np.int64)


def consensus_cdf(consensus: np.ndarray, thresholds: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Empirical CDF of the upper-triangle (i < j) consensus values at ``thresholds`` (default 0, 0.01, ..., 1)."""
    c = np.asarray(consensus, dtype=float)
    vals = np.sort(c[np.triu_indices(c.shape[0], 1)])
    grid = np.linspace(0.0, 1.0, 101) if thresholds is None else np.asarray(thresholds, float)
    return grid, np.searchsorted(vals, grid, side="right") / max(vals.size, 1)


def pac_score(consensus: np.ndarray, window: tuple[float, float] = (0.1, 0.9)) -> float:
    """PAC: fraction of sample pairs (i < j) whose consensus lies in ``(u1, u2]`` = CDF(u2) − CDF(u1)."""
    u1, u2 = window
    c = np.asarray(consensus, dtype=float)
    vals = c[np.triu_indices(c.shape[0], 1)]
    if vals.size == 0:
        return float("nan")
    return float(np.mean((vals > u1) & (vals <= u2)))


def _cdf_area(consensus: np.ndarray) -> float:
    """Area under the empirical CDF of the consensus values on [0, 1] (Monti's A(k)) = 1 − mean value."""
    c = np.asarray(consensus, dtype=float)
    vals = c[np.triu_indices(c.shape[0], 1)]
    return float(1.0 - vals.mean()) if vals.size else float("nan")


def consensus_labels(consensus: np.ndarray, k: int, *, linkage: str = "average") -> np.ndarray:
    """Cut a hierarchical clustering of the distance ``1 − consensus`` into ``k`` clusters (labels by size)."""
    from scipy.cluster.hierarchy import fcluster
    from scipy.cluster.hierarchy import linkage as _linkage
    from scipy.spatial.distance import squareform

    d = 1.0 - np.asarray(consensus, dtype=float)
    d = (d + d.T) / 2.0
    np.fill_diagonal(d, 0.0)
    d = np.clip(d, 0.0, None)
    Z = _linkage(squareform(d, checks=False), method=linkage)
    return relabel_by_size(fcluster(Z, t=k, criterion="maxclust"))


def kmeans(X: np.ndarray, k: int, rng: np.random.Generator, *, n_init: int = 5, max_iter: int = 100,
           tol: float = 1e-8) -> np.ndarray:
    """Lloyd's k-means with k-means++ seeding, best of ``n_init`` starts (lowest within-cluster sum of squares).

    A small numpy implementation: for the few-dimensional component matrices clustered here it is much faster
    than a general-purpose implementation with thread-pool start-up on every call, and it is seeded by ``rng``.
    """
    n = X.shape[0]
    sq = np.einsum("ij,ij->i", X, X)
    best, best_inertia = None, np.inf
    for _ in range(n_init):
        centres = np.empty((k, X.shape[1]))
        centres[0] = X[rng.integers(n)]
        d2 = np.maximum(sq - 2 * X @ centres[0] + centres[0] @ centres[0], 0.0)
        for c in range(1, k):
            total = d2.sum()
            j = rng.choice(n, p=d2 / total) if total > 0 else rng.integers(n)
            centres[c] = X[j]
            d2 = np.minimum(d2, np.maximum(sq - 2 * X @ centres[c] + centres[c] @ centres[c], 0.0))
        labels = np.zeros(n, dtype=np.int64)
        for _ in range(max_iter):
            dist = sq[:, None] - 2 * X @ centres.T + np.einsum("ij,ij->i", centres, centres)[None, :]
            labels = np.argmin(dist, axis=1)
            onehot = np.zeros((n, k))
            onehot[np.arange(n), labels] = 1.0
            size = onehot.sum(axis=0)
            new = (onehot.T @ X) / np.maximum(size, 1.0)[:, None]
            for c in np.flatnonzero(size == 0):  # empty cluster: restart it at the point farthest from its centre
                far = int(np.argmax(dist[np.arange(n), labels]))
                new[c] = X[far]
            shift = float(np.sum((new - centres) ** 2))
            centres = new
            if shift <= tol:
                break
        dist = sq[:, None] - 2 * X @ centres.T + np.einsum("ij,ij->i", centres, centres)[None, :]
        labels = np.argmin(dist, axis=1)
        inertia = float(dist[np.arange(n), labels].sum())
        if inertia < best_inertia - 1e-12:
            best, best_inertia = labels, inertia
    return best


def _resample_task(task, rng: np.random.Generator):
    """One resample: the drawn rows and, per k, their cluster labels."""
    X, ks, m, feature_m, method, linkage, n_init = task
    n, d = X.shape
    rows = np.sort(rng.choice(n, size=m, replace=False))
    cols = np.sort(rng.choice(d, size=feature_m, replace=False)) if feature_m < d else np.arange(d)
    sub = X[np.ix_(rows, cols)]
    labels = np.empty((len(ks), m), dtype=np.int64)
    if method == "hierarchical":
        from scipy.cluster.hierarchy import fcluster
        from scipy.cluster.hierarchy import linkage as _linkage

        Z = _linkage(sub, method=linkage, metric="euclidean")
        for i, k in enumerate(ks):
            labels[i] = fcluster(Z, t=k, criterion="maxclust") - 1
    else:
        for i, k in enumerate(ks):
            labels[i] = kmeans(sub, k, rng, n_init=n_init)
    return rows, labels


class ConsensusClustering:
    """Consensus clustering with PAC-based choice of the number of clusters.

    Parameters
    ----------
    k_range
        Numbers of clusters tried: a 2-tuple ``(k_min, k_max)`` (inclusive), a ``range``, or a list of values.
    n_resamples
        Number of resamples (Monti et al. use 500–1000; 100 is usually enough to rank k).
    subsample
        Fraction of the samples drawn (without replacement) in each resample.
    feature_subsample
        Fraction of the columns drawn in each resample (1.0: all).
    method
        ``"kmeans"`` (Lloyd's algorithm with k-means++ seeding, best of ``n_init`` starts, seeded from the
        resample's generator: :func:`kmeans`) or
        ``"hierarchical"`` (agglomerative clustering of the resample with ``linkage``, Euclidean distance).
    linkage
        Linkage of the ``"hierarchical"`` method (``"average"``, ``"complete"``, ``"single"``, ``"ward"``).
    final_linkage
        Linkage of the clustering of ``1 − consensus`` that gives the final labels.
    pac_window
        ``(u1, u2)`` of the PAC.
    n_init
        k-means starts per fit.
    random_state
        Root seed; resample r uses its r-th child seed.
    n_jobs
        joblib workers for the resamples (results do not depend on it).
    progress
        Show a progress bar (``None``: only in a terminal).

    Attributes
    ----------
    k_values_
        The k tried (sorted).
    consensus_
        ``{k: n × n consensus matrix}``.
    pac_
        Series (index k) of PAC values.
    area_, delta_area_
        Series (index k): area under the consensus CDF and Monti's relative increase Δ(k) (Δ of the first k = its
        area).
    cdf_
        DataFrame (thresholds 0, 0.01, ..., 1 × k) of the consensus CDFs.
    best_k_
        The k with the lowest PAC (ties: the smallest).
    labels_per_k_
        ``{k: labels}`` from the clustering of ``1 − consensus``.
    labels_
        ``labels_per_k_[best_k_]``.
    cluster_consensus_
        ``{k: array (k,)}``: mean consensus between distinct members of each final cluster (NaN for singletons).
    pair_counts_
        n × n number of resamples in which each pair was drawn together.
    """

    def __init__(
        self,
        k_range=(2, 6),
        *,
        n_resamples: int = 100,
        subsample: float = 0.8,
        feature_subsample: float = 1.0,
        method: str = "kmeans",
        linkage: str = "average",
        final_linkage: str = "average",
        pac_window: tuple[float, float] = (0.1, 0.9),
        n_init: int = 5,
        random_state=None,
        n_jobs: int | None = None,
        progress: bool | None = None,
    ):
        self.k_range = k_range
        self.n_resamples = n_resamples
        self.subsample = subsample
        self.feature_subsample = feature_subsample
        self.method = method
        self.linkage = linkage
        self.final_linkage = final_linkage
        self.pac_window = pac_window
        self.n_init = n_init
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.progress = progress

    def _validate(self, X: np.ndarray) -> tuple[list[int], int, int]:
        if X.ndim != 2:
            raise ValidationError(f"X must be a 2-d array (samples × components), got shape {X.shape}")
        if not np.isfinite(X).all():
            raise ValidationError("X contains NaN or infinite values; impute or drop those samples first")
        n, d = X.shape
        if self.method not in METHODS:
            raise ValidationError(f"method must be one of {list(METHODS)}, got {self.method!r}")
        for name, value in (("linkage", self.linkage), ("final_linkage", self.final_linkage)):
            if value not in LINKAGES:
                raise ValidationError(f"{name} must be one of {list(LINKAGES)}, got {value!r}")
        if self.final_linkage == "ward":
            raise ValidationError("final_linkage='ward' needs Euclidean data; use 'average' or 'complete'")
        if isinstance(self.n_resamples, bool) or not isinstance(self.n_resamples, (int, np.integer)) \
                or self.n_resamples < 1:
            raise ValidationError(f"n_resamples must be a positive integer, got {self.n_resamples!r}")
        for name, value in (("subsample", self.subsample), ("feature_subsample", self.feature_subsample)):
            if not 0.0 < float(value) <= 1.0:
                raise ValidationError(f"{name} must be in (0, 1], got {value!r}")
        u1, u2 = self.pac_window
        if not 0.0 <= u1 < u2 <= 1.0:
            raise ValidationError(f"pac_window must be (u1, u2) with 0 <= u1 < u2 <= 1, got {self.pac_window!r}")
        ks = _k_values(self.k_range)
        m = int(round(float(self.subsample) * n))
        if max(ks) > m:
            raise ValidationError(f"k_range goes up to {max(ks)} but a resample has only {m} of the {n} samples "
                                  f"(subsample={self.subsample})")
        fm = max(1, int(round(float(self.feature_subsample) * d)))
        return ks, m, fm

    def fit(self, X, y=None):
        """Resample, cluster, build the consensus matrices and choose k; returns ``self``."""
        index = X.index if isinstance(X, pd.DataFrame) else None
        X = np.asarray(X, dtype=np.float64)
        ks, m, fm = self._validate(X)
        n = X.shape[0]
        H = int(self.n_resamples)
        task = (X, ks, m, fm, self.method, self.linkage, int(self.n_init))
        results = parallel_map(_resample_task, [task] * H, n_jobs=self.n_jobs, random_state=self.random_state,
                               progress=self.progress, desc="consensus resamples")
        # pair counts: S Sᵀ with S the n × H drawn-indicator
        S = np.zeros((n, H))
        for h, (rows, _) in enumerate(results):
            S[rows, h] = 1.0
        counts = S @ S.T
        self.k_values_ = ks
        self.consensus_, self.labels_per_k_, self.cluster_consensus_ = {}, {}, {}
        pac, area = {}, {}
        with np.errstate(invalid="ignore", divide="ignore"):
            for i, k in enumerate(ks):
                A = np.zeros((n, H * k))  # one-hot indicators of every resample's clusters
                for h, (rows, labels) in enumerate(results):
                    A[rows, h * k + labels[i]] = 1.0
                together = A @ A.T
                M = np.where(counts > 0, together / counts, 0.0)
                np.fill_diagonal(M, 1.0)
                self.consensus_[k] = M
                pac[k] = pac_score(M, tuple(self.pac_window))
                area[k] = _cdf_area(M)
                lab = consensus_labels(M, k, linkage=self.final_linkage)
                self.labels_per_k_[k] = lab
                cc = np.full(k, np.nan)
                for c in range(k):
                    members = np.flatnonzero(lab == c)
                    if members.size > 1:
                        sub = M[np.ix_(members, members)]
                        cc[c] = (sub.sum() - members.size) / (members.size * (members.size - 1))
                self.cluster_consensus_[k] = cc
        self.pair_counts_ = counts
        self.pac_ = pd.Series(pac, name="PAC", dtype=float).rename_axis("k")
        self.area_ = pd.Series(area, name="area", dtype=float).rename_axis("k")
        a = self.area_.to_numpy()
        delta = np.empty_like(a)
        delta[0] = a[0]
        delta[1:] = (a[1:] - a[:-1]) / np.where(a[:-1] != 0, a[:-1], np.nan)
        self.delta_area_ = pd.Series(delta, index=self.area_.index, name="delta_area")
        grid = np.linspace(0.0, 1.0, 101)
        self.cdf_ = pd.DataFrame({k: consensus_cdf(self.consensus_[k], grid)[1] for k in ks},
                                 index=pd.Index(np.round(grid, 2), name="consensus"))
        self.cdf_.columns.name = "k"
        values = self.pac_.to_numpy()
        self.best_k_ = int(ks[int(np.nanargmin(values))])
        self.labels_ = self.labels_per_k_[self.best_k_]
        self.sample_names_ = None if index is None else np.asarray(index.astype(str))
        self.n_samples_ = n
        return self

    def fit_predict(self, X, y=None) -> np.ndarray:
        """Fit and return the labels at the chosen k."""
        return self.fit(X).labels_

    def __repr__(self) -> str:
        return (f"ConsensusClustering(k_range={self.k_range!r}, n_resamples={self.n_resamples}, "
                f"subsample={self.subsample}, method={self.method!r})")
