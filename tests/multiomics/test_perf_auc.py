"""``perf(..., auc=True)`` against mixOmics 6.35.2 (``tests/multiomics/data/mixomics_perf_auc.json``, written by
``make_perf_auc.R`` with the folds R drew recorded during the call), and ``perf`` of MINT models.

mixOmics' perf AUC semantics: (s)PLS-DA — per repeat, ``statauc`` of the out-of-fold ``max.dist`` scores with a
fixed direction (AUC < 0.5 kept), 4 significant digits, then mean and sd over repeats; DIABLO — each fold model's
``auroc`` on its own (already scaled) training data, averaged over folds, blocks and repeats.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import pyomics_bridge.multiomics as mo
from pyomics_bridge._conventions import ValidationError
from pyomics_bridge.multiomics._mint_perf import perf_mint
from pyomics_bridge.multiomics._perf import perf

REF = Path(__file__).resolve().parent / "data" / "mixomics_perf_auc.json"


@pytest.fixture(scope="module")
def ref() -> dict:
    return json.loads(REF.read_text())


@pytest.fixture(scope="module")
def tcga(mx):
    case = mx.load_case("perf_block_splsda_tcga_mfold")
    X = {b: case.input(f"X${b}") for b in ("mirna", "mrna", "protein")}
    return X, case.input("Y")


def _folds(rec):
    return [[np.asarray(f) - 1 for f in rec["by_repeat"][r]] for r in rec["by_repeat"]]


def _m(d) -> np.ndarray:
    return np.array(d["data"], dtype=float)


@pytest.mark.parametrize("validation", ["Mfold", "loo"])
def test_perf_splsda_auc_matches_mixomics(ref, tcga, validation):
    X, Y = tcga
    r = ref[f"splsda_{validation.lower()}"]
    kw = {"validation": "loo"} if validation == "loo" else {"fold_assignments": _folds(r["folds"]), "nrepeat": 3}
    res = perf(mo.SPLSDA(2, keepX=[25, 25]), X["mrna"], Y, dist="all", auc=True, n_jobs=1, **kw)
    for h in range(2):
        want = r["auc"][f"comp{h + 1}"]
        assert list(res.auc[h].index) == want["rownames"] and list(res.auc[h].columns) == want["colnames"]
        np.testing.assert_allclose(res.auc[h].to_numpy(), _m(want), rtol=0, atol=1e-12)  # NaN sd with loo
        for rep, tab in enumerate(r["auc_all"][f"comp{h + 1}"].values()):
            np.testing.assert_allclose(res.auc_all[h][rep], _m(tab), rtol=0, atol=1e-12)
    # the error rates of the same call agree too (the folds are R's)
    np.testing.assert_allclose(res.error_rate["BER"].to_numpy(), _m(r["error_rate"]["BER"]), rtol=0, atol=1e-12)


def test_perf_block_auc_matches_mixomics(ref, tcga, mx):
    X, Y = tcga
    r = ref["block_splsda_mfold"]
    design = pd.DataFrame(0.1, index=list(X), columns=list(X))
    np.fill_diagonal(design.values, 0)
    model = mo.BlockSPLSDA(2, keepX={"mirna": [10, 5], "mrna": [25, 16], "protein": [8, 5]}, design=design)
    res = perf(model, X, Y, fold_assignments=_folds(r["folds"]), nrepeat=3, dist="all", auc=True, n_jobs=1)
    np.testing.assert_allclose(res.weighted_vote["error_rate"]["max.dist"].to_numpy(),
                               _m(r["weighted_vote_error_rate"]["max.dist"]), rtol=0, atol=1e-12)
    assert len(res.auc_all) == 3 * 5 * 3 * 2 * 3  # repeats × folds × blocks × comps × classes
    for h in range(2):
        want = r["auc"][f"comp{h + 1}"]
        got = res.auc[f"comp{h + 1}"]
        assert list(got.index) == want["rownames"]
        # 45 fold tables of 4-digit AUCs are averaged: R's fold fits (tol 1e-6) differ from ours in the 4th digit
        # of an AUC in one or two of the 45 tables, i.e. < 3e-5 in the mean (an out-of-fold AUC, or a fold
        # refit on the raw rows without mixOmics' double scaling, is off by 1e-3 to 0.3)
        np.testing.assert_allclose(got["AUC"].to_numpy(), _m(want)[:, 0], rtol=0, atol=3e-5)
        np.testing.assert_allclose(got["p-value"].to_numpy(), _m(want)[:, 1], rtol=0, atol=3e-5)
        mx_diff = np.abs(got.to_numpy() - _m(want)).max()
        assert mx_diff < 3e-5


def test_perf_mint_routes_to_leave_one_study_out():
    rng = np.random.default_rng(3)
    n = 48
    y = np.tile(np.repeat(["a", "b"], 8), 3)
    study = np.repeat(["s1", "s2", "s3"], 16)
    X = rng.normal(size=(n, 12))
    X[y == "b", :3] += 1.5
    X += np.repeat(rng.normal(size=(3, 12)), 16, axis=0)  # study effects
    model = mo.MINTSPLSDA(2, keepX=[4, 4])
    via_perf = perf(model, X, y, study=study, dist="max.dist")
    direct = perf_mint(model, X, y, study=study, dist="max.dist")
    assert type(via_perf).__name__ == "MINTPerfResult"
    assert repr(via_perf) == repr(direct)  # the leave-one-study-out tables, not an M-fold CV ignoring studies
    with pytest.raises(ValidationError, match="study"):
        perf(model, X, y)
    with pytest.raises(ValidationError, match="leave-one-study-out"):
        perf(model, X, y, study=study, auc=True)
    with pytest.raises(ValidationError, match="only used with MINT"):
        perf(mo.SPLSDA(2, keepX=[4, 4]), X, y, study=study)


def test_perf_block_auc_independent_of_n_jobs():
    rng = np.random.default_rng(5)
    y = np.repeat(["a", "b", "c"], 10)
    X = {b: rng.normal(size=(30, 15)) for b in ("x1", "x2")}
    for b in X:
        X[b][y == "b", :3] += 1.0
    model = mo.BlockSPLSDA(2, keepX={"x1": [5, 5], "x2": [5, 5]})
    a = perf(model, X, y, folds=3, nrepeat=2, random_state=1, auc=True, n_jobs=1)
    b = perf(model, X, y, folds=3, nrepeat=2, random_state=1, auc=True, n_jobs=2)
    assert a.auc_all.equals(b.auc_all)
    for h in ("comp1", "comp2"):
        assert a.auc[h].equals(b.auc[h])
        # the mean of the long table over folds, blocks and repeats
        sub = a.auc_all[a.auc_all["comp"] == h].groupby("class", sort=False)[["AUC", "p-value"]].mean()
        np.testing.assert_allclose(a.auc[h].to_numpy(), sub.loc[a.auc[h].index].to_numpy(), rtol=0, atol=1e-15)
