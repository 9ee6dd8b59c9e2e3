"""Path checks shared by the readers and writers: errors name the offending path."""

from __future__ import annotations

import os
from pathlib import Path

PathLike = str | os.PathLike


def existing_file(path: PathLike, *, what: str = "file") -> Path:
    """Return ``path`` as a :class:`~pathlib.Path`, raising a clear error unless it is an existing file."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    p = Path(path).expanduser()
    if not p.exists():
        raise FileNotFoundError(f"{what} not found: '{p}' does not exist")
    if p.is_dir():
        raise IsADirectoryError(f"{what} expected, but '{p}' is a directory")
    return p


def writable_target(path: PathLike, *, what: str = "output file") -> Path:
    """Return ``path`` as a Path after checking that its parent directory exists and that it is not a directory."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    p = Path(path).expanduser()
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise FileNotFoundError(f"cannot write {what} '{p}': directory '{parent}' does not exist")
    if p.is_dir():
        raise IsADirectoryError(f"cannot write {what} '{p}': it is a directory")
    return p


def check_hdf5(path: Path, *, what: str) -> None:
    """Raise a clear error when ``path`` is not an HDF5 file (h5ad and h5mu are HDF5)."""
    import h5py

    if not h5py.is_hdf5(path):
        from .._conventions import ValidationError

        raise ValidationError(f"'{path}' is not an HDF5 file, so it cannot be read as {what}")
