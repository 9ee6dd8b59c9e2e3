"""``perf()``: agreement with mixOmics 6.35.2 (golden JSON), the CV protocol, reproducibility and input errors.

Error rates are fractions of misclassified samples: they must match R's to 1e-12 (R computes some as
1 − accuracy, e.g. 0.19999999999999996), i.e. the same number of errors in every class, repeat and component.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import pyomics_bridge.multiomics as mo
from pyomics_bridge._conventions import ValidationError
from pyomics_bridge.multiomics._cv import (
    auc_one_vs_rest,
    fold_labels,
    stratified_folds,
    ttest_choice,
)
from pyomics_bridge.multiomics._perf import perf

ATOL = 1e-12


def _tcga(mx, case_id="perf_splsda_tcga_mrna_loo"):
    case = mx.load_case(case_id)
    return case, case.input("X"), case.input("Y")


def _small(seed=0, n=36, p=40, K=3):
    rng = np.random.default_rng(seed)
    y = np.repeat(np.array(["a", "b", "c"][:K]), n // K)
    X = rng.normal(size=(n, p))
    for k in range(K):
        X[y == ["a", "b", "c"][k], k * 3: k * 3 + 3] += 1.5
    return pd.DataFrame(X, columns=[f"g{j}" for j in range(p)]), pd.Series(y)


# --------------------------------------------------------------------------- golden
def test_perf_splsda_loo_golden(mx):
    case, X, Y = _tcga(mx)
    out, par = case.outputs, case.params
    res = perf(mo.SPLSDA(par["model"]["ncomp"], keepX=par["model"]["keepX"]), X, Y, validation="loo", dist="all")
    assert res.nrepeat == 1 and res.validation == "loo"
    for m in ("overall", "BER"):
        ref = mx.matrix(out["error_rate"][m])
        assert list(res.error_rate[m].columns) == out["error_rate"][m]["colnames"]
        np.testing.assert_allclose(res.error_rate[m].to_numpy(), ref, rtol=0, atol=ATOL)
        case.record(f"error_rate.{m}", np.abs(res.error_rate[m].to_numpy() - ref).max())
    n = X.shape[0]
    # the same number of misclassified samples, exactly
    assert np.array_equal(np.rint(res.error_rate["overall"].to_numpy() * n),
                          np.rint(mx.matrix(out["error_rate"]["overall"]) * n))
    for d in mo.DISTANCES:
        ref = mx.matrix(out["error_rate_class"][d])
        assert list(res.error_rate_class[d].index) == out["error_rate_class"][d]["rownames"]
        np.testing.assert_allclose(res.error_rate_class[d].to_numpy(), ref, rtol=0, atol=ATOL)
        ref_cls = np.array(out["class"][d]["data"], dtype=object)
        assert out["class"][d]["rownames"] == list(X.index)
        assert np.array_equal(res.classes[d][0], ref_cls), d
    for h in range(par["model"]["ncomp"]):
        ref = mx.matrix(out["predict"][f"comp{h + 1}"])
        d = mx.rel_diff(res.predict[0, h], ref)
        case.record("predict (out-of-fold Ŷ)", d)
        assert d < 1e-8
        ref_stable = out["features_stable"][f"comp{h + 1}"]
        got = res.features_stable[h]
        assert list(got.index) == list(ref_stable), "same features, same order (frequency, then name)"
        np.testing.assert_allclose(got.to_numpy(), list(ref_stable.values()), rtol=0, atol=ATOL)
    ref_choice = out["choice_ncomp"]
    assert list(res.choice_ncomp.index) == ref_choice["rownames"]
    assert np.array_equal(res.choice_ncomp.to_numpy(), np.array(ref_choice["data"]))
    # LOO refits: every fold converged
    assert np.all(res.n_iter[0] >= 1)


def test_perf_loo_equals_explicit_loo_folds(mx):
    _, X, Y = _tcga(mx)
    Xs = X.iloc[:, :60]
    a = perf(mo.SPLSDA(2, keepX=[10, 5]), Xs, Y, validation="loo", dist="max.dist")
    b = perf(mo.SPLSDA(2, keepX=[10, 5]), Xs, Y, validation="Mfold", fold_assignments=[np.arange(len(Y))],
             dist="max.dist")
    for m in ("overall", "BER"):
        assert a.error_rate[m].equals(b.error_rate[m])


def test_perf_fold_refits_match_the_estimator(mx):
    """One fold by hand: fit SPLSDA on the training rows, predict the held-out rows."""
    _, X, Y = _tcga(mx)
    X = X.iloc[:, :80]
    labels = stratified_folds(pd.Categorical(Y).codes, 4, np.random.default_rng(3))
    res = perf(mo.SPLSDA(2, keepX=[15, 10]), X, Y, fold_assignments=[labels], dist="all")
    expected = {d: np.empty((len(Y), 2), dtype=object) for d in mo.DISTANCES}
    yhat = np.zeros((2, len(Y), 3))
    for f in range(4):
        test = labels == f
        est = mo.SPLSDA(2, keepX=[15, 10]).fit(X[~test], Y[~test])
        pa = est.predict_all(X[test])
        for d in mo.DISTANCES:
            expected[d][test] = pa.classes[d]
        yhat[:, test] = pa.predict
    for d in mo.DISTANCES:
        assert np.array_equal(res.classes[d][0], expected[d])
    np.testing.assert_allclose(res.predict[0], yhat, rtol=0, atol=1e-12)
    truth = np.asarray(Y, dtype=object)
    for h in range(2):
        for j, d in enumerate(mo.DISTANCES):
            assert res.error_rate_all["overall"][0, h, j] == pytest.approx(np.mean(expected[d][:, h] != truth))


# --------------------------------------------------------------------------- reproducibility
def test_perf_independent_of_n_jobs_and_seeded():
    X, y = _small()
    model = mo.SPLSDA(2, keepX=[8, 5])
    a = perf(model, X, y, folds=4, nrepeat=3, random_state=7, n_jobs=1, auc=True)
    b = perf(model, X, y, folds=4, nrepeat=3, random_state=7, n_jobs=2, auc=True)
    c = perf(model, X, y, folds=4, nrepeat=3, random_state=7, auc=True)
    for other in (b, c):
        for fa, fb in zip(a.folds, other.folds, strict=True):
            assert np.array_equal(fa, fb)
        for m in ("overall", "BER"):
            assert np.array_equal(a.error_rate_all[m], other.error_rate_all[m])
        assert np.array_equal(a.predict, other.predict)
        for h in range(2):
            assert a.features_stable[h].equals(other.features_stable[h])
            assert a.auc[h].equals(other.auc[h])
    d = perf(model, X, y, folds=4, nrepeat=3, random_state=8)
    assert any(not np.array_equal(fa, fd) for fa, fd in zip(a.folds, d.folds, strict=True))
    assert a.error_rate_sd["BER"].notna().all().all()
    assert a.choice_ncomp.shape == (2, 3)


def test_stratified_folds_are_balanced():
    codes = np.repeat([0, 1, 2], [45, 30, 75])
    lab = stratified_folds(codes, 5, np.random.default_rng(0))
    assert sorted(np.unique(lab)) == list(range(5))
    for k in range(3):
        per_fold = np.bincount(lab[codes == k], minlength=5)
        assert per_fold.max() - per_fold.min() <= 1
    # more folds than members of a class: some folds lack it, none is empty
    lab = stratified_folds(np.repeat([0, 1], [3, 9]), 5, np.random.default_rng(1))
    assert np.bincount(lab).min() >= 1


def test_fold_assignment_formats():
    lab = fold_labels([[0, 3], [1, 2, 4]], 5)
    assert lab.tolist() == [0, 1, 1, 0, 1]
    assert fold_labels(np.array([2, 7, 7, 2, 7]), 5).tolist() == [0, 1, 1, 0, 1]
    assert fold_labels(["x", "y", "y", "x", "y"], 5).tolist() == [0, 1, 1, 0, 1]
    X, y = _small()
    folds = stratified_folds(pd.Categorical(y).codes, 3, np.random.default_rng(0))
    as_idx = [np.flatnonzero(folds == f) for f in range(3)]
    a = perf(mo.SPLSDA(1, keepX=5), X, y, fold_assignments=[folds], dist="max.dist")
    b = perf(mo.SPLSDA(1, keepX=5), X, y, fold_assignments=[as_idx], dist="max.dist")
    assert a.error_rate["BER"].equals(b.error_rate["BER"])


def test_perf_plsda_and_zero_variance_fold_columns():
    X, y = _small()
    X = X.copy()
    X.iloc[:, 5] = 0.0
    X.iloc[:3, 6] = 1.0  # non-zero only in the first samples: constant in some training folds
    X.iloc[3:, 6] = 0.0
    res = perf(mo.PLSDA(2), X, y, validation="loo")
    assert res.error_rate["overall"].shape == (2, 3)
    assert np.all((res.error_rate["BER"].to_numpy() >= 0) & (res.error_rate["BER"].to_numpy() <= 1))
    assert "g5" not in res.features_stable[0].index
    assert np.isnan(res.error_rate_sd["BER"].to_numpy()).all()


def test_auc_matches_rank_statistic_without_flipping():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(0)
    scores = rng.normal(size=(30, 3))
    codes = np.repeat([0, 1, 2], 10)
    scores[codes == 1, 1] += 1
    scores[codes == 2, 2] -= 1.5  # class 2 scores *lower* than the rest: AUC < 0.5 must be kept (no flip)
    res = auc_one_vs_rest(scores, codes, 3)
    for k in range(3):
        assert res[k, 0] == pytest.approx(roc_auc_score(codes == k, scores[:, k]), abs=1e-15)
        assert 0 <= res[k, 1] <= 1
    assert res[2, 0] < 0.3
    assert auc_one_vs_rest(scores[:20, :2], codes[:20], 2).shape == (1, 2)
    # rounding as mixOmics (4 significant digits)
    r4 = auc_one_vs_rest(scores, codes, 3, digits=4)
    assert r4[2, 0] == float(f"{res[2, 0]:.4g}")


def test_ttest_choice_rule():
    err = np.array([[0.30, 0.10, 0.09], [0.31, 0.11, 0.10], [0.29, 0.12, 0.095]])
    assert ttest_choice(err) == 2  # comp 3 is not significantly better than comp 2
    const = np.array([[0.3, 0.1], [0.3, 0.1], [0.3, 0.1]])
    assert ttest_choice(const) == 2  # constant: 0.1 / (0.3 + 0.01) < 0.95
    assert ttest_choice(np.full((3, 2), 0.2)) == 1
    assert ttest_choice(np.array([[0.1, 0.3], [0.12, 0.31], [0.11, 0.29]])) == 1


# --------------------------------------------------------------------------- errors
def test_perf_bad_inputs():
    X, y = _small()
    model = mo.SPLSDA(2, keepX=5)
    with pytest.raises(ValidationError, match="dist"):
        perf(model, X, y, dist="manhattan")
    with pytest.raises(ValidationError, match="folds"):
        perf(model, X, y, folds=len(y) + 1)
    with pytest.raises(ValidationError, match="folds"):
        perf(model, X, y, folds=1)
    with pytest.raises(ValidationError, match="validation"):
        perf(model, X, y, validation="bootstrap")
    with pytest.raises(ValidationError, match="one fold label per sample"):
        perf(model, X, y, fold_assignments=[np.zeros(len(y) - 1, dtype=int)])
    with pytest.raises(ValidationError, match="repeat"):
        perf(model, X, y, nrepeat=2, fold_assignments=[np.arange(len(y)) % 3])
    with pytest.raises(ValidationError, match="0-based"):
        perf(model, X, y, fold_assignments=[[np.arange(1, 19), np.arange(19, len(y) + 1)]])
    with pytest.raises(ValidationError, match="cover"):
        perf(model, X, y, fold_assignments=[[np.arange(0, 10), np.arange(10, 20)]])
    with pytest.raises(ValidationError, match="single fold"):
        perf(model, X, y, fold_assignments=[np.zeros(len(y), dtype=int)])
    with pytest.raises(ValidationError, match="nrepeat"):
        perf(model, X, y, nrepeat=0)
    with pytest.raises(ValidationError, match="aligned"):
        perf(model, X, y[:-1])
    with pytest.raises(TypeError, match="perf"):
        perf(mo.PLS(2), X, X.iloc[:, :3])


# --------------------------------------------------------------------------- DIABLO
def _diablo_case(mx, case_id):
    block = pytest.importorskip("pyomics_bridge.multiomics._block", reason="DIABLO (BlockSPLSDA) not available yet")
    case = mx.load_case(case_id)
    X = {b: case.input(f"X${b}") for b in ("mirna", "mrna", "protein")}
    d = case.params["model"]["design"] if "model" in case.params else case.params["design"]
    design = pd.DataFrame(mx.matrix(d), index=d["rownames"], columns=d["colnames"])
    return block, case, X, case.input("Y"), design


def test_perf_block_splsda_golden_with_recorded_folds(mx):
    block, case, X, Y, design = _diablo_case(mx, "perf_block_splsda_tcga_mfold")
    out, par = case.outputs, case.params
    model = block.BlockSPLSDA(par["model"]["ncomp"], keepX=par["model"]["keepX"], design=design,
                              tol=par["model"]["tol"])
    folds = [[np.asarray(f) - 1 for f in out["folds"]["by_repeat"][r]] for r in out["folds"]["by_repeat"]]
    res = perf(model, X, Y, fold_assignments=folds, nrepeat=par["nrepeat"], dist=par["dist"])
    worst = 0.0
    for b in X:
        for got, ref in ((res.error_rate[b], out["error_rate"][b]), (res.error_rate_sd[b], out["error_rate_sd"][b])):
            assert list(got.columns) == ref["colnames"]
            worst = max(worst, np.abs(got.to_numpy() - mx.matrix(ref)).max())
        for r, rep in enumerate(out["error_rate_all"]):
            worst = max(worst, np.abs(res.error_rate_all[b][r] - mx.matrix(out["error_rate_all"][rep][b])).max())
        for d in mo.DISTANCES:
            worst = max(worst, np.abs(res.error_rate_per_class[b][d].to_numpy()
                                      - mx.matrix(out["error_rate_per_class"][b][d])).max())
            for r, rep in enumerate(out["error_rate_per_class_all"]):
                worst = max(worst, np.abs(res.error_rate_per_class_all[b][d][r]
                                          - mx.matrix(out["error_rate_per_class_all"][rep][b][d])).max())
            # out-of-fold classes, aligned by sample name (R lists them in fold-concatenation order)
            for r, rep in enumerate(out["class"]):
                ref = out["class"][rep][b][d]
                pos = pd.Index(list(X[b].index)).get_indexer(ref["rownames"])
                assert np.array_equal(res.classes[r][b][d][pos], np.array(ref["data"], dtype=object)), (b, d, rep)
    for attr in ("majority_vote", "weighted_vote"):
        for d in mo.DISTANCES:
            got = getattr(res, attr)
            ref = out[attr]
            assert list(got["error_rate"][d].index) == ref["error_rate"][d]["rownames"]
            worst = max(worst, np.abs(got["error_rate"][d].to_numpy() - mx.matrix(ref["error_rate"][d])).max())
            worst = max(worst, np.abs(got["error_rate_sd"][d].to_numpy() - mx.matrix(ref["error_rate_sd"][d])).max())
            for r, rep in enumerate(ref["error_rate_all"]):
                worst = max(worst, np.abs(got["error_rate_all"][d][r] - mx.matrix(ref["error_rate_all"][rep][d])).max())
    for attr in ("averaged_predict", "weighted_predict"):
        got, ref = getattr(res, attr), out[attr]
        worst = max(worst, np.abs(got["error_rate"].to_numpy() - mx.matrix(ref["error_rate"])).max())
        worst = max(worst, np.abs(got["error_rate_sd"].to_numpy() - mx.matrix(ref["error_rate_sd"])).max())
    case.record("error rates (all tables)", worst)
    assert worst < ATOL
    for scheme, ref in out["choice_ncomp"].items():
        assert np.array_equal(res.choice_ncomp[scheme].to_numpy(), np.array(ref["data"])), scheme
    # fold weights cor(t_block, t_Y): same fits (default tol, so ~1e-4 at worst), keyed by (repeat, fold, block)
    w = out["weights"]
    ref_w = pd.DataFrame({"repeat": w["rep"], "fold": w["fold"], "block": w["block"], "comp1": w["comp1"],
                          "comp2": w["comp2"]}).set_index(["repeat", "fold", "block"]).sort_index()
    got_w = res.weights.set_index(["repeat", "fold", "block"]).sort_index()
    dw = float(np.abs(got_w.to_numpy() - ref_w.to_numpy()).max())
    case.record("fold weights", dw)
    assert dw < 1e-3
