"""Round trips AnnData <-> SummarizedExperiment and MuData <-> MultiAssayExperiment through rpy2.

Property tests generate AnnData with odd names, every supported column dtype, dense/sparse matrices,
layers, obsm/varm/obsp and nested uns, and require Python -> R -> Python to give an *identical* object
(dtypes, sparse formats, category order, index names included).  Explicit tests look at the R side
with R code, convert objects built natively in R, and check errors and that inputs are not modified.
"""

from __future__ import annotations

import copy
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

hypothesis = pytest.importorskip("hypothesis")
import anndata as ad  # noqa: E402

with warnings.catch_warnings():
    # anndata's test helpers use a "gpu" mark this project does not register
    warnings.simplefilter("ignore", pytest.PytestUnknownMarkWarning)
    from anndata.tests.helpers import assert_equal  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

R_PACKAGES = ("SummarizedExperiment", "MultiAssayExperiment")

SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}


def r_eval(code: str, *args):
    """Run R code (a function of ``args``) and return the result as plain Python values."""
    import pyomics_bridge.r as pr

    ro = pr.robjects()
    from rpy2.robjects.conversion import localconverter

    with localconverter(ro.default_converter):
        res = ro.r(code)(*args) if args else ro.r(code)
        return _py(res)


def _py(x):
    from rpy2.rinterface_lib.sexp import NULLType

    if isinstance(x, NULLType):
        return None
    if hasattr(x, "names") and str(type(x).__name__) == "ListVector":
        return [_py(v) for v in x]
    try:
        return list(x)
    except TypeError:
        return x


# --------------------------------------------------------------------------- strict comparison


def assert_value_equal(a, b, path="uns"):
    """Equality that also checks Python/numpy types, dtypes and sparse formats (NaN == NaN)."""
    assert type(a) is type(b), f"{path}: {type(a)} != {type(b)}"
    if isinstance(a, dict):
        assert list(a) == list(b), f"{path}: keys {list(a)} != {list(b)}"
        for k in a:
            assert_value_equal(a[k], b[k], f"{path}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            assert_value_equal(x, y, f"{path}[{i}]")
    elif isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, check_exact=True)
        assert a.index.name == b.index.name, path
    elif sparse.issparse(a):
        assert a.dtype == b.dtype and a.shape == b.shape, path
        np.testing.assert_array_equal(a.toarray(), b.toarray(), err_msg=path)
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, f"{path}: {a.dtype}{a.shape} != {b.dtype}{b.shape}"
        np.testing.assert_array_equal(a, b, err_msg=path)
    elif isinstance(a, (float, np.floating)) and np.isnan(a):
        assert np.isnan(b), path
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


def assert_frame_identical(a: pd.DataFrame, b: pd.DataFrame, what: str):
    pd.testing.assert_frame_equal(a, b, check_exact=True, check_index_type=True, obj=what)
    assert list(a.index) == list(b.index) and a.index.name == b.index.name, what
    for col in a.columns:
        if isinstance(a[col].dtype, pd.CategoricalDtype):
            assert list(a[col].cat.categories) == list(b[col].cat.categories), f"{what}[{col!r}]"
            assert a[col].cat.ordered == b[col].cat.ordered, f"{what}[{col!r}]"


def assert_adata_identical(a: ad.AnnData, b: ad.AnnData):
    # anndata's helper cannot compare lists holding arrays in uns: uns is compared below, strictly
    a_, b_ = a.copy(), b.copy()
    a_.uns, b_.uns = {}, {}
    assert_equal(a_, b_)
    assert a.shape == b.shape
    assert list(a.obs_names) == list(b.obs_names) and list(a.var_names) == list(b.var_names)
    assert_frame_identical(a.obs, b.obs, "obs")
    assert_frame_identical(a.var, b.var, "var")
    if a.X is None:
        assert b.X is None
    else:
        assert_value_equal(a.X, b.X, "X")
    for slot in ("layers", "obsm", "varm", "obsp", "varp"):
        ma, mb = getattr(a, slot), getattr(b, slot)
        assert list(ma.keys()) == list(mb.keys()), slot
        for k in ma:
            assert_value_equal(ma[k], mb[k], f"{slot}[{k!r}]")
    assert_value_equal(dict(a.uns), dict(b.uns), "uns")


def deep_snapshot(adata: ad.AnnData):
    """A deep copy plus the raw sparse index arrays (to detect in-place sorting)."""
    raw = {}
    for key, m in [("X", adata.X), *adata.layers.items()]:
        if sparse.issparse(m):
            raw[key] = (m.indices.copy(), m.indptr.copy(), m.data.copy())
    return adata.copy(), copy.deepcopy(dict(adata.uns)), raw


