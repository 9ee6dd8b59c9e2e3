"""Consensus over several initialisations: best objective plus an aligned mean with per-bead variability."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._conventions import ValidationError
from ._align import kabsch, mean_pairwise_distance, rescale


@dataclass
class Consensus:
    """``best``: the lowest-objective structure; ``mean``: average of all starts superposed onto ``best``
    (scale and mirror allowed), on the scale of ``best``; ``variability``: per-bead RMS distance of the aligned
    starts to ``mean``, in units of mean pairwise distance = 100; ``rmsd_to_best``: per start."""

    best: np.ndarray
    mean: np.ndarray
    variability: np.ndarray
    rmsd_to_best: np.ndarray
    best_index: int


def consensus_structures(structures, objectives=None) -> Consensus:
    """Align a stack of structures (k × n × 3) onto the best one and summarise them."""
    S = np.asarray(structures, dtype=np.float64)
    if S.ndim != 3 or S.shape[2] != 3 or S.shape[0] < 1:
        raise ValidationError(f"structures must have shape (n_structures, n_beads, 3), got {S.shape}")
    if objectives is None:
        best = 0
    else:
        obj = np.asarray(objectives, dtype=np.float64).ravel()
        if obj.shape[0] != S.shape[0]:
            raise ValidationError(f"objectives has length {obj.shape[0]}, expected {S.shape[0]}")
        best = int(np.nanargmin(obj))
    ref = S[best]
    factor = 100.0 / mean_pairwise_distance(ref)
    aligned = np.stack([kabsch(s, ref, scale=True, mirror=True).aligned for s in S])
    mean = aligned.mean(axis=0)
    variability = np.sqrt(np.mean(np.sum((aligned - mean) ** 2, axis=2), axis=0)) * factor
    rm = np.array([np.sqrt(np.nanmean(np.sum((a - ref) ** 2, axis=1))) * factor for a in aligned])
    return Consensus(best=ref, mean=mean, variability=variability, rmsd_to_best=rm, best_index=best)


__all__ = ["Consensus", "consensus_structures", "rescale"]
