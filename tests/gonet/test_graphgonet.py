"""GraphGONet: hard gene → node mask, DAG propagation, per-sample top-k selection, built-in explanation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pyomics_bridge._conventions import ValidationError
from pyomics_bridge.gonet import GOLayers, load_bundled_layers, per_sample_term_precision, simulate_go_phenotype

torch = pytest.importorskip("torch")
from pyomics_bridge.gonet._graphgonet import GraphGONet  # noqa: E402


def tiny_dag() -> GOLayers:
    """5 nodes on 3 levels: leaves A, B (genes g0..g3); C ← A; D ← A, B; root E ← C, D."""
    return GOLayers(genes=["g0", "g1", "g2", "g3"], levels=[3, 2, 1], terms=[["A", "B"], ["C", "D"], ["E"]],
                    edges=[np.array([[0, 0], [1, 0], [1, 1], [2, 1], [3, 1]]),  # (gene, leaf)
                           np.array([[0, 0], [0, 1], [1, 1]]),  # A→C, A→D, B→D
                           np.array([[0, 0], [1, 0]])],  # C→E, D→E
                    names={"A": "alpha", "B": "beta", "C": "gamma", "D": "delta", "E": "root"})


def tiny_data(n=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    return X, y


def test_propagation_equals_hand_computation():
    X, y = tiny_data()
    m = GraphGONet(tiny_dag(), k=5, max_epochs=2, patience=None, n_threads=1, random_state=0).fit(X, y)
    mod = m.module_
    W = mod.fc1.dense_weight().detach().numpy()  # nodes × genes
    b = mod.fc1.bias.detach().numpy()
    wc, bc = mod.w_child.item(), mod.b_child.item()
    own = X[:3].astype(float) @ W.T
    A, B = np.tanh(own[:, 0] + b[0]), np.tanh(own[:, 1] + b[1])
    C = np.tanh(wc * A + bc)  # C, D, E have no genes: no own input, no bias
    D = np.tanh(wc * (A + B) / 2 + bc)
    E = np.tanh(wc * (C + D) / 2 + bc)
    h, sel = m.node_states(X[:3])
    np.testing.assert_allclose(h, np.column_stack([A, B, C, D, E]), rtol=1e-5, atol=1e-6)
    assert sel.all()  # k = all 5 nodes
    assert m.terms_ == ["A", "B", "C", "D", "E"]


def test_mask_respected_after_optimiser_steps():
    X, y = tiny_data()
    m = GraphGONet(tiny_dag(), k=2, max_epochs=5, patience=None, weight_decay=0.1, n_threads=1, random_state=1)
    m.fit(X, y)
    W = m.module_.fc1.dense_weight().detach().numpy()
    allowed = np.zeros((5, 4), dtype=bool)
    allowed[[0, 0, 1, 1, 1], [0, 1, 1, 2, 3]] = True
    assert (W[~allowed] == 0).all() and (W[allowed] != 0).all()
    assert m.module_.fc1.weight.numel() == 5  # one parameter per annotation edge, no dense matrix
    # a gene outside a node's annotation never moves that node's state: g0 only reaches A (and A's ancestors)
    X2 = X[:8].copy()
    X2[:, 0] += 3.0
    h1, _ = m.node_states(X[:8])
    h2, _ = m.node_states(X2)
    np.testing.assert_array_equal(h1[:, 1], h2[:, 1])  # B
    assert not np.allclose(h1[:, 0], h2[:, 0])


def test_topk_selection_keeps_exactly_k_largest_eligible_nodes():
    X, y = tiny_data(80)
    for k, select_from in ((1, "all"), (2, "all"), (2, "deepest"), (4, "all")):
        m = GraphGONet(tiny_dag(), k=k, select_from=select_from, max_epochs=3, patience=None, n_threads=1,
                       random_state=0).fit(X, y)
        h, sel = m.node_states(X)
        assert (sel.sum(1) == k).all()
        eligible = np.arange(5) < (2 if select_from == "deepest" else 5)
        assert not sel[:, ~eligible].any()
        a = np.where(eligible, np.abs(h), -1.0)
        kth = np.sort(a, axis=1)[:, -k]
        assert (np.abs(h)[sel] >= np.repeat(kth, k) - 1e-7).all()
        R = m.term_relevance(X, y)
        assert (R.to_numpy()[~sel] == 0).all()


def test_relevance_decomposes_the_centred_logit():
    X, y = tiny_data(50)
    m = GraphGONet(tiny_dag(), k=3, max_epochs=5, patience=None, n_threads=1, random_state=3).fit(X, y)
    R = m.term_relevance(pd.DataFrame(X, columns=["g0", "g1", "g2", "g3"]), y)
    assert list(R.columns) == ["A", "B", "C", "D", "E"]
    z = m.decision_function(X)
    bias = m.module_.head.bias.detach().numpy()
    np.testing.assert_allclose(R.sum(1) + bias[y] - bias.mean(), z[np.arange(len(y)), y] - z.mean(1), atol=1e-5)
    tab = m.term_relevance(X, y, per_sample=False)
    assert tab["mean_abs"].is_monotonic_decreasing and set(tab.columns) >= {"name", "selected", "mean_0", "mean_1"}
    assert tab.loc["A", "name"] == "alpha"
    np.testing.assert_allclose(tab["selected"].sum(), 3.0)


def test_determinism_and_input_checks():
    X, y = tiny_data(70)
    a = GraphGONet(tiny_dag(), k=2, max_epochs=6, n_threads=1, random_state=5).fit(X, y)
    b = GraphGONet(tiny_dag(), k=2, max_epochs=6, n_threads=1, random_state=5).fit(X, y)
    c = GraphGONet(tiny_dag(), k=2, max_epochs=6, n_threads=1, random_state=6).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert not np.array_equal(a.predict_proba(X), c.predict_proba(X))
    df = pd.DataFrame(X[:, ::-1], columns=["g3", "g2", "g1", "g0"])  # columns are matched by name
    np.testing.assert_array_equal(a.predict_proba(df), a.predict_proba(X))
    with pytest.raises(ValidationError, match="k must be in"):
        GraphGONet(tiny_dag(), k=3, select_from="deepest").fit(X, y)
    with pytest.raises(ValidationError, match="select_from"):
        GraphGONet(tiny_dag(), select_from="leaves").fit(X, y)
    with pytest.raises(ValidationError, match="lacks 1 gene"):
        a.predict(df.drop(columns="g2"))
    with pytest.raises(ValidationError, match="non-finite"):
        a.predict(np.full((2, 4), np.nan))
    with pytest.raises(ValidationError, match="not fitted"):
        GraphGONet(tiny_dag()).predict(X)


def test_planted_per_sample_driver_is_recovered():
    sim = simulate_go_phenotype(load_bundled_layers(), n_samples=600, n_terms=12, n_planted=2, drivers="subgroup",
                                driver_scale=4.0, label_noise_sd=0.1, noise_sd=0.3, random_state=7)
    tr, te = np.arange(450), np.arange(450, 600)
    m = GraphGONet(sim.layers, k=4, select_from="deepest", lr=3e-3, weight_decay=1e-2, max_epochs=40, n_threads=1,
                   random_state=0).fit(sim.X[tr], sim.y[tr])
    assert m.score(sim.X[te], sim.y[te]) > 0.8
    R = m.term_relevance(sim.X[te], sim.y[te])[sim.layers.terms[0]]
    truth = [sim.sample_truth[i] for i in te]
    # among the 12 deepest terms the sample's own driver is in the top 3 (random ranking: 3/12 = 0.25)
    assert (per_sample_term_precision(R, truth)["best_rank"] <= 3).mean() >= 0.8
    # and among the 2 planted terms its own one comes first: chance 0.5, sd 0.04 over 150 samples
    own = per_sample_term_precision(R, truth, candidates=sim.planted)
    assert (own["best_rank"] == 1).mean() >= 0.7