def assert_unchanged(adata: ad.AnnData, snapshot):
    before, uns, raw = snapshot
    assert_adata_identical(before, adata)
    assert_value_equal(uns, dict(adata.uns))
    for key, (indices, indptr, data) in raw.items():
        m = adata.X if key == "X" else adata.layers[key]
        np.testing.assert_array_equal(m.indices, indices)
        np.testing.assert_array_equal(m.indptr, indptr)
        np.testing.assert_array_equal(m.data, data)


# --------------------------------------------------------------------------- strategies

ODD_NAMES = ["1", "a b", "ä", "x.y", "NA", "", " ", "名前", "TRUE", "NaN", "-1", "a$b", "x\ty", "'q'", '"dq"']
name_text = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=5)
names_st = st.one_of(st.sampled_from(ODD_NAMES), name_text)


def unique_names(n: int):
    return st.lists(names_st, min_size=n, max_size=n, unique=True)


@st.composite
def column(draw, n: int):
    kind = draw(st.sampled_from([
        "float64", "float32", "int32", "int64", "uint8", "bool", "Int64", "Int32", "boolean", "string",
        "object", "category", "ordered", "category_int", "category_nan",
    ]))
    if kind in ("float64", "float32"):
        width = 64 if kind == "float64" else 32
        vals = draw(st.lists(st.floats(width=width), min_size=n, max_size=n))
        return np.array(vals, dtype=kind)
    if kind == "int32":
        return np.array(draw(st.lists(st.integers(-(2**31), 2**31 - 1), min_size=n, max_size=n)), dtype=np.int32)
    if kind == "int64":
        return np.array(draw(st.lists(st.integers(-(2**53), 2**53), min_size=n, max_size=n)), dtype=np.int64)
    if kind == "uint8":
        return np.array(draw(st.lists(st.integers(0, 255), min_size=n, max_size=n)), dtype=np.uint8)
    if kind == "bool":
        return np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    if kind in ("Int64", "Int32"):
        lim = 2**31 - 1 if kind == "Int32" else 2**53
        vals = draw(st.lists(st.one_of(st.none(), st.integers(-lim, lim)), min_size=n, max_size=n))
        return pd.array(vals, dtype=kind)
    if kind == "boolean":
        return pd.array(draw(st.lists(st.one_of(st.none(), st.booleans()), min_size=n, max_size=n)), dtype="boolean")
    if kind == "string":
        return pd.array(draw(st.lists(st.one_of(st.none(), names_st), min_size=n, max_size=n)), dtype="string")
    if kind == "object":
        vals = draw(st.lists(names_st, min_size=n, max_size=n))
        if draw(st.booleans()) and n:
            vals[draw(st.integers(0, n - 1))] = None
        return np.array(vals, dtype=object)
    if kind == "category_int":
        cats = draw(st.lists(st.integers(-1000, 1000), min_size=1, max_size=4, unique=True))
        codes = draw(st.lists(st.integers(-1, len(cats) - 1), min_size=n, max_size=n))
        return pd.Categorical.from_codes(codes, categories=cats)
    cats = draw(st.lists(names_st, min_size=1, max_size=4, unique=True))  # drawn order = level order
    low = -1 if kind == "category_nan" else 0
    codes = draw(st.lists(st.integers(low, len(cats) - 1), min_size=n, max_size=n))
    return pd.Categorical.from_codes(codes, categories=cats, ordered=kind == "ordered")


@st.composite
def frame(draw, index: list[str]):
    ncol = draw(st.integers(0, 4))
    cols = draw(st.lists(names_st, min_size=ncol, max_size=ncol, unique=True))
    data = {c: draw(column(len(index))) for c in cols}
    df = pd.DataFrame(data, index=pd.Index(index, dtype=object))
    if not data:
        df = pd.DataFrame(index=pd.Index(index, dtype=object))
    if draw(st.booleans()):
        df.index.name = draw(st.sampled_from(["cell", "gene id", "ä"]))
    return df


@st.composite
def matrix(draw, shape: tuple[int, int], *, allow_int: bool = True):
    kind = draw(st.sampled_from(["float64", "float32", "int32", "int64", "csr", "csc", "csr_array", "csr_f32"]
                                if allow_int else ["float64", "float32", "csr", "csc"]))
    size = shape[0] * shape[1]
    if kind in ("int32", "int64"):
        vals = draw(st.lists(st.integers(-(2**31) + 1, 2**31 - 1), min_size=size, max_size=size))
        return np.array(vals, dtype=kind).reshape(shape)
    elems = st.one_of(st.just(0.0), st.floats(width=32))
    vals = np.array(draw(st.lists(elems, min_size=size, max_size=size)), dtype=np.float64).reshape(shape)
    if kind in ("float64", "float32"):
        return vals.astype(kind)
    dense = vals.astype(np.float32 if kind == "csr_f32" else np.float64)
    if kind == "csc":
        return sparse.csc_matrix(dense)
    if kind == "csr_array":
        return sparse.csr_array(dense)
    return sparse.csr_matrix(dense)


