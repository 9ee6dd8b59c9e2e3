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
    """A GO (or any user) DAG: term table plus child → parent edges with their relation type, optionally with the
    gene → term annotations.

    Attributes
    ----------
    terms
        DataFrame indexed by term id (GO id) with columns ``name`` and ``namespace``.
    edges
        DataFrame with columns ``child``, ``parent``, ``relation`` (``is_a``, ``part_of``, ``regulates``, ...).
    annotations
        Optional direct gene → term annotations (columns ``gene``, ``go_id``, maybe ``evidence``): attached by
        :meth:`from_edges`, :meth:`from_debian`, :meth:`from_obo_gaf` or :meth:`with_annotations`, and used by
        :func:`build_layers` and :class:`~pyomics_bridge.gonet.GONet` when no annotations are passed.
    gene_ids
        Optional gene-id table (``entrez``, ``symbol``, ``ensembl``) used to harmonise feature names
        (:func:`harmonize_gene_ids`); set for human GO from org.Hs.eg.db.
    """

    terms: pd.DataFrame
    edges: pd.DataFrame
    annotations: pd.DataFrame | None = None
    gene_ids: pd.DataFrame | None = None

    def __repr__(self) -> str:
        ann = "None" if self.annotations is None else (
            f"{self.annotations['gene'].nunique()} genes x {self.annotations['go_id'].nunique()} terms")
        return (f"Ontology({len(self.terms)} terms, {len(self.edges)} edges, annotations: {ann}, "
                f"gene_ids: {'yes' if self.gene_ids is not None else 'no'})")

    # ---- constructors
    @classmethod
    def from_edges(cls, term_parents: Mapping[str, Iterable[str] | str | None],
                   gene_terms: Mapping[str, Iterable[str] | str] | pd.DataFrame,
                   names: Mapping[str, str] | None = None, *, relation: str = "is_a",
                   namespace: str = "") -> Ontology:
        """An annotated ontology from plain dictionaries (any DAG, not only GO).

        Parameters
        ----------
        term_parents
            Term id → its parent term ids (a list, one id, or ``None``/``[]`` for a root). Every parent must be a
            key too; the graph must be acyclic.
        gene_terms
            Gene → the term ids it is directly annotated to (a list or one id), or a DataFrame with columns
            ``gene`` and ``go_id``. Annotations are propagated to the ancestors by :func:`build_layers`.
        names
            Optional term id → readable name (default: the id).
        relation
            Relation type given to all edges (``"is_a"``, the one used for levels by default).
        namespace
            Value of the ``namespace`` column.

        Raises
        ------
        ValidationError
            Unknown parent ids, a cycle (naming the terms on it), genes annotated to unknown terms, duplicated
            genes (two keys with the same string form), names of unknown terms.
        """
        if not isinstance(term_parents, Mapping):
            raise ValidationError(f"term_parents must be a dict term -> parent terms, got {type(term_parents).__name__}")
        parents: dict[str, list[str]] = {}
        for t, ps in term_parents.items():
            t = str(t)
            if t in parents:
                raise ValidationError(f"term_parents has the term {t!r} twice (after conversion to str)")
            parents[t] = [] if ps is None else [str(ps)] if isinstance(ps, str) else [str(p) for p in ps]
        if not parents:
            raise ValidationError("term_parents is empty: expected at least one term")
        unknown = sorted({p for ps in parents.values() for p in ps} - set(parents))
        if unknown:
            bad = next(t for t, ps in parents.items() if set(ps) & set(unknown))
            raise ValidationError(f"term_parents: unknown parent id(s) {unknown[:5]} (e.g. parent of {bad!r}); "
                                  f"every parent must also be a key of term_parents (roots: {{'root': []}})")
        cycle = _find_cycle(parents)
        if cycle:
            raise ValidationError(f"term_parents has a cycle through term {cycle[0]!r}: "
                                  f"{' -> '.join(cycle)} (child -> parent)")
        names = {} if names is None else {str(k): str(v) for k, v in names.items()}
        extra = sorted(set(names) - set(parents))
        if extra:
            raise ValidationError(f"names has term id(s) not in term_parents: {extra[:5]}")
        terms = pd.DataFrame({"name": [names.get(t, t) for t in parents], "namespace": namespace},
                             index=pd.Index(list(parents), name="go_id"))
        edges = pd.DataFrame([(c, p, relation) for c, ps in parents.items() for p in ps],
                             columns=["child", "parent", "relation"])
        ont = cls(terms=terms, edges=edges)
        return ont.with_annotations(gene_terms)

    def with_annotations(self, annotations: Mapping[str, Iterable[str] | str] | pd.DataFrame,
                         gene_ids: pd.DataFrame | None = None) -> Ontology:
        """A copy of this ontology carrying ``annotations`` (dict gene → terms, or DataFrame ``gene``, ``go_id``)
        and optionally a ``gene_ids`` table; genes annotated to terms not in the ontology raise an error
        (drop them first, e.g. annotations of another namespace)."""
        if isinstance(annotations, pd.DataFrame):
            for col in ("gene", "go_id"):
                if col not in annotations.columns:
                    raise ValidationError(f"annotations has no column {col!r} (columns: {list(annotations.columns)})")
            ann = annotations.copy()
            ann["gene"] = ann["gene"].astype(str)
            ann["go_id"] = ann["go_id"].astype(str)
        elif isinstance(annotations, Mapping):
            rows, seen = [], {}
            for g, ts in annotations.items():
                gs = str(g)
                if gs in seen:
                    raise ValidationError(f"gene_terms has the gene {gs!r} twice ({seen[gs]!r} and {g!r})")
                seen[gs] = g
                ts = [ts] if isinstance(ts, str) else list(ts)
                rows.extend((gs, str(t)) for t in ts)
            ann = pd.DataFrame(rows, columns=["gene", "go_id"])
        else:
            raise ValidationError(f"gene_terms must be a dict gene -> terms or a DataFrame (gene, go_id), got "
                                  f"{type(annotations).__name__}")
        bad = ~ann["go_id"].isin(self.terms.index)
        if bad.any():
            ex = ann.loc[bad].iloc[0]
            raise ValidationError(f"gene_terms: {int(bad.sum())} annotation(s) to unknown term ids, e.g. gene "
                                  f"{ex['gene']!r} -> {ex['go_id']!r}; terms must be keys of the ontology")
        ann = ann.drop_duplicates(["gene", "go_id"]).reset_index(drop=True)
        out = Ontology(terms=self.terms, edges=self.edges, annotations=ann,
                       gene_ids=self.gene_ids if gene_ids is None else gene_ids)
        if hasattr(self, "_acyclic_key"):
            out._acyclic_key = self._acyclic_key
        return out

    @classmethod
    def from_debian(cls, *, ontology: str = "BP", exclude_evidence: Sequence[str] = (),
                    go_db: str | Path = DEBIAN_GO_SQLITE, org_db: str | Path = DEBIAN_ORG_HS_SQLITE) -> Ontology:
        """Human GO annotated with org.Hs.eg.db (Entrez genes, with the gene-id table), from the Debian
        ``r-bioc-go.db`` / ``r-bioc-org.hs.eg.db`` SQLite files: :func:`read_go_sqlite` + :func:`read_org_sqlite`."""
        ont = read_go_sqlite(go_db, ontology=ontology)
        ann, ids = read_org_sqlite(org_db, ontology=ontology, exclude_evidence=exclude_evidence)
        ann = ann[ann["go_id"].isin(ont.terms.index)]
        return ont.with_annotations(ann, gene_ids=ids)

    @classmethod
    def from_obo_gaf(cls, obo: str | Path, gaf: str | Path, *, namespace: str = "biological_process",
                     exclude_evidence: Sequence[str] = ("ND",), gene_column: str = "symbol") -> Ontology:
        """An annotated ontology from an OBO file and a GAF file (:func:`read_obo` + :func:`read_gaf`, aspect
        matching ``namespace``); annotations to terms outside the namespace or obsolete are dropped."""
        aspect = {"biological_process": "P", "molecular_function": "F", "cellular_component": "C"}.get(namespace)
        if aspect is None:
            raise ValidationError(f"namespace must be one of {list(_NAMESPACE.values())}, got {namespace!r}")
        ont = read_obo(obo, namespace=namespace)
        ann = read_gaf(gaf, aspect=aspect, exclude_evidence=exclude_evidence, gene_column=gene_column)
        return ont.with_annotations(ann[ann["go_id"].isin(ont.terms.index)])

    # ---- structure
    def check_acyclic(self, *, relations: Sequence[str] | None = None) -> Ontology:
        """Raise a :class:`ValidationError` naming the terms of a cycle of the ``relations`` edges (default: all
        relation types); returns ``self``. O(edges); run by the file readers, :func:`build_layers` and
        :class:`~pyomics_bridge.gonet.GONet`."""
        key = (id(self.edges), len(self.edges), None if relations is None else tuple(sorted(relations)))
        if getattr(self, "_acyclic_key", None) == key:
            return self
        rels = sorted(self.edges["relation"].unique()) if relations is None else list(relations)
        cycle = _find_cycle(self._parents(rels))
        if cycle:
            raise ValidationError(f"the ontology has a cycle through term {cycle[0]!r}: {' -> '.join(cycle)} "
                                  f"(child -> parent, relations {rels}); an ontology must be acyclic (a DAG)")
        self._acyclic_key = key
        return self

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

    def roots(self, *, relations: Sequence[str] = ("is_a",)) -> list[str]:
        """Terms without a ``relations`` parent (sorted)."""
        has_parent = set(self.edges.loc[self.edges["relation"].isin(list(relations)), "child"])
        return sorted(t for t in self.terms.index if t not in has_parent)

    def _resolve_roots(self, root, relations) -> list[str]:
        if root is None:
            return [BP_ROOT] if BP_ROOT in self.terms.index else self.roots(relations=relations)
        roots = [root] if isinstance(root, str) else [str(r) for r in root]
        children = self._children(relations)
        for r in roots:
            if r not in self.terms.index and r not in children:
                raise ValidationError(f"root term {r!r} is not in the ontology")
        return roots

    def levels(self, *, root: str | Sequence[str] | None = None, relations: Sequence[str] = ("is_a",),
               depth: bool = False) -> pd.Series:
        """Level of every term reachable from ``root`` (root = 0, as goatools).

        ``root=None``: the GO-BP root when the ontology has it, else all terms without parents (a user DAG);
        several roots all get level 0. ``depth=False`` (default, goatools "level"): shortest path from the root,
        so every level-L term has a parent at level L−1. ``depth=True``: longest path.
        """
        roots = self._resolve_roots(root, relations)
        children = self._children(relations)
        if not depth:
            lev = dict.fromkeys(roots, 0)
            queue = deque(roots)
            while queue:
                t = queue.popleft()
                for c in children.get(t, ()):
                    if c not in lev:
                        lev[c] = lev[t] + 1
                        queue.append(c)
        else:
            order = self.topological_order(root=roots, relations=relations)
            lev = dict.fromkeys(roots, 0)
            for t in order:
                for c in children.get(t, ()):
                    lev[c] = max(lev.get(c, 0), lev[t] + 1)
        return pd.Series(lev, name="level", dtype=int)

    def topological_order(self, *, root: str | Sequence[str] | None = None,
                          relations: Sequence[str] = ("is_a",)) -> list[str]:
        """Terms below ``root`` (default as in :meth:`levels`), parents before children (Kahn's algorithm)."""
        roots = self._resolve_roots(root, relations)
        children = self._children(relations)
        reach = set(roots)
        for r in roots:
            reach |= self.descendants(r, relations=relations)
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
            left = {t for t in reach if indeg[t] > 0}
            cyc = _find_cycle({t: [p for p in self._parents(relations).get(t, ()) if p in left] for t in left})
            raise ValidationError(f"the ontology has a cycle through term {cyc[0]!r}: {' -> '.join(cyc)}"
                                  if cyc else "the ontology has a cycle")
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


