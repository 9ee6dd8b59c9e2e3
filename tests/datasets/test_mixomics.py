"""Tests of the mixOmics dataset loaders against an independent read of the shared CSV export.

The data are found through ``POB_DATA_DIR`` (``$POB_DATA_DIR/mixomics/<name>/``); CI sets it to the shared
datasets folder, locally run ``POB_DATA_DIR=/work/shared/datasets python -m pytest tests/datasets``.
"""

from __future__ import annotations

import csv
import functools
import json
import os
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from anndata import AnnData

import pyomics_bridge as pob
from pyomics_bridge._conventions import ValidationError
from pyomics_bridge.datasets import ChecksumError, DatasetNotFoundError
from pyomics_bridge.datasets._mixomics_registry import DATASETS

_ENV = os.environ.get("POB_DATA_DIR", "").strip()
ROOT = Path(_ENV) / "mixomics" if _ENV else None

pytestmark = pytest.mark.skipif(
    ROOT is None or not (ROOT / "index.json").is_file(),
    reason="mixOmics export not found: set POB_DATA_DIR to the folder containing mixomics/ "
    "(e.g. POB_DATA_DIR=/work/shared/datasets)",
)

NAMES = sorted(DATASETS, key=str.lower)
H5MU = [n for n in NAMES if "h5mu" in DATASETS[n]]


# --------------------------------------------------------------------------- independent reference reader
@functools.cache
def ref_csv(path: Path):
    """Parse a CSV with the csv module and Python's float() (correctly rounded): (row ids, header, cells)."""
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header = rows[0][1:]
    ids = [r[0] for r in rows[1:]]
    cells = [r[1:] for r in rows[1:]]
    return ids, header, cells


def ref_matrix(path: Path) -> tuple[list[str], list[str], np.ndarray]:
    ids, header, cells = ref_csv(path)
    values = np.array([[np.nan if v == "NA" else float(v) for v in row] for row in cells], dtype=np.float64)
    return ids, header, values


def ref_block(name: str, mod: str):
    spec = DATASETS[name]
    parts = [ref_matrix(ROOT / name / f) for f in spec["blocks"][mod]]
    ids = [i for p in parts for i in p[0]]
    header = parts[0][1]
    values = np.vstack([p[2] for p in parts])
    if spec.get("transpose"):
        ids, header, values = header, ids, values.T
    return ids, header, values


def ref_table(path: Path) -> pd.DataFrame:
    ids, header, cells = ref_csv(path)
    return pd.DataFrame(cells, index=ids, columns=header, dtype=object)


@functools.cache
def manifest(name: str) -> dict:
    return json.loads((ROOT / name / "manifest.json").read_text())


@functools.cache
def index_json() -> dict:
    return json.loads((ROOT / "index.json").read_text())


_LOADED: dict[tuple[str, str], object] = {}


def loaded(name: str, fmt: str = "csv"):
    if (name, fmt) not in _LOADED:
        _LOADED[(name, fmt)] = pob.datasets.mixomics(name, format=fmt)
    return _LOADED[(name, fmt)]


def modalities(data) -> dict[str, AnnData]:
    return dict(data.mod) if hasattr(data, "mod") else {"_": data}


def _sample_obs(data) -> pd.DataFrame:
    return data.obs


def _check_column(values: pd.Series, raw: pd.Series, where: str):
    """A loaded annotation column equals its CSV text: labels verbatim, numbers exactly, NA where 'NA'."""
    is_na = (raw == "NA").to_numpy()
    assert np.array_equal(pd.isna(values).to_numpy(), is_na), where
    got, txt = values[~is_na], raw[~is_na]
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_object_dtype(dtype):
        assert (got.astype(str).to_numpy() == txt.to_numpy()).all(), where
    elif pd.api.types.is_bool_dtype(dtype):
        assert (got.astype(bool).map(str).to_numpy() == txt.to_numpy()).all(), where
    elif pd.api.types.is_integer_dtype(dtype):
        assert (got.astype(np.int64).to_numpy() == txt.map(int).to_numpy()).all(), where
    else:
        assert np.array_equal(got.to_numpy(dtype=np.float64), txt.map(float).to_numpy(dtype=np.float64)), where


# --------------------------------------------------------------------------- every block, every dataset
@pytest.mark.parametrize("name", NAMES)
def test_type_and_modalities(name):
    data = loaded(name)
    blocks = DATASETS[name]["blocks"]
    if len(blocks) == 1:
        assert isinstance(data, AnnData)
    else:
        from mudata import MuData

        assert isinstance(data, MuData)
        assert list(data.mod) == list(blocks)
    assert data.uns["source"] == f"mixOmics 6.35.2 data('{name}')"
    assert data.uns["dataset"]["license"] == "GPL (>= 2)"