scalar_st = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**40), 2**40), st.floats(allow_nan=False), names_st,
    st.integers(-100, 100).map(np.int64), st.floats(width=32, allow_nan=False).map(np.float32),
    st.lists(st.integers(-5, 5), max_size=4).map(lambda v: np.array(v, dtype=np.int32)),
    st.lists(st.floats(), max_size=4).map(np.array),
    st.lists(names_st, max_size=3).map(lambda v: np.array(v, dtype=object)),
)
uns_st = st.recursive(
    scalar_st,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(names_st, inner, max_size=3),
    ),
    max_leaves=8,
)


@st.composite
def anndatas(draw):
    n_obs, n_vars = draw(st.integers(1, 6)), draw(st.integers(1, 5))
    obs = draw(frame(draw(unique_names(n_obs))))
    var = draw(frame(draw(unique_names(n_vars))))
    X = draw(st.one_of(st.none(), matrix((n_obs, n_vars)))) if draw(st.integers(0, 9)) == 0 else draw(
        matrix((n_obs, n_vars)))
    adata = ad.AnnData(X=X, obs=obs, var=var)
    for key in draw(st.lists(names_st.filter(lambda s: s != "X"), max_size=2, unique=True)):
        adata.layers[key] = draw(matrix((n_obs, n_vars)))
    for key in draw(st.lists(names_st, max_size=2, unique=True)):
        k = draw(st.integers(0, 3))
        adata.obsm[key] = draw(st.one_of(matrix((n_obs, k)), st.just(None).map(
            lambda _: pd.DataFrame({"a": np.arange(n_obs, dtype=np.int64)}, index=adata.obs_names))))
    if draw(st.booleans()):
        adata.varm["PCs"] = draw(matrix((n_vars, 2), allow_int=False))
    if draw(st.booleans()):
        adata.obsp["distances"] = draw(matrix((n_obs, n_obs), allow_int=False))
    adata.uns = draw(st.dictionaries(names_st, uns_st, max_size=4))
    return adata


# --------------------------------------------------------------------------- property tests


@settings(max_examples=40, **SETTINGS)
@given(adata=anndatas())
def test_anndata_se_roundtrip_is_lossless(adata):
    from pyomics_bridge.r import anndata_to_se, se_to_anndata

    snap = deep_snapshot(adata)
    se = anndata_to_se(adata)
    back = se_to_anndata(se)
    assert_adata_identical(adata, back)
    assert_unchanged(adata, snap)
    dims = r_eval("function(se) c(dim(se), methods::is(se, 'SummarizedExperiment'))", se)
    assert dims == [adata.n_vars, adata.n_obs, 1]


@settings(max_examples=25, **SETTINGS)
@given(obs=st.integers(1, 6).flatmap(lambda n: unique_names(n)).flatmap(frame))
def test_dataframe_helpers_roundtrip(obs):
    from pyomics_bridge.r._frames import dataframe_record, dataframe_to_r, r_to_dataframe

    before = obs.copy()
    rdf = dataframe_to_r(obs)
    back = r_to_dataframe(rdf, record=dataframe_record(obs))
    assert_frame_identical(obs, back, "frame")
    pd.testing.assert_frame_equal(obs, before)
    assert r_eval("function(d) c(nrow(d), ncol(d))", rdf) == [obs.shape[0], obs.shape[1]]


