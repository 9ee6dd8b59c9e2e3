"""Fast scanning of many PWMs at once: best score per (sequence, motif, window) on both strands, and hits.

Method (our own design). Every position of a sequence chunk gets the base-5 index of the ``k``-mer starting there
(``k = 5``: 3,125 words; N is the fifth letter, so N is exact: it scores the column minimum). Motifs of similar
width are grouped; each motif and its reverse complement become two columns of a group, padded with zero-weight
columns to ``S * k`` (``S = ceil(W / k)`` segments). For every segment ``s`` a table ``T_s`` of shape
``(5^k, columns)`` holds the summed log-odds of the ``k`` motif columns of that segment for every word, so the
scores of all motifs of the group at all positions are ``sum_s T_s[index[p + s k]]``: ``S`` row gathers and adds
(one contiguous row of ``columns`` floats per position), instead of ``W`` element lookups per motif. Windows that
run past the sequence end are excluded per column. Scores are float32 sums (within ~1e-5 of float64); hit calling
re-scores candidates near the threshold in float64 so that hits are decided exactly.

One scoring pass serves everything :func:`pob.regulatory.scan` returns. The maximum over positions is a pairwise
tree of contiguous ``np.maximum`` calls; it is stopped at ``<= 32`` rows ("buckets", each the maximum of a fixed
set of ~L/32 positions) before the last levels. The bucket maxima locate, without a second pass or a transposing
``argmax``, the leftmost best window (search only the first bucket reaching the maximum; the whole column only when
several buckets reach it) and the hit candidates (only buckets whose maximum reaches the threshold are read).

Work is split over sequence chunks (threads; numpy releases the GIL in these kernels), so results never depend
on ``n_jobs``.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

K = 5
_NW = 5**K
_DIGITS = np.array([[(i // 5 ** (K - 1 - t)) % 5 for t in range(K)] for i in range(_NW)], dtype=np.intp)


def _kmer5_index(codes: np.ndarray, pad: int) -> np.ndarray:
    """``(n, L + pad)`` int16 base-5 index of the k-mer starting at each position (sequence right-padded with N)."""
    n, L = codes.shape
    padded = np.full((n, L + pad + K - 1), 4, dtype=np.int16)
    padded[:, :L] = codes
    idx = np.zeros((n, L + pad), dtype=np.int16)
    for t in range(K):
        idx *= 5
        idx += padded[:, t : t + L + pad]
    return idx


class _Group:
    """Motif columns (forward and reverse-complement PWMs) sharing the number of ``K``-column segments."""

    def __init__(self, members: list[int], pwms: list[np.ndarray]):
        self.members = np.asarray(members)
        widths = np.array([pwms[m].shape[0] for m in members])
        self.S = int(-(-widths.max() // K))
        cols = []
        for m in members:
            p = np.asarray(pwms[m], dtype=float)
            cols += [p, p[::-1, ::-1]]  # forward, reverse complement
        self.widths = np.repeat(widths, 2)  # per column
        self.even = 2 * np.arange(len(members))  # forward-strand column of each motif
        # (width, columns of that width) for the per-column end-of-sequence / mask exclusions
        self.by_width = [(int(W), self.widths == W) for W in np.unique(self.widths)]
        C = len(cols)
        full = np.zeros((C, self.S * K, 5))
        for c, p in enumerate(cols):
            W = p.shape[0]
            full[c, :W, :4] = p
            full[c, :W, 4] = p.min(axis=1)
        self.full = full  # (C, S*K, 5) float64, used for exact re-scoring
        self.tables = []
        for s in range(self.S):
            block = full[:, s * K : (s + 1) * K, :]  # C, K, 5
            t = np.zeros((_NW, C))
            for j in range(K):
                t += block[:, j, _DIGITS[:, j]].T
            self.tables.append(np.ascontiguousarray(t, dtype=np.float32))

    def scores(self, segs: list[np.ndarray], L: int) -> np.ndarray:
        """``(n, L, C)`` float32 scores from the per-segment word indices; windows past the end are ``-inf``."""
        # mode="clip" skips the bounds check (indices are always valid): ~2x faster than the default
        acc = np.take(self.tables[0], segs[0], axis=0, mode="clip")
        if self.S > 1:
            tmp = np.empty_like(acc)
            for s in range(1, self.S):
                np.take(self.tables[s], segs[s], axis=0, out=tmp, mode="clip")
                acc += tmp
        for W, cols in self.by_width:
            if W > 1:
                acc[:, max(L - W + 1, 0) :, cols] = -np.inf
        return acc


def _segments(idx: np.ndarray, L: int, n_seg: int) -> list[np.ndarray]:
    """Contiguous ``intp`` word indices for each segment offset ``s K`` (converted once per chunk)."""
    return [np.ascontiguousarray(idx[:, s * K : s * K + L], dtype=np.intp) for s in range(n_seg)]


def _max_positions(x: np.ndarray) -> np.ndarray:
    """``x.max(axis=-2)`` (e.g. over positions of ``(n, m, C)``) as a pairwise tree of contiguous ``np.maximum``
    calls (numpy's reduction over a middle axis is ~4x slower); ``x`` is left unchanged."""
    m = x.shape[-2]
    if m == 0:
        return np.full(x.shape[:-2] + x.shape[-1:], -np.inf, dtype=x.dtype)
    if m == 1:
        return x[..., 0, :].copy()
    h = m // 2
    buf = np.maximum(x[..., :h, :], x[..., h : 2 * h, :])
    if m % 2:
        np.maximum(buf[..., :1, :], x[..., 2 * h :, :], out=buf[..., :1, :])
    while buf.shape[-2] > 1:
        m = buf.shape[-2]
        h = m // 2
        np.maximum(buf[..., :h, :], buf[..., h : 2 * h, :], out=buf[..., :h, :])
        if m % 2:
            np.maximum(buf[..., :1, :], buf[..., 2 * h :, :], out=buf[..., :1, :])
        buf = buf[..., :h, :]
    return buf[..., 0, :].copy()


BUCKETS = 32  # the position tree stops at this many rows: per-bucket maxima locate best windows and hit candidates


@functools.lru_cache(maxsize=64)
def _bucket_members(m: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions folded into each row when :func:`_max_positions`' tree over ``m`` positions stops at
    ``<= BUCKETS`` rows: ``(rows, width)`` ascending positions, padded by repeating the row's last position, and
    the mask of the real (non-padding) entries."""
    rows = [[p] for p in range(m)]
    while len(rows) > BUCKETS:
        k = len(rows)
        h = k // 2
        new = [rows[j] + rows[j + h] for j in range(h)]
        if k % 2:
            new[0] = new[0] + rows[2 * h]
        rows = new
    width = max(len(r) for r in rows)
    members = np.array([sorted(r) + [max(r)] * (width - len(r)) for r in rows], dtype=np.int64)
    real = np.array([[True] * len(r) + [False] * (width - len(r)) for r in rows])
    return members, real


def _bucket_max(acc: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The tree maximum of ``(n, L, C)`` scores over positions, stopped at ``<= BUCKETS`` rows: per-bucket maxima
    ``(n, rows, C)``, the whole-sequence maximum ``(n, C)``, and the bucket members (:func:`_bucket_members`).
    Costs the same single pass as the whole-sequence maximum alone."""
    n, m, C = acc.shape
    if m == 0:
        return (np.full((n, 0, C), -np.inf, acc.dtype), np.full((n, C), -np.inf, acc.dtype),
                np.zeros((0, 1), np.int64), np.zeros((0, 1), bool))
    members, real = _bucket_members(m)
    buf = acc
    if m > BUCKETS:
        h = m // 2
        buf = np.maximum(acc[:, :h], acc[:, h : 2 * h])
        if m % 2:
            np.maximum(buf[:, :1], acc[:, 2 * h :], out=buf[:, :1])
        while buf.shape[1] > BUCKETS:
            k = buf.shape[1]
            h = k // 2
            np.maximum(buf[:, :h], buf[:, h : 2 * h], out=buf[:, :h])
            if k % 2:
                np.maximum(buf[:, :1], buf[:, 2 * h :], out=buf[:, :1])
            buf = buf[:, :h]
    return buf, _max_positions(buf), members, real


def _group_motifs(pwms: list[np.ndarray], max_cols: int) -> list[_Group]:
    widths = np.array([p.shape[0] for p in pwms])
    order = np.argsort(widths, kind="stable")
    segs = -(-widths // K)
    groups, cur, cur_s = [], [], None
    per = max(max_cols // 2, 1)
    for m in order:
        if cur and (segs[m] != cur_s or len(cur) >= per):
            groups.append(cur)
            cur = []
        cur.append(int(m))
        cur_s = segs[m]
    if cur:
        groups.append(cur)
    return [_Group(g, pwms) for g in groups]


def _window_bounds(windows, L: int):
    if windows is None:
        return [(0, L)]
    return [(max(int(a), 0), min(int(b), L)) for a, b in windows]


class MultiScanner:
    """Scores many PWMs over the same sequences (both strands), grouped by width for table-lookup scanning.

    Parameters
    ----------
    pwms
        Log-odds matrices ``(W, 4)`` (columns A, C, G, T), e.g. from :func:`log_odds`.
    max_cols
        Columns (motif strands) per group: trades table size (cache) against the number of passes.
    chunk
        Sequences per work unit; default ``max(1, 4096 // L)`` keeps a group's score block (about 1 MB) in cache.
    """

    def __init__(self, pwms, *, max_cols: int = 64, chunk: int | None = None):
        self.pwms = [np.asarray(p, dtype=float) for p in pwms]
        for i, p in enumerate(self.pwms):
            if p.ndim != 2 or p.shape[1] != 4 or p.shape[0] < 1:
                raise ValueError(f"pwms[{i}] must be a (W, 4) log-odds matrix, got shape {p.shape}")
            if not np.isfinite(p).all():
                raise ValueError(f"pwms[{i}] has non-finite log-odds (use a pseudocount)")
        self.groups = _group_motifs(self.pwms, max_cols)
        self.chunk = chunk
        self.max_seg = max((g.S for g in self.groups), default=1)

    # ------------------------------------------------------------------ one pass per chunk
    def _chunk(self, codes, offset, *, windows, mask, whole, positions, thresholds, mask_positions=False):
        """Everything asked for from one table-lookup pass per group: best score over the whole sequence,
        leftmost best window and strand, windowed/masked best scores, and hits (see :meth:`scan`)."""
        n, L = codes.shape
        segs = _segments(_kmer5_index(codes, self.max_seg * K), L, self.max_seg)
        nm = len(self.pwms)
        out: dict = {}
        if whole:
            out["best"] = np.full((n, nm), -np.inf, dtype=np.float32)
        if positions:
            out["positions"] = np.full((n, nm), -1, dtype=np.int64)
            out["strands"] = np.zeros((n, nm), dtype=np.int8)
        bounds = None
        if windows is not None or mask is not None:
            bounds = _window_bounds(windows, L)
            out["windows"] = np.full((n, nm, len(bounds)), -np.inf, dtype=np.float32)
        if thresholds is not None:
            pad = np.full((n, L + self.max_seg * K), 4, dtype=np.intp)
            pad[:, :L] = codes
            hits = []
        for g in self.groups:
            acc = g.scores(segs, L)
            pos_now = positions and not (mask_positions and mask is not None)
            if whole or thresholds is not None or pos_now:
                # (n, buckets, C) and (n, C): best of each motif strand per bucket and over the whole sequence
                bmax, colmax, members, real = _bucket_max(acc)
            if whole:
                out["best"][:, g.members] = np.maximum(colmax[:, 0::2], colmax[:, 1::2])
            if thresholds is not None:
                hits.append(_group_hits(acc, bmax, members, real, g, thresholds, pad, offset))
            if pos_now:
                _set_positions(out, acc, bmax, colmax, members, g)
            if bounds is not None:
                if mask is not None:
                    lo, hi = mask
                    for W, cols in g.by_width:
                        acc[:, max(lo - W + 1, 0) : max(hi, 0), cols] = -np.inf
                    if positions and mask_positions:
                        _set_positions(out, acc, *_bucket_max(acc)[:3], g)
                out["windows"][:, g.members, :] = _window_max(acc, g, bounds)
        if thresholds is not None:
            hits = [h for h in hits if h is not None]
            out["hits"] = []
            if hits:  # sorted here (chunks hold consecutive sequences): no global sort of millions of hits
                seq, mot, start, rev, score = (np.concatenate(x) for x in zip(*hits, strict=True))
                order = np.lexsort((rev, start, mot, seq))  # unique keys: the order of a sort on all four
                out["hits"] = [(seq[order], mot[order], start[order], rev[order], score[order])]
        return out

    def _map_chunks(self, codes, n_jobs, **kw) -> list[dict]:
        n, L = codes.shape
        ch = self._chunk_size(L)

        def work(s):
            return self._chunk(codes[s : s + ch], s, **kw)

        return _run(work, list(range(0, n, ch)), n_jobs)

    def scan(self, codes, *, thresholds=None, windows=None, mask=None, positions: bool = True, n_jobs=None) -> dict:
        """Best scores, best windows, strands, windowed scores and hits from ONE scoring pass over the sequences.

        Parameters
        ----------
        codes
            ``(n, L)`` int8 codes.
        thresholds
            One score threshold per motif: also return the hits (as :meth:`hits`).
        windows, mask
            Also return best scores restricted to windows (as :meth:`best_scores`).
        positions
            Also return the leftmost best window and its strand (+1/-1; forward wins ties; -1/0 when no window fits).

        Returns
        -------
        dict with ``best`` ``(n, n_motifs)`` float32 (best over both strands and the whole sequence),
        ``positions``/``strands`` ``(n, n_motifs)`` with ``positions``, ``windows`` ``(n, n_motifs, n_windows)``
        with ``windows`` or ``mask``, and ``hits`` (DataFrame) with ``thresholds``.
        """
        codes = _check_codes(codes)
        if thresholds is not None:
            thresholds = self._check_thresholds(thresholds)
        parts = self._map_chunks(codes, n_jobs, windows=windows, mask=mask, whole=True, positions=positions,
                                 thresholds=thresholds)
        nm = len(self.pwms)
        keys = ["best"] + (["positions", "strands"] if positions else []) + \
            (["windows"] if windows is not None or mask is not None else [])
        out = {}
        for k in keys:
            if parts:
                out[k] = np.concatenate([p[k] for p in parts])
            else:
                nb = len(windows) if windows is not None else 1
                shape = (0, nm, nb) if k == "windows" else (0, nm)
                out[k] = np.zeros(shape, dtype={"positions": np.int64, "strands": np.int8}.get(k, np.float32))
        if thresholds is not None:
            out["hits"] = self._hits_frame([h for p in parts for h in p["hits"]])
        return out

    def best_scores(self, codes, *, windows=None, mask=None, return_positions: bool = False, n_jobs=None):
        """Best score over both strands per sequence, motif and window.

        Parameters
        ----------
        codes
            ``(n, L)`` int8 codes.
        windows
            ``[(a, b), ...]``: only windows lying fully inside ``[a, b)`` count; default the whole sequence.
        mask
            ``(lo, hi)``: windows overlapping it are ignored (e.g. the anchored core site).
        return_positions
            Also return the best window's start and strand (+1/-1; forward wins ties) over the whole sequence
            (outside ``mask`` when it is given; -1 and 0 when no window fits).

        Returns
        -------
        ``(n, n_motifs, n_windows)`` float32 (``-inf`` where no window fits), plus ``(positions, strands)``
        ``(n, n_motifs)`` with ``return_positions``.
        """
        codes = _check_codes(codes)
        plain = windows is None and mask is None
        parts = self._map_chunks(codes, n_jobs, windows=windows, mask=mask, whole=plain, positions=return_positions,
                                 thresholds=None, mask_positions=True)
        nm = len(self.pwms)
        if parts:
            best = np.concatenate([p["best"][:, :, None] if plain else p["windows"] for p in parts])
        else:
            best = np.zeros((0, nm, 1), np.float32)
        if return_positions:
            if not parts:
                return best, np.zeros((0, nm), np.int64), np.zeros((0, nm), np.int8)
            return best, np.concatenate([p["positions"] for p in parts]), np.concatenate([p["strands"] for p in parts])
        return best

    def _chunk_size(self, L: int) -> int:
        return int(self.chunk) if self.chunk else max(1, 4096 // max(L, 1))

    # ------------------------------------------------------------------ hits
    def _check_thresholds(self, thresholds) -> np.ndarray:
        thresholds = np.asarray(thresholds, dtype=float)
        if thresholds.shape != (len(self.pwms),):
            raise ValueError(f"thresholds must have one value per motif ({len(self.pwms)}), got {thresholds.shape}")
        return thresholds

    def _hits_frame(self, parts) -> pd.DataFrame:
        cols = ["sequence", "motif", "start", "end", "strand", "score"]
        if not parts:
            return pd.DataFrame({c: [] for c in cols})
        seq, mot, start, rev, score = (np.concatenate(x) for x in zip(*parts, strict=True))  # in chunk order
        widths = np.array([p.shape[0] for p in self.pwms])
        strand = np.array(["+", "-"], dtype=object)[rev]  # two shared str objects, not millions of new ones
        return pd.DataFrame({"sequence": seq, "motif": mot, "start": start, "end": start + widths[mot],
                             "strand": strand, "score": score})

    def hits(self, codes, thresholds, *, n_jobs=None) -> pd.DataFrame:
        """All windows (both strands) scoring at least the motif's threshold (score in float64).

        Returns a DataFrame with ``sequence``, ``motif`` (index into ``pwms``), ``start``, ``end``, ``strand``
        (``"+"``/``"-"``) and ``score``, sorted by sequence, motif, start and strand.
        """
        codes = _check_codes(codes)
        thresholds = self._check_thresholds(thresholds)
        parts = self._map_chunks(codes, n_jobs, windows=None, mask=None, whole=False, positions=False,
                                 thresholds=thresholds)
        return self._hits_frame([h for p in parts for h in p["hits"]])


def _set_positions(out: dict, acc: np.ndarray, bmax, colmax, members, g: _Group) -> None:
    """Leftmost window reaching each motif's maximum on its better strand (forward wins ties): found in the first
    bucket holding that maximum (ties across buckets search the whole column); -1 / strand 0 where no window
    fits."""
    n, L, C = acc.shape
    M = C // 2
    use_rev = colmax[:, 1::2] > colmax[:, 0::2]  # (n, motifs)
    col = g.even + use_rev  # the column (motif strand) holding each motif's best score
    best = colmax.reshape(n, M, 2)[np.arange(n)[:, None], np.arange(M), use_rev.view(np.int8)]
    eq = bmax == colmax[:, None, :]  # (n, buckets, C)
    k = eq.argmax(axis=1).reshape(-1)
    ties = eq.sum(axis=1).reshape(-1) > 1  # maximum reached in several buckets (short motifs: best word twice)
    sel = np.arange(n)[:, None] * C + col  # (n, motifs) flat (sequence, column)
    cand = members[k[sel]]  # (n, motifs, width) ascending positions of the first bucket holding the maximum
    flat = acc.reshape(-1)
    base = sel + (np.arange(n) * ((L - 1) * C))[:, None]  # offset of (sequence, position 0, column) in flat
    off = (flat[base[:, :, None] + cand * C] == best[:, :, None]).argmax(axis=2)
    pos = np.take_along_axis(cand, off[:, :, None], axis=2)[:, :, 0]
    ti, tm = np.nonzero(ties[sel] & np.isfinite(best))
    if ti.size:  # search those whole columns
        line = flat[base[ti, tm][:, None] + np.arange(L) * C]
        pos[ti, tm] = (line == best[ti, tm][:, None]).argmax(axis=1)
    strand = (1 - 2 * use_rev).astype(np.int8)
    none = np.isneginf(best)
    pos[none] = -1
    strand[none] = 0
    out["positions"][:, g.members] = pos
    out["strands"][:, g.members] = strand


def _window_max(acc: np.ndarray, g: _Group, bounds) -> np.ndarray:
    """``(n, members, n_windows)`` best score over both strands of the windows lying fully inside each bound."""
    n = acc.shape[0]
    res = np.empty((n, len(g.members), len(bounds)), dtype=np.float32)
    wmin, wmax = int(g.widths.min()), int(g.widths.max())
    for k, (a, b) in enumerate(bounds):
        hi_bulk = b - wmax + 1
        vals = np.full((n, acc.shape[2]), -np.inf, dtype=np.float32)
        if hi_bulk > a:
            vals = _max_positions(acc[:, a:hi_bulk])
        # tail: positions valid only for the narrower columns
        t0, t1 = max(hi_bulk, a), b - wmin + 1
        if t1 > t0:
            tail = acc[:, t0:t1]
            ok = (np.arange(t0, t1)[:, None] + g.widths[None, :]) <= b
            tv = np.where(ok[None], tail, -np.inf).max(axis=1)
            vals = np.maximum(vals, tv)
        res[:, :, k] = np.maximum(vals[:, 0::2], vals[:, 1::2])
    return res


def _group_hits(acc, bmax, members, real, g: _Group, thresholds, pad, offset):
    """Hits of one group in one chunk as arrays ``(sequence, motif, start, reverse, score)``. Candidate buckets
    are those whose float32 maximum reaches the threshold less a margin; their windows are decided on float64
    re-scores."""
    n, L, C = acc.shape
    thr = np.repeat(thresholds[g.members], 2)
    thr32 = (thr - 1e-3).astype(np.float32)  # float32 sums may be off by ~1e-5
    f = np.flatnonzero(bmax >= thr32)  # candidate (sequence, bucket, column) triples
    if f.size == 0:
        return None
    nbk = bmax.shape[1]
    si, sb, sc = f // (nbk * C), (f // C) % nbk, f % C
    p = members[sb]  # (candidates, width)
    vals = acc.reshape(-1)[(si[:, None] * L + p) * C + sc[:, None]]
    r, q = np.nonzero(real[sb] & (vals >= thr32[sc][:, None]))
    i, c, p = si[r], sc[r], p[r, q]
    exact = _exact_scores(pad, g.full, i, p, c)
    keep = exact >= thr[c]
    i, p, c, exact = i[keep], p[keep], c[keep], exact[keep]
    return i + offset, g.members[c // 2], p, c % 2, exact


def _exact_scores(pad, full, i, p, c) -> np.ndarray:
    """Float64 scores of windows ``(i, p)`` for group columns ``c`` (padding columns weigh 0); ``pad`` is the
    chunk's codes right-padded with N (at least the group's padded width). Columns are added left to right
    (``cumsum``: the same sums as a loop over columns), in a few array operations for all windows at once."""
    width = full.shape[1]
    j = np.arange(width)
    letters = pad[i[:, None], p[:, None] + j]  # (windows, width)
    terms = full.reshape(-1)[(c * (width * 5))[:, None] + j * 5 + letters]
    return np.cumsum(terms, axis=1)[:, -1] if i.size else np.zeros(0)


def _check_codes(codes) -> np.ndarray:
    codes = np.atleast_2d(np.asarray(codes))
    if codes.ndim != 2 or codes.dtype.kind not in "iu":
        raise ValueError("codes must be a 2-D integer array (A, C, G, T, N = 0..4); use encode_batch first")
    if codes.size and (codes.min() < 0 or codes.max() > 4):
        raise ValueError("codes must hold values 0..4 (A, C, G, T, N)")
    return codes


def _run(work, starts, n_jobs):
    if n_jobs in (None, 1) or len(starts) < 2:
        return [work(s) for s in starts]
    from joblib import Parallel, delayed

    return Parallel(n_jobs=n_jobs, prefer="threads")(delayed(work)(s) for s in starts)


# ----------------------------------------------------------------------------- public API
def motif_pwms(motifs, *, background=None) -> tuple[list[str], list[np.ndarray]]:
    """Names and log-odds PWMs of a motif collection.

    ``motifs`` is a dict ``name -> matrix/Motif`` or a sequence of :class:`Motif` objects, matrices or objects
    with ``.counts`` (Bio.motifs / pyjaspar motifs). A matrix
    with negative entries is taken as log-odds already; otherwise (counts or probabilities, ``(W, 4)``) it goes
    through :func:`log_odds`.
    """
    from ._io import Motif
    from ._pwm import as_motif, check_finite_motif, log_odds

    items = list(motifs.items()) if isinstance(motifs, dict) else [(None, m) for m in motifs]
    if not items:
        raise ValueError("motifs is empty: pass at least one motif")
    names, pwms = [], []
    for i, (name, m) in enumerate(items):
        m = as_motif(m)
        if isinstance(m, Motif):
            label, pwm = m.label, log_odds(m, background=background)
        else:
            arr = np.asarray(m, dtype=float)
            if arr.ndim != 2 or arr.shape[1] != 4 or arr.shape[0] < 1:
                raise ValueError(f"motif {name or i!r} must be a (W, 4) matrix (A, C, G, T columns), got {arr.shape}")
            label = f"motif{i + 1}"
            check_finite_motif(arr, f"motif {name or i!r}")
            pwm = log_odds(arr, background=background) if np.all(arr >= 0) else arr
        names.append(str(name) if name is not None else label)
        pwms.append(pwm)
    if len(set(names)) != len(names):
        raise ValueError("motif names are not unique")
    return names, pwms


def scan_motifs(
    sequences,
    motifs,
    *,
    windows=None,
    mask=None,
    pvalue: float | None = None,
    background=None,
    n_jobs: int | None = None,
) -> dict:
    """Scan many motifs over many sequences on both strands: best scores and positions, optionally hits.

    Parameters
    ----------
    sequences
        Equal-length strings or an ``(n, L)`` int8 code array.
    motifs
        ``{name: matrix or Motif}`` or a list (see :func:`motif_pwms`).
    windows, mask
        Restrict the best scores to windows inside ``[a, b)`` intervals / outside ``(lo, hi)`` (see
        :meth:`MultiScanner.best_scores`).
    pvalue
        Also call hits: windows whose score reaches the motif's exact threshold for this p-value under
        ``background`` (:func:`threshold_from_pvalue`).
    background
        A, C, G, T frequencies for log-odds and thresholds (default uniform).
    n_jobs
        Threads over sequence chunks (results do not depend on it).

    Returns
    -------
    dict with ``scores`` (DataFrame sequences x motifs of best scores over the whole sequence, or a dict of them
    per window when ``windows`` is given), ``positions`` and ``strands`` (DataFrames; whole sequence), and with
    ``pvalue`` also ``thresholds`` (Series) and ``hits`` (DataFrame ``sequence``, ``motif``, ``start``, ``end``,
    ``strand``, ``score``).
    """
    from ._pvalues import threshold_from_pvalue
    from ._sequences import encode_batch

    codes = encode_batch(sequences)
    names, pwms = motif_pwms(motifs, background=background)
    scanner = MultiScanner(pwms)
    thr = None
    if pvalue is not None:
        thr = np.array([threshold_from_pvalue(p, pvalue, background=background) for p in pwms])
    wins = None
    if windows is not None or mask is not None:
        wins = [(0, codes.shape[1])] if windows is None else list(windows)
    res = scanner.scan(codes, thresholds=thr, windows=wins, mask=mask, n_jobs=n_jobs)
    out: dict = {"scores": pd.DataFrame(res["best"].astype(float), columns=names),
                 "positions": pd.DataFrame(res["positions"], columns=names),
                 "strands": pd.DataFrame(res["strands"].astype(int), columns=names)}
    if wins is not None:
        out["scores"] = {tuple(w): pd.DataFrame(res["windows"][:, :, k].astype(float), columns=names)
                         for k, w in enumerate(wins)}
    if pvalue is not None:
        hits = res["hits"]
        hits["motif"] = np.asarray(names, dtype=object)[hits["motif"].to_numpy(dtype=int)]
        out["thresholds"] = pd.Series(thr, index=names, name="threshold")
        out["hits"] = hits
    return out
