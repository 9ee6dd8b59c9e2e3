"""Log-odds position weight matrices and vectorised scanning of both strands.

A PWM here is a ``(W, 4)`` float array of log2 odds (A, C, G, T columns). Scanning sums one table lookup per
motif column over all sequences and positions at once (W numpy passes), for the forward strand and for the
reverse complement (the reverse-complemented matrix scanned on the forward codes). A position holding N scores
the column minimum (a conservative choice; such windows are never better than any real base).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ._io import Motif

UNIFORM = np.full(4, 0.25)


def _background(background) -> np.ndarray:
    bg = UNIFORM if background is None else np.asarray(background, dtype=float)
    if bg.shape != (4,) or np.any(bg <= 0):
        raise ValueError("background must be 4 positive frequencies (A, C, G, T)")
    return bg / bg.sum()


def as_motif(m):
    """A :class:`Motif` from an object with a ``.counts`` mapping (Bio.motifs / pyjaspar motifs: ``counts["A"]``
    ... ``counts["T"]`` of length W); any other input is returned unchanged."""
    counts = getattr(m, "counts", None)
    if counts is None or isinstance(m, (Motif, np.ndarray, list, tuple)):
        return m
    try:
        mat = np.array([[float(v) for v in counts[b]] for b in "ACGT"], dtype=float).T
    except (KeyError, TypeError, ValueError) as err:
        raise ValueError(f"motif {type(m).__name__}: .counts must map each of 'A', 'C', 'G', 'T' to W numbers "
                         f"({err})") from None
    name = str(getattr(m, "name", None) or "motif")
    mid = str(getattr(m, "matrix_id", None) or "")
    return Motif(name=name, matrix=mat, matrix_id=mid, kind="counts", nsites=float(mat[0].sum()) or None)


def check_finite_motif(arr, what: str = "motif") -> np.ndarray:
    """``arr`` as a float array; ValidationError when it holds NaN or infinite entries."""
    from .._conventions import ValidationError

    if isinstance(arr, str):
        raise TypeError(f"{what} {arr!r} is a string: pass a 4 x W matrix (rows A, C, G, T) of counts or "
                        "probabilities, a Motif, or a Bio.motifs / pyjaspar motif (e.g. from jaspar_motifs())")
    arr = np.asarray(arr, dtype=float)
    if not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[:3].tolist()
        raise ValidationError(f"{what} must hold finite numbers; non-finite (NaN/inf) entries at {bad}")
    return arr


def log_odds(motif, *, background=None, pseudocount: float = 0.8, nsites: float = 20.0) -> np.ndarray:
    """Log2-odds PWM ``log2(p_jb / bg_b)`` with a background-split pseudocount.

    ``motif`` is a :class:`Motif` or a ``(W, 4)`` matrix of counts or probabilities (rows summing to 1).
    Probabilities with ``m`` sites (``motif.nsites`` or ``nsites``) become
    ``p' = (m p + pseudocount bg) / (m + pseudocount)``; counts ``(c + pseudocount bg) / (n + pseudocount)``.
    """
    bg = _background(background)
    motif = as_motif(motif)
    if isinstance(motif, Motif):
        m = np.asarray(motif.matrix, dtype=float)
        is_prob = motif.kind == "probabilities"
        if motif.nsites:
            nsites = float(motif.nsites)
    else:
        m = np.asarray(motif, dtype=float)
        is_prob = m.ndim == 2 and np.allclose(m.sum(axis=1), 1.0, atol=1e-3)
    check_finite_motif(m)
    if m.ndim != 2 or m.shape[1] != 4 or m.shape[0] < 1 or np.any(m < 0):
        width = m.shape[0] if m.ndim == 2 and m.shape[1] == 4 else "?"
        raise ValueError(f"a motif matrix must be (W, 4) with W >= 1 and non-negative, got shape {m.shape} "
                         f"(width {width})")
    sums = m.sum(axis=1)
    if not is_prob and (m.max() <= 1.0 or np.any(sums == 0)):
        # entries <= 1 whose rows do not sum to 1 are neither probabilities nor counts of >= 1 site
        raise ValueError(f"motif rows sum to {sums.min():.4g}..{sums.max():.4g}: probabilities must sum to 1 at "
                         "every position (within 1e-3) and counts must hold >= 1 site per position; normalise "
                         "the matrix (m / m.sum(axis=1, keepdims=True)) or pass counts")
    counts = m / m.sum(axis=1, keepdims=True) * nsites if is_prob else m
    n = counts.sum(axis=1, keepdims=True)
    p = (counts + pseudocount * bg) / (n + pseudocount)
    with np.errstate(divide="ignore"):
        return np.log2(p / bg)


def _table(pwm: np.ndarray, dtype=np.float32) -> np.ndarray:
    """``(W, 5)`` lookup table: the 4 bases plus N (column minimum)."""
    pwm = np.asarray(pwm, dtype=float)
    return np.concatenate([pwm, pwm.min(axis=1, keepdims=True)], axis=1).astype(dtype)


def reverse_complement_pwm(pwm: np.ndarray) -> np.ndarray:
    """PWM of the reverse-complement strand (rows reversed, A<->T and C<->G)."""
    return np.asarray(pwm)[::-1, ::-1].copy()


def _scan_table(codes: np.ndarray, table: np.ndarray) -> np.ndarray:
    n, L = codes.shape
    W = table.shape[0]
    m = L - W + 1
    if m <= 0:
        return np.empty((n, 0), dtype=table.dtype)
    out = np.zeros((n, m), dtype=table.dtype)
    idx = codes.astype(np.intp, copy=False)
    for j in range(W):
        out += table[j][idx[:, j : j + m]]
    return out


_CHUNK = 4
_DIGITS = np.array([[(i // 5 ** (_CHUNK - 1 - t)) % 5 for t in range(_CHUNK)] for i in range(5**_CHUNK)])


class Scanner:
    """Scans many PWMs over the same sequences: the base-5 index of every 4-mer (N included) is computed once,
    and each motif is scored with ``ceil(W / 4)`` lookups per position in 4-column score tables."""

    def __init__(self, codes: np.ndarray):
        codes = np.atleast_2d(np.asarray(codes))
        self.n, self.L = codes.shape
        pad = np.pad(codes, ((0, 0), (0, _CHUNK - 1)), constant_values=4).astype(np.int16)
        idx = np.zeros((self.n, self.L), dtype=np.int16)
        for t in range(_CHUNK):
            idx = idx * 5 + pad[:, t : t + self.L]
        self.idx = idx

    def _one(self, table: np.ndarray, m: int) -> np.ndarray:
        W = table.shape[0]
        nch = -(-W // _CHUNK)
        padded = np.zeros((nch * _CHUNK, 5), dtype=table.dtype)
        padded[:W] = table
        out = np.zeros((self.n, m), dtype=table.dtype)
        cols = np.arange(_CHUNK)
        for c in range(nch):
            tc = padded[c * _CHUNK + cols[None, :], _DIGITS].sum(axis=1)  # (625,)
            out += tc[self.idx[:, c * _CHUNK : c * _CHUNK + m]]
        return out

    def scan(self, pwm: np.ndarray, *, dtype=np.float64) -> tuple[np.ndarray, np.ndarray]:
        """``(forward, reverse)`` scores, as :func:`scan`."""
        pwm = np.asarray(pwm, dtype=float)
        m = self.L - pwm.shape[0] + 1
        if m <= 0:
            e = np.empty((self.n, 0), dtype=dtype)
            return e, e.copy()
        return self._one(_table(pwm, dtype), m), self._one(_table(reverse_complement_pwm(pwm), dtype), m)


def scan_tracks(codes, pwm: np.ndarray, *, dtype=np.float64) -> tuple[np.ndarray, np.ndarray]:
    """Scores of every window on both strands for one log-odds PWM (the per-position score tracks).

    ``codes`` is an ``(n, L)`` code array or a :class:`Scanner` (to reuse its index over many motifs).
    Returns ``(forward, reverse)``, each ``(n, L - W + 1)``: ``forward[i, p]`` scores ``codes[i, p:p+W]``,
    ``reverse[i, p]`` its reverse complement (the same window read on the minus strand).
    """
    scanner = codes if isinstance(codes, Scanner) else Scanner(codes)
    return scanner.scan(pwm, dtype=dtype)


def _is_legacy_call(sequences, motifs) -> bool:
    """``scan(codes, pwm)`` of earlier releases: int codes (or a Scanner) and one ``(W, 4)`` log-odds matrix."""
    if isinstance(sequences, Scanner):
        return True
    if not (isinstance(sequences, np.ndarray) and sequences.dtype.kind in "iu"):
        return False
    if not isinstance(motifs, np.ndarray) or motifs.ndim != 2 or motifs.shape[1] != 4:
        return False
    return bool(np.any(motifs < 0))


def best_hits(
    codes: np.ndarray, pwm: np.ndarray, *, start: int | None = None, end: int | None = None, dtype=np.float64
) -> pd.DataFrame:
    """Best window per sequence over both strands, restricted to windows inside ``[start, end)``.

    Returns a DataFrame with ``score``, ``position`` (window start, forward coordinates; -1 when no window fits)
    and ``strand`` (+1 or -1; the forward strand wins ties).
    """
    codes = np.atleast_2d(np.asarray(codes))
    W = np.asarray(pwm).shape[0]
    L = codes.shape[1]
    a = 0 if start is None else max(int(start), 0)
    b = L if end is None else min(int(end), L)
    sub = codes[:, a:b]
    n = codes.shape[0]
    if sub.shape[1] < W:
        return pd.DataFrame({"score": np.full(n, -np.inf), "position": np.full(n, -1), "strand": np.zeros(n, int)})
    fwd, rev = scan_tracks(sub, pwm, dtype=dtype)
    fi, ri = fwd.argmax(axis=1), rev.argmax(axis=1)
    fs, rs = fwd[np.arange(n), fi], rev[np.arange(n), ri]
    use_rev = rs > fs
    return pd.DataFrame({
        "score": np.where(use_rev, rs, fs).astype(float),
        "position": np.where(use_rev, ri, fi) + a,
        "strand": np.where(use_rev, -1, 1),
    })


def max_score_in_windows(
    codes: np.ndarray,
    pwm: np.ndarray,
    windows: list[tuple[int, int]],
    *,
    mask: tuple[int, int] | None = None,
    stat: str = "max",
    dtype=np.float32,
) -> np.ndarray:
    """Per sequence and window ``[a, b)``, the best (``"max"``) or log-sum-exp (``"logsumexp"``, in log2 units)
    score over both strands of the windows lying fully inside; windows overlapping ``mask`` are ignored.

    Returns ``(n, len(windows))``; ``-inf`` (max) when no window fits.
    """
    fwd, rev = scan_tracks(codes, pwm, dtype=dtype)
    W = np.asarray(pwm).shape[0]
    m = fwd.shape[1]
    pos = np.arange(m)
    if stat == "max":
        both = np.maximum(fwd, rev)
    elif stat == "logsumexp":
        both = np.logaddexp2(fwd, rev)
    else:
        raise ValueError(f"stat must be 'max' or 'logsumexp', got {stat!r}")
    if mask is not None:
        bad = (pos < mask[1]) & (pos + W > mask[0])
        both[:, bad] = -np.inf
    out = np.full((both.shape[0], len(windows)), -np.inf, dtype=float)
    for k, (a, b) in enumerate(windows):
        lo, hi = max(a, 0), min(b - W + 1, m)
        if hi > lo:
            seg = both[:, lo:hi]
            if stat == "max":
                out[:, k] = seg.max(axis=1)
            else:
                mx = seg.max(axis=1, keepdims=True)
                finite = np.isfinite(mx[:, 0])
                val = np.full(seg.shape[0], -np.inf)
                val[finite] = (mx[finite, 0] + np.log2(np.exp2(seg[finite] - mx[finite]).sum(axis=1)))
                out[:, k] = val
    return out


def _orient_motif(m):
    """A ``4 x W`` matrix (rows A, C, G, T; the issue's convention) becomes ``(W, 4)``; a ``(W, 4)`` matrix is
    kept; :class:`Motif` objects pass through; Bio.motifs / pyjaspar motifs become Motifs.

    A non-negative ``4 x 4`` matrix is read by its sums: probabilities whose columns (only) sum to one are ``4 x W``,
    rows (only) ``(W, 4)``; otherwise (counts, or both) the ``4 x W`` convention is used, with a warning. Log-odds
    matrices (negative entries) are ``(W, 4)``, as :func:`log_odds` returns them."""
    m = as_motif(m)
    if isinstance(m, Motif):
        return m
    arr = np.asarray(m, dtype=float)
    if arr.ndim == 2 and arr.shape == (4, 4) and not np.any(arr < 0):  # log-odds (negatives) are always (W, 4)
        rows1, cols1 = (bool(np.allclose(arr.sum(axis=a), 1.0, atol=1e-3)) for a in (1, 0))
        if rows1 and not cols1:
            return arr
        if not (cols1 and not rows1):
            warnings.warn("a 4 x 4 motif matrix is ambiguous: read as 4 x W (rows A, C, G, T); pass a Motif or "
                          "a probability matrix to be explicit", UserWarning, stacklevel=3)
        return arr.T
    if arr.ndim == 2 and arr.shape[0] == 4 and arr.shape[1] != 4:
        return arr.T
    return arr


def _motif_collection(motifs) -> dict | list:
    motifs = as_motif(motifs)
    if isinstance(motifs, Motif):
        return [motifs]
    if isinstance(motifs, dict):
        return {k: _orient_motif(v) for k, v in motifs.items()}
    if isinstance(motifs, np.ndarray) and motifs.ndim == 2:
        return [_orient_motif(motifs)]
    if isinstance(motifs, (list, tuple)):
        if motifs and all(np.isscalar(r) for row in motifs if isinstance(row, (list, tuple)) for r in row) \
                and all(isinstance(row, (list, tuple)) for row in motifs):
            return [_orient_motif(motifs)]  # one matrix as nested lists
        return [_orient_motif(m) for m in motifs]
    raise TypeError(f"motifs must be a matrix, a Motif, a dict name -> matrix or a list of motifs, "
                    f"got {type(motifs).__name__}")


def scan(sequences, motifs, *, pvalue: float | None = None, windows=None, mask=None, background=None, names=None,
         n_jobs: int | None = None, dtype=np.float64):
    """Scan one or many motifs over sequences on both strands: best score, position and strand per sequence x
    motif, and hits at a p-value threshold.

    Parameters
    ----------
    sequences
        Equal-length strings, an ``(n, L)`` int8 code array, or a FASTA path.
    motifs
        One motif (a ``4 x W`` matrix with rows A, C, G, T, a ``(W, 4)`` matrix, or a :class:`Motif`) or many
        (``{name: matrix or Motif}``, a list of Motifs or matrices). Counts or probabilities become log-odds
        (:func:`log_odds` with ``background``); a matrix with negative entries is taken as log-odds.
    pvalue
        Also call hits: every window (both strands) whose score reaches the motif's threshold for this p-value,
        computed from the exact score distribution under ``background`` (:func:`threshold_from_pvalue`).
    windows, mask
        Also report the best score restricted to windows inside each ``[a, b)`` / not overlapping ``(lo, hi)``.
    background
        A, C, G, T frequencies (default uniform).
    names
        Sequence names (index of the tables; FASTA names for a FASTA path).
    n_jobs
        Threads over sequence chunks (results do not depend on it).
    dtype
        Only for the deprecated form ``scan(codes, log_odds_pwm)`` (see Notes).

    Returns
    -------
    dict with ``scores``, ``positions`` (window start, forward coordinates, 0-based) and ``strands`` (+1/-1; the
    forward strand and the leftmost window win ties; -1 and 0 where the motif is longer than the sequence):
    DataFrames sequences x motifs over the whole sequence, all from one scoring pass;
    ``window_scores`` (``{(a, b): DataFrame}``) with ``windows``/``mask``; with ``pvalue`` also ``thresholds``
    (Series) and ``hits`` (DataFrame ``sequence``, ``motif``, ``start``, ``end``, ``strand``, ``score``,
    ``pvalue``).

    Notes
    -----
    All motifs are scored together by :class:`MultiScanner` (exact best scores, float32 sums re-checked in float64
    for hits). The per-position score tracks of one PWM are :func:`scan_tracks`; the earlier form
    ``scan(codes, pwm)`` with int codes (or a ``Scanner``) and one ``(W, 4)`` log-odds matrix still returns
    ``(forward, reverse)`` tracks, with a ``FutureWarning``.
    """
    if _is_legacy_call(sequences, motifs) and pvalue is None and windows is None and mask is None and names is None:
        import warnings

        warnings.warn("scan(codes, pwm) returning per-position tracks is deprecated: use scan_tracks(codes, pwm); "
                      "scan(sequences, motifs) returns best scores, positions, strands and hits",
                      FutureWarning, stacklevel=2)
        return scan_tracks(sequences, motifs, dtype=dtype)
    import os

    from ._io import read_fasta
    from ._multiscan import MultiScanner, motif_pwms
    from ._pvalues import score_distribution
    from ._sequences import encode_batch

    if isinstance(sequences, (str, os.PathLike)) and os.path.exists(sequences):
        fasta_names, sequences = read_fasta(sequences)
        names = fasta_names if names is None else names
    codes = encode_batch(sequences)
    n = codes.shape[0]
    index = pd.RangeIndex(n) if names is None else pd.Index(list(names))
    if len(index) != n:
        raise ValueError(f"names has {len(index)} entries for {n} sequences")
    mnames, pwms = motif_pwms(_motif_collection(motifs), background=background)
    scanner = MultiScanner(pwms)
    dists = thr = None
    if pvalue is not None:
        if not 0 < float(pvalue) < 1:
            raise ValueError(f"pvalue must be in (0, 1), got {pvalue}")
        dists = [score_distribution(p, background=background) for p in pwms]
        thr = np.array([d.threshold(float(pvalue)) for d in dists])
    wins = None
    if windows is not None or mask is not None:
        wins = [(0, codes.shape[1])] if windows is None else [tuple(w) for w in windows]
    # one scoring pass gives best scores, positions, strands, windowed scores and hits
    res = scanner.scan(codes, thresholds=thr, windows=wins, mask=mask, n_jobs=n_jobs)
    out: dict = {"scores": pd.DataFrame(res["best"].astype(float), index=index, columns=mnames),
                 "positions": pd.DataFrame(res["positions"], index=index, columns=mnames),
                 "strands": pd.DataFrame(res["strands"].astype(int), index=index, columns=mnames)}
    if wins is not None:
        out["window_scores"] = {w: pd.DataFrame(res["windows"][:, :, k].astype(float), index=index, columns=mnames)
                                for k, w in enumerate(wins)}
    if pvalue is not None:
        hits = res["hits"]
        m = hits["motif"].to_numpy(dtype=int)
        score = hits["score"].to_numpy()
        pv = np.empty(len(hits))
        order = np.argsort(m, kind="stable")  # hits grouped by motif without one full mask per motif
        for sel in np.split(order, np.flatnonzero(np.diff(m[order])) + 1) if len(m) else []:
            pv[sel] = dists[m[sel[0]]].pvalue(score[sel])
        hits["pvalue"] = pv
        hits["motif"] = np.asarray(mnames, dtype=object)[m]
        if names is not None:
            hits["sequence"] = np.asarray(index, dtype=object)[hits["sequence"].to_numpy(dtype=int)]
        out["thresholds"] = pd.Series(thr, index=mnames, name="threshold")
        out["hits"] = hits
    return out