@settings(max_examples=25, **SETTINGS)
@given(data=st.data())
def test_mudata_mae_roundtrip_with_sample_subsets(data):
    import mudata

    from pyomics_bridge.r import mae_to_mudata, mudata_to_mae

    n = data.draw(st.integers(2, 6))
    names = data.draw(unique_names(n))
    mods = {}
    mod_names = st.sampled_from(["rna", "prot", "a b", "ä", "1"])
    for i, mod_name in enumerate(data.draw(st.lists(mod_names, min_size=1, max_size=3, unique=True))):
        keep = sorted(data.draw(st.sets(st.integers(0, n - 1), min_size=1)))
        obs_names = [names[j] for j in keep]
        var_names = data.draw(unique_names(data.draw(st.integers(1, 3))))
        var_names = [f"m{i}_{v}" for v in var_names]  # unique across modalities
        obs = data.draw(frame(obs_names))
        obs.index.name = None
        mods[mod_name] = ad.AnnData(X=data.draw(matrix((len(obs_names), len(var_names)))), obs=obs,
                                    var=pd.DataFrame(index=var_names))
    mdata = _make_mudata(mods)
    mdata.obs["group"] = pd.Categorical(data.draw(st.lists(st.sampled_from(["b", "a"]), min_size=len(mdata.obs),
                                                           max_size=len(mdata.obs))), categories=["b", "a"])
    mdata.obs["score"] = np.arange(mdata.n_obs, dtype=np.float32)
    mdata.uns["note"] = data.draw(uns_st)
    snap = {k: m.copy() for k, m in mdata.mod.items()}, mdata.obs.copy()
    back = mae_to_mudata(mudata_to_mae(mdata))
    assert_mudata_identical(mdata, back)
    for k, m in snap[0].items():
        assert_adata_identical(m, mdata.mod[k])
    pd.testing.assert_frame_equal(snap[1], mdata.obs)
    assert isinstance(back, mudata.MuData)


def _make_mudata(mods, *, pull: bool | None = False):
    """MuData from modalities; ``pull=None`` keeps mudata 0.3's default (copy modality obs columns up)."""
    import mudata

    opts = {} if pull is None else {"pull_on_update": pull}
    with warnings.catch_warnings(), mudata.set_options(**opts):
        warnings.simplefilter("ignore", FutureWarning)
        return mudata.MuData(mods)


def assert_mudata_identical(a, b):
    assert list(a.mod) == list(b.mod)
    for k in a.mod:
        assert_adata_identical(a.mod[k], b.mod[k])
    assert_frame_identical(a.obs, b.obs, "mdata.obs")
    assert_frame_identical(a.var, b.var, "mdata.var")
    for slot in ("obsm", "varm", "obsp", "varp"):
        ma, mb = getattr(a, slot), getattr(b, slot)
        assert sorted(ma.keys()) == sorted(mb.keys()), slot
        for k in ma:
            assert_value_equal(ma[k], mb[k], f"mdata.{slot}[{k!r}]")
    assert_value_equal(dict(a.uns), dict(b.uns), "mdata.uns")


# --------------------------------------------------------------------------- explicit tests


def small_adata() -> ad.AnnData:
    rng = np.random.default_rng(0)
    obs = pd.DataFrame(
        {
            "cond": pd.Categorical(["ctrl", "treat", None, "ctrl"], categories=["treat", "ctrl"]),
            "dose": [0.5, np.nan, 1.0, 2.0],
            "n": pd.array([1, None, 3, 4], dtype="Int64"),
            "ok": [True, False, True, True],
            "label": pd.array(["x", None, "NA", ""], dtype="string"),
        },
        index=["1", "a b", "ä", "NA"],
    )
    var = pd.DataFrame({"symbol": ["A", "B", "C"]}, index=["g1", "x.y", "g 3"])
    X = sparse.random(4, 3, density=0.5, format="csr", random_state=0, dtype=np.float64)
    adata = ad.AnnData(X=X, obs=obs, var=var)
    adata.layers["counts"] = rng.integers(0, 100, (4, 3)).astype(np.int32)
    adata.obsm["X_pca"] = rng.normal(size=(4, 2))
    adata.uns["params"] = {"k": 5, "method": "pca", "weights": np.array([0.25, 0.75])}
    return adata


