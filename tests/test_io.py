"""Tests of pyomics_bridge.io: h5ad/h5mu wrappers, exact CSV reading, extension dispatch."""

from __future__ import annotations

import csv
import subprocess
import sys
import warnings

import anndata as ad
import numpy as np
import pandas as pd
import pytest

import pyomics_bridge as pob
from pyomics_bridge._conventions import ValidationError


@pytest.fixture
def adata():
    rng = np.random.default_rng(0)
    obs = pd.DataFrame({"group": pd.Categorical(["a", "b", "a", "b"])}, index=[f"s{i}" for i in range(4)])
    return ad.AnnData(X=rng.normal(size=(4, 3)), obs=obs, var=pd.DataFrame(index=["g1", "g2", "g3"]))


@pytest.fixture
def mdata(adata):
    import mudata

    other = ad.AnnData(
        X=np.arange(6.0).reshape(2, 3), obs=pd.DataFrame(index=["s0", "s1"]), var=pd.DataFrame(index=["p1", "p2", "p3"])
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return mudata.MuData({"rna": adata, "prot": other})


# --------------------------------------------------------------------------- h5ad / h5mu
def test_h5ad_roundtrip(adata, tmp_path):
    path = pob.io.write_h5ad(adata, tmp_path / "x.h5ad")
    assert path == tmp_path / "x.h5ad"
    back = pob.io.read_h5ad(path)
    assert np.array_equal(back.X, adata.X)
    assert back.obs_names.equals(adata.obs_names)
    assert list(back.obs["group"].cat.categories) == ["a", "b"]
    # str paths work too
    assert pob.io.read_h5ad(str(path)).shape == (4, 3)


def test_h5mu_roundtrip(mdata, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        pob.io.write_h5mu(mdata, tmp_path / "x.h5mu")
        back = pob.io.read_h5mu(tmp_path / "x.h5mu")
    assert list(back.mod) == ["rna", "prot"]
    assert np.array_equal(back["prot"].X, mdata["prot"].X)
    assert back["prot"].n_obs == 2


@pytest.mark.parametrize("reader", ["read_h5ad", "read_h5mu", "read", "read_csv_matrix"])
def test_missing_file_names_path(reader, tmp_path):
    missing = tmp_path / "nowhere" / "data.h5ad"
    with pytest.raises(FileNotFoundError, match="nowhere"):
        getattr(pob.io, reader)(missing)
    with pytest.raises(FileNotFoundError) as err:
        getattr(pob.io, reader)(str(missing))
    assert str(missing) in str(err.value)


def test_directory_is_not_a_file(tmp_path):
    with pytest.raises(IsADirectoryError, match=str(tmp_path)):
        pob.io.read_h5ad(tmp_path)


def test_not_hdf5(tmp_path):
    bad = tmp_path / "fake.h5ad"
    bad.write_text("not hdf5")
    with pytest.raises(ValidationError, match="not an HDF5 file"):
        pob.io.read_h5ad(bad)
    with pytest.raises(ValidationError, match="fake.h5mu|not an HDF5"):
        bad2 = tmp_path / "fake.h5mu"
        bad2.write_text("x")
        pob.io.read_h5mu(bad2)


def test_write_into_missing_directory(adata, mdata, tmp_path):
    with pytest.raises(FileNotFoundError, match="missing_dir"):
        pob.io.write_h5ad(adata, tmp_path / "missing_dir" / "x.h5ad")
    with pytest.raises(FileNotFoundError, match="missing_dir"):
        pob.io.write_h5mu(mdata, tmp_path / "missing_dir" / "x.h5mu")


def test_write_type_checks(adata, mdata, tmp_path):
    with pytest.raises(TypeError):
        pob.io.write_h5ad(np.zeros(3), tmp_path / "x.h5ad")
    with pytest.raises(TypeError):
        pob.io.write_h5mu(adata, tmp_path / "x.h5mu")


# --------------------------------------------------------------------------- CSV
TRICKY = [
    0.1,
    0.1 + 0.2,
    1 / 3,
    2 / 3,
    5e-324,
    2.2250738585072014e-308,
    1.7976931348623157e308,
    0.0002961208172934557,
    -123456.78901234567,
    9007199254740993.0,
    1e23,
    8.589973e9,
]


def _write_csv(path, header, rows):
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def test_read_csv_matrix_exact_floats(tmp_path):
    rng = np.random.default_rng(1)
    values = np.concatenate([TRICKY, rng.normal(size=200) * 10.0 ** rng.integers(-12, 12, size=200)])
    values = values[: (len(values) // 4) * 4].reshape(-1, 4)
    path = tmp_path / "m.csv"
    _write_csv(
        path,
        ["sample_id", "a", "b", "c", "d"],
        [[f"r{i}", *(repr(float(v)) for v in row)] for i, row in enumerate(values)],
    )
    df = pob.io.read_csv_matrix(path)
    assert list(df.columns) == ["a", "b", "c", "d"]
    assert df.index.tolist() == [f"r{i}" for i in range(len(values))]
    got = df.to_numpy()
    assert got.dtype == np.float64
    assert np.array_equal(got, values)  # bit-exact, not approximately equal


def test_read_csv_matrix_na_and_ids(tmp_path):
    path = tmp_path / "m.csv"
    _write_csv(path, ["feature_id", "x", "label"], [["007", "1.5", ""], ["1", "NA", "NA"], ["NaN", "nan", "ok"]])
    df = pob.io.read_csv_matrix(path)
    assert df.index.tolist() == ["007", "1", "NaN"]  # row names verbatim, as strings
    assert np.isnan(df.loc["1", "x"])
    assert df.loc["007", "label"] == ""  # empty string is not missing
    assert pd.isna(df.loc["1", "label"])  # only "NA" is missing
    assert df.loc["NaN", "label"] == "ok"


def test_read_csv_matrix_no_index(tmp_path):
    path = tmp_path / "m.csv"
    _write_csv(path, ["x", "y"], [["1", "2"], ["3", "4"]])
    df = pob.io.read_csv_matrix(path, index_col=None)
    assert df.shape == (2, 2)
    assert list(df.columns) == ["x", "y"]


def test_read_csv_matrix_duplicated_header(tmp_path):
    path = tmp_path / "m.csv"
    _write_csv(path, ["id", "x", "x"], [["a", "1", "2"]])
    with pytest.raises(ValidationError, match="duplicated"):
        pob.io.read_csv_matrix(path)


def test_read_csv_matrix_empty(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(ValidationError, match="empty"):
        pob.io.read_csv_matrix(path)


# --------------------------------------------------------------------------- dispatch
def test_read_dispatch(adata, mdata, tmp_path):
    pob.io.write_h5ad(adata, tmp_path / "a.h5ad")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        pob.io.write_h5mu(mdata, tmp_path / "m.h5mu")
        m = pob.io.read(tmp_path / "m.h5mu")
    assert isinstance(pob.io.read(tmp_path / "a.h5ad"), ad.AnnData)
    from mudata import MuData

    assert isinstance(m, MuData)

    path = tmp_path / "x.CSV"
    _write_csv(path, ["sample_id", "g1", "g2", "group"], [["s1", "0.1", "2", "a"], ["s2", "NA", "3", "b"]])
    a = pob.io.read(path, obs_columns=["group"])
    assert isinstance(a, ad.AnnData)
    assert a.obs_names.tolist() == ["s1", "s2"] and a.var_names.tolist() == ["g1", "g2"]
    assert a.X.dtype == np.float64
    assert np.array_equal(a.X, np.array([[0.1, 2.0], [np.nan, 3.0]]), equal_nan=True)
    assert a.obs["group"].tolist() == ["a", "b"]
    with pytest.raises(ValidationError, match="non-numeric.*group"):
        pob.io.read(path)
    with pytest.raises(ValidationError, match="not in the columns"):
        pob.io.read(path, obs_columns=["nope"])


def test_read_csv_transpose(tmp_path):
    path = tmp_path / "features_x_samples.csv"
    _write_csv(path, ["metabolite", "s1", "s2", "s3"], [["m1", "1", "2", "3"], ["m2", "4", "5", "6"]])
    a = pob.io.read(path, transpose=True)
    assert a.shape == (3, 2)
    assert a.obs_names.tolist() == ["s1", "s2", "s3"] and a.var_names.tolist() == ["m1", "m2"]
    assert np.array_equal(a.X, np.array([[1.0, 4], [2, 5], [3, 6]]))


def test_read_unsupported_extension(tmp_path):
    path = tmp_path / "x.txt"
    path.write_text("a")
    with pytest.raises(ValidationError, match="unsupported extension '.txt'"):
        pob.io.read(path)


def test_write_dispatch(adata, mdata, tmp_path):
    assert pob.io.write(adata, tmp_path / "a.h5ad").is_file()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        assert pob.io.write(mdata, tmp_path / "m.h5mu").is_file()
    with pytest.raises(ValidationError, match=".h5ad holds an AnnData"):
        pob.io.write(mdata, tmp_path / "m.h5ad")
    with pytest.raises(ValidationError, match=".h5mu holds a MuData"):
        pob.io.write(adata, tmp_path / "a.h5mu")
    with pytest.raises(ValidationError, match="unsupported extension"):
        pob.io.write(adata, tmp_path / "a.csv")


def test_import_io_stays_light():
    code = (
        "import sys, pyomics_bridge as pob; pob.io; "
        "bad = [m for m in ('matplotlib', 'rpy2', 'torch') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
