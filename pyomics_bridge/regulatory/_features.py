"""Anchoring and the three TFscope feature families: core (one-hot), environment (region x k-mer), co-factors.

Every family returns ``(F, var)``: a float matrix ``(n, p)`` and a DataFrame indexed by self-describing feature
names with ``family``, ``region_start``/``region_end`` (bp relative to the anchor centre, motif orientation),
``kmer``/``motif``/``base``/``position`` columns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._multiscan import MultiScanner
from ._pvalues import threshold_from_pvalue
from ._pwm import Scanner, best_hits, max_score_in_windows
from ._sequences import ALPHABET, N_CODE, kmer_index, kmer_names, reverse_complement


# ----------------------------------------------------------------------------- anchoring
def anchor_and_orient(
    codes: np.ndarray,
    pwm: np.ndarray,
    *,
    search: int = 50,
    width: int | None = None,
    pvalue: float | None = 1e-3,
    min_score: float | None = None,
    background=None,
) -> tuple[np.ndarray, pd.DataFrame]:
    """Anchor each sequence on the best hit of ``pwm`` within ``+-search`` bp of its centre and orient it.

    The best window over both strands (forward wins ties) is kept when its score reaches ``min_score`` (or the
    exact threshold for ``pvalue``); the sequence is cut to ``width`` bp (default: input length) so that the motif
    starts at ``width // 2 - W // 2``, reverse-complemented for minus-strand hits, and padded with N.

    Returns ``(aligned, info)``: aligned codes of the kept sequences and a per-input DataFrame with ``kept``,
    ``position`` (hit start, input coordinates), ``strand`` and ``score``.
    """
    codes = np.atleast_2d(np.asarray(codes))
    n, L = codes.shape
    W = np.asarray(pwm).shape[0]
    width = L if width is None else int(width)
    c = L // 2
    if L < W or search < 0:
        from .._conventions import ValidationError

        raise ValidationError(f"sequences of length {L} cannot be anchored: the core motif (width {W}) must fit in "
                              f"them and search must be >= 0 (got {search}); the search span +-search around the "
                              "centre is clipped to the sequence")
    hits = best_hits(codes, pwm, start=c - search - W // 2, end=c + search + (W - W // 2))
    if min_score is None:
        min_score = -np.inf if pvalue is None else threshold_from_pvalue(pwm, pvalue, background=background)
    kept = (hits["position"].to_numpy() >= 0) & (hits["score"].to_numpy() >= min_score - 1e-9)
    pos, strand = hits["position"].to_numpy(), hits["strand"].to_numpy()
    plus_start = pos + W // 2 - width // 2
    minus_start = pos + (W - W // 2) - (width - width // 2)
    ws = np.where(strand == 1, plus_start, minus_start)
    padded = np.pad(codes, ((0, 0), (width, width)), constant_values=N_CODE)
    idx = np.nonzero(kept)[0]
    cols = (ws[idx] + width)[:, None] + np.arange(width)[None, :]
    aligned = padded[idx[:, None], cols]
    minus = strand[idx] == -1
    aligned[minus] = reverse_complement(aligned[minus])
    info = hits.assign(kept=kept)
    return aligned, info


def anchor_layout(width: int, motif_width: int) -> tuple[int, int]:
    """``(centre, motif_start)`` of aligned sequences."""
    return width // 2, width // 2 - motif_width // 2


# ----------------------------------------------------------------------------- core
def core_features(aligned: np.ndarray, motif_width: int, *, flank: int = 5) -> tuple[np.ndarray, pd.DataFrame]:
    """One-hot of the ``W + 2 flank`` positions around the anchored site; positions are offsets from the motif
    start (``core[+13]G`` = G two bases 3' of a 12-bp motif)."""
    n, L = aligned.shape
    _, cs = anchor_layout(L, motif_width)
    offsets = np.arange(-flank, motif_width + flank)
    if cs - flank < 0 or cs + motif_width + flank > L:
        from .._conventions import ValidationError

        raise ValidationError(f"aligned sequences of length {L} are too short for the core window: motif width "
                              f"{motif_width} + 2 * flank={flank} needs length >= {motif_width + 2 * flank} "
                              "(check width / flank)")
    block = aligned[:, cs + offsets]
    F = np.zeros((n, offsets.size * 4), dtype=np.float32)
    names, rows = [], []
    for j, off in enumerate(offsets):
        for b, base in enumerate(ALPHABET):
            F[:, 4 * j + b] = block[:, j] == b
            names.append(f"core[{off:+d}]{base}")
            rows.append(("core", int(off), int(off) + 1, "", "", base, int(off)))
    return F, _var(names, rows)


def _var(names, rows) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["family", "region_start", "region_end", "kmer", "motif", "base", "position"],
                      index=pd.Index(names, name="feature"))
    return df


