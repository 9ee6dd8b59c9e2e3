"""Datasets shipped with the package (the repository's ``data/`` folder)."""

from __future__ import annotations

from pathlib import Path

from ._paths import DatasetNotFoundError, bundled_data_dir, read_checksum_file, verify_file

CHECKSUM_FILE = "CHECKSUMS.sha256"

#: file name -> how it was made (also in data/README.md)
DEMO_SURVIVAL_FILE = "demo_survival.h5ad"
DEMO_SURVIVAL_RECIPE = {"n_samples": 120, "n_genes": 30, "random_state": 2024}


def bundled_path(fname: str, *, verify: bool = True) -> Path:
    """Path of bundled file ``fname``, checked against ``data/CHECKSUMS.sha256`` when ``verify``."""
    folder = bundled_data_dir()
    path = folder / fname
    if not path.is_file():
        raise DatasetNotFoundError(
            f"bundled data file '{path}' is missing; the package installation is incomplete "
            "(reinstall pyomics_bridge, or in a source checkout restore the data/ folder)"
        )
    if verify:
        sums_file = folder / CHECKSUM_FILE
        if not sums_file.is_file():
            raise DatasetNotFoundError(f"checksum file '{sums_file}' of the bundled data is missing")
        sums = read_checksum_file(sums_file)
        if fname not in sums:
            raise DatasetNotFoundError(f"'{fname}' has no entry in '{sums_file}'")
        verify_file(path, sums[fname], hint="Reinstall pyomics_bridge or regenerate the file (see data/README.md).")
    return path


def demo_survival(*, verify: bool = True):
    """Small demo survival cohort shipped with the package: 120 samples x 30 genes.

    Made with ``synthetic_survival(n_samples=120, n_genes=30, random_state=2024)`` (all other options at
    their defaults: 5 prognostic genes, effect 1, 30 % censoring) and saved as ``data/demo_survival.h5ad``.
    ``.obs``: ``time``, ``event``, ``group``; ``.var["prognostic"]``; ground truth in ``.uns["synthetic"]``.
    """
    import anndata

    return anndata.read_h5ad(bundled_path(DEMO_SURVIVAL_FILE, verify=verify))


def _demo_survival_available() -> bool:
    return (bundled_data_dir() / DEMO_SURVIVAL_FILE).is_file()