def test_r_side_is_summarized_experiment_features_by_samples():
    from pyomics_bridge.r import anndata_to_se

    adata = small_adata()
    se = anndata_to_se(adata)
    check = r_eval(
        """function(se) {
            cd <- SummarizedExperiment::colData(se)
            list(class(se)[1], dim(se), SummarizedExperiment::assayNames(se), colnames(se), rownames(se),
                 levels(cd$cond), as.character(cd$cond), is.na(cd$cond), is.na(cd$dose), cd$ok, is.na(cd$label),
                 SummarizedExperiment::rowData(se)$symbol, class(SummarizedExperiment::assay(se, "X"))[1],
                 typeof(SummarizedExperiment::assay(se, "counts")),
                 dim(S4Vectors::metadata(se)$obsm$X_pca), rownames(S4Vectors::metadata(se)$obsm$X_pca),
                 S4Vectors::metadata(se)$uns$params$k, S4Vectors::metadata(se)$pyomics_bridge$dtypes$obs[["n"]])
        }""",
        se,
    )
    (cls, dim, assays, cols, rows, levels, cond, cond_na, dose_na, ok, label_na, symbol, xcls, ctype, pca_dim,
     pca_rows, k, n_dtype) = check
    assert cls == ["SummarizedExperiment"]
    assert dim == [3, 4]  # features x samples
    assert assays == ["X", "counts"]
    assert cols == ["1", "a b", "ä", "NA"] and rows == ["g1", "x.y", "g 3"]
    assert levels == ["treat", "ctrl"]
    assert cond_na == [False, False, True, False] and cond[:2] == ["ctrl", "treat"]
    assert dose_na == [False, True, False, False]
    assert ok == [True, False, True, True]
    assert label_na == [False, True, False, False]  # the string "NA" is not missing
    assert symbol == ["A", "B", "C"]
    assert xcls == ["dgCMatrix"] and ctype == ["integer"]
    assert pca_dim == [4, 2] and pca_rows == cols
    assert k == [5] and n_dtype == ["Int64"]
    # the assay really is the transpose: X[i, j] == assay[j, i]
    x_r = r_eval("function(se) as.vector(as.matrix(SummarizedExperiment::assay(se, 'X')))", se)
    np.testing.assert_array_equal(np.array(x_r).reshape(3, 4, order="F"), adata.X.toarray().T)


def test_native_r_summarized_experiment_converts_with_sensible_dtypes():
    from pyomics_bridge.r import robjects, se_to_anndata

    ro = robjects()
    se = ro.r(
        """local({
        counts <- matrix(1:6, nrow = 2, dimnames = list(c("g1", "g2"), c("s1", "s 2", "3")))
        lc <- Matrix::Matrix(c(0, 1.5, 0, 0, NA, 0), 2, 3, sparse = TRUE)
        cd <- S4Vectors::DataFrame(
            cond = factor(c("a", "b", NA), levels = c("b", "a")), n = c(1L, NA, 3L), i = 1:3,
            flag = c(TRUE, FALSE, NA), b = c(TRUE, TRUE, FALSE), s = c("x", NA, "z"), chr = c("p", "q", "r"),
            d = c(1.5, NA, NaN), o = factor(c("lo", "hi", "lo"), levels = c("lo", "hi"), ordered = TRUE))
        SummarizedExperiment::SummarizedExperiment(
            assays = list(counts = counts, logcounts = lc), colData = cd,
            rowData = S4Vectors::DataFrame(symbol = c("A", "B")),
            metadata = list(note = "hi", params = list(k = 5L, alpha = 0.5)))
    })"""
    )
    adata = se_to_anndata(se)
    assert adata.shape == (3, 2)
    assert list(adata.obs_names) == ["s1", "s 2", "3"] and list(adata.var_names) == ["g1", "g2"]
    np.testing.assert_array_equal(adata.X, np.array([[1, 2], [3, 4], [5, 6]], dtype=np.int32))
    assert adata.X.dtype == np.int32
    lc = adata.layers["logcounts"]
    assert isinstance(lc, sparse.csr_matrix) and lc.dtype == np.float64
    np.testing.assert_array_equal(lc.toarray(), [[0, 1.5], [0, 0], [np.nan, 0]])
    obs = adata.obs
    assert list(obs["cond"].cat.categories) == ["b", "a"] and not obs["cond"].cat.ordered
    assert obs["cond"].isna().tolist() == [False, False, True]
    assert obs["o"].cat.ordered and list(obs["o"].cat.categories) == ["lo", "hi"]
    assert obs["n"].dtype == "Int32" and obs["n"].isna().tolist() == [False, True, False]
    assert obs["i"].dtype == np.int32
    assert obs["flag"].dtype == "boolean" and obs["b"].dtype == bool
    assert obs["s"].dtype == "string" and obs["chr"].dtype == object
    assert obs["d"].dtype == np.float64 and obs["d"].isna().tolist() == [False, True, True]
    assert adata.var["symbol"].tolist() == ["A", "B"]
    assert adata.uns == {"note": "hi", "params": {"k": 5, "alpha": 0.5}}


def test_native_single_cell_experiment_reduced_dims_become_obsm():
    from pyomics_bridge.r import _session, robjects, se_to_anndata

    if _session.r_package_version("SingleCellExperiment") is None:
        pytest.skip("R package SingleCellExperiment is not installed")
    ro = robjects()
    sce = ro.r(
        """local({
        counts <- matrix(as.numeric(1:12), nrow = 3, dimnames = list(paste0("g", 1:3), paste0("c", 1:4)))
        pca <- matrix(c(0.5, -1, 2, 0, 1, 1, 1, 1), nrow = 4)
        SingleCellExperiment::SingleCellExperiment(assays = list(counts = counts), reducedDims = list(PCA = pca))
    })"""
    )
    adata = se_to_anndata(sce)
    assert adata.shape == (4, 3)
    np.testing.assert_array_equal(adata.X, np.arange(1, 13, dtype=np.float64).reshape(4, 3))
    np.testing.assert_array_equal(adata.obsm["PCA"], [[0.5, 1], [-1, 1], [2, 1], [0, 1]])


