"""Loaders of the mixOmics example datasets from their CSV export (values bit-identical to the CSVs)."""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from anndata import AnnData

from .._conventions import ValidationError
from ..io._csv import CSV_READ_OPTIONS, read_csv_matrix
from ._mixomics_registry import DATASETS, MIXOMICS_LICENSE, MIXOMICS_VERSION
from ._paths import DatasetNotFoundError, describe_data_dir, verify_file
from ._registry import normalize_name

FORMATS = ("auto", "csv", "h5mu")
_KEYS = {normalize_name(n): n for n in DATASETS}

HOW_TO_GET = (
    f"The files are the data/ folder of the R/Bioconductor package mixOmics {MIXOMICS_VERSION} "
    f"(license {MIXOMICS_LICENSE}) exported to CSV, one folder per dataset (see docs/datasets.md); "
    f"copy that export's mixomics/ folder into the data directory (set {{env}} to the folder that contains "
    "mixomics/)."
)


def mixomics_names() -> list[str]:
    """Names of the 13 mixOmics datasets, as in R (e.g. ``"breast.TCGA"``)."""
    return list(DATASETS)


def _canonical(name: str) -> str:
    key = normalize_name(name)
    if key not in _KEYS:
        raise KeyError(f"unknown mixOmics dataset {name!r}; available: {list(DATASETS)}")
    return _KEYS[key]


def mixomics_dir(name: str, *, data_dir: str | Path | None = None) -> Path:
    """Folder the files of mixOmics dataset ``name`` are expected in: ``<data dir>/mixomics/<name>``."""
    from . import _paths

    base = Path(data_dir).expanduser() if data_dir is not None else _paths.data_dir()
    return base / "mixomics" / _canonical(name)


def is_available(name: str, *, data_dir: str | Path | None = None) -> bool:
    """Whether the files needed to load mixOmics dataset ``name`` (CSV or .h5mu) are present."""
    spec = DATASETS[_canonical(name)]
    folder = mixomics_dir(name, data_dir=data_dir)
    csvs = _csv_files(spec)
    if all((folder / f).is_file() for f in csvs):
        return True
    return "h5mu" in spec and (folder / spec["h5mu"]).is_file()


def _csv_files(spec: dict) -> list[str]:
    files = [f for block in spec["blocks"].values() for f in block]
    files += [f for layers in spec.get("layers", {}).values() for f in layers.values()]
    files += list(spec.get("obs", []))
    files += [v["file"] for v in spec.get("var", {}).values()]
    return files


def _require(folder: Path, fname: str, name: str, explicit_dir: Path | None) -> Path:
    from ._paths import DATA_DIR_ENV

    path = folder / fname
    if not path.is_file():
        what = "folder" if not folder.is_dir() else "file"
        missing = folder if not folder.is_dir() else path
        raise DatasetNotFoundError(
            f"mixOmics dataset {name!r} not found: expected {what} '{missing}' does not exist "
            f"({describe_data_dir(explicit_dir)}). " + HOW_TO_GET.format(env=DATA_DIR_ENV)
        )
    return path


_INT = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?Inf$|^NaN$")


def _typed_column(values: pd.Series, levels: list[str] | None, where: str) -> pd.Series | pd.Categorical:
    """Type one annotation column read as strings (R export conventions; floats parsed exactly)."""
    present = values.dropna()
    has_na = len(present) < len(values)
    if levels is not None:
        unknown = sorted(set(present) - set(levels))
        if unknown:
            raise ValidationError(f"{where}: values {unknown[:5]} are not among the R factor levels {levels}")
        return pd.Categorical(values, categories=list(levels))
    if len(present) == 0:
        return values.astype(object)
    if present.isin(["True", "False"]).all():
        out = values.map({"True": True, "False": False})
        return out.astype("boolean") if has_na else out.astype(bool)
    if present.map(lambda s: bool(_INT.match(s))).all():
        ints = values.map(lambda s: s if pd.isna(s) else int(s))
        if present.map(lambda s: -(2**63) <= int(s) < 2**63).all():
            return ints.astype("Int64") if has_na else ints.astype(np.int64)
    if present.map(lambda s: bool(_FLOAT.match(s))).all():
        # Python's float() rounds correctly, so the value is the double that was written
        return values.map(lambda s: np.nan if pd.isna(s) else float(s)).astype(np.float64)
    return values.astype(object)


