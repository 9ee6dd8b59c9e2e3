"""Gene Ontology offline: readers (Debian GO.db / org.Hs.eg.db SQLite, OBO, GAF, bundled layers), the DAG,
levels, true-path-rule propagation, gene-id harmonisation and the layered GO architecture (:class:`GOLayers`).

Pure numpy/pandas/sqlite3; no torch.
"""

from __future__ import annotations

import gzip
import json
import sqlite3
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .._conventions import ValidationError

BP_ROOT = "GO:0008150"
DEBIAN_GO_SQLITE = Path("/usr/lib/R/site-library/GO.db/extdata/GO.sqlite")
DEBIAN_ORG_HS_SQLITE = Path("/usr/lib/R/site-library/org.Hs.eg.db/extdata/org.Hs.eg.sqlite")
BUNDLED_LAYERS_FILE = "go_bp_human_layers.json.gz"
GO_ATTRIBUTION = (
    "Gene Ontology data (go-basic 2022-07-01, via Bioconductor GO.db / org.Hs.eg.db 3.16.0) is licensed "
    "CC BY 4.0 by the Gene Ontology Consortium (geneontology.org). Ashburner et al., Nat Genet 2000; "
    "The Gene Ontology Consortium, Genetics 2023."
)
# relation spellings: GO.db SQLite uses "isa" / "part of"; OBO uses is_a / part_of
_REL = {"isa": "is_a", "is_a": "is_a", "part of": "part_of", "part_of": "part_of"}
ALL_RELATIONS = ("is_a", "part_of", "regulates", "positively_regulates", "negatively_regulates")
_NAMESPACE = {"BP": "biological_process", "MF": "molecular_function", "CC": "cellular_component"}


# --------------------------------------------------------------------------------------------- the DAG
@dataclass
class Ontology:
    """A GO DAG: term table plus child → parent edges with their relation type.

    Attributes
    ----------
    terms
        DataFrame indexed by GO id with columns ``name`` and ``namespace``.
    edges
        DataFrame with columns ``child``, ``parent``, ``relation`` (``is_a``, ``part_of``, ``regulates``, ...).
    """

    terms: pd.DataFrame
    edges: pd.DataFrame

    def _parents(self, relations: Sequence[str]) -> dict[str, list[str]]:
        e = self.edges[self.edges["relation"].isin(list(relations))]
        out: dict[str, list[str]] = {}
        for c, p in zip(e["child"].to_numpy(), e["parent"].to_numpy(), strict=False):
            out.setdefault(c, []).append(p)
        return out

    def _children(self, relations: Sequence[str]) -> dict[str, list[str]]:
        e = self.edges[self.edges["relation"].isin(list(relations))]
        out: dict[str, list[str]] = {}
        for c, p in zip(e["child"].to_numpy(), e["parent"].to_numpy(), strict=False):
            out.setdefault(p, []).append(c)
        return out

    def levels(self, *, root: str = BP_ROOT, relations: Sequence[str] = ("is_a",), depth: bool = False) -> pd.Series:
        """Level of every term reachable from ``root`` (root = 0, as goatools).

        ``depth=False`` (default, goatools "level"): shortest path from the root, so every level-L term has a
        parent at level L−1. ``depth=True``: longest path.
        """
        children = self._children(relations)
        if root not in self.terms.index and root not in children:
            raise ValidationError(f"root term {root!r} is not in the ontology")
        if not depth:
            lev = {root: 0}
            queue = deque([root])
            while queue:
                t = queue.popleft()
                for c in children.get(t, ()):
                    if c not in lev:
                        lev[c] = lev[t] + 1
                        queue.append(c)
        else:
            order = self.topological_order(root=root, relations=relations)
            lev = {root: 0}
            for t in order:
                for c in children.get(t, ()):
                    lev[c] = max(lev.get(c, 0), lev[t] + 1)
        return pd.Series(lev, name="level", dtype=int)

    def topological_order(self, *, root: str = BP_ROOT, relations: Sequence[str] = ("is_a",)) -> list[str]:
        """Terms below ``root``, parents before children (Kahn's algorithm)."""
        children = self._children(relations)
        reach = self.descendants(root, relations=relations) | {root}
        indeg = dict.fromkeys(reach, 0)
        for t in reach:
            for c in children.get(t, ()):
                indeg[c] += 1
        queue = deque(sorted(t for t, d in indeg.items() if d == 0))
        order = []
        while queue:
            t = queue.popleft()
            order.append(t)
            for c in children.get(t, ()):
                indeg[c] -= 1
                if indeg[c] == 0:
                    queue.append(c)
        if len(order) != len(reach):
            raise ValidationError("the ontology has a cycle")
        return order

    def ancestors(self, term: str, *, relations: Sequence[str] = ("is_a", "part_of")) -> set[str]:
        """All ancestors of ``term`` (excluding itself)."""
        return _closure(term, self._parents(relations))

    def descendants(self, term: str, *, relations: Sequence[str] = ("is_a", "part_of")) -> set[str]:
        """All descendants of ``term`` (excluding itself)."""
        return _closure(term, self._children(relations))

    def propagate(self, annotations: pd.DataFrame, *, relations: Sequence[str] = ALL_RELATIONS) -> pd.DataFrame:
        """True-path rule: a gene annotated to a term is annotated to all its ancestors (default: over all
        relation types, as org.Hs.eg.db's ``go_bp_all``).

        ``annotations`` has columns ``gene`` and ``go_id``; the result has the same columns, unique rows.
        """
        parents = self._parents(relations)
        cache: dict[str, set[str]] = {}

        def anc(t):
            if t not in cache:
                cache[t] = _closure(t, parents) | {t}
            return cache[t]

        rows_g, rows_t = [], []
        for go_id, genes in annotations.groupby("go_id", sort=False)["gene"]:
            a = anc(go_id)
            g = genes.unique()
            for t in a:
                rows_g.append(g)
                rows_t.append(np.full(len(g), t, dtype=object))
        if not rows_g:
            return pd.DataFrame({"gene": [], "go_id": []})
        out = pd.DataFrame({"gene": np.concatenate(rows_g), "go_id": np.concatenate(rows_t)})
        return out.drop_duplicates(ignore_index=True)