@pytest.mark.parametrize("name", NAMES)
def test_blocks_exactly_equal_csv(name):
    data = loaded(name)
    mods = modalities(data)
    for mod in DATASETS[name]["blocks"]:
        a = mods[mod] if len(mods) > 1 else mods["_"]
        ids, header, values = ref_block(name, mod)
        assert a.X.dtype == np.float64
        assert a.obs_names.tolist() == ids
        assert a.var_names.tolist() == header
        assert np.array_equal(a.X, values, equal_nan=True), f"{name}/{mod}: values differ from the CSV"
        for layer, fname in DATASETS[name].get("layers", {}).get(mod, {}).items():
            lids, lheader, lvalues = ref_matrix(ROOT / name / fname)
            assert lids == ids and lheader == header
            assert np.array_equal(a.layers[layer], lvalues, equal_nan=True)


@pytest.mark.parametrize("name", NAMES)
def test_shapes_match_index(name):
    data = loaded(name)
    shapes = index_json()["datasets"][name]
    mods = modalities(data)
    spec = DATASETS[name]
    for mod, files in spec["blocks"].items():
        a = mods[mod] if len(mods) > 1 else mods["_"]
        n_rows = sum(shapes[f][0] for f in files)
        n_cols = shapes[files[0]][1]
        expected = (n_cols, n_rows) if spec.get("transpose") else (n_rows, n_cols)
        assert a.shape == expected
        assert all(shapes[f][1] == n_cols for f in files)
    if "h5mu" in spec:
        h5 = shapes[spec["h5mu"]]
        assert {m: list(a.shape) for m, a in data.mod.items()} == h5
    if "samples.csv" in shapes:
        assert data.n_obs == shapes["samples.csv"][0]


@pytest.mark.parametrize("name", NAMES)
def test_missing_counts_match_manifest(name):
    data = loaded(name)
    files = manifest(name)["files"]
    mods = modalities(data)
    for mod, block_files in DATASETS[name]["blocks"].items():
        a = mods[mod] if len(mods) > 1 else mods["_"]
        expected = sum(files[f].get("n_missing", 0) for f in block_files)
        assert int(np.isnan(a.X).sum()) == expected


@pytest.mark.parametrize("name", NAMES)
def test_sample_annotations(name):
    data = loaded(name)
    obs = _sample_obs(data)
    levels = manifest(name)["factor_levels"]
    obs_files = DATASETS[name].get("obs", [])
    if not obs_files:
        assert obs.shape[1] == 0
        return
    raw = pd.concat([ref_table(ROOT / name / f) for f in obs_files], axis=1)
    assert obs.index.tolist() == raw.index.tolist()
    assert list(obs.columns) == list(raw.columns)
    for col in raw.columns:
        _check_column(obs[col], raw[col], f"{name}.obs[{col!r}]")
    # R factors -> Categorical with the R level order of manifest.json; other columns are not categorical
    for col in obs.columns:
        if col in levels:
            assert isinstance(obs[col].dtype, pd.CategoricalDtype), col
            assert list(obs[col].cat.categories) == levels[col], col
        else:
            assert not isinstance(obs[col].dtype, pd.CategoricalDtype), col


@pytest.mark.parametrize("name", [n for n in NAMES if DATASETS[n].get("var")])
def test_feature_annotations(name):
    data = loaded(name)
    mods = modalities(data)
    for mod, vspec in DATASETS[name]["var"].items():
        a = mods[mod] if len(mods) > 1 else mods["_"]
        raw = ref_table(ROOT / name / vspec["file"])
        if "join_on" in vspec:
            continue  # checked in test_vac18_annotation_join
        assert a.var_names.tolist() == raw.index.tolist()
        assert list(a.var.columns) == list(raw.columns)
        for col in raw.columns:
            _check_column(a.var[col], raw[col], f"{name}[{mod}].var[{col!r}]")


# --------------------------------------------------------------------------- dataset specifics
def test_breast_tcga_split_and_protein():
    m = loaded("breast.TCGA")
    train_ids = ref_csv(ROOT / "breast.TCGA" / "train_mrna.csv")[0]
    test_ids = ref_csv(ROOT / "breast.TCGA" / "test_mrna.csv")[0]
    assert m.obs_names.tolist() == train_ids + test_ids
    split = m.obs["split"]
    assert list(split.cat.categories) == ["train", "test"]
    assert split.value_counts().to_dict() == {"train": 150, "test": 70}
    assert split[split == "train"].index.tolist() == train_ids
    assert split[split == "test"].index.tolist() == test_ids
    assert m["protein"].n_obs == 150 and m["mirna"].n_obs == 220 and m["mrna"].n_obs == 220
    assert m["protein"].obs_names.tolist() == train_ids
    assert list(m.obs["subtype"].cat.categories) == ["Basal", "Her2", "LumA"]
    assert m.obs["subtype"].value_counts().to_dict() == {"Basal": 66, "Her2": 44, "LumA": 110}
    # the protein rows map to the training samples of the global object
    assert (m.obsmap["protein"][:150] > 0).all() and (m.obsmap["protein"][150:] == 0).all()


