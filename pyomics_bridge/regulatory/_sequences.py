"""DNA sequence encoding: int8 codes (A=0, C=1, G=2, T=3, N/other=4), one-hot, reverse complement, GC, k-mers.

All functions are vectorised over a batch of equal-length sequences stored as an ``(n, L)`` int8 array.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

ALPHABET = "ACGT"
N_CODE = 4

_LUT = np.full(256, N_CODE, dtype=np.int8)
for _i, _b in enumerate(ALPHABET):
    _LUT[ord(_b)] = _i
    _LUT[ord(_b.lower())] = _i
_COMP = np.array([3, 2, 1, 0, N_CODE], dtype=np.int8)
_CHARS = np.frombuffer(b"ACGTN", dtype=np.uint8)


def encode(seq: str) -> np.ndarray:
    """Encode one sequence (str) as a 1-D int8 array; lowercase is read as uppercase (soft-masked repeats) and
    non-ACGT letters (N, IUPAC codes) become 4 (N); a non-ASCII character raises a ValueError."""
    try:
        raw = seq.encode("ascii")
    except UnicodeEncodeError as exc:
        raise ValueError(f"sequences must be ASCII nucleotide letters; found {seq[exc.start]!r} at position "
                         f"{exc.start}") from None
    return _LUT[np.frombuffer(raw, dtype=np.uint8)]


def encode_batch(seqs: Sequence[str] | np.ndarray, *, length: int | None = None) -> np.ndarray:
    """Encode equal-length sequences into an ``(n, L)`` int8 array.

    An int array is validated and returned as int8. With ``length``, shorter sequences are right-padded
    with N and longer ones raise.
    """
    if isinstance(seqs, np.ndarray) and seqs.dtype.kind in "iu":
        arr = np.asarray(seqs, dtype=np.int8)
        if arr.ndim == 1:
            arr = arr[None, :]
        if arr.ndim != 2 or arr.min(initial=0) < 0 or arr.max(initial=0) > N_CODE:
            raise ValueError("code arrays must be 2-D with values in 0..4 (A, C, G, T, N)")
        return arr
    if isinstance(seqs, str):
        seqs = [seqs]
    seqs = list(seqs)
    lengths = {len(s) for s in seqs}
    if length is None:
        if len(lengths) > 1:
            raise ValueError(f"sequences have different lengths {sorted(lengths)[:5]}; pass length= to pad")
        length = lengths.pop() if lengths else 0
    elif max(lengths, default=0) > length:
        raise ValueError(f"a sequence is longer than length={length}")
    out = np.full((len(seqs), length), N_CODE, dtype=np.int8)
    for i, s in enumerate(seqs):
        out[i, : len(s)] = encode(s)
    return out


def decode(codes: np.ndarray) -> str | list[str]:
    """Inverse of :func:`encode` / :func:`encode_batch` (a str for 1-D input, a list for 2-D)."""
    codes = np.asarray(codes)
    if codes.ndim == 1:
        return _CHARS[codes.astype(np.intp)].tobytes().decode("ascii")
    return [_CHARS[row.astype(np.intp)].tobytes().decode("ascii") for row in codes]


def reverse_complement(codes: np.ndarray) -> np.ndarray:
    """Reverse complement of codes along the last axis (N stays N)."""
    codes = np.asarray(codes)
    return _COMP[codes.astype(np.intp)][..., ::-1].copy()


def reverse_complement_str(seq: str) -> str:
    """Reverse complement of a str (non-ACGT letters become N)."""
    return decode(reverse_complement(encode(seq)))


def one_hot(codes: np.ndarray, *, dtype=np.float32) -> np.ndarray:
    """One-hot ``(..., L, 4)`` in A, C, G, T order; N positions are all zero."""
    codes = np.asarray(codes)
    eye = np.vstack([np.eye(4, dtype=dtype), np.zeros((1, 4), dtype=dtype)])
    return eye[codes.astype(np.intp)]


def gc_content(codes: np.ndarray, *, axis: int = -1) -> np.ndarray:
    """Fraction of G or C among the A/C/G/T positions (NaN when none)."""
    codes = np.asarray(codes)
    gc = ((codes == 1) | (codes == 2)).sum(axis=axis)
    valid = (codes < N_CODE).sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return gc / valid


def kmer_index(codes: np.ndarray, k: int) -> np.ndarray:
    """Index (base 4, first base most significant) of the k-mer starting at each position; -1 when it has an N.

    Shape ``(..., L - k + 1)``.
    """
    codes = np.asarray(codes)
    L = codes.shape[-1]
    if k < 1 or k > L:
        raise ValueError(f"k must be in 1..{L}, got {k}")
    m = L - k + 1
    idx = np.zeros(codes.shape[:-1] + (m,), dtype=np.int64)
    bad = np.zeros(idx.shape, dtype=bool)
    for j in range(k):
        c = codes[..., j : j + m].astype(np.int64)
        idx = idx * 4 + np.minimum(c, 3)
        bad |= c == N_CODE
    idx[bad] = -1
    return idx


def kmer_names(k: int) -> list[str]:
    """The 4^k k-mers in index order."""
    names = [""]
    for _ in range(k):
        names = [n + b for n in names for b in ALPHABET]
    return names


def kmer_counts(codes: np.ndarray, k: int, *, canonical: bool = False) -> np.ndarray:
    """Counts of every k-mer per sequence, ``(n, 4^k)`` (k-mers with an N are skipped).

    ``canonical=True`` adds each k-mer's count to its reverse complement's (both columns then hold the sum),
    the usual strand-symmetric spectrum.
    """
    codes = np.atleast_2d(np.asarray(codes))
    n = codes.shape[0]
    idx = kmer_index(codes, k)
    rows = np.broadcast_to(np.arange(n)[:, None], idx.shape)
    ok = idx >= 0
    flat = rows[ok] * 4**k + idx[ok]
    counts = np.bincount(flat, minlength=n * 4**k).reshape(n, 4**k)
    if canonical:
        counts = counts + counts[:, revcomp_kmer_index(k)]
    return counts


def revcomp_kmer_index(k: int) -> np.ndarray:
    """Permutation mapping each k-mer index to the index of its reverse complement."""
    all_codes = np.array([[(i >> (2 * (k - 1 - j))) & 3 for j in range(k)] for i in range(4**k)], dtype=np.int8)
    rc = reverse_complement(all_codes)
    return (rc.astype(np.int64) * (4 ** np.arange(k - 1, -1, -1))).sum(axis=1)
