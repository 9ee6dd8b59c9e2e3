"""Seeded benchmark generator: Markov background, a shared core motif at the centre and planted class differences.

Class 1 ("A") and class 0 ("B") are peaks of the same TF. With strength ``S`` (0 = no signal):

- **core/flank**: the base two positions 3' of the core motif (offset ``W + 1`` from the motif start) is set to
  G in class A and to A in class B, in a fraction ``0.25 S`` of each class;
- **environment**: region ``[-300, -100)`` around the centre is resampled from a GC-rich Markov chain in
  ``0.10 + 0.30 S`` of class A vs ``0.10`` of class B (exact fractions, members drawn at random);
- **co-factors**: motif ``GATAx`` within +-150 bp in ``0.08 + 0.20 S`` of A vs ``0.08`` of B; motif ``CEBPx`` within
  +-400 bp in ``0.08 + 0.20 S`` of B vs ``0.08`` of A (random strand, never overlapping the core).

Further scenarios (spec section 7) add two determinants, each with its own strength:

- **grammar** (``G``): a co-factor ``SOXx`` on the core's strand in ``0.40 G`` of *both* classes, at a fixed
  spacing (start 8 bp after the core's end) in class A and shifted 10-25 bp further downstream in class B. Both
  positions lie in the same 50-bp bins and the same co-factor windows, so no additive feature of the three
  families separates the classes; only a model of relative position (a CNN, a gapped k-mer SVM) can. This is a
  documented deficit of the additive model, not a bug;
- **paralog** (``P``): in ``0.5 P`` of class B the core site is drawn from a paralogous motif ``FOXy`` that differs
  from the target at two positions (offset 6: A -> A/G; offset 9: A/T -> C/G), so the core family must learn a
  discriminative logo; anchoring still uses the target motif.

Sequences are generated in the motif's orientation, then half of them are reverse-complemented, so a pipeline
must re-orient on the anchor's strand. All motifs are designed here from IUPAC consensus strings (they are
stand-ins for FOXA1, GATA1 and CEBPB, not JASPAR matrices).
"""

from __future__ import annotations

import numpy as np

from .._parallel import root_seed_sequence
from ._io import Motif
from ._sequences import N_CODE, kmer_index, reverse_complement

# order-1 transition matrices (rows: previous base A, C, G, T); CpG depleted, GC ~ 0.42
BACKGROUND_CHAIN = np.array([
    [0.33, 0.17, 0.24, 0.26],
    [0.35, 0.26, 0.05, 0.34],
    [0.29, 0.21, 0.26, 0.24],
    [0.22, 0.20, 0.25, 0.33],
])
GC_RICH_CHAIN = np.array([
    [0.20, 0.30, 0.33, 0.17],
    [0.20, 0.33, 0.22, 0.25],
    [0.20, 0.33, 0.30, 0.17],
    [0.12, 0.30, 0.33, 0.25],
])

_IUPAC = {"A": "A", "C": "C", "G": "G", "T": "T", "W": "AT", "S": "CG", "R": "AG", "Y": "CT", "K": "GT",
          "M": "AC", "N": "ACGT"}

_ZERO = {"core": 0.0, "environment": 0.0, "cofactor": 0.0, "grammar": 0.0, "paralog": 0.0}
SCENARIOS = {
    "null": dict(_ZERO),
    "calibrated": {**_ZERO, "core": 1.0, "environment": 1.0, "cofactor": 1.0},
    "strong": {**_ZERO, "core": 2.5, "environment": 2.5, "cofactor": 2.5},
    # GC-rich environment only: the co-factor family must not win by picking CpG-containing motifs
    "confounded": {**_ZERO, "environment": 1.5},
    "grammar": {**_ZERO, "grammar": 1.0},
    "paralog": {**_ZERO, "paralog": 1.0},
}
GRAMMAR_GAP = 8  # bp between the core's end and the SOXx site in class A
GRAMMAR_SHIFT = (10, 25)  # extra bp downstream in class B


def consensus_motif(consensus: str, *, name: str, main: float = 0.85, matrix_id: str = "") -> Motif:
    """A probability matrix from an IUPAC consensus: ``main`` spread over the allowed bases, the rest elsewhere."""
    rows = []
    for ch in consensus.upper():
        allowed = _IUPAC[ch]
        if len(allowed) == 4:
            rows.append(np.full(4, 0.25))
            continue
        row = np.full(4, (1 - main) / (4 - len(allowed)))
        for b in allowed:
            row["ACGT".index(b)] = main / len(allowed)
        rows.append(row)
    return Motif(name=name, matrix=np.array(rows), matrix_id=matrix_id or name, kind="probabilities", nsites=20)