def test_srbct_level_order_not_alphabetical():
    a = loaded("srbct")
    assert list(a.obs["class"].cat.categories) == ["EWS", "BL", "NB", "RMS"]


def test_stemcells_numeric_factor_levels_are_strings():
    a = loaded("stemcells")
    assert list(a.obs["study"].cat.categories) == ["1", "2", "3", "4"]


def test_yeast_orientation_and_names():
    a = loaded("yeast")
    ids, header, values = ref_matrix(ROOT / "yeast" / "data.csv")
    assert a.shape == (55, 37)
    assert a.obs_names.tolist() == header and a.var_names.tolist() == ids
    assert a.var_names[1] == "Fumarate                 "  # trailing blanks kept verbatim
    assert np.array_equal(a.X, values.T)
    scaling = ref_matrix(ROOT / "yeast" / "data_scaling.csv")[2]
    assert np.array_equal(a.obs[["scaled_center", "scaled_scale"]].to_numpy(), scaling)


def test_vac18_annotation_join():
    a = loaded("vac18")
    raw = ref_table(ROOT / "vac18" / "gene_annotation.csv")
    probe_to_gene = dict(zip(raw["Probe"], raw["Gene"], strict=True))
    annotated = a.var["Gene"].notna()
    assert int(annotated.sum()) == 394
    for probe, gene in a.var["Gene"][annotated].items():
        assert probe_to_gene[probe] == gene
    assert not set(a.var_names[~annotated]) & set(probe_to_gene)
    table = a.uns["feature_annotation"]
    assert table.shape == (1000, 3) and table["Probe"].tolist() == raw["Probe"].tolist()


def test_16s_layers():
    for name in ("Koren.16S", "diverse.16S"):
        a = loaded(name)
        assert set(a.layers) == {"raw"}
        # data_TSS = total-sum scaling of data_raw
        tss = a.layers["raw"] / a.layers["raw"].sum(axis=1, keepdims=True)
        assert np.allclose(a.X, tss, rtol=1e-12, atol=0)


def test_koren_logical_and_integer_columns_with_na():
    obs = loaded("Koren.16S").obs
    assert obs["atherosclerosis"].dtype == "boolean" and obs["atherosclerosis"].isna().sum() == 13
    assert obs["dbp"].dtype == "Int64" and obs["dbp"].isna().sum() == 4
    assert obs["diabetes"].dtype == bool


@pytest.mark.parametrize("name", H5MU)
def test_matches_shipped_h5mu(name):
    a = loaded(name, "csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        b = pob.io.read_h5mu(ROOT / name / DATASETS[name]["h5mu"])
    assert list(a.mod) == list(b.mod)
    assert a.obs_names.equals(b.obs_names)
    for mod in a.mod:
        x, y = a[mod], b[mod]
        assert x.obs_names.equals(y.obs_names) and x.var_names.equals(y.var_names)
        assert np.array_equal(x.X, np.asarray(y.X, dtype=np.float64), equal_nan=True)
        assert list(x.var.columns) == list(y.var.columns)
        for col in x.var.columns:
            assert (
                x.var[col].astype(object).fillna("<NA>").tolist() == y.var[col].astype(object).fillna("<NA>").tolist()
            )
    assert list(a.obs.columns) == list(b.obs.columns)
    for col in a.obs.columns:
        assert a.obs[col].astype(object).tolist() == b.obs[col].astype(object).tolist()
        if isinstance(b.obs[col].dtype, pd.CategoricalDtype) and col in manifest(name)["factor_levels"]:
            assert list(b.obs[col].cat.categories) == list(a.obs[col].cat.categories)


@pytest.mark.parametrize("name", H5MU)
def test_format_h5mu(name):
    b = loaded(name, "h5mu")
    a = loaded(name, "csv")
    assert b.uns["dataset"]["format"] == "h5mu"
    for mod in a.mod:
        assert np.array_equal(a[mod].X, b[mod].X, equal_nan=True)
    for col, levels in manifest(name)["factor_levels"].items():
        assert list(b.obs[col].cat.categories) == levels


def test_format_errors():
    with pytest.raises(ValidationError, match="no .h5mu"):
        pob.datasets.mixomics("srbct", format="h5mu")
    with pytest.raises(ValidationError, match="format"):
        pob.datasets.mixomics("srbct", format="rds")
    with pytest.raises(KeyError, match="unknown mixOmics dataset"):
        pob.datasets.mixomics("iris")


def test_auto_falls_back_to_h5mu(tmp_path):
    folder = tmp_path / "mixomics" / "nutrimouse"
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "nutrimouse" / "nutrimouse.h5mu", folder)
    m = pob.datasets.mixomics("nutrimouse", data_dir=tmp_path)
    assert m.uns["dataset"]["format"] == "h5mu"
    assert np.array_equal(m["lipid"].X, loaded("nutrimouse")["lipid"].X)


