"""GO parsing (OBO, GAF, Debian SQLite), levels, propagation, layers and gene-id harmonisation (no torch)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pyomics_bridge.gonet import (
    GOLayers,
    build_layers,
    harmonize_gene_ids,
    load_bundled_layers,
    read_gaf,
    read_go_sqlite,
    read_obo,
    read_org_sqlite,
)
from pyomics_bridge.gonet._ontology import DEBIAN_GO_SQLITE, DEBIAN_ORG_HS_SQLITE

OBO = """format-version: 1.2
ontology: go

[Term]
id: GO:0008150
name: biological_process
namespace: biological_process

[Term]
id: GO:0000001
name: term A
namespace: biological_process
is_a: GO:0008150 ! biological_process

[Term]
id: GO:0000002
name: term B
namespace: biological_process
is_a: GO:0008150

[Term]
id: GO:0000003
name: term C
namespace: biological_process
is_a: GO:0000001 ! term A

[Term]
id: GO:0000004
name: term D
namespace: biological_process
is_a: GO:0000001
relationship: part_of GO:0000002 ! term B

[Term]
id: GO:0000005
name: term E: with a colon
namespace: biological_process
is_a: GO:0000003
is_a: GO:0000004

[Term]
id: GO:0000009
name: obsolete thing
namespace: biological_process
is_obsolete: true

[Term]
id: GO:0005575
name: cellular_component
namespace: cellular_component