def _closure(term: str, graph: Mapping[str, Iterable[str]]) -> set[str]:
    seen: set[str] = set()
    stack = list(graph.get(term, ()))
    while stack:
        t = stack.pop()
        if t not in seen:
            seen.add(t)
            stack.extend(graph.get(t, ()))
    return seen


# --------------------------------------------------------------------------------------------- readers
def read_obo(path: str | Path, *, namespace: str | None = "biological_process") -> Ontology:
    """Read an OBO 1.2/1.4 file (e.g. go-basic.obo): ``[Term]`` stanzas with ``id``, ``name``, ``namespace``,
    ``is_a``, ``relationship`` and ``is_obsolete`` (obsolete terms are dropped).

    ``namespace=None`` keeps all namespaces.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    terms, edges = [], []
    cur: dict | None = None

    def flush(cur):
        if cur and "id" in cur and not cur.get("obsolete"):
            terms.append((cur["id"], cur.get("name", ""), cur.get("namespace", "")))
            edges.extend((cur["id"], p, r) for p, r in cur["rel"])

    with opener(path, "rt", encoding="utf-8") as fh:
        for raw in fh:
            line = raw.strip()
            if line.startswith("["):
                flush(cur)
                cur = {"rel": []} if line == "[Term]" else None
                continue
            if cur is None or ":" not in line:
                continue
            key, _, value = line.partition(":")
            value = value.split("!")[0].strip()
            if key == "id":
                cur["id"] = value
            elif key == "name":
                cur["name"] = raw.strip().partition(":")[2].strip()
            elif key == "namespace":
                cur["namespace"] = value
            elif key == "is_a":
                cur["rel"].append((value.split()[0], "is_a"))
            elif key == "relationship":
                parts = value.split()
                if len(parts) >= 2:
                    cur["rel"].append((parts[1], _REL.get(parts[0], parts[0])))
            elif key == "is_obsolete" and value.lower() == "true":
                cur["obsolete"] = True
        flush(cur)
    t = pd.DataFrame(terms, columns=["go_id", "name", "namespace"]).drop_duplicates("go_id").set_index("go_id")
    e = pd.DataFrame(edges, columns=["child", "parent", "relation"])
    if namespace is not None:
        keep = set(t.index[t["namespace"] == namespace])
        t = t.loc[t.index.isin(keep)]
        e = e[e["child"].isin(keep) & e["parent"].isin(keep)]
    return Ontology(terms=t, edges=e.reset_index(drop=True))


def read_gaf(path: str | Path, *, aspect: str = "P", exclude_evidence: Sequence[str] = ("ND",),
             gene_column: str = "symbol") -> pd.DataFrame:
    """Read a GAF 2.x annotation file: columns ``gene`` (``symbol``: column 3, or ``id``: column 2), ``go_id``,
    ``evidence``; ``NOT`` qualifiers and the excluded evidence codes are dropped; ``aspect`` P/F/C."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    rows = []
    col = {"symbol": 2, "id": 1}.get(gene_column)
    if col is None:
        raise ValidationError(f"gene_column must be 'symbol' or 'id', got {gene_column!r}")
    excl = set(exclude_evidence)
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("!") or not line.strip():
                continue
            f = line.rstrip("\n").split("\t")
            if len(f) < 9:
                raise ValidationError(f"{path}: GAF line with {len(f)} columns (expected >= 15): {line[:80]!r}")
            if "NOT" in f[3].split("|") or f[8] != aspect or f[6] in excl:
                continue
            rows.append((f[col], f[4], f[6]))
    return pd.DataFrame(rows, columns=["gene", "go_id", "evidence"]).drop_duplicates(["gene", "go_id", "evidence"])