def test_convenience_loaders_and_registry():
    m = pob.datasets.nutrimouse()
    assert np.array_equal(m["gene"].X, loaded("nutrimouse")["gene"].X)
    a = pob.datasets.load("srbct")
    assert a.shape == (63, 2308)
    assert pob.datasets.list_datasets("external").set_index("name")["available"].all()


# --------------------------------------------------------------------------- integrity and errors
@pytest.mark.parametrize("name", NAMES)
def test_every_file_matches_registry_checksum(name):
    result = pob.datasets.verify_mixomics(name)
    assert set(result) == {p.name for p in (ROOT / name).iterdir() if p.is_file()}


def _copy_dataset(name: str, tmp_path: Path) -> Path:
    dest = tmp_path / "mixomics" / name
    shutil.copytree(ROOT / name, dest)
    return dest


def test_checksum_mismatch_raises(tmp_path):
    folder = _copy_dataset("nutrimouse", tmp_path)
    lipid = folder / "lipid.csv"
    text = lipid.read_text()
    first_row = text.splitlines()[1]
    tampered_row = first_row.replace("26.45", "26.46", 1)
    assert tampered_row != first_row
    lipid.write_text(text.replace(first_row, tampered_row, 1))
    with pytest.raises(ChecksumError, match="lipid.csv") as err:
        pob.datasets.mixomics("nutrimouse", data_dir=tmp_path)
    assert "expected sha256" in str(err.value)
    with pytest.raises(ChecksumError):
        pob.datasets.verify_mixomics("nutrimouse", data_dir=tmp_path)
    # verify=False skips the check (and then shows the tampered value)
    m = pob.datasets.mixomics("nutrimouse", data_dir=tmp_path, verify=False)
    assert m["lipid"].X[0, 1] == 26.46


def test_checksum_mismatch_h5mu(tmp_path):
    folder = tmp_path / "mixomics" / "linnerud"
    folder.mkdir(parents=True)
    data = bytearray((ROOT / "linnerud" / "linnerud.h5mu").read_bytes())
    data[-1] ^= 0x01
    (folder / "linnerud.h5mu").write_bytes(bytes(data))
    with pytest.raises(ChecksumError, match="linnerud.h5mu"):
        pob.datasets.mixomics("linnerud", format="h5mu", data_dir=tmp_path)


def test_missing_dataset_message(tmp_path, monkeypatch):
    monkeypatch.setenv("POB_DATA_DIR", str(tmp_path))
    with pytest.raises(DatasetNotFoundError) as err:
        pob.datasets.breast_tcga()
    msg = str(err.value)
    assert "POB_DATA_DIR" in msg and str(tmp_path) in msg
    assert str(tmp_path / "mixomics" / "breast.TCGA") in msg
    assert "mixOmics 6.35.2" in msg and "GPL" in msg and "docs/datasets.md" in msg
    assert isinstance(err.value, FileNotFoundError)
    assert not pob.datasets.list_datasets("external").set_index("name").loc["breast.TCGA", "available"]


def test_missing_file_message(tmp_path):
    folder = _copy_dataset("srbct", tmp_path)
    (folder / "samples.csv").unlink()
    with pytest.raises(DatasetNotFoundError, match="samples.csv") as err:
        pob.datasets.srbct(data_dir=tmp_path)
    assert "POB_DATA_DIR" in str(err.value) and str(folder / "samples.csv") in str(err.value)


def test_missing_with_default_cache_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("POB_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    with pytest.raises(DatasetNotFoundError, match="POB_DATA_DIR is not set") as err:
        pob.datasets.mixomics("yeast")
    assert str(tmp_path / "pyomics_bridge" / "mixomics" / "yeast") in str(err.value)


def test_roundtrip_h5mu(tmp_path):
    m = loaded("breast.TCGA")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        pob.io.write_h5mu(m, tmp_path / "b.h5mu")
        back = pob.io.read_h5mu(tmp_path / "b.h5mu")
    assert back["protein"].n_obs == 150
    assert np.array_equal(back["mrna"].X, m["mrna"].X)
    assert list(back.obs["split"].cat.categories) == ["train", "test"]


def test_roundtrip_h5ad_koren(tmp_path):
    a = loaded("Koren.16S")
    pob.io.write_h5ad(a, tmp_path / "k.h5ad")
    back = pob.io.read_h5ad(tmp_path / "k.h5ad")
    assert np.array_equal(back.layers["raw"], a.layers["raw"])
    assert back.obs["dbp"].isna().sum() == 4
