"""Structure-aware (unsupervised) initialisation of the gene → term layer of a GO network.

Each deepest-level term gets gene weights computed from its *own* genes only (sparse per term, never a dense
genes × terms matrix): the first principal component of the term's genes (``"pca"``) or their mean (``"mean"``).
Weights are scaled so that the term unit's input has unit variance on the data it was computed from, and the
bias centres it. Pure numpy; no torch.
"""

from __future__ import annotations

import numpy as np

from .._conventions import ValidationError

INITS = ("random", "pca", "mean")


def term_init_weights(X, edges, n_terms: int, *, method: str = "pca") -> tuple[np.ndarray, np.ndarray]:
    """Per-edge gene weights and per-term biases for the gene → term layer, from the data ``X``.

    Parameters
    ----------
    X
        Samples × genes (the layer's inputs; labels are not used).
    edges
        (nnz, 2) int array of (gene index, term index) pairs: the GO annotation mask.
    n_terms
        Number of terms (output units).
    method
        ``"pca"``: the loadings of the first principal component of the term's (centred) genes, signed so that
        the loadings sum to ≥ 0 (a deterministic sign; ties: the largest |loading| positive);
        ``"mean"``: equal weights (the term's mean expression).

    Returns
    -------
    weights
        (nnz,) array aligned with ``edges``: for term ``t`` with genes ``G``, ``v / sd(X[:, G] @ v)`` where ``v``
        is the unit-norm PC loading (or ``1/|G|``), so that ``X[:, G] @ w`` has unit (population) variance.
    bias
        (n_terms,) array ``-mean(X[:, G]) @ w``: the term input is centred on ``X``.
    """
    if method not in ("pca", "mean"):
        raise ValidationError(f"method must be 'pca' or 'mean', got {method!r}")
    X = np.asarray(X, dtype=float)
    edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    if X.ndim != 2 or (len(edges) and edges[:, 0].max() >= X.shape[1]):
        raise ValidationError(f"X must be samples × genes covering every edge's gene index, got shape {X.shape}")
    if len(X) < 2:
        raise ValidationError(f"X needs at least 2 samples to initialise the GO layer, got {len(X)}")
    weights = np.zeros(len(edges))
    bias = np.zeros(int(n_terms))
    mu = X.mean(0)
    Xc = X - mu
    order = np.argsort(edges[:, 1], kind="stable")
    bounds = np.searchsorted(edges[order, 1], np.arange(int(n_terms) + 1))
    for t in range(int(n_terms)):
        pos = order[bounds[t]:bounds[t + 1]]
        if not len(pos):
            continue
        genes = edges[pos, 0]
        sub = Xc[:, genes]
        if method == "mean" or len(genes) == 1:
            v = np.full(len(genes), 1.0 / len(genes))
        else:
            v = np.linalg.svd(sub, full_matrices=False)[2][0]
            s = v.sum()
            if s < 0 or (s == 0 and v[np.argmax(np.abs(v))] < 0):
                v = -v
        sd = float((sub @ v).std())
        if not sd > 1e-12:  # constant genes: fall back to unscaled equal weights
            v, sd = np.full(len(genes), 1.0 / np.sqrt(len(genes))), 1.0
        w = v / sd
        weights[pos] = w
        bias[t] = -float(mu[genes] @ w)
    return weights, bias
