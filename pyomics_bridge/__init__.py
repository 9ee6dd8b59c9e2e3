"""pyomics_bridge: machine-learning methods for omics data on AnnData/MuData, with an R bridge.

Namespaces (imported lazily, so ``import pyomics_bridge`` stays light):

- ``pp``, ``tl``, ``pl``: scanpy-style functions taking an AnnData/MuData first;
- ``io``: reading and writing; ``datasets``: bundled, synthetic and external datasets;
- ``r``: the R bridge (rpy2 converters, reference calls, :func:`pyomics_bridge.r.check`);
- ``multiomics``, ``survival``, ``hic``, ``regulatory``, ``gonet``: one subpackage per method family,
  holding the numpy/torch kernels and the scikit-learn-style estimators.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

_SUBMODULES = (
    "pp",
    "tl",
    "pl",
    "io",
    "datasets",
    "r",
    "multiomics",
    "survival",
    "hic",
    "regulatory",
    "gonet",
    "settings",
)

__all__ = ["__version__", *_SUBMODULES]

if TYPE_CHECKING:  # pragma: no cover
    from . import datasets, gonet, hic, io, multiomics, pl, pp, r, regulatory, settings, survival, tl


def __getattr__(name: str):
    # PEP 562 lazy import: heavy dependencies (matplotlib, rpy2, torch) load only when used.
    if name in _SUBMODULES:
        module = importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module 'pyomics_bridge' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
