"""Gene-Ontology-structured neural networks for phenotype prediction (PyTorch, extra ``torch``).

- GO offline: :func:`read_go_sqlite` / :func:`read_org_sqlite` (Debian ``r-bioc-go.db`` / ``r-bioc-org.hs.eg.db``),
  :func:`read_obo` / :func:`read_gaf` (your own files), :class:`Ontology` (DAG, levels, propagation),
  :func:`build_layers` → :class:`GOLayers`, :func:`load_bundled_layers` (human BP, levels 7 → 2, shipped),
  :func:`harmonize_gene_ids` (symbols, Entrez, Ensembl with or without version);
- estimator on an annotated ontology: :class:`GONet` (fit/predict/``term_relevance`` on arrays + ``feature_names``,
  DataFrames or AnnData; :meth:`Ontology.from_edges` for any DAG, :meth:`Ontology.from_debian`,
  :meth:`Ontology.from_obo_gaf`);
- models: :class:`GONetClassifier` (``mode="hard"`` sparse GO-masked, ``"soft"`` dense + penalty on non-GO
  weights, ``"dense"`` MLP), with :meth:`~GONetClassifier.fine_tune` for transfer learning and a structure prior
  for small cohorts (``init="pca"`` via :func:`term_init_weights`, ``term_penalty`` group lasso on terms);
  :class:`GraphGONet` (hard gene → node mask, DAG propagation, per-sample top-k term selection; built-in
  explanation via ``term_relevance``); scikit-learn baselines :func:`logistic_baseline`,
  :func:`random_forest_baseline`;
- explanations: :func:`term_relevance` (LRP-ε, gradient × activation), :func:`class_relevance`,
  :func:`top_terms`, :func:`planted_recovery`; per-sample: :func:`gene_attribution` (integrated gradients,
  gradient × input), :func:`linear_gene_attribution`, :func:`aggregate_to_terms`,
  :func:`per_sample_term_precision`;
- transfer learning and stability: :func:`learning_curve` (transfer vs scratch vs baselines over target sizes,
  bootstrap intervals), :func:`top_term_stability` (Jaccard / Spearman of top terms across runs);
- simulation: :func:`simulate_go_phenotype` (planted GO terms on the real GO DAG), :func:`simulate_go_transfer`
  (source and target tasks on one simulated biology).

torch is imported only when a model is fitted or explained (``pyomics_bridge.gonet._layers``), never here.
GO data: CC BY 4.0, Gene Ontology Consortium (see :data:`GO_ATTRIBUTION`).
"""

from ._baselines import baseline_term_scores, logistic_baseline, random_forest_baseline
from ._explain import (
    class_relevance,
    gene_relevance,
    planted_recovery,
    relevance_frame,
    term_relevance,
    term_table,
    top_terms,
)
from ._gonet import GONet, layers_for_genes
from ._graphgonet import GraphGONet
from ._init import term_init_weights
from ._models import GONetClassifier
from ._ontology import (
    BP_ROOT,
    GO_ATTRIBUTION,
    GOLayers,
    Ontology,
    build_layers,
    harmonize_gene_ids,
    layers_from_debian,
    load_bundled_layers,
    read_gaf,
    read_go_sqlite,
    read_obo,
    read_org_sqlite,
)
from ._persample import aggregate_to_terms, gene_attribution, linear_gene_attribution, per_sample_term_precision
from ._simulate import GOSimulation, simulate_go_phenotype, simulate_go_transfer
from ._stability import top_term_stability
from ._transfer import LearningCurve, learning_curve

__all__ = [
    "GONet",
    "layers_for_genes",
    "GraphGONet",
    "term_init_weights",
    "BP_ROOT",
    "GO_ATTRIBUTION",
    "GOLayers",
    "GONetClassifier",
    "GOSimulation",
    "LearningCurve",
    "Ontology",
    "aggregate_to_terms",
    "baseline_term_scores",
    "build_layers",
    "class_relevance",
    "gene_attribution",
    "gene_relevance",
    "harmonize_gene_ids",
    "layers_from_debian",
    "learning_curve",
    "linear_gene_attribution",
    "load_bundled_layers",
    "logistic_baseline",
    "per_sample_term_precision",
    "planted_recovery",
    "random_forest_baseline",
    "read_gaf",
    "read_go_sqlite",
    "read_obo",
    "read_org_sqlite",
    "relevance_frame",
    "simulate_go_phenotype",
    "simulate_go_transfer",
    "term_relevance",
    "term_table",
    "top_term_stability",
    "top_terms",
]
