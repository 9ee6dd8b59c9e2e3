"""MINT (multi-study) PLS-DA / sPLS-DA on AnnData: samples of several studies in one object, ``obs[study_key]``.

Slots written (``key`` = ``key_added``):

* ``obsm["X_<key>"]`` (global X variates) and ``obsm["X_<key>_Y"]`` (Y variates);
* ``varm["<key>_loadings"]`` (global X loadings; zero rows for unselected features);
* ``uns[key]``: ``params``, ``versions``, ``classes``, ``studies``, ``explained_variance`` (``{"X"|"Y": DataFrame
  studies + "all data" × components}``), ``loadings_Y``, ``centroids``, ``keepX``, ``selected``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from anndata import AnnData

from .._conventions import check_data, finish, get_matrix, get_obs_vector, working_object, write_results
from ..multiomics._mint import MINTPLSDA, MINTSPLSDA
from ._multiomics import _frame, _selected

__all__ = ["mint_plsda", "mint_splsda"]


def _mint_common(adata, est, *, groupby, study_key, layer, key_added, copy, params):
    check_data(adata)
    X = get_matrix(adata, layer=layer, allow_nan=True)
    y = get_obs_vector(adata, groupby, kind="categorical")
    study = get_obs_vector(adata, study_key, kind="categorical")
    est.fit(X, y, study=np.asarray(study.astype(str)))
    target = working_object(adata, copy=copy)
    classes = [str(c) for c in est.classes_]
    loadings = est.loadings_["X"]
    write_results(
        target,
        key_added=key_added,
        params={**params, "groupby": groupby, "study_key": study_key, "layer": layer},
        obsm={f"X_{key_added}": est.variates_["X"], f"X_{key_added}_Y": est.variates_["Y"]},
        varm={f"{key_added}_loadings": loadings},
        uns={
            "classes": np.asarray(classes, dtype=str),
            "studies": np.asarray([str(s) for s in est.studies_], dtype=str),
            "explained_variance": {b: v.copy() for b, v in est.explained_variance_.items()},
            "loadings_Y": _frame(est.loadings_["Y"], classes, est.loadings_["Y"].shape[1]),
            "centroids": _frame(est.centroids_, classes, est.centroids_.shape[1]),
            "keepX": np.asarray(est.keepX_),
            "selected": _selected(adata.var_names, loadings),
        },
    )
    return finish(target, copy=copy)


def mint_plsda(
    adata: AnnData,
    *,
    groupby: str,
    study_key: str,
    n_components: int = 2,
    scale: bool = True,
    tol: float = 1e-6,
    max_iter: int = 100,
    near_zero_var: bool = False,
    layer: str | None = None,
    key_added: str = "mint_plsda",
    copy: bool = False,
) -> AnnData | None:
    """MINT PLS-DA (``mixOmics::mint.plsda``): PLS-DA with X and the dummy Y centred and scaled within each study.

    Parameters
    ----------
    adata
        Samples (of all studies) × features (NaN = missing).
    groupby
        ``.obs`` column with the classes.
    study_key
        ``.obs`` column with the study of every sample (at least 2 samples per study).
    n_components
        Number of components.
    scale, tol, max_iter, near_zero_var
        As :class:`pyomics_bridge.multiomics.MINTPLSDA`.
    layer
        Use this layer instead of ``.X``.
    key_added
        Name of the outputs.
    copy
        Return a modified copy instead of writing into ``adata``.

    Returns
    -------
    ``None`` (or the copy); sets ``obsm["X_<key>"]``, ``obsm["X_<key>_Y"]``, ``varm["<key>_loadings"]`` and
    ``uns[key]`` (see the module doc).
    """
    params = {"n_components": n_components, "scale": scale, "tol": tol, "max_iter": max_iter,
              "near_zero_var": near_zero_var, "method": "mint_plsda"}
    est = MINTPLSDA(n_components, scale=scale, tol=tol, max_iter=max_iter, near_zero_var=near_zero_var)
    return _mint_common(adata, est, groupby=groupby, study_key=study_key, layer=layer, key_added=key_added,
                        copy=copy, params=params)


def mint_splsda(
    adata: AnnData,
    *,
    groupby: str,
    study_key: str,
    n_components: int = 2,
    keepX: int | Sequence[int] | None = None,
    scale: bool = True,
    tol: float = 1e-6,
    max_iter: int = 100,
    near_zero_var: bool = False,
    layer: str | None = None,
    key_added: str = "mint_splsda",
    copy: bool = False,
) -> AnnData | None:
    """MINT sparse PLS-DA (``mixOmics::mint.splsda``): :func:`mint_plsda` with ``keepX[h]`` features on component h.

    Parameters
    ----------
    adata
        Samples (of all studies) × features (NaN = missing).
    groupby
        ``.obs`` column with the classes.
    study_key
        ``.obs`` column with the study of every sample.
    n_components
        Number of components.
    keepX
        Features kept per component (list or integer; default all).
    scale, tol, max_iter, near_zero_var
        As :class:`pyomics_bridge.multiomics.MINTSPLSDA`.
    layer
        Use this layer instead of ``.X``.
    key_added
        Name of the outputs.
    copy
        Return a modified copy instead of writing into ``adata``.

    Returns
    -------
    ``None`` (or the copy); the slots of :func:`mint_plsda` (loadings have zero rows for unselected features).
    """
    params = {"n_components": n_components, "keepX": keepX, "scale": scale, "tol": tol, "max_iter": max_iter,
              "near_zero_var": near_zero_var, "method": "mint_splsda"}
    est = MINTSPLSDA(n_components, keepX=keepX, scale=scale, tol=tol, max_iter=max_iter, near_zero_var=near_zero_var)
    return _mint_common(adata, est, groupby=groupby, study_key=study_key, layer=layer, key_added=key_added,
                        copy=copy, params=params)
