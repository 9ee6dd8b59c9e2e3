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
    driver
        ``drivers="subgroup"`` only: per sample, the index in ``planted`` of the term that drives its label
        (``None`` for ``drivers="shared"``; use :attr:`sample_truth` for the GO ids).
    """

    X: np.ndarray
    y: np.ndarray
    layers: GOLayers
    planted: list[str]
    truth: dict[int, list[str]] = field(default_factory=dict)
    weights: np.ndarray | None = None
    activity: np.ndarray | None = None
    driver: np.ndarray | None = None

    @property
    def sample_truth(self) -> list[list[str]]:
        """Per sample, the planted deepest-level terms that drive its label: its own driver term with
        ``drivers="subgroup"``, all planted terms with ``drivers="shared"``."""
        if self.driver is None:
            return [list(self.planted) for _ in range(len(self.y))]
        return [[self.planted[int(d)]] for d in self.driver]


def simulate_go_phenotype(layers: GOLayers, *, n_samples: int = 1000, n_terms: int | None = 300,
                          n_planted: int = 3, task: str = "linear", min_genes: int = 5, max_genes: int = 100,
                          noise_sd: float = 0.5, label_noise_sd: float = 0.5, drivers: str = "shared",
                          driver_scale: float = 3.0, loadings: str = "positive", random_state=0) -> GOSimulation:
    """Plant a phenotype driven by a few GO terms of the deepest layer.

    1. Keep ``n_terms`` random deepest-level terms with ``min_genes``..``max_genes`` genes (and the
       ancestor-closed upper layers): ``layers.subset``.
    2. Each term has an activity ``z_t ~ N(0, 1)`` per sample; gene ``g`` = Σ over its terms of
       ``a_gt z_t / sqrt(#terms of g)`` with ``a_gt ~ U(0.5, 1.5)``, plus ``N(0, noise_sd²)``; genes standardised.
    3. ``n_planted`` terms (among those with ≥ ``min_genes`` genes) are planted: ``"linear"``:
       ``y = 1[Σ w_t z_t + ε > 0]``, ``w_t ~ U(0.5, 1.5)`` with random signs, ``ε ~ N(0, label_noise_sd²)``;
       ``"and"``/``"or"``/``"xor"``: of the signs of the first two planted terms' (noisy) activities.

    ``drivers="subgroup"`` (per-sample drivers, for per-sample explanation precision; ``task="linear"`` only):
    each sample belongs to one of ``n_planted`` equally likely subgroups; in subgroup ``k`` the planted term
    ``k`` is switched on (its activity is ``N(0, driver_scale²)`` instead of ``N(0, 1)``, so the subgroup is
    visible in the expression) and is the only term driving the label, ``y = 1[w_k z_k + ε > 0]``. The
    per-sample truth is ``GOSimulation.driver`` / ``sample_truth``. The default ``drivers="shared"`` draws
    exactly the same data as before the option existed.

    Regime parameters: ``noise_sd`` sets the per-gene signal-to-noise ratio (a term with ``g`` genes averages it
    over ``g``, so larger ``noise_sd`` means weak genes but still informative terms: the gene-set regime);
    ``loadings="signed"`` gives each gene → term loading a random sign (``a_gt ~ ±U(0.5, 1.5)``), so a term's
    plain gene mean no longer tracks its activity; the default ``"positive"`` draws exactly the same data as
    before the option existed.
    """
    if task not in TASKS:
        raise ValidationError(f"task must be one of {list(TASKS)}, got {task!r}")
    if drivers not in ("shared", "subgroup"):
        raise ValidationError(f"drivers must be 'shared' or 'subgroup', got {drivers!r}")
    if drivers == "subgroup" and (task != "linear" or n_planted < 2 or not driver_scale > 0):
        raise ValidationError(f"drivers='subgroup' needs task='linear', n_planted >= 2 and driver_scale > 0; got "
                              f"task={task!r}, n_planted={n_planted}, driver_scale={driver_scale}")
    if task != "linear" and n_planted < 2:
        raise ValidationError(f"task {task!r} needs n_planted >= 2")
    if loadings not in ("positive", "signed"):
        raise ValidationError(f"loadings must be 'positive' or 'signed', got {loadings!r}")
    if not noise_sd >= 0:
        raise ValidationError(f"noise_sd must be >= 0, got {noise_sd}")
    from .._parallel import root_seed_sequence

    rng = np.random.default_rng(root_seed_sequence(random_state))
    sub = _select_terms(layers, n_terms, min_genes, max_genes, rng)
    if n_planted > len(sub.terms[0]) - 1:
        raise ValidationError(f"n_planted={n_planted} is too large for {len(sub.terms[0])} terms")
    biology = _biology(sub, rng, signed=loadings == "signed")
    if drivers == "subgroup":
        return _subgroup_drivers(sub, biology, n_samples, n_planted, noise_sd, label_noise_sd, driver_scale, rng)
    z, X = _sample_expression(biology, n_samples, noise_sd, rng)
    planted_idx = np.sort(rng.choice(biology["n_terms"], size=n_planted, replace=False))
    w = rng.uniform(0.5, 1.5, size=n_planted) * rng.choice([-1.0, 1.0], size=n_planted)
    y = _label(z[:, planted_idx], w, task, label_noise_sd, rng)
    return _result(sub, X, y, planted_idx, w, z)


def _subgroup_drivers(sub, biology, n_samples, n_planted, noise_sd, label_noise_sd, driver_scale, rng):
    planted_idx = np.sort(rng.choice(biology["n_terms"], size=n_planted, replace=False))
    w = rng.uniform(0.5, 1.5, size=n_planted) * rng.choice([-1.0, 1.0], size=n_planted)
    driver = rng.integers(0, n_planted, size=n_samples)
    rows = np.arange(n_samples)
    scale = np.ones((n_samples, biology["n_terms"]))
    scale[rows, planted_idx[driver]] = driver_scale
    z, X = _sample_expression(biology, n_samples, noise_sd, rng, scale=scale)
    eps = rng.normal(0.0, label_noise_sd, size=n_samples)
    y = (w[driver] * z[rows, planted_idx[driver]] + eps > 0).astype(int)
    res = _result(sub, X, y, planted_idx, w, z)
    res.driver = driver
    return res


def simulate_go_transfer(layers: GOLayers, *, n_source: int = 5000, n_target: int = 1000, n_terms: int | None = 150,
                         n_planted: int = 3, n_shared=2, task: str = "linear", min_genes: int = 5,
                         max_genes: int = 100, noise_sd: float = 0.5, label_noise_sd: float = 0.5,
                         random_state=0):
    """Source and target data sets for transfer learning: same genes, same GO architecture and the same gene
    loadings ``a_gt`` (one "biology"), independent samples, and different phenotypes.

    The target phenotype is planted on ``n_planted`` deepest-level terms ``P_t``; a source phenotype on
    ``n_planted`` terms ``P_s`` of which ``n_shared`` are in ``P_t`` and the others are not (``n_shared=0``: an
    unrelated source, to check for negative transfer). Planted weights (signs included) are drawn independently
    for every task. Each data set is standardised on its own.

    Returns ``(source, target)``; with a sequence ``n_shared`` (e.g. ``(2, 0)``), ``([source, ...], target)``,
    one source per entry, all with the same target.
    """
    if task not in TASKS:
        raise ValidationError(f"task must be one of {list(TASKS)}, got {task!r}")
    many = not np.isscalar(n_shared)
    shared = [int(v) for v in (n_shared if many else [n_shared])]
    if not shared or any(not 0 <= v <= n_planted for v in shared):
        raise ValidationError(f"n_shared must be in [0, n_planted={n_planted}], got {n_shared}")
    from .._parallel import root_seed_sequence

    rng = np.random.default_rng(root_seed_sequence(random_state))
    sub = _select_terms(layers, n_terms, min_genes, max_genes, rng)
    n_t = len(sub.terms[0])
    if 2 * n_planted - min(shared) > n_t - 1:
        raise ValidationError(f"n_planted={n_planted} with n_shared={n_shared} is too large for {n_t} terms")
    biology = _biology(sub, rng)
    p_target = np.sort(rng.choice(n_t, size=n_planted, replace=False))
    others = np.setdiff1d(np.arange(n_t), p_target)

    def draw(planted_idx, n):
        z, X = _sample_expression(biology, n, noise_sd, rng)
        w = rng.uniform(0.5, 1.5, size=n_planted) * rng.choice([-1.0, 1.0], size=n_planted)
        return _result(sub, X, _label(z[:, planted_idx], w, task, label_noise_sd, rng), planted_idx, w, z)

    target = draw(p_target, n_target)
    sources = []
    for k in shared:
        p_source = np.sort(np.concatenate([rng.choice(p_target, size=k, replace=False),
                                           rng.choice(others, size=n_planted - k, replace=False)]))
        sources.append(draw(p_source, n_source))
    return (sources if many else sources[0]), target


def _select_terms(layers: GOLayers, n_terms, min_genes: int, max_genes: int, rng) -> GOLayers:
    m0 = layers.mask(0)
    size = np.asarray(m0.sum(axis=0)).ravel()
    ok = np.flatnonzero((size >= min_genes) & (size <= max_genes))
    if n_terms is not None:
        if len(ok) < n_terms:
            raise ValidationError(f"only {len(ok)} deepest-level terms have {min_genes}..{max_genes} genes; "
                                  f"n_terms={n_terms} requested")
        ok = np.sort(rng.choice(ok, size=n_terms, replace=False))
    return layers.subset([layers.terms[0][i] for i in ok])


def _biology(sub: GOLayers, rng, signed: bool = False) -> dict:
    """The gene loadings ``a_gt`` of the deepest-level terms (shared by every data set drawn from them)."""
    m = sub.mask(0).tocsc().astype(float)  # genes × terms
    a = m.copy()
    a.data = rng.uniform(0.5, 1.5, size=a.nnz)
    if signed:
        a.data = a.data * rng.choice([-1.0, 1.0], size=a.nnz)
    per_gene = np.asarray(m.sum(axis=1)).ravel()
    return {"loadings": a, "per_gene": per_gene, "n_terms": m.shape[1]}


def _sample_expression(biology: dict, n_samples: int, noise_sd: float, rng, scale=None):
    a, per_gene = biology["loadings"], biology["per_gene"]
    z = rng.standard_normal((n_samples, biology["n_terms"]))
    if scale is not None:
        z = z * scale
    X = np.asarray(a @ z.T).T / np.sqrt(np.maximum(per_gene, 1))[None, :]
    X = X + rng.normal(0.0, noise_sd, size=X.shape)
    X = (X - X.mean(0)) / np.maximum(X.std(0), 1e-12)
    return z, X


def _label(zp: np.ndarray, w: np.ndarray, task: str, label_noise_sd: float, rng) -> np.ndarray:
    eps = rng.normal(0.0, label_noise_sd, size=zp.shape)
    if task == "linear":
        return (zp @ w + eps[:, 0] > 0).astype(int)
    s1, s2 = (zp[:, 0] + eps[:, 0] > 0), (zp[:, 1] + eps[:, 1] > 0)
    return {"and": s1 & s2, "or": s1 | s2, "xor": s1 ^ s2}[task].astype(int)


def _result(sub: GOLayers, X, y, planted_idx, w, z) -> GOSimulation:
    planted = [sub.terms[0][i] for i in planted_idx]
    truth = {sub.levels[0]: list(planted)}
    cur = set(planted_idx.tolist())
    for k in range(1, len(sub.terms)):
        e = sub.edges[k]
        cur = set(e[np.isin(e[:, 0], list(cur)), 1].tolist())
        truth[sub.levels[k]] = [sub.terms[k][i] for i in sorted(cur)]
    return GOSimulation(X=X.astype(np.float32), y=y, layers=sub, planted=planted, truth=truth, weights=w, activity=z)
