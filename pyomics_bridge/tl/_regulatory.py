"""AnnData driver for the TFscope-like analysis: obs = sequences (codes in ``.obsm`` or strings in ``.obs``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from anndata import AnnData

from .._conventions import ValidationError, check_data, finish, get_obs_vector, working_object, write_results


def _resolve_motif(adata, motif, what):
    from ..regulatory._io import Motif

    if isinstance(motif, str):
        motifs = adata.uns.get("motifs", {})
        if motif not in motifs:
            raise ValidationError(f"{what}={motif!r} not in adata.uns['motifs'] (available: {list(motifs)[:10]})")
        return Motif(name=motif, matrix=np.asarray(motifs[motif], dtype=float), kind="probabilities", nsites=20)
    return motif


def tfscope(
    adata: AnnData,
    *,
    core_motif,
    cofactor_motifs=None,
    label_key: str = "label",
    codes_key: str | None = "codes",
    sequence_key: str | None = None,
    search: int = 50,
    width: int | None = 1000,
    pvalue: float | None = 1e-3,
    flank: int = 5,
    families=("core", "environment", "cofactor"),
    env_k=(1, 2, 3),
    env_bins=(50, 100, 250),
    env_span: int | None = None,
    env_search: bool = False,
    cofactor_windows=(50, 150, 500),
    test_size: float = 0.2,
    test_chromosomes=None,
    chromosome_key: str | None = None,
    cv: int = 5,
    Cs=None,
    select: str = "1se",
    predict_select: str | None = "best",
    guard: bool = True,
    stability: int = 50,
    combine: str = "stack",
    random_state: int | None = 0,
    n_jobs: int | None = None,
    key_added: str = "tfscope",
    copy: bool = False,
) -> AnnData | None:
    """TFscope-like analysis of what separates two classes of TF-bound sequences (one sequence per obs).

    Parameters
    ----------
    adata
        Sequences × anything; codes in ``.obsm[codes_key]`` (int8, A/C/G/T/N = 0..4) or strings in
        ``.obs[sequence_key]``; two classes in ``.obs[label_key]``.
    core_motif
        Target TF motif: a :class:`~pyomics_bridge.regulatory.Motif`, a matrix, or a key of ``adata.uns["motifs"]``;
        ``None`` for the anchoring-free mode (no core family; e.g. peaks of two different TFs).
    cofactor_motifs
        Co-factor motifs (list of Motif/keys, or dict label -> matrix); ``None`` uses every other motif of
        ``adata.uns["motifs"]`` when it exists, else all JASPAR2024 CORE vertebrate motifs (needs pyjaspar;
        cached on disk); ``"jaspar"`` forces the JASPAR collection.
    label_key
        ``.obs`` column with the two classes (1 / second sorted level = class "A").
    codes_key, sequence_key
        Where the sequences are (``sequence_key`` wins when given).
    search, width, pvalue
        Anchoring on the best core hit within ``+-search`` bp of the centre at p-value ``pvalue``; the
        ``width``-bp window centred on it is kept (default 1 kb; ``None``: the input length, e.g. 200-bp peaks).
    flank
        Core family flank (bp each side).
    families
        Feature families to use.
    env_k, env_bins, env_span, env_search
        Environment family (k-mer sizes, bin sizes, half-span; add the supervised region search).
    cofactor_windows
        Co-factor half-windows (bp).
    test_size, cv, Cs, select, guard, stability
        Held-out fraction, CV folds, C grid, ``"1se"``/``"best"``, no-signal guard, stability refits.
    predict_select
        Penalty rule for the scores (AUCs): ``"best"`` (default; CV-best C, while the coefficients for
        interpretation keep the 1-SE ``select``), ``"1se"``, or ``None`` (same as ``select``).
    combine
        ``"stack"`` (default: per-family models weighed by a logistic model on out-of-fold family scores) or
        ``"lasso"`` (one L1-logistic model on all features) for the ``full`` and drop-family models.
    test_chromosomes, chromosome_key
        Chromosome-based split: the sequences on these chromosomes are the held-out set (instead of
        ``test_size``); chromosomes from ``.obs[chromosome_key]``, else parsed from ``chr:start-end`` obs names.
    random_state
        Seed (split, folds, subsamples); results do not depend on ``n_jobs``.
    n_jobs
        Parallel workers.
    key_added
        Key in ``.uns`` and prefix of the ``.obs`` columns.
    copy
        Return a modified copy instead of writing into ``adata``.

    Returns
    -------
    ``None`` (or the copy); sets ``.obs[f"{key_added}_kept"]`` (anchored or dropped), ``_split``
    ("train"/"test"/"dropped"), ``_strand``, ``_score`` (full-model decision value, NaN when dropped) and
    ``.uns[key_added]`` with ``auc`` (per model: test AUC/AUPRC, CV AUC and SE, C, number selected, no-signal
    flag), ``drop_family`` (delta AUC), ``features`` (per feature: family, region, k-mer/motif/base,
    coefficients, stability, per-class contributions), ``roc``, ``n_input``, ``n_dropped``, ``core_pwm``,
    ``params`` and ``versions``.
    """
    from ..regulatory._tfscope import tfscope as _tfscope

    check_data(adata)
    if sequence_key is not None:
        if sequence_key not in adata.obs:
            raise ValidationError(f"adata.obs has no column {sequence_key!r}")
        seqs = adata.obs[sequence_key].astype(str).tolist()
    else:
        if codes_key not in adata.obsm:
            raise ValidationError(f"codes_key={codes_key!r} not in adata.obsm (available: {list(adata.obsm)})")
        seqs = np.asarray(adata.obsm[codes_key])
        if seqs.dtype.kind not in "iu":
            raise ValidationError(f"adata.obsm[{codes_key!r}] must hold integer codes 0..4")
    labels = get_obs_vector(adata, label_key, kind="categorical")
    if len(labels.categories) != 2:
        raise ValidationError(f"adata.obs[{label_key!r}] must have exactly 2 classes, got {list(labels.categories)}")
    core = _resolve_motif(adata, core_motif, "core_motif")
    if (cofactor_motifs is None and "motifs" not in adata.uns) or (
            isinstance(cofactor_motifs, str) and cofactor_motifs == "jaspar"):
        from ..regulatory._jaspar import jaspar_motifs

        cofs = jaspar_motifs()
    elif cofactor_motifs is None:
        names = [k for k in adata.uns.get("motifs", {}) if not (isinstance(core_motif, str) and k == core_motif)]
        cofs = [_resolve_motif(adata, k, "cofactor_motifs") for k in names]
    elif isinstance(cofactor_motifs, dict):
        cofs = cofactor_motifs
    else:
        cofs = [_resolve_motif(adata, m, "cofactor_motifs") for m in cofactor_motifs]
    y = np.asarray(labels).astype(str)
    chroms = None
    if chromosome_key is not None:
        chroms = get_obs_vector(adata, chromosome_key, kind="categorical").astype(str)
    res = _tfscope(seqs, y, core, cofs, search=search, width=width, pvalue=pvalue, flank=flank,
                   families=families, env_k=env_k, env_bins=env_bins, env_span=env_span, env_search=env_search,
                   cofactor_windows=cofactor_windows, test_size=test_size, cv=cv, Cs=Cs, select=select, predict_select=predict_select,
                   guard=guard, stability=stability, combine=combine, random_state=random_state, n_jobs=n_jobs,
                   test_chromosomes=test_chromosomes, chromosomes=chroms,
                   names=np.asarray(adata.obs_names))
    u = res.uns["tfscope"]
    kept = u["kept"]
    n = adata.n_obs
    split = np.full(n, "dropped", dtype=object)
    split[kept] = res.obs["split"].to_numpy()
    score = np.full(n, np.nan)
    main = "score_full" if "score_full" in res.obs else f"score_{u['families'][0]}"
    score[kept] = res.obs[main].to_numpy()
    strand = np.zeros(n, dtype=int)
    strand[kept] = res.obs["anchor_strand"].to_numpy()
    features = res.var.copy()
    features["position"] = features["position"].astype(float)
    roc = {k: {"fpr": np.asarray(v["fpr"]), "tpr": np.asarray(v["tpr"])} for k, v in u["roc"].items()}
    drop = u["drop_family"] if u["drop_family"] is not None else pd.DataFrame()
    params = {"label_key": label_key, "codes_key": codes_key, "sequence_key": sequence_key, "search": search,
              "width": width, "pvalue": pvalue, "flank": flank, "families": list(families), "env_k": list(env_k),
              "env_bins": list(env_bins), "env_span": env_span, "env_search": env_search,
              "cofactor_windows": list(cofactor_windows), "test_size": test_size, "cv": cv,
              "select": select, "predict_select": predict_select, "guard": guard, "stability": stability, "combine": combine,
              "random_state": random_state,
              "test_chromosomes": None if test_chromosomes is None else list(np.atleast_1d(test_chromosomes)),
              "chromosome_key": chromosome_key,
              "core_motif": u["core_motif"]}
    target = working_object(adata, copy=copy)
    write_results(
        target,
        key_added=key_added,
        params=params,
        obs={f"{key_added}_kept": kept, f"{key_added}_split": pd.Categorical(split),
             f"{key_added}_strand": strand, f"{key_added}_score": score},
        uns={"auc": u["auc"], "drop_family": drop, "features": features, "roc": roc,
             "n_input": u["n_input"], "n_dropped": u["n_dropped"], "core_pwm": u["core_pwm"],
             "core_width": u["core_width"], "classes": np.asarray(u["classes"]),
             "families": np.asarray(u["families"]),
             "stack_weights": pd.DataFrame(
                 {m: pd.Series(v["weights"], dtype=float) for m, v in (u["stacking"] or {}).items()}
             ).T.reindex(columns=list(u["families"]))},
    )
    return finish(target, copy=copy)
