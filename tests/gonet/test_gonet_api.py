"""The issue's public API: ``Ontology.from_edges`` (user DAGs) and the ontology-first estimator ``GONet``
(arrays with feature names, DataFrames, AnnData; name-based column alignment; labelled term relevance)."""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest

from pyomics_bridge._conventions import ValidationError
from pyomics_bridge.gonet import build_layers
from pyomics_bridge.gonet._gonet import GONet
from pyomics_bridge.gonet._ontology import Ontology

# root R; level 1: A, B; level 2: A1, A2 (under A), B1 (under B), B2 (under B and A)
PARENTS = {"R": [], "A": "R", "B": ["R"], "A1": ["A"], "A2": ["A"], "B1": ["B"], "B2": ["B", "A"]}
LEAVES = ["A1", "A2", "B1", "B2"]
GENE_TERMS = {f"g{i * 6 + j}": [t] for i, t in enumerate(LEAVES) for j in range(6)}
FAST = {"min_genes": 3, "max_epochs": 25, "lr": 0.02, "dropout": 0.0, "batch_size": 32, "patience": None,
        "n_threads": 1, "device": "cpu"}


def _ontology():
    return Ontology.from_edges(PARENTS, GENE_TERMS, names={"A1": "driver term", "R": "root"})


# ----------------------------------------------------------------------------------- from_edges (no torch)
def test_from_edges_round_trip_levels_and_masks():
    ont = _ontology()
    assert ont.terms.loc["A1", "name"] == "driver term" and ont.terms.loc["B1", "name"] == "B1"
    assert ont.roots() == ["R"]
    assert ont.levels().to_dict() == {"R": 0, "A": 1, "B": 1, "A1": 2, "A2": 2, "B1": 2, "B2": 2}
    assert set(map(tuple, ont.edges[["child", "parent"]].to_numpy())) == {
        (c, p) for c, ps in PARENTS.items() for p in ([ps] if isinstance(ps, str) else ps)}
    L = build_layers(ont, levels=(2, 1), min_genes=1)  # annotations carried by the ontology, root found
    assert L.terms == [LEAVES, ["A", "B"]]
    m0 = L.mask(0).toarray()
    truth = np.array([[t in GENE_TERMS[g] for t in LEAVES] for g in L.genes], dtype=float)
    np.testing.assert_array_equal(m0, truth)  # first layer = the annotation incidence
    np.testing.assert_array_equal(L.mask(1).toarray(), [[1, 0], [1, 0], [0, 1], [1, 1]])
    assert L.term_table().loc["A", "n_genes"] == 18  # A1, A2 and B2 genes (true-path rule)
    # several roots: all at level 0
    two = Ontology.from_edges({"r1": [], "r2": [], "x": ["r1"], "y": ["r2", "x"]}, {"g": ["y"]})
    assert two.roots() == ["r1", "r2"] and two.levels().to_dict() == {"r1": 0, "r2": 0, "x": 1, "y": 1}
    assert two.levels(root="r1").to_dict() == {"r1": 0, "x": 1, "y": 2}


def test_from_edges_errors():
    with pytest.raises(ValidationError, match="unknown parent id.*'Z'"):
        Ontology.from_edges({"R": [], "A": ["Z"]}, {})
    with pytest.raises(ValidationError, match=r"cycle through term 'A': A -> C -> B -> A \(child -> parent\)"):
        Ontology.from_edges({"R": [], "A": ["R", "C"], "B": ["A"], "C": ["B"]}, {})
    with pytest.raises(ValidationError, match="unknown term ids.*'g1' -> 'Q'"):
        Ontology.from_edges({"R": []}, {"g1": ["Q"]})
    with pytest.raises(ValidationError, match="gene '1' twice"):
        Ontology.from_edges({"R": []}, {1: ["R"], "1": ["R"]})
    with pytest.raises(ValidationError, match="names has term id"):
        Ontology.from_edges({"R": []}, {}, names={"X": "x"})
    with pytest.raises(ValidationError, match="carries none"):
        build_layers(Ontology(terms=_ontology().terms, edges=_ontology().edges), levels=(2, 1))


