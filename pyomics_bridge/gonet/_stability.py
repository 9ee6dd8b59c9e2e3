"""Stability of GO-term rankings across seeds or resamples: Jaccard overlap of the top-k terms and Spearman rank
correlation of the scores, averaged over all pairs of runs."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from .._conventions import ValidationError


def top_term_stability(scores, *, k: int = 10, absolute: bool = True) -> dict:
    """How reproducible a term ranking is over several runs (seeds, bootstrap resamples, subsamples).

    Parameters
    ----------
    scores
        Runs × terms: a 2-D array, a DataFrame (columns = terms) or a list of Series (aligned on their index;
        a term missing from a run scores 0).
    k
        Size of the top set compared by the Jaccard index.
    absolute
        Rank by |score| (relevance signs differ between classes and runs).

    Returns
    -------
    dict with ``jaccard`` (mean over pairs of runs of |top_a ∩ top_b| / |top_a ∪ top_b|), ``jaccard_min``,
    ``spearman`` (mean pairwise Spearman correlation of the scores over all terms), ``k``, ``n_runs``,
    ``n_terms`` and ``frequency`` (Series: share of runs in which each term is in the top k, sorted).
    """
    if isinstance(scores, (list, tuple)) and scores and isinstance(scores[0], pd.Series):
        frame = pd.concat(list(scores), axis=1).T.fillna(0.0)
    elif isinstance(scores, pd.DataFrame):
        frame = scores
    else:
        arr = np.asarray(scores, dtype=float)
        if arr.ndim != 2:
            raise ValidationError(f"scores must be a runs × terms matrix, got shape {arr.shape}")
        frame = pd.DataFrame(arr)
    a = frame.to_numpy(dtype=float)
    n_runs, n_terms = a.shape
    if n_runs < 2:
        raise ValidationError(f"scores needs at least 2 runs (rows) to measure stability, got {n_runs}")
    if not 1 <= k <= n_terms:
        raise ValidationError(f"k must be in [1, {n_terms}] (the number of terms), got {k}")
    if not np.isfinite(a).all():
        raise ValidationError("scores has non-finite values")
    if absolute:
        a = np.abs(a)
    # ties broken by column order, the same way in every run
    top = [set(np.argsort(-row, kind="stable")[:k].tolist()) for row in a]
    ranks = np.argsort(np.argsort(-a, axis=1, kind="stable"), axis=1).astype(float)
    jac, rho = [], []
    for i, j in combinations(range(n_runs), 2):
        jac.append(len(top[i] & top[j]) / len(top[i] | top[j]))
        ri, rj = ranks[i] - ranks[i].mean(), ranks[j] - ranks[j].mean()
        den = np.sqrt((ri ** 2).sum() * (rj ** 2).sum())
        rho.append(float((ri * rj).sum() / den) if den > 0 else np.nan)
    counts = np.zeros(n_terms)
    for t in top:
        counts[list(t)] += 1
    freq = pd.Series(counts / n_runs, index=frame.columns).sort_values(ascending=False)
    return {"jaccard": float(np.mean(jac)), "jaccard_min": float(np.min(jac)), "spearman": float(np.nanmean(rho)),
            "k": int(k), "n_runs": int(n_runs), "n_terms": int(n_terms), "frequency": freq[freq > 0]}