def test_duplicated_names_raise_naming_the_axis():
    from pyomics_bridge.r import anndata_to_se, mudata_to_mae

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        dup_obs = ad.AnnData(np.zeros((3, 2)), obs=pd.DataFrame(index=["a", "b", "a"]))
        dup_var = ad.AnnData(np.zeros((2, 3)), var=pd.DataFrame(index=["g", "g", "h"]))
    with pytest.raises(ValueError, match=r"obs_names are duplicated.*\['a'\]"):
        anndata_to_se(dup_obs)
    with pytest.raises(ValueError, match="var_names are duplicated"):
        anndata_to_se(dup_var)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # mudata's own note about the duplicates
        dup_mdata = _make_mudata({"rna": dup_var})
    with pytest.raises(ValueError, match=r"mod\['rna'\]\.var_names are duplicated"):
        mudata_to_mae(dup_mdata)


def test_caller_object_unmodified_and_unsorted_indices_stay_unsorted():
    from pyomics_bridge.r import anndata_to_se, se_to_anndata

    # row 0 has column indices [2, 0] (unsorted), row 1 has [1]
    X = sparse.csr_matrix((np.array([1.0, 2.0, 3.0]), np.array([2, 0, 1]), np.array([0, 2, 3])), shape=(2, 3))
    adata = ad.AnnData(X=X, obs=pd.DataFrame({"c": pd.Categorical(["b", "a"])}, index=["s1", "s2"]))
    adata.layers["csc"] = sparse.csc_matrix(
        (np.array([5.0, 6.0]), np.array([1, 0]), np.array([0, 2, 2, 2])), shape=(2, 3))
    adata.uns["nested"] = {"a": [1, 2], "b": np.arange(3)}
    snap = deep_snapshot(adata)
    se = anndata_to_se(adata)
    assert_unchanged(adata, snap)
    assert adata.X.indices.tolist() == [2, 0, 1]
    assert adata.layers["csc"].indices.tolist() == [1, 0]
    back = se_to_anndata(se)
    np.testing.assert_array_equal(back.X.toarray(), X.toarray())
    np.testing.assert_array_equal(back.layers["csc"].toarray(), adata.layers["csc"].toarray())
    assert isinstance(back.layers["csc"], sparse.csc_matrix)
    # X = [[2, 0, 1], [0, 3, 0]]; the assay is X.T, read column by column
    assert r_eval("function(se) as.vector(as.matrix(SummarizedExperiment::assay(se, 'X')))", se) == [
        2.0, 0.0, 1.0, 0.0, 3.0, 0.0]


def test_nan_and_integer_dtypes_in_matrices():
    from pyomics_bridge.r import anndata_to_se, se_to_anndata

    adata = ad.AnnData(X=np.array([[np.nan, 1.0], [np.inf, -0.0]], dtype=np.float32))
    adata.layers["i64"] = np.array([[2**53, -(2**53)], [0, 1]], dtype=np.int64)
    adata.layers["i32min"] = np.array([[-(2**31), 0], [1, 2]], dtype=np.int32)  # -2**31 is R's NA_integer_
    adata.layers["sp_nan"] = sparse.csr_matrix(np.array([[np.nan, 0], [0, 1.0]]))
    adata.layers["sp_int"] = sparse.csr_matrix(np.array([[3, 0], [0, 1]], dtype=np.int64))
    adata.layers["bool"] = np.array([[True, False], [False, True]])
    se = anndata_to_se(adata)
    assert_adata_identical(adata, se_to_anndata(se))
    assert r_eval("function(se) is.na(SummarizedExperiment::assay(se, 'X'))[1, 1]", se) == [True]
    assert r_eval("function(se) typeof(SummarizedExperiment::assay(se, 'bool'))", se) == ["logical"]


