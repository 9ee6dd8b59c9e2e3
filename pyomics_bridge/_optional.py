"""Optional dependencies, imported on first use with an error that names the extra to install."""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

# module name -> (extra, pip requirement shown to the user)
OPTIONAL = {
    "rpy2": ("r", "'rpy2>=3.5,<3.6'"),
    "matplotlib": ("plot", "matplotlib"),
    "torch": ("torch", "torch==2.13.0"),
    "cooler": ("hic", "cooler"),
    "iced": ("hic", "iced"),
    "pyfaidx": ("seq", "pyfaidx"),
    "pyjaspar": ("seq", "pyjaspar"),
    "dask": ("dask", "'dask[array]'"),
    "distributed": ("dask", "distributed"),
}


class MissingExtraError(ImportError):
    """An optional dependency is not installed; the message names the extra that provides it."""


def is_available(module: str) -> bool:
    """Whether ``module`` can be imported, without importing it."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def import_optional(module: str, *, purpose: str | None = None) -> ModuleType:
    """Import an optional dependency or raise :class:`MissingExtraError` naming the extra.

    Parameters
    ----------
    module
        Importable module name, e.g. ``"rpy2.robjects"`` or ``"torch"``.
    purpose
        What the caller needs it for, added to the error message.
    """
    top = module.split(".")[0]
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        extra, requirement = OPTIONAL.get(top, (None, top))
        need = f" for {purpose}" if purpose else ""
        if extra is None:
            hint = f"pip install {requirement}"
        else:
            hint = f"pip install 'pyomics_bridge[{extra}]' (or: pip install {requirement})"
        raise MissingExtraError(
            f"{module!r} is needed{need} but could not be imported ({exc}). Install it with: {hint}"
        ) from exc