def read_go_sqlite(go_db: str | Path = DEBIAN_GO_SQLITE, *, ontology: str = "BP") -> Ontology:
    """Read the GO DAG of one ontology (BP/MF/CC) from Bioconductor's ``GO.sqlite`` (Debian ``r-bioc-go.db``)."""
    ont = ontology.upper()
    if ont not in _NAMESPACE:
        raise ValidationError(f"ontology must be one of {list(_NAMESPACE)}, got {ontology!r}")
    go_db = Path(go_db)
    if not go_db.exists():
        raise FileNotFoundError(f"{go_db} not found: apt-get install r-bioc-go.db (or pass go_db=)")
    con = sqlite3.connect(f"file:{go_db}?mode=ro", uri=True)
    try:
        terms = pd.read_sql_query(
            "SELECT go_id, term AS name FROM go_term WHERE ontology = ?", con, params=(ont,)
        ).set_index("go_id")
        edges = pd.read_sql_query(
            f"SELECT c.go_id AS child, p.go_id AS parent, e.relationship_type AS relation "
            f"FROM go_{ont.lower()}_parents e JOIN go_term c ON e._id = c._id JOIN go_term p ON e._parent_id = p._id",
            con,
        )
    finally:
        con.close()
    terms["namespace"] = _NAMESPACE[ont]
    edges = edges[edges["child"].isin(terms.index) & edges["parent"].isin(terms.index)].reset_index(drop=True)
    edges["relation"] = edges["relation"].map(lambda r: _REL.get(r, r.replace(" ", "_")))
    return Ontology(terms=terms, edges=edges)