# ----------------------------------------------------------------------------- environment
def _bin_counts(idx: np.ndarray, k: int, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """k-mer counts ``(n, 4^k)`` and valid totals ``(n,)`` for k-mer start positions in ``[lo, hi)``."""
    sub = idx[:, max(lo, 0) : max(hi, 0)]
    n = idx.shape[0]
    ok = sub >= 0
    rows = np.broadcast_to(np.arange(n)[:, None], sub.shape)
    counts = np.bincount((rows[ok] * 4**k + sub[ok]), minlength=n * 4**k).reshape(n, 4**k)
    return counts, ok.sum(axis=1)


def environment_bins(length: int, *, bin_sizes=(50, 100, 250), span: int | None = None) -> list[tuple[int, int]]:
    """Multi-scale bins ``[a, b)`` relative to the centre covering ``[-span, span)``."""
    half = length // 2
    span = half if span is None else min(int(span), half)
    out = []
    for s in bin_sizes:
        edges = np.arange(-span, span + 1, s)
        out += [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:], strict=True)]
    return out


def environment_features(
    aligned: np.ndarray, *, k=(1, 2, 3), bin_sizes=(50, 100, 250), span: int | None = None
) -> tuple[np.ndarray, pd.DataFrame]:
    """k-mer frequencies in fixed multi-scale bins around the anchor (``env[-300,-250)CG``).

    A k-mer belongs to a bin when it lies fully inside; frequencies are counts over the number of valid k-mers.
    """
    n, L = aligned.shape
    c = L // 2
    bins = environment_bins(L, bin_sizes=bin_sizes, span=span)
    blocks, names, rows = [], [], []
    for kk in k:
        idx = kmer_index(aligned, kk)
        km = kmer_names(kk)
        for a, b in bins:
            counts, tot = _bin_counts(idx, kk, c + a, c + b - kk + 1)
            blocks.append((counts / np.maximum(tot, 1)[:, None]).astype(np.float32))
            names += [f"env[{a:+d},{b:+d})k{kk}:{m}" for m in km]
            rows += [("environment", a, b, m, "", "", np.nan) for m in km]
    F = np.hstack(blocks) if blocks else np.zeros((n, 0), np.float32)
    return F, _var(names, rows)


