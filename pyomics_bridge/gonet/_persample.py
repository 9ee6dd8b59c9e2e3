"""Per-sample explanation precision: post-hoc gene attributions (integrated gradients, gradient × input,
linear coefficient × input) aggregated to GO terms, and the per-sample average precision of a term ranking
against each sample's own planted (driving) terms."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._conventions import ValidationError
from ._ontology import GOLayers

GENE_METHODS = ("integrated_gradients", "gradxinput")


def gene_attribution(model, X, *, method: str = "integrated_gradients", target=None, n_steps: int = 32,
                     batch_size: int = 256) -> np.ndarray:
    """Per-sample attribution of the input genes for a fitted :class:`GONetClassifier` (any ``mode``),
    explaining the logit of ``target`` (default: the predicted class).

    ``"integrated_gradients"``: ``x · mean over α of ∂f(αx)/∂x`` (zero baseline = the mean of standardised genes,
    ``n_steps`` midpoint Riemann steps); ``"gradxinput"``: ``x · ∂f(x)/∂x``.
    Returns a samples × genes array (columns = ``model.go_layers.genes``).
    """
    if method not in GENE_METHODS:
        raise ValidationError(f"method must be one of {list(GENE_METHODS)}, got {method!r}")
    if int(n_steps) < 1:
        raise ValidationError(f"n_steps must be a positive int, got {n_steps}")
    from ._explain import _targets
    from ._models import _threads, _torch

    model._check_fitted()
    X = model._check_X(X)
    t_all = _targets(model, X, target)
    torch = _torch()
    module = model.module_.eval()
    alphas = [1.0] if method == "gradxinput" else list((np.arange(n_steps) + 0.5) / n_steps)
    out = np.zeros(X.shape, dtype=float)
    with _threads(getattr(model, "n_threads", None)):
        _attribute(module, X, t_all, alphas, batch_size, out, torch)
    return out


def _attribute(module, X, t_all, alphas, batch_size, out, torch):
    for b in range(0, len(X), batch_size):
        x = torch.as_tensor(X[b:b + batch_size])
        t = torch.as_tensor(t_all[b:b + batch_size])
        rows = torch.arange(len(x))
        grad = torch.zeros_like(x)
        for a in alphas:
            xa = (a * x).requires_grad_(True)
            g, = torch.autograd.grad(module(xa)[rows, t].sum(), xa)
            grad += g
        out[b:b + batch_size] = (x * grad / len(alphas)).numpy()


def linear_gene_attribution(estimator, X, *, target=None) -> np.ndarray:
    """Coefficient × input of a fitted linear classifier (e.g. :func:`logistic_baseline`), for the logit of
    ``target`` (default: the predicted class; binary models: the sign follows the class). samples × genes."""
    if not hasattr(estimator, "coef_") or np.asarray(estimator.coef_).ndim != 2:
        raise ValidationError("estimator must be a fitted linear classifier with coef_")
    coef = np.asarray(estimator.coef_, dtype=float)
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != coef.shape[1]:
        raise ValidationError(f"X must have shape (n_samples, {coef.shape[1]}), got {X.shape}")
    classes = np.asarray(estimator.classes_)
    t = estimator.predict(X) if target is None else np.asarray(target)
    if t.ndim == 0:
        t = np.full(len(X), t.item())
    if len(t) != len(X) or not np.isin(t, classes).all():
        raise ValidationError(f"target must hold one of the classes {classes.tolist()} per sample")
    ti = np.searchsorted(classes, t)
    if coef.shape[0] == 1:  # binary: coef_ is the logit of classes_[1]
        w = np.where(ti[:, None] == 1, coef[0][None, :], -coef[0][None, :])
    else:
        w = coef[ti]
    return X * w


def aggregate_to_terms(gene_scores, layers: GOLayers, *, how: str = "mean_abs", level: int = 0) -> np.ndarray:
    """Aggregate samples × genes attributions to samples × terms of one layer (``level`` = layer index,
    0 = deepest) over the genes under each term: ``"mean_abs"`` (mean |attribution|) or ``"mean"`` (signed)."""
    from ._explain import _gene_to_terms

    if how not in ("mean_abs", "mean"):
        raise ValidationError(f"how must be 'mean_abs' or 'mean', got {how!r}")
    G = np.asarray(gene_scores, dtype=float)
    if G.ndim != 2 or G.shape[1] != len(layers.genes):
        raise ValidationError(f"gene_scores must have shape (n_samples, {len(layers.genes)}), got {G.shape}")
    if not 0 <= level < len(layers.terms):
        raise ValidationError(f"level must be a layer index in [0, {len(layers.terms)}), got {level}")
    agg = _gene_to_terms(layers)[level]
    return np.asarray((np.abs(G) if how == "mean_abs" else G) @ agg)


def per_sample_term_precision(scores, truth: Sequence, *, terms: Sequence[str] | None = None,
                              candidates: Sequence[str] | None = None) -> pd.DataFrame:
    """Per-sample average precision of ranking each sample's true terms by |score|.

    Parameters
    ----------
    scores
        samples × terms relevance: a DataFrame with GO-id columns, or an array with ``terms`` (its column ids).
    truth
        Per sample, its relevant term (a GO id) or terms (a list of GO ids), e.g. ``GOSimulation.sample_truth``.
    candidates
        Rank only among these terms (default: all columns), e.g. only the planted terms: can the explanation tell
        which planted term drives *this* sample?

    Returns
    -------
    DataFrame (one row per sample): ``average_precision`` (ties count pessimistically within a tie, as in
    scikit-learn), ``best_rank`` (1 = a true term is the top term; ties share the worst rank), ``n_true``.
    """
    if isinstance(scores, pd.DataFrame):
        S, cols, index = scores.to_numpy(dtype=float), list(map(str, scores.columns)), scores.index
    else:
        S = np.asarray(scores, dtype=float)
        if terms is None:
            raise ValidationError("terms (the column GO ids) is required when scores is an array")
        cols, index = list(map(str, terms)), None
    if S.ndim != 2 or S.shape[1] != len(cols):
        raise ValidationError(f"scores must be samples × terms with {len(cols)} columns, got shape {S.shape}")
    if len(truth) != len(S):
        raise ValidationError(f"truth has length {len(truth)}, expected one entry per sample ({len(S)})")
    if candidates is not None:
        pos = {c: i for i, c in enumerate(cols)}
        missing = [c for c in candidates if c not in pos]
        if missing:
            raise ValidationError(f"candidates not among the score columns: {missing[:5]}")
        keep = [pos[c] for c in candidates]
        S, cols = S[:, keep], [cols[i] for i in keep]
    col_pos = {c: i for i, c in enumerate(cols)}
    A = np.abs(S)
    ap = np.empty(len(S))
    best = np.empty(len(S), dtype=int)
    n_true = np.empty(len(S), dtype=int)
    for i, tr in enumerate(truth):
        tr = [tr] if isinstance(tr, str) else list(tr)
        idx = [col_pos[t] for t in tr if t in col_pos]
        if not idx:
            raise ValidationError(f"sample {i}: none of its true terms {tr[:3]} is among the scored terms")
        a = A[i]
        at_or_above = (a[None, :] >= a[idx][:, None]).sum(1)  # rank with ties counted pessimistically
        true_at_or_above = (a[idx][None, :] >= a[idx][:, None]).sum(1)
        ap[i] = float(np.mean(true_at_or_above / at_or_above))
        best[i] = int(at_or_above.min())
        n_true[i] = len(idx)
    return pd.DataFrame({"average_precision": ap, "best_rank": best, "n_true": n_true}, index=index)
