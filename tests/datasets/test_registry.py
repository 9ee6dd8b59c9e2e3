"""Tests of the dataset registry, the data-directory resolution and the bundled-data location."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from anndata import AnnData

import pyomics_bridge as pob
from pyomics_bridge._conventions import ValidationError
from pyomics_bridge.datasets import _registry

MIXOMICS = [
    "Koren.16S",
    "breast.TCGA",
    "breast.tumors",
    "diverse.16S",
    "linnerud",
    "liver.toxicity",
    "multidrug",
    "nutrimouse",
    "srbct",
    "stemcells",
    "vac18",
    "vac18.simulated",
    "yeast",
]


@pytest.fixture
def scratch_names():
    """Names registered by a test are removed afterwards, so tests do not leak into the global registry."""
    names: list[str] = []
    yield names
    for n in names:
        _registry._REGISTRY.pop(_registry.normalize_name(n), None)


def _toy_generator(n_obs: int = 5, *, random_state: int | None = 0) -> AnnData:
    rng = np.random.default_rng(random_state)
    return AnnData(rng.normal(size=(n_obs, 2)))


def test_list_datasets_table():
    df = pob.datasets.list_datasets()
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns)[:5] == ["name", "kind", "description", "source", "modalities"]
    assert set(df["kind"]) <= {"bundled", "synthetic", "external"}
    names = set(df["name"])
    assert {"demo_survival", "synthetic_survival", *MIXOMICS} <= names
    assert df["name"].is_unique
    assert df["available"].dtype == bool
    row = df.set_index("name").loc["breast.TCGA"]
    assert row["kind"] == "external"
    assert row["modalities"] == "mirna, mrna, protein"
    assert "mixOmics 6.35.2" in row["source"] and "GPL" in row["source"] and "DIABLO" in row["source"]
    assert row["function"] == "pyomics_bridge.datasets.breast_tcga"
    assert df.set_index("name").loc["demo_survival", "available"]
    assert (df["description"].str.len() > 10).all()


def test_list_datasets_kind_filter():
    ext = pob.datasets.list_datasets("external")
    assert set(ext["kind"]) == {"external"} and len(ext) >= 13
    syn = pob.datasets.list_datasets(kind="synthetic")
    assert "synthetic_survival" in set(syn["name"])
    with pytest.raises(ValidationError, match="kind"):
        pob.datasets.list_datasets("downloaded")


def test_load_synthetic_by_name():
    a = pob.datasets.load("synthetic_survival", n_samples=30, n_genes=6, random_state=3)
    b = pob.datasets.synthetic_survival(n_samples=30, n_genes=6, random_state=3)
    assert np.array_equal(a.X, b.X)


def test_name_matching():
    assert pob.datasets.get_info("Breast_TCGA").name == "breast.TCGA"
    assert pob.datasets.get_info("vac18-simulated").name == "vac18.simulated"
    assert pob.datasets.get_info("koren.16s").name == "Koren.16S"
    with pytest.raises(KeyError, match="unknown dataset 'nope'.*demo_survival"):
        pob.datasets.load("nope")


def test_convenience_functions_exist():
    for func in [
        "breast_tcga",
        "nutrimouse",
        "srbct",
        "liver_toxicity",
        "multidrug",
        "linnerud",
        "koren_16s",
        "diverse_16s",
        "breast_tumors",
        "stemcells",
        "vac18",
        "vac18_simulated",
        "yeast",
    ]:
        f = getattr(pob.datasets, func)
        assert callable(f) and f.__name__ == func and "mixOmics" in f.__doc__


def test_register_synthetic(scratch_names):
    scratch_names.append("toy_synthetic")
    info = pob.datasets.register_synthetic("toy_synthetic", _toy_generator, "toy data", modalities=["x"])
    assert info.kind == "synthetic"
    df = pob.datasets.list_datasets("synthetic").set_index("name")
    assert df.loc["toy_synthetic", "description"] == "toy data"
    assert df.loc["toy_synthetic", "modalities"] == "x"
    a = pob.datasets.load("toy_synthetic", n_obs=4, random_state=1)
    assert np.array_equal(a.X, _toy_generator(4, random_state=1).X)
    with pytest.raises(ValidationError, match="already registered"):
        pob.datasets.register_synthetic("toy_synthetic", _toy_generator, "again")
    pob.datasets.register_synthetic("toy_synthetic", _toy_generator, "again", overwrite=True)
    assert pob.datasets.get_info("toy_synthetic").description == "again"


def test_register_synthetic_lazy_string(scratch_names):
    scratch_names.append("lazy_survival")
    pob.datasets.register_synthetic(
        "lazy_survival", "pyomics_bridge.datasets._synthetic:synthetic_survival", "lazy import"
    )
    a = pob.datasets.load("lazy_survival", n_samples=10, n_genes=3, n_prognostic=1, random_state=0)
    assert a.shape == (10, 3)
    scratch_names.append("broken")
    pob.datasets.register_synthetic("broken", "pyomics_bridge.no_such_module:f", "broken")
    with pytest.raises(ImportError, match="broken"):
        pob.datasets.load("broken")


def _no_seed(n=3):
    return AnnData(np.zeros((n, 1)))


def _positional_seed(n=3, random_state=0):
    return AnnData(np.zeros((n, 1)))


def _seed_without_default(n=3, *, random_state):
    return AnnData(np.zeros((n, 1)))


@pytest.mark.parametrize(
    "func, match",
    [(_no_seed, "random_state"), (_positional_seed, "keyword-only"), (_seed_without_default, "default")],
)
def test_register_synthetic_checks_convention(func, match, scratch_names):
    scratch_names.append("bad_generator")
    with pytest.raises(ValidationError, match=match):
        pob.datasets.register_synthetic("bad_generator", func, "bad")
    assert "bad_generator" not in set(pob.datasets.list_datasets()["name"])


def test_register_validation(scratch_names):
    scratch_names.append("x")
    with pytest.raises(ValidationError, match="kind"):
        pob.datasets.register("x", _toy_generator, kind="remote", description="")
    with pytest.raises(ValidationError, match="loader"):
        pob.datasets.register("x", 42, kind="bundled", description="")
    with pytest.raises(ValidationError, match="name"):
        pob.datasets.register("  ", _toy_generator, kind="bundled", description="")


# --------------------------------------------------------------------------- directories
def test_data_dir_from_env(monkeypatch, tmp_path):
    monkeypatch.setenv("POB_DATA_DIR", str(tmp_path))
    assert pob.datasets.data_dir() == tmp_path
    assert pob.datasets.mixomics_dir("breast_tcga") == tmp_path / "mixomics" / "breast.TCGA"


def test_data_dir_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv("POB_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert pob.datasets.data_dir() == tmp_path / "xdg" / "pyomics_bridge"


def test_data_dir_default(monkeypatch, tmp_path):
    monkeypatch.setenv("POB_DATA_DIR", "")
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert pob.datasets.data_dir() == tmp_path / ".cache" / "pyomics_bridge"


def test_bundled_data_dir():
    folder = pob.datasets.bundled_data_dir()
    assert (folder / "demo_survival.h5ad").is_file()
    assert (folder / "CHECKSUMS.sha256").is_file()
    assert (folder / "README.md").is_file()
    pkg = Path(pob.__file__).resolve().parent
    assert folder in (pkg / "_bundled_data", pkg.parent / "data")


def test_checksum_helpers(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"abc")
    sums = pob.datasets.file_checksums(tmp_path)
    assert sums == {"a.txt": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}
    assert pob.datasets.sha256_file(tmp_path / "a.txt") == sums["a.txt"]


def test_import_stays_light():
    code = (
        "import sys, pyomics_bridge as pob; "
        "assert 'pyomics_bridge.datasets' not in sys.modules; "
        "pob.datasets.list_datasets(); pob.io; "
        "bad = [m for m in ('matplotlib', 'rpy2', 'torch') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