class EnvironmentSearch:
    """Supervised region x k-mer search on a bin lattice (DExTER-like, two classes), fitted on training rows only.

    Sequences are cut into ``bin_size`` bins over ``[-span, span)``; any run of consecutive bins is a candidate
    region. For every k-mer (k <= ``k_max``) the region whose frequency has the largest absolute point-biserial
    correlation with the label (training rows only) is found with prefix sums; the ``n_features`` best
    (k-mer, region) pairs are kept. With ``grow_to``, each kept k-mer is then extended greedily as in DExTER: the
    8 one-base extensions (a base added on either side) are scored the same way (best region each) and the best one
    replaces the k-mer while it increases the absolute correlation, up to length ``grow_to``.
    """

    def __init__(self, *, bin_size: int = 50, span: int | None = None, k_max: int = 3, n_features: int = 20,
                 min_bins: int = 1, max_bins: int | None = None, grow_to: int | None = None):
        self.bin_size = bin_size
        self.span = span
        self.k_max = k_max
        self.n_features = n_features
        self.min_bins = min_bins
        self.max_bins = max_bins
        self.grow_to = grow_to

    def _best_region(self, aligned, kmer: str, yc, cache) -> tuple[float, int, int]:
        """``(r, region_start, region_end)`` of the region maximising ``|r|`` for one k-mer."""
        n, L = aligned.shape
        k = len(kmer)
        c = L // 2
        span = L // 2 if self.span is None else min(self.span, L // 2)
        edges = np.arange(-span, span + 1, self.bin_size)
        if k not in cache:
            cache[k] = kmer_index(aligned, k)
        idx = cache[k]
        code = int(sum("ACGT".index(ch) * 4 ** (k - 1 - i) for i, ch in enumerate(kmer)))
        zeros = np.zeros((n, 1))
        hit = np.concatenate([zeros, np.cumsum(idx == code, axis=1)], axis=1)
        val = np.concatenate([zeros, np.cumsum(idx >= 0, axis=1)], axis=1)
        m = idx.shape[1]
        lo = np.clip(c + edges, 0, m)  # region [edges[i], edges[j]): k-mer starts in [c + e_i, c + e_j - k + 1)
        hi = np.clip(c + edges - k + 1, 0, m)
        regs = self._regions(len(edges) - 1)
        i0 = np.array([r[0] for r in regs])
        j0 = np.array([r[1] for r in regs])
        lo_r, hi_r = lo[i0], np.maximum(hi[j0], lo[i0])
        f = (hit[:, hi_r] - hit[:, lo_r]) / np.maximum(val[:, hi_r] - val[:, lo_r], 1)
        fc = f - f.mean(axis=0)
        sd = fc.std(axis=0)
        r = np.where(sd > 0, (fc * yc[:, None]).mean(axis=0) / np.maximum(sd, 1e-12), 0.0)
        best = int(np.argmax(np.abs(r)))
        return float(r[best]), int(edges[i0[best]]), int(edges[j0[best]])

    def _grow(self, aligned, yc, rows):
        cache: dict = {}
        out = []
        for kmer, _k, a, b, r in rows:
            while len(kmer) < self.grow_to:
                best = None
                for base in "ACGT":
                    for ext in (base + kmer, kmer + base):
                        rr, aa, bb = self._best_region(aligned, ext, yc, cache)
                        if best is None or abs(rr) > abs(best[0]):
                            best = (rr, aa, bb, ext)
                if abs(best[0]) <= abs(r):
                    break
                r, a, b, kmer = best
            out.append((kmer, len(kmer), a, b, r))
        seen, uniq = set(), []
        for row in out:
            if (row[0], row[2], row[3]) not in seen:
                seen.add((row[0], row[2], row[3]))
                uniq.append(row)
        return uniq

    def _prefix(self, aligned, k):
        n, L = aligned.shape
        c = L // 2
        span = L // 2 if self.span is None else min(self.span, L // 2)
        edges = np.arange(-span, span + 1, self.bin_size)
        idx = kmer_index(aligned, k)
        counts, tots = [], []
        for a, b in zip(edges[:-1], edges[1:], strict=True):
            cnt, tot = _bin_counts(idx, k, c + a, c + b - k + 1)
            counts.append(cnt)
            tots.append(tot)
        counts = np.stack(counts, axis=1)  # n, nbins, 4^k
        tots = np.stack(tots, axis=1)
        pc = np.concatenate([np.zeros((n, 1, 4**k)), np.cumsum(counts, axis=1)], axis=1)
        pt = np.concatenate([np.zeros((n, 1)), np.cumsum(tots, axis=1)], axis=1)
        return edges, pc, pt

    def _regions(self, nb):
        mx = nb if self.max_bins is None else self.max_bins
        return [(i, j) for i in range(nb) for j in range(i + self.min_bins, min(i + mx, nb) + 1)]

    def fit(self, aligned: np.ndarray, y: np.ndarray):
        y = np.asarray(y, dtype=float)
        yc = (y - y.mean()) / (y.std() + 1e-12)
        cands = []
        for k in range(1, self.k_max + 1):
            edges, pc, pt = self._prefix(aligned, k)
            regs = self._regions(len(edges) - 1)
            i0 = np.array([r[0] for r in regs])
            j0 = np.array([r[1] for r in regs])
            tot = pt[:, j0] - pt[:, i0]  # n, R
            for m in range(4**k):
                f = (pc[:, j0, m] - pc[:, i0, m]) / np.maximum(tot, 1)
                fc = f - f.mean(axis=0)
                sd = fc.std(axis=0)
                r = np.where(sd > 0, (fc * yc[:, None]).mean(axis=0) / np.maximum(sd, 1e-12), 0.0)
                best = int(np.argmax(np.abs(r)))
                cands.append((abs(r[best]), r[best], k, m, int(edges[i0[best]]), int(edges[j0[best]])))
        cands.sort(key=lambda t: -t[0])
        rows = [(kmer_names(k)[m], k, a, b, r) for _, r, k, m, a, b in cands[: self.n_features]]
        if self.grow_to is not None and self.grow_to > self.k_max:
            rows = self._grow(aligned, yc, rows)
        self.selected_ = pd.DataFrame(rows, columns=["kmer", "k", "region_start", "region_end", "correlation"])
        return self

    def transform(self, aligned: np.ndarray) -> tuple[np.ndarray, pd.DataFrame]:
        n, L = aligned.shape
        c = L // 2
        F = np.zeros((n, len(self.selected_)), dtype=np.float32)
        names, rows = [], []
        for j, (kmer, k, a, b, _) in enumerate(self.selected_.itertuples(index=False)):
            idx = kmer_index(aligned, k)
            sub = idx[:, max(c + a, 0) : max(c + b - k + 1, 0)]
            code = int(sum("ACGT".index(ch) * 4 ** (k - 1 - i) for i, ch in enumerate(kmer)))
            F[:, j] = (sub == code).sum(axis=1) / np.maximum((sub >= 0).sum(axis=1), 1)
            names.append(f"envsearch[{a:+d},{b:+d}):{kmer}")
            rows.append(("environment", a, b, kmer, "", "", np.nan))
        return F, _var(names, rows)


