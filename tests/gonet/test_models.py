"""GO networks (torch): sparse masked layers, penalties, determinism, planted-signal recovery, tl/pl drivers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

from pyomics_bridge.gonet import (  # noqa: E402
    GONetClassifier,
    load_bundled_layers,
    planted_recovery,
    simulate_go_phenotype,
    term_relevance,
)
from pyomics_bridge.gonet._layers import DenseMaskedLinear, SparseMaskedLinear  # noqa: E402


@pytest.fixture(scope="module")
def bundled():
    return load_bundled_layers()


@pytest.fixture(scope="module")
def small_sim(bundled):
    return simulate_go_phenotype(bundled, n_samples=160, n_terms=12, random_state=3)


def _edges(n_in, n_out, p, seed):
    rng = np.random.default_rng(seed)
    m = rng.random((n_in, n_out)) < p
    m[rng.integers(0, n_in, n_out), np.arange(n_out)] = True
    return np.argwhere(m)


def test_sparse_layer_equals_masked_dense():
    torch.manual_seed(0)
    e = _edges(50, 7, 0.1, 0)
    layer = SparseMaskedLinear(50, 7, e)
    assert sum(p.numel() for p in layer.parameters()) == len(e) + 7  # no dense 50 x 7 weight parameter
    x = torch.randn(9, 50, requires_grad=True)
    W = layer.dense_weight().detach().clone().requires_grad_(True)
    mask = torch.zeros(7, 50)
    mask[e[:, 1], e[:, 0]] = 1
    assert torch.equal(layer.mask(), mask)
    ref = x @ (W * mask).t() + layer.bias.detach()
    out = layer(x)
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-6)
    g = torch.randn(9, 7)
    gx_sparse, = torch.autograd.grad(out, x, g, retain_graph=True)
    gx_ref, gW = torch.autograd.grad(ref, (x, W), g)
    torch.testing.assert_close(gx_sparse, gx_ref, rtol=1e-5, atol=1e-6)
    out.backward(g)
    torch.testing.assert_close(layer.weight.grad, gW[layer.indices[0], layer.indices[1]], rtol=1e-5, atol=1e-6)
    # mask-aware init: std of each unit's weights scales with 1/sqrt(masked fan-in), not 1/sqrt(50)
    big = SparseMaskedLinear(2000, 1, np.column_stack([np.arange(4), np.zeros(4, int)]))
    assert float(big.weight.detach().abs().mean()) > 0.2


def test_soft_penalty_matches_hand_computation():
    torch.manual_seed(1)
    e = _edges(6, 4, 0.3, 1)
    layer = DenseMaskedLinear(6, 4, e)
    layer.weight.data.normal_()
    W = layer.weight.detach().numpy()
    off = np.ones((4, 6), bool)
    off[e[:, 1], e[:, 0]] = False
    assert float(layer.penalty("l1").detach()) == pytest.approx(np.abs(W[off]).sum(), rel=1e-5)
    assert float(layer.penalty("l2").detach()) == pytest.approx((W[off] ** 2).sum(), rel=1e-5)
    assert layer.go_leakage() == pytest.approx(np.abs(W[off]).sum() / np.abs(W).sum(), rel=1e-5)


def test_hard_mask_stays_inside_go_and_is_deterministic(small_sim):
    kw = {"max_epochs": 3, "batch_size": 64, "n_threads": 1}
    a = GONetClassifier(small_sim.layers, random_state=7, **kw).fit(small_sim.X, small_sim.y)
    b = GONetClassifier(small_sim.layers, random_state=7, **kw).fit(small_sim.X, small_sim.y)
    c = GONetClassifier(small_sim.layers, random_state=8, **kw).fit(small_sim.X, small_sim.y)
    pa, pb, pc = (m.predict_proba(small_sim.X) for m in (a, b, c))
    np.testing.assert_array_equal(pa, pb)
    assert not np.allclose(pa, pc)
    layer = a.module_.layers[0]
    W = layer.dense_weight().detach()
    assert torch.count_nonzero(W * (1 - layer.mask())) == 0
    assert a.go_leakage() == [0.0] * 6
    assert pa.shape == (160, 2) and np.allclose(pa.sum(1), 1)
    assert set(a.predict(small_sim.X)) <= {0, 1} and len(a.history_) == a.n_epochs_


def test_relevance_shapes_and_modes(small_sim):
    L = small_sim.layers
    for mode in ("hard", "soft", "dense"):
        m = GONetClassifier(L, mode=mode, max_epochs=2, n_threads=1, random_state=0).fit(small_sim.X, small_sim.y)
        for method in ("lrp", "gradxact"):
            R = term_relevance(m, small_sim.X[:20], method=method, target=small_sim.y[:20])
            assert [r.shape for r in R] == [(20, len(t)) for t in L.terms]
            assert all(np.isfinite(r).all() for r in R)
    # LRP-ε on a hard net approximately conserves relevance from the output logit down to the genes (+ biases)
    from pyomics_bridge.gonet import gene_relevance

    g = gene_relevance(m, small_sim.X[:5], method="lrp")
    assert g.shape == (5, len(L.genes))
    with pytest.raises(ValueError, match="method must be one of"):
        term_relevance(m, small_sim.X, method="shap")
    with pytest.raises(ValueError, match="unknown class"):
        term_relevance(m, small_sim.X[:2], target=["x", "y"])


def test_errors_and_fine_tune(small_sim):
    with pytest.raises(ValueError, match="go_layers must be a GOLayers"):
        GONetClassifier(None).fit(small_sim.X, small_sim.y)
    with pytest.raises(ValueError, match="mode must be one of"):
        GONetClassifier(small_sim.layers, mode="wild").fit(small_sim.X, small_sim.y)
    m = GONetClassifier(small_sim.layers, max_epochs=2, n_threads=1, random_state=0)
    with pytest.raises(ValueError, match="columns = go_layers.genes"):
        m.fit(small_sim.X[:, :5], small_sim.y)
    with pytest.raises(ValueError, match="not fitted"):
        m.predict(small_sim.X)
    m.fit(small_sim.X, small_sim.y)
    before = m.module_.layers[0].weight.detach().clone()
    y3 = np.where(small_sim.y == 1, "b", "a")
    y3[:10] = "c"
    m.fine_tune(small_sim.X, y3, max_epochs=2, freeze_go=True)
    assert list(m.classes_) == ["a", "b", "c"] and m.predict_proba(small_sim.X).shape == (160, 3)
    assert torch.equal(before, m.module_.layers[0].weight.detach())  # frozen GO layers
    m.fine_tune(small_sim.X, y3, max_epochs=2)
    assert not torch.equal(before, m.module_.layers[0].weight.detach())


def test_planted_signal_beats_chance_and_is_recovered(bundled):
    sim = simulate_go_phenotype(bundled, n_samples=700, n_terms=30, random_state=11)
    tr, te = np.arange(500), np.arange(500, 700)
    m = GONetClassifier(sim.layers, mode="hard", lr=3e-3, max_epochs=30, n_threads=1, random_state=0)
    m.fit(sim.X[tr], sim.y[tr])
    acc = m.score(sim.X[te], sim.y[te])
    chance = max(np.mean(sim.y[te]), 1 - np.mean(sim.y[te]))
    assert acc > chance + 0.1, (acc, chance)
    R = m.relevance(sim.X[te], method="lrp", target=sim.y[te])
    scores = pd.Series(np.abs(R[0]).mean(0), index=sim.layers.terms[0])
    rec = planted_recovery(scores, sim.planted)
    assert rec["average_precision"] > 0.5 and rec["best_rank"] == 1, rec


def test_structure_prior_options_explain_and_fine_tune(small_sim):
    """PCA init + linear frozen first layer + term group lasso: explanations work, fine-tuning keeps the first
    layer frozen, and a soft net starts with its non-GO weights at 0."""
    L, X, y = small_sim.layers, small_sim.X, small_sim.y
    kw = {"init": "pca", "first_activation": "identity", "freeze_first": True, "term_penalty": 0.02,
          "max_epochs": 5, "n_threads": 1, "random_state": 0}
    m = GONetClassifier(L, **kw).fit(X, y)
    for method in ("lrp", "gradxact"):
        R = term_relevance(m, X[:10], method=method)
        assert [r.shape for r in R] == [(10, len(t)) for t in L.terms] and all(np.isfinite(r).all() for r in R)
    inactive = [i for i, t in enumerate(L.terms[0]) if t not in m.active_terms_]
    if inactive:  # a switched-off term gets no gradient × activation relevance
        assert np.all(term_relevance(m, X[:10], method="gradxact")[0][:, inactive] == 0)
    w0 = m.module_.layers[0].weight.detach().clone()
    w1 = m.module_.layers[1].weight.detach().clone()
    m.fine_tune(X, y, max_epochs=2, lr=1e-2)
    assert torch.equal(w0, m.module_.layers[0].weight.detach())
    assert not torch.equal(w1, m.module_.layers[1].weight.detach())
    soft = GONetClassifier(L, mode="soft", init="pca", max_epochs=0, n_threads=1, random_state=0).fit(X, y)
    W = soft.module_.layers[0].weight.detach().numpy()
    off = np.ones_like(W, dtype=bool)
    e = L.edges[0]
    off[e[:, 1], e[:, 0]] = False
    assert np.all(W[off] == 0) and np.all(W[~off] != 0)


def test_too_few_samples_per_class_and_non_finite(small_sim):
    """A class with 1 sample cannot be stratified into a validation split: a clear error naming the classes
    (no silent unstratified fallback); without early stopping the fit goes on. Non-finite X is named."""
    y = np.array([0] * 158 + [1, 2])
    m = GONetClassifier(small_sim.layers, max_epochs=1, n_threads=1, random_state=0)
    with pytest.raises(ValueError, match=r"class 1 has 1 sample\(s\), 2 has 1 sample\(s\); early stopping on a "
                                         r"validation split needs >= 2 per class \(or validation_fraction=0"):
        m.fit(small_sim.X, y)
    assert list(m.set_params(validation_fraction=0.0).fit(small_sim.X, y).classes_) == [0, 1, 2]
    assert list(m.set_params(validation_fraction=0.15, patience=None).fit(small_sim.X, y).classes_) == [0, 1, 2]
    X = small_sim.X.copy()
    X[4, 7] = np.nan
    X[9, 1] = np.inf
    with pytest.raises(ValueError, match=rf"X has 2 non-finite value\(s\).*row 4, column 7 \(gene "
                                         rf"'{small_sim.layers.genes[7]}'\)"):
        m.fit(X, small_sim.y)
    with pytest.raises(ValueError, match="non-finite"):
        m.predict(X)