def read_org_sqlite(org_db: str | Path = DEBIAN_ORG_HS_SQLITE, *, ontology: str = "BP",
                    exclude_evidence: Sequence[str] = ()) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Direct gene → GO annotations and the gene-id table from Bioconductor's ``org.Hs.eg.sqlite``.

    Returns ``(annotations, gene_ids)``: ``annotations`` has ``gene`` (Entrez id, str), ``go_id``, ``evidence``;
    ``gene_ids`` has ``entrez``, ``symbol``, ``ensembl`` (one row per Ensembl id; missing as "").
    """
    ont = ontology.lower()
    org_db = Path(org_db)
    if not org_db.exists():
        raise FileNotFoundError(f"{org_db} not found: apt-get install r-bioc-org.hs.eg.db (or pass org_db=)")
    con = sqlite3.connect(f"file:{org_db}?mode=ro", uri=True)
    try:
        ann = pd.read_sql_query(
            f"SELECT g.gene_id AS gene, a.go_id AS go_id, a.evidence AS evidence "
            f"FROM go_{ont} a JOIN genes g ON a._id = g._id", con)
        ids = pd.read_sql_query(
            "SELECT g.gene_id AS entrez, i.symbol AS symbol, e.ensembl_id AS ensembl FROM genes g "
            "LEFT JOIN gene_info i ON g._id = i._id LEFT JOIN ensembl e ON g._id = e._id", con)
    finally:
        con.close()
    if exclude_evidence:
        ann = ann[~ann["evidence"].isin(list(exclude_evidence))]
    ids = ids.fillna("").astype(str)
    return ann.reset_index(drop=True), ids


# --------------------------------------------------------------------------------------------- gene ids
def harmonize_gene_ids(names: Sequence[str], gene_ids: pd.DataFrame, *, to: str = "entrez") -> pd.Series:
    """Map symbols, Entrez ids or Ensembl ids (with or without a ``.version`` suffix) to ``to``.

    ``gene_ids`` has columns ``entrez``, ``symbol``, ``ensembl``. Matching tries, in order, the exact id, the
    Ensembl id without version, and the upper-cased symbol. Returns a Series indexed by ``names`` ("" when
    unmapped).
    """
    tab = gene_ids.fillna("").astype(str)
    lookup: dict[str, str] = {}
    for col in ("ensembl", "entrez", "symbol"):  # later columns win ties only when not already present
        for key, val in zip(tab[col], tab[to], strict=False):
            if key and key not in lookup:
                lookup[key] = val
    upper = {k.upper(): v for k, v in zip(tab["symbol"], tab[to], strict=False) if k}
    out = []
    for n in map(str, names):
        v = lookup.get(n)
        if v is None and n.upper().startswith("ENS") and "." in n:
            v = lookup.get(n.split(".")[0])
        if v is None:
            v = upper.get(n.upper(), "")
        out.append(v)
    return pd.Series(out, index=pd.Index(list(map(str, names))), name=to)


# --------------------------------------------------------------------------------------------- layers
@dataclass
class GOLayers:
    """The GO architecture: genes → deepest-level terms → ... → top-level terms (ancestor-closed).

    Attributes
    ----------
    genes
        Input gene ids (Entrez or whatever the annotation uses), in column order.
    levels
        GO levels of the hidden layers, deepest first (e.g. ``[7, 6, 5, 4, 3, 2]``).
    terms
        One list of GO ids per hidden layer, in the order of ``levels``.
    edges
        ``edges[0]``: (gene index, term index) pairs of the first layer; ``edges[k]`` (k ≥ 1): (term index in
        layer k−1, term index in layer k) child → parent pairs. Each is an int64 array of shape (nnz, 2).
    names
        GO id → term name.
    gene_ids
        Optional gene-id table (``entrez``, ``symbol``, ``ensembl``) for :func:`harmonize_gene_ids`.
    """

    genes: list[str]
    levels: list[int]
    terms: list[list[str]]
    edges: list[np.ndarray]
    names: dict[str, str] = field(default_factory=dict)
    gene_ids: pd.DataFrame | None = None

    @property
    def sizes(self) -> list[int]:
        """Layer widths: number of genes, then terms per level."""
        return [len(self.genes)] + [len(t) for t in self.terms]

    def mask(self, k: int):
        """Sparse 0/1 connection matrix of layer ``k`` (scipy CSR, shape inputs × outputs)."""
        from scipy import sparse

        n_in, n_out = self.sizes[k], self.sizes[k + 1]
        e = self.edges[k]
        return sparse.csr_matrix((np.ones(len(e)), (e[:, 0], e[:, 1])), shape=(n_in, n_out))

    def term_table(self) -> pd.DataFrame:
        """All layer terms: ``go_id`` index, ``name``, ``level``, ``layer``, ``n_genes`` (propagated genes)."""
        counts = [_genes_under(self, k) for k in range(len(self.terms))]
        rows = []
        for k, (lev, ids) in enumerate(zip(self.levels, self.terms, strict=False)):
            for i, t in enumerate(ids):
                rows.append((t, self.names.get(t, ""), lev, k, int(counts[k][i])))
        return pd.DataFrame(rows, columns=["go_id", "name", "level", "layer", "n_genes"]).set_index("go_id")

    def subset(self, first_terms: Sequence[str]) -> GOLayers:
        """Restrict to the given deepest-level terms and the ancestor-closed upper layers (genes: those annotated)."""
        keep = set(first_terms)
        t0 = [t for t in self.terms[0] if t in keep]
        missing = keep - set(t0)
        if missing:
            raise ValidationError(f"terms not in the first layer: {sorted(missing)[:5]}")
        idx0 = np.array([self.terms[0].index(t) for t in t0], dtype=int)
        e0 = self.edges[0][np.isin(self.edges[0][:, 1], idx0)]
        gene_idx = np.unique(e0[:, 0])
        gmap = -np.ones(len(self.genes), dtype=int)
        gmap[gene_idx] = np.arange(len(gene_idx))
        tmap = -np.ones(len(self.terms[0]), dtype=int)
        tmap[idx0] = np.arange(len(idx0))
        edges = [np.column_stack([gmap[e0[:, 0]], tmap[e0[:, 1]]])]
        terms = [t0]
        prev_keep = idx0
        prev_map = tmap
        for k in range(1, len(self.terms)):
            e = self.edges[k][np.isin(self.edges[k][:, 0], prev_keep)]
            keep_k = np.unique(e[:, 1])
            kmap = -np.ones(len(self.terms[k]), dtype=int)
            kmap[keep_k] = np.arange(len(keep_k))
            edges.append(np.column_stack([prev_map[e[:, 0]], kmap[e[:, 1]]]))
            terms.append([self.terms[k][i] for i in keep_k])
            prev_keep, prev_map = keep_k, kmap
        allt = {t for ts in terms for t in ts}
        return GOLayers(genes=[self.genes[i] for i in gene_idx], levels=list(self.levels), terms=terms,
                        edges=edges, names={t: n for t, n in self.names.items() if t in allt},
                        gene_ids=self.gene_ids)

    def restrict_genes(self, genes: Sequence[str]) -> GOLayers:
        """Keep only the input genes in ``genes`` (in this object's order); the terms are unchanged (a term may
        be left without genes: call :meth:`subset` first to drop small terms)."""
        keep = set(map(str, genes))
        sel = np.array([g in keep for g in self.genes], dtype=bool)
        gmap = -np.ones(len(self.genes), dtype=np.int64)
        gmap[sel] = np.arange(int(sel.sum()))
        e0 = self.edges[0][sel[self.edges[0][:, 0]]]
        e0 = np.column_stack([gmap[e0[:, 0]], e0[:, 1]])
        return GOLayers(genes=[g for g, k in zip(self.genes, sel, strict=False) if k], levels=list(self.levels),
                        terms=[list(t) for t in self.terms], edges=[e0, *self.edges[1:]], names=dict(self.names),
                        gene_ids=self.gene_ids)

    # ---- (de)serialisation of the compact file
    def to_json(self, path: str | Path, *, attribution: str = GO_ATTRIBUTION, source: str = "") -> None:
        """Write the compact gzipped JSON file (the format of ``data/go_bp_human_layers.json.gz``)."""
        payload = {
            "format": "pyomics_bridge.gonet.GOLayers/1",
            "attribution": attribution,
            "source": source,
            "genes": self.genes,
            "levels": self.levels,
            "terms": self.terms,
            "edges": [e.astype(int).ravel().tolist() for e in self.edges],
            "names": self.names,
            "gene_ids": None if self.gene_ids is None else {c: self.gene_ids[c].tolist() for c in self.gene_ids},
        }
        data = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as fh:
            fh.write(data)  # mtime=0: the same layers give a byte-identical file (stable checksum)

    @classmethod
    def from_json(cls, path: str | Path) -> GOLayers:
        """Read a file written by :meth:`to_json`."""
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            d = json.load(fh)
        ids = None if d.get("gene_ids") is None else pd.DataFrame(d["gene_ids"])
        return cls(genes=d["genes"], levels=d["levels"], terms=d["terms"],
                   edges=[np.asarray(e, dtype=np.int64).reshape(-1, 2) for e in d["edges"]],
                   names=d["names"], gene_ids=ids)


def _genes_under(layers: GOLayers, k: int) -> np.ndarray:
    """Number of distinct input genes reaching each term of layer ``k``."""
    from scipy import sparse

    reach = layers.mask(0).astype(bool)
    for j in range(1, k + 1):
        reach = (reach @ layers.mask(j)).astype(bool)
    return np.asarray(sparse.csr_matrix(reach).sum(axis=0)).ravel()


def build_layers(
    ontology: Ontology,
    annotations: pd.DataFrame,
    *,
    levels: Sequence[int] = (7, 6, 5, 4, 3, 2),
    min_genes: int = 5,
    max_genes: int | None = None,
    root: str = BP_ROOT,
    relations: Sequence[str] = ("is_a",),
    propagate_relations: Sequence[str] = ALL_RELATIONS,
    genes: Sequence[str] | None = None,
    propagated: bool = False,
    gene_ids: pd.DataFrame | None = None,
) -> GOLayers:
    """Build the Deep-GONet-style layers.

    The first hidden layer holds the level-``levels[0]`` terms with between ``min_genes`` and ``max_genes``
    annotated genes after propagation (true-path rule; restricted to ``genes`` when given). Each next layer holds
    the level-``levels[k]`` ``relations``-parents of the previous layer's terms (ancestor-closed). Levels are
    shortest ``relations`` paths from ``root``, so every term has a parent one level up.

    ``annotations``: columns ``gene``, ``go_id`` (direct annotations, or already propagated with
    ``propagated=True``).
    """
    levels = [int(v) for v in levels]
    if any(b != a - 1 for a, b in zip(levels, levels[1:], strict=False)):
        raise ValidationError(f"levels must be consecutive and decreasing (e.g. [7, 6, 5]), got {levels}")
    for col in ("gene", "go_id"):
        if col not in annotations.columns:
            raise ValidationError(f"annotations has no column {col!r} (columns: {list(annotations.columns)})")
    ann = annotations[["gene", "go_id"]].astype(str)
    if genes is not None:
        ann = ann[ann["gene"].isin(set(map(str, genes)))]
    if not propagated:
        ann = ontology.propagate(ann, relations=propagate_relations)
    lev = ontology.levels(root=root, relations=relations)
    first = set(lev.index[lev == levels[0]])
    ann0 = ann[ann["go_id"].isin(first)]
    size = ann0.groupby("go_id")["gene"].nunique()
    ok = size >= min_genes
    if max_genes is not None:
        ok &= size <= max_genes
    t0 = sorted(size.index[ok])
    if not t0:
        raise ValidationError(f"no level-{levels[0]} term has between {min_genes} and {max_genes} genes")
    ann0 = ann0[ann0["go_id"].isin(set(t0))]
    gene_list = sorted(ann0["gene"].unique(), key=lambda g: (len(g), g))
    gidx = {g: i for i, g in enumerate(gene_list)}
    tidx = {t: i for i, t in enumerate(t0)}
    edges = [np.column_stack([ann0["gene"].map(gidx).to_numpy(), ann0["go_id"].map(tidx).to_numpy()]).astype(np.int64)]
    terms = [t0]
    parents = ontology._parents(relations)
    for L in levels[1:]:
        prev = terms[-1]
        pairs = [(i, p) for i, t in enumerate(prev) for p in parents.get(t, ()) if lev.get(p) == L]
        tk = sorted({p for _, p in pairs})
        kidx = {t: i for i, t in enumerate(tk)}
        edges.append(np.array([(i, kidx[p]) for i, p in pairs], dtype=np.int64).reshape(-1, 2))
        terms.append(tk)
    allt = {t for ts in terms for t in ts}
    names = {t: str(ontology.terms["name"].get(t, "")) for t in allt}
    return GOLayers(genes=gene_list, levels=levels, terms=terms, edges=edges, names=names, gene_ids=gene_ids)


def layers_from_debian(*, levels: Sequence[int] = (7, 6, 5, 4, 3, 2), min_genes: int = 5,
                       max_genes: int | None = None, exclude_evidence: Sequence[str] = (),
                       go_db: str | Path = DEBIAN_GO_SQLITE, org_db: str | Path = DEBIAN_ORG_HS_SQLITE) -> GOLayers:
    """Human BP layers (Entrez genes) straight from the Debian ``r-bioc-go.db`` / ``r-bioc-org.hs.eg.db`` SQLite."""
    ont = read_go_sqlite(go_db, ontology="BP")
    ann, ids = read_org_sqlite(org_db, ontology="BP", exclude_evidence=exclude_evidence)
    return build_layers(ont, ann, levels=levels, min_genes=min_genes, max_genes=max_genes, gene_ids=ids)


def load_bundled_layers(*, verify: bool = True) -> GOLayers:
    """The human GO-BP layers shipped in ``data/go_bp_human_layers.json.gz`` (levels 7 → 2, ≥ 5 genes per
    level-7 term, is_a levels; GO 2022-07-01, CC BY 4.0: see :data:`GO_ATTRIBUTION`), checked against
    ``data/CHECKSUMS.sha256`` when listed there (``verify=True``)."""
    from ..datasets._bundled import CHECKSUM_FILE
    from ..datasets._paths import bundled_data_dir, read_checksum_file, verify_file

    folder = Path(bundled_data_dir())
    path = folder / BUNDLED_LAYERS_FILE
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing; rebuild it with layers_from_debian(...).to_json(path)")
    sums_file = folder / CHECKSUM_FILE
    if verify and sums_file.is_file():
        sums = read_checksum_file(sums_file)
        if BUNDLED_LAYERS_FILE in sums:
            verify_file(path, sums[BUNDLED_LAYERS_FILE], hint="Reinstall pyomics_bridge or regenerate the file "
                        "(see data/README.md).")
    return GOLayers.from_json(path)
