"""``.cool`` / ``.mcool`` contact maps through cooler (optional ``hic`` extra): read to and write from the
contact-map AnnData (bins as obs and var, sparse symmetric raw counts in ``.X``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from .._conventions import ValidationError
from .._optional import import_optional
from ._io import contact_anndata
from ._validate import as_contact_matrix, check_bias


def _cooler():
    return import_optional("cooler", purpose="reading and writing .cool/.mcool files")


def list_resolutions(path) -> list[int]:
    """Resolutions (bin sizes) stored in an ``.mcool`` file (empty for a single-resolution ``.cool``)."""
    cooler = _cooler()
    uris = cooler.fileops.list_coolers(str(path))
    res = []
    for u in uris:
        parts = u.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "resolutions" and parts[1].isdigit():
            res.append(int(parts[1]))
    return sorted(res)


def _resolve_uri(path, resolution):
    cooler = _cooler()
    path = str(path)
    if "::" in path:
        return path
    if cooler.fileops.is_cooler(path):
        return path
    if cooler.fileops.is_multires_file(path):
        available = list_resolutions(path)
        if resolution is None:
            raise ValidationError(f"{path} is a multi-resolution file: give resolution= (available: {available})")
        if int(resolution) not in available:
            raise ValidationError(f"resolution {resolution} not in {path} (available: {available})")
        return f"{path}::/resolutions/{int(resolution)}"
    raise ValidationError(f"{path} is neither a .cool nor a .mcool file")


def read_cool(path, *, resolution: int | None = None, chrom: str | list[str] | None = None):
    """Read a ``.cool`` file, an ``.mcool`` at ``resolution``, or a ``file::/group`` URI into the contact-map AnnData.

    Parameters
    ----------
    path
        File path or cooler URI.
    resolution
        Bin size to load from an ``.mcool`` file.
    chrom
        Chromosome name(s) to keep (intra- and inter-chromosomal blocks among them); ``None``: the whole map.

    Returns
    -------
    AnnData with raw counts in ``.X`` (CSR, symmetric), bins (chrom, start, end) as ``.obs``/``.var``; a stored
    balancing weight becomes ``.obs["cooler_weight"]`` (cooler's weight is 1/bias up to a constant);
    ``.uns["hic"]`` has ``resolution``, ``chrom_lengths`` (bins) and ``source``.
    """
    cooler = _cooler()
    uri = _resolve_uri(path, resolution)
    clr = cooler.Cooler(uri)
    bins = clr.bins()[:]
    if chrom is not None:
        names = [chrom] if isinstance(chrom, str) else list(chrom)
        missing = [c for c in names if c not in list(clr.chromnames)]
        if missing:
            raise ValidationError(f"chromosome(s) {missing} not in {uri} (available: {list(clr.chromnames)})")
        sel = np.flatnonzero(bins["chrom"].astype(str).isin(names).to_numpy())
    else:
        sel = np.arange(len(bins))
    mat = clr.matrix(balance=False, sparse=True)[:]
    mat = sparse.csr_matrix(mat, dtype=np.float64)
    if chrom is not None:
        mat = mat[sel][:, sel]
    b = bins.iloc[sel].reset_index(drop=True)
    table = pd.DataFrame({"chrom": b["chrom"].astype(str).to_numpy(), "start": b["start"].to_numpy(),
                          "end": b["end"].to_numpy()})
    adata = contact_anndata(mat, table, resolution=clr.binsize)
    if "weight" in b.columns:
        adata.obs["cooler_weight"] = b["weight"].to_numpy(dtype=np.float64)
    adata.uns["hic"]["source"] = uri
    return adata


def write_cool(adata, path, *, layer: str | None = None, bias_key: str | None = None) -> None:
    """Write a contact-map AnnData (raw counts in ``.X`` or ``layer``; bins in ``.obs``) to a ``.cool`` file.

    The upper triangle (diagonal included) is stored as pixels; integer-valued counts are stored as integers,
    others as floats. ``bias_key`` (e.g. ``"ice_bias"``) adds cooler's ``weight`` column = 1 / bias (NaN for
    filtered bins), so cooler-aware tools see the balancing.
    """
    cooler = _cooler()
    if layer is not None and layer not in adata.layers:
        raise ValidationError(f"adata.layers has no {layer!r} (layers: {list(adata.layers)})")
    mat = as_contact_matrix(adata.X if layer is None else adata.layers[layer],
                            name="adata.X" if layer is None else f"adata.layers[{layer!r}]")
    missing = [c for c in ("chrom", "start", "end") if c not in adata.obs.columns]
    if missing:
        raise ValidationError(f"adata.obs lacks bin columns {missing}; build it with pob.hic.contact_anndata")
    bins = pd.DataFrame({"chrom": adata.obs["chrom"].astype(str).to_numpy(),
                         "start": adata.obs["start"].to_numpy(np.int64), "end": adata.obs["end"].to_numpy(np.int64)})
    if bias_key is not None:
        if bias_key not in adata.obs.columns:
            raise ValidationError(f"adata.obs has no column {bias_key!r} (columns: {list(adata.obs.columns)})")
        bias = check_bias(adata.obs[bias_key].to_numpy(np.float64), mat.shape[0], name=f"adata.obs[{bias_key!r}]")
        bins["weight"] = 1.0 / bias
    up = sparse.triu(mat).tocoo()
    order = np.lexsort((up.col, up.row))
    vals = up.data[order]
    integer = bool(np.all(vals == np.round(vals)))
    pixels = pd.DataFrame({"bin1_id": up.row[order].astype(np.int64), "bin2_id": up.col[order].astype(np.int64),
                           "count": vals.astype(np.int64) if integer else vals})
    cooler.create_cooler(str(path), bins, pixels, ordered=True, symmetric_upper=True,
                         dtypes={"count": np.int64 if integer else np.float64})
