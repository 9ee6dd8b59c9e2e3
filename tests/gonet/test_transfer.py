"""Transfer-learning simulation and learning curves, top-term stability, early stopping (torch parts skip
without torch)."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from pyomics_bridge.gonet import load_bundled_layers, simulate_go_transfer, top_term_stability


@pytest.fixture(scope="module")
def bundled():
    return load_bundled_layers()


def test_simulate_go_transfer_shares_biology_and_planted_terms(bundled):
    (rel, unrel), tgt = simulate_go_transfer(bundled, n_source=300, n_target=200, n_terms=25, n_shared=(2, 0),
                                             random_state=4)
    assert rel.layers is tgt.layers and unrel.layers is tgt.layers
    assert len(set(rel.planted) & set(tgt.planted)) == 2 and not set(unrel.planted) & set(tgt.planted)
    assert rel.X.shape == (300, len(tgt.layers.genes)) and tgt.X.shape == (200, len(tgt.layers.genes))
    # the same gene loadings: a gene's expression regressed on the term activities gives the same coefficients
    g = int(np.argmax(tgt.layers.mask(0).sum(axis=1)))
    coef = [np.linalg.lstsq(s.activity, s.X[:, g], rcond=None)[0] for s in (rel, tgt)]
    on = np.asarray(tgt.layers.mask(0)[g].todense()).ravel() > 0
    assert np.corrcoef(coef[0][on], coef[1][on])[0, 1] > 0.95
    assert np.abs(coef[0][~on]).max() < 0.15
    # the labels follow the planted activities (linear task, label noise sd 0.5)
    z = tgt.activity[:, [tgt.layers.terms[0].index(t) for t in tgt.planted]]
    assert np.mean((z @ tgt.weights > 0) == tgt.y) > 0.8
    one, tgt2 = simulate_go_transfer(bundled, n_source=30, n_target=20, n_terms=25, n_shared=3, random_state=4)
    assert sorted(one.planted) == sorted(tgt2.planted)
    with pytest.raises(ValueError, match="n_shared must be in"):
        simulate_go_transfer(bundled, n_shared=4)


def test_top_term_stability_matches_hand_computation():
    s = np.array([[5.0, 4.0, 3.0, 2.0, 1.0, 0.0],
                  [4.0, 5.0, 0.0, 3.0, 2.0, 1.0],
                  [-0.5, 1.0, 2.0, 3.0, 4.0, 5.0]])
    res = top_term_stability(pd.DataFrame(s, columns=list("abcdef")), k=2)
    tops = [{0, 1}, {0, 1}, {5, 4}]
    jac = [len(tops[i] & tops[j]) / len(tops[i] | tops[j]) for i, j in combinations(range(3), 2)]
    assert res["jaccard"] == pytest.approx(np.mean(jac)) and res["jaccard_min"] == 0.0
    rho = [spearmanr(np.abs(s[i]), np.abs(s[j]))[0] for i, j in combinations(range(3), 2)]
    assert res["spearman"] == pytest.approx(np.mean(rho))
    assert res["frequency"]["a"] == pytest.approx(2 / 3) and res["frequency"]["f"] == pytest.approx(1 / 3)
    same = top_term_stability([pd.Series([1.0, 2.0, 3.0], index=list("xyz"))] * 3, k=1)
    assert same["jaccard"] == 1.0 and same["spearman"] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="at least 2 runs"):
        top_term_stability(s[:1], k=2)
    with pytest.raises(ValueError, match="k must be in"):
        top_term_stability(s, k=7)


def test_early_stopping_patience_min_delta_and_restore(bundled):
    pytest.importorskip("torch")
    from pyomics_bridge.gonet import GONetClassifier, simulate_go_phenotype

    sim = simulate_go_phenotype(bundled, n_samples=120, n_terms=6, random_state=1)
    kw = {"n_threads": 1, "random_state": 3, "batch_size": 64}
    # min_delta so large that only the first epoch counts as an improvement: stop after 1 + patience epochs,
    # restoring the first epoch's weights = a fit of exactly one epoch with the same seed
    m = GONetClassifier(sim.layers, max_epochs=20, patience=2, min_delta=1e9, **kw).fit(sim.X, sim.y)
    assert m.n_epochs_ == 3 and m.best_epoch_ == 1
    one = GONetClassifier(sim.layers, max_epochs=1, patience=2, **kw).fit(sim.X, sim.y)
    np.testing.assert_array_equal(m.predict_proba(sim.X), one.predict_proba(sim.X))
    last = GONetClassifier(sim.layers, max_epochs=20, patience=2, min_delta=1e9, restore_best=False, **kw)
    last.fit(sim.X, sim.y)
    assert last.best_epoch_ == 3 and not np.allclose(last.predict_proba(sim.X), one.predict_proba(sim.X))
    full = GONetClassifier(sim.layers, max_epochs=4, validation_fraction=0, **kw).fit(sim.X, sim.y)
    assert full.n_epochs_ == 4 and "val_loss" not in full.history_[0]
    full.fine_tune(sim.X[:20], sim.y[:20], max_epochs=3, validation_fraction=0)
    assert full.n_epochs_ == 3
    with pytest.raises(ValueError, match="patience must be"):
        GONetClassifier(sim.layers, patience=0).fit(sim.X, sim.y)
    with pytest.raises(ValueError, match="monitor must be"):
        GONetClassifier(sim.layers, monitor="auc").fit(sim.X, sim.y)
    # monitor="accuracy": the history's best validation accuracy is the restored epoch's
    acc = GONetClassifier(sim.layers, max_epochs=8, patience=3, monitor="accuracy", **kw).fit(sim.X, sim.y)
    vacc = [h["val_accuracy"] for h in acc.history_]
    assert acc.best_epoch_ == int(np.argmax(vacc)) + 1
    assert len(vacc) == min(8, acc.best_epoch_ + 3)


def test_learning_curve_transfer_beats_scratch_on_related_source(bundled):
    pytest.importorskip("torch")
    from pyomics_bridge.gonet import GONetClassifier, learning_curve

    src, tgt = simulate_go_transfer(bundled, n_source=800, n_target=600, n_terms=12, n_shared=3, random_state=2)
    pre = GONetClassifier(src.layers, lr=3e-3, max_epochs=15, n_threads=1, random_state=0).fit(src.X, src.y)
    lc = learning_curve(tgt.layers, tgt.X[:200], tgt.y[:200], tgt.X[200:], tgt.y[200:], pretrained=pre,
                        models=("scratch", "logistic"), sizes=(20, 60), n_subsamples=3, n_steps=40,
                        planted=tgt.planted, n_explain=100, n_jobs=1, random_state=0)
    assert len(lc.scores) == 2 * 3 * 3 and set(lc.scores["model"]) == {"transfer", "scratch", "logistic"}
    acc = lc.summary.set_index(["size", "model"])["accuracy"]
    # the related source (same planted terms, new weights) carries the target signal: a large gain at n = 20
    assert acc[(20, "transfer")] > acc[(20, "scratch")] + 0.1, acc
    assert acc[(60, "transfer")] > 0.75, acc
    c = lc.contrasts.set_index(["size", "model"])
    assert c.loc[(20, "transfer"), "delta_low"] > 0 and c.loc[(20, "transfer"), "wins"] == 3
    s = lc.summary.set_index(["size", "model"])
    assert (s["acc_low"] <= s["accuracy"]).all() and (s["accuracy"] <= s["acc_high"]).all()
    assert s.loc[(60, "transfer"), "planted_ap"] > 0.5
    assert set(lc.stability.columns) >= {"jaccard", "spearman"} and lc.term_scores[(20, "transfer")].shape == (3, 12)


def test_learning_curve_subsamples_and_n_jobs(bundled):
    from pyomics_bridge.gonet import learning_curve
    from pyomics_bridge.gonet._transfer import _subsample

    _, tgt = simulate_go_transfer(bundled, n_source=10, n_target=300, n_terms=12, random_state=5)
    y = np.r_[np.zeros(90, int), np.ones(10, int)]
    idx = _subsample(y, 20, np.random.default_rng(0))
    assert len(idx) == len(set(idx)) == 20 and np.bincount(y[idx]).tolist() == [18, 2]
    kw = {"models": ("logistic", "term_logistic"), "sizes": (20, 40), "n_subsamples": 3, "random_state": 1,
          "planted": tgt.planted}
    a = learning_curve(tgt.layers, tgt.X[:100], tgt.y[:100], tgt.X[100:], tgt.y[100:], n_jobs=1, **kw)
    b = learning_curve(tgt.layers, tgt.X[:100], tgt.y[:100], tgt.X[100:], tgt.y[100:], n_jobs=2, **kw)
    pd.testing.assert_frame_equal(a.scores.drop(columns="fit_s"), b.scores.drop(columns="fit_s"))
    assert a.contrasts["reference"].eq("logistic").all()
    with pytest.raises(ValueError, match="at most len"):
        learning_curve(tgt.layers, tgt.X[:50], tgt.y[:50], tgt.X[100:], tgt.y[100:], models=("logistic",),
                       sizes=(60,))
    with pytest.raises(ValueError, match="unknown models"):
        learning_curve(tgt.layers, tgt.X[:100], tgt.y[:100], tgt.X[100:], tgt.y[100:], models=("svm",),
                       sizes=(20,))
    with pytest.raises(ValueError, match="freeze_go must be"):
        learning_curve(tgt.layers, tgt.X[:100], tgt.y[:100], tgt.X[100:], tgt.y[100:], models=("logistic",),
                       sizes=(20,), freeze_go="half")
    with pytest.raises(ValueError, match="too small"):
        learning_curve(tgt.layers, tgt.X[:100], tgt.y[:100], tgt.X[100:], tgt.y[100:], models=("logistic",),
                       sizes=(3,))


def test_tl_gonet_reports_seed_stability():
    pytest.importorskip("torch")
    from pyomics_bridge.datasets._gonet import synthetic_go_phenotype
    from pyomics_bridge.tl._gonet import gonet

    a = synthetic_go_phenotype(n_samples=120, n_terms=10, random_state=2)
    gonet(a, groupby="phenotype", max_epochs=3, n_threads=1, n_seeds=3, top_k=3)
    st = a.uns["gonet"]["stability"]
    assert st["n_runs"] == 3 and st["k"] == 3 and 0 <= st["jaccard"] <= 1 and len(st["accuracy_test"]) == 3
    freq = a.uns["gonet"]["terms"]["top_k_frequency"].dropna()
    assert freq.sum() == pytest.approx(3.0)  # 3 terms per seed, 3 seeds, as shares of 3 runs
    with pytest.raises(ValueError, match="n_seeds and top_k"):
        gonet(a, groupby="phenotype", n_seeds=0)
