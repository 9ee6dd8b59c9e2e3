"""auroc: against mixOmics' own published test values, scikit-learn's ROC AUC and the normal-approximation p-value.

Reference values from R: mixOmics 6.35.2 ``tests/testthat/test-auroc.R`` (numbers only):
``plsda(breast.tumors$gene.exp, treatment, ncomp = 2)`` → Comp1 (0.863, 2.473e-05), Comp2 (0.9981, 7.124e-09);
``splsda(breast.TCGA train block, subtype, ncomp = 3)``, roc.comp = 3 → first AUC 0.993 (miRNA), 0.9945 (protein);
and ``data/mixomics_r_extra.json`` (made by ``data/make_mint_auroc_tune_spls.R`` with mixOmics 6.35.2): auroc of a
``block.plsda`` (tol 1e-30) on the raw training blocks, and of MINT models (in ``test_mint.py``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score

from pyomics_bridge._conventions import ValidationError
from pyomics_bridge.multiomics import PLSDA, SPLSDA, BlockPLSDA
from pyomics_bridge.multiomics._auroc import auc_table, auroc
from pyomics_bridge.multiomics._mint import MINTPLSDA

_EXTRA = Path(__file__).parent / "data" / "mixomics_r_extra.json"


def _tcga(mx, block):
    d = mx.data_dir() / "breast.TCGA"
    X = mx.read_csv(d / f"train_{block}.csv")
    s = mx.read_csv(d / "samples.csv")
    y = pd.Categorical(s.loc[X.index, "subtype"], categories=["Basal", "Her2", "LumA"])
    return X, y


def test_breast_tumors_plsda_matches_mixomics(mx):
    d = mx.data_dir() / "breast.tumors"
    X = mx.read_csv(d / "gene_exp.csv")  # 2,400 NA: predict sets them to 0 after scaling, as mixOmics
    y = mx.read_csv(d / "samples.csv").loc[X.index, "treatment"]
    res = auroc(PLSDA(2).fit(X, y), X, y)
    assert list(res["comp1"].index) == ["AF vs BE"]
    assert res["comp1"].iloc[0].tolist() == [0.863, 2.473e-05]
    assert res["comp2"].iloc[0].tolist() == [0.9981, 7.124e-09]


@pytest.mark.parametrize(("block", "expected"), [("mirna", 0.993), ("protein", 0.9945)])
def test_tcga_splsda_comp3_matches_mixomics(mx, block, expected):
    X, y = _tcga(mx, block)
    res = auroc(SPLSDA(3).fit(X, y), X, y, roc_comp=3)
    assert list(res.tables) == ["comp3"]
    tab = res["comp3"]
    assert list(tab.index) == ["Basal vs Other(s)", "Her2 vs Other(s)", "LumA vs Other(s)"]
    assert tab["AUC"].iloc[0] == expected


def test_auc_is_sklearn_one_vs_rest_and_p_is_the_normal_approximation(mx):
    X, y = _tcga(mx, "mrna")
    test = np.arange(X.shape[0]) % 3 == 0  # a held-out third: AUCs well below 1
    model = PLSDA(2).fit(X[~test], y[~test])
    res = auroc(model, X[test], y[test], digits=None)
    labels = np.asarray(y[test], dtype=object)
    for h in (1, 2):
        scores = model.predict_scores(X[test], n_components=h)
        np.testing.assert_allclose(res.scores[f"comp{h}"], scores, rtol=0, atol=0)
        for k, lev in enumerate(["Basal", "Her2", "LumA"]):
            case = labels == lev
            auc = roc_auc_score(case, scores[:, k])
            assert res[f"comp{h}"]["AUC"].iloc[k] == pytest.approx(auc, abs=1e-12)
            n1, n0 = case.sum(), (~case).sum()
            se = np.sqrt((0.25 + (n1 + n0 - 2) * 0.083333) / (n1 * n0))
            p = 2 * stats.norm.sf(abs(auc - 0.5) / se)
            assert res[f"comp{h}"]["p-value"].iloc[k] == pytest.approx(p, rel=1e-9, abs=1e-15)


def test_direction_is_fixed_auc_below_half_is_kept():
    # class "a" gets the *lower* scores: mixOmics keeps AUC < 0.5 (no automatic flip)
    scores = np.array([[0.1, 0.9], [0.2, 0.8], [0.9, 0.1], [0.7, 0.3], [0.8, 0.2]])
    labels = np.array(["a", "a", "b", "b", "b"], dtype=object)
    tab = auc_table(scores, labels, ["a", "b"], digits=None)
    assert list(tab.index) == ["a vs b"]
    assert tab["AUC"].iloc[0] == 0.0
    # ties count one half
    tab = auc_table(np.array([[1.0, 0], [1.0, 0], [1.0, 0]]), np.array(["a", "b", "b"], dtype=object), ["a", "b"])
    assert tab["AUC"].iloc[0] == 0.5
    assert tab["p-value"].iloc[0] == 1.0


def test_block_model_tables_per_block(mx):
    Xm, y = _tcga(mx, "mirna")
    Xr, _ = _tcga(mx, "mrna")
    blocks = {"mirna": Xm, "mrna": Xr}
    model = BlockPLSDA(2).fit(blocks, y)
    res = auroc(model, blocks, y, digits=None)
    assert set(res.tables) == {"mirna", "mrna"}
    pred = model.predict(blocks, dist="max.dist")
    labels = np.asarray(y, dtype=object)
    for b in ("mirna", "mrna"):
        for h in (1, 2):
            sc = pred.predict[b][h - 1]
            expected = [roc_auc_score(labels == lev, sc[:, k]) for k, lev in enumerate(["Basal", "Her2", "LumA"])]
            np.testing.assert_allclose(res[b][f"comp{h}"]["AUC"].to_numpy(), expected, atol=1e-12)
    only = auroc(model, blocks, y, roc_block="mrna", roc_comp=[2])
    assert list(only.tables) == ["mrna"] and list(only["mrna"]) == ["comp2"]


def test_mint_model_uses_study():
    rng = np.random.default_rng(0)
    n = 60
    y = np.array(["a", "b", "c"] * 20, dtype=object)
    study = np.repeat(["s1", "s2", "s3"], 20)
    X = rng.normal(size=(n, 30)) + (y == "a")[:, None] * 1.5
    X += np.repeat([0.0, 5.0, -3.0], 20)[:, None]  # study shifts
    model = MINTPLSDA(2).fit(X, y, study=study)
    res = auroc(model, X, y, study=study, digits=None)
    sc = model.predict_scores(X, study, n_components=2)
    assert res["comp2"]["AUC"].iloc[0] == pytest.approx(roc_auc_score(y == "a", sc[:, 0]), abs=1e-12)
    with pytest.raises(ValidationError, match="study is required"):
        auroc(model, X, y)


def test_bad_input(mx):
    X, y = _tcga(mx, "protein")
    model = PLSDA(2).fit(X, y)
    with pytest.raises(ValidationError, match="pass X and Y"):
        auroc(model)
    with pytest.raises(ValidationError, match="not classes of the model"):
        auroc(model, X, np.where(np.asarray(y) == "LumA", "Normal", np.asarray(y, dtype=object)))
    with pytest.raises(ValidationError, match="roc_comp"):
        auroc(model, X, y, roc_comp=3)
    with pytest.raises(ValidationError, match="fitted DA model"):
        auroc(PLSDA(2), X, y)
    with pytest.raises(ValidationError, match="only used with MINT"):
        auroc(model, X, y, study=np.zeros(len(y)))


def test_block_plsda_matches_mixomics(mx):
    ref = json.loads(_EXTRA.read_text())["auroc_block_plsda"]
    Xm, y = _tcga(mx, "mirna")
    Xr, _ = _tcga(mx, "mrna")
    blocks = {"mirna": Xm, "mrna": Xr}
    res = auroc(BlockPLSDA(2, tol=1e-30).fit(blocks, y), blocks, y)
    for b in ("mirna", "mrna"):
        for h in (1, 2):
            r = ref[b][f"comp{h}"]
            assert list(res[b][f"comp{h}"].index) == r["rownames"]
            np.testing.assert_array_equal(res[b][f"comp{h}"].to_numpy(), np.array(r["data"], dtype=float))
