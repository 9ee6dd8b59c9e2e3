"""Thin wrappers around the AnnData (.h5ad) and MuData (.h5mu) readers and writers, with path checks."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._conventions import check_data
from ._paths import PathLike, check_hdf5, existing_file, writable_target

if TYPE_CHECKING:  # pragma: no cover
    from anndata import AnnData
    from mudata import MuData


def read_h5ad(path: PathLike, **kwargs: Any) -> AnnData:
    """Read an ``.h5ad`` file with :func:`anndata.read_h5ad`.

    Parameters
    ----------
    path
        File to read; a clear :class:`FileNotFoundError` naming it is raised when it does not exist.
    **kwargs
        Passed to :func:`anndata.read_h5ad` (e.g. ``backed="r"``).
    """
    import anndata

    p = existing_file(path, what=".h5ad file")
    check_hdf5(p, what="an .h5ad (AnnData) file")
    return anndata.read_h5ad(p, **kwargs)


def write_h5ad(adata: AnnData, path: PathLike, **kwargs: Any) -> Path:
    """Write ``adata`` to ``path`` with :meth:`anndata.AnnData.write_h5ad`; returns the path written.

    ``**kwargs`` go to ``AnnData.write_h5ad`` (e.g. ``compression="gzip"``).
    """
    check_data(adata, name="adata")
    p = writable_target(path, what=".h5ad file")
    adata.write_h5ad(p, **kwargs)
    return p


def read_h5mu(path: PathLike, **kwargs: Any) -> MuData:
    """Read an ``.h5mu`` file with :func:`mudata.read_h5mu` (``**kwargs`` passed on)."""
    import mudata

    p = existing_file(path, what=".h5mu file")
    check_hdf5(p, what="an .h5mu (MuData) file")
    return mudata.read_h5mu(p, **kwargs)


def write_h5mu(mdata: MuData, path: PathLike, **kwargs: Any) -> Path:
    """Write ``mdata`` to ``path`` with :meth:`mudata.MuData.write_h5mu`; returns the path written."""
    from mudata import MuData

    if not isinstance(mdata, MuData):
        raise TypeError(f"mdata must be a MuData, got {type(mdata).__name__}")
    p = writable_target(path, what=".h5mu file")
    mdata.write_h5mu(p, **kwargs)
    return p
