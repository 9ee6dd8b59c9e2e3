"""Feature–component correlations and what mixOmics derives from them: ``plotVar`` coordinates, the ``network`` /
``cim`` similarity matrix (González et al. 2012) and ``vip``.

* **Correlation circle** (``plotVar``): ``cor(X_j, t_h)`` for the features with a non-zero loading on a shown
  component. pls/spls: Y features use the Y variates in canonical mode and the X variates otherwise; rcc uses
  ``t + u`` for both blocks (on the raw data); pca uses its variates.
* **Similarity** ``K = cor(X_sel, V_x) cor(Y_sel, V_y)ᵀ`` with the same variates; entries with ``|K| < cutoff``
  are set to 0 (``network``'s ``M``). K is invariant to component signs.
* **VIP**: ``VIP_h = √(p Σ_{l≤h} R_l w_l² / Σ_{l≤h} R_l)`` with ``R_l = Σ_k cor(Y_k, t_l)²``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._conventions import ValidationError

__all__ = ["na_cor", "correlation_circle", "similarity_matrix", "vip"]


def na_cor(A: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Pearson correlation of every column of ``A`` (NaN allowed, pairwise-complete) with every column of ``t``.

    Returns a ``A.shape[1] × t.shape[1]`` matrix; a constant column gives NaN (as R's ``cor``).
    """
    A = np.asarray(A, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    if t.ndim == 1:
        t = t[:, None]
    missing = np.isnan(A)
    with np.errstate(invalid="ignore", divide="ignore"):
        if not missing.any():
            Ac = A - A.mean(axis=0)
            tc = t - t.mean(axis=0)
            num = Ac.T @ tc
            den = np.sqrt(np.outer((Ac * Ac).sum(axis=0), (tc * tc).sum(axis=0)))
            return num / den
        obs = (~missing).astype(np.float64)
        Az = np.where(missing, 0.0, A)
        n = obs.sum(axis=0)[:, None]  # p × 1
        sa = Az.sum(axis=0)[:, None]
        saa = (Az * Az).sum(axis=0)[:, None]
        st = obs.T @ t  # p × H
        stt = obs.T @ (t * t)
        sat = Az.T @ t
        cov = sat - sa * st / n
        va = saa - sa * sa / n
        vt = stt - st * st / n
        return cov / np.sqrt(va * vt)


def _comp_index(comp: Sequence[int] | int | None, H: int) -> list[int]:
    if comp is None:
        return list(range(H))
    comps = [comp] if np.isscalar(comp) else list(comp)
    for c in comps:
        if isinstance(c, bool) or not float(c).is_integer() or not 1 <= c <= H:
            raise ValidationError(f"comp must hold component numbers between 1 and {H} (1-based), got {comp!r}")
    return [int(c) - 1 for c in comps]


def _feature_names(model, block: str, n: int) -> np.ndarray:
    if block == "X":
        names = getattr(model, "feature_names_in_", None)
    else:
        names = getattr(model, "y_names_", None)
    return np.asarray(names, dtype=object) if names is not None else np.asarray([f"{block}{j}" for j in range(n)],
                                                                                 dtype=object)


def _blocks(model, blocks):
    have = list(model.feature_correlations_)
    if blocks is None:
        return ["X"] if hasattr(model, "classes_") else have  # DA models show X only
    blocks = [blocks] if isinstance(blocks, str) else list(blocks)
    unknown = [b for b in blocks if b not in have]
    if unknown:
        raise ValidationError(f"unknown blocks {unknown}; available: {have}")
    return blocks


def correlation_circle(
    model, *, comp: Sequence[int] = (1, 2), blocks: Sequence[str] | str | None = None, cutoff: float = 0.0
) -> pd.DataFrame:
    """Coordinates of mixOmics' correlation circle (``plotVar(model, comp=comp, plot=FALSE)``).

    Parameters
    ----------
    model
        A fitted :class:`PCA`, :class:`SPCA`, :class:`PLS`, :class:`SPLS`, :class:`PLSDA`, :class:`SPLSDA` or
        :class:`RCC`.
    comp
        Two component numbers, 1-based as in mixOmics.
    blocks
        Blocks to include (default all blocks of the model: ``"X"`` only for (s)PCA and (s)PLS-DA).
    cutoff
        Keep features with ``|x| > cutoff`` or ``|y| > cutoff``.

    Returns
    -------
    DataFrame with columns ``names``, ``x``, ``y``, ``block``: features with a non-zero loading on a shown
    component, in their original order, block after block.
    """
    if not hasattr(model, "feature_correlations_"):
        raise ValidationError("model must be a fitted multi-omics estimator")
    H = model.variates_["X"].shape[1]
    idx = _comp_index(comp, H)
    if len(idx) != 2:
        raise ValidationError(f"comp must hold exactly 2 components, got {comp!r}")
    rows = []
    for b in _blocks(model, blocks):
        cor = model.feature_correlations_[b]
        load = model.loadings_[b]
        shown = np.flatnonzero((load[:, idx] != 0).any(axis=1))
        names = _feature_names(model, b, load.shape[0])
        x, y = cor[shown, idx[0]], cor[shown, idx[1]]
        keep = (np.abs(x) > cutoff) | (np.abs(y) > cutoff)
        rows.append(pd.DataFrame({"names": names[shown][keep], "x": x[keep], "y": y[keep], "block": b}))
    return pd.concat(rows, ignore_index=True)


def similarity_matrix(
    model, *, comp: Sequence[int] | None = None, cutoff: float = 0.0
) -> pd.DataFrame:
    """mixOmics' ``network(model)$M`` / ``cim`` matrix between the X and Y features of a two-block model.

    Parameters
    ----------
    model
        A fitted :class:`PLS`, :class:`SPLS`, :class:`PLSDA`/:class:`SPLSDA` (Y = the dummy columns) or
        :class:`RCC`.
    comp
        1-based component numbers (default all).
    cutoff
        Entries with ``|K| < cutoff`` are set to 0.

    Returns
    -------
    DataFrame (selected X features × selected Y features) of ``K = cor(X, V_x) cor(Y, V_y)ᵀ`` over ``comp``.
    """
    if not hasattr(model, "feature_correlations_") or "Y" not in model.feature_correlations_:
        raise ValidationError("model must be a fitted two-block estimator (PLS, SPLS, PLSDA, SPLSDA or RCC)")
    H = model.variates_["X"].shape[1]
    idx = _comp_index(comp, H)
    out = {}
    for b in ("X", "Y"):
        load = model.loadings_[b]
        sel = np.flatnonzero((load[:, idx] != 0).any(axis=1))
        names = _feature_names(model, b, load.shape[0])
        out[b] = (sel, names[sel], model.feature_correlations_[b][np.ix_(sel, idx)])
    K = out["X"][2] @ out["Y"][2].T
    K = np.where(np.abs(K) < cutoff, 0.0, K)
    return pd.DataFrame(K, index=pd.Index(out["X"][1]), columns=pd.Index(out["Y"][1]))


def vip(model) -> np.ndarray:
    """Variable importance in projection (``mixOmics::vip``) of a fitted PLS-type model: p × H (zero rows for
    unselected or removed features).

    ``VIP_h(j) = √(p Σ_{l≤h} R_l w_jl² / Σ_{l≤h} R_l)`` with ``R_l = Σ_k cor(Y_k, t_l)²`` and p the number of X
    features used in the fit.
    """
    if not hasattr(model, "_rd"):
        raise ValidationError("vip needs a fitted PLS, SPLS, PLSDA or SPLSDA model")
    W = model.loadings_["X"]
    p = int(model._kept.sum())
    rd = model._rd
    num = np.cumsum(W**2 * rd, axis=1)
    den = np.cumsum(rd)
    return np.sqrt(p * num / den)
