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

Work is split over sequence chunks (threads; numpy releases the GIL in these kernels), so results never depend
on ``n_jobs``.
"""

from __future__ import annotations

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
        for W in np.unique(self.widths):
            if W > 1:
                acc[:, max(L - W + 1, 0) :, self.widths == W] = -np.inf
        return acc


def _segments(idx: np.ndarray, L: int, n_seg: int) -> list[np.ndarray]:
    """Contiguous ``intp`` word indices for each segment offset ``s K`` (converted once per chunk)."""
    return [np.ascontiguousarray(idx[:, s * K : s * K + L], dtype=np.intp) for s in range(n_seg)]


def _max_positions(x: np.ndarray) -> np.ndarray:
    """``x.max(axis=1)`` for ``(n, m, C)`` arrays as a pairwise tree of contiguous ``np.maximum`` calls (numpy's
    reduction over a middle axis is ~4x slower); ``x`` is left unchanged."""
    m = x.shape[1]
    if m == 0:
        return np.full((x.shape[0], x.shape[2]), -np.inf, dtype=x.dtype)
    if m == 1:
        return x[:, 0].copy()
    h = m // 2
    buf = np.maximum(x[:, :h], x[:, h : 2 * h])
    if m % 2:
        np.maximum(buf[:, :1], x[:, 2 * h :], out=buf[:, :1])
    while buf.shape[1] > 1:
        m = buf.shape[1]
        h = m // 2
        np.maximum(buf[:, :h], buf[:, h : 2 * h], out=buf[:, :h])
        if m % 2:
            np.maximum(buf[:, :1], buf[:, 2 * h :], out=buf[:, :1])
        buf = buf[:, :h]
    return buf[:, 0].copy()


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

    # ------------------------------------------------------------------ best scores
    def _best_chunk(self, codes, windows, mask, argmax):
        n, L = codes.shape
        segs = _segments(_kmer5_index(codes, self.max_seg * K), L, self.max_seg)
        nm = len(self.pwms)
        bounds = _window_bounds(windows, L)
        best = np.full((n, nm, len(bounds)), -np.inf, dtype=np.float32)
        pos = np.full((n, nm), -1, dtype=np.int64) if argmax else None
        strand = np.zeros((n, nm), dtype=np.int8) if argmax else None
        for g in self.groups:
            acc = g.scores(segs, L)
            if mask is not None:
                lo, hi = mask
                for W in np.unique(g.widths):
                    acc[:, max(lo - W + 1, 0) : max(hi, 0), g.widths == W] = -np.inf
            for k, (a, b) in enumerate(bounds):
                wmin, wmax = int(g.widths.min()), int(g.widths.max())
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
                both = np.maximum(vals[:, 0::2], vals[:, 1::2])
                best[:, g.members, k] = both
            if argmax:
                flat = acc.reshape(n, L, -1)
                am = flat.argmax(axis=1)  # n, C
                sc = np.take_along_axis(flat, am[:, None, :], axis=1)[:, 0, :]
                use_rev = sc[:, 1::2] > sc[:, 0::2]
                pos[:, g.members] = np.where(use_rev, am[:, 1::2], am[:, 0::2])
                strand[:, g.members] = np.where(use_rev, -1, 1)
        return best, pos, strand

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
            Also return the best window's start and strand (+1/-1; forward wins ties) over the whole sequence.

        Returns
        -------
        ``(n, n_motifs, n_windows)`` float32 (``-inf`` where no window fits), plus ``(positions, strands)``
        ``(n, n_motifs)`` with ``return_positions``.
        """
        codes = _check_codes(codes)
        n, L = codes.shape
        ch = self._chunk(L)
        starts = list(range(0, n, ch))

        def work(s):
            return self._best_chunk(codes[s : s + ch], windows, mask, return_positions)

        parts = _run(work, starts, n_jobs)
        best = np.concatenate([p[0] for p in parts]) if parts else np.zeros((0, len(self.pwms), 1), np.float32)
        if return_positions:
            return best, np.concatenate([p[1] for p in parts]), np.concatenate([p[2] for p in parts])
        return best

    def _chunk(self, L: int) -> int:
        return int(self.chunk) if self.chunk else max(1, 4096 // max(L, 1))

    # ------------------------------------------------------------------ hits
    def _hits_chunk(self, codes, offset, thresholds):
        n, L = codes.shape
        segs = _segments(_kmer5_index(codes, self.max_seg * K), L, self.max_seg)
        out = []
        for g in self.groups:
            acc = g.scores(segs, L)
            thr = np.repeat(thresholds[g.members], 2)
            # float32 sums may be off by ~1e-5: keep a margin, then decide in float64
            thr32 = (thr - 1e-3).astype(np.float32)
            si, sc = np.nonzero(_max_positions(acc) >= thr32)  # (sequence, column) pairs with a candidate
            if si.size == 0:
                continue
            sub = acc[si, :, sc]  # (pairs, L)
            r, p = np.nonzero(sub >= thr32[sc][:, None])
            i, c = si[r], sc[r]
            exact = _exact_scores(codes, g.full, i, p, c)
            keep = exact >= thr[c]
            i, p, c, exact = i[keep], p[keep], c[keep], exact[keep]
            out.append(pd.DataFrame({"sequence": i + offset, "motif": g.members[c // 2], "start": p,
                                     "strand": np.where(c % 2 == 0, "+", "-"), "score": exact}))
        return out

    def hits(self, codes, thresholds, *, n_jobs=None) -> pd.DataFrame:
        """All windows (both strands) scoring at least the motif's threshold (score in float64).

        Returns a DataFrame with ``sequence``, ``motif`` (index into ``pwms``), ``start``, ``end``, ``strand``
        (``"+"``/``"-"``) and ``score``, sorted by sequence, motif, start and strand.
        """
        codes = _check_codes(codes)
        thresholds = np.asarray(thresholds, dtype=float)
        if thresholds.shape != (len(self.pwms),):
            raise ValueError(f"thresholds must have one value per motif ({len(self.pwms)}), got {thresholds.shape}")
        n, L = codes.shape
        ch = self._chunk(L)
        starts = list(range(0, n, ch))

        def work(s):
            return self._hits_chunk(codes[s : s + ch], s, thresholds)

        frames = [f for part in _run(work, starts, n_jobs) for f in part]
        cols = ["sequence", "motif", "start", "end", "strand", "score"]
        if not frames:
            return pd.DataFrame({c: [] for c in cols})
        df = pd.concat(frames, ignore_index=True)
        widths = np.array([p.shape[0] for p in self.pwms])
        df["end"] = df["start"] + widths[df["motif"].to_numpy()]
        return df[cols].sort_values(["sequence", "motif", "start", "strand"], ignore_index=True)


def _exact_scores(codes, full, i, p, c) -> np.ndarray:
    """Float64 scores of windows ``(i, p)`` for group columns ``c`` (padding columns weigh 0)."""
    n, L = codes.shape
    width = full.shape[1]
    pad = np.full((n, L + width), 4, dtype=np.intp)
    pad[:, :L] = codes
    out = np.zeros(i.size)
    for j in range(width):
        out += full[c, j, pad[i, p + j]]
    return out


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
    out: dict = {}
    best, pos, strand = scanner.best_scores(codes, return_positions=True, n_jobs=n_jobs)
    out["scores"] = pd.DataFrame(best[:, :, 0].astype(float), columns=names)
    out["positions"] = pd.DataFrame(pos, columns=names)
    out["strands"] = pd.DataFrame(strand.astype(int), columns=names)
    if windows is not None or mask is not None:
        wins = [(0, codes.shape[1])] if windows is None else list(windows)
        bw = scanner.best_scores(codes, windows=wins, mask=mask, n_jobs=n_jobs)
        out["scores"] = {tuple(w): pd.DataFrame(bw[:, :, k].astype(float), columns=names)
                         for k, w in enumerate(wins)}
    if pvalue is not None:
        thr = np.array([threshold_from_pvalue(p, pvalue, background=background) for p in pwms])
        hits = scanner.hits(codes, thr, n_jobs=n_jobs)
        hits["motif"] = np.asarray(names, dtype=object)[hits["motif"].to_numpy(dtype=int)]
        out["thresholds"] = pd.Series(thr, index=names, name="threshold")
        out["hits"] = hits
    return out
