"""Contact-map I/O: HiC-Pro / pastis / iced text format (``i j count`` + bed), dense and COO arrays, AnnData."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

from .._conventions import ValidationError
from ._validate import as_contact_matrix


def _bed_ids(table: pd.DataFrame) -> np.ndarray | None:
    """The bed's 4th column when it holds consecutive integer bin ids (HiC-Pro / iced), else ``None``."""
    if table.shape[1] < 4:
        return None
    col = pd.to_numeric(table.iloc[:, 3], errors="coerce").to_numpy()
    if np.isnan(col).any() or not np.array_equal(col, np.round(col)):
        return None
    col = col.astype(np.int64)
    return col if np.array_equal(col, col[0] + np.arange(col.size)) else None


def _detect_base(ids, i, j, n: int, matrix_path) -> int:
    """0 or 1: from the bed ids when present, else from the matrix indices (0 seen → 0; n seen → 1; default 1)."""
    if ids is not None and ids[0] in (0, 1):
        return int(ids[0])
    if i.size == 0:
        return 1
    lo, hi = int(min(i.min(), j.min())), int(max(i.max(), j.max()))
    if lo == 0 and hi == n:
        raise ValidationError(f"{matrix_path}: bin indices span 0..{n} for {n} bins: neither 0- nor 1-based")
    return 0 if lo == 0 else 1


def _normalise_starts(bins: pd.DataFrame) -> pd.DataFrame:
    """Convert 1-based inclusive bed starts (1, 10001, ...; iced's sample files) to 0-based half-open ones."""
    starts, ends = bins["start"].to_numpy(np.int64), bins["end"].to_numpy(np.int64)
    if len(bins) and (starts % 10 == 1).all() and (ends % 10 != 1).any():
        # every start is one past a round number while the ends are round: a 1-based inclusive bed
        bins = bins.copy()
        bins["start"] = starts - 1
    return bins


def infer_resolution(bins: pd.DataFrame) -> int:
    """Bin size: the most frequent step between consecutive starts within a chromosome (the last, shorter bin of
    each chromosome does not count); falls back to the median width when each chromosome has one bin."""
    if len(bins) == 0:
        return 0
    starts = bins["start"].to_numpy(np.int64)
    same = bins["chrom"].to_numpy()[1:] == bins["chrom"].to_numpy()[:-1]
    steps = np.diff(starts)[same]
    steps = steps[steps > 0]
    if steps.size:
        values, freq = np.unique(steps, return_counts=True)
        return int(values[np.argmax(freq)])
    return int(np.median((bins["end"] - bins["start"]).to_numpy()))


def read_hicpro(matrix_path, bed_path, *, base: int | str = "auto") -> tuple[sparse.csr_matrix, pd.DataFrame]:
    """Read a HiC-Pro ``.matrix`` (``i j count``, usually upper triangle) and its ``.bed``.

    Parameters
    ----------
    matrix_path, bed_path
        The ``i j count`` file and the bins (``chrom start end [id]``).
    base
        ``0`` or ``1``: whether the bin indices of the matrix start at 0 or 1. ``"auto"`` (default) takes it from
        the bed's id column when there is one (HiC-Pro writes 1-based ids, iced's sample files 0-based ones), else
        from the matrix (an index 0 means 0-based, an index n means 1-based; otherwise 1-based, HiC-Pro's
        convention). An explicit ``base`` that puts indices outside 0..n−1 raises.

    Returns
    -------
    counts, bins
        The symmetric CSR counts and a bins table (chrom, start, end). Bed starts written 1-based inclusive
        (``1 10000``, ``10001 20000``, as in iced's files) are converted to 0-based half-open (``0 10000``), so
        that ``end − start`` is the bin size.
    """
    if base not in (0, 1, "auto"):
        raise ValidationError(f"base must be 0, 1 or 'auto', got {base!r}")
    table = pd.read_csv(bed_path, sep=r"\s+", header=None, comment="#")
    if table.shape[1] < 3:
        raise ValidationError(f"{bed_path}: a bed file needs at least 3 columns (chrom start end)")
    ids = _bed_ids(table)
    bins = table.iloc[:, :3].copy()
    bins.columns = ["chrom", "start", "end"]
    bins["chrom"] = bins["chrom"].astype(str)
    bins = _normalise_starts(bins)
    n = len(bins)
    raw = np.loadtxt(matrix_path, ndmin=2)
    if raw.size == 0:
        raw = np.zeros((0, 3))
    if raw.shape[1] != 3:
        raise ValidationError(f"{matrix_path}: expected 3 columns (i j count), got {raw.shape[1]}")
    i = raw[:, 0].astype(np.int64)
    j = raw[:, 1].astype(np.int64)
    b = _detect_base(ids, i, j, n, matrix_path) if base == "auto" else int(base)
    i, j = i - b, j - b
    if raw.shape[0] and (min(i.min(), j.min()) < 0 or max(i.max(), j.max()) >= n):
        raise ValidationError(f"{matrix_path}: bin indices outside 0..{n - 1} after base={b} (is base right? "
                              f"base='auto' detects it)")
    mat = sparse.coo_matrix((raw[:, 2], (i, j)), shape=(n, n)).tocsr()
    return as_contact_matrix(mat), bins.reset_index(drop=True)


