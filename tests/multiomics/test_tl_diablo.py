"""MuData drivers of block PLS / DIABLO: slots, conventions, atomic failure, .h5mu round trip, agreement with R."""

from __future__ import annotations

import copy as copymod
import inspect
import warnings

import numpy as np
import pandas as pd
import pytest
from anndata import AnnData

import pyomics_bridge.multiomics as mo
from pyomics_bridge._conventions import ValidationError
from pyomics_bridge.multiomics._block import BlockSPLSDA
from pyomics_bridge.tl import _diablo as tld

md = pytest.importorskip("mudata")

pytestmark = [
    pytest.mark.filterwarnings("ignore:From 0.4:FutureWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning:mudata"),
]

KEEPX = {"mirna": [10, 5], "mrna": [25, 16], "protein": [8, 5]}
DESIGN = 0.1


@pytest.mark.parametrize("func", [getattr(tld, n) for n in tld.__all__], ids=tld.__all__)
def test_signature_conventions(func):
    params = list(inspect.signature(func).parameters.values())
    assert params[0].name == "mdata"
    assert sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params) == 1
    assert params[-1].name == "copy" and params[-1].default is False and params[-1].kind == params[-1].KEYWORD_ONLY
    assert "key_added" in inspect.signature(func).parameters
    assert "Parameters" in func.__doc__ and "Returns" in func.__doc__