# ----------------------------------------------------------------------------------- GONet (torch)
@pytest.fixture(scope="module")
def task():
    """Class = sign of the mean of the A1 genes (planted driver); two unannotated genes."""
    rng = np.random.default_rng(0)
    names = [*GENE_TERMS, "u0", "u1"]
    X = rng.normal(size=(120, len(names))).astype(np.float32)
    y = np.where(X[:, :6].mean(1) > 0, "case", "ctrl")
    return X, y, names


@pytest.fixture(scope="module")
def fitted(task):
    pytest.importorskip("torch")
    X, y, names = task
    return GONet(_ontology(), random_state=0, **FAST).fit(X, y, feature_names=names)


def test_gonet_fit_array_and_attributes(fitted, task):
    X, y, names = task
    m = fitted
    assert m.coverage_ == {"n_features": 26, "n_mapped": 24, "fraction": 24 / 26, "n_used": 24}
    assert m.go_layers_.levels == [2, 1] and m.go_layers_.terms == [LEAVES, ["A", "B"]]
    assert sorted(m.input_features_) == sorted(GENE_TERMS) and m.n_features_in_ == 26
    assert list(m.classes_) == ["case", "ctrl"]
    assert m.score(X, y) > 0.9  # a linear rule on one term: learnt
    p = m.predict_proba(X, feature_names=names)
    np.testing.assert_allclose(p.sum(1), 1.0, rtol=1e-6)
    assert (m.classes_[p.argmax(1)] == m.predict(X)).all()
    np.testing.assert_allclose(m.decision_function(X), m.model_.decision_function(X[:, m._idx]))


def test_gonet_dataframe_anndata_identical_and_reorder(fitted, task):
    ad = pytest.importorskip("anndata")
    X, y, names = task
    df = pd.DataFrame(X, columns=names, index=[f"s{i}" for i in range(len(X))])
    m_df = GONet(_ontology(), random_state=0, **FAST).fit(df, y)
    adata = ad.AnnData(np.zeros_like(X), obs=pd.DataFrame({"grp": pd.Categorical(y)}, index=df.index),
                       var=pd.DataFrame(index=names), layers={"expr": X})
    m_ad = GONet(_ontology(), random_state=0, **FAST).fit(adata, "grp", layer="expr")
    ref = fitted.predict_proba(X, feature_names=names)
    np.testing.assert_array_equal(m_df.predict_proba(df), ref)
    np.testing.assert_array_equal(m_ad.predict_proba(adata, layer="expr"), ref)
    perm = np.random.default_rng(1).permutation(len(names))
    shuffled = df.iloc[:, perm]
    np.testing.assert_array_equal(fitted.predict_proba(shuffled), ref)  # columns re-aligned by name
    np.testing.assert_array_equal(fitted.predict_proba(X[:, perm], feature_names=np.array(names)[perm]), ref)
    with pytest.raises(ValidationError, match="lacks 1 gene.*'g0'"):
        fitted.predict(df.drop(columns="g0"))
    with pytest.raises(ValidationError, match="duplicated gene names"):
        GONet(_ontology()).fit(X[:, :3], y, feature_names=["g0", "g1", "g0"])
    with pytest.raises(ValidationError, match="pass feature_names"):
        GONet(_ontology()).fit(X, y)
    with pytest.raises(ValidationError, match=r"only 0 of 26 genes"):
        GONet(_ontology()).fit(X, y, feature_names=[f"x{i}" for i in range(26)])


def test_term_relevance_table_and_planted_driver(fitted, task):
    X, y, names = task
    tab = fitted.term_relevance(pd.DataFrame(X, columns=names), y)
    assert list(tab.columns) == ["name", "level", "n_genes", "relevance", "case", "ctrl"]
    assert set(tab.index) == {"A1", "A2", "B1", "B2", "A", "B"}
    assert tab["relevance"].is_monotonic_decreasing
    assert tab.index[0] == "A1" and tab.loc["A1", "name"] == "driver term"  # the planted term ranks first
    assert tab.loc["A1", "level"] == 2 and tab.loc["A", "n_genes"] == 18
    per = fitted.term_relevance(X, feature_names=names, per_sample=True, method="gradxact")
    assert per.shape == (120, 6) and list(per.columns) == [*LEAVES, "A", "B"]
    assert per.abs().mean().loc[LEAVES].idxmax() == "A1"
    with pytest.raises(ValidationError, match="unknown to the model"):
        fitted.term_relevance(X, np.full(120, "other"), feature_names=names)


