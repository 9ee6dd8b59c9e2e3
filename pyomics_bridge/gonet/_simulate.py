"""Synthetic expression with a planted GO-structured phenotype on a real GO architecture (known true terms)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._conventions import ValidationError
from ._ontology import GOLayers

TASKS = ("linear", "and", "or", "xor")


@dataclass
class GOSimulation:
    """Result of :func:`simulate_go_phenotype`.

    Attributes
    ----------
    X
        Samples × genes (standardised), columns = ``layers.genes``.
    y
        0/1 labels.
    layers
        The architecture the data was generated on (restricted to ``n_terms`` deepest-level terms).
    planted
        The planted deepest-level GO ids.
    truth
        Per GO level, the planted terms and their ancestors in the layers (the softer upper-level target).
    weights, activity
        The planted weights and the per-sample term activities (samples × deepest-level terms).
    """

    X: np.ndarray
    y: np.ndarray
    layers: GOLayers
    planted: list[str]
    truth: dict[int, list[str]] = field(default_factory=dict)
    weights: np.ndarray | None = None
    activity: np.ndarray | None = None


def simulate_go_phenotype(layers: GOLayers, *, n_samples: int = 1000, n_terms: int | None = 300,
                          n_planted: int = 3, task: str = "linear", min_genes: int = 5, max_genes: int = 100,
                          noise_sd: float = 0.5, label_noise_sd: float = 0.5, random_state=0) -> GOSimulation:
    """Plant a phenotype driven by a few GO terms of the deepest layer.

    1. Keep ``n_terms`` random deepest-level terms with ``min_genes``..``max_genes`` genes (and the
       ancestor-closed upper layers): ``layers.subset``.
    2. Each term has an activity ``z_t ~ N(0, 1)`` per sample; gene ``g`` = Σ over its terms of
       ``a_gt z_t / sqrt(#terms of g)`` with ``a_gt ~ U(0.5, 1.5)``, plus ``N(0, noise_sd²)``; genes standardised.
    3. ``n_planted`` terms (among those with ≥ ``min_genes`` genes) are planted: ``"linear"``:
       ``y = 1[Σ w_t z_t + ε > 0]``, ``w_t ~ U(0.5, 1.5)`` with random signs, ``ε ~ N(0, label_noise_sd²)``;
       ``"and"``/``"or"``/``"xor"``: of the signs of the first two planted terms' (noisy) activities.
    """
    if task not in TASKS:
        raise ValidationError(f"task must be one of {list(TASKS)}, got {task!r}")
    if task != "linear" and n_planted < 2:
        raise ValidationError(f"task {task!r} needs n_planted >= 2")
    from .._parallel import root_seed_sequence

    rng = np.random.default_rng(root_seed_sequence(random_state))
    m0 = layers.mask(0)
    size = np.asarray(m0.sum(axis=0)).ravel()
    ok = np.flatnonzero((size >= min_genes) & (size <= max_genes))
    if n_terms is not None:
        if len(ok) < n_terms:
            raise ValidationError(f"only {len(ok)} deepest-level terms have {min_genes}..{max_genes} genes; "
                                  f"n_terms={n_terms} requested")
        ok = np.sort(rng.choice(ok, size=n_terms, replace=False))
    sub = layers.subset([layers.terms[0][i] for i in ok])
    if n_planted > len(sub.terms[0]) - 1:
        raise ValidationError(f"n_planted={n_planted} is too large for {len(sub.terms[0])} terms")
    m = sub.mask(0).tocsc().astype(float)  # genes × terms
    n_genes, n_t = m.shape
    a = m.copy()
    a.data = rng.uniform(0.5, 1.5, size=a.nnz)
    per_gene = np.asarray(m.sum(axis=1)).ravel()
    z = rng.standard_normal((n_samples, n_t))
    X = np.asarray(a @ z.T).T / np.sqrt(np.maximum(per_gene, 1))[None, :]
    X = X + rng.normal(0.0, noise_sd, size=X.shape)
    X = (X - X.mean(0)) / np.maximum(X.std(0), 1e-12)
    planted_idx = np.sort(rng.choice(n_t, size=n_planted, replace=False))
    w = rng.uniform(0.5, 1.5, size=n_planted) * rng.choice([-1.0, 1.0], size=n_planted)
    eps = rng.normal(0.0, label_noise_sd, size=(n_samples, n_planted))
    zp = z[:, planted_idx]
    if task == "linear":
        y = (zp @ w + eps[:, 0] > 0).astype(int)
    else:
        s1, s2 = (zp[:, 0] + eps[:, 0] > 0), (zp[:, 1] + eps[:, 1] > 0)
        y = {"and": s1 & s2, "or": s1 | s2, "xor": s1 ^ s2}[task].astype(int)
    planted = [sub.terms[0][i] for i in planted_idx]
    truth = {sub.levels[0]: list(planted)}
    cur = set(planted_idx.tolist())
    for k in range(1, len(sub.terms)):
        e = sub.edges[k]
        cur = set(e[np.isin(e[:, 0], list(cur)), 1].tolist())
        truth[sub.levels[k]] = [sub.terms[k][i] for i in sorted(cur)]
    return GOSimulation(X=X.astype(np.float32), y=y, layers=sub, planted=planted, truth=truth, weights=w, activity=z)
