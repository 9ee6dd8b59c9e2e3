"""``read``/``write`` dispatching on the file extension (used by the command-line interface)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .._conventions import ValidationError
from ._csv import csv_to_anndata
from ._h5 import read_h5ad, read_h5mu, write_h5ad, write_h5mu
from ._paths import PathLike, existing_file

READ_EXTENSIONS = (".h5ad", ".h5mu", ".csv")
WRITE_EXTENSIONS = (".h5ad", ".h5mu")


def _extension(path: Path) -> str:
    return path.suffix.lower()


def read(path: PathLike, **kwargs: Any):
    """Read ``path`` according to its extension.

    * ``.h5ad`` -> AnnData (:func:`read_h5ad`);
    * ``.h5mu`` -> MuData (:func:`read_h5mu`);
    * ``.csv`` -> AnnData, samples x features, floats parsed exactly (options of ``csv_to_anndata``:
      ``obs_columns=[...]`` for annotation columns, ``transpose=True`` for features x samples files).

    ``**kwargs`` go to the reader. Raises ``FileNotFoundError`` naming the path when it is missing and
    :class:`~pyomics_bridge._conventions.ValidationError` for an unsupported extension.
    """
    p = existing_file(path, what="input file")
    ext = _extension(p)
    if ext == ".h5ad":
        return read_h5ad(p, **kwargs)
    if ext == ".h5mu":
        return read_h5mu(p, **kwargs)
    if ext == ".csv":
        return csv_to_anndata(p, **kwargs)
    raise ValidationError(f"cannot read '{p}': unsupported extension {ext!r} (supported: {list(READ_EXTENSIONS)})")


def write(data, path: PathLike, **kwargs: Any) -> Path:
    """Write an AnnData to ``.h5ad`` or a MuData to ``.h5mu``, chosen by the extension of ``path``."""
    from anndata import AnnData

    p = Path(path)
    ext = _extension(p)
    if ext == ".h5ad":
        if not isinstance(data, AnnData):
            raise ValidationError(f"cannot write a {type(data).__name__} to '{p}': .h5ad holds an AnnData")
        return write_h5ad(data, p, **kwargs)
    if ext == ".h5mu":
        from mudata import MuData

        if not isinstance(data, MuData):
            raise ValidationError(f"cannot write a {type(data).__name__} to '{p}': .h5mu holds a MuData")
        return write_h5mu(data, p, **kwargs)
    raise ValidationError(f"cannot write '{p}': unsupported extension {ext!r} (supported: {list(WRITE_EXTENSIONS)})")
