"""Stacked combination of the TFscope families: no test-label leakage, linearity of the stacked model, weights
that follow the information of each family, the no-signal path and the single-lasso alternative."""

from __future__ import annotations

import numpy as np
import pytest

from pyomics_bridge import regulatory as R
from pyomics_bridge.regulatory._stacking import stacked_scores

FAST = {"width": None, "env_bins": (100,), "env_k": (1, 2), "cofactor_windows": (150,), "Cs": np.logspace(-2, 0, 3), "cv": 3,
        "stability": 0, "env_search": True, "env_search_features": 5}


def _data(seed=3):
    sim = R.simulate_tf_binding(n_per_class=120, length=300, scenario="strong", n_decoys=2, random_state=seed)
    return sim, (sim["motifs"]["target"], sim["motifs"]["cofactors"] + sim["motifs"]["decoys"])


@pytest.fixture(scope="module")
def fitted():
    sim, (target, cofs) = _data()
    return sim, R.tfscope(sim["codes"], sim["y"], target, cofs, random_state=0, **FAST)


def test_test_labels_do_not_change_the_stacked_model():
    sim, (target, cofs) = _data(seed=5)
    n = sim["y"].size
    chrom = np.where(np.arange(n) % 5 == 0, "chr1", "chr2")  # a label-free split: chr1 is held out
    kw = {**FAST, "chromosomes": chrom, "test_chromosomes": ["chr1"], "random_state": 0}
    out = R.tfscope(sim["codes"], sim["y"], target, cofs, **kw)
    y2 = sim["y"].copy()
    y2[chrom == "chr1"] ^= 1  # flip every held-out label
    out2 = R.tfscope(sim["codes"], y2, target, cofs, **kw)
    assert np.array_equal(out2.obs["split"].to_numpy(), out.obs["split"].to_numpy())
    np.testing.assert_allclose(out2.obs["score_full"], out.obs["score_full"], rtol=1e-10, atol=1e-10)
    auc, auc2 = out.uns["tfscope"]["auc"]["test_auc"], out2.uns["tfscope"]["auc"]["test_auc"]
    assert auc["full"] > 0.7 and auc2["full"] == pytest.approx(1 - auc["full"])


def test_stacked_score_is_affine_in_family_scores_and_beats_families(fitted):
    _, out = fitted
    obs = out.obs
    fams = out.uns["tfscope"]["families"]
    A = np.column_stack([obs[f"score_{f}"] for f in fams] + [np.ones(len(obs))])
    coef, *_ = np.linalg.lstsq(A, obs["score_full"].to_numpy(), rcond=None)
    np.testing.assert_allclose(A @ coef, obs["score_full"], atol=1e-8)
    w = out.uns["tfscope"]["stacking"]["full"]["weights"]
    assert set(w) == set(fams) and all(v > 0 for v in w.values())  # every family carries planted signal
    auc = out.uns["tfscope"]["auc"]["test_auc"]
    assert auc["full"] > max(auc[f] for f in fams)
    assert set(out.uns["tfscope"]["drop_family"].index) == set(fams)
    # coef_full is the family coefficient times the family weight / score SD: same sign, same within-family order
    v = out.var
    core = v[v.family == "core"]
    assert np.all(np.sign(core["coef_full"]) == np.sign(core["coef_core"]))