def _mudata(blocks: dict[str, pd.DataFrame], obs: pd.DataFrame | None = None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = md.MuData({k: AnnData(v.to_numpy(), obs=pd.DataFrame(index=v.index), var=pd.DataFrame(index=v.columns))
                       for k, v in blocks.items()})
        if obs is not None:
            for c in obs.columns:
                m.obs[c] = obs.loc[m.obs_names, c]
    return m


@pytest.fixture
def tcga(mx):
    d = mx.data_dir() / "breast.TCGA"
    samples = mx.read_csv(d / "samples.csv").copy()
    samples["subtype"] = pd.Categorical(samples["subtype"], categories=["Basal", "Her2", "LumA"])
    train = _mudata({b: mx.read_csv(d / f"train_{b}.csv") for b in ("mirna", "mrna", "protein")}, samples)
    test = _mudata({b: mx.read_csv(d / f"test_{b}.csv") for b in ("mirna", "mrna")}, samples)
    return train, test


def test_diablo_slots_match_estimator_and_r(tcga, mx, tmp_path):
    train, test = tcga
    out = tld.diablo(train, groupby="subtype", keepX=KEEPX, design=DESIGN, tol=1e-30, copy=True)
    assert "diablo" not in train.uns and not train["mrna"].obsm  # copy=True leaves the input alone
    ref = mx.load_case("block_splsda_tcga_tol1e-30_predict").outputs
    X = {b: pd.DataFrame(train[b].X, index=train[b].obs_names, columns=train[b].var_names) for b in KEEPX}
    est = BlockSPLSDA(2, keepX=KEEPX, design=DESIGN, tol=1e-30).fit(X, train.obs["subtype"])
    s = mx.signs(out["mirna"].varm["diablo_loadings"], mx.matrix(ref["loadings"]["mirna"]))
    for b in KEEPX:
        np.testing.assert_array_equal(out[b].obsm["X_diablo"], est.variates_[b])
        assert (out[b].varm["diablo_loadings"] != 0).sum(axis=0).tolist() == KEEPX[b]
        assert mx.rel_diff(out[b].obsm["X_diablo"] * s, mx.matrix(ref["variates"][b])) < 1e-9
    assert mx.rel_diff(out.obsm["X_diablo_Y"] * s, mx.matrix(ref["variates"]["Y"])) < 1e-9
    rec = out.uns["diablo"]
    assert mx.rel_diff(rec["weights"].to_numpy(), mx.matrix(ref["weights"])) < 1e-9
    np.testing.assert_array_equal(rec["design"].to_numpy(), mx.matrix(ref["design"]))
    for b in list(KEEPX) + ["Y"]:
        np.testing.assert_allclose(rec["explained_variance"][b], mx.named(ref["prop_expl_var"][b]), rtol=1e-9)
    assert list(rec["classes"]) == ["Basal", "Her2", "LumA"]
    assert rec["params"]["groupby"] == "subtype" and rec["params"]["method"] == "block.splsda"
    assert rec["params"]["keepX"]["mrna"].tolist() == [25, 16]
    assert len(rec["selected"]["protein"]["comp1"]) == 8 and rec["keepX"]["mirna"].tolist() == [10, 5]
    assert rec["centroids"]["mrna"].shape == (3, 2) and rec["loadings_Y"].index.tolist() == list(rec["classes"])
    # the stored model survives .h5mu and predicts like the estimator; protein is missing in the test set
    out.write_h5mu(tmp_path / "train.h5mu")
    back = md.read_h5mu(tmp_path / "train.h5mu")
    pr = ref["prediction"]
    with pytest.warns(UserWarning, match="based on the following blocks only: mirna, mrna"):
        res = tld.diablo_predict(test, reference=back, copy=True)
    assert "diablo_predict" not in test.uns
    wv = np.array(pr["weighted_vote"]["max.dist"]["data"], dtype=object)
    assert res.obs["diablo_predict"].astype(str).tolist() == wv[:, 1].tolist()
    got = res.uns["diablo_predict"]
    for dist in mo.DISTANCES:
        for scheme in ("majority_vote", "weighted_vote"):
            r = np.array(pr[scheme][dist]["data"], dtype=object)
            for h, comp in enumerate(("comp1", "comp2")):
                ours = got[scheme][dist][comp]
                assert [None if pd.isna(v) else v for v in ours] == r[:, h].tolist(), (scheme, dist, comp)
        r = np.array(pr["class"][dist]["mrna"]["data"], dtype=object)
        assert got["classes"][dist]["mrna"]["comp2"].astype(str).tolist() == r[:, 1].tolist()
    np.testing.assert_allclose(got["averaged_predict"]["comp2"].to_numpy(),
                               mx.matrix(pr["averaged_predict"]["dim2"]), rtol=0, atol=1e-9)
    assert got["missing_blocks"].tolist() == ["protein"] and set(got["weights"]) == {"mirna", "mrna"}
    assert res["mrna"].obsm["X_diablo_predict"].shape == (70, 2)
    # MajorityVote ties are NA (NaN in the categorical column)
    with pytest.warns(UserWarning):
        mv = tld.diablo_predict(test, reference=out, scheme="MajorityVote", dist="centroids.dist", n_components=1,
                                key_added="mv", copy=True)
    r = np.array(pr["majority_vote"]["centroids.dist"]["data"], dtype=object)[:, 0]
    assert int(mv.obs["mv"].isna().sum()) == sum(v is None for v in r)
    # the protein-free test MuData subset of the training object works as well (empty modalities = missing)
    with pytest.warns(UserWarning):
        tld.diablo_predict(test, reference=out.uns["diablo"], scheme="mrna", dist="mahalanobis.dist")
    assert test.obs["diablo_predict"].astype(str).tolist() == \
        np.array(pr["class"]["mahalanobis.dist"]["mrna"]["data"], dtype=object)[:, 1].tolist()


def test_diablo_predict_errors(tcga):
    train, test = tcga
    tld.diablo(train, groupby="subtype", keepX={b: v[:1] for b, v in KEEPX.items()}, design=DESIGN, n_components=1)
    assert train.uns["diablo"]["params"]["n_components"] == 1
    with pytest.raises(ValidationError, match="no fitted DIABLO model"):
        tld.diablo_predict(test, reference=train, key="nope")
    with pytest.raises(ValidationError, match="dist must be one of"):
        tld.diablo_predict(test, reference=train, dist="nearest")
    with pytest.raises(ValidationError, match="scheme must be one of"):
        tld.diablo_predict(test, reference=train, scheme="Vote")
    with pytest.raises(ValidationError, match="for dist='max.dist' only"):
        tld.diablo_predict(test, reference=train, scheme="AveragedPredict", dist="centroids.dist")
    with pytest.raises(ValidationError, match="n_components must be between 1 and 1"):
        tld.diablo_predict(test, reference=train, n_components=2)
    small = test.copy()
    small.mod["mrna"] = small["mrna"][:, 1:].copy()
    with pytest.raises(ValidationError, match="lacks 1 feature"):
        tld.diablo_predict(small, reference=train)
    assert "diablo_predict" not in test.uns and "diablo_predict" not in test.obs


def test_diablo_errors_leave_object_intact(tcga):
    train, _ = tcga
    before = copymod.deepcopy(dict(train.uns))
    with pytest.raises(ValidationError, match="mdata.obs has no column 'stage'"):
        tld.diablo(train, groupby="stage")
    with pytest.raises(ValidationError, match=r"mods names unknown modalities \['atac'\]"):
        tld.diablo(train, groupby="subtype", mods=["mrna", "atac"])
    with pytest.raises(ValidationError, match=r"keepX names unknown block\(s\) \['rna'\]"):
        tld.diablo(train, groupby="subtype", keepX={"rna": [5, 5]})
    with pytest.raises(ValidationError, match=r"got shape \(2, 2\)"):
        tld.diablo(train, groupby="subtype", design=np.zeros((2, 2)))
    with pytest.raises(ValidationError, match="layers names modalities"):
        tld.diablo(train, groupby="subtype", layers={"atac": "counts"})
    train.obs.loc[train.obs_names[3], "subtype"] = np.nan
    with pytest.raises(ValidationError, match=r"mdata.obs\['subtype'\] has 1 missing"):
        tld.diablo(train, groupby="subtype")
    with pytest.raises(TypeError, match="MuData"):
        tld.diablo(train["mrna"], groupby="subtype")
    assert dict(train.uns).keys() == before.keys()
    assert not train["mrna"].obsm and not train["mrna"].varm and "X_diablo_Y" not in train.obsm


def test_misaligned_modalities():
    rng = np.random.default_rng(0)
    names = [f"s{i}" for i in range(12)]
    a = pd.DataFrame(rng.normal(size=(12, 5)), index=names, columns=[f"a{j}" for j in range(5)])
    b = pd.DataFrame(rng.normal(size=(12, 4)), index=names[::-1], columns=[f"b{j}" for j in range(4)])
    m = _mudata({"a": a, "b": b}, pd.DataFrame({"g": ["x", "y"] * 6}, index=names))
    with pytest.raises(ValidationError, match="are not aligned"):
        tld.diablo(m, groupby="g")


def test_block_spls_driver_matches_r(mx):
    case = mx.load_case("block_pls_nutrimouse_diet_tol1e-30")
    ref = case.outputs
    d = mx.data_dir() / "nutrimouse"
    gene, lipid = mx.read_csv(d / "gene.csv"), mx.read_csv(d / "lipid.csv")
    diet = mx.read_csv(d / "samples.csv")["diet"]
    Y = pd.DataFrame(mo.dummy_matrix(diet.to_numpy(), ["coc", "fish", "lin", "ref", "sun"]), index=diet.index,
                     columns=["coc", "fish", "lin", "ref", "sun"])
    m = _mudata({"gene": gene, "lipid": lipid, "diet": Y})
    tld.block_spls(m, y_mod="diet", tol=1e-30)
    s = mx.signs(m["gene"].varm["block_spls_loadings"], mx.matrix(ref["loadings"]["gene"]))
    for mod, b in (("gene", "gene"), ("lipid", "lipid"), ("diet", "Y")):
        assert mx.rel_diff(m[mod].obsm["X_block_spls"] * s, mx.matrix(ref["variates"][b])) < 1e-9
        assert mx.rel_diff(m[mod].varm["block_spls_loadings"] * s, mx.matrix(ref["loadings"][b])) < 1e-9
    rec = m.uns["block_spls"]
    assert rec["params"]["y_mod"] == "diet" and list(rec["params"]["mods"]) == ["gene", "lipid"]
    assert mx.rel_diff(rec["weights"].to_numpy(), mx.matrix(ref["weights"])) < 1e-9
    np.testing.assert_allclose(rec["ave"]["inner"], mx.named(ref["ave"]["ave_inner"]), rtol=1e-9)
    # sparse variant with keepY, writing zero rows for unselected features
    tld.block_spls(m, y_mod="diet", keepX={"gene": [10, 10]}, keepY=[3, 3], key_added="sp")
    assert (m["gene"].varm["sp_loadings"] != 0).sum(axis=0).tolist() == [10, 10]
    assert (m["diet"].varm["sp_loadings"] != 0).sum(axis=0).tolist() == [3, 3]
    assert len(m.uns["sp"]["selected"]["diet"]["comp1"]) == 3
    with pytest.raises(ValidationError, match="y_mod='clinic' is not a modality"):
        tld.block_spls(m, y_mod="clinic")
    with pytest.raises(ValidationError, match="must not contain the response"):
        tld.block_spls(m, y_mod="diet", mods=["gene", "diet"])
    m["diet"].X[0, 0] = np.nan
    with pytest.raises(ValidationError, match=r"mdata\['diet'\] contains 1 NaN"):
        tld.block_spls(m, y_mod="diet", key_added="bad")
    assert "bad" not in m.uns
