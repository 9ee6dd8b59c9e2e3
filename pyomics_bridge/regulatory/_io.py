"""Reading sequences and motifs: FASTA, BED/narrowPeak (+ genome FASTA), MEME and JASPAR motif text formats."""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ._sequences import encode_batch, reverse_complement


@dataclass
class Motif:
    """A DNA motif: a ``(W, 4)`` matrix (A, C, G, T columns) of counts or probabilities."""

    name: str
    matrix: np.ndarray
    matrix_id: str = ""
    kind: str = "probabilities"  # or "counts"
    nsites: float | None = None
    meta: dict = field(default_factory=dict)

    @property
    def width(self) -> int:
        return int(self.matrix.shape[0])

    @property
    def probabilities(self) -> np.ndarray:
        m = np.asarray(self.matrix, dtype=float)
        return m / m.sum(axis=1, keepdims=True)

    @property
    def label(self) -> str:
        return f"{self.matrix_id} {self.name}".strip() if self.matrix_id else self.name


def _text(source) -> str:
    if hasattr(source, "read"):
        return source.read()
    s = str(source)
    if "\n" not in s and os.path.exists(s):
        return Path(s).read_text()
    return s


# ----------------------------------------------------------------------------- FASTA
def read_fasta(source) -> tuple[list[str], list[str]]:
    """Names (first word of the header) and sequences (upper-case) of a FASTA file, handle or string."""
    names, seqs, chunks = [], [], None
    for line in _text(source).splitlines():
        line = line.strip()
        if not line or line.startswith(";"):
            continue
        if line.startswith(">"):
            if chunks is not None:
                seqs.append("".join(chunks).upper())
            names.append(line[1:].split()[0] if line[1:].split() else "")
            chunks = []
        elif chunks is None:
            raise ValueError("FASTA text must start with a '>' header line")
        else:
            chunks.append(line)
    if chunks is not None:
        seqs.append("".join(chunks).upper())
    return names, seqs


def write_fasta(path, names, seqs, *, width: int = 80) -> None:
    """Write sequences to a FASTA file."""
    with open(path, "w") as fh:
        for n, s in zip(names, seqs, strict=True):
            fh.write(f">{n}\n")
            for i in range(0, len(s), width):
                fh.write(s[i : i + width] + "\n")


# ----------------------------------------------------------------------------- BED / narrowPeak
_BED_COLS = ["chrom", "start", "end", "name", "score", "strand"]
_NARROWPEAK_COLS = _BED_COLS + ["signal", "pvalue", "qvalue", "summit"]