def test_limits_raise_clear_errors(monkeypatch):
    from pyomics_bridge.r import _matrices, anndata_to_se

    big_int = ad.AnnData(X=np.array([[2**53 + 1]], dtype=np.int64))
    with pytest.raises(ValueError, match=r"2\*\*53"):
        anndata_to_se(big_int)
    monkeypatch.setattr(_matrices, "MAX_NNZ", 2)
    with pytest.raises(ValueError, match=r"stored entries.*2\*\*31"):
        anndata_to_se(ad.AnnData(X=sparse.csr_matrix(np.ones((2, 2)))))
    mixed = ad.AnnData(np.zeros((2, 1)), obs=pd.DataFrame({"m": [1, "a"]}, index=["a", "b"]))
    with pytest.raises(TypeError, match="object column"):
        anndata_to_se(mixed)


def test_unconvertible_uns_items_warn_and_are_skipped():
    from pyomics_bridge.r import anndata_to_se, se_to_anndata

    adata = ad.AnnData(np.zeros((2, 1)))
    adata.uns = {"ok": 1, "bad": object(), "nested": {"fine": "x", "worse": {1, 2}}}
    with pytest.warns(UserWarning) as record:
        se = anndata_to_se(adata)
    messages = [str(w.message) for w in record]
    assert any("uns['bad'] cannot be converted to R (type object)" in m for m in messages), messages
    assert any("uns['nested']['worse'] cannot be converted to R (type set)" in m for m in messages), messages
    back = se_to_anndata(se)
    assert back.uns == {"ok": 1, "nested": {"fine": "x"}}
    assert "bad" in adata.uns  # the caller's object keeps everything


def test_missing_r_package_error_names_install_command(monkeypatch):
    from pyomics_bridge.r import RUnavailableError, _rbase, _session, anndata_to_se

    real = _session.r_package_version
    monkeypatch.setattr(_session, "r_package_version",
                        lambda p: None if p == "SummarizedExperiment" else real(p))
    _rbase._require_cached.cache_clear()
    try:
        with pytest.raises(RUnavailableError, match="apt-get install r-bioc-summarizedexperiment"):
            anndata_to_se(ad.AnnData(np.zeros((1, 1))))
    finally:
        _rbase._require_cached.cache_clear()


def test_global_converter_is_not_used():
    """A globally activated pandas/numpy converter must not change what the converters produce."""
    from rpy2.robjects import numpy2ri, pandas2ri
    from rpy2.robjects.conversion import localconverter

    from pyomics_bridge.r import anndata_to_se, robjects, se_to_anndata

    ro = robjects()
    adata = small_adata()
    with localconverter(ro.default_converter + pandas2ri.converter + numpy2ri.converter):
        back = se_to_anndata(anndata_to_se(adata))
    assert_adata_identical(adata, back)


def test_r_code_subsetting_keeps_obsm_aligned():
    from pyomics_bridge.r import anndata_to_se, robjects, se_to_anndata

    adata = small_adata()
    ro = robjects()
    se = anndata_to_se(adata)
    sub = ro.r("function(se) se[, c(4, 2)]")(se)
    back = se_to_anndata(sub)
    expected = adata[["NA", "a b"]].copy()
    np.testing.assert_array_equal(back.obsm["X_pca"], expected.obsm["X_pca"])
    assert_frame_identical(expected.obs, back.obs, "obs")
    np.testing.assert_array_equal(back.layers["counts"], expected.layers["counts"])


def test_mae_structure_seen_from_r():
    from pyomics_bridge.r import mudata_to_mae

    rna = ad.AnnData(np.arange(12, dtype=np.float64).reshape(4, 3), obs=pd.DataFrame(index=["s1", "s 2", "ä", "NA"]),
                     var=pd.DataFrame(index=["g1", "g2", "g3"]))
    prot = ad.AnnData(np.ones((2, 2)), obs=pd.DataFrame({"batch": ["x", "y"]}, index=["ä", "s1"]),
                      var=pd.DataFrame(index=["p1", "p2"]))
    mdata = _make_mudata({"rna": rna, "prot": prot})
    mdata.obs = pd.DataFrame({"age": [30, 40, 50, 60]}, index=mdata.obs_names)
    mae = mudata_to_mae(mdata)
    res = r_eval(
        """function(m) {
            sm <- MultiAssayExperiment::sampleMap(m)
            list(class(m)[1], names(m), as.character(sm$assay), sm$primary, sm$colname,
                 rownames(MultiAssayExperiment::colData(m)), MultiAssayExperiment::colData(m)$age,
                 dim(m[["prot"]]), colnames(m[["prot"]]), class(m[["rna"]])[1])
        }""",
        mae,
    )
    cls, names, assay, primary, colname, rows, age, pdim, pcols, rcls = res
    assert cls == ["MultiAssayExperiment"] and names == ["rna", "prot"]
    assert assay == ["rna"] * 4 + ["prot"] * 2
    assert primary == colname == ["s1", "s 2", "ä", "NA", "ä", "s1"]
    assert rows == list(mdata.obs_names) and age == [30.0, 40.0, 50.0, 60.0]
    assert pdim == [2, 2] and pcols == ["ä", "s1"] and rcls == ["SummarizedExperiment"]


