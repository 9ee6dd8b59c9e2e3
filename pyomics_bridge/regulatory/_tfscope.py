"""TFscope-like pipeline: anchor, orient, three feature families, L1-logistic models per family and in full.

Result: an AnnData with obs = the kept sequences (label, split, anchor hit, model scores) and var = features
(family, region, k-mer/motif/base; coefficient, selection frequency and per-class contribution per model);
``uns["tfscope"]`` holds the AUC table, drop-family table, ROC curves and the number of dropped sequences.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from anndata import AnnData
from sklearn.metrics import average_precision_score, roc_auc_score, roc_curve
from sklearn.model_selection import train_test_split

from .._parallel import root_seed_sequence
from ._features import (
    EnvironmentSearch,
    anchor_and_orient,
    cofactor_features,
    core_features,
    environment_features,
)
from ._io import Motif
from ._jaspar import jaspar_motifs
from ._model import fit_lasso_logistic
from ._pwm import log_odds
from ._sequences import encode_batch

FAMILIES = ("core", "environment", "cofactor")


def _as_pwm(m, background):
    from ._pwm import as_motif, check_finite_motif

    m = as_motif(m)  # Bio.motifs / pyjaspar objects (anything with .counts) -> Motif
    if isinstance(m, Motif):
        return m.label, log_odds(m, background=background)
    arr = check_finite_motif(m)
    if np.all(arr >= 0):
        return "motif", log_odds(arr, background=background)
    return "motif", check_finite_motif(arr)


def _centre_crop(codes, width):
    n, L = codes.shape
    if width > L:
        raise ValueError(f"width={width} exceeds the sequence length {L}")
    a = (L - width) // 2
    return codes[:, a : a + width]


def _chromosome_split(chromosomes, names, kept, test_chromosomes, yk):
    from ._realdata import chromosomes_from_names

    if chromosomes is None or (isinstance(chromosomes, str) and chromosomes == "names"):
        chrom = chromosomes_from_names(names)
    else:
        chrom = np.asarray(chromosomes, dtype=object)
    if chrom.shape[0] != kept.shape[0]:
        raise ValueError(f"chromosomes has {chrom.shape[0]} entries for {kept.shape[0]} sequences")
    chrom = chrom[kept]
    test_set = {str(c) for c in ([test_chromosomes] if isinstance(test_chromosomes, str) else test_chromosomes)}
    unknown = sorted(test_set - {str(c) for c in chrom})
    if unknown:
        avail = sorted(set(map(str, chrom)))[:30]
        raise ValueError(f"test_chromosomes {unknown} hold no (kept) sequence; available: {avail}")
    is_test = np.array([str(c) in test_set for c in chrom])
    te, tr = np.nonzero(is_test)[0], np.nonzero(~is_test)[0]
    for part, rows in (("test", te), ("training", tr)):
        if np.unique(yk[rows]).size < 2:
            raise ValueError(f"the chromosome split leaves a single class in the {part} set")
    return tr, te


def _labels(y):
    y = np.asarray(y)
    classes = np.unique(y)
    if classes.size != 2:
        raise ValueError(f"labels must have exactly 2 classes, got {classes.tolist()[:5]}")
    if set(classes.tolist()) <= {0, 1}:
        return y.astype(int), ("0", "1")
    return (y == classes[1]).astype(int), (str(classes[0]), str(classes[1]))


def tfscope(
    sequences,
    y,
    core_motif,
    cofactor_motifs=None,
    *,
    search: int = 50,
    width: int | None = 1000,
    pvalue: float | None = 1e-3,
    flank: int = 5,
    families=FAMILIES,
    env_k=(1, 2, 3),
    env_bins=(50, 100, 250),
    env_span: int | None = None,
    env_search: bool = False,
    env_search_features: int = 20,
    env_search_grow: int | None = None,
    cofactor_windows=(50, 150, 500),
    cofactor_stat: str = "max",
    background=None,
    test_size: float = 0.2,
    cv: int = 5,
    Cs=None,
    select: str = "1se",
    predict_select: str | None = "best",
    guard: bool = True,
    stability: int = 50,
    combine: str = "stack",
    random_state=0,
    n_jobs: int | None = None,
    names=None,
    chromosomes=None,
    test_chromosomes=None,
) -> AnnData:
    """Run the TFscope-like analysis of what separates two sets of TF-bound sequences.

    Parameters
    ----------
    sequences
        ``(n, L)`` int8 codes or equal-length strings (peak-summit centred).
    y
        Two classes (1 / the second sorted level = experiment 1, "class A").
    core_motif
        The target TF's :class:`Motif` (or a counts/probability matrix, or a log-odds matrix with negatives).
        ``None``: anchoring-free mode (sequences used as given, centred on the summit; no core family), e.g. to
        compare peaks of two different TFs.
    cofactor_motifs
        Co-factor motifs (Motif objects or ``{label: matrix}``); ``None`` or ``"jaspar"``: all JASPAR2024 CORE
        vertebrate motifs (:func:`jaspar_motifs`, needs pyjaspar; cached on disk); ``()`` for none.
    search, width, pvalue
        Anchoring: best hit within ``+-search`` bp of the centre with p-value <= ``pvalue``; the ``width``-bp
        window centred on that hit is kept (default 1 kb, TFscope's window; bases beyond the input are N).
        Sequences shorter than ``width`` raise an error: pass ``width=None`` to keep the input length (e.g. 200-bp
        peaks) or a smaller ``width``. Give sequences of ``width + 2 * search`` bp for windows without N.
    flank
        Core family: bases on each side of the site.
    families
        Families to build and model (the full model uses all of them).
    env_k, env_bins, env_span
        Environment family: k-mer sizes, bin sizes and half-span (bp) of the fixed multi-scale bins.
    env_search, env_search_features, env_search_grow
        Add the supervised region x k-mer search (fitted on training rows only) with this many features; k-mers
        grown greedily up to ``env_search_grow`` bases (DExTER-style; ``None``: no growth).
    cofactor_windows, cofactor_stat
        Co-factor family: half-widths around the anchor and ``"max"``/``"logsumexp"``.
    test_size, cv, Cs, select, guard, stability
        Model: held-out fraction (stratified), CV folds, C grid, ``"1se"``/``"best"``, no-signal guard and the
        number of stability-selection refits.
    predict_select
        The penalty rule of the models that produce the scores and AUCs, while ``coef_*`` (interpretation) keep
        ``select``: ``"best"`` (default) predicts with the CV-best C (denser, usually a higher AUC) and reports the
        sparse 1-SE coefficients; ``"1se"``, or ``None`` for the ``select`` model itself.
    combine
        How the ``full`` and ``drop_<family>`` models combine families: ``"stack"`` (default) weighs each
        family's own L1-logistic score by a logistic model fitted on out-of-fold family scores of the training
        rows (:func:`~pyomics_bridge.regulatory._stacking.stacked_scores`; the environment search is refitted in
        every fold); ``"lasso"``: one L1-logistic model on the concatenated features. The stacked model is linear
        in the features, so ``coef_full`` is each family coefficient times its family weight.
    random_state, n_jobs
        Seed of the split, folds and subsamples; parallel workers (results do not depend on it).
    names
        Sequence names (obs names).
    chromosomes, test_chromosomes
        Chromosome-based split: ``chromosomes`` gives each sequence's chromosome (or ``"names"`` to parse
        ``chr:start-end`` names); the sequences on ``test_chromosomes`` form the held-out set (instead of a random
        ``test_size`` split), so that no test peak shares a chromosome with a training peak.

    Returns
    -------
    AnnData: obs = kept sequences, var = features, X = raw feature values; ``uns["tfscope"]``.
    """
    codes = encode_batch(sequences)
    if width is not None and codes.shape[1] < int(width):
        raise ValueError(f"width={width}: the sequences are {codes.shape[1]} bp, shorter than the window kept around "
                         f"the anchor; pass width=None to keep the input length or a width <= {codes.shape[1]}")
    yb, class_names = _labels(y)
    if len(yb) != codes.shape[0]:
        raise ValueError(f"{codes.shape[0]} sequences but {len(yb)} labels")
    names = np.asarray([f"seq{i}" for i in range(len(yb))] if names is None else names, dtype=str)
    families = tuple(families)
    bad = [f for f in families if f not in FAMILIES]
    if bad:
        raise ValueError(f"unknown families {bad}; available: {list(FAMILIES)}")
    if core_motif is None:
        families = tuple(f for f in families if f != "core")
        if not families:
            raise ValueError("core_motif=None leaves no feature family: add 'environment' or 'cofactor'")
        core_label, core_pwm, W = "None", np.zeros((0, 4)), 0
        aligned = codes if width is None else _centre_crop(codes, int(width))
        hits = pd.DataFrame({"score": np.full(len(yb), np.nan), "position": -1, "strand": 0, "kept": True})
    else:
        core_label, core_pwm = _as_pwm(core_motif, background)
        W = core_pwm.shape[0]
        aligned, hits = anchor_and_orient(codes, core_pwm, search=search, width=width, pvalue=pvalue,
                                          background=background)
    kept = hits["kept"].to_numpy()
    yk = yb[kept]
    if min(yk.sum(), (1 - yk).sum()) < max(cv, 2):
        raise ValueError("too few anchored sequences in one class to fit the models")
    if combine not in ("stack", "lasso"):
        raise ValueError(f"combine must be 'stack' or 'lasso', got {combine!r}")
    seeds = root_seed_sequence(random_state).spawn(3)
    idx = np.arange(yk.size)
    if test_chromosomes is not None:
        tr, te = _chromosome_split(chromosomes, names, kept, test_chromosomes, yk)
    else:
        tr, te = train_test_split(idx, test_size=test_size, stratify=yk,
                                  random_state=int(seeds[0].generate_state(1)[0] % 2**31))
    blocks, vars_ = [], []
    es_kw = None
    if "core" in families:
        F, v = core_features(aligned, W, flank=flank)
        blocks.append(F)
        vars_.append(v)
    if "environment" in families:
        F, v = environment_features(aligned, k=env_k, bin_sizes=env_bins, span=env_span)
        blocks.append(F)
        vars_.append(v)
        if env_search:
            es_kw = {"span": env_span, "n_features": env_search_features, "grow_to": env_search_grow}
            es = EnvironmentSearch(span=env_span, n_features=env_search_features,
                                   grow_to=env_search_grow).fit(aligned[tr], yk[tr])
            F, v = es.transform(aligned)
            blocks.append(F)
            vars_.append(v)
    if "cofactor" in families:
        pwms = {}
        if cofactor_motifs is None or (isinstance(cofactor_motifs, str) and cofactor_motifs == "jaspar"):
            cofactor_motifs = jaspar_motifs()
        if isinstance(cofactor_motifs, dict):
            items = list(cofactor_motifs.items())
        else:
            items = [(None, m) for m in cofactor_motifs]
        for i, (lab, m) in enumerate(items):
            auto, pwm = _as_pwm(m, background)
            pwms[lab or (auto if auto != "motif" else f"motif{i + 1}")] = pwm
        if pwms:
            F, v = cofactor_features(aligned, pwms, W, windows=cofactor_windows, stat=cofactor_stat,
                                     exclude_core=W > 0, n_jobs=n_jobs)
            blocks.append(F)
            vars_.append(v)
    X = np.hstack(blocks).astype(np.float32)
    var = pd.concat(vars_)
    fam = var["family"].to_numpy()
    present = [f for f in families if (fam == f).any()]
    models = {f: fam == f for f in present}
    if len(present) > 1 and combine == "lasso":
        models["full"] = np.ones(fam.size, dtype=bool)
        for f in present:
            models[f"drop_{f}"] = fam != f
    model_seeds = seeds[1].spawn(len(models))
    rows, roc, scores, fitted = [], {}, {}, {}
    for (mname, cols), seed in zip(models.items(), model_seeds, strict=True):
        res = fit_lasso_logistic(X[tr][:, cols], yk[tr], Cs=Cs, cv=cv, select=select, guard=guard,
                                 stability=0 if mname.startswith("drop_") else stability,
                                 predict=predict_select, random_state=seed, n_jobs=n_jobs)
        s = res.decision_function(X[:, cols])
        scores[mname] = s
        fitted[mname] = res
        auc = float(roc_auc_score(yk[te], s[te]))
        fpr, tpr, _ = roc_curve(yk[te], s[te])
        roc[mname] = {"fpr": fpr, "tpr": tpr}
        rows.append({"model": mname, "test_auc": auc, "test_auprc": float(average_precision_score(yk[te], s[te])),
                     "cv_auc": res.cv_auc_mean, "cv_auc_se": res.cv_auc_se, "C": res.C, "C_predict": res.predict_C,
                     "n_features": int(cols.sum()), "n_selected": int(res.selected.size),
                     "no_signal": res.no_signal})
        if not mname.startswith("drop_"):
            coef = np.zeros(fam.size)
            coef[cols] = res.coef
            var[f"coef_{mname}"] = coef
            if res.stability is not None:
                stab = np.zeros(fam.size)
                stab[cols] = res.stability
                var[f"stability_{mname}"] = stab
            ca, cb = res.contributions(X[tr][:, cols], yk[tr])
            c1, c0 = np.zeros(fam.size), np.zeros(fam.size)
            c1[cols], c0[cols] = ca, cb
            var[f"contrib_{class_names[1]}_{mname}"] = c1
            var[f"contrib_{class_names[0]}_{mname}"] = c0
    stack_info = None
    if len(present) > 1 and combine == "stack":
        stack_info = _stack(X, var, fam, present, aligned, yk, tr, te, es_kw, scores, fitted, rows, roc,
                            class_names, Cs=Cs, cv=cv, select=select, guard=guard, seed=seeds[2], n_jobs=n_jobs)
    table = pd.DataFrame(rows).set_index("model")
    drop = None
    if "full" in table.index:
        full = table.loc["full", "test_auc"]
        drop = pd.DataFrame({"family": present,
                             "test_auc_without": [table.loc[f"drop_{f}", "test_auc"] for f in present]})
        drop["delta_auc"] = full - drop["test_auc_without"]
        drop = drop.set_index("family").sort_values("delta_auc", ascending=False)
    obs = pd.DataFrame({"label": yk, "class": np.asarray(class_names)[yk], "split": "train",
                        "anchor_position": hits["position"].to_numpy()[kept],
                        "anchor_strand": hits["strand"].to_numpy()[kept],
                        "anchor_score": hits["score"].to_numpy()[kept]}, index=names[kept])
    obs.iloc[te, obs.columns.get_loc("split")] = "test"
    for mname, s in scores.items():
        obs[f"score_{mname}"] = s
    out = AnnData(X=X, obs=obs, var=var)
    out.obsm["aligned"] = aligned
    out.uns["tfscope"] = {
        "auc": table, "drop_family": drop, "roc": roc, "n_input": int(len(yb)), "n_dropped": int((~kept).sum()),
        "kept": kept, "core_motif": core_label, "core_pwm": core_pwm, "core_width": int(W),
        "classes": list(class_names), "families": present, "combine": combine, "stacking": stack_info,
    }
    return out


def _stack(X, var, fam, present, aligned, yk, tr, te, es_kw, scores, fitted, rows, roc, class_names, *, Cs, cv,
           select, guard, seed, n_jobs):
    """Stacked ``full`` and ``drop_<family>`` models (appends rows/ROC/scores, writes ``coef_full`` etc.)."""
    from ._stacking import stacked_scores

    is_search = var.index.str.startswith("envsearch[")

    def block(f):
        cols = fam == f
        if f != "environment" or es_kw is None:
            return lambda fit_rows, rows_: X[rows_][:, cols]
        fixed = cols & ~is_search

        def build(fit_rows, rows_):
            es = EnvironmentSearch(**es_kw).fit(aligned[fit_rows], yk[fit_rows])
            return np.hstack([X[rows_][:, fixed], es.transform(aligned[rows_])[0]])
        return build

    blocks = {f: block(f) for f in present}
    fam_scores = {f: (scores[f], fitted[f].no_signal) for f in present}
    subsets = {"full": present} | {f"drop_{f}": [g for g in present if g != f] for f in present}
    # label-free families reuse the out-of-fold scores of their own CV; the searched environment is refitted per
    # fold at its chosen penalty (see _stacking)
    supervised = {"environment"} if es_kw is not None else set()
    oof = {f: fitted[f].oof for f in present if f not in supervised}
    fixed_c = {f: fitted[f].predict_C for f in present if f in supervised}
    stacked = stacked_scores(blocks, yk, tr, fam_scores, subsets=subsets, cv=cv, Cs=Cs, select=select,
                             guard=guard, random_state=seed, n_jobs=n_jobs, family_oof=oof, family_C=fixed_c)
    checked = stacked["full"][1]
    for row in rows:
        row["oof_auc"] = checked["oof_auc_all"].get(row["model"], np.nan)
    for f in present:
        if fitted[f].no_signal or checked["oof_auc_all"][f] > checked["floor"]:
            continue
        # the out-of-fold check (supervised search refitted in every fold) overrules the family's own CV, whose
        # search saw every training row: report no signal instead of a model of noise features
        scores[f] = np.zeros(yk.size)
        roc[f] = dict(zip(("fpr", "tpr"), roc_curve(yk[te], scores[f][te])[:2], strict=True))
        row = next(r for r in rows if r["model"] == f)
        row.update({"test_auc": 0.5, "test_auprc": float(yk[te].mean()), "n_selected": 0, "no_signal": True})
        cols = [c for c in var if c.endswith(f"_{f}") and c.startswith(("coef_", "stability_", "contrib_"))]
        var.loc[fam == f, cols] = 0.0
    info = {}
    for mname, fams in subsets.items():
        s, inf = stacked[mname]
        info[mname] = inf
        scores[mname] = s
        sc = s[te]
        auc = float(roc_auc_score(yk[te], sc)) if np.ptp(sc) > 0 else 0.5
        fpr, tpr, _ = roc_curve(yk[te], sc)
        roc[mname] = {"fpr": fpr, "tpr": tpr}
        w = inf["weights"]
        nsel = int(sum(fitted[f].selected.size for f in w if w[f] != 0))
        rows.append({"model": mname, "test_auc": auc,
                     "test_auprc": float(average_precision_score(yk[te], sc)), "cv_auc": np.nan,
                     "cv_auc_se": np.nan, "C": np.nan, "C_predict": np.nan, "n_features": int(sum((fam == f).sum() for f in fams)),
                     "n_selected": nsel, "no_signal": not w})
        if mname == "full":
            coef = np.zeros(fam.size)
            stab = np.zeros(fam.size)
            c1, c0 = np.zeros(fam.size), np.zeros(fam.size)
            for f in present:
                if f in w:
                    coef[fam == f] = w[f] * var.loc[fam == f, f"coef_{f}"].to_numpy() / inf["scale"][f]
                if f"stability_{f}" in var:
                    stab[fam == f] = var.loc[fam == f, f"stability_{f}"].to_numpy() * (w.get(f, 0) != 0)
                r = w.get(f, 0) / inf["scale"].get(f, 1.0)
                c1[fam == f] = r * var.loc[fam == f, f"contrib_{class_names[1]}_{f}"].to_numpy()
                c0[fam == f] = r * var.loc[fam == f, f"contrib_{class_names[0]}_{f}"].to_numpy()
            var["coef_full"] = coef
            if any(f"stability_{f}" in var for f in present):
                var["stability_full"] = stab
            var[f"contrib_{class_names[1]}_full"] = c1
            var[f"contrib_{class_names[0]}_full"] = c0
    return {k: {"weights": v["weights"], "oof_auc": v["oof_auc"]} for k, v in info.items()}