def _find_cycle(parents: Mapping[str, Sequence[str]]) -> list[str]:
    """A cycle of the child → parents graph as a list of terms (first repeated at the end), or ``[]``."""
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    for start in sorted(parents):
        if state.get(start):
            continue
        path, stack = [start], [iter(parents.get(start, ()))]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            elif not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(parents.get(nxt, ())))
    return []


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
    return Ontology(terms=t, edges=e.reset_index(drop=True)).check_acyclic()


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
    annotations: pd.DataFrame | None = None,
    *,
    levels: Sequence[int] = (7, 6, 5, 4, 3, 2),
    min_genes: int = 5,
    max_genes: int | None = None,
    root: str | Sequence[str] | None = None,
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
    ``propagated=True``); default: ``ontology.annotations`` (e.g. from :meth:`Ontology.from_edges`).
    ``root``: default the GO-BP root when present, else the terms without parents (a user DAG).
    ``gene_ids``: default ``ontology.gene_ids``.
    """
    if annotations is None:
        annotations = ontology.annotations
        if annotations is None:
            raise ValidationError("annotations is None and the ontology carries none: pass annotations= or build "
                                  "the ontology with Ontology.from_edges / from_debian / from_obo_gaf")
    if gene_ids is None:
        gene_ids = ontology.gene_ids
    ontology.check_acyclic(relations=sorted(set(relations) | set(propagate_relations)))
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
