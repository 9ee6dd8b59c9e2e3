"""JASPAR collections through the optional ``pyjaspar`` package (offline SQLite), with an on-disk cache.

Querying a release through pyjaspar takes seconds (JASPAR2024) to ~40 s (JASPAR2026), so the parsed collection is
stored once as ``<data dir>/jaspar/<release>_<collection>_<tax group>.npz`` (data dir: ``$POB_DATA_DIR``, else
``~/.cache/pyomics_bridge``) and read back from there (milliseconds). The cache records the pyjaspar version and
is rebuilt when it changes.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path

import numpy as np

from ._io import Motif

DEFAULT_RELEASE = "JASPAR2024"


def _cache_path(release: str, collection: str, tax_group: str, cache_dir) -> Path:
    if cache_dir is None:
        from ..datasets._paths import data_dir

        cache_dir = data_dir() / "jaspar"
    safe = "_".join(str(x).replace("/", "-").replace(" ", "-") for x in (release, collection, tax_group))
    return Path(cache_dir) / f"{safe}.npz"


def _save(path: Path, motifs: list[Motif], version: str) -> None:
    mats = [m.matrix for m in motifs]
    payload = {
        "version": np.array(version),
        "names": np.array([m.name for m in motifs], dtype=str),
        "ids": np.array([m.matrix_id for m in motifs], dtype=str),
        "widths": np.array([m.shape[0] for m in mats], dtype=np.int64),
        "counts": np.concatenate(mats) if mats else np.zeros((0, 4)),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz")
    os.close(fd)
    try:
        np.savez_compressed(tmp, **payload)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _load(path: Path, version: str) -> list[Motif] | None:
    try:
        with np.load(path) as z:
            if str(z["version"]) != version:
                return None
            names, ids, widths, counts = z["names"], z["ids"], z["widths"], z["counts"]
    except (OSError, KeyError, ValueError):
        return None
    ends = np.cumsum(widths)
    return [Motif(name=str(n), matrix_id=str(i), matrix=counts[e - w : e].copy(), kind="counts")
            for n, i, w, e in zip(names, ids, widths, ends, strict=True)]


def jaspar_motifs(
    *,
    release: str | None = DEFAULT_RELEASE,
    collection: str = "CORE",
    tax_group: str = "vertebrates",
    cache: bool = True,
    cache_dir=None,
) -> list[Motif]:
    """The latest version of every motif of a JASPAR collection, as count :class:`Motif` objects.

    Parameters
    ----------
    release
        ``"JASPAR2024"`` (default; 879 CORE vertebrate motifs), ``"JASPAR2026"``, ... or ``None`` for pyjaspar's
        latest release.
    collection, tax_group
        JASPAR collection and taxonomic group.
    cache, cache_dir
        Read/write the parsed collection from/to ``cache_dir`` (default ``<data dir>/jaspar``).

    Raises
    ------
    MissingExtraError
        pyjaspar is not installed (``pip install 'pyomics_bridge[seq]'``).
    """
    from .._optional import import_optional

    pyjaspar = import_optional("pyjaspar", purpose="JASPAR motif collections")
    version = str(getattr(pyjaspar, "__version__", "unknown"))
    if release is None:
        release = pyjaspar.jaspardb().release
    path = _cache_path(release, collection, tax_group, cache_dir)
    if cache and path.exists():
        got = _load(path, version)
        if got is not None:
            return got
    db = pyjaspar.jaspardb(release=release)
    out = []
    for m in db.fetch_motifs(collection=collection, tax_group=[tax_group], all_versions=False):
        counts = np.array([m.counts[b] for b in "ACGT"], dtype=float).T
        out.append(Motif(name=m.name, matrix_id=m.matrix_id, matrix=counts, kind="counts"))
    if not out:
        raise ValueError(f"JASPAR {release} has no motif in collection={collection!r}, tax_group={tax_group!r}")
    if cache:
        try:
            _save(path, out, version)
        except OSError as exc:  # read-only data dir: work without the cache
            warnings.warn(f"could not write the JASPAR cache {path}: {exc}", stacklevel=2)
    return out


def motifs_as_dict(motifs: list[Motif]) -> dict[str, Motif]:
    """``{"MA0035.5 Gata1": motif}`` (labels made unique)."""
    out: dict[str, Motif] = {}
    for m in motifs:
        label = m.label
        k = 2
        while label in out:
            label = f"{m.label}#{k}"
            k += 1
        out[label] = m
    return out
