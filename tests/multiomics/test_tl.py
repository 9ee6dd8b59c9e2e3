"""AnnData/MuData drivers of the mixOmics methods: slots, conventions, atomic failure, agreement with R."""

from __future__ import annotations

import copy as copymod
import inspect

import numpy as np
import pandas as pd
import pytest
from anndata import AnnData

import pyomics_bridge.multiomics as mo
from pyomics_bridge._conventions import ValidationError
from pyomics_bridge.tl import _multiomics as tlm

pytestmark = [
    pytest.mark.filterwarnings("ignore::FutureWarning:mudata"),
    pytest.mark.filterwarnings("ignore::UserWarning:mudata"),
]

FUNCS = [getattr(tlm, name) for name in tlm.__all__]


@pytest.mark.parametrize("func", FUNCS, ids=tlm.__all__)
def test_signature_conventions(func):
    params = list(inspect.signature(func).parameters.values())
    assert params[0].name in ("adata", "mdata")
    assert sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params) == 1
    assert params[-1].name == "copy" and params[-1].default is False and params[-1].kind == params[-1].KEYWORD_ONLY
    assert "key_added" in inspect.signature(func).parameters
    assert "Parameters" in func.__doc__ and "Returns" in func.__doc__


@pytest.fixture
def srbct(mx) -> AnnData:
    d = mx.data_dir() / "srbct"
    X = mx.read_csv(d / "gene.csv")
    obs = mx.read_csv(d / "samples.csv").copy()
    obs["class"] = pd.Categorical(obs["class"], categories=["EWS", "BL", "NB", "RMS"])
    return AnnData(X.to_numpy(), obs=obs, var=pd.DataFrame(index=X.columns))


@pytest.fixture
def tcga(mx) -> tuple[AnnData, AnnData]:
    d = mx.data_dir() / "breast.TCGA"
    samples = mx.read_csv(d / "samples.csv")
    out = []
    for split in ("train", "test"):
        X = mx.read_csv(d / f"{split}_mrna.csv")
        obs = samples.loc[X.index].copy()
        obs["subtype"] = pd.Categorical(obs["subtype"], categories=["Basal", "Her2", "LumA"])
        out.append(AnnData(X.to_numpy(), obs=obs, var=pd.DataFrame(index=X.columns)))
    return out[0], out[1]


@pytest.fixture
def liver(mx):
    md = pytest.importorskip("mudata")
    d = mx.data_dir() / "liver.toxicity"
    gene, clinic = mx.read_csv(d / "gene.csv"), mx.read_csv(d / "clinic.csv")
    return md.MuData({
        "gene": AnnData(gene.to_numpy(), obs=pd.DataFrame(index=gene.index), var=pd.DataFrame(index=gene.columns)),
        "clinic": AnnData(clinic.to_numpy(), obs=pd.DataFrame(index=clinic.index),
                          var=pd.DataFrame(index=clinic.columns)),
    })


def test_splsda_slots_match_estimator_and_r(srbct, mx, tmp_path):
    out = tlm.splsda(srbct, groupby="class", n_components=3, keepX=[50, 50, 50], copy=True)
    assert "splsda" not in srbct.uns and not srbct.obsm  # copy=True leaves the input alone
    est = mo.SPLSDA(3, keepX=[50, 50, 50]).fit(srbct.X, srbct.obs["class"])
    np.testing.assert_array_equal(out.obsm["X_splsda"], est.variates_["X"])
    np.testing.assert_array_equal(out.obsm["X_splsda_Y"], est.variates_["Y"])
    np.testing.assert_array_equal(out.varm["splsda_loadings"], est.loadings_["X"])
    assert out.varm["splsda_loadings"].shape == (2308, 3)
    assert (out.varm["splsda_loadings"] != 0).sum(axis=0).tolist() == [50, 50, 50]
    rec = out.uns["splsda"]
    assert list(rec["classes"]) == ["EWS", "BL", "NB", "RMS"]
    assert rec["params"]["groupby"] == "class" and rec["params"]["keepX"].tolist() == [50, 50, 50]
    assert len(rec["selected"]["comp1"]) == 50 and set(rec["selected"]["comp1"]) <= set(srbct.var_names)
    ref = mx.load_case("splsda_srbct_keepx50").outputs
    for b in ("X", "Y"):
        np.testing.assert_allclose(rec["explained_variance"][b], mx.named(ref["prop_expl_var"][b]), rtol=1e-10)
    assert tlm.splsda(srbct, groupby="class", keepX=10) is None and "splsda" in srbct.uns
    path = tmp_path / "srbct.h5ad"
    out.write_h5ad(path)
    import anndata

    back = anndata.read_h5ad(path)
    np.testing.assert_array_equal(back.uns["splsda"]["model"]["W"], rec["model"]["W"])


def test_plsda_predict_driver_matches_r(tcga, mx, tmp_path):
    train, test = tcga
    tlm.splsda(train, groupby="subtype", n_components=2, keepX=[25, 25])
    test = test[:, test.var_names[::-1]].copy()  # features matched by name
    ref = mx.load_case("splsda_tcga_mrna_keepx25_predict").outputs["prediction"]
    train.write_h5ad(tmp_path / "train.h5ad")  # the stored model survives .h5ad
    import anndata

    stored = anndata.read_h5ad(tmp_path / "train.h5ad")
    for dist in mo.DISTANCES:
        res = tlm.plsda_predict(test, reference=stored, key="splsda", dist=dist, copy=True)
        r_class = np.array(ref["class"][dist]["data"], dtype=object)
        assert res.obs["splsda_predict"].astype(str).tolist() == r_class[:, 1].tolist()
        for h, comp in enumerate(("comp1", "comp2")):
            assert res.uns["splsda_predict"]["classes"][dist][comp].tolist() == r_class[:, h].tolist()
    np.testing.assert_allclose(res.uns["splsda_predict"]["scores"].to_numpy(), mx.matrix(ref["predict"]["dim2"]),
                               rtol=0, atol=1e-12)
    one = tlm.plsda_predict(test, reference=train, n_components=1, copy=True)
    assert one.obs["splsda_predict"].astype(str).tolist() == np.array(ref["class"]["max.dist"]["data"])[:, 0].tolist()
    with pytest.raises(ValidationError, match="dist must be one of"):
        tlm.plsda_predict(test, reference=train, dist="nearest")
    with pytest.raises(ValidationError, match="lacks 1 feature"):
        tlm.plsda_predict(test[:, 1:].copy(), reference=train)
    with pytest.raises(ValidationError, match="no fitted"):
        tlm.plsda_predict(test, reference=train, key="nope")


