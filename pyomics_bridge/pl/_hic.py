"""Hi-C figures: contact-map heatmap, 3D structure coloured by genomic position, distance-decay curve."""

from __future__ import annotations

import numpy as np
from anndata import AnnData

from .._conventions import ValidationError, check_data, get_matrix
from ._utils import get_ax, pyplot


def _counts(adata, layer, bias_key):
    from ..hic import as_contact_matrix

    mat = as_contact_matrix(get_matrix(adata, layer=layer, allow_sparse=True))
    if bias_key is not None:
        if bias_key not in adata.obs.columns:
            raise ValidationError(f"adata.obs has no column {bias_key!r}; run pob.tl.ice first or pass bias_key=None")
        b = adata.obs[bias_key].to_numpy(dtype=float)
        inv = np.where(np.isfinite(b), 1.0 / np.where(np.isfinite(b), b, 1.0), 0.0)
        from scipy import sparse

        mat = (sparse.diags(inv) @ mat @ sparse.diags(inv)).tocsr()
    return mat


def contact_map(
    adata: AnnData,
    *,
    layer: str | None = None,
    bias_key: str | None = None,
    cmap: str = "Reds",
    ax=None,
):
    """Heatmap of the contact map on a log10(1 + count) scale (ICE-normalised when ``bias_key`` is given).

    Parameters
    ----------
    adata
        Contact map (bins × bins).
    layer
        Layer instead of ``.X``.
    bias_key
        ``.obs`` column with ICE biases (e.g. ``"ice_bias"``); filtered bins are shown empty.
    cmap
        Colour map.
    ax
        Axes to draw into.

    Returns
    -------
    The :class:`matplotlib.axes.Axes`.
    """
    check_data(adata)
    mat = _counts(adata, layer, bias_key)
    ax = get_ax(ax)
    img = ax.imshow(np.log10(1.0 + mat.toarray()), cmap=cmap, interpolation="nearest", origin="upper")
    ax.figure.colorbar(img, ax=ax, label="log10(1 + count)" + (" (ICE)" if bias_key else ""))
    ax.set_xlabel("bin")
    ax.set_ylabel("bin")
    return ax


def structure_3d(adata: AnnData, *, basis: str = "pm2", cmap: str = "viridis", ax=None):
    """3D view of an inferred structure (``.obsm[f"X_{basis}"]``), beads joined in genomic order and coloured
    by position.

    Parameters
    ----------
    adata
        Contact map on which :func:`pyomics_bridge.tl.infer_structure` was run.
    basis
        Structure key without the ``X_`` prefix (``"pm2"``, ``"mds"``, ``"true"``...).
    cmap
        Colour map for the genomic position.
    ax
        3D axes to draw into (a new one is created otherwise).

    Returns
    -------
    The (3D) :class:`matplotlib.axes.Axes`.
    """
    plt = pyplot()
    check_data(adata)
    key = basis if basis.startswith("X_") else f"X_{basis}"
    if key not in adata.obsm:
        raise ValidationError(f"adata.obsm has no {key!r} (available: {list(adata.obsm)})")
    X = np.asarray(adata.obsm[key], dtype=float)
    if ax is None:
        fig = plt.figure(figsize=(5, 5))
        ax = fig.add_subplot(projection="3d")
    ok = ~np.isnan(X).any(axis=1)
    pos = np.arange(X.shape[0])
    ax.plot(X[:, 0], X[:, 1], X[:, 2], color="0.7", lw=0.8)
    sc = ax.scatter(X[ok, 0], X[ok, 1], X[ok, 2], c=pos[ok], cmap=cmap, s=12)
    ax.figure.colorbar(sc, ax=ax, label="bin (genomic position)", shrink=0.7)
    ax.set_title(key)
    return ax


def distance_decay(adata: AnnData, *, layer: str | None = None, bias_key: str | None = None, ax=None):
    """Mean contact count against genomic distance (in bins), log–log, zeros included.

    Parameters
    ----------
    adata
        Contact map.
    layer
        Layer instead of ``.X``.
    bias_key
        ``.obs`` column with ICE biases to plot normalised counts; filtered bins are excluded.
    ax
        Axes to draw into.

    Returns
    -------
    The :class:`matplotlib.axes.Axes`.
    """
    from scipy import sparse

    check_data(adata)
    mat = _counts(adata, layer, bias_key)
    n = mat.shape[0]
    keep = np.ones(n, dtype=bool)
    if bias_key is not None:
        keep = np.isfinite(adata.obs[bias_key].to_numpy(dtype=float))
    up = sparse.triu(mat, k=1).tocoo()
    ok = keep[up.row] & keep[up.col]
    s = (up.col - up.row)[ok]
    sums = np.bincount(s, weights=up.data[ok], minlength=n)
    # number of kept pairs at each distance (zeros included)
    pairs = np.array([np.sum(keep[: n - k] & keep[k:]) for k in range(n)], dtype=float)
    dist = np.arange(1, n)
    mean = np.where(pairs[1:] > 0, sums[1:] / np.maximum(pairs[1:], 1), np.nan)
    ax = get_ax(ax)
    good = mean > 0
    ax.loglog(dist[good], mean[good], ".-", ms=3)
    ax.set_xlabel("genomic distance (bins)")
    ax.set_ylabel("mean contact count" + (" (ICE)" if bias_key else ""))
    return ax