def test_stacking_weights_follow_information():
    rng = np.random.default_rng(1)
    n = 400
    y = np.repeat([0, 1], n // 2)
    informative = rng.normal(size=(n, 5)) + 1.0 * y[:, None] * np.array([1, 0, 0, 0, 0])
    noise = rng.normal(size=(n, 5))
    train = np.arange(0, n, 2)
    from pyomics_bridge.regulatory._model import fit_lasso_logistic

    blocks, fam_scores = {}, {}
    for name, F in (("signal", informative), ("noise", noise)):
        res = fit_lasso_logistic(F[train], y[train], Cs=[0.01, 0.1, 1.0], cv=3, guard=False, random_state=0,
                                 n_jobs=1)
        blocks[name] = lambda fit_rows, rows, F=F: F[rows]
        fam_scores[name] = (res.decision_function(F), False)
    out = stacked_scores(blocks, y, train, fam_scores, subsets={"full": ["signal", "noise"], "noise": ["noise"]},
                         cv=3, Cs=[0.01, 0.1, 1.0], guard=False, random_state=0, n_jobs=1)
    w = out["full"][1]["weights"]
    assert w["signal"] > 1.0 and abs(w["noise"]) < 0.3 * w["signal"]
    assert out["full"][1]["oof_auc"]["signal"] > 0.65
    # with the out-of-fold guard the pure-noise family does not enter the stack
    w = stacked_scores(blocks, y, train, fam_scores, cv=3, Cs=[0.01, 0.1, 1.0], guard=True, random_state=0,
                       n_jobs=1)["full"][1]["weights"]
    assert list(w) == ["signal"]
    # no-signal families are left out; none left -> constant score
    fam_scores = {k: (v[0], True) for k, v in fam_scores.items()}
    s, info = stacked_scores(blocks, y, train, fam_scores, cv=3, random_state=0, n_jobs=1)["full"]
    assert np.ptp(s) == 0 and info["weights"] == {}


def test_lasso_combination_and_bad_combine():
    sim, (target, cofs) = _data(seed=4)
    kw = {**FAST, "env_search": False, "families": ("core", "cofactor")}
    out = R.tfscope(sim["codes"], sim["y"], target, cofs, random_state=0, combine="lasso", **kw)
    assert out.uns["tfscope"]["combine"] == "lasso" and out.uns["tfscope"]["stacking"] is None
    assert out.uns["tfscope"]["auc"].loc["full", "test_auc"] > 0.7
    with pytest.raises(ValueError, match="combine"):
        R.tfscope(sim["codes"], sim["y"], target, cofs, combine="vote", **kw)


def test_tfscope_estimator_two_sequence_sets(tmp_path):
    sim, (target, cofs) = _data(seed=6)
    seqs = R.decode(sim["codes"])
    s1 = [s for s, lab in zip(seqs, sim["y"], strict=True) if lab == 1]
    s2 = [s for s, lab in zip(seqs, sim["y"], strict=True) if lab == 0]
    fa = tmp_path / "exp2.fa"
    R.write_fasta(fa, [f"b{i}" for i in range(len(s2))], s2)
    cof = {m.label: m.probabilities.T for m in cofs}  # 4 x W matrices, rows A, C, G, T
    kw = {k: v for k, v in FAST.items() if k in ("width", "cofactor_windows", "cv", "stability")}
    est = R.TFscope(random_state=0, n_jobs=1, options={k: FAST[k] for k in ("env_bins", "env_k", "Cs")},
                    env_search=False, **kw).fit(s1, fa, target.probabilities.T, cof)
    ref = R.tfscope(sim["codes"], sim["y"], target, cofs, random_state=0, **{**FAST, "env_search": False})
    assert est.auc_ == pytest.approx(ref.uns["tfscope"]["auc"].loc["full", "test_auc"], abs=0.08)
    assert est.auc_ > 0.7 and set(est.auc_by_family_) == {"core", "environment", "cofactor"}
    f = est.features_
    assert list(f.columns[:5]) == ["feature", "family", "coef", "contribution_1", "contribution_2"]
    assert np.all(np.diff(np.abs(f["coef"].to_numpy())) <= 0)
    core = f[f.family == "core"].iloc[:2]
    assert set(core["feature"]) == {"core[+13]G", "core[+13]A"}
    with pytest.raises(ValueError, match="seqs_2 is empty"):
        R.TFscope().fit(s1, [], target.probabilities.T)
    with pytest.raises(ValueError, match="same length"):
        R.TFscope().fit(s1, [s[:-1] for s in s2], target.probabilities.T)


def test_predict_rule_and_out_of_fold_scores():
    from sklearn.metrics import roc_auc_score

    from pyomics_bridge.regulatory._model import fit_lasso_logistic

    rng = np.random.default_rng(2)
    n = 400
    y = np.repeat([0, 1], n // 2)
    F = rng.normal(size=(n, 40))
    F[:, :3] += 0.6 * y[:, None]
    Cs = np.logspace(-3, 0, 8)
    a = fit_lasso_logistic(F, y, Cs=Cs, cv=5, select="1se", predict="best", random_state=0, n_jobs=1)
    b = fit_lasso_logistic(F, y, Cs=Cs, cv=5, select="best", random_state=0, n_jobs=1)
    # interpretation at the 1-SE C, prediction at the CV-best C: the same model as select="best"
    assert a.predict_C == b.C and a.C <= a.predict_C
    pc = a.coef if a.predict_coef is None else a.predict_coef  # None: both rules chose the same C
    assert np.count_nonzero(a.coef) <= np.count_nonzero(pc)
    np.testing.assert_allclose(a.decision_function(F), b.decision_function(F))
    assert set(np.nonzero(a.coef)[0][:3]) <= {0, 1, 2}
    # out-of-fold scores are honest (close to the CV AUC, well below the in-sample AUC of a dense model)
    oof_auc = roc_auc_score(y, a.oof)
    assert 0.7 < oof_auc < roc_auc_score(y, a.decision_function(F)) + 0.02
    assert abs(oof_auc - b.cv_auc_mean) < 0.05
    # pure noise: the guard fires, both models are zero and so are the out-of-fold scores
    z = fit_lasso_logistic(rng.normal(size=(n, 40)), y, Cs=Cs, predict="best", random_state=0, n_jobs=1)
    assert z.no_signal and not z.coef.any() and not z.oof.any()
    assert z.predict_coef is None or not z.predict_coef.any()
    np.testing.assert_allclose(z.decision_function(F), z.intercept)
    with pytest.raises(ValueError, match="predict"):
        fit_lasso_logistic(F, y, predict="max")


@pytest.mark.parametrize("seed", [1, 2])
def test_null_families_failing_the_out_of_fold_check_report_no_signal(seed):
    # the searched environment family's own CV sees a search fitted on all its rows; the out-of-fold check
    # (search refitted per fold) decides, and a family it rejects must not list noise features
    sim = R.simulate_tf_binding(n_per_class=200, length=400, scenario="null", n_decoys=4, random_state=seed)
    m = sim["motifs"]
    out = R.tfscope(sim["codes"], sim["y"], m["target"], m["cofactors"] + m["decoys"], random_state=seed, **FAST)
    u = out.uns["tfscope"]
    auc, st = u["auc"], u["stacking"]["full"]
    for f in u["families"]:
        assert np.isfinite(auc.loc[f, "oof_auc"]) or auc.loc[f, "no_signal"]
        if f not in st["weights"]:
            assert auc.loc[f, "no_signal"] and auc.loc[f, "n_selected"] == 0 and auc.loc[f, "test_auc"] == 0.5, f
            assert (out.var.loc[out.var["family"] == f, f"coef_{f}"] == 0).all()
    assert auc.loc[list(u["families"]), "n_selected"].sum() <= 5
    assert abs(auc.loc["full", "test_auc"] - 0.5) < 0.08
    # these seeds exercise the override: the search-inflated in-sample CV AUC (~0.63-0.65) passed the family's own
    # guard, the out-of-fold AUC (~0.47-0.52) did not
    env = auc.loc["environment"]
    assert env["cv_auc"] > 0.6 and env["oof_auc"] < 0.55 and env["no_signal"]


def test_families_passing_the_out_of_fold_check_keep_their_model(fitted):
    _, out = fitted
    u = out.uns["tfscope"]
    auc = u["auc"]
    for f in u["stacking"]["full"]["weights"]:
        assert not auc.loc[f, "no_signal"] and auc.loc[f, "n_selected"] > 0
        assert auc.loc[f, "oof_auc"] > 0.55


def test_no_signal_reports_no_stable_feature():
    from pyomics_bridge.regulatory._model import fit_lasso_logistic

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(300, 400)), np.repeat([1, 0], 150)  # pure noise
    guarded = fit_lasso_logistic(X, y, Cs=np.logspace(-2, 1, 5), cv=3, stability=10, random_state=0, n_jobs=1)
    assert guarded.no_signal and guarded.stability.shape == (400,) and not guarded.stability.any()
    # without the guard the refits at a weak C select noise features, some in most refits: what was reported before
    raw = fit_lasso_logistic(X, y, Cs=[10.0], cv=3, guard=False, stability=10, random_state=0, n_jobs=1)
    assert not raw.no_signal and raw.stability.max() >= 0.5