def _read_annotations(path: Path, factor_levels: dict[str, list[str]], where: str) -> pd.DataFrame:
    raw = pd.read_csv(
        path,
        index_col=0,
        dtype=str,
        keep_default_na=CSV_READ_OPTIONS["keep_default_na"],
        na_values=CSV_READ_OPTIONS["na_values"],
    )
    raw.index = raw.index.astype(str)
    out = pd.DataFrame(index=raw.index)
    for col in raw.columns:
        out[col] = _typed_column(raw[col], factor_levels.get(col), f"{where} column {col!r}")
    out.index.name = raw.index.name
    return out


def _read_block(path: Path, *, transpose: bool = False) -> pd.DataFrame:
    df = read_csv_matrix(path)
    if transpose:
        df = df.T
    bad = [c for c in df.columns if not pd.api.types.is_numeric_dtype(df[c])]
    if bad:
        raise ValidationError(f"'{path}': non-numeric data column(s) {bad[:5]}")
    df = df.astype(np.float64)
    df.index = df.index.astype(str)
    df.columns = df.columns.astype(str)
    df.index.name = None
    return df


def _check_same_index(a: pd.Index, b: pd.Index, what: str) -> None:
    if not a.equals(b):
        raise ValidationError(f"{what}: ids do not match ({len(a)} vs {len(b)} entries)")


def _uns(name: str, fmt: str) -> dict[str, Any]:
    spec = DATASETS[name]
    return {
        "source": f"mixOmics {MIXOMICS_VERSION} data('{name}')",
        "dataset": {
            "name": name,
            "origin": f"mixOmics {MIXOMICS_VERSION} (Bioconductor), data('{name}')",
            "license": MIXOMICS_LICENSE,
            "citation": spec["citation"],
            "format": fmt,
        },
    }