def read_bed(source) -> pd.DataFrame:
    """BED (3-6+ columns) or narrowPeak (10 columns) as a DataFrame; ``summit`` is the absolute summit position
    (``start + peak offset`` for narrowPeak with offset >= 0, the interval midpoint otherwise)."""
    rows = [
        line.split("\t") if "\t" in line else line.split()
        for line in _text(source).splitlines()
        if line.strip() and not line.startswith(("#", "track", "browser"))
    ]
    if not rows:
        return pd.DataFrame(columns=[*_BED_COLS, "summit"])
    ncol = min(len(r) for r in rows)
    cols = _NARROWPEAK_COLS if ncol >= 10 else _BED_COLS[: min(ncol, 6)]
    df = pd.DataFrame([r[: len(cols)] for r in rows], columns=cols)
    df["start"] = df["start"].astype(np.int64)
    df["end"] = df["end"].astype(np.int64)
    if ncol >= 10:
        off = df["summit"].astype(np.int64)
        df["summit"] = np.where(off >= 0, df["start"] + off, (df["start"] + df["end"]) // 2)
        for c in ("signal", "pvalue", "qvalue"):
            df[c] = df[c].astype(float)
    else:
        df["summit"] = (df["start"] + df["end"]) // 2
    return df


def _genome_accessor(genome):
    """dict-like chrom -> str from a dict, a pyfaidx.Fasta or a FASTA path (pyfaidx when installed)."""
    if isinstance(genome, dict):
        return lambda c, a, b: genome[c][a:b]
    if isinstance(genome, (str, os.PathLike)):
        try:
            import pyfaidx

            fa = pyfaidx.Fasta(str(genome), sequence_always_upper=True)
            return lambda c, a, b: str(fa[c][a:b])
        except ImportError:
            names, seqs = read_fasta(genome)
            d = dict(zip(names, seqs, strict=True))
            return lambda c, a, b: d[c][a:b]
    return lambda c, a, b: str(genome[c][a:b]).upper()


def extract_sequences(peaks: pd.DataFrame, genome, *, width: int = 1000, stranded: bool = False) -> np.ndarray:
    """``(n, width)`` int8 codes centred on each peak's summit; bases beyond chromosome ends are N.

    ``genome`` is a FASTA path (read with pyfaidx when installed, else loaded in memory), a ``pyfaidx.Fasta``
    or a dict chrom -> sequence. With ``stranded`` and a ``strand`` column, minus-strand peaks are
    reverse-complemented.
    """
    get = _genome_accessor(genome)
    half = width // 2
    seqs = []
    for chrom, summit in zip(peaks["chrom"], peaks["summit"], strict=True):
        a, b = int(summit) - half, int(summit) - half + width
        try:
            s = get(chrom, max(a, 0), b)
        except KeyError:
            from .._conventions import ValidationError

            raise ValidationError(f"peaks: chromosome {chrom!r} is not in the genome") from None
        s = "N" * (max(a, 0) - a) + s
        seqs.append(s + "N" * (width - len(s)))
    codes = encode_batch(seqs, length=width)
    if stranded and "strand" in peaks:
        minus = (peaks["strand"] == "-").to_numpy()
        codes[minus] = reverse_complement(codes[minus])
    return codes


def _interval_overlap(a: pd.DataFrame, b: pd.DataFrame) -> np.ndarray:
    """Boolean: does each interval of ``a`` overlap any interval of ``b`` (same chromosome)."""
    out = np.zeros(len(a), dtype=bool)
    for chrom, ga in a.groupby("chrom"):
        gb = b[b["chrom"] == chrom].sort_values("start")
        if gb.empty:
            continue
        starts, ends = gb["start"].to_numpy(), np.maximum.accumulate(gb["end"].to_numpy())
        # the last b interval starting before a.end; overlap iff its running max end > a.start
        j = np.searchsorted(starts, ga["end"].to_numpy(), side="left") - 1
        ok = j >= 0
        hit = np.zeros(len(ga), dtype=bool)
        hit[ok] = ends[j[ok]] > ga["start"].to_numpy()[ok]
        out[a.index.get_indexer(ga.index)] = hit
    return out


def select_peaks(a: pd.DataFrame, b: pd.DataFrame, *, mode: str = "unique") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two peak sets to compare: ``"unique"`` (peaks of a not overlapping b, and vice versa) or
    ``"unique_vs_shared"`` (a-only peaks vs a peaks overlapping b)."""
    a = a.reset_index(drop=True)
    b = b.reset_index(drop=True)
    in_b = _interval_overlap(a, b)
    if mode == "unique":
        return a[~in_b].reset_index(drop=True), b[~_interval_overlap(b, a)].reset_index(drop=True)
    if mode == "unique_vs_shared":
        return a[~in_b].reset_index(drop=True), a[in_b].reset_index(drop=True)
    raise ValueError(f"mode must be 'unique' or 'unique_vs_shared', got {mode!r}")


# ----------------------------------------------------------------------------- motifs
def read_meme(source) -> list[Motif]:
    """Motifs of a MEME (minimal) text file: ``MOTIF id [name]`` then a ``letter-probability matrix`` block."""
    text = _text(source)
    lines = text.splitlines()
    motifs, i = [], 0
    m = re.search(r"^ALPHABET=\s*(\S+)", text, flags=re.M)
    if m and m.group(1).upper() != "ACGT":
        raise ValueError(f"only the DNA alphabet ACGT is supported, got {m.group(1)}")
    while i < len(lines):
        line = lines[i].strip()
        if line.startswith("MOTIF"):
            parts = line.split()
            mid = parts[1] if len(parts) > 1 else f"motif{len(motifs) + 1}"
            name = parts[2] if len(parts) > 2 else mid
            i += 1
            while i < len(lines) and "letter-probability matrix" not in lines[i]:
                if lines[i].strip().startswith("MOTIF"):
                    break
                i += 1
            if i >= len(lines) or "letter-probability matrix" not in lines[i]:
                continue
            header = lines[i]
            w = re.search(r"w=\s*(\d+)", header)
            ns = re.search(r"nsites=\s*([\d.eE+-]+)", header)
            i += 1
            rows = []
            while i < len(lines):
                vals = lines[i].split()
                if len(vals) == 4:
                    try:
                        rows.append([float(v) for v in vals])
                        i += 1
                        if w and len(rows) == int(w.group(1)):
                            break
                        continue
                    except ValueError:
                        pass
                if rows or (vals and vals[0] in ("URL", "MOTIF")):
                    break
                i += 1
            if not rows:
                raise ValueError(f"motif {mid}: empty letter-probability matrix")
            motifs.append(Motif(name=name, matrix_id=mid, matrix=np.array(rows), kind="probabilities",
                                nsites=float(ns.group(1)) if ns else None))
            continue
        i += 1
    return motifs


def read_jaspar(source) -> list[Motif]:
    """Motifs in JASPAR text format: ``>MA0001.1 NAME`` then four rows ``A [ counts ]`` (or bare count rows)."""
    lines = [ln.strip() for ln in _text(source).splitlines() if ln.strip()]
    motifs, i = [], 0
    while i < len(lines):
        if not lines[i].startswith(">"):
            raise ValueError(f"expected a '>' header line, got {lines[i][:40]!r}")
        parts = lines[i][1:].split(None, 1)
        mid = parts[0] if parts else ""
        name = parts[1].strip() if len(parts) > 1 else mid
        rows = {}
        for j, line in enumerate(lines[i + 1 : i + 5]):
            m = re.match(r"^([ACGTacgt])?\s*\[?\s*([^\]]*)\]?$", line)
            if not m:
                raise ValueError(f"motif {mid}: cannot parse row {line!r}")
            base = (m.group(1) or "ACGT"[j]).upper()
            rows[base] = [float(v) for v in m.group(2).split()]
        if set(rows) != set("ACGT") or len({len(v) for v in rows.values()}) != 1:
            raise ValueError(f"motif {mid}: needs four rows A, C, G, T of equal length")
        counts = np.array([rows[b] for b in "ACGT"]).T
        motifs.append(Motif(name=name, matrix_id=mid, matrix=counts, kind="counts", nsites=float(counts[0].sum())))
        i += 5
    return motifs


def write_meme(path_or_none, motifs: list[Motif], *, background=(0.25, 0.25, 0.25, 0.25)) -> str:
    """MEME minimal text for ``motifs`` (returned; also written to a path when given)."""
    out = io.StringIO()
    out.write("MEME version 4\n\nALPHABET= ACGT\n\nstrands: + -\n\nBackground letter frequencies\n")
    out.write(" ".join(f"{b} {p:.4f}" for b, p in zip("ACGT", background, strict=True)) + "\n\n")
    for m in motifs:
        p = m.probabilities
        out.write(f"MOTIF {m.matrix_id or m.name} {m.name}\n")
        out.write(f"letter-probability matrix: alength= 4 w= {m.width} nsites= {int(m.nsites or 20)} E= 0\n")
        for row in p:
            out.write(" ".join(f"{v:.6f}" for v in row) + "\n")
        out.write("\n")
    text = out.getvalue()
    if path_or_none is not None:
        Path(path_or_none).write_text(text)
    return text
