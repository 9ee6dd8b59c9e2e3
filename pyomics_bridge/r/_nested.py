"""Nested ``uns``-like values <-> R lists.

=============================================  =====================================  =====================
Python value                                   R value                                back without record
=============================================  =====================================  =====================
dict with str keys                             named list                             dict
list / tuple                                   unnamed list                           list
None                                           NULL                                   None
str, bool, int, float (Python or numpy)        length-1 character/logical/int/double  Python scalar
1-D numpy array (numeric, bool, str)           atomic vector                          numpy array
n-D numpy array                                array with ``dim`` (same shape)        numpy array
scipy sparse matrix                            ``dgCMatrix``                          ``csr_matrix``
pandas DataFrame                               ``DataFrame`` (see ``_frames``)        DataFrame
=============================================  =====================================  =====================

A *tree* (JSON-able, same nesting as the value) records the Python types, so ``tuple``, numpy scalar
types, array dtypes and length-1 arrays come back exactly.  Items that cannot go to R (other objects,
non-str dict keys, integers beyond 2**53, mixed object arrays) are skipped with a ``UserWarning``
naming their path; they are absent on the R side and after the round trip.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from . import _frames
from . import _matrices as mx
from . import _rbase as rb


class _Skip(Exception):
    """A value that cannot go to R; the message says why."""


def _scalar(v: Any, path: str) -> tuple[Any, dict]:
    if isinstance(v, np.generic):
        tree = {"t": "npscalar", "dtype": str(np.asarray(v).dtype)}
        if isinstance(v, np.str_):
            return rb.str_vector([str(v)]), tree
        arr = np.asarray([v])
        if arr.dtype.kind not in "biuf":
            raise _Skip(f"numpy scalar of dtype {arr.dtype}")
        try:
            return rb.numeric_vector(arr, path), tree
        except (TypeError, ValueError) as exc:
            raise _Skip(str(exc)) from None
    if isinstance(v, bool):
        return rb.bool_vector(np.array([v])), {"t": "bool"}
    if isinstance(v, int):
        if abs(v) > rb.MAX_EXACT_INT:
            raise _Skip("integer beyond 2**53")
        r = rb.int_vector(np.array([v])) if -(2**31) < v < 2**31 else rb.float_vector(np.array([float(v)]))
        return r, {"t": "int"}
    if isinstance(v, float):
        return rb.float_vector(np.array([v])), {"t": "float"}
    if isinstance(v, str):
        return rb.str_vector([v]), {"t": "str"}
    raise _Skip(f"type {type(v).__name__}")


def _encode(v: Any, path: str) -> tuple[Any, dict]:
    if v is None:
        return rb.null(), {"t": "none"}
    if isinstance(v, Mapping):
        names, values, items = [], [], {}
        for key, item in v.items():
            if not isinstance(key, str):
                _warn_skip(f"{path}[{key!r}]", "dict keys must be str")
                continue
            try:
                robj, tree = _encode(item, f"{path}[{key!r}]")
            except _Skip as exc:
                _warn_skip(f"{path}[{key!r}]", str(exc))
                continue
            names.append(key)
            values.append(robj)
            items[key] = tree
        return rb.named_list(names, values), {"t": "dict", "items": items}
    if isinstance(v, (list, tuple)):
        values, items = [], []
        for i, item in enumerate(v):
            # a list item cannot just be dropped: positions would shift, so the whole list is skipped
            robj, tree = _encode(item, f"{path}[{i}]")
            values.append(robj)
            items.append(tree)
        return rb.unnamed_list(values), {"t": "tuple" if isinstance(v, tuple) else "list", "items": items}
    if isinstance(v, pd.DataFrame):
        try:
            rdf, rec = _frames.encode_frame(v, path)
        except (TypeError, ValueError) as exc:
            raise _Skip(str(exc)) from None
        return rdf, {"t": "frame", "record": rec}
    if sparse.issparse(v):
        try:
            robj, spec = mx.encode_matrix(v, path)
        except (TypeError, ValueError) as exc:
            raise _Skip(str(exc)) from None
        return robj, {"t": "sparse", "spec": spec}
    if isinstance(v, np.ndarray):
        return _array(v, path)
    return _scalar(v, path)


def _array(v: np.ndarray, path: str) -> tuple[Any, dict]:
    tree = {"t": "array", "dtype": str(v.dtype), "shape": list(v.shape)}
    try:
        if v.ndim == 1 and v.dtype.kind in "biuf":
            return rb.numeric_vector(v, path), tree
        if v.ndim == 1:
            robj, _ = mx.encode_matrix(v, path)
            return rb.robjects().baseenv["as.vector"](robj), tree
        if v.ndim == 0:
            return _array(v.reshape(1), path)[0], tree
        robj, _ = mx.encode_matrix(v, path)
        return robj, tree
    except (TypeError, ValueError) as exc:
        raise _Skip(str(exc)) from None


def _warn_skip(path: str, why: str) -> None:
    warnings.warn(f"{path} cannot be converted to R ({why}); it is skipped", UserWarning, stacklevel=4)


def encode_nested(value: Mapping, path: str = "uns") -> tuple[Any, dict]:
    """A dict (e.g. ``adata.uns``) -> ``(named R list, tree)``; unconvertible items skipped with a warning."""
    robj, tree = _encode(dict(value), path)
    return robj, tree


# --------------------------------------------------------------------------- R -> Python


def _native_vector(robj: Any) -> Any:
    values, na = rb.from_r_vector(robj)
    if len(values) == 1:
        if na[0] and values.dtype.kind != "f":  # a double NA/NaN stays NaN
            return None
        v = values[0]
        return v.item() if isinstance(v, np.generic) else v
    if na.any() and values.dtype.kind in "ib":
        values = values.astype(np.float64)
        values[na] = np.nan
    return values


def _decode(robj: Any, tree: Mapping | None, path: str) -> Any:
    kind = rb.r_kind(robj)
    t = tree.get("t") if tree else None
    if kind == "null":
        return None
    if kind == "list":
        names = rb.r_names(robj)
        items = rb.list_items(robj)
        if t == "dict" or (t is None and names is not None and len(set(names)) == len(names) and "" not in names):
            return decode_items(robj, tree if t == "dict" else None, path)
        subtrees = tree.get("items", []) if t in ("list", "tuple") else []
        out = []
        for i, item in enumerate(items):
            try:
                out.append(_decode(item, subtrees[i] if i < len(subtrees) else None, f"{path}[{i}]"))
            except _Skip:
                out.append(None)  # keep positions
        return tuple(out) if t == "tuple" else out
    if kind in ("frame",):
        return _frames.decode_frame(robj, tree.get("record") if t == "frame" else None, path)
    if kind in ("dgCMatrix", "sparse", "dense_Matrix"):
        return mx.decode_matrix(robj, tree.get("spec") if t == "sparse" else None, path)
    if kind == "factor":
        return pd.Series(_frames.decode_column(robj, None, path)).array
    if kind == "array":
        arr = mx.decode_matrix(robj, None, path)
        return _restore_array(arr, tree) if t == "array" else arr
    if kind == "vector":
        if t == "array":
            values, na = rb.from_r_vector(robj)
            if na.any() and values.dtype.kind in "ib":
                return _native_vector(robj)
            return _restore_array(values, tree)
        v = _native_vector(robj)
        if t in ("int", "float", "bool", "str") and not isinstance(v, np.ndarray) and v is not None:
            return {"int": int, "float": float, "bool": bool, "str": str}[t](v)
        if t == "npscalar" and not isinstance(v, np.ndarray) and v is not None:
            return np.dtype(tree["dtype"]).type(v)
        return v
    warnings.warn(f"{path}: R object of class {kind!r} cannot be converted; it is skipped", UserWarning, stacklevel=3)
    raise _Skip(kind)


def _restore_array(arr: np.ndarray, tree: Mapping) -> np.ndarray:
    shape = tuple(tree.get("shape", arr.shape))
    out = np.asarray(arr).astype(np.dtype(tree["dtype"]))
    return out.reshape(shape) if out.size == int(np.prod(shape)) else out


def decode_nested(robj: Any, tree: Mapping | None = None, path: str = "uns") -> Any:
    """Inverse of :func:`encode_nested`; without a tree, the native rules of the module docstring."""
    try:
        return _decode(robj, tree, path)
    except _Skip:
        return None


def decode_items(robj: Any, tree: Mapping | None, path: str) -> dict:
    """A named R list -> dict, skipping (with a warning) items that cannot be converted."""
    items = rb.list_items(robj)
    names = rb.r_names(robj) or [""] * len(items)
    subtrees = (tree or {}).get("items", {})
    out = {}
    for i, (key, item) in enumerate(zip(names, items, strict=False)):
        if key == "" and "" not in subtrees:  # unnamed R element (a recorded "" key stays "")
            key = f"item_{i}"
        try:
            out[key] = _decode(item, subtrees.get(key), f"{path}[{key!r}]")
        except _Skip:
            continue
    return out