def _from_csv(name: str, folder: Path, explicit_dir: Path | None, verify: bool):
    spec = DATASETS[name]
    levels = spec.get("factor_levels", {})

    def path_of(fname: str) -> Path:
        p = _require(folder, fname, name, explicit_dir)
        if verify:
            verify_file(p, spec["files"][fname]["sha256"], hint=f"Re-copy the mixOmics export of {name!r}.")
        return p

    transpose = bool(spec.get("transpose", False))
    blocks: dict[str, pd.DataFrame] = {}
    for mod, files in spec["blocks"].items():
        parts = [_read_block(path_of(f), transpose=transpose) for f in files]
        for part, f in zip(parts[1:], files[1:], strict=True):
            _check_same_index(parts[0].columns, part.columns, f"{name}: variables of {files[0]} and {f}")
        blocks[mod] = pd.concat(parts, axis=0) if len(parts) > 1 else parts[0]

    obs: pd.DataFrame | None = None
    for fname in spec.get("obs", []):
        ann = _read_annotations(path_of(fname), levels, f"{name}/{fname}")
        if obs is None:
            obs = ann
        else:
            _check_same_index(obs.index, ann.index, f"{name}: samples of {spec['obs'][0]} and {fname}")
            obs = obs.join(ann)

    mods: dict[str, AnnData] = {}
    for mod, df in blocks.items():
        var = pd.DataFrame(index=df.columns.copy())
        vspec = spec.get("var", {}).get(mod)
        uns: dict[str, Any] = {}
        if vspec is not None:
            ann = _read_annotations(path_of(vspec["file"]), {}, f"{name}/{vspec['file']}")
            key = vspec.get("join_on")
            if key is None:
                _check_same_index(var.index, ann.index, f"{name}: columns of the {mod} block and {vspec['file']}")
                var = ann.copy()
                var.index.name = None
            else:
                # not aligned with the block: annotate the features found in column `key`, keep the table
                table = ann.reset_index(names=ann.index.name or "rowname")
                lookup = table.set_index(key).drop(columns=[table.columns[0]])
                var = lookup.reindex(var.index)
                var.index.name = None
                uns["feature_annotation"] = table
        X = df.to_numpy(dtype=np.float64, copy=True)
        layers = {}
        for layer, fname in spec.get("layers", {}).get(mod, {}).items():
            ldf = _read_block(path_of(fname), transpose=transpose)
            _check_same_index(df.index, ldf.index, f"{name}: samples of the {mod} block and {fname}")
            _check_same_index(df.columns, ldf.columns, f"{name}: variables of the {mod} block and {fname}")
            layers[layer] = ldf.to_numpy(dtype=np.float64, copy=True)
        a = AnnData(X=X, obs=pd.DataFrame(index=df.index.copy()), var=var, layers=layers or None)
        if uns:
            a.uns.update(uns)
        mods[mod] = a

    if len(mods) == 1:
        ((mod, adata),) = mods.items()
        if obs is not None:
            _check_same_index(adata.obs_names, obs.index, f"{name}: samples of the data and of {spec['obs'][0]}")
            adata.obs = obs.rename_axis(None).copy()
        adata.uns.update(_uns(name, "csv"))
        adata.uns["dataset"]["modality"] = mod
        return adata

    import mudata

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=FutureWarning, module="mudata")
        mdata = mudata.MuData(mods)
        if obs is not None:
            missing = mdata.obs_names.difference(obs.index)
            if len(missing):
                raise ValidationError(f"{name}: samples {missing[:5].tolist()} have no row in {spec['obs'][0]}")
            # global order = order of the annotation file (train then test for breast.TCGA)
            if len(obs.index) == mdata.n_obs and not mdata.obs_names.equals(obs.index):
                raise ValidationError(f"{name}: sample order differs between the blocks and {spec['obs'][0]}")
            aligned = obs.reindex(mdata.obs_names)
            for col in aligned.columns:
                mdata.obs[col] = aligned[col]
    mdata.uns.update(_uns(name, "csv"))
    return mdata


def _from_h5mu(name: str, folder: Path, explicit_dir: Path | None, verify: bool):
    import mudata

    spec = DATASETS[name]
    if "h5mu" not in spec:
        raise ValidationError(f"mixOmics dataset {name!r} has no .h5mu file; use format='csv' or 'auto'")
    path = _require(folder, spec["h5mu"], name, explicit_dir)
    if verify:
        verify_file(path, spec["files"][spec["h5mu"]]["sha256"], hint=f"Re-copy the mixOmics export of {name!r}.")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=FutureWarning, module="mudata")
        mdata = mudata.read_h5mu(path)
    for col, levels in spec.get("factor_levels", {}).items():
        if col in mdata.obs.columns:
            mdata.obs[col] = pd.Categorical(mdata.obs[col].astype(object), categories=list(levels))
    source = mdata.uns.get("source", f"mixOmics {MIXOMICS_VERSION} data('{name}')")
    mdata.uns.update(_uns(name, "h5mu"))
    mdata.uns["source"] = source
    return mdata