# ----------------------------------------------------------------------------- co-factors
def cofactor_features(
    aligned: np.ndarray,
    pwms: dict[str, np.ndarray],
    motif_width: int,
    *,
    windows=(50, 150, 500),
    stat: str = "max",
    exclude_core: bool = True,
    n_jobs: int | None = None,
) -> tuple[np.ndarray, pd.DataFrame]:
    """Best (or log-sum-exp) log-odds score of each co-factor PWM, both strands, within ``+-w`` bp of the anchor
    centre for each ``w`` in ``windows`` (``cof[+-150]GATAx``). With ``exclude_core`` windows overlapping the
    anchored core site are ignored, so the core motif cannot leak into this family. ``"max"`` uses the
    table-lookup :class:`MultiScanner` (all motifs at once, ``n_jobs`` threads over sequence chunks)."""
    n, L = aligned.shape
    c, cs = anchor_layout(L, motif_width)
    wins = [(c - w, c + w) for w in windows]
    mask = (cs, cs + motif_width) if exclude_core else None
    labels = list(pwms)
    mats = [np.asarray(pwms[k], dtype=float) for k in labels]
    if stat == "max" and mats:
        vals = MultiScanner(mats).best_scores(aligned, windows=wins, mask=mask, n_jobs=n_jobs).astype(np.float64)
    else:
        scanner = Scanner(aligned)
        vals = np.stack([max_score_in_windows(scanner, p, wins, mask=mask, stat=stat) for p in mats], axis=1) \
            if mats else np.zeros((n, 0, len(wins)))
    names, rows = [], []
    for j, (label, pwm) in enumerate(zip(labels, mats, strict=True)):
        # no window fits (motif wider than window): use the motif minimum score
        v = vals[:, j, :]
        v[~np.isfinite(v)] = float(pwm.min(axis=1).sum())
        for w in windows:
            names.append(f"cof[+-{w}]{label}")
            rows.append(("cofactor", -w, w, "", label, "", np.nan))
    F = vals.reshape(n, -1).astype(np.float32)
    return F, _var(names, rows)