def test_spls_mudata_slots_and_r(liver, mx):
    tlm.spls(liver, x_mod="gene", y_mod="clinic", n_components=2, keepX=[50, 50], keepY=[10, 10])
    ref = mx.load_case("spls_liver_keepx50_keepy10").outputs
    T = liver["gene"].obsm["X_spls"]
    s = mx.signs(liver["gene"].varm["spls_loadings"], mx.matrix(ref["loadings"]["X"]))
    assert mx.rel_diff(T * s, mx.matrix(ref["variates"]["X"])) < 1e-8
    assert mx.rel_diff(liver["clinic"].obsm["X_spls"] * s, mx.matrix(ref["variates"]["Y"])) < 1e-8
    assert mx.rel_diff(liver["clinic"].varm["spls_loadings"] * s, mx.matrix(ref["loadings"]["Y"])) < 1e-8
    rec = liver.uns["spls"]
    np.testing.assert_allclose(rec["explained_variance"]["X"], mx.named(ref["prop_expl_var"]["X"]), rtol=1e-10)
    assert rec["params"]["x_mod"] == "gene" and rec["n_iter"].tolist() == [5, 5]
    assert len(rec["selected"]["X"]["comp2"]) == 50


def test_pls_and_rcc_mudata(liver):
    tlm.pls(liver, x_mod="gene", y_mod="clinic", n_components=2, mode="canonical", key_added="pc")
    assert liver["gene"].varm["pc_loadings_star"].shape == (3116, 2)
    assert liver.uns["pc"]["params"]["mode"] == "canonical"
    small = liver.copy()
    small.mod["gene"] = small["gene"][:, :20].copy()
    out = tlm.rcc(small, x_mod="gene", y_mod="clinic", lambda1=0.05, lambda2=0.05, copy=True)
    assert out.uns["rcc"]["cor"].shape == (10,) and "rcc" not in small.uns
    assert out["clinic"].obsm["X_rcc"].shape == (64, 2)


def test_mudata_errors_leave_object_intact(liver):
    before = copymod.deepcopy(dict(liver.uns))
    with pytest.raises(ValidationError, match="x_mod='rna' is not a modality"):
        tlm.spls(liver, x_mod="rna", y_mod="clinic")
    with pytest.raises(ValidationError, match=r"keepX\[0\]=5000 is larger than the number of features \(3116\)"):
        tlm.spls(liver, x_mod="gene", y_mod="clinic", keepX=[5000, 10])
    liver["clinic"].X[0, 0] = np.nan
    with pytest.raises(ValidationError, match=r"mdata\['clinic'\].X contains 1 NaN"):
        tlm.pls(liver, x_mod="gene", y_mod="clinic")
    assert dict(liver.uns).keys() == before.keys()
    assert not liver["gene"].obsm


def test_misaligned_modalities(mx):
    md = pytest.importorskip("mudata")
    rng = np.random.default_rng(0)
    a = AnnData(rng.normal(size=(10, 5)), obs=pd.DataFrame(index=[f"s{i}" for i in range(10)]))
    b = AnnData(rng.normal(size=(10, 3)), obs=pd.DataFrame(index=[f"s{i}" for i in range(10)][::-1]))
    m = md.MuData({"a": a, "b": b})
    with pytest.raises(ValidationError, match="are not aligned"):
        tlm.pls(m, x_mod="a", y_mod="b")


def test_da_errors_leave_object_intact(srbct):
    before = srbct.obs.copy()
    with pytest.raises(ValidationError, match="adata.obs has no column 'subtype'"):
        tlm.splsda(srbct, groupby="subtype")
    srbct.obs.loc[srbct.obs_names[0], "class"] = np.nan
    with pytest.raises(ValidationError, match=r"adata.obs\['class'\] has 1 missing"):
        tlm.plsda(srbct, groupby="class")
    with pytest.raises(TypeError, match="adata must be an AnnData"):
        tlm.plsda(srbct.X, groupby="class")
    assert not srbct.uns and not srbct.obsm and not srbct.varm
    assert srbct.obs.columns.tolist() == before.columns.tolist()


def test_pca_and_spca_drivers(srbct, mx):
    sub = srbct[:, :300].copy()
    tlm.pca_mixomics(sub, n_components=3)
    est = mo.PCA(3).fit(sub.X)
    np.testing.assert_array_equal(sub.obsm["X_pca_mixomics"], est.variates_["X"])
    assert sub.uns["pca_mixomics"]["params"]["method"] == "svd"
    tlm.spca(sub, n_components=2, keepX=[10, 5])
    assert (sub.varm["spca_loadings"] != 0).sum(axis=0).tolist() == [10, 5]
    assert sub.uns["spca"]["selected"]["comp2"].shape == (5,)
    sub.X[0, 0] = np.nan
    tlm.pca_mixomics(sub, n_components=2, key_added="pn")
    assert sub.uns["pn"]["params"]["method"] == "nipals"