def test_mudata_with_pulled_modality_columns_roundtrip():
    """mudata 0.3's default copies modality obs columns into the global obs ("rna:batch"): both survive."""
    from pyomics_bridge.r import mae_to_mudata, mudata_to_mae

    rna = ad.AnnData(np.ones((3, 2)), obs=pd.DataFrame(
        {"batch": pd.Categorical(["x", "y", "x"]), "depth": [1.5, 2.5, np.nan], "n": np.array([1, 2, 3])},
        index=["s1", "s2", "s3"]), var=pd.DataFrame(index=["g1", "g2"]))
    prot = ad.AnnData(np.zeros((2, 1), dtype=np.float32), obs=pd.DataFrame(
        {"ok": [True, False], "lab": ["a", "b"]}, index=["s3", "s1"]), var=pd.DataFrame(index=["p1"]))
    mdata = _make_mudata({"rna": rna, "prot": prot}, pull=None)
    mdata.obsm["X_joint"] = np.arange(6, dtype=np.float64).reshape(3, 2)
    mdata.var["highly_variable"] = np.array([True, False, True])
    mdata.var.index.name = "feature"
    mdata.varm["loadings"] = sparse.csr_matrix(np.eye(3, 2, dtype=np.float32))
    mdata.uns["method"] = {"name": "mofa", "k": np.int64(2)}
    assert any(":" in c for c in mdata.obs.columns)
    assert_mudata_identical(mdata, mae_to_mudata(mudata_to_mae(mdata)))


def test_native_r_mae_maps_colnames_to_primary():
    from pyomics_bridge.r import mae_to_mudata, robjects

    ro = robjects()
    mae = ro.r(
        """local({
        a <- matrix(as.numeric(1:6), 2, dimnames = list(c("g1", "g2"), c("A-01", "B-01", "C-01")))
        b <- SummarizedExperiment::SummarizedExperiment(
            list(counts = matrix(1:4, 2, dimnames = list(c("p1", "p2"), c("B-02", "C-02")))))
        cd <- S4Vectors::DataFrame(age = c(10L, 20L, 30L, 40L), row.names = c("A", "B", "C", "D"))
        sm <- S4Vectors::DataFrame(assay = factor(c("rna", "rna", "rna", "prot", "prot")),
                                   primary = c("A", "B", "C", "B", "C"),
                                   colname = c("A-01", "B-01", "C-01", "B-02", "C-02"))
        MultiAssayExperiment::MultiAssayExperiment(list(rna = a, prot = b), cd, sm)
    })"""
    )
    mdata = mae_to_mudata(mae)
    assert list(mdata.mod) == ["rna", "prot"]
    assert list(mdata.mod["rna"].obs_names) == ["A", "B", "C"]
    assert list(mdata.mod["prot"].obs_names) == ["B", "C"]
    assert mdata.mod["prot"].X.dtype == np.int32
    np.testing.assert_array_equal(mdata.mod["rna"].X, [[1, 2], [3, 4], [5, 6]])
    assert list(mdata.obs_names) == ["A", "B", "C"]  # "D" has no data
    assert mdata.obs["age"].tolist() == [10, 20, 30] and mdata.obs["age"].dtype == np.int32


def _dataset_path() -> Path:
    root = os.environ.get("POB_DATA_DIR")
    if not root:
        pytest.skip("POB_DATA_DIR is not set (point it at the shared datasets folder)")
    path = Path(root) / "mixomics" / "breast.TCGA" / "breast.TCGA.h5mu"
    if not path.exists():
        pytest.skip(f"{path} not found")
    return path


def test_breast_tcga_mudata_roundtrip():
    import mudata

    from pyomics_bridge.r import mae_to_mudata, mudata_to_mae

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        mdata = mudata.read_h5mu(_dataset_path())
    assert mdata.mod["protein"].n_obs < mdata.n_obs  # a modality with a subset of the samples
    mae = mudata_to_mae(mdata)
    counts = r_eval("function(m) as.vector(table(MultiAssayExperiment::sampleMap(m)$assay)[names(m)])", mae)
    assert counts == [mdata.mod[k].n_obs for k in mdata.mod]
    assert r_eval("function(m) levels(MultiAssayExperiment::colData(m)$subtype)", mae) == list(
        mdata.obs["subtype"].cat.categories)
    back = mae_to_mudata(mae)
    assert_mudata_identical(mdata, back)