def mixomics(
    name: str,
    *,
    format: str = "auto",
    data_dir: str | Path | None = None,
    verify: bool = True,
):
    """Load one of the 13 mixOmics example datasets.

    Parameters
    ----------
    name
        Dataset name as in R (``"breast.TCGA"``, ``"liver.toxicity"``...); matching ignores case and treats
        ``.``, ``-`` and ``_`` alike (``"breast_tcga"`` works).
    format
        ``"csv"``: build from the CSV files (values bit-identical to the CSVs); ``"h5mu"``: read the shipped
        ``.h5mu`` (multi-block datasets only); ``"auto"``: CSV when the CSV files are present, else ``.h5mu``.
    data_dir
        Folder containing ``mixomics/<name>/``; default :func:`pyomics_bridge.datasets.data_dir`
        (``$POB_DATA_DIR``, else ``~/.cache/pyomics_bridge``).
    verify
        Check the SHA-256 checksum of every file read against the registry (:class:`ChecksumError` on mismatch).

    Returns
    -------
    AnnData (samples x features) for single-block datasets, MuData with one modality per block otherwise.
    Sample annotations are in ``.obs`` (R factors as pandas Categoricals with the R level order), feature
    annotations in ``.var``, provenance in ``.uns["source"]``/``.uns["dataset"]``.

    Raises
    ------
    DatasetNotFoundError
        When files are missing (the message names ``POB_DATA_DIR``, the expected path and where to get the data).
    ChecksumError
        When a file's checksum differs from the registry.
    """
    if format not in FORMATS:
        raise ValidationError(f"format must be one of {list(FORMATS)}, got {format!r}")
    canonical = _canonical(name)
    explicit = Path(data_dir).expanduser() if data_dir is not None else None
    folder = mixomics_dir(canonical, data_dir=explicit)
    spec = DATASETS[canonical]
    if format == "auto":
        have_csv = all((folder / f).is_file() for f in _csv_files(spec))
        format = "h5mu" if (not have_csv and "h5mu" in spec and (folder / spec["h5mu"]).is_file()) else "csv"
    if format == "h5mu":
        return _from_h5mu(canonical, folder, explicit, verify)
    return _from_csv(canonical, folder, explicit, verify)


def verify_mixomics(name: str, *, data_dir: str | Path | None = None) -> dict[str, bool]:
    """Check every file of the export of ``name`` (including README/manifest) against the registry.

    Returns ``{file: True}`` for each file that matches; raises :class:`DatasetNotFoundError` for a missing
    file and :class:`ChecksumError` for a mismatch.
    """
    canonical = _canonical(name)
    explicit = Path(data_dir).expanduser() if data_dir is not None else None
    folder = mixomics_dir(canonical, data_dir=explicit)
    out = {}
    for fname, meta in DATASETS[canonical]["files"].items():
        verify_file(_require(folder, fname, canonical, explicit), meta["sha256"])
        out[fname] = True
    return out


# --------------------------------------------------------------------------- one function per dataset
def _make_loader(r_name: str, func_name: str):
    spec = DATASETS[r_name]
    kind = "MuData" if len(spec["blocks"]) > 1 else "AnnData"

    def loader(*, format: str = "auto", data_dir: str | Path | None = None, verify: bool = True):
        return mixomics(r_name, format=format, data_dir=data_dir, verify=verify)

    loader.__name__ = loader.__qualname__ = func_name
    loader.__module__ = "pyomics_bridge.datasets"
    first = spec["description"].split(". ")[0].rstrip(".")
    blocks = ", ".join(spec["blocks"])
    loader.__doc__ = (
        f"mixOmics ``{r_name}`` as {kind} (blocks: {blocks}).\n\n{first}.\n\n"
        f"Source: {spec['citation']}\n\nSee :func:`pyomics_bridge.datasets.mixomics` for the arguments."
    )
    return loader


#: python function name -> R dataset name
FUNCTION_NAMES = {
    "koren_16s": "Koren.16S",
    "breast_tcga": "breast.TCGA",
    "breast_tumors": "breast.tumors",
    "diverse_16s": "diverse.16S",
    "linnerud": "linnerud",
    "liver_toxicity": "liver.toxicity",
    "multidrug": "multidrug",
    "nutrimouse": "nutrimouse",
    "srbct": "srbct",
    "stemcells": "stemcells",
    "vac18": "vac18",
    "vac18_simulated": "vac18.simulated",
    "yeast": "yeast",
}
assert set(FUNCTION_NAMES.values()) == set(DATASETS)

LOADERS = {func: _make_loader(r_name, func) for func, r_name in FUNCTION_NAMES.items()}
