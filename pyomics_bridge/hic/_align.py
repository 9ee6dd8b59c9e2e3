"""Superposition (Kabsch/Procrustes with optional scaling and mirror) and structure-comparison metrics."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial.distance import pdist
from scipy.stats import pearsonr, spearmanr

from .._conventions import ValidationError
from ._validate import check_structure


@dataclass
class Alignment:
    """``aligned = scale * (X - mean(X)) @ rotation + mean(Y)``; ``mirrored`` when det(rotation) = −1."""

    aligned: np.ndarray
    rotation: np.ndarray
    scale: float
    translation: np.ndarray
    rmsd: float
    mirrored: bool


def _common_rows(X, Y):
    X = check_structure(X, name="X")
    Y = check_structure(Y, name="Y")
    if X.shape != Y.shape:
        raise ValidationError(f"X and Y must have the same shape, got {X.shape} and {Y.shape}")
    ok = ~(np.isnan(X).any(axis=1) | np.isnan(Y).any(axis=1))
    if ok.sum() < 3:
        raise ValidationError(
            f"fewer than 3 beads are defined (non-NaN) in both structures (X has {int(np.isnan(X).any(axis=1).sum())}"
            f" NaN row(s), Y {int(np.isnan(Y).any(axis=1).sum())}, {int(ok.sum())} in common)"
        )
    for name, A in (("X", X), ("Y", Y)):
        if float(np.ptp(A[ok], axis=0).max()) <= 0:
            raise ValidationError(f"{name} has zero spread: its {int(ok.sum())} beads defined in both structures are "
                                  f"all at one point (a collapsed structure); nothing to compare")
    return X, Y, ok


def kabsch(X, Y, *, scale: bool = True, mirror: bool = True) -> Alignment:
    """Best superposition of X onto Y (least squares over rotations, optionally reflections and a scale).

    NaN rows (filtered beads) are ignored in the fit and stay NaN; only beads defined in both structures are used
    (at least 3). Raises ``ValidationError`` when either structure has zero spread (all beads at one point).
    """
    X, Y, ok = _common_rows(X, Y)
    mx, my = X[ok].mean(axis=0), Y[ok].mean(axis=0)
    A, B = X[ok] - mx, Y[ok] - my
    U, S, Vt = np.linalg.svd(A.T @ B)
    if not mirror and np.linalg.det(U @ Vt) < 0:
        U[:, -1] *= -1
        S = S.copy()
        S[-1] *= -1
    R = U @ Vt
    ss = float(np.sum(A * A))
    s = float(S.sum() / ss) if scale and ss > 0 else 1.0
    aligned = s * (X - mx) @ R + my
    rmsd = float(np.sqrt(np.mean(np.sum((aligned[ok] - Y[ok]) ** 2, axis=1))))
    return Alignment(aligned, R, s, my - s * mx @ R, rmsd, bool(np.linalg.det(R) < 0))


def mean_pairwise_distance(X) -> float:
    X = check_structure(X)
    ok = ~np.isnan(X).any(axis=1)
    return float(pdist(X[ok]).mean())


def rescale(X, target: float = 100.0) -> np.ndarray:
    """X scaled so that its mean pairwise distance is ``target``."""
    X = check_structure(X)
    return X * (target / mean_pairwise_distance(X))


def rmsd(X, Y, *, scale: bool = True, mirror: bool = True, reference_scale: float | None = 100.0) -> float:
    """RMSD of X superposed onto Y; Y is first rescaled to mean pairwise distance ``reference_scale``
    (Pastis-NB practice: 0 = identical, ≈ 75 = unrelated random walks)."""
    _, Y, _ = _common_rows(X, Y)
    if reference_scale is not None:
        Y = rescale(Y, reference_scale)
    return kabsch(X, Y, scale=scale, mirror=mirror).rmsd


def _pair_dists(X, Y):
    X, Y, ok = _common_rows(X, Y)
    a, b = pdist(X[ok]), pdist(Y[ok])
    for name, d in (("X", a), ("Y", b)):
        if np.ptp(d) <= 0:
            raise ValidationError(f"all pairwise distances of {name} are equal ({d[0]:.3g}); their correlation is "
                                  f"undefined")
    return a, b


def dscc(X, Y) -> float:
    """Spearman correlation of the pairwise distances of two structures (rotation/scale/mirror invariant)."""
    a, b = _pair_dists(X, Y)
    return float(spearmanr(a, b).statistic)


def dpcc(X, Y) -> float:
    """Pearson correlation of the pairwise distances."""
    a, b = _pair_dists(X, Y)
    return float(pearsonr(a, b).statistic)


def distance_count_spearman(X, counts) -> float:
    """Spearman(d_ij, c_ij) over non-zero pairs i < j (a fit-to-data check without truth: negative is good)."""
    from scipy import sparse

    X = check_structure(X)
    C = sparse.triu(sparse.csr_matrix(counts), k=1).tocoo()
    d = np.linalg.norm(X[C.row] - X[C.col], axis=1)
    ok = np.isfinite(d)
    return float(spearmanr(d[ok], C.data[ok]).statistic)


def evaluate_structure(X, truth, *, counts=None) -> dict:
    """``{"rmsd": ..., "dscc": ..., "dpcc": ...}`` (and ``"spearman_counts"`` when counts are given)."""
    out = {"rmsd": rmsd(X, truth), "dscc": dscc(X, truth), "dpcc": dpcc(X, truth)}
    if counts is not None:
        out["spearman_counts"] = distance_count_spearman(X, counts)
    return out
