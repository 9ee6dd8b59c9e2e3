"""The R bridge: availability checks, lossless converters and reference calls through rpy2.

Importing this module does not start R; the embedded R session starts on the first call that needs it.
rpy2 is not thread-safe: parallel work that touches R must use processes
(:func:`pyomics_bridge._parallel.parallel_map` with ``needs_processes=True`` enforces it).

Orientation: Bioconductor containers are *features × samples*, AnnData is *samples × features*.
:func:`anndata_to_se` and :func:`se_to_anndata` own that transpose; no other code transposes.
"""

from __future__ import annotations

import importlib

from ._session import (
    CHECKED_PACKAGES,
    Component,
    RUnavailableError,
    check,
    install_hint,
    r_package_version,
    r_versions,
    require_r_package,
    robjects,
)

_LAZY = {
    "anndata_to_se": "._se",
    "se_to_anndata": "._se",
    "mudata_to_mae": "._mae",
    "mae_to_mudata": "._mae",
    "survival": ".survival",
    "survival_maxstat": ".survival_maxstat",
    "survival_cox": ".survival_cox",
    "survival_zph": ".survival_zph",
    "mixomics": ".mixomics",
}

__all__ = [
    "CHECKED_PACKAGES",
    "Component",
    "RUnavailableError",
    "check",
    "install_hint",
    "r_package_version",
    "r_versions",
    "require_r_package",
    "robjects",
    *_LAZY,
]


def __getattr__(name: str):
    if name in _LAZY:
        module = importlib.import_module(_LAZY[name], __name__)
        value = module if name.startswith("survival") or name == "mixomics" else getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'pyomics_bridge.r' has no attribute {name!r}")
