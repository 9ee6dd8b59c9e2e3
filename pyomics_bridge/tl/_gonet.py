"""AnnData driver for GO-structured phenotype networks (:mod:`pyomics_bridge.gonet`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from anndata import AnnData

from .._conventions import (
    ValidationError,
    check_data,
    finish,
    get_matrix,
    get_obs_vector,
    working_object,
    write_results,
)


def _go_input(adata_names, layers, *, min_genes: int, min_coverage: float):
    """Map ``var_names`` to the layers' genes, keep the deepest-level terms with ≥ ``min_genes`` mapped genes."""
    from ..gonet import harmonize_gene_ids

    names = pd.Index(adata_names.astype(str))
    if layers.gene_ids is not None:
        mapped = harmonize_gene_ids(names, layers.gene_ids, to="entrez")
    else:
        mapped = pd.Series(names, index=names)
    pos = {g: i for i, g in enumerate(layers.genes)}
    col_of_gene = {}
    for j, g in enumerate(mapped.to_numpy()):
        if g in pos and g not in col_of_gene:
            col_of_gene[g] = j
    e0 = layers.edges[0]
    have = np.array([layers.genes[i] in col_of_gene for i in range(len(layers.genes))])
    n_mapped = int(sum(g in pos for g in mapped.to_numpy()))
    frac = n_mapped / max(len(names), 1)
    if frac < min_coverage:
        miss = [n for n, g in zip(names, mapped.to_numpy(), strict=True) if g not in pos][:5]
        raise ValidationError(
            f"only {n_mapped} of {len(names)} genes of adata.var_names ({frac:.1%}) are in the GO layers "
            f"(min_coverage={min_coverage}); unmatched e.g. {miss}. var_names must be symbols, Entrez or Ensembl "
            f"ids of the layers' organism")
    counts = np.bincount(e0[have[e0[:, 0]], 1], minlength=len(layers.terms[0]))
    keep = [t for t, c in zip(layers.terms[0], counts, strict=False) if c >= min_genes]
    if not keep:
        raise ValidationError(
            f"no GO term of the first layer has >= {min_genes} genes among adata.var_names "
            f"({len(col_of_gene)} of {len(names)} genes mapped to GO); var_names must be symbols, Entrez or Ensembl ids")
    sub = layers.subset(keep).restrict_genes(col_of_gene)
    cols = np.array([col_of_gene.get(g, -1) for g in sub.genes])
    return sub, cols, len(col_of_gene), frac