[Typedef]
id: part_of
name: part of
"""

GAF = "\n".join([
    "!gaf-version: 2.2",
    "\t".join(["UniProtKB", "P1", "G1", "", "GO:0000005", "PMID:1", "IDA", "", "P", "", "", "protein", "taxon:9606", "20200101", "X"]),
    "\t".join(["UniProtKB", "P2", "G2", "", "GO:0000004", "PMID:1", "IEA", "", "P", "", "", "protein", "taxon:9606", "20200101", "X"]),
    "\t".join(["UniProtKB", "P3", "G3", "", "GO:0000003", "PMID:1", "IMP", "", "P", "", "", "protein", "taxon:9606", "20200101", "X"]),
    "\t".join(["UniProtKB", "P4", "G4", "", "GO:0000002", "PMID:1", "TAS", "", "P", "", "", "protein", "taxon:9606", "20200101", "X"]),
    "\t".join(["UniProtKB", "P5", "G5", "NOT", "GO:0000003", "PMID:1", "IDA", "", "P", "", "", "protein", "taxon:9606", "20200101", "X"]),
    "\t".join(["UniProtKB", "P6", "G6", "", "GO:0005575", "PMID:1", "IDA", "", "C", "", "", "protein", "taxon:9606", "20200101", "X"]),
]) + "\n"

A, B, C, D, E = (f"GO:000000{i}" for i in range(1, 6))


@pytest.fixture
def tiny(tmp_path):
    obo = tmp_path / "tiny.obo"
    obo.write_text(OBO)
    gaf = tmp_path / "tiny.gaf"
    gaf.write_text(GAF)
    return read_obo(obo), read_gaf(gaf)


def test_read_obo(tiny):
    ont, _ = tiny
    assert sorted(ont.terms.index) == ["GO:0000001", "GO:0000002", "GO:0000003", "GO:0000004", "GO:0000005",
                                       "GO:0008150"]
    assert ont.terms.loc[E, "name"] == "term E: with a colon"
    rel = {(c, p): r for c, p, r in ont.edges[["child", "parent", "relation"]].itertuples(index=False)}
    assert rel[(D, B)] == "part_of" and rel[(D, A)] == "is_a" and len(rel) == 7


def test_read_gaf(tiny):
    _, ann = tiny
    assert sorted(ann["gene"]) == ["G1", "G2", "G3", "G4"]  # NOT and the CC line are dropped
    assert set(read_gaf_noiea(ann)["gene"]) == {"G1", "G3", "G4"}


def read_gaf_noiea(ann):
    return ann[ann["evidence"] != "IEA"]


def test_levels_shortest_and_longest(tiny):
    ont, _ = tiny
    lev = ont.levels()
    assert lev.to_dict() == {"GO:0008150": 0, A: 1, B: 1, C: 2, D: 2, E: 3}
    # part_of is not used for levels; with it, D is still at 2; longest is_a path: E = 3
    assert ont.levels(depth=True)[E] == 3
    assert ont.levels(relations=("is_a", "part_of"), depth=True)[D] == 2
    # every level-L term has an is_a parent at level L-1 (shortest-path definition)
    par = ont._parents(("is_a",))
    for t, L in lev.items():
        if L > 0:
            assert any(lev.get(p) == L - 1 for p in par[t])


def test_propagation_true_path_rule(tiny):
    ont, ann = tiny
    prop = ont.propagate(ann)
    got = prop.groupby("gene")["go_id"].apply(set).to_dict()
    root = "GO:0008150"
    assert got["G1"] == {E, C, D, A, B, root}
    assert got["G2"] == {D, A, B, root}  # B through part_of
    assert got["G3"] == {C, A, root}
    assert got["G4"] == {B, root}
    only_isa = ont.propagate(ann, relations=("is_a",)).groupby("gene")["go_id"].apply(set).to_dict()
    assert only_isa["G2"] == {D, A, root}
    assert ont.ancestors(E) == {C, D, A, B, root}
    assert ont.descendants(A) == {C, D, E}
    assert ont.topological_order()[0] == root


def test_build_layers_tiny(tiny):
    ont, ann = tiny
    L = build_layers(ont, ann, levels=(2, 1), min_genes=1)
    assert L.terms == [[C, D], [A]]
    assert L.genes == ["G1", "G2", "G3"]
    m0 = L.mask(0).toarray()
    np.testing.assert_array_equal(m0, [[1, 1], [0, 1], [1, 0]])  # G1 under C and D (via E), G2 under D, G3 under C
    np.testing.assert_array_equal(L.mask(1).toarray(), [[1], [1]])
    tab = L.term_table()
    assert tab.loc[C, "n_genes"] == 2 and tab.loc[A, "n_genes"] == 3 and tab.loc[A, "level"] == 1
    assert build_layers(ont, ann, levels=(2, 1), min_genes=2).terms[0] == [C, D]
    assert build_layers(ont, ann, levels=(2, 1), min_genes=2, max_genes=2).terms[0] == [C, D]
    with pytest.raises(ValueError, match="no level-2 term"):
        build_layers(ont, ann, levels=(2, 1), min_genes=5)
    with pytest.raises(ValueError, match="consecutive"):
        build_layers(ont, ann, levels=(3, 1))


def test_layers_roundtrip_subset_restrict(tiny, tmp_path):
    ont, ann = tiny
    L = build_layers(ont, ann, levels=(2, 1), min_genes=1)
    L.to_json(tmp_path / "l.json.gz")
    back = GOLayers.from_json(tmp_path / "l.json.gz")
    assert back.terms == L.terms and back.genes == L.genes
    for a, b in zip(back.edges, L.edges, strict=False):
        np.testing.assert_array_equal(a, b)
    s = L.subset([D])
    assert s.terms == [[D], [A]] and s.genes == ["G1", "G2"]
    r = L.restrict_genes(["G3", "G2"])
    assert r.genes == ["G2", "G3"]
    np.testing.assert_array_equal(r.mask(0).toarray(), [[0, 1], [1, 0]])


def test_harmonize_gene_ids():
    ids = pd.DataFrame({"entrez": ["7157", "672", "672"], "symbol": ["TP53", "BRCA1", "BRCA1"],
                        "ensembl": ["ENSG00000141510", "ENSG00000012048", "ENSG00000999999"]})
    out = harmonize_gene_ids(["tp53", "ENSG00000012048.23", "7157", "ENSG00000999999", "nope"], ids)
    assert out.tolist() == ["7157", "672", "7157", "672", ""]
    assert harmonize_gene_ids(["7157"], ids, to="symbol").tolist() == ["TP53"]


def test_bundled_layers_profile():
    L = load_bundled_layers()
    assert L.levels == [7, 6, 5, 4, 3, 2]
    assert L.sizes == [12446, 1408, 1072, 575, 282, 107, 43]  # GO 2022-07-01, >= 5 genes per level-7 term
    for k in range(1, len(L.terms)):  # every term has a child below and (except the top) a parent above
        assert set(L.edges[k][:, 1]) == set(range(len(L.terms[k])))
        assert set(L.edges[k][:, 0]) == set(range(len(L.terms[k - 1])))
    assert L.names["GO:0006351"] == "DNA-templated transcription"
    assert {"entrez", "symbol", "ensembl"} <= set(L.gene_ids.columns)


debian = pytest.mark.skipif(not (DEBIAN_GO_SQLITE.exists() and DEBIAN_ORG_HS_SQLITE.exists()),
                            reason="Debian r-bioc-go.db / r-bioc-org.hs.eg.db not installed")


@debian
def test_debian_sqlite_reader_matches_go_bp_all():
    import sqlite3

    ont = read_go_sqlite()
    assert ont.terms.shape[0] > 20000 and "GO:0008150" in ont.terms.index
    assert {"is_a", "part_of", "regulates"} <= set(ont.edges["relation"])
    ann, ids = read_org_sqlite()
    assert {"gene", "go_id", "evidence"} <= set(ann.columns) and "7157" in set(ids["entrez"])
    genes = ["7157", "672", "1956", "3569", "5594"]
    prop = ont.propagate(ann[ann["gene"].isin(genes)])
    con = sqlite3.connect(f"file:{DEBIAN_ORG_HS_SQLITE}?mode=ro", uri=True)
    ref = pd.read_sql_query(
        "SELECT g.gene_id AS gene, a.go_id AS go_id FROM go_bp_all a JOIN genes g ON a._id = g._id "
        f"WHERE g.gene_id IN ({','.join('?' * len(genes))})", con, params=genes)
    con.close()
    for g in genes:  # our true-path propagation reproduces org.Hs.eg.db's go_bp_all
        assert set(prop.loc[prop.gene == g, "go_id"]) == set(ref.loc[ref.gene == g, "go_id"])


def test_from_obo_gaf_one_call_route(tiny, tmp_path):
    from pyomics_bridge.gonet import Ontology

    (tmp_path / "t.obo").write_text(OBO)
    (tmp_path / "t.gaf").write_text(GAF)
    ont = Ontology.from_obo_gaf(tmp_path / "t.obo", tmp_path / "t.gaf")
    _, ann = tiny
    assert set(map(tuple, ont.annotations[["gene", "go_id"]].to_numpy())) == set(
        map(tuple, ann[["gene", "go_id"]].to_numpy()))  # the C-aspect line (G6) is not in the BP ontology
    L = build_layers(ont, levels=(2, 1), min_genes=1)  # annotations carried by the ontology
    assert L.terms == [[C, D], [A]] and L.genes == ["G1", "G2", "G3"]


@debian
def test_from_debian_annotated_ontology():
    from pyomics_bridge.gonet import Ontology

    ont = Ontology.from_debian()
    assert ont.annotations is not None and ont.gene_ids is not None
    assert ont.annotations["go_id"].isin(ont.terms.index).all()
    assert ont.levels()["GO:0008150"] == 0 and ont.roots()[0] == "GO:0008150"
    tp53 = set(ont.annotations.loc[ont.annotations["gene"] == "7157", "go_id"])
    assert "GO:0006915" in tp53 or "GO:0006977" in tp53  # apoptotic process / DNA damage response (p53)
    # GONet's gene matching on human GO: symbols and versioned Ensembl ids map to the Entrez annotations
    from pyomics_bridge.gonet._gonet import layers_for_genes

    names = [s for s in ont.gene_ids["symbol"].unique() if s][:400] + ["ENSG00000141510.17", "NOT_A_GENE"]
    L, cols, cov = layers_for_genes(ont, names, min_genes=3)
    assert L.levels == [7, 6, 5, 4, 3, 2] and cov["n_features"] == 402 and 0.5 < cov["fraction"] < 1
    assert "ENSG00000141510.17" in cols and "NOT_A_GENE" not in cols
    assert L.genes[cols.index("ENSG00000141510.17")] == "7157"  # TP53


CYCLIC_OBO = OBO.replace("[Typedef]", """[Term]
id: GO:0000006
name: term F
namespace: biological_process
is_a: GO:0000001
relationship: part_of GO:0000007

