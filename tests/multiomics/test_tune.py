"""``tune_splsda`` / ``tune_rcc`` (and ``tune_block_splsda`` when DIABLO exists): agreement with mixOmics 6.35.2,
the selection rules, reproducibility and input errors. M-fold cases use the folds R recorded (1-based in the JSON).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from joblib import parallel_config

import pyomics_bridge.multiomics as mo
from pyomics_bridge._conventions import ValidationError
from pyomics_bridge.multiomics._perf import perf
from pyomics_bridge.multiomics._tune import tune_rcc, tune_splsda

ATOL = 1e-12


def _recorded_folds(out, key="by_comp_repeat"):
    """R's recorded folds → {"comp<c>": [[0-based index arrays] per repeat]} (or a list per repeat)."""
    rec = out["folds"][key]
    if key == "by_repeat":
        return [[np.asarray(f) - 1 for f in rec[r]] for r in rec]
    return {c: [[np.asarray(f) - 1 for f in rec[c][r]] for r in rec[c]] for c in rec}


def _small(seed=0, n=36, p=40):
    rng = np.random.default_rng(seed)
    y = np.repeat(np.array(["a", "b", "c"]), n // 3)
    X = rng.normal(size=(n, p))
    for k, lab in enumerate("abc"):
        X[y == lab, k * 3: k * 3 + 3] += 1.2
    return pd.DataFrame(X, columns=[f"g{j}" for j in range(p)]), pd.Series(y)


def _check_tune_case(case, mx, res):
    out = case.outputs
    ref = out["error_rate"]
    assert list(res.error_rate.index) == ref["rownames"] and list(res.error_rate.columns) == ref["colnames"]
    np.testing.assert_allclose(res.error_rate.to_numpy(), mx.matrix(ref), rtol=0, atol=ATOL)
    case.record("error_rate", np.abs(res.error_rate.to_numpy() - mx.matrix(ref)).max())
    for comp, m in out["error_rate_all"].items():
        np.testing.assert_allclose(res.error_rate_all[comp].to_numpy(), mx.matrix(m), rtol=0, atol=ATOL)
    if out["error_rate_sd"] is not None:
        np.testing.assert_allclose(res.error_rate_sd.to_numpy(), mx.matrix(out["error_rate_sd"]), rtol=0, atol=ATOL)
        case.record("error_rate_sd", np.abs(res.error_rate_sd.to_numpy() - mx.matrix(out["error_rate_sd"])).max())
    else:
        assert res.error_rate_sd.isna().all().all()
    np.testing.assert_allclose(res.error_rate_class.to_numpy(), mx.matrix(out["error_rate_class"]), rtol=0,
                               atol=ATOL)
    for comp, m in out["error_rate_class_all"].items():
        np.testing.assert_allclose(res.error_rate_class_all[comp].to_numpy(), mx.matrix(m), rtol=0, atol=ATOL)
    assert res.choice_keepX == list(out["choice_keep_x"].values())
    assert res.choice_ncomp == out["choice_ncomp"]["ncomp"]
    if out["choice_ncomp"]["values"] is not None:
        np.testing.assert_allclose(res.choice_ncomp_values.to_numpy(), mx.matrix(out["choice_ncomp"]["values"]),
                                   rtol=0, atol=ATOL)
    assert res.measure == out["measure"]


# --------------------------------------------------------------------------- golden
def test_tune_splsda_loo_golden(mx):
    case = mx.load_case("tune_splsda_tcga_mrna_loo")
    par = case.params
    res = tune_splsda(case.input("X"), case.input("Y"), test_keepX=par["test.keepX"], n_components=par["ncomp"],
                      validation="loo", dist=par["dist"], measure=par["measure"])
    _check_tune_case(case, mx, res)
    assert res.choice_keepX == [20, 50]  # comp-1 tie at BER 1/3 between 20 and 50 goes to the smaller keepX


def test_tune_splsda_mfold_golden_with_recorded_folds(mx):
    case = mx.load_case("tune_splsda_tcga_mrna_mfold")
    par = case.params
    folds = _recorded_folds(case.outputs)
    res = tune_splsda(case.input("X"), case.input("Y"), test_keepX=par["test.keepX"], n_components=par["ncomp"],
                      validation="Mfold", folds=par["folds"], nrepeat=par["nrepeat"], dist=par["dist"],
                      measure=par["measure"], fold_assignments=folds)
    _check_tune_case(case, mx, res)
    assert res.choice_ncomp == 2


def test_tune_rcc_loo_golden(mx):
    case = mx.load_case("tune_rcc_nutrimouse_loo")
    out, par = case.outputs, case.params
    res = tune_rcc(case.input("X"), case.input("Y"), grid1=par["grid1"], grid2=par["grid2"], validation="loo")
    ref = mx.matrix(out["mat"])
    got = res.scores.to_numpy()
    # (λ1, λ2) = (0.001, 0.001): p = 120 > n, the held-out scores depend on each fold's arbitrary LAPACK sign
    # (even BLAS threading changes it), so that cell is not reproducible; every other cell is
    ok = np.ones_like(ref, dtype=bool)
    ok[0, 0] = False
    d = float(np.max(np.abs(got[ok] - ref[ok])) / np.max(np.abs(ref)))
    case.record("scores (24 of 25 cells)", d)
    assert d < 1e-8
    assert -1 <= got[0, 0] <= 1
    assert res.opt_lambda1 == out["opt_lambda1"] and res.opt_lambda2 == out["opt_lambda2"]
    assert res.opt_score == pytest.approx(out["opt_score"], rel=1e-10)


# --------------------------------------------------------------------------- protocol
def test_tune_single_candidate_equals_perf():
    """tune_splsda with one candidate per component = perf of that model on the same folds."""
    X, y = _small()
    folds = [np.arange(len(y)) % 4, (np.arange(len(y)) // 3) % 4]
    tn = tune_splsda(X, y, test_keepX=[6], n_components=2, nrepeat=2, fold_assignments=folds, measure="BER")
    pf = perf(mo.SPLSDA(2, keepX=[6, 6]), X, y, nrepeat=2, fold_assignments=folds, dist="all")
    np.testing.assert_allclose(tn.error_rate.to_numpy()[0], pf.error_rate["BER"]["max.dist"].to_numpy(), atol=1e-15)
    tn_o = tune_splsda(X, y, test_keepX=[6], n_components=2, nrepeat=2, fold_assignments=folds, measure="overall",
                       dist="centroids.dist")
    np.testing.assert_allclose(tn_o.error_rate.to_numpy()[0], pf.error_rate["overall"]["centroids.dist"].to_numpy(),
                               atol=1e-15)
    tn_m = tune_splsda(X, y, test_keepX=[6], n_components=2, nrepeat=2, fold_assignments=folds,
                       dist="mahalanobis.dist")
    np.testing.assert_allclose(tn_m.error_rate.to_numpy()[0], pf.error_rate["BER"]["mahalanobis.dist"].to_numpy(),
                               atol=1e-15)


def test_tune_already_tested_and_full_grid():
    X, y = _small()
    res = tune_splsda(X, y, test_keepX=[3, 10], n_components=2, already_tested_X=[5], validation="loo")
    assert res.choice_keepX[0] == 5 and res.choice_keepX[1] in (3, 10)
    assert res.error_rate["comp1"].isna().all() and res.choice_ncomp is None
    allv = tune_splsda(X, y, test_keepX=None, n_components=1, folds=3, random_state=0)
    assert allv.choice_keepX == [X.shape[1]]
    # unsorted, duplicated grid is sorted and de-duplicated
    g = tune_splsda(X, y, test_keepX=[10, 3, 10], n_components=1, folds=3, random_state=0)
    assert list(g.error_rate.index) == ["3", "10"]


def test_tune_independent_of_n_jobs_and_seeded():
    X, y = _small()
    kw = {"test_keepX": [3, 6, 12], "n_components": 2, "folds": 3, "nrepeat": 3, "random_state": 11}
    a = tune_splsda(X, y, n_jobs=1, **kw)
    with parallel_config(backend="threading"):
        b = tune_splsda(X, y, n_jobs=2, **kw)
    c = tune_splsda(X, y, **kw)
    for other in (b, c):
        assert a.error_rate.equals(other.error_rate) and a.choice_keepX == other.choice_keepX
        for comp in a.folds:
            for fa, fb in zip(a.folds[comp], other.folds[comp], strict=True):
                assert np.array_equal(fa, fb)
    # each component gets new folds (as mixOmics, which seeds once)
    assert not all(np.array_equal(f1, f2) for f1, f2 in zip(a.folds["comp1"], a.folds["comp2"], strict=True))
    d = tune_splsda(X, y, **{**kw, "random_state": 12})
    assert not all(np.array_equal(f1, f2) for f1, f2 in zip(a.folds["comp1"], d.folds["comp1"], strict=True))
    assert a.choice_ncomp in (1, 2) and a.choice_ncomp_values.shape == (3, 2)


def test_tune_rcc_mfold_seeded():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(30, 8)), rng.normal(size=(30, 5))
    Y[:, 0] += X[:, 0]
    a = tune_rcc(X, Y, grid1=[0.01, 0.5], grid2=[0.01, 0.5], validation="Mfold", folds=5, random_state=1)
    with parallel_config(backend="threading"):
        b = tune_rcc(X, Y, grid1=[0.01, 0.5], grid2=[0.01, 0.5], validation="Mfold", folds=5, random_state=1,
                     n_jobs=2)
    assert a.scores.equals(b.scores) and np.array_equal(a.folds[0], b.folds[0])
    assert a.scores.shape == (2, 2) and a.opt_score == a.scores.to_numpy().max()


# --------------------------------------------------------------------------- errors
def test_tune_bad_inputs():
    X, y = _small()
    with pytest.raises(ValidationError, match="dist"):
        tune_splsda(X, y, test_keepX=[5], dist="all")
    with pytest.raises(ValidationError, match="measure"):
        tune_splsda(X, y, test_keepX=[5], measure="AUROC")
    with pytest.raises(ValidationError, match="larger than the number of features"):
        tune_splsda(X, y, test_keepX=[5, 100])
    with pytest.raises(ValidationError, match="positive integers"):
        tune_splsda(X, y, test_keepX=[0, 5])
    with pytest.raises(ValidationError, match="folds"):
        tune_splsda(X, y, test_keepX=[5], folds=100)
    with pytest.raises(ValidationError, match="no entry for component 2"):
        tune_splsda(X, y, test_keepX=[5], n_components=2, fold_assignments={1: [np.arange(len(y)) % 3]})
    with pytest.raises(ValidationError, match="one fold label per sample"):
        tune_splsda(X, y, test_keepX=[5], fold_assignments=[np.arange(len(y) + 2) % 3])
    with pytest.raises(ValidationError, match="already_tested_X"):
        tune_splsda(X, y, test_keepX=[5], n_components=1, already_tested_X=[5])
    with pytest.raises(ValidationError, match="grid1"):
        tune_rcc(X, X.iloc[:, :3], grid1=[-1.0])
    with pytest.raises(ValidationError, match="folds"):
        tune_rcc(X, X.iloc[:, :3], validation="Mfold", folds=1000)


# --------------------------------------------------------------------------- DIABLO
def test_tune_block_splsda_golden_with_recorded_folds(mx):
    pytest.importorskip("pyomics_bridge.multiomics._block", reason="DIABLO (BlockSPLSDA) not available yet")
    from pyomics_bridge.multiomics._tune import tune_block_splsda

    case = mx.load_case("tune_block_splsda_tcga_2x2x2")
    out, par = case.outputs, case.params
    X = {b: case.input(f"X${b}") for b in ("mirna", "mrna", "protein")}
    d = par["design"]
    design = pd.DataFrame(mx.matrix(d), index=d["rownames"], columns=d["colnames"])
    res = tune_block_splsda(X, case.input("Y"), test_keepX=par["test.keepX"], n_components=par["ncomp"],
                            design=design, validation="Mfold", folds=par["folds"], nrepeat=par["nrepeat"],
                            dist=par["dist"], measure=par["measure"], weighted=par["weighted"],
                            fold_assignments=_recorded_folds(out))
    assert list(res.error_rate.index) == out["error_rate"]["rownames"]
    worst = max(np.abs(res.error_rate.to_numpy() - mx.matrix(out["error_rate"])).max(),
                np.abs(res.error_rate_sd.to_numpy() - mx.matrix(out["error_rate_sd"])).max())
    for comp, m in out["error_rate_all"].items():
        worst = max(worst, np.abs(res.error_rate_all[comp].to_numpy() - mx.matrix(m)).max())
    for comp, m in out["error_rate_class"].items():  # per class × repeat, for the chosen combination
        worst = max(worst, np.abs(res.error_rate_class_all[comp].to_numpy() - mx.matrix(m)).max())
    case.record("error_rate", worst)
    assert worst < ATOL
    # comp 1: all 8 combinations tie at BER 1/3 → the smallest Σ keepX/p (5_5_5)
    assert res.choice_keepX == {b: list(v) for b, v in out["choice_keep_x"].items()}
    assert res.choice_ncomp == out["choice_ncomp"]["ncomp"]
    np.testing.assert_allclose(res.choice_ncomp_values.to_numpy(), mx.matrix(out["choice_ncomp"]["values"]),
                               rtol=0, atol=ATOL)


def test_tune_block_splsda_bad_inputs():
    block = pytest.importorskip("pyomics_bridge.multiomics._block", reason="DIABLO (BlockSPLSDA) not available yet")
    del block
    from pyomics_bridge.multiomics._tune import tune_block_splsda

    X, y = _small()
    blocks = {"a": X.iloc[:, :20], "b": X.iloc[:, 20:]}
    with pytest.raises(ValidationError, match="every block"):
        tune_block_splsda(blocks, y, test_keepX={"a": [5]}, n_components=1)
    with pytest.raises(ValidationError, match="larger than the number of features"):
        tune_block_splsda(blocks, y, test_keepX={"a": [5], "b": [50]}, n_components=1)
    with pytest.raises(ValidationError, match="measure"):
        tune_block_splsda(blocks, y, test_keepX={"a": [5], "b": [5]}, measure="AUC")
    small = tune_block_splsda(blocks, y, test_keepX={"a": [3, 6], "b": [4]}, n_components=1, folds=3,
                              random_state=0)
    assert list(small.error_rate.index) == ["3_4", "6_4"] and set(small.choice_keepX) == {"a", "b"}
