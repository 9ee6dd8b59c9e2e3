"""Where datasets live (bundled folder, data directory) and checksum verification."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from .._conventions import ValidationError

#: Environment variable that points at the external data directory.
DATA_DIR_ENV = "POB_DATA_DIR"


class DatasetNotFoundError(FileNotFoundError):
    """A dataset file is missing; the message names the expected path and how to get the data."""


class ChecksumError(ValidationError):
    """A dataset file does not have the expected SHA-256 checksum (corrupted, modified or another version)."""


def data_dir() -> Path:
    """The directory external datasets are read from.

    ``$POB_DATA_DIR`` when set (and not empty), else the user cache directory
    ``$XDG_CACHE_HOME/pyomics_bridge`` (``~/.cache/pyomics_bridge`` when ``XDG_CACHE_HOME`` is unset).
    The directory is not created.
    """
    env = os.environ.get(DATA_DIR_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME", "").strip()
    base = Path(cache).expanduser() if cache else Path.home() / ".cache"
    return base / "pyomics_bridge"


def describe_data_dir(path: Path | None = None) -> str:
    """Human-readable origin of the data directory, for error messages."""
    if path is not None:
        return f"data_dir='{path}' (passed explicitly)"
    env = os.environ.get(DATA_DIR_ENV, "").strip()
    if env:
        return f"{DATA_DIR_ENV}='{env}'"
    return f"{DATA_DIR_ENV} is not set, so the default cache directory '{data_dir()}' was used"


def bundled_data_dir() -> Path:
    """The folder of the data shipped with the package.

    In a wheel the repository's top-level ``data/`` folder is installed as ``pyomics_bridge/_bundled_data``;
    in a source checkout (editable install) it is ``<repo>/data``.
    """
    import pyomics_bridge

    pkg = Path(pyomics_bridge.__file__).resolve().parent
    installed = pkg / "_bundled_data"
    if installed.is_dir():
        return installed
    return pkg.parent / "data"


def sha256_file(path: str | os.PathLike, *, chunk_size: int = 1 << 20) -> str:
    """Hex SHA-256 digest of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(chunk_size), b""):
            h.update(chunk)
    return h.hexdigest()


def file_checksums(folder: str | os.PathLike) -> dict[str, str]:
    """SHA-256 of every regular file directly inside ``folder`` (name -> hex digest), sorted by name."""
    folder = Path(folder)
    return {p.name: sha256_file(p) for p in sorted(folder.iterdir()) if p.is_file()}


# (resolved path, size, mtime_ns) -> digest, so that repeated loads in one session hash each file once
_VERIFIED: dict[tuple[str, int, int], str] = {}


def verify_file(path: Path, expected: str, *, hint: str = "") -> None:
    """Raise :class:`ChecksumError` unless ``path`` has SHA-256 ``expected``."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    actual = _VERIFIED.get(key)
    if actual is None:
        actual = sha256_file(path)
    if actual != expected:
        _VERIFIED.pop(key, None)
        extra = f" {hint}" if hint else ""
        raise ChecksumError(
            f"checksum mismatch for '{path}': expected sha256 {expected}, got {actual}. "
            f"The file is corrupted, was modified or comes from another version.{extra}"
        )
    _VERIFIED[key] = actual


def read_checksum_file(path: Path) -> dict[str, str]:
    """Parse a ``sha256sum``-style file (``<hex>  <name>`` per line; ``#`` comments)."""
    out: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        digest, _, name = line.partition(" ")
        out[name.strip().lstrip("*")] = digest.lower()
    return out
