"""Consensus clustering of samples on multi-omics components (:class:`pyomics_bridge.multiomics.ConsensusClustering`).

Slots written (``key`` = ``key_added``; for a MuData all in the MuData itself, samples = ``mdata.obs_names``):

* ``obs[key]``: labels at the chosen k (categorical ``"1"``..``"k"``, cluster 1 the largest);
  ``obs[f"{key}_k{k}"]`` for every k tried;
* ``obsp[f"{key}_k{k}"]``: the consensus matrix (n × n, dense) of the chosen k (of every k with ``store_all``);
* ``uns[key]``: ``k`` (the values tried), ``pac``, ``area``, ``delta_area`` (arrays aligned with ``k``),
  ``best_k``, ``cdf`` (DataFrame thresholds × k), ``cluster_consensus`` (``{"k<k>": array}``), ``use_rep``,
  ``samples_used``, ``params``, ``versions``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._conventions import ValidationError, check_data, finish, get_matrix, working_object, write_results
from ..multiomics._consensus import ConsensusClustering

__all__ = ["consensus_clustering"]


def _representation(data, use_rep: str, mod: str | None, mods: Sequence[str] | None):
    """(matrix, sample names, description) of the representation to cluster."""
    is_mudata = hasattr(data, "mod")
    if not is_mudata:
        if mod is not None or mods is not None:
            raise ValidationError("mod= and mods= are for MuData input only")
        X = get_matrix(data, obsm=use_rep, allow_nan=True)
        return X, data.obs_names, f"obsm[{use_rep!r}]"
    available = list(data.mod)
    if mod is not None:
        if mod not in available:
            raise ValidationError(f"mod={mod!r} is not a modality of mdata (available: {available})")
        X = get_matrix(data[mod], obsm=use_rep, allow_nan=True, name=f"mdata[{mod!r}]")
        return X, data[mod].obs_names, f"mdata[{mod!r}].obsm[{use_rep!r}]"
    if mods is None and use_rep in data.obsm:
        X = get_matrix(data, obsm=use_rep, allow_nan=True, name="mdata")
        return X, data.obs_names, f"mdata.obsm[{use_rep!r}]"
    chosen = [m for m in available if use_rep in data[m].obsm] if mods is None else list(mods)
    unknown = [m for m in chosen if m not in available]
    if unknown:
        raise ValidationError(f"mods names unknown modalities {unknown}; available: {available}")
    lacking = [m for m in chosen if use_rep not in data[m].obsm]
    if not chosen or lacking:
        raise ValidationError(f"use_rep={use_rep!r} is neither in mdata.obsm nor in the obsm of "
                              f"{'modalities ' + str(lacking) if lacking else 'any modality'}")
    first = data[chosen[0]].obs_names
    parts = []
    for m in chosen:
        names = data[m].obs_names
        if len(names) != len(first) or not (names == first).all():
            raise ValidationError(f"mdata[{chosen[0]!r}] and mdata[{m!r}] do not hold the same samples in the same "
                                  f"order; cluster one modality with mod= instead")
        parts.append(get_matrix(data[m], obsm=use_rep, allow_nan=True, name=f"mdata[{m!r}]"))
    return np.hstack(parts), first, "concatenated " + ", ".join(f"mdata[{m!r}].obsm[{use_rep!r}]" for m in chosen)


def consensus_clustering(
    data,
    *,
    use_rep: str = "X_pca_mixomics",
    mod: str | None = None,
    mods: Sequence[str] | None = None,
    k_range=(2, 6),
    n_resamples: int = 100,
    subsample: float = 0.8,
    feature_subsample: float = 1.0,
    method: str = "kmeans",
    linkage: str = "average",
    pac_window: tuple[float, float] = (0.1, 0.9),
    n_init: int = 5,
    store_all: bool = False,
    random_state=0,
    n_jobs: int | None = None,
    progress: bool | None = None,
    key_added: str = "consensus",
    copy: bool = False,
):
    """Consensus clustering of samples (Monti et al. 2003) with PAC choice of k (Şenbabaoğlu et al. 2014).

    Parameters
    ----------
    data
        AnnData or MuData holding a sample representation (components) in ``.obsm``.
    use_rep
        ``.obsm`` key of the representation (default ``"X_pca_mixomics"`` from :func:`pca_mixomics`). For a MuData:
        ``mdata.obsm[use_rep]`` (joint) if present, otherwise the per-modality ``mdata[m].obsm[use_rep]`` of all
        modalities that have it (or of ``mods``), concatenated column-wise (e.g. ``"X_diablo"``).
    mod
        MuData only: cluster ``mdata[mod].obsm[use_rep]`` alone.
    mods
        MuData only: the modalities whose ``obsm[use_rep]`` are concatenated.
    k_range
        Numbers of clusters: ``(k_min, k_max)`` inclusive, a ``range`` or a list.
    n_resamples, subsample, feature_subsample, method, linkage, pac_window, n_init
        As :class:`pyomics_bridge.multiomics.ConsensusClustering`.
    store_all
        Store the consensus matrix of every k in ``.obsp`` (default only the chosen k).
    random_state
        Root seed of the resamples (results do not depend on ``n_jobs``).
    n_jobs
        joblib workers.
    progress
        Show a progress bar (``None``: only in a terminal).
    key_added
        Name of the outputs.
    copy
        Return a modified copy instead of writing into ``data``.

    Returns
    -------
    ``None`` (or the copy); sets ``obs[key]`` (labels at the chosen k, categorical ``"1"``..``"k"`` by decreasing
    size), ``obs[f"{key}_k{k}"]`` per k, ``obsp[f"{key}_k{best_k}"]`` (consensus matrix; every k with
    ``store_all``) and ``uns[key]`` with ``k``, ``pac``, ``area``, ``delta_area``, ``best_k``, ``cdf``,
    ``cluster_consensus``, ``use_rep``, ``samples_used``, ``params``, ``versions``. Samples of ``data`` missing from
    the representation get NaN labels and NaN consensus rows.
    """
    check_data(data, name="data", mudata_ok=True)
    X, samples, where = _representation(data, use_rep, mod, mods)
    X = np.asarray(X, dtype=np.float64)
    bad = ~np.isfinite(X).all(axis=1)
    if bad.any():
        raise ValidationError(f"{where} has {int(bad.sum())} sample(s) with NaN components; subset them out first")
    samples = pd.Index(samples.astype(str))
    obs_names = pd.Index(data.obs_names.astype(str))
    absent = samples.difference(obs_names)
    if len(absent):
        raise ValidationError(f"samples {absent[:5].tolist()} of {where} are not in the object's obs_names")
    est = ConsensusClustering(k_range, n_resamples=n_resamples, subsample=subsample,
                              feature_subsample=feature_subsample, method=method, linkage=linkage,
                              pac_window=pac_window, n_init=n_init, random_state=random_state, n_jobs=n_jobs,
                              progress=progress).fit(X)
    pos = obs_names.get_indexer(samples)
    n = len(obs_names)

    def labels_col(k: int) -> pd.Categorical:
        col = np.full(n, None, dtype=object)
        col[pos] = [str(v + 1) for v in est.labels_per_k_[k]]
        return pd.Categorical(col, categories=[str(c + 1) for c in range(k)])

    def full_matrix(M: np.ndarray) -> np.ndarray:
        if len(pos) == n and (pos == np.arange(n)).all():
            return M
        out = np.full((n, n), np.nan)
        out[np.ix_(pos, pos)] = M
        return out

    best = est.best_k_
    obs = {key_added: labels_col(best)}
    obs.update({f"{key_added}_k{k}": labels_col(k) for k in est.k_values_})
    obsp = {f"{key_added}_k{k}": full_matrix(est.consensus_[k]) for k in (est.k_values_ if store_all else [best])}
    cdf = est.cdf_.copy()
    cdf.index = cdf.index.astype(str)
    cdf.columns = [f"k{k}" for k in cdf.columns]
    uns = {
        "k": np.asarray(est.k_values_, dtype=int),
        "pac": est.pac_.to_numpy(),
        "area": est.area_.to_numpy(),
        "delta_area": est.delta_area_.to_numpy(),
        "best_k": int(best),
        "cdf": cdf,
        "cluster_consensus": {f"k{k}": v for k, v in est.cluster_consensus_.items()},
        "use_rep": where,
        "samples_used": int(len(samples)),
    }
    params = {"use_rep": use_rep, "mod": mod, "mods": None if mods is None else list(mods),
              "k_range": est.k_values_, "n_resamples": n_resamples, "subsample": subsample,
              "feature_subsample": feature_subsample, "method": method, "linkage": linkage,
              "pac_window": list(pac_window), "n_init": n_init, "random_state": random_state}
    target = working_object(data, copy=copy)
    write_results(target, key_added=key_added, params=params, obs=obs, uns=uns)
    for k, M in obsp.items():
        target.obsp[k] = M
    return finish(target, copy=copy)
