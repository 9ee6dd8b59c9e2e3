"""Contact-map I/O: HiC-Pro / pastis / iced text format (``i j count`` + bed), dense and COO arrays, AnnData."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

from .._conventions import ValidationError
from ._validate import as_contact_matrix


def read_hicpro(matrix_path, bed_path, *, base: int = 1) -> tuple[sparse.csr_matrix, pd.DataFrame]:
    """Read a HiC-Pro ``.matrix`` (``i j count``, ``base``-based, usually upper triangle) and its ``.bed``.

    Returns the symmetric CSR counts and a bins table (chrom, start, end).
    """
    bins = pd.read_csv(bed_path, sep=r"\s+", header=None, comment="#")
    if bins.shape[1] < 3:
        raise ValidationError(f"{bed_path}: a bed file needs at least 3 columns (chrom start end)")
    bins = bins.iloc[:, :3]
    bins.columns = ["chrom", "start", "end"]
    bins["chrom"] = bins["chrom"].astype(str)
    n = len(bins)
    raw = np.loadtxt(matrix_path, ndmin=2)
    if raw.size == 0:
        raw = np.zeros((0, 3))
    if raw.shape[1] != 3:
        raise ValidationError(f"{matrix_path}: expected 3 columns (i j count), got {raw.shape[1]}")
    i = raw[:, 0].astype(np.int64) - base
    j = raw[:, 1].astype(np.int64) - base
    if raw.shape[0] and (min(i.min(), j.min()) < 0 or max(i.max(), j.max()) >= n):
        raise ValidationError(f"{matrix_path}: bin indices outside 0..{n - 1} after base={base} (is base right?)")
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
        widths = (bins["end"] - bins["start"]).to_numpy()
        resolution = int(np.median(widths)) if n else 0
    names = [f"{c}:{s}-{e}" for c, s, e in zip(bins["chrom"], bins["start"], bins["end"], strict=True)]
    bins.index = pd.Index(names)
    chrom_lengths = bins.groupby("chrom", sort=False).size()
    adata = AnnData(X=mat, obs=bins.copy(), var=bins.copy())
    adata.uns["hic"] = {
        "resolution": int(resolution),
        "chrom_lengths": {str(k): int(v) for k, v in chrom_lengths.items()},
    }
    return adata


def read_hicpro_anndata(matrix_path, bed_path, *, base: int = 1):
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
