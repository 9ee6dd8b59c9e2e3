"""Per-sample explanation precision: subgroup-driven simulation, attributions, per-sample planted-term AP."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pyomics_bridge._conventions import ValidationError
from pyomics_bridge.gonet import (
    aggregate_to_terms,
    linear_gene_attribution,
    load_bundled_layers,
    per_sample_term_precision,
    simulate_go_phenotype,
)


@pytest.fixture(scope="module")
def bundled():
    return load_bundled_layers()


def test_per_sample_precision_matches_sklearn_average_precision():
    from sklearn.metrics import average_precision_score

    rng = np.random.default_rng(0)
    terms = [f"T{i}" for i in range(15)]
    S = np.round(rng.normal(size=(30, 15)), 1)  # rounding creates ties
    truth = [list(rng.choice(terms, size=rng.integers(1, 4), replace=False)) for _ in range(30)]
    out = per_sample_term_precision(pd.DataFrame(S, columns=terms), truth)
    for i in range(30):
        y = np.isin(terms, truth[i])
        assert out["average_precision"].iloc[i] == pytest.approx(average_precision_score(y, np.abs(S[i])))
        assert out["best_rank"].iloc[i] == (np.abs(S[i]) >= np.abs(S[i])[y].max()).sum()
    sub = per_sample_term_precision(S, [t[0] for t in truth], terms=terms, candidates=terms[:8] + [t[0] for t in truth])
    assert sub["n_true"].eq(1).all()
    with pytest.raises(ValidationError, match="terms"):
        per_sample_term_precision(S, truth)
    with pytest.raises(ValidationError, match="truth has length"):
        per_sample_term_precision(S, truth[:3], terms=terms)


def test_subgroup_simulation_each_sample_driven_by_its_own_term(bundled):
    shared = simulate_go_phenotype(bundled, n_samples=50, n_terms=15, random_state=2)
    same = simulate_go_phenotype(bundled, n_samples=50, n_terms=15, random_state=2, drivers="shared")
    np.testing.assert_array_equal(shared.X, same.X)
    assert shared.driver is None and shared.sample_truth[0] == shared.planted
    sim = simulate_go_phenotype(bundled, n_samples=1500, n_terms=20, n_planted=3, drivers="subgroup",
                                label_noise_sd=0.2, random_state=4)
    cols = [sim.layers.terms[0].index(t) for t in sim.planted]
    assert sorted(set(sim.driver.tolist())) == [0, 1, 2]
    assert [t[0] for t in sim.sample_truth[:5]] == [sim.planted[d] for d in sim.driver[:5]]
    for k in range(3):
        grp = sim.driver == k
        z = sim.activity[grp][:, cols]
        assert z[:, k].std() > 2.5 and np.delete(z, k, axis=1).std() < 1.2  # the driver is switched on
        r = [np.corrcoef(z[:, j], sim.y[grp])[0, 1] for j in range(3)]
        assert np.sign(r[k]) == np.sign(sim.weights[k]) and abs(r[k]) > 0.6  # ... and drives the label
        assert max(abs(r[j]) for j in range(3) if j != k) < 0.15  # the other planted terms do not
    with pytest.raises(ValidationError, match="drivers"):
        simulate_go_phenotype(bundled, n_terms=15, drivers="each")
    with pytest.raises(ValidationError, match="task='linear'"):
        simulate_go_phenotype(bundled, n_terms=15, drivers="subgroup", task="xor")


def test_linear_attribution_and_term_aggregation(bundled):
    from sklearn.linear_model import LogisticRegression

    sim = simulate_go_phenotype(bundled, n_samples=120, n_terms=10, random_state=1)
    est = LogisticRegression(C=0.1, max_iter=500).fit(sim.X, sim.y)
    A = linear_gene_attribution(est, sim.X[:5], target=[1, 0, 1, 0, 1])
    np.testing.assert_allclose(A[0], sim.X[0] * est.coef_[0], rtol=1e-6)
    np.testing.assert_allclose(A[1], -sim.X[1] * est.coef_[0], rtol=1e-6)
    T = aggregate_to_terms(A, sim.layers)
    m0 = sim.layers.mask(0).toarray().astype(bool)  # genes × terms
    j = 3
    assert T[2, j] == pytest.approx(np.abs(A[2, m0[:, j]]).mean())
    assert aggregate_to_terms(A, sim.layers, how="mean")[2, j] == pytest.approx(A[2, m0[:, j]].mean())
    with pytest.raises(ValidationError, match="gene_scores must have shape"):
        aggregate_to_terms(A[:, :5], sim.layers)


def test_integrated_gradients_completeness(bundled):
    torch = pytest.importorskip("torch")
    from pyomics_bridge.gonet import GONetClassifier, gene_attribution

    sim = simulate_go_phenotype(bundled, n_samples=120, n_terms=8, random_state=0)
    m = GONetClassifier(sim.layers, mode="dense", max_epochs=3, n_threads=1, random_state=0).fit(sim.X, sim.y)
    A = gene_attribution(m, sim.X[:6], method="integrated_gradients", target=1, n_steps=64)
    with torch.no_grad():
        f = m.module_(torch.as_tensor(sim.X[:6]))[:, 1] - m.module_(torch.zeros(1, sim.X.shape[1]))[:, 1]
    np.testing.assert_allclose(A.sum(1), f.numpy(), rtol=0.02, atol=2e-3)  # IG completeness axiom
    G = gene_attribution(m, sim.X[:6], method="gradxinput", target=1)
    assert not np.allclose(G, A)


def test_go_net_lrp_ranks_each_samples_own_planted_term_top3(bundled):
    pytest.importorskip("torch")
    from pyomics_bridge.gonet import GONetClassifier

    sim = simulate_go_phenotype(bundled, n_samples=500, n_terms=12, n_planted=2, drivers="subgroup", driver_scale=4.0,
                                label_noise_sd=0.1, noise_sd=0.3, random_state=7)
    tr, te = np.arange(400), np.arange(400, 500)
    m = GONetClassifier(sim.layers, mode="hard", lr=3e-3, max_epochs=40, n_threads=1, random_state=0)
    m.fit(sim.X[tr], sim.y[tr])
    assert m.score(sim.X[te], sim.y[te]) > 0.8
    rel = m.relevance(sim.X[te], method="lrp", target=sim.y[te])[0]
    res = per_sample_term_precision(rel, [sim.sample_truth[i] for i in te], terms=sim.layers.terms[0])
    assert (res["best_rank"] <= 3).mean() >= 0.9
    # and the explanation is per sample: among the two planted terms, each sample's own one comes first
    own = per_sample_term_precision(rel, [sim.sample_truth[i] for i in te], terms=sim.layers.terms[0],
                                    candidates=sim.planted)
    assert (own["best_rank"] == 1).mean() >= 0.65  # chance: 0.5 (100 samples: sd 0.05)


def _stop_epoch(values, patience, min_delta=1e-4):
    best, bad = np.inf, 0
    for e, v in enumerate(values):
        if v < best - min_delta:
            best, bad = v, 0
        else:
            bad += 1
        if bad >= patience:
            return e + 1
    return len(values)


def test_tl_gonet_monitor_is_the_early_stopping_criterion():
    pytest.importorskip("torch")
    from pyomics_bridge.datasets._gonet import synthetic_go_phenotype
    from pyomics_bridge.tl._gonet import gonet

    a = synthetic_go_phenotype(n_samples=160, n_terms=10, random_state=2)
    with pytest.raises(ValidationError, match="monitor must be"):
        gonet(a, groupby="phenotype", monitor="auc")
    for monitor, col, sign in (("accuracy", "val_accuracy", -1.0), ("loss", "val_loss", 1.0)):
        out = gonet(a, groupby="phenotype", model="dense", monitor=monitor, patience=2, max_epochs=40, n_threads=1,
                    copy=True)
        assert out.uns["gonet"]["params"]["monitor"] == monitor
        hist = out.uns["gonet"]["history"]
        assert len(hist) == _stop_epoch(sign * hist[col].to_numpy(), 2)