def test_gonet_sklearn_params_and_clone():
    from sklearn.base import clone

    from pyomics_bridge.gonet._models import GONetClassifier

    ont = _ontology()
    est = GONet(ont, mode="soft", term_penalty=[0.0, 0.1], random_state=3, min_genes=2)
    c = clone(est)
    assert c.get_params()["mode"] == "soft" and c.random_state == 3 and c.min_genes == 2
    assert c.get_params()["term_penalty"] == [0.0, 0.1] and isinstance(c.ontology, Ontology)
    assert est.set_params(lr=0.5) is est and est.lr == 0.5
    # every GONetClassifier hyper-parameter is exposed with the same default
    sig_g = inspect.signature(GONet.__init__).parameters
    for name, p in inspect.signature(GONetClassifier.__init__).parameters.items():
        if name not in ("self", "go_layers"):
            assert sig_g[name].default == p.default, name
    with pytest.raises(ValidationError, match="not fitted"):
        GONet(ont).predict(np.zeros((2, 3)))
    with pytest.raises(ValidationError, match="ontology must be"):
        GONet("GO").fit(np.zeros((4, 2)), [0, 1, 0, 1], feature_names=["a", "b"])


def test_tl_gonet_with_an_ontology(task):
    ad = pytest.importorskip("anndata")
    pytest.importorskip("torch")
    import pyomics_bridge as pob

    X, y, names = task
    adata = ad.AnnData(X, obs=pd.DataFrame({"grp": pd.Categorical(y)}, index=[f"s{i}" for i in range(len(X))]),
                       var=pd.DataFrame(index=names))
    pob.tl.gonet(adata, groupby="grp", ontology=_ontology(), min_genes=3, max_epochs=25, lr=0.02, dropout=0.0,
                 batch_size=32, n_threads=1, device="cpu", random_state=0)
    res = adata.uns["gonet"]
    assert res["params"]["go_layers"] == "ontology" and res["n_genes_mapped"] == 24
    terms = res["terms"]
    assert list(terms.index) == [*LEAVES, "A", "B"] and terms.loc["A1", "name"] == "driver term"
    assert terms.loc[LEAVES, "mean_abs_relevance"].idxmax() == "A1"
    assert adata.obsm["gonet_relevance"].shape == (120, 6) and res["accuracy_train"] > 0.9
    with pytest.raises(ValidationError, match="not both"):
        pob.tl.gonet(adata, groupby="grp", ontology=_ontology(), go_layers=object())


def test_gonet_bad_input_classes_non_finite_and_cycle(fitted, task):
    X, y, names = task
    y_small = np.array(["a"] * 118 + ["b", "c"])
    with pytest.raises(ValidationError, match=r"class 'b' has 1 sample\(s\), 'c' has 1 sample\(s\); early stopping"
                                              r" on a validation split needs >= 2 per class"):
        GONet(_ontology(), random_state=0, **{**FAST, "patience": 5, "max_epochs": 1}).fit(
            X, y_small, feature_names=names)
    # non-finite values: fit and predict name the gene
    Xn = X.copy()
    Xn[3, names.index("g5")] = np.nan
    with pytest.raises(ValidationError, match=r"X has 1 non-finite value\(s\).*row 3, gene 'g5'"):
        GONet(_ontology(), random_state=0, **FAST).fit(Xn, y, feature_names=names)
    Xn[7, names.index("u1")] = -np.inf  # an unannotated gene too: X is checked whole
    with pytest.raises(ValidationError, match=r"X has 2 non-finite value\(s\)"):
        fitted.predict(Xn, feature_names=names)
    with pytest.raises(ValidationError, match="non-finite"):
        fitted.predict_proba(pd.DataFrame(Xn, columns=names))
    # an ontology with a 2-cycle (built directly, bypassing from_edges' check) is refused before fitting
    ont = _ontology()
    edges = pd.concat([ont.edges, pd.DataFrame({"child": ["A1", "A2"], "parent": ["A2", "A1"],
                                                "relation": ["is_a", "part_of"]})], ignore_index=True)
    cyclic = Ontology(terms=ont.terms, edges=edges).with_annotations(GENE_TERMS)
    with pytest.raises(ValidationError, match=r"cycle through term 'A[12]'"):
        GONet(cyclic, levels=(2, 1), random_state=0, **FAST).fit(X, y, feature_names=names)
