"""The numbers behind DIABLO's plots: ``network``, ``circosPlot`` and ``cimDiablo`` (González et al. 2012).

For blocks b and b′, with ``V_b = cor(X_b[:, selected], T_b[:, comp])`` (raw data, the block's own variates),
the similarity between their selected features is ``K_bb′ = V_b V_b′ᵀ``: an approximation of the correlation
that is invariant to the component signs.

* :func:`block_network` gives the pairwise matrices of ``network(model, blocks=...)`` (R's ``M_<b1>_<b2>``), with
  entries below ``cutoff`` in absolute value set to 0.
* :func:`block_similarity` gives the square matrix of ``circosPlot`` over the selected features of all blocks
  (within-block parts included; the plot's ``cutoff`` only hides links, it does not change the matrix).
* :func:`cim_diablo` gives the ``cimDiablo`` heat map: the scaled selected features of every block (NaN → 0),
  clipped to [−3, 3], rows and columns ordered by complete-linkage Euclidean clustering. Branches are ordered as
  R's ``reorder(as.dendrogram(hclust), rowMeans)`` does (lighter branch first); the column means of standardised
  data are zero up to rounding, so the column order can differ from R's between machines.

Features are selected when their loading is non-zero on at least one of the components used.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._conventions import ValidationError
from ._similarity import _comp_index

__all__ = ["block_network", "block_similarity", "cim_diablo"]


def _check_model(model) -> None:
    if not hasattr(model, "block_names_") or not hasattr(model, "feature_correlations_"):
        raise ValidationError("model must be a fitted BlockPLS, BlockSPLS, BlockPLSDA or BlockSPLSDA")


def _blocks(model, blocks) -> list[str]:
    have = list(model.block_names_) + ["Y"]
    if blocks is None:
        return list(model.block_names_) if getattr(model, "_da", False) else have
    blocks = [blocks] if isinstance(blocks, str) else list(blocks)
    unknown = [b for b in blocks if b not in have]
    if unknown:
        raise ValidationError(f"unknown blocks {unknown}; available: {have}")
    return blocks


def _selected(model, b: str, idx: list[int]):
    load = model.loadings_[b]
    sel = np.flatnonzero((load[:, idx] != 0).any(axis=1))
    names = model.feature_names_in_[b]
    names = np.asarray([f"{b}_{j}" for j in range(load.shape[0])] if names is None else names, dtype=object)
    return sel, names[sel], model.feature_correlations_[b][np.ix_(sel, idx)]


def block_network(
    model, *, blocks: Sequence[str] | None = None, comp: Sequence[int] | None = None, cutoff: float = 0.0
) -> dict[tuple[str, str], pd.DataFrame]:
    """Relevance-network matrices between the selected features of every pair of blocks (``network``'s ``M``).

    Parameters
    ----------
    model
        A fitted block model.
    blocks
        Blocks to connect (default the X blocks for DA models, X blocks and ``"Y"`` otherwise).
    comp
        1-based component numbers (default all).
    cutoff
        Entries with ``|K| < cutoff`` are set to 0.

    Returns
    -------
    ``{(b1, b2): DataFrame}`` for each pair in ``blocks`` order (R's ``M_<b1>_<b2>``), rows = selected features of
    b1, columns = selected features of b2.
    """
    _check_model(model)
    idx = _comp_index(comp, model.n_components_)
    names = _blocks(model, blocks)
    parts = {b: _selected(model, b, idx) for b in names}
    out = {}
    for i, b1 in enumerate(names):
        for b2 in names[i + 1:]:
            K = parts[b1][2] @ parts[b2][2].T
            K = np.where(np.abs(K) < cutoff, 0.0, K)
            out[(b1, b2)] = pd.DataFrame(K, index=pd.Index(parts[b1][1]), columns=pd.Index(parts[b2][1]))
    return out


def block_similarity(
    model, *, blocks: Sequence[str] | None = None, comp: Sequence[int] | None = None
) -> pd.DataFrame:
    """The ``circosPlot`` similarity matrix over the selected features of ``blocks`` (default: X blocks for DA
    models, all blocks otherwise), block after block in feature order.

    Returns
    -------
    Square DataFrame with a (``block``, ``feature``) MultiIndex on both axes.
    """
    _check_model(model)
    idx = _comp_index(comp, model.n_components_)
    names = _blocks(model, blocks)
    parts = [_selected(model, b, idx) for b in names]
    V = np.vstack([p[2] for p in parts])
    index = pd.MultiIndex.from_arrays(
        [np.concatenate([[b] * len(p[1]) for b, p in zip(names, parts, strict=True)]).astype(object),
         np.concatenate([p[1] for p in parts]).astype(object)],
        names=["block", "feature"],
    )
    return pd.DataFrame(V @ V.T, index=index, columns=index.copy())


def _dendrogram_order(data: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Leaf order of complete-linkage Euclidean clustering with every merge ordered by increasing summed weight."""
    from scipy.cluster.hierarchy import linkage
    from scipy.spatial.distance import pdist

    n = data.shape[0]
    if n < 2:
        return np.arange(n)
    Z = linkage(pdist(data), method="complete")
    nodes = {i: ([i], float(weights[i])) for i in range(n)}
    for k, row in enumerate(Z):
        a, b = nodes.pop(int(row[0])), nodes.pop(int(row[1]))
        first, second = (b, a) if b[1] < a[1] else (a, b)
        nodes[n + k] = (first[0] + second[0], a[1] + b[1])
    return np.asarray(next(iter(nodes.values()))[0])


def cim_diablo(
    model, X, *, comp: Sequence[int] | None = None, trim: bool = True, cluster: bool = True
) -> pd.DataFrame:
    """The ``cimDiablo`` heat-map matrix: scaled selected features of every X block for the samples of ``X``.

    Parameters
    ----------
    model
        A fitted block model.
    X
        ``{block: n × p_b}`` (usually the training data), scaled with the model's training statistics.
    comp
        1-based component numbers whose selected features are shown (default all).
    trim
        Clip the values to [−3, 3].
    cluster
        Order rows and columns by clustering (see module docstring); otherwise samples and features keep their order.

    Returns
    -------
    DataFrame samples × (``block``, ``feature``) MultiIndex columns.
    """
    _check_model(model)
    idx = _comp_index(comp, model.n_components_)
    Xs, index = model._scaled_new({b: X[b] for b in model.block_names_ if b in X} if isinstance(X, dict) else X)
    missing = [b for b in model.block_names_ if b not in Xs]
    if missing:
        raise ValidationError(f"X lacks block(s) {missing}")
    cols, blocks_of, mats = [], [], []
    for b in model.block_names_:
        sel, names, _ = _selected(model, b, idx)
        kept_pos = np.cumsum(model._kept[b]) - 1  # position of each feature among the kept columns
        mats.append(Xs[b][:, kept_pos[sel]])
        cols.extend(names)
        blocks_of.extend([b] * len(sel))
    M = np.hstack(mats)
    if trim:
        M = np.clip(M, -3.0, 3.0)
    rows = np.arange(M.shape[0]) if index is None else np.asarray(index, dtype=object)
    columns = pd.MultiIndex.from_arrays([np.asarray(blocks_of, dtype=object), np.asarray(cols, dtype=object)],
                                        names=["block", "feature"])
    frame = pd.DataFrame(M, index=pd.Index(rows), columns=columns)
    if cluster:
        r = _dendrogram_order(M, M.mean(axis=1))
        c = _dendrogram_order(M.T, M.mean(axis=0))
        frame = frame.iloc[r, c]
    return frame