def gonet(
    adata: AnnData,
    *,
    groupby: str,
    model: str = "hard",
    go_layers=None,
    ontology=None,
    layer: str | None = None,
    min_genes: int = 3,
    min_coverage: float = 0.2,
    test_size: float = 0.25,
    relevance: str = "lrp",
    max_epochs: int = 40,
    lr: float = 1e-3,
    batch_size: int = 128,
    dropout: float = 0.3,
    alpha: float = 1e-4,
    aux_heads: bool = True,
    patience: int = 10,
    monitor: str = "loss",
    init: str = "random",
    first_activation: str | None = None,
    freeze_first: bool = False,
    term_penalty=0.0,
    penalty_cv: int = 3,
    validation_fraction: float = 0.15,
    n_seeds: int = 1,
    top_k: int = 10,
    device: str = "auto",
    n_threads: int | None = None,
    random_state: int | None = 0,
    key_added: str = "gonet",
    copy: bool = False,
) -> AnnData | None:
    """Train a GO-structured network to predict ``obs[groupby]`` and explain it with per-sample GO-term relevance.

    Genes are matched to GO through their ``var_names`` (symbols, Entrez ids or Ensembl ids with or without
    version); unmapped genes are left out of the GO layers. This is the AnnData driver (split, seeds, slots);
    the estimator behind it is :class:`~pyomics_bridge.gonet.GONetClassifier`, and
    :class:`~pyomics_bridge.gonet.GONet` is the scikit-learn estimator taking an annotated
    :class:`~pyomics_bridge.gonet.Ontology` (GO or any DAG from ``Ontology.from_edges``) and arrays, DataFrames
    or AnnData directly. The samples are split once (stratified) into train
    and test; the model early-stops on a validation part of the training samples.

    Parameters
    ----------
    adata
        Samples × genes (expression, ideally log-scaled and standardised).
    groupby
        ``.obs`` column with the phenotype (categorical).
    model
        ``"hard"`` (sparse GO-masked), ``"soft"`` (dense + penalty ``alpha`` on non-GO weights) or ``"dense"``
        (MLP of the same widths; terms explained through their genes), see
        :class:`pyomics_bridge.gonet.GONetClassifier`.
    go_layers
        A :class:`pyomics_bridge.gonet.GOLayers`; default: the bundled human GO-BP layers (levels 7 → 2).
    ontology
        Instead of ``go_layers``: an annotated :class:`pyomics_bridge.gonet.Ontology` (e.g.
        ``Ontology.from_edges(term_parents, gene_terms)`` or ``Ontology.from_debian()``); its layers are built for
        ``var_names`` as :class:`~pyomics_bridge.gonet.GONet` does (deepest-level terms with ≥ ``min_genes``
        genes; levels 7 → 2 for GO-BP, else every level below the root).
    layer
        Use ``adata.layers[layer]`` instead of ``.X``.
    min_genes
        Keep the deepest-level terms with at least this many genes present in ``adata``.
    min_coverage
        Minimum share of ``var_names`` found in the GO layers (or the ontology's annotations); below it a
        :class:`ValidationError` is raised (wrong gene ids or organism). The share is stored in
        ``uns[key_added]["coverage"]``.
    test_size
        Fraction of samples held out for the test accuracy (0: train on all). The split is stratified, so every
        class needs >= 2 samples (else a :class:`ValidationError` naming the classes).
    init, first_activation, freeze_first, term_penalty, penalty_cv, validation_fraction
        Passed to :class:`~pyomics_bridge.gonet.GONetClassifier`: the "structure prior" design of
        ``docs/gonet.md`` is ``init="pca", first_activation="identity", freeze_first=True, term_penalty=0.01``
        (with ``lr=1e-2``). The network's early-stopping validation split (``validation_fraction`` of the
        training samples, with ``patience``) needs >= 2 training samples per class.
    relevance
        ``"lrp"`` (LRP-ε) or ``"gradxact"`` (gradient × activation); explains each sample's true class.
    monitor
        Early-stopping criterion on the validation split: ``"loss"`` (validation cross-entropy) or
        ``"accuracy"`` (more robust for the over-parameterised ``"soft"``/``"dense"`` nets).
    max_epochs, lr, batch_size, dropout, alpha, aux_heads, patience, device, n_threads
        Passed to :class:`~pyomics_bridge.gonet.GONetClassifier`.
    n_seeds, top_k
        With ``n_seeds >= 2`` the network is also refitted with ``n_seeds - 1`` further seeds (same split) and the
        stability of the ``top_k`` deepest-level terms (by mean |relevance|) across seeds is reported
        (:func:`~pyomics_bridge.gonet.top_term_stability`); the first seed's model gives the other results.
    random_state
        Seed for the split and the network.
    key_added
        Prefix of the keys written.
    copy
        Return a modified copy instead of writing into ``adata``.

    Returns
    -------
    ``None`` (or the copy); sets ``obs[f"{key_added}_pred"]`` (predicted class), ``obs[f"{key_added}_split"]``
    (``train``/``test``), ``obsm[f"{key_added}_proba"]`` (class probabilities), ``obsm[f"{key_added}_relevance"]``
    (samples × terms, columns in ``uns[key_added]["terms"]`` order) and ``uns[key_added]`` with ``terms``
    (GO id, name, level, n_genes, mean_abs_relevance), ``class_relevance`` (classes × terms, mean signed
    relevance), ``accuracy_test``, ``accuracy_train``, ``classes``, ``history``, ``go_leakage``,
    ``n_genes_mapped``, ``coverage`` (share of ``var_names`` mapped), ``term_penalty`` (the value used, chosen
    by inner CV when a sequence was given), ``fit_seconds``, ``device``, ``params`` and ``versions``; with ``n_seeds >= 2`` also
    ``stability`` (``jaccard``, ``jaccard_min``, ``spearman``, ``k``, ``n_runs``, ``accuracy_test`` per seed)
    and the column ``top_k_frequency`` of ``terms`` (share of seeds with the term in the top ``top_k``).
    """
    from sklearn.model_selection import train_test_split

    from ..gonet import GONetClassifier, load_bundled_layers, term_relevance, term_table

    check_data(adata)
    if model not in ("hard", "soft", "dense"):
        raise ValidationError(f"model must be 'hard', 'soft' or 'dense', got {model!r}")
    if relevance not in ("lrp", "gradxact"):
        raise ValidationError(f"relevance must be 'lrp' or 'gradxact', got {relevance!r}")
    if monitor not in ("loss", "accuracy"):
        raise ValidationError(f"monitor must be 'loss' or 'accuracy', got {monitor!r}")
    if int(n_seeds) < 1 or int(top_k) < 1:
        raise ValidationError(f"n_seeds and top_k must be positive ints, got {n_seeds} and {top_k}")
    if not 0 <= test_size < 1:
        raise ValidationError(f"test_size must be in [0, 1), got {test_size}")
    y = np.asarray(get_obs_vector(adata, groupby, kind="categorical")).astype(str)
    X = np.asarray(get_matrix(adata, layer=layer), dtype=np.float32)
    if ontology is not None and go_layers is not None:
        raise ValidationError("pass go_layers or ontology, not both")
    if ontology is not None:
        from ..gonet._gonet import layers_for_genes

        var = pd.Index(adata.var_names.astype(str))
        sub, col_names, cov = layers_for_genes(ontology, var, min_genes=min_genes, min_coverage=min_coverage)
        cols, n_mapped, frac = var.get_indexer(col_names), cov["n_mapped"], cov["fraction"]
    else:
        layers = load_bundled_layers() if go_layers is None else go_layers
        sub, cols, n_mapped, frac = _go_input(adata.var_names, layers, min_genes=min_genes,
                                              min_coverage=min_coverage)
    if test_size > 0:
        from ..gonet._models import check_class_counts

        classes, counts = np.unique(y, return_counts=True)
        check_class_counts(classes, counts, need=f"the stratified train/test split of obs[{groupby!r}]",
                           escape="test_size=0")
    Xg = np.zeros((adata.n_obs, len(sub.genes)), dtype=np.float32)
    Xg[:] = X[:, cols]
    idx = np.arange(adata.n_obs)
    from .._parallel import root_seed_sequence

    seed = int(root_seed_sequence(random_state).generate_state(1)[0] % (2**31)) if random_state is not None else None
    if test_size > 0:
        tr, te = train_test_split(idx, test_size=test_size, stratify=y, random_state=seed)
    else:
        tr, te = idx, idx[:0]
    net_seeds = [random_state] if n_seeds == 1 else [
        random_state, *root_seed_sequence(random_state).spawn(int(n_seeds) - 1)]
    ests = [GONetClassifier(sub, mode=model, max_epochs=max_epochs, lr=lr, batch_size=batch_size, dropout=dropout,
                            alpha=alpha, aux_heads=aux_heads, patience=patience, monitor=monitor, device=device,
                            n_threads=n_threads, init=init, first_activation=first_activation,
                            freeze_first=freeze_first, term_penalty=term_penalty, penalty_cv=penalty_cv,
                            validation_fraction=validation_fraction,
                            random_state=s).fit(Xg[tr], y[tr]) for s in net_seeds]
    est = ests[0]
    proba = est.predict_proba(Xg)
    pred = est.classes_[proba.argmax(1)]
    known = np.isin(y, est.classes_)
    rel = term_relevance(est, Xg[known], method=relevance, target=y[known])
    rel_full = np.zeros((adata.n_obs, sum(len(t) for t in sub.terms)))
    rel_full[known] = np.concatenate(rel, axis=1)
    frame = pd.DataFrame(
        rel_full, index=adata.obs_names, columns=[t for ts in sub.terms for t in ts])
    terms = term_table(sub)
    terms["mean_abs_relevance"] = np.abs(frame.loc[known]).mean(0).to_numpy()
    stability = {}
    if n_seeds > 1:
        from ..gonet import top_term_stability

        ev = te if len(te) else tr
        ev = ev[np.isin(y[ev], est.classes_)]
        runs = [np.abs(term_relevance(e, Xg[ev], method=relevance, target=y[ev])[0]).mean(0) for e in ests]
        st = top_term_stability(pd.DataFrame(np.vstack(runs), columns=sub.terms[0]), k=min(top_k, len(sub.terms[0])))
        freq = st.pop("frequency")
        terms["top_k_frequency"] = freq.reindex(terms.index).fillna(0.0).to_numpy()
        terms.loc[terms["layer"] != 0, "top_k_frequency"] = np.nan
        stability = {"stability": {**st, "accuracy_test": np.array(
            [float(np.mean(e.predict(Xg[te]) == y[te])) if len(te) else np.nan for e in ests])}}
    cls = frame.loc[known].groupby(y[known]).mean()
    cls.index = cls.index.astype(str)
    split = np.full(adata.n_obs, "train", dtype=object)
    split[te] = "test"
    hist = pd.DataFrame(est.history_)
    hist.index = hist.index.astype(str)
    target = working_object(adata, copy=copy)
    write_results(
        target,
        key_added=key_added,
        params={"groupby": groupby, "model": model, "layer": layer, "min_genes": min_genes, "test_size": test_size,
                "relevance": relevance, "max_epochs": max_epochs, "lr": lr, "batch_size": batch_size,
                "dropout": dropout, "alpha": alpha, "aux_heads": aux_heads, "patience": patience, "monitor": monitor,
                "n_seeds": n_seeds, "top_k": top_k, "min_coverage": min_coverage, "init": init,
                "first_activation": first_activation, "freeze_first": freeze_first,
                "term_penalty": term_penalty if np.ndim(term_penalty) == 0 else np.asarray(term_penalty, float),
                "penalty_cv": penalty_cv, "validation_fraction": validation_fraction,
                "random_state": random_state,
                "go_layers": "ontology" if ontology is not None else "bundled" if go_layers is None else "user"},
        obs={f"{key_added}_pred": pd.Categorical(pred.astype(str), categories=est.classes_.astype(str)),
             f"{key_added}_split": pd.Categorical(split, categories=["train", "test"])},
        obsm={f"{key_added}_proba": proba, f"{key_added}_relevance": rel_full},
        uns={"terms": terms, "class_relevance": cls, "classes": est.classes_.astype(str),
             "accuracy_test": float(np.mean(pred[te] == y[te])) if len(te) else float("nan"),
             "accuracy_train": float(np.mean(pred[tr] == y[tr])), "history": hist,
             "go_leakage": np.asarray(est.go_leakage(), dtype=float), "n_genes_mapped": int(n_mapped),
             "coverage": float(frac), "term_penalty": float(est.term_penalty_),
             "layer_sizes": np.asarray(sub.sizes), "fit_seconds": float(est.fit_seconds_), "device": est.device_,
             **stability},
    )
    return finish(target, copy=copy)
