"""Count-based sparsity (keepX/keepY): the soft-threshold of mixOmics' sPCA/sPLS/sGCCA and keep-list validation."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._conventions import ValidationError

__all__ = ["soft_threshold", "check_keep"]


def soft_threshold(a: np.ndarray, keep: int) -> np.ndarray:
    """Keep the ``keep`` largest ``|a_j|`` and shrink them by the largest dropped ``|a_j|`` (a true soft threshold).

    ``|a|`` is ranked with ties given the maximum rank; entries with rank > p − keep are selected, so a tie at the
    boundary keeps *more* than ``keep`` entries. ``λ`` is the largest ``|a_j|`` not selected; selected entries
    become ``sign(a_j)(|a_j| − λ)``, the others 0. ``keep >= p`` returns a copy unchanged. The result is *not*
    normalised.
    """
    a = np.asarray(a, dtype=np.float64)
    p = a.shape[0]
    if keep >= p:
        return a.copy()
    absa = np.abs(a)
    ranks = np.searchsorted(np.sort(absa), absa, side="right")  # rank with ties → max rank
    selected = ranks > p - keep
    if selected.all():  # cannot happen for keep < p, kept for safety
        return a.copy()
    lam = absa[~selected].max()
    return np.where(selected, np.sign(a) * (absa - lam), 0.0)


def check_keep(
    keep: int | Sequence[int] | None, n_components: int, n_features: int, *, name: str = "keepX"
) -> list[int]:
    """Validate a per-component keep list: ``None`` → all features; a scalar is repeated; each entry in [1, p].

    Raises
    ------
    ValidationError
        When the list has the wrong length, an entry is not a positive integer, or exceeds ``n_features``.
    """
    if keep is None:
        return [int(n_features)] * n_components
    if np.isscalar(keep):
        keep = [keep] * n_components
    keep = list(keep)
    if len(keep) != n_components:
        raise ValidationError(f"{name} must have one entry per component ({n_components}), got {len(keep)}: {keep}")
    out = []
    for i, k in enumerate(keep):
        if isinstance(k, bool) or not float(k).is_integer() or k < 1:
            raise ValidationError(f"{name}[{i}] must be a positive integer, got {k!r}")
        if k > n_features:
            raise ValidationError(
                f"{name}[{i}]={int(k)} is larger than the number of features ({n_features}); "
                f"use at most {n_features}"
            )
        out.append(int(k))
    return out