def default_motifs(n_decoys: int = 30, seed: int = 12345) -> dict:
    """Target core motif, the two planted co-factors, ``n_decoys`` random decoy motifs (fixed seed), the
    ``grammar`` co-factor and the ``paralog`` core motif."""
    target = consensus_motif("CTGTTTACTWAG", name="FOXx", matrix_id="SIM0001", main=0.9)
    gata = consensus_motif("TCWGATAAGR", name="GATAx", matrix_id="SIM0002", main=0.92)
    cebp = consensus_motif("ATTGCGCAAT", name="CEBPx", matrix_id="SIM0003")
    sox = consensus_motif("ACCATTGTTC", name="SOXx", matrix_id="SIM0004", main=0.9)
    paralog = consensus_motif("CTGTTTRCTSAG", name="FOXy", matrix_id="SIM0005", main=0.9)
    rng = np.random.default_rng(seed)
    decoys = []
    for i in range(n_decoys):
        w = int(rng.integers(6, 13))
        decoys.append(Motif(name=f"DECOY{i + 1}", matrix=rng.dirichlet(np.full(4, 0.35), size=w),
                            matrix_id=f"SIM{i + 100:04d}", kind="probabilities", nsites=20))
    return {"target": target, "cofactors": [gata, cebp], "decoys": decoys, "grammar": sox, "paralog": paralog}


def fit_markov(codes: np.ndarray, order: int = 1, *, pseudocount: float = 1.0) -> np.ndarray:
    """Transition matrix ``(4^order, 4)`` of an order-``order`` Markov chain fitted on code sequences."""
    idx = kmer_index(np.atleast_2d(codes), order + 1).ravel()
    idx = idx[idx >= 0]
    counts = np.bincount(idx, minlength=4 ** (order + 1)).reshape(4**order, 4) + pseudocount
    return counts / counts.sum(axis=1, keepdims=True)


def sample_markov(trans: np.ndarray, n: int, length: int, rng: np.random.Generator) -> np.ndarray:
    """``(n, length)`` int8 codes from a Markov chain (order from the shape of ``trans``), stationary-ish start."""
    trans = np.asarray(trans, dtype=float)
    order = int(round(np.log(trans.shape[0]) / np.log(4)))
    cum = np.cumsum(trans, axis=1)
    cum[:, -1] = 1.0
    out = np.empty((n, length), dtype=np.int8)
    state = rng.integers(0, 4**order, size=n) if order else np.zeros(n, dtype=np.int64)
    u = rng.random((n, length))
    for t in range(length):
        c = (u[:, t, None] > cum[state]).sum(axis=1)
        out[:, t] = c
        if order:
            state = (state * 4 + c) % (4**order)
    return out


def _exact_fraction(y, p_a: float, p_b: float, rng) -> np.ndarray:
    """Indicator with exactly ``round(p n_class)`` randomly chosen members in each class (no sampling noise in
    the class contrast, so the null scenario has no chance imbalance of planted elements)."""
    out = np.zeros(y.size, dtype=bool)
    for cls, p in ((1, p_a), (0, p_b)):
        members = np.nonzero(y == cls)[0]
        out[rng.choice(members, size=int(round(min(p, 1.0) * members.size)), replace=False)] = True
    return out


def _sample_motif(motif: Motif, n: int, rng) -> np.ndarray:
    p = motif.probabilities
    cum = np.cumsum(p, axis=1)
    cum[:, -1] = 1.0
    u = rng.random((n, p.shape[0]))
    return (u[:, :, None] > cum[None]).sum(axis=2).astype(np.int8)


