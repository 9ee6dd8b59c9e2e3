"""Centering and scaling of features with R's conventions (``scale()``: standard deviation with n − 1)."""

from __future__ import annotations

import numpy as np
from anndata import AnnData

from .._conventions import ValidationError, check_data, finish, get_matrix, working_object


def scale(
    adata: AnnData,
    *,
    center: bool = True,
    scale: bool = True,
    layer: str | None = None,
    layer_added: str | None = None,
    copy: bool = False,
) -> AnnData | None:
    """Center and/or scale every feature to unit variance, as R's ``scale()`` and mixOmics do (ddof = 1).

    Constant features cannot be scaled: they are left centred (their standard deviation is recorded as 0).

    Parameters
    ----------
    adata
        Samples × features.
    center
        Subtract the feature means.
    scale
        Divide by the feature standard deviations (n − 1 denominator).
    layer
        Read this layer instead of ``.X``.
    layer_added
        Write the result to this layer; ``None`` overwrites the matrix that was read.
    copy
        Return a modified copy instead of writing into ``adata``.

    Returns
    -------
    ``None`` (or the copy); writes the scaled matrix, ``.var["mean"]``/``.var["std"]`` and
    ``.uns["scale"]["params"]``.
    """
    check_data(adata)
    x = get_matrix(adata, layer=layer)
    if x.shape[0] < 2 and scale:
        raise ValidationError(f"scaling needs at least 2 samples, adata has {x.shape[0]}")
    mean = x.mean(axis=0)
    std = x.std(axis=0, ddof=1) if x.shape[0] > 1 else np.zeros(x.shape[1])
    out = x - mean if center else x.copy()
    if scale:
        out = out / np.where(std > 0, std, 1.0)
    target = working_object(adata, copy=copy)
    if layer_added is not None:
        target.layers[layer_added] = out
    elif layer is not None:
        target.layers[layer] = out
    else:
        target.X = out
    target.var["mean"] = mean
    target.var["std"] = std
    target.uns["scale"] = {"params": {"center": center, "scale": scale, "layer": str(layer),
                                      "layer_added": str(layer_added)}}
    return finish(target, copy=copy)
