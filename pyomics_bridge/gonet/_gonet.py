"""The ontology-first estimator :class:`GONet`: builds the GO layers from an annotated :class:`Ontology` restricted
to the genes of ``X`` (matched by name), fits a :class:`~pyomics_bridge.gonet.GONetClassifier` and explains it
with labelled term-relevance tables. No model code here: layers come from :func:`build_layers`, the network from
``GONetClassifier``, relevance from :func:`~pyomics_bridge.gonet.term_relevance`."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin

from .._conventions import ValidationError
from ._ontology import ALL_RELATIONS, BP_ROOT, GOLayers, Ontology, build_layers, harmonize_gene_ids

GO_BP_LEVELS = (7, 6, 5, 4, 3, 2)


def _as_matrix(X, feature_names=None, layer=None, *, where: str = "X"):
    """(dense float32 matrix, feature names or None, AnnData or None) from an array, a DataFrame or an AnnData."""
    from scipy import sparse

    adata = None
    if type(X).__name__ == "AnnData":
        from .._conventions import get_matrix

        if feature_names is not None:
            raise ValidationError("feature_names is for arrays; an AnnData's genes are its var_names")
        adata = X
        names = np.asarray(X.var_names.astype(str))
        M = get_matrix(X, layer=layer)
    elif isinstance(X, pd.DataFrame):
        if feature_names is not None:
            raise ValidationError("feature_names is for arrays; a DataFrame's genes are its columns")
        if layer is not None:
            raise ValidationError("layer= is only for AnnData input")
        names = np.asarray(X.columns.astype(str))
        M = X.to_numpy()
    else:
        if layer is not None:
            raise ValidationError("layer= is only for AnnData input")
        M = X
        names = None if feature_names is None else np.asarray(list(map(str, feature_names)))
    if sparse.issparse(M):
        M = M.toarray()
    try:
        M = np.asarray(M, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{where} must be numeric (samples × genes): {exc}") from exc
    if M.ndim != 2:
        raise ValidationError(f"{where} must be 2-D (samples × genes), got shape {M.shape}")
    if names is not None and len(names) != M.shape[1]:
        raise ValidationError(f"feature_names has {len(names)} names for {M.shape[1]} columns of {where}")
    finite = np.isfinite(M)
    if not finite.all():
        r, c = np.argwhere(~finite)[0]
        col = f"gene {str(names[c])!r}" if names is not None else f"column {c}"
        raise ValidationError(f"{where} has {int((~finite).sum())} non-finite value(s) (NaN or inf), e.g. row {r}, "
                              f"{col}; expected finite numbers: impute or drop them")
    if names is not None:
        dup = pd.Index(names)[pd.Index(names).duplicated()].unique().tolist()
        if dup:
            raise ValidationError(f"{where} has duplicated gene names {dup[:5]}; make them unique first")
    return M, names, adata


def _map_genes(ont: Ontology, names) -> pd.Series:
    """Feature name → annotation gene id ("" when not annotated); harmonised through ``ont.gene_ids`` if any."""
    annotated = set(ont.annotations["gene"])
    direct = pd.Series(list(names), index=pd.Index(list(names)))
    direct = direct.where(direct.isin(annotated), "")
    if ont.gene_ids is None:
        return direct
    mapped = harmonize_gene_ids(names, ont.gene_ids, to="entrez")
    return mapped.where(mapped.isin(annotated), direct)


def _default_levels(ont: Ontology, ann: pd.DataFrame, *, min_genes, max_genes, root, relations,
                    propagate_relations) -> list[int]:
    if root is None and BP_ROOT in ont.terms.index:
        return list(GO_BP_LEVELS)
    lev = ont.levels(root=root, relations=relations)
    size = ont.propagate(ann, relations=propagate_relations).groupby("go_id")["gene"].nunique()
    size = size[size >= min_genes]
    if max_genes is not None:
        size = size[size <= max_genes]
    deep = lev.reindex(size.index).dropna()
    deep = deep[deep >= 1]
    if deep.empty:
        raise ValidationError(f"no term below the root has between {min_genes} and {max_genes} genes of X; "
                              f"lower min_genes")
    return list(range(int(deep.max()), 0, -1))


def layers_for_genes(ontology: Ontology, names, *, levels=None, min_genes: int = 5, max_genes: int | None = None,
                     root=None, relations=("is_a",), propagate_relations=ALL_RELATIONS,
                     min_coverage: float = 0.2) -> tuple[GOLayers, list[str], dict]:
    """The GO layers of an annotated ``ontology`` restricted to the genes ``names`` (matched by name,
    harmonised through ``ontology.gene_ids`` when present; a gene id reached by several names uses the first).

    Returns ``(layers, columns, coverage)``: ``columns[i]`` is the name feeding ``layers.genes[i]``; coverage
    has ``n_features``, ``n_mapped``, ``fraction``, ``n_used``. ``levels=None``: GO-BP levels 7 → 2 for GO-BP,
    else from the deepest level holding a term with ≥ ``min_genes`` genes up to level 1. Raises when fewer than
    ``min_coverage`` of the names are annotated.
    """
    if not isinstance(ontology, Ontology):
        raise ValidationError(f"ontology must be a pob.gonet.Ontology (e.g. Ontology.from_edges(...)), got "
                              f"{type(ontology).__name__}")
    if ontology.annotations is None:
        raise ValidationError("ontology has no annotations: build it with Ontology.from_edges / from_debian / "
                              "from_obo_gaf or add them with ontology.with_annotations(...)")
    ontology.check_acyclic(relations=sorted(set(relations) | set(propagate_relations)))
    names = [str(n) for n in names]
    mapped = _map_genes(ontology, names)
    col_of_gene: dict[str, str] = {}
    for name, g in zip(names, mapped.to_numpy(), strict=True):
        if g and g not in col_of_gene:
            col_of_gene[g] = name
    n_mapped = int((mapped != "").sum())
    frac = n_mapped / max(len(names), 1)
    if frac < min_coverage:
        miss = [n for n, g in zip(names, mapped.to_numpy(), strict=True) if not g][:5]
        hint = " (symbols, Entrez or Ensembl ids)" if ontology.gene_ids is not None else ""
        raise ValidationError(
            f"only {n_mapped} of {len(names)} genes of X ({frac:.1%}) are annotated in the ontology "
            f"(min_coverage={min_coverage}); unmatched e.g. {miss}. Gene names must be the ontology's gene ids{hint}")
    ann = ontology.annotations[["gene", "go_id"]]
    ann = ann[ann["gene"].isin(set(col_of_gene))]
    if levels is None:
        levels = _default_levels(ontology, ann, min_genes=min_genes, max_genes=max_genes, root=root,
                                 relations=relations, propagate_relations=propagate_relations)
    layers = build_layers(ontology, ann, levels=levels, min_genes=min_genes, max_genes=max_genes, root=root,
                          relations=relations, propagate_relations=propagate_relations)
    cols = [col_of_gene[g] for g in layers.genes]
    cov = {"n_features": len(names), "n_mapped": n_mapped, "fraction": float(frac), "n_used": len(cols)}
    return layers, cols, cov


class GONet(ClassifierMixin, BaseEstimator):
    """GO-structured phenotype classifier built from an annotated ontology (scikit-learn API).

    ``fit`` restricts the ontology's annotations to the genes of ``X`` (matched by name; symbols, Entrez or
    Ensembl ids are harmonised when the ontology has a ``gene_ids`` table, as human GO from
    :meth:`Ontology.from_debian`), builds the layers (:func:`build_layers`: deepest level terms with
    ``min_genes``–``max_genes`` genes, then one layer per level up) and fits a
    :class:`~pyomics_bridge.gonet.GONetClassifier` on them.

    Parameters
    ----------
    ontology
        An :class:`Ontology` carrying annotations (:meth:`Ontology.from_edges`, :meth:`Ontology.from_debian`,
        :meth:`Ontology.from_obo_gaf`, :meth:`Ontology.with_annotations`).
    levels
        Levels of the hidden layers, deepest first, consecutive (e.g. ``[7, 6, 5, 4, 3, 2]``). ``None``: GO-BP
        levels 7 → 2 for GO-BP, else from the deepest level holding a term with ≥ ``min_genes`` genes up to 1.
    min_genes, max_genes
        Size limits (genes of ``X`` after propagation) of the deepest-level terms.
    root
        Root term(s) defining the levels; ``None``: the GO-BP root when present, else the terms without parents.
    relations, propagate_relations
        Relation types defining the levels / used for the true-path rule (see :func:`build_layers`).
    min_coverage
        Minimum share of ``X``'s genes found in the annotations; below it ``fit`` raises an error (wrong gene
        ids, wrong organism).
    mode, activation, aux_heads, aux_weight, dropout, alpha, penalty, lr, batch_size, max_epochs, weight_decay, \
