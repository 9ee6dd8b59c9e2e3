"""Executable conventions: signatures of every public pp/tl/pl function, copy semantics, atomic writes."""

from __future__ import annotations

import copy as copymod
import inspect

import numpy as np
import pandas as pd
import pytest
from anndata import AnnData

import pyomics_bridge as pob
from pyomics_bridge._conventions import ValidationError, check_aligned, check_groups, get_matrix


def _public_functions():
    for ns in ("pp", "tl", "pl"):
        module = getattr(pob, ns)
        for name in module.__all__:
            yield f"{ns}.{name}", getattr(module, name)


FUNCS = list(_public_functions())


def test_namespaces_have_functions():
    assert {"tl.logrank", "tl.kaplan_meier", "pl.kaplan_meier", "pp.scale"} <= {n for n, _ in FUNCS}


@pytest.mark.parametrize(("name", "func"), FUNCS, ids=[n for n, _ in FUNCS])
def test_signature(name, func):
    params = list(inspect.signature(func).parameters.values())
    assert params[0].name in ("adata", "mdata", "data"), f"{name}: data object must come first"
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    assert len(positional) <= 3, f"{name}: at most 3 positional parameters"
    if not name.startswith("pl."):
        assert "copy" in inspect.signature(func).parameters, f"{name}: needs copy="
        cp = inspect.signature(func).parameters["copy"]
        assert cp.kind == cp.KEYWORD_ONLY and cp.default is False
    if name.startswith("tl."):
        assert "key_added" in inspect.signature(func).parameters
    assert func.__doc__ and "Parameters" in func.__doc__ and "Returns" in func.__doc__


def test_copy_semantics(surv_adata):
    before = surv_adata.copy()
    out = pob.tl.logrank(surv_adata, groupby="arm", copy=True)
    assert isinstance(out, AnnData) and "logrank" in out.uns
    assert "logrank" not in surv_adata.uns and surv_adata.obs.equals(before.obs)
    assert pob.tl.logrank(surv_adata, groupby="arm") is None
    assert "logrank" in surv_adata.uns


def test_params_and_versions_recorded(surv_adata):
    pob.tl.logrank(surv_adata, groupby="arm", rho=1.0, key_added="pp")
    rec = surv_adata.uns["pp"]
    assert rec["params"]["rho"] == 1.0 and rec["params"]["groupby"] == "arm"
    assert rec["versions"]["pyomics_bridge"] == pob.__version__


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"groupby": "nope"}, r"adata.obs has no column 'nope'"),
        ({"groupby": "arm", "time_key": "arm"}, r"adata.obs\['arm'\] must be numeric"),
        ({"groupby": "arm", "backend": "julia"}, "backend must be one of"),
    ],
)
def test_bad_input_leaves_object_intact(surv_adata, kwargs, match):
    before = copymod.deepcopy(surv_adata)
    with pytest.raises((ValidationError, TypeError), match=match):
        pob.tl.logrank(surv_adata, **kwargs)
    assert surv_adata.uns.keys() == before.uns.keys()
    pd.testing.assert_frame_equal(surv_adata.obs, before.obs)


def test_nan_in_survival_column_named(surv_adata):
    surv_adata.obs.loc["s3", "time"] = np.nan
    with pytest.raises(ValidationError, match=r"adata.obs\['time'\] has 1 missing"):
        pob.tl.kaplan_meier(surv_adata)
    assert "kaplan_meier" not in surv_adata.uns


def test_not_anndata():
    with pytest.raises(TypeError, match="adata must be an AnnData, got DataFrame"):
        pob.tl.logrank(pd.DataFrame(), groupby="x")


def test_get_matrix_errors():
    a = AnnData(np.array([[1.0, np.nan], [2.0, 3.0]]))
    with pytest.raises(ValidationError, match=r"adata.X contains 1 NaN"):
        get_matrix(a)
    with pytest.raises(ValidationError, match=r"layer='raw' not in adata.layers"):
        get_matrix(a, layer="raw")
    assert np.isnan(get_matrix(a, allow_nan=True)).sum() == 1


def test_alignment_and_groups_errors():
    with pytest.raises(ValidationError, match=r"only in X: \['c'\]"):
        check_aligned(pd.Index(["a", "c"]), pd.Index(["a", "b"]), what_a="X", what_b="Y")
    with pytest.raises(ValidationError, match=r"unknown groups \['z'\]"):
        check_groups(["z"], ["a", "b"])


def test_scale_matches_r_convention():
    x = np.array([[1.0, 5.0], [2.0, 5.0], [4.0, 5.0]])
    a = AnnData(x.copy())
    pob.pp.scale(a)
    expected = (x[:, 0] - x[:, 0].mean()) / x[:, 0].std(ddof=1)
    np.testing.assert_allclose(a.X[:, 0], expected)
    np.testing.assert_array_equal(a.X[:, 1], 0.0)  # constant feature: centred, not divided by 0
    assert a.var["std"].iloc[1] == 0


def test_backends_give_identical_containers(surv_adata, require_r_survival):
    py = pob.tl.logrank(surv_adata, groupby="arm", copy=True)
    r = pob.tl.logrank(surv_adata, groupby="arm", backend="r", copy=True)
    a, b = py.uns["logrank"], r.uns["logrank"]
    assert set(a) == set(b)
    pd.testing.assert_index_equal(a["table"].index, b["table"].index)
    assert list(a["table"].columns) == list(b["table"].columns)
    assert a["statistic"] == pytest.approx(b["statistic"], rel=1e-10)
    km_py = pob.tl.kaplan_meier(surv_adata, groupby="arm", copy=True).uns["kaplan_meier"]
    km_r = pob.tl.kaplan_meier(surv_adata, groupby="arm", backend="r", copy=True).uns["kaplan_meier"]
    assert list(km_py["table"].columns) == list(km_r["table"].columns)
    np.testing.assert_allclose(km_py["table"]["survival"], km_r["table"]["survival"], rtol=1e-12)
    assert "R:survival" in km_r["versions"] and "R:survival" not in km_py["versions"]


def test_results_survive_h5ad(tmp_path, surv_adata):
    import anndata

    pob.tl.kaplan_meier(surv_adata, groupby="arm")
    pob.tl.logrank(surv_adata, groupby="arm")
    surv_adata.write_h5ad(tmp_path / "a.h5ad")
    back = anndata.read_h5ad(tmp_path / "a.h5ad")
    assert back.uns["logrank"]["statistic"] == surv_adata.uns["logrank"]["statistic"]
    assert list(back.uns["kaplan_meier"]["median"].index) == ["b", "a", "c"]
