"""Shared helpers that make every ``pp``/``tl`` function follow the same conventions.

The contract (documented in ``docs/conventions.md`` and checked by ``tests/test_api_conventions.py``):

1. the data object comes first, every option is keyword-only;
2. ``copy=False`` writes into the object and returns ``None``; ``copy=True`` returns a modified copy;
3. inputs are validated *before* anything is written, and all outputs are written in one step
   (:func:`write_results`), so a failing call never leaves the caller's object half-modified;
4. results go to ``.obs``/``.obsm``/``.varm``/``.uns[key_added]`` only, never to ``.X`` or a layer;
   ``.uns[key_added]`` holds ``params`` (the arguments that change the result) and ``versions``;
5. ``random_state`` is accepted wherever randomness enters; ``backend="python"|"r"`` produces identical containers.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from anndata import AnnData
from scipy import sparse

BACKENDS = ("python", "r")


class ValidationError(ValueError):
    """Bad input: the message names the argument or field and what was expected."""


# --------------------------------------------------------------------------- objects and copies
def check_data(data: Any, *, name: str = "adata", mudata_ok: bool = False) -> None:
    """Raise ``TypeError`` unless ``data`` is an AnnData (or a MuData when ``mudata_ok``)."""
    if isinstance(data, AnnData):
        return
    if mudata_ok:
        from mudata import MuData

        if isinstance(data, MuData):
            return
    expected = "AnnData or MuData" if mudata_ok else "AnnData"
    raise TypeError(f"{name} must be an {expected}, got {type(data).__name__}")


def working_object(data, *, copy: bool):
    """The object to write into: a copy when ``copy=True``, else ``data`` itself."""
    return data.copy() if copy else data


def check_unique_names(adata: AnnData, *, name: str = "adata") -> None:
    """Raise when obs or var names are duplicated (R and results keyed by name need unique names)."""
    for axis in ("obs", "var"):
        index = getattr(adata, f"{axis}_names")
        if not index.is_unique:
            dup = index[index.duplicated()].unique()[:5].tolist()
            raise ValidationError(
                f"{name}.{axis}_names must be unique; duplicated: {dup}. Call {name}.{axis}_names_make_unique()."
            )


def check_backend(backend: str, *, available: Sequence[str] = BACKENDS) -> str:
    """Validate ``backend`` against the backends a function offers."""
    if backend not in available:
        raise ValidationError(f"backend must be one of {list(available)}, got {backend!r}")
    return backend


# --------------------------------------------------------------------------- inputs
def get_matrix(
    adata: AnnData,
    *,
    layer: str | None = None,
    obsm: str | None = None,
    allow_sparse: bool = False,
    allow_nan: bool = False,
    name: str = "adata",
) -> np.ndarray | sparse.csr_matrix:
    """Return the data matrix to analyse (``.X``, a layer or an ``.obsm`` entry) as float64, validated.

    Sparse input is densified unless ``allow_sparse``; infinities are always rejected and NaN unless
    ``allow_nan``. The caller's object is never modified.
    """
    if layer is not None and obsm is not None:
        raise ValidationError("give at most one of layer= and obsm=")
    if layer is not None:
        if layer not in adata.layers:
            raise ValidationError(f"layer={layer!r} not in {name}.layers (available: {list(adata.layers)})")
        mat, where = adata.layers[layer], f"{name}.layers[{layer!r}]"
    elif obsm is not None:
        if obsm not in adata.obsm:
            raise ValidationError(f"obsm={obsm!r} not in {name}.obsm (available: {list(adata.obsm)})")
        mat, where = adata.obsm[obsm], f"{name}.obsm[{obsm!r}]"
        if isinstance(mat, pd.DataFrame):
            mat = mat.to_numpy()
    else:
        mat, where = adata.X, f"{name}.X"
    if mat is None:
        raise ValidationError(f"{where} is empty (None)")
    if sparse.issparse(mat):
        mat = sparse.csr_matrix(mat, dtype=np.float64) if allow_sparse else mat.toarray().astype(np.float64)
    else:
        mat = np.asarray(mat, dtype=np.float64)
    values = mat.data if sparse.issparse(mat) else mat
    if np.isinf(values).any():
        raise ValidationError(f"{where} contains infinite values")
    if not allow_nan and np.isnan(values).any():
        n = int(np.isnan(values).sum())
        raise ValidationError(f"{where} contains {n} NaN value(s); impute or remove them first")
    return mat


def get_obs_vector(
    adata: AnnData,
    key: str,
    *,
    kind: str = "numeric",
    allow_nan: bool = False,
    name: str = "adata",
) -> np.ndarray | pd.Categorical:
    """Return ``adata.obs[key]`` validated as ``"numeric"``, ``"binary"`` (0/1 or bool) or ``"categorical"``."""
    if key not in adata.obs.columns:
        raise ValidationError(f"{name}.obs has no column {key!r} (columns: {list(adata.obs.columns)[:20]})")
    col = adata.obs[key]
    where = f"{name}.obs[{key!r}]"
    if kind == "categorical":
        cat = pd.Categorical(col) if not isinstance(col.dtype, pd.CategoricalDtype) else col.array
        if not allow_nan and pd.isna(col).any():
            raise ValidationError(f"{where} has {int(pd.isna(col).sum())} missing value(s)")
        return cat
    try:
        values = pd.to_numeric(col, errors="raise").to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{where} must be numeric, got dtype {col.dtype}") from exc
    if not allow_nan and np.isnan(values).any():
        raise ValidationError(f"{where} has {int(np.isnan(values).sum())} missing value(s)")
    if kind == "binary":
        ok = np.isnan(values) | np.isin(values, (0.0, 1.0))
        if not ok.all():
            bad = np.unique(values[~ok])[:5].tolist()
            raise ValidationError(f"{where} must be 0/1 (or boolean); found values {bad}")
    elif kind != "numeric":
        raise ValueError(f"unknown kind {kind!r}")
    return values


def check_groups(groups: Sequence[Any] | None, available: Sequence[Any], *, name: str = "groups") -> list:
    """Validate a user selection of groups against the levels present."""
    available = list(available)
    if groups is None:
        return available
    if isinstance(groups, str) or not isinstance(groups, Sequence):
        groups = [groups]
    unknown = [g for g in groups if g not in available]
    if unknown:
        raise ValidationError(f"unknown {name} {unknown}; available: {available}")
    return list(groups)


def check_aligned(index_a: pd.Index, index_b: pd.Index, *, what_a: str, what_b: str) -> None:
    """Raise when two name indexes do not contain the same names in the same order."""
    if len(index_a) != len(index_b) or not (index_a == index_b).all():
        missing = index_a.difference(index_b)[:5].tolist()
        extra = index_b.difference(index_a)[:5].tolist()
        raise ValidationError(
            f"{what_a} and {what_b} are not aligned (lengths {len(index_a)} and {len(index_b)}; "
            f"only in {what_a}: {missing}; only in {what_b}: {extra}). Reorder with .loc[...] first."
        )


# --------------------------------------------------------------------------- outputs
def versions(*, backend: str = "python", r_packages: Sequence[str] = ()) -> dict[str, str]:
    """Versions recorded next to results (python side always; R and R packages for ``backend='r'``)."""
    from importlib.metadata import version

    import scipy

    from . import __version__

    out = {"pyomics_bridge": __version__, "numpy": np.__version__, "scipy": scipy.__version__}
    out["anndata"] = version("anndata")
    if backend == "r":
        from .r._session import r_versions

        out.update(r_versions(r_packages))
    return out


def _clean_param(value: Any) -> Any:
    """Make a parameter storable in ``.uns`` (and thus in .h5ad): no None, no tuples, no numpy scalars."""
    if value is None:
        return "None"
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return {str(k): _clean_param(v) for k, v in value.items()}
    if isinstance(value, np.random.Generator | np.random.RandomState | np.random.SeedSequence):
        return repr(value)
    if isinstance(value, (list, tuple, np.ndarray, pd.Index)):
        items = [_clean_param(v) for v in value]
        if all(isinstance(v, str) for v in items) or all(isinstance(v, (int, float)) for v in items):
            return np.asarray(items)
        return {str(i): v for i, v in enumerate(items)}
    return repr(value)


def write_results(
    target,
    *,
    key_added: str,
    params: Mapping[str, Any],
    obs: Mapping[str, Any] | None = None,
    var: Mapping[str, Any] | None = None,
    obsm: Mapping[str, Any] | None = None,
    varm: Mapping[str, Any] | None = None,
    uns: Mapping[str, Any] | None = None,
    backend: str = "python",
    r_packages: Sequence[str] = (),
) -> None:
    """Validate every output against ``target``'s shape, then write them all.

    ``uns[key_added]`` receives ``uns`` plus ``params`` (cleaned for .h5ad storage) and ``versions``.
    Nothing is written when any output has the wrong shape, so failures cannot half-modify the object.
    """
    n_obs, n_vars = target.n_obs, target.n_vars
    for slot, items, n in (("obs", obs, n_obs), ("var", var, n_vars), ("obsm", obsm, n_obs), ("varm", varm, n_vars)):
        for k, v in (items or {}).items():
            if len(v) != n:
                raise ValidationError(f"internal: {slot}[{k!r}] has {len(v)} rows, expected {n}")
    record = dict(uns or {})
    record["params"] = _clean_param(dict(params))
    record["versions"] = versions(backend=backend, r_packages=r_packages)
    for k, v in (obs or {}).items():
        target.obs[k] = v.values if isinstance(v, pd.Series) else v
    for k, v in (var or {}).items():
        target.var[k] = v.values if isinstance(v, pd.Series) else v
    for k, v in (obsm or {}).items():
        target.obsm[k] = v
    for k, v in (varm or {}).items():
        target.varm[k] = v
    target.uns[key_added] = record


def write_mudata_results(
    target,
    *,
    key_added: str,
    params: Mapping[str, Any],
    per_mod: Mapping[str, Mapping[str, Mapping[str, Any]]],
    obs: Mapping[str, Any] | None = None,
    obsm: Mapping[str, Any] | None = None,
    uns: Mapping[str, Any] | None = None,
) -> None:
    """Per-modality slots plus joint MuData results, validated first and then written together.

    ``per_mod`` maps modality -> slot (``"obsm"`` or ``"varm"``) -> key -> array; joint ``obs``/``obsm`` and
    ``uns[key_added]`` (with params and versions) go to the MuData itself through :func:`write_results`.
    """
    for mod, slots in per_mod.items():
        ad = target[mod]
        for slot, items in slots.items():
            n = ad.n_obs if slot == "obsm" else ad.n_vars
            for k, v in items.items():
                if len(v) != n:
                    raise ValidationError(f"internal: mdata[{mod!r}].{slot}[{k!r}] has {len(v)} rows, expected {n}")
    for mod, slots in per_mod.items():
        ad = target[mod]
        for slot, items in slots.items():
            for k, v in items.items():
                getattr(ad, slot)[k] = v
    write_results(target, key_added=key_added, params=params, obs=obs, obsm=obsm, uns=uns)


def finish(target, *, copy: bool):
    """Return value of a ``copy=``-style function: the copy when ``copy=True``, else ``None``."""
    return target if copy else None