def simulate_tf_binding(
    *,
    n_per_class: int = 500,
    length: int = 1000,
    scenario: str = "calibrated",
    strengths: dict | None = None,
    n_decoys: int = 30,
    background="builtin",
    random_state=0,
) -> dict:
    """Simulate two classes of peak sequences with planted determinants (see module docstring).

    ``scenario`` is one of ``"null"``, ``"calibrated"``, ``"strong"``, ``"confounded"``, ``"grammar"``,
    ``"paralog"``; ``strengths`` overrides its strengths (keys ``core``, ``environment``, ``cofactor``,
    ``grammar``, ``paralog``).

    Returns a dict with ``codes`` (``(2 n, length)`` int8), ``y`` (1 = class A), ``truth`` (per-sequence indicator
    arrays ``flank``, ``environment``, ``cofactor_A``, ``cofactor_B``, ``grammar`` (the class-A positioned
    ``SOXx`` site), ``grammar_site`` (a ``SOXx`` site at either spacing), ``paralog`` (core drawn from ``FOXy``)
    plus ``strand`` and ``core_start``), ``motifs`` (target, cofactors, decoys, grammar, paralog) and ``params``.

    ``background`` chooses the Markov chains of the background and of the GC-rich segments: ``"builtin"`` (order 1,
    designed here; the default, available everywhere), ``"peaks"`` (order 2, fitted on the real Oct4 + MafK peaks of
    the janggu wheel, :func:`markov_from_peaks`; an error when absent), ``"auto"`` (``"peaks"`` when available,
    else ``"builtin"``: the chosen one is in ``params["background"]``), or a dict with ``background`` and
    ``gc_rich`` transition matrices.
    """
    if scenario not in SCENARIOS:
        raise ValueError(f"scenario must be one of {list(SCENARIOS)}, got {scenario!r}")
    if length < 200:
        raise ValueError("length must be >= 200")
    s = dict(SCENARIOS[scenario])
    unknown = sorted(set(strengths or {}) - set(s))
    if unknown:
        raise ValueError(f"strengths has unknown keys {unknown}; expected a subset of {sorted(s)}")
    s.update(strengths or {})
    motifs = default_motifs(n_decoys)
    target, (gata, cebp) = motifs["target"], motifs["cofactors"]
    chains, bg_name = _chains(background)
    rng = np.random.default_rng(root_seed_sequence(random_state))
    n = 2 * n_per_class
    y = np.repeat([1, 0], n_per_class).astype(np.int8)
    codes = sample_markov(chains["background"], n, length, rng)
    c = length // 2
    W = target.width
    cs = c - W // 2
    codes[:, cs : cs + W] = _sample_motif(target, n, rng)
    # paralog core sites (class B only); drawn from their own stream so other scenarios are unchanged
    rng_extra = rng.spawn(1)[0]
    paralog = _exact_fraction(y, 0.0, min(0.5 * s["paralog"], 1.0), rng_extra)
    if paralog.any():
        codes[paralog, cs : cs + W] = _sample_motif(motifs["paralog"], int(paralog.sum()), rng_extra)
    # core flank
    flank_pos = cs + W + 1
    p_flank = min(0.25 * s["core"], 1.0)
    flank = _exact_fraction(y, p_flank, p_flank, rng)
    codes[flank & (y == 1), flank_pos] = 2  # G
    codes[flank & (y == 0), flank_pos] = 0  # A
    # GC-rich environment in [-300, -100)
    a, b = max(c - 300, 0), max(c - 100, 0)
    env = _exact_fraction(y, 0.10 + 0.30 * s["environment"], 0.10, rng)
    if b > a and env.any():
        codes[env, a:b] = sample_markov(chains["gc_rich"], int(env.sum()), b - a, rng)
    # co-factors
    core_lo, core_hi = cs - 2, cs + W + 2
    truth = {}
    for key, motif, radius, favoured in (("cofactor_A", gata, 150, 1), ("cofactor_B", cebp, 400, 0)):
        p_fav = 0.08 + 0.20 * s["cofactor"]
        has = _exact_fraction(y, p_fav if favoured else 0.08, 0.08 if favoured else p_fav, rng)
        w = motif.width
        lo, hi = max(c - radius, 0), min(c + radius - w, length - w)
        idx = np.nonzero(has)[0]
        sites = _sample_motif(motif, idx.size, rng)
        strand = rng.random(idx.size) < 0.5
        sites[strand] = reverse_complement(sites[strand])
        for i, site in zip(idx, sites, strict=True):
            while True:
                pos = int(rng.integers(lo, hi + 1))
                if pos + w <= core_lo or pos >= core_hi:
                    break
            codes[i, pos : pos + w] = site
        truth[key] = has
    # grammar: SOXx on the core's strand, fixed spacing in class A, shifted downstream in class B
    p_gr = min(0.40 * s["grammar"], 1.0)
    site = _exact_fraction(y, p_gr, p_gr, rng_extra)
    if site.any():
        sox = motifs["grammar"]
        idx = np.nonzero(site)[0]
        start = np.full(idx.size, cs + W + GRAMMAR_GAP)
        in_b = y[idx] == 0
        start[in_b] += rng_extra.integers(GRAMMAR_SHIFT[0], GRAMMAR_SHIFT[1] + 1, size=int(in_b.sum()))
        if start.max() + sox.width > length:
            raise ValueError("length is too short for the grammar scenario")
        sites = _sample_motif(sox, idx.size, rng_extra)
        cols = start[:, None] + np.arange(sox.width)[None, :]
        codes[idx[:, None], cols] = sites
    truth["grammar"] = site & (y == 1)
    truth["grammar_site"] = site
    truth["paralog"] = paralog
    # random orientation of the whole sequence
    minus = rng.random(n) < 0.5
    codes[minus] = reverse_complement(codes[minus])
    core_start = np.where(minus, length - cs - W, cs)
    truth.update({"flank": flank, "environment": env, "strand": np.where(minus, -1, 1), "core_start": core_start})
    assert codes.max() < N_CODE
    return {"codes": codes, "y": y, "truth": truth, "motifs": motifs,
            "params": {"n_per_class": n_per_class, "length": length, "scenario": scenario, "background": bg_name, **s}}


def _chains(background) -> tuple[dict, str]:
    if isinstance(background, dict):
        return {"background": np.asarray(background["background"], dtype=float),
                "gc_rich": np.asarray(background["gc_rich"], dtype=float)}, "custom"
    if background == "builtin":
        return {"background": BACKGROUND_CHAIN, "gc_rich": GC_RICH_CHAIN}, "builtin"
    if background in ("peaks", "auto"):
        from ._realdata import markov_from_peaks

        try:
            return markov_from_peaks(), "peaks"
        except FileNotFoundError:
            if background == "peaks":
                raise
            return {"background": BACKGROUND_CHAIN, "gc_rich": GC_RICH_CHAIN}, "builtin"
    raise ValueError(f"background must be 'builtin', 'peaks', 'auto' or a dict of chains, got {background!r}")