[Term]
id: GO:0000007
name: term G
namespace: biological_process
is_a: GO:0000006

[Typedef]""")


def test_cycle_in_obo_is_rejected(tmp_path):
    """A 2-cycle F -part_of-> G -is_a-> F in an OBO file: the readers, build_layers and layers_for_genes refuse it."""
    from pyomics_bridge.gonet import Ontology
    from pyomics_bridge.gonet._gonet import layers_for_genes
    from pyomics_bridge.gonet._ontology import ValidationError

    (tmp_path / "c.obo").write_text(CYCLIC_OBO)
    (tmp_path / "t.gaf").write_text(GAF)
    with pytest.raises(ValidationError, match=r"cycle through term 'GO:000000[67]'.*GO:0000006.*GO:0000007"):
        read_obo(tmp_path / "c.obo")
    with pytest.raises(ValidationError, match="cycle"):
        Ontology.from_obo_gaf(tmp_path / "c.obo", tmp_path / "t.gaf")
    # an Ontology built by hand (bypassing the readers) is checked where it is used
    (tmp_path / "ok.obo").write_text(OBO)
    ok = read_obo(tmp_path / "ok.obo")
    edges = pd.concat([ok.edges, pd.DataFrame({"child": [E, D], "parent": [D, E], "relation": ["is_a", "part_of"]})],
                      ignore_index=True)
    bad = Ontology(terms=ok.terms, edges=edges).with_annotations({"G1": [E], "G2": [D], "G3": [C]})
    with pytest.raises(ValidationError, match="cycle"):
        build_layers(bad, levels=(2, 1), min_genes=1)
    with pytest.raises(ValidationError, match="cycle"):
        layers_for_genes(bad, ["G1", "G2", "G3"], levels=(2, 1), min_genes=1)
    with pytest.raises(ValidationError, match=r"G[O:0-9]* -> "):
        bad.check_acyclic()
    # the acyclic original passes and is unchanged
    assert ok.check_acyclic() is ok
    assert build_layers(ok.with_annotations({"G1": [E], "G2": [D], "G3": [C]}), levels=(2, 1), min_genes=1).terms[0] \
        == [C, D]