def write_hicpro(counts, bins: pd.DataFrame, matrix_path, bed_path, *, base: int = 1) -> None:
    """Write the upper triangle (diagonal included) as ``i j count`` and the bins as bed (with 1-based ids)."""
    mat = sparse.triu(as_contact_matrix(counts)).tocoo()
    order = np.lexsort((mat.col, mat.row))
    with open(matrix_path, "w") as fh:
        for r, c, v in zip(mat.row[order], mat.col[order], mat.data[order], strict=True):
            fh.write(f"{r + base}\t{c + base}\t{v:.10g}\n")
    out = bins[["chrom", "start", "end"]].copy()
    out["id"] = np.arange(len(out)) + base
    out.to_csv(bed_path, sep="\t", header=False, index=False)


def bins_from_lengths(lengths, resolution: int = 10_000, chrom_names=None) -> pd.DataFrame:
    """Bins table for chromosomes of ``lengths`` bins each (pastis/iced convention)."""
    lengths = np.asarray(lengths, dtype=int).ravel()
    names = [f"chr{k + 1}" for k in range(lengths.size)] if chrom_names is None else list(chrom_names)
    rows = [(names[k], b * resolution, (b + 1) * resolution) for k, L in enumerate(lengths) for b in range(L)]
    return pd.DataFrame(rows, columns=["chrom", "start", "end"])


def contact_anndata(counts, bins: pd.DataFrame | None = None, *, resolution: int | None = None, lengths=None):
    """Build the contact-map AnnData: ``.X`` sparse symmetric counts, bins as obs and var,
    ``.uns["hic"] = {"resolution", "chrom_lengths"}`` (lengths in bins per chromosome)."""
    from anndata import AnnData

    mat = as_contact_matrix(counts)
    n = mat.shape[0]
    if bins is None:
        bins = bins_from_lengths([n] if lengths is None else lengths, resolution or 10_000)
    if len(bins) != n:
        raise ValidationError(f"bins has {len(bins)} rows, counts has {n} bins")
    bins = bins.reset_index(drop=True).copy()
    if resolution is None:
        resolution = infer_resolution(bins)
    names = [f"{c}:{s}-{e}" for c, s, e in zip(bins["chrom"], bins["start"], bins["end"], strict=True)]
    bins.index = pd.Index(names)
    chrom_lengths = bins.groupby("chrom", sort=False).size()
    adata = AnnData(X=mat, obs=bins.copy(), var=bins.copy())
    adata.uns["hic"] = {
        "resolution": int(resolution),
        "chrom_lengths": {str(k): int(v) for k, v in chrom_lengths.items()},
    }
    return adata


def read_hicpro_anndata(matrix_path, bed_path, *, base: int | str = "auto"):
    """:func:`read_hicpro` then :func:`contact_anndata`."""
    counts, bins = read_hicpro(matrix_path, bed_path, base=base)
    return contact_anndata(counts, bins)


def from_coo(i, j, values, n: int, *, bins=None, resolution: int | None = None):
    """AnnData from COO triplets (0-based; upper, lower or both triangles)."""
    mat = sparse.coo_matrix((np.asarray(values, float), (np.asarray(i), np.asarray(j))), shape=(int(n), int(n)))
    return contact_anndata(mat.tocsr(), bins, resolution=resolution)


def write_structure_pdb(X, path) -> None:
    """Minimal PDB of the beads (one CA atom per bead, filtered beads skipped), coordinates scaled to fit."""
    X = np.asarray(X, float)
    scale = 1.0
    ok = ~np.isnan(X).any(axis=1)
    m = np.abs(X[ok]).max() if ok.any() else 1.0
    if m > 999:
        scale = 999 / m
    with open(Path(path), "w") as fh:
        for k in np.flatnonzero(ok):
            x, y, z = X[k] * scale
            fh.write(f"ATOM  {k + 1:5d}  CA  BEA A{(k + 1) % 10000:4d}    {x:8.3f}{y:8.3f}{z:8.3f}  1.00  0.00\n")
        fh.write("END\n")
