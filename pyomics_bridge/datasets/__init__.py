"""Named datasets: bundled with the package, seeded synthetic generators and external (downloaded) data.

- :func:`list_datasets`: table of everything registered; :func:`load` loads any of them by name;
- bundled: :func:`demo_survival`;
- synthetic: :func:`synthetic_survival` (method families add theirs with :func:`register_synthetic`);
- external: the 13 mixOmics example datasets (:func:`mixomics`, :func:`breast_tcga`, :func:`nutrimouse`...),
  read from ``$POB_DATA_DIR/mixomics/<name>/`` (default data directory ``~/.cache/pyomics_bridge``) and
  checked against SHA-256 checksums stored in the package.

See ``docs/datasets.md``.
"""

from __future__ import annotations

from ._bundled import _demo_survival_available, bundled_path, demo_survival
from ._ectopic import synthetic_ectopic  # registers "synthetic_ectopic"
from ._gonet import synthetic_go_phenotype  # registers "synthetic_go_phenotype"
from ._hic import synthetic_hic  # registers "synthetic_hic"
from ._hic_yeast import iced_yeast  # registers "iced_yeast" (external: needs iced)
from ._mixomics import FUNCTION_NAMES as _MIXOMICS_FUNCTIONS
from ._mixomics import LOADERS as _MIXOMICS_LOADERS
from ._mixomics import is_available as _mixomics_is_available
from ._mixomics import mixomics, mixomics_dir, mixomics_names, verify_mixomics
from ._mixomics_registry import DATASETS as _MIXOMICS_SPECS
from ._mixomics_registry import MIXOMICS_LICENSE, MIXOMICS_VERSION
from ._multiomics import synthetic_multiomics
from ._paths import (
    DATA_DIR_ENV,
    ChecksumError,
    DatasetNotFoundError,
    bundled_data_dir,
    data_dir,
    file_checksums,
    sha256_file,
)
from ._registry import DatasetInfo, get_info, list_datasets, load, register, register_synthetic
from ._regulatory import synthetic_tf_binding  # registers "synthetic_tf_binding"
from ._synthetic import synthetic_survival

koren_16s = _MIXOMICS_LOADERS["koren_16s"]
breast_tcga = _MIXOMICS_LOADERS["breast_tcga"]
breast_tumors = _MIXOMICS_LOADERS["breast_tumors"]
diverse_16s = _MIXOMICS_LOADERS["diverse_16s"]
linnerud = _MIXOMICS_LOADERS["linnerud"]
liver_toxicity = _MIXOMICS_LOADERS["liver_toxicity"]
multidrug = _MIXOMICS_LOADERS["multidrug"]
nutrimouse = _MIXOMICS_LOADERS["nutrimouse"]
srbct = _MIXOMICS_LOADERS["srbct"]
stemcells = _MIXOMICS_LOADERS["stemcells"]
vac18 = _MIXOMICS_LOADERS["vac18"]
vac18_simulated = _MIXOMICS_LOADERS["vac18_simulated"]
yeast = _MIXOMICS_LOADERS["yeast"]


def _register_builtin() -> None:
    register(
        "demo_survival",
        demo_survival,
        kind="bundled",
        description="Demo survival cohort, 120 samples x 30 genes (log-expression, time/event, 5 prognostic genes)",
        source="pyomics_bridge: synthetic_survival(n_samples=120, n_genes=30, random_state=2024), data/demo_survival.h5ad",
        modalities=("expression",),
        available=_demo_survival_available,
        function="pyomics_bridge.datasets.demo_survival",
        overwrite=True,
    )
    register_synthetic(
        "synthetic_survival",
        synthetic_survival,
        "Log-expression with Weibull/exponential survival (hazard exp(X.beta)) and random censoring; "
        "ground-truth prognostic genes in .var['prognostic']",
        modalities=("expression",),
        function="pyomics_bridge.datasets.synthetic_survival",
        overwrite=True,
    )
    register_synthetic(
        "synthetic_multiomics",
        synthetic_multiomics,
        "Several omics blocks on the same samples driven by shared class-specific latent factors; "
        "ground-truth informative features in .var['informative'] of each modality",
        modalities=("mrna", "mirna", "protein"),
        function="pyomics_bridge.datasets.synthetic_multiomics",
        overwrite=True,
    )
    for func_name, r_name in _MIXOMICS_FUNCTIONS.items():
        spec = _MIXOMICS_SPECS[r_name]
        register(
            r_name,
            _MIXOMICS_LOADERS[func_name],
            kind="external",
            description=spec["description"],
            source=f"mixOmics {MIXOMICS_VERSION} (Bioconductor, {MIXOMICS_LICENSE}), data('{r_name}'). {spec['citation']}",
            modalities=tuple(spec["blocks"]),
            available=lambda r_name=r_name: _mixomics_is_available(r_name),
            function=f"pyomics_bridge.datasets.{func_name}",
            overwrite=True,
        )


_register_builtin()

__all__ = [
    "breast_tcga",
    "breast_tumors",
    "bundled_data_dir",
    "bundled_path",
    "ChecksumError",
    "data_dir",
    "DATA_DIR_ENV",
    "DatasetInfo",
    "DatasetNotFoundError",
    "demo_survival",
    "diverse_16s",
    "file_checksums",
    "get_info",
    "koren_16s",
    "linnerud",
    "list_datasets",
    "liver_toxicity",
    "load",
    "mixomics",
    "mixomics_dir",
    "MIXOMICS_LICENSE",
    "mixomics_names",
    "MIXOMICS_VERSION",
    "multidrug",
    "nutrimouse",
    "register",
    "register_synthetic",
    "sha256_file",
    "srbct",
    "stemcells",
    "synthetic_ectopic",
    "synthetic_multiomics",
    "synthetic_survival",
    "vac18",
    "vac18_simulated",
    "verify_mixomics",
    "yeast",
    "synthetic_go_phenotype",
    "synthetic_hic",
    "iced_yeast",
    "synthetic_tf_binding",
]
