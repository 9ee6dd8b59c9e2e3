"""Transfer-learning protocol: learning curves over target sizes, transfer vs training from scratch vs baselines
on the same stratified subsamples, with bootstrap intervals, paired tests and top-term stability."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._conventions import ValidationError
from ._ontology import GOLayers

BUILTIN = ("scratch", "dense", "logistic", "random_forest", "term_logistic")


@dataclass
class LearningCurve:
    """Result of :func:`learning_curve`.

    Attributes
    ----------
    scores
        One row per (size, subsample, model): ``accuracy``, ``auroc`` (binary: of class 1; otherwise macro
        one-vs-rest), ``macro_f1``, ``planted_ap`` (when ``planted`` was given) and ``fit_s``.
    summary
        Per (size, model): mean accuracy / AUROC / planted AP and the bootstrap 95 % interval of the mean accuracy
        (``acc_low``, ``acc_high``) over the subsamples.
    contrasts
        Per (size, model ≠ reference): the paired accuracy difference to ``reference`` (mean, bootstrap 95 %
        interval, Wilcoxon signed-rank p-value, number of subsamples where it wins).
    stability
        Per (size, model): Jaccard overlap of the top-k deepest-level terms and Spearman correlation of the term
        scores across the subsamples (:func:`top_term_stability`).
    term_scores
        Per (size, model): the subsamples × terms score matrix (deepest level).
    """

    scores: pd.DataFrame
    summary: pd.DataFrame
    contrasts: pd.DataFrame
    stability: pd.DataFrame
    term_scores: dict


def _subsample(y: np.ndarray, n: int, rng) -> np.ndarray:
    """A stratified subsample of ``n`` indices with at least 2 samples of every class."""
    classes, inv = np.unique(y, return_inverse=True)
    if n < 2 * len(classes):
        raise ValidationError(f"size {n} is too small: at least 2 samples per class ({len(classes)} classes) needed")
    counts = np.bincount(inv)
    alloc = np.maximum(2, np.floor(n * counts / counts.sum()).astype(int))
    alloc = np.minimum(alloc, counts)
    while alloc.sum() < n:  # give the remainder to the classes furthest below their share
        gap = n * counts / counts.sum() - alloc
        gap[alloc >= counts] = -np.inf
        alloc[int(np.argmax(gap))] += 1
    while alloc.sum() > n:
        alloc[int(np.argmax(alloc))] -= 1
    idx = [rng.choice(np.flatnonzero(inv == c), size=a, replace=False) for c, a in enumerate(alloc)]
    return np.sort(np.concatenate(idx))


def _term_matrix(layers: GOLayers):
    from ._explain import _gene_to_terms

    return _gene_to_terms(layers)[0]


def _fit_one(name, spec, X, y, Xte, rng, ctx):
    """Fit model ``name`` on (X, y); return (test probabilities, classes, deepest-level term scores)."""
    from ._baselines import baseline_term_scores, logistic_baseline, random_forest_baseline
    from ._models import GONetClassifier

    seed = int(rng.integers(2**31))
    n = len(X)
    epochs = int(np.ceil(ctx["n_steps"] / np.ceil(n / ctx["batch_size"])))
    common = {"max_epochs": epochs, "batch_size": ctx["batch_size"], "validation_fraction": 0.0,
              "n_threads": ctx["n_threads"], "device": "cpu", "random_state": seed}
    Xe = Xte[:ctx["n_explain"]]
    if spec is not None:  # a pre-trained network: fine-tune a copy
        m = copy.deepcopy(spec)
        m.set_params(n_threads=ctx["n_threads"], device="cpu", batch_size=ctx["batch_size"])
        gradual = ctx["freeze_go"] == "gradual"
        m.fine_tune(X, y, lr=ctx["lr"], max_epochs=max(1, epochs // 2) if gradual else epochs,
                    freeze_go=True if gradual else bool(ctx["freeze_go"]), new_head=True,
                    validation_fraction=0.0, random_state=seed)
        if gradual:  # then unfreeze: all layers at a 10x lower learning rate, keeping the trained heads
            m.fine_tune(X, y, lr=ctx["lr"] / 10, max_epochs=max(1, epochs - epochs // 2), freeze_go=False,
                        new_head=False, validation_fraction=0.0, random_state=seed + 1)
        return m.predict_proba(Xte), m.classes_, _net_scores(m, Xe)
    if name in ("scratch", "dense"):
        m = GONetClassifier(ctx["layers"], mode="hard" if name == "scratch" else "dense",
                            lr=ctx["lr"] if name == "scratch" else 1e-3, **common).fit(X, y)
        return m.predict_proba(Xte), m.classes_, _net_scores(m, Xe)
    if name == "logistic":
        est = logistic_baseline(random_state=seed).fit(X, y)
        return est.predict_proba(Xte), est.classes_, baseline_term_scores(est, ctx["layers"])[0]
    if name == "random_forest":
        est = random_forest_baseline(n_estimators=ctx["n_trees"], random_state=seed, n_jobs=1).fit(X, y)
        return est.predict_proba(Xte), est.classes_, baseline_term_scores(est, ctx["layers"])[0]
    if name == "term_logistic":  # GO features, no deep net: mean of each term's genes, then logistic regression
        A = ctx["term_matrix"]
        est = logistic_baseline(random_state=seed).fit(np.asarray(X @ A), y)
        return (est.predict_proba(np.asarray(Xte @ A)), est.classes_,
                np.abs(np.asarray(est.coef_)).max(axis=0))
    raise ValidationError(f"unknown model {name!r}; built-in models: {list(BUILTIN)} (or a pre-trained network)")


def _net_scores(model, X) -> np.ndarray:
    from ._explain import term_relevance

    return np.abs(term_relevance(model, X, method="gradxact")[0]).mean(0)


def _task(task, rng, *, X, y, Xte, yte, models, ctx):
    from sklearn.metrics import average_precision_score, f1_score, roc_auc_score

    from .._parallel import spawn_generators

    size, rep = task
    idx = _subsample(y, size, rng)
    gens = spawn_generators(rng, len(models))
    rows, scores = [], {}
    import time

    for (name, spec), g in zip(models.items(), gens, strict=True):
        t0 = time.perf_counter()
        proba, classes, s = _fit_one(name, spec, X[idx], y[idx], Xte, g, ctx)
        secs = time.perf_counter() - t0
        pred = np.asarray(classes)[np.argmax(proba, axis=1)]
        if len(classes) == 2:
            auroc = roc_auc_score(yte == classes[1], proba[:, 1])
        else:
            auroc = roc_auc_score(yte, proba, multi_class="ovr", average="macro", labels=classes)
        row = {"size": size, "subsample": rep, "model": name, "accuracy": float(np.mean(pred == yte)),
               "auroc": float(auroc), "macro_f1": float(f1_score(yte, pred, average="macro")), "fit_s": secs}
        if ctx["planted"] is not None:
            truth = np.isin(ctx["layers"].terms[0], ctx["planted"])
            row["planted_ap"] = float(average_precision_score(truth, s))
        rows.append(row)
        scores[name] = np.asarray(s, dtype=float)
    return rows, scores


def _boot_ci(values: np.ndarray, n_boot: int, rng) -> tuple[float, float]:
    v = np.asarray(values, dtype=float)
    if len(v) < 2:
        return float("nan"), float("nan")
    means = v[rng.integers(0, len(v), size=(n_boot, len(v)))].mean(1)
    lo, hi = np.quantile(means, [0.025, 0.975])
    return float(lo), float(hi)


def learning_curve(go_layers: GOLayers, X, y, X_test, y_test, *, pretrained=None,
                   models: Sequence[str] = ("scratch", "logistic", "random_forest"),
                   sizes: Sequence[int] = (20, 50, 100, 200, 500), n_subsamples: int = 10, n_steps: int = 200,
                   batch_size: int = 128, lr: float = 3e-3, freeze_go: bool | str = True, planted=None,
                   top_k: int = 10,
                   n_explain: int = 200, n_trees: int = 500, reference: str | None = None, n_boot: int = 2000,
                   n_threads: int = 1, n_jobs: int | None = None, progress: bool | None = None,
                   random_state=0) -> LearningCurve:
    """Learning curves on a target task: transfer (fine-tuning pre-trained GO nets) vs training from scratch vs
    baselines, all on the same stratified subsamples of the target pool and scored on the same test set.

    Parameters
    ----------
    go_layers
        The architecture; the columns of ``X``/``X_test`` are ``go_layers.genes``.
    X, y
        Target pool from which the training subsamples are drawn.
    X_test, y_test
        Held-out target samples (never subsampled).
    pretrained
        A fitted :class:`GONetClassifier` (pre-trained on a source task; reported as model ``"transfer"``) or a
        dict name → fitted network. Each is copied and fine-tuned on every subsample with a new head
        (:meth:`GONetClassifier.fine_tune`, ``freeze_go`` and ``lr``).
    models
        Built-in models fitted on every subsample: ``"scratch"`` (hard GO net), ``"dense"`` (MLP of the same
        widths), ``"logistic"`` (L2, C = 0.1), ``"random_forest"`` (``n_trees`` trees), ``"term_logistic"``
        (mean expression of each deepest-level term's genes, then logistic regression: GO features without a
        deep net).
    sizes, n_subsamples
        Target training sizes, and the number of stratified subsamples per size (paired across models).
    n_steps, batch_size, lr, freeze_go
        Networks train for ``ceil(n_steps / batches per epoch)`` epochs without early stopping (a few dozen
        samples cannot spare a validation split); ``lr`` for the hard net from scratch and for fine-tuning;
        ``freeze_go=True`` fine-tunes only the heads (the GO layers keep the source representation),
        ``False`` all layers, ``"gradual"`` the heads for half the steps, then all layers at ``lr / 10``.
    planted
        Known deepest-level GO ids (synthetic data): adds ``planted_ap``, the average precision of each model's
        term scores (nets: mean |gradient × activation| over the first ``n_explain`` test samples; baselines:
        mean |coefficient| / importance over each term's genes).
    top_k
        Size of the top-term sets compared across subsamples (stability).
    reference
        The model the paired contrasts are against (default: ``"scratch"`` when fitted, else the first model).
    n_boot
        Bootstrap resamples for the 95 % intervals (percentile, resampling subsamples).
    n_threads, n_jobs, progress
        torch threads per fit; joblib workers over the (size, subsample) tasks; tqdm progress bar. Networks
        are fitted on the CPU (bit-reproducible whatever ``n_jobs``).
    random_state
        Root seed: one child seed per (size, subsample) task, so the result does not depend on ``n_jobs``.

    Returns
    -------
    :class:`LearningCurve`
    """
    from scipy.stats import wilcoxon

    from .._parallel import parallel_map, spawn_generators
    from ._models import GONetClassifier

    if not isinstance(go_layers, GOLayers):
        raise ValidationError("go_layers must be a GOLayers")
    X = np.asarray(X, dtype=np.float32)
    X_test = np.asarray(X_test, dtype=np.float32)
    y, y_test = np.asarray(y), np.asarray(y_test)
    n_genes = len(go_layers.genes)
    for name, a in (("X", X), ("X_test", X_test)):
        if a.ndim != 2 or a.shape[1] != n_genes:
            raise ValidationError(f"{name} must have shape (n_samples, {n_genes}) (columns = go_layers.genes), "
                                  f"got {a.shape}")
        if not np.isfinite(a).all():
            raise ValidationError(f"{name} has non-finite values")
    if len(y) != len(X) or len(y_test) != len(X_test):
        raise ValidationError(f"X/y or X_test/y_test are not aligned (lengths {len(X)}/{len(y)}, "
                              f"{len(X_test)}/{len(y_test)})")
    sizes = sorted(int(s) for s in sizes)
    if not sizes or sizes[-1] > len(X):
        raise ValidationError(f"sizes must be non-empty and at most len(X) = {len(X)}, got {sizes}")
    if n_subsamples < 2:
        raise ValidationError(f"n_subsamples must be >= 2, got {n_subsamples}")
    pre = {} if pretrained is None else (
        dict(pretrained) if isinstance(pretrained, Mapping) else {"transfer": pretrained})
    for name, m in pre.items():
        if not isinstance(m, GONetClassifier) or not hasattr(m, "module_"):
            raise ValidationError(f"pretrained[{name!r}] must be a fitted GONetClassifier")
        if list(m.go_layers.genes) != list(go_layers.genes):
            raise ValidationError(f"pretrained[{name!r}] was trained on other genes than go_layers.genes")
    unknown = [m for m in models if m not in BUILTIN]
    if unknown:
        raise ValidationError(f"unknown models {unknown}; built-in models: {list(BUILTIN)}")
    spec = {**pre, **dict.fromkeys(models)}
    if not spec:
        raise ValidationError("nothing to fit: give pretrained networks and/or models")
    if reference is None:
        reference = "scratch" if "scratch" in spec else next(iter(spec))
    if reference not in spec:
        raise ValidationError(f"reference {reference!r} is not among the models {list(spec)}")
    if freeze_go not in (True, False, "gradual"):
        raise ValidationError(f"freeze_go must be True, False or 'gradual', got {freeze_go!r}")
    if planted is not None:
        missing = sorted(set(planted) - set(go_layers.terms[0]))
        if missing:
            raise ValidationError(f"planted terms not in the deepest layer: {missing[:5]}")
    ctx = {"layers": go_layers, "n_steps": n_steps, "batch_size": batch_size, "lr": lr, "freeze_go": freeze_go,
           "planted": None if planted is None else list(planted), "n_explain": n_explain, "n_trees": n_trees,
           "n_threads": n_threads, "term_matrix": _term_matrix(go_layers) if "term_logistic" in spec else None}
    tasks = [(s, r) for s in sizes for r in range(n_subsamples)]
    from functools import partial

    out = parallel_map(partial(_task, X=X, y=y, Xte=X_test, yte=y_test, models=spec, ctx=ctx), tasks,
                       n_jobs=n_jobs, random_state=random_state, progress=progress, desc="learning curve")
    scores = pd.DataFrame([r for rows, _ in out for r in rows])
    term_scores = {}
    for (s, _r), (_, sc) in zip(tasks, out, strict=True):
        for name, v in sc.items():
            term_scores.setdefault((s, name), []).append(v)
    term_scores = {k: pd.DataFrame(np.vstack(v), columns=go_layers.terms[0]) for k, v in term_scores.items()}
    boot = spawn_generators(random_state, 2)[1]
    summ, contr, stab = [], [], []
    from ._stability import top_term_stability

    k = min(top_k, len(go_layers.terms[0]))
    for s in sizes:
        sub = scores[scores["size"] == s]
        ref = sub[sub["model"] == reference].set_index("subsample")["accuracy"]
        for name in spec:
            g = sub[sub["model"] == name]
            lo, hi = _boot_ci(g["accuracy"].to_numpy(), n_boot, boot)
            row = {"size": s, "model": name, "accuracy": g["accuracy"].mean(), "acc_low": lo, "acc_high": hi,
                   "auroc": g["auroc"].mean(), "macro_f1": g["macro_f1"].mean(), "fit_s": g["fit_s"].mean()}
            if "planted_ap" in g:
                row["planted_ap"] = g["planted_ap"].mean()
            summ.append(row)
            st = top_term_stability(term_scores[(s, name)], k=k)
            stab.append({"size": s, "model": name, "jaccard": st["jaccard"], "spearman": st["spearman"], "k": k})
            if name == reference:
                continue
            d = (g.set_index("subsample")["accuracy"] - ref).dropna().to_numpy()
            lo, hi = _boot_ci(d, n_boot, boot)
            p = float(wilcoxon(d).pvalue) if np.any(d != 0) else 1.0
            contr.append({"size": s, "model": name, "reference": reference, "delta_accuracy": float(d.mean()),
                          "delta_low": lo, "delta_high": hi, "wilcoxon_p": p, "wins": int((d > 0).sum()),
                          "n": int(len(d))})
    return LearningCurve(scores=scores, summary=pd.DataFrame(summ), contrasts=pd.DataFrame(contr),
                         stability=pd.DataFrame(stab), term_scores=term_scores)