patience, min_delta, monitor, validation_fraction, restore_best, class_weight, init, first_activation, \
freeze_first, term_penalty, penalty_cv, device, n_threads, verbose
        Passed to :class:`~pyomics_bridge.gonet.GONetClassifier` (same defaults).
    random_state
        Seed of the network (split, initialisation, dropout, batch order).

    Attributes
    ----------
    go_layers_ : GOLayers
        The layers built for ``X``'s genes.
    model_ : GONetClassifier
        The fitted network.
    classes_, n_features_in_, feature_names_in_
        Classes; number and names of ``X``'s columns at fit.
    input_features_ : list of str
        The columns of ``X`` feeding the network, in ``go_layers_.genes`` order.
    coverage_ : dict
        ``n_features``, ``n_mapped`` (genes of ``X`` found in the annotations), ``fraction``, ``n_used`` (genes
        under the kept terms).
    """

    def __init__(self, ontology: Ontology | None = None, *, levels=None, min_genes: int = 5,
                 max_genes: int | None = None, root=None, relations=("is_a",), propagate_relations=ALL_RELATIONS,
                 min_coverage: float = 0.2, mode: str = "hard", activation: str = "tanh", aux_heads: bool = True,
                 aux_weight: float = 0.5, dropout: float = 0.3, alpha: float = 1e-4, penalty: str = "l1",
                 lr: float = 1e-3, batch_size: int = 128, max_epochs: int = 40, weight_decay: float = 0.0,
                 patience: int | None = 10, min_delta: float = 1e-4, monitor: str = "loss",
                 validation_fraction: float = 0.15, restore_best: bool = True, class_weight: str | None = "balanced",
                 init: str = "random", first_activation: str | None = None, freeze_first: bool = False,
                 term_penalty=0.0, penalty_cv: int = 3, device: str = "auto", n_threads: int | None = None,
                 random_state=None, verbose: bool = False):
        self.ontology = ontology
        self.levels = levels
        self.min_genes = min_genes
        self.max_genes = max_genes
        self.root = root
        self.relations = relations
        self.propagate_relations = propagate_relations
        self.min_coverage = min_coverage
        self.mode = mode
        self.activation = activation
        self.aux_heads = aux_heads
        self.aux_weight = aux_weight
        self.dropout = dropout
        self.alpha = alpha
        self.penalty = penalty
        self.lr = lr
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.weight_decay = weight_decay
        self.patience = patience
        self.min_delta = min_delta
        self.monitor = monitor
        self.validation_fraction = validation_fraction
        self.restore_best = restore_best
        self.class_weight = class_weight
        self.init = init
        self.first_activation = first_activation
        self.freeze_first = freeze_first
        self.term_penalty = term_penalty
        self.penalty_cv = penalty_cv
        self.device = device
        self.n_threads = n_threads
        self.random_state = random_state
        self.verbose = verbose

    _OWN = ("ontology", "levels", "min_genes", "max_genes", "root", "relations", "propagate_relations",
            "min_coverage")

    # ------------------------------------------------------------------ layers
    def _build(self, names) -> tuple[GOLayers, list[str], dict]:
        return layers_for_genes(self.ontology, names, levels=self.levels, min_genes=self.min_genes,
                                max_genes=self.max_genes, root=self.root, relations=self.relations,
                                propagate_relations=self.propagate_relations, min_coverage=self.min_coverage)

    def _classifier(self, layers):
        from ._models import GONetClassifier

        params = {k: v for k, v in self.get_params(deep=False).items() if k not in self._OWN}
        return GONetClassifier(layers, **params)

    # ------------------------------------------------------------------ fit / predict
    def fit(self, X, y, *, feature_names=None, layer: str | None = None, X_unlabeled=None):
        """Build the layers for ``X``'s genes and fit the network.

        Parameters
        ----------
        X
            Samples × genes: an array (with ``feature_names``), a DataFrame (columns = genes) or an AnnData
            (``var_names``; ``layer=`` instead of ``.X``).
        y
            Class labels (length n_samples), or with an AnnData the name of an ``.obs`` column.
        feature_names
            Gene names of an array's columns.
        layer
            AnnData only: use ``X.layers[layer]``.
        X_unlabeled
            Optional unlabelled samples (same columns) for ``init="pca"``/``"mean"``.
        """
        M, names, adata = _as_matrix(X, feature_names, layer)
        if names is None:
            raise ValidationError("X is an array without gene names: pass feature_names= (one per column), or a "
                                  "DataFrame / AnnData")
        if adata is not None and isinstance(y, str):
            from .._conventions import get_obs_vector

            y = get_obs_vector(adata, y, kind="categorical")
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != M.shape[0]:
            raise ValidationError(f"y must have one label per sample ({M.shape[0]}), got shape {y.shape}")
        layers, cols, cov = self._build(list(names))
        pos = {n: j for j, n in enumerate(names)}
        idx = np.array([pos[c] for c in cols], dtype=int)
        Xu = None
        if X_unlabeled is not None:
            Xu = self._align(X_unlabeled, None, None, names_fit=names, idx=idx, where="X_unlabeled")
        model = self._classifier(layers).fit(M[:, idx], y, X_unlabeled=Xu)
        self.go_layers_, self.model_, self.coverage_ = layers, model, cov
        self.input_features_ = cols
        self.feature_names_in_ = np.asarray(names, dtype=object)
        self.n_features_in_ = int(M.shape[1])
        self.classes_ = model.classes_
        self._idx = idx
        return self

    def _check_fitted(self):
        if not hasattr(self, "model_"):
            raise ValidationError("this GONet is not fitted yet; call fit(X, y) first")

    def _align(self, X, feature_names=None, layer=None, *, names_fit=None, idx=None, where="X") -> np.ndarray:
        """X's columns feeding the network, found by name (arrays without names: the fit's column order)."""
        names_fit = self.feature_names_in_ if names_fit is None else names_fit
        idx = self._idx if idx is None else idx
        M, names, _ = _as_matrix(X, feature_names, layer, where=where)
        if names is None:
            if M.shape[1] != len(names_fit):
                raise ValidationError(f"{where} has {M.shape[1]} columns and no gene names; expected "
                                      f"{len(names_fit)} columns in the order of fit, or pass feature_names=")
            return M[:, idx]
        pos = {n: j for j, n in enumerate(names)}
        need = [names_fit[j] for j in idx]
        missing = [n for n in need if n not in pos]
        if missing:
            raise ValidationError(f"{where} lacks {len(missing)} gene(s) used by the model, e.g. {missing[:5]}")
        return M[:, [pos[n] for n in need]]

    def decision_function(self, X, *, feature_names=None, layer: str | None = None) -> np.ndarray:
        """Output logits (samples × classes); ``X``'s columns are re-aligned by gene name."""
        self._check_fitted()
        return self.model_.decision_function(self._align(X, feature_names, layer))

    def predict_proba(self, X, *, feature_names=None, layer: str | None = None) -> np.ndarray:
        """Class probabilities, columns in ``classes_`` order."""
        self._check_fitted()
        return self.model_.predict_proba(self._align(X, feature_names, layer))

    def predict(self, X, *, feature_names=None, layer: str | None = None) -> np.ndarray:
        """Predicted classes."""
        self._check_fitted()
        return self.model_.predict(self._align(X, feature_names, layer))

    # ------------------------------------------------------------------ explanations
    def term_relevance(self, X, y=None, *, method: str = "lrp", per_sample: bool = False, feature_names=None,
                       layer: str | None = None, eps: float = 1e-2) -> pd.DataFrame:
        """GO-term relevance (LRP-ε or gradient × activation, :func:`~pyomics_bridge.gonet.term_relevance`).

        Each sample's relevance explains the logit of its class: ``y`` when given (true classes), else the
        predicted class.

        Returns
        -------
        ``per_sample=False``: DataFrame terms × classes indexed by term id, columns ``name``, ``level``,
        ``n_genes``, ``relevance`` (mean |relevance| over the samples) and one column per class (mean signed
        relevance over the samples of that class), sorted by ``relevance`` (largest first). LRP conserves
        relevance per layer, so compare terms within a level (``df[df.level == L]``).
        ``per_sample=True``: samples × terms (columns = term ids, in ``go_layers_`` order).
        """
        from ._explain import term_relevance, term_table

        self._check_fitted()
        Xg = self._align(X, feature_names, layer)
        index = None
        if type(X).__name__ == "AnnData":
            index = X.obs_names
            if isinstance(y, str):
                from .._conventions import get_obs_vector

                y = get_obs_vector(X, y, kind="categorical")
        elif isinstance(X, pd.DataFrame):
            index = X.index
        if y is not None:
            y = np.asarray(y)
            if y.shape != (len(Xg),):
                raise ValidationError(f"y must have one label per sample ({len(Xg)}), got shape {y.shape}")
            unknown = sorted(set(y.tolist()) - set(self.classes_.tolist()), key=str)
            if unknown:
                raise ValidationError(f"y has classes unknown to the model {unknown[:5]}; classes: "
                                      f"{self.classes_.tolist()}")
            target = y
        else:
            target = self.model_.predict(Xg)
        rel = term_relevance(self.model_, Xg, method=method, target=target, eps=eps)
        frame = pd.DataFrame(np.concatenate(rel, axis=1), index=index,
                             columns=[t for ts in self.go_layers_.terms for t in ts])
        if per_sample:
            return frame
        tab = term_table(self.go_layers_)[["name", "level", "n_genes"]]
        tab["relevance"] = np.abs(frame.to_numpy()).mean(0)
        by_class = frame.groupby(np.asarray(target)).mean()
        for c in self.classes_:
            tab[str(c)] = by_class.loc[c].to_numpy() if c in by_class.index else np.nan
        return tab.sort_values("relevance", ascending=False, kind="stable")
