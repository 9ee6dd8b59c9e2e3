"""Python half of the R package ``pyomicsbridge``'s converters (loaded by reticulate; not part of pyomics_bridge).

Why this exists: reticulate converts R matrices and vectors to numpy through numpy's C API, which breaks when
reticulate and numpy are built against different major versions (Debian 12's reticulate 1.28 cannot load
numpy 2), and its vector conversion loses missing values (``NA`` becomes ``'NA'``, ``True`` or ``-2**31``).
So the R side sends a small "wire" made only of objects reticulate converts without numpy (dict, list,
str, int, float, bool, None, bytearray) and the numeric payloads travel as raw bytes; this module turns
wires into numpy/pandas/scipy/AnnData/MuData objects and back.

Wire records are dicts with a ``"t"`` tag:

``{"t": "vec", "type": T, "n": n, "data": ..., ...}``
    an R atomic vector. ``T`` is ``double``/``integer``/``logical`` (``data``: little-endian bytes of the R
    storage, NA as R stores it: NaN with payload 1954 for doubles, -2**31 for integer and logical),
    ``character`` (``data``: the strings joined by ``sep``; ``na``: int32 bytes of 0-based NA positions),
    ``factor`` (``data``: int32 codes, 1-based, NA as -2**31; ``levels``: a character vec; ``ordered``),
    ``Date`` (double days since 1970-01-01) or ``POSIXct`` (double seconds, UTC).
``{"t": "mat", "type": T, "dim": [nrow, ncol], "data": bytes, "transpose": bool}``
    a dense R matrix, column-major. ``transpose=True`` turns a features x samples R matrix into a
    samples x features numpy array; the bytes are not moved (the column-major bytes of an n x m matrix are
    the row-major bytes of its transpose).
``{"t": "sparse", "dim": [nrow, ncol], "i": bytes, "p": bytes, "x": bytes, "transpose": bool}``
    a ``dgCMatrix`` (compressed sparse columns, int32 ``i``/``p``, float64 ``x``).
``{"t": "df", "n": n, "index": vec or None, "names": vec, "columns": [vec, ...]}``
    a data frame.
``{"t": "list", "names": vec or None, "items": [...]}``
    a list; named lists are dicts on the Python side.
``{"t": "null"}``
    ``NULL`` / ``None``.
"""

from __future__ import annotations

import datetime as _dt
import numbers
import struct
import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import sparse

SEP = "\x1e"  # ASCII record separator, used to join string vectors into one str
NA_INTEGER = -(2**31)
# R's NA_real_: a NaN whose low word is 1954. Written back so that R's is.na() and identical() see NA, not NaN.
NA_REAL_BYTES = struct.pack("<Q", 0x7FF00000000007A2)
INFO_KEY = "pyomicsbridge_r"  # adata.uns key holding what the R side needs to rebuild assay names and order
EPOCH = np.datetime64("1970-01-01T00:00:00", "ns")


class Notes:
    """Collects conversion warnings, handed to R, which raises them as R warnings."""

    def __init__(self):
        self.items: list[str] = []

    def add(self, msg: str) -> None:
        self.items.append(msg)


# =========================================================================== R -> Python
def _buffer(data, dtype):
    # A view of the bytearray reticulate made from the R raw vector (writable, no copy).
    return np.frombuffer(data if isinstance(data, bytearray) else bytearray(data), dtype=dtype)


def _strings(wire) -> list:
    n = int(wire["n"])
    if n == 0:
        return []
    data = wire["data"]
    values = list(data) if isinstance(data, list) else data.split(SEP)
    if len(values) != n:
        raise ValueError(f"internal: expected {n} strings, got {len(values)}")
    na = wire.get("na")
    if na:
        for k in _buffer(na, "<i4"):
            values[int(k)] = None
    return values


def decode_vector(wire, *, context: str = "column"):
    """An R atomic vector wire as a numpy/pandas array (``context="column"``) or a Python value (``"value"``)."""
    kind = wire["type"]
    n = int(wire["n"])
    if kind == "double":
        out = _buffer(wire["data"], "<f8")
    elif kind == "integer":
        raw = _buffer(wire["data"], "<i4")
        na = raw == NA_INTEGER
        if na.any():
            out = pd.array(np.where(na, 0, raw), dtype="Int32")
            out[na] = pd.NA
            if context == "value":
                out = np.where(na, np.nan, raw.astype(np.float64))
        else:
            out = raw.astype(np.int32)
    elif kind == "logical":
        raw = _buffer(wire["data"], "<i4")
        na = raw == NA_INTEGER
        if na.any():
            out = pd.array(raw != 0, dtype="boolean")
            out[na] = pd.NA
            if context == "value":
                out = np.asarray(out, dtype=object)
                out[na] = None
        else:
            out = raw != 0
    elif kind == "character":
        values = _strings(wire)
        if context == "value":
            out = values
        else:
            out = np.empty(n, dtype=object)
            out[:] = values
    elif kind == "factor":
        codes = _buffer(wire["data"], "<i4").astype(np.int64)
        codes = np.where(codes == NA_INTEGER, -1, codes - 1)
        levels = _strings(wire["levels"])
        out = pd.Categorical.from_codes(
            codes, categories=pd.Index(levels, dtype=object), ordered=bool(wire.get("ordered", False))
        )
    elif kind == "Date":
        days = _buffer(wire["data"], "<f8")
        out = pd.to_datetime(pd.Series(days), unit="D", origin="unix", errors="coerce").array
    elif kind == "POSIXct":
        secs = _buffer(wire["data"], "<f8")
        out = pd.to_datetime(pd.Series(secs), unit="s", origin="unix", errors="coerce").array
    else:
        raise ValueError(f"internal: unknown vector type {kind!r}")
    if context == "value":
        names = wire.get("names")
        if names is not None:
            keys = _strings(names)
            vals = list(out) if not isinstance(out, np.ndarray) else out.tolist()
            return {str(k): v for k, v in zip(keys, vals, strict=True)}
        if wire.get("scalar") and n == 1:
            value = out[0]
            if isinstance(value, np.generic):
                value = value.item()
            return value
        if isinstance(out, list):
            return out
        return np.asarray(out) if not isinstance(out, pd.Categorical) else out
    return out


def decode_matrix(wire):
    nrow, ncol = (int(d) for d in wire["dim"])
    dtype = {"double": "<f8", "integer": "<i4", "logical": "<i4"}[wire["type"]]
    flat = _buffer(wire["data"], dtype)
    if wire["type"] == "logical":
        flat = flat != 0
    elif wire["type"] == "integer":
        flat = flat.astype(np.int32, copy=False)
    arr = flat.reshape(ncol, nrow)  # row-major (ncol, nrow) == transpose of the column-major R matrix
    return arr if wire.get("transpose") else np.asfortranarray(arr.T)


def decode_sparse(wire):
    nrow, ncol = (int(d) for d in wire["dim"])
    i = _buffer(wire["i"], "<i4")
    p = _buffer(wire["p"], "<i4")
    x = _buffer(wire["x"], "<f8")
    csc = sparse.csc_matrix((x, i, p), shape=(nrow, ncol))
    return csc.T.tocsr() if wire.get("transpose") else csc


def decode_df(wire):
    n = int(wire["n"])
    names = _strings(wire["names"])
    index = None if wire.get("index") is None else pd.Index(_strings(wire["index"]), dtype=object)
    cols = {}
    for name, col in zip(names, wire["columns"], strict=True):
        cols[name] = decode_vector(col, context="column")
    df = pd.DataFrame(cols, index=index if index is not None else pd.RangeIndex(n))
    if len(cols) == 0 and index is None:
        df = pd.DataFrame(index=pd.RangeIndex(n))
    return df


def decode(wire):
    """Any wire record as a Python object (used for ``uns``/``metadata`` values)."""
    if wire is None:
        return None
    tag = wire["t"]
    if tag == "null":
        return None
    if tag == "vec":
        return decode_vector(wire, context="value")
    if tag == "mat":
        return decode_matrix(wire)
    if tag == "sparse":
        return decode_sparse(wire)
    if tag == "df":
        return decode_df(wire)
    if tag == "list":
        items = [decode(w) for w in wire["items"]]
        if wire.get("names") is None:
            return items
        return {str(k): v for k, v in zip(_strings(wire["names"]), items, strict=True)}
    raise ValueError(f"internal: unknown wire tag {tag!r}")


def _named(wire) -> dict:
    if wire is None:
        return {}
    out = decode(wire)
    return out if isinstance(out, dict) else {}


def build_anndata(spec):
    """AnnData from the R side's SummarizedExperiment description (see R/convert.R)."""
    import anndata as ad

    obs = decode_df(spec["obs"])
    var = decode_df(spec["var"])
    X = None if spec.get("X") is None else decode(spec["X"])
    layers = _named(spec.get("layers"))
    uns = _named(spec.get("uns"))
    info = {}
    if spec.get("x_name") is not None:
        info["X_name"] = spec["x_name"]
    if spec.get("assay_names") is not None:
        info["assay_names"] = _strings(spec["assay_names"])
    if spec.get("r_class") is not None:
        info["r_class"] = str(spec["r_class"])
    if info:
        uns[INFO_KEY] = info
    with warnings.catch_warnings():
        # AnnData warns when it turns a non-string index into strings; names are strings already.
        warnings.simplefilter("ignore", category=UserWarning)
        adata = ad.AnnData(
            X=X,
            obs=obs,
            var=var,
            layers=layers or None,
            uns=uns,
            obsm=_named(spec.get("obsm")) or None,
            varm=_named(spec.get("varm")) or None,
            obsp=_named(spec.get("obsp")) or None,
            varp=_named(spec.get("varp")) or None,
        )
    return adata


def build_mudata(spec):
    """MuData from the R side's MultiAssayExperiment description (see R/convert.R)."""
    import mudata as md

    mods = {name: build_anndata(s) for name, s in zip(_strings(spec["names"]), spec["mods"], strict=True)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=FutureWarning)
        mdata = md.MuData(mods)
    coldata = decode_df(spec["obs"])
    # The R side checked that every observation of every modality is a row of colData.
    coldata = coldata.loc[mdata.obs_names]
    for col in coldata.columns:
        mdata.obs[col] = coldata[col].array
    mdata.uns.update(_named(spec.get("uns")))
    return mdata


# =========================================================================== Python -> R
def _bytes(arr, dtype) -> bytearray:
    return bytearray(np.ascontiguousarray(arr, dtype=dtype).tobytes())


def _join(values: list, n: int) -> dict:
    na = [k for k, v in enumerate(values) if v is None]
    strs = ["" if v is None else str(v) for v in values]
    joined = SEP.join(strs)
    data = joined if joined.count(SEP) == max(n - 1, 0) else strs
    return {
        "t": "vec",
        "type": "character",
        "n": n,
        "data": data,
        "na": _bytes(np.asarray(na, dtype=np.int32), "<i4") if na else None,
    }


def _is_missing(v) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, (float, np.floating)) and np.isnan(v):
        return True
    return False


def _as_str(v):
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    return str(v)


def encode_strings(values) -> dict:
    vals = [None if _is_missing(v) else _as_str(v) for v in values]
    return _join(vals, len(vals))


def _int_fits(arr) -> bool:
    if arr.size == 0:
        return True
    lo, hi = arr.min(), arr.max()
    return bool(lo > NA_INTEGER and hi <= 2**31 - 1)


def _double(arr) -> bytearray:
    return _bytes(np.asarray(arr, dtype=np.float64), "<f8")


def encode_vector(values, notes: Notes, *, what: str = "value", scalar: bool = False) -> dict:
    """A 1-d array-like (numpy, pandas extension array, Series, Index, list) as an R vector wire."""
    if isinstance(values, (pd.Series, pd.Index)):
        values = values.array if isinstance(values.dtype, pd.api.extensions.ExtensionDtype) else values.to_numpy()
    dtype = getattr(values, "dtype", None)
    n = len(values)
    out = None
    if isinstance(dtype, pd.CategoricalDtype):
        cat = pd.Categorical(values)
        codes = np.asarray(cat.codes, dtype=np.int64)
        codes = np.where(codes < 0, NA_INTEGER, codes + 1)
        out = {
            "t": "vec",
            "type": "factor",
            "n": n,
            "data": _bytes(codes, "<i4"),
            "levels": encode_strings(list(cat.categories)),
            "ordered": bool(cat.ordered),
        }
    elif dtype is not None and (pd.api.types.is_datetime64_any_dtype(dtype)):
        ser = pd.Series(values)
        if getattr(ser.dt, "tz", None) is not None:
            ser = ser.dt.tz_convert("UTC").dt.tz_localize(None)
        ns = ser.to_numpy(dtype="datetime64[ns]")
        missing = np.isnat(ns)
        secs = (ns - EPOCH).astype("timedelta64[ns]").astype(np.int64) / 1e9
        whole_days = np.all((secs[~missing] % 86400) == 0)
        if whole_days:
            vals = np.where(missing, np.nan, secs / 86400.0)
            out = {"t": "vec", "type": "Date", "n": n, "data": _na_real(vals, missing)}
        else:
            vals = np.where(missing, np.nan, secs)
            out = {"t": "vec", "type": "POSIXct", "n": n, "data": _na_real(vals, missing)}
    elif isinstance(dtype, pd.api.extensions.ExtensionDtype):
        missing = np.asarray(pd.isna(values), dtype=bool)
        kind = getattr(dtype, "kind", "O")
        if kind == "b":
            raw = np.where(
                missing,
                NA_INTEGER,
                np.asarray(values.fillna(False) if hasattr(values, "fillna") else values, dtype=bool).astype(np.int32),
            )
            out = {"t": "vec", "type": "logical", "n": n, "data": _bytes(raw, "<i4")}
        elif kind in "iu":
            filled = np.asarray(pd.array(values).fillna(0), dtype=np.int64)
            if _int_fits(filled):
                raw = np.where(missing, NA_INTEGER, filled)
                out = {"t": "vec", "type": "integer", "n": n, "data": _bytes(raw, "<i4")}
            else:
                out = {"t": "vec", "type": "double", "n": n, "data": _na_real(filled.astype(np.float64), missing)}
        elif kind == "f":
            filled = np.asarray(pd.array(values).fillna(np.nan), dtype=np.float64)
            out = {"t": "vec", "type": "double", "n": n, "data": _na_real(filled, missing)}
        else:
            out = encode_strings(list(values))
    else:
        arr = np.asarray(values)
        if arr.dtype.kind == "f":
            out = {"t": "vec", "type": "double", "n": n, "data": _double(arr)}
        elif arr.dtype.kind in "iu":
            if _int_fits(arr):
                out = {"t": "vec", "type": "integer", "n": n, "data": _bytes(arr, "<i4")}
            else:
                out = {"t": "vec", "type": "double", "n": n, "data": _double(arr)}
        elif arr.dtype.kind == "b":
            out = {"t": "vec", "type": "logical", "n": n, "data": _bytes(arr.astype(np.int32), "<i4")}
        elif arr.dtype.kind in "USO":
            vals = list(arr)
            present = [v for v in vals if not _is_missing(v)]
            if present and all(isinstance(v, (bool, np.bool_)) for v in present):
                raw = [NA_INTEGER if _is_missing(v) else int(bool(v)) for v in vals]
                out = {"t": "vec", "type": "logical", "n": n, "data": _bytes(np.asarray(raw), "<i4")}
            elif present and all(isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_)) for v in present):
                fl = np.asarray([np.nan if _is_missing(v) else float(v) for v in vals], dtype=np.float64)
                out = {
                    "t": "vec",
                    "type": "double",
                    "n": n,
                    "data": _na_real(fl, np.asarray([_is_missing(v) for v in vals], dtype=bool)),
                }
            else:
                out = encode_strings(vals)
        elif arr.dtype.kind == "c":
            notes.add(f"{what}: complex values were converted to their string form")
            out = encode_strings([str(v) for v in arr])
        else:
            notes.add(f"{what}: dtype {arr.dtype} was converted to strings")
            out = encode_strings([str(v) for v in arr])
    if scalar:
        out["scalar"] = True
    return out


def _na_real(values, missing) -> bytearray:
    arr = np.ascontiguousarray(values, dtype="<f8").copy()
    view = arr.view("<u8")
    if np.any(missing):
        view[np.asarray(missing, dtype=bool)] = np.frombuffer(NA_REAL_BYTES, dtype="<u8")[0]
    return bytearray(arr.tobytes())


def encode_matrix(arr, notes: Notes, *, transpose: bool, what: str = "matrix") -> dict:
    """A 2-d array as an R matrix wire; ``transpose=True`` gives R the transpose (samples x features -> R's
    features x samples) without moving data."""
    if sparse.issparse(arr):
        return encode_sparse(arr, transpose=transpose)
    if hasattr(arr, "compute"):  # dask
        arr = arr.compute()
    if isinstance(arr, pd.DataFrame):
        arr = arr.to_numpy()
    arr = np.asarray(arr)
    if arr.ndim != 2:
        raise ValueError(f"{what}: expected 2 dimensions, got {arr.ndim}")
    nrow, ncol = arr.shape
    kind = arr.dtype.kind
    if kind == "f":
        rtype, dtype, arr2 = "double", "<f8", arr
    elif kind in "iu" and _int_fits(arr):
        rtype, dtype, arr2 = "integer", "<i4", arr
    elif kind in "iu":
        rtype, dtype, arr2 = "double", "<f8", arr
    elif kind == "b":
        rtype, dtype, arr2 = "logical", "<i4", arr.astype(np.int32)
    else:
        try:
            arr2 = arr.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{what}: cannot convert dtype {arr.dtype} to an R matrix") from exc
        rtype, dtype = "double", "<f8"
        notes.add(f"{what}: dtype {arr.dtype} was converted to double")
    if transpose:  # R gets (ncol, nrow) column-major == our row-major bytes
        data = bytearray(np.ascontiguousarray(arr2, dtype=dtype).tobytes(order="C"))
        dim = [ncol, nrow]
    else:
        data = bytearray(np.asfortranarray(arr2, dtype=dtype).tobytes(order="F"))
        dim = [nrow, ncol]
    return {"t": "mat", "type": rtype, "dim": dim, "data": data}


def encode_sparse(mat, *, transpose: bool) -> dict:
    """A scipy sparse matrix as a dgCMatrix wire. With ``transpose=True`` R gets the transpose: the CSR
    arrays of ``mat`` are exactly the CSC arrays of its transpose."""
    mat = sparse.csr_matrix(mat) if transpose else sparse.csc_matrix(mat)
    mat = mat.copy()
    mat.sum_duplicates()
    mat.sort_indices()
    nrow, ncol = mat.shape
    dim = [ncol, nrow] if transpose else [nrow, ncol]
    if mat.nnz > 2**31 - 1:
        raise ValueError("sparse matrix has more than 2^31-1 non-zero values; dgCMatrix cannot hold it")
    return {
        "t": "sparse",
        "dim": dim,
        "i": _bytes(mat.indices, "<i4"),
        "p": _bytes(mat.indptr, "<i4"),
        "x": _bytes(mat.data.astype(np.float64), "<f8"),
    }


def encode_df(df: pd.DataFrame, notes: Notes, *, what: str = "data frame", keep_index: bool | None = None) -> dict:
    names, cols = [], []
    for name in df.columns:
        col = df[name]
        if isinstance(col, pd.DataFrame):
            notes.add(f"{what}: duplicated column name {name!r}; only the first was kept")
            col = col.iloc[:, 0]
        names.append(str(name))
        cols.append(encode_vector(col, notes, what=f"{what}[{name!r}]"))
    if keep_index is None:
        idx = df.index
        keep_index = not (isinstance(idx, pd.RangeIndex) and idx.start == 0 and idx.step == 1)
    index = encode_strings(list(df.index)) if keep_index else None
    return {"t": "df", "n": int(df.shape[0]), "index": index, "names": encode_strings(names), "columns": cols}


def _scalar_kind(v):
    if isinstance(v, (bool, np.bool_)):
        return "bool"
    if isinstance(v, (numbers.Integral, np.integer)):
        return "int"
    if isinstance(v, (numbers.Real, np.floating)):
        return "float"
    if isinstance(v, str):
        return "str"
    return None


def encode(obj, notes: Notes, *, what: str = "value"):
    """Any Python value (the contents of ``uns``) as a wire record."""
    if obj is None:
        return {"t": "null"}
    kind = _scalar_kind(obj)
    if kind is not None:
        return encode_vector(np.asarray([obj]) if kind != "str" else [obj], notes, what=what, scalar=True)
    if isinstance(obj, (_dt.date, _dt.datetime, np.datetime64, pd.Timestamp)):
        return encode_vector(pd.to_datetime(pd.Series([obj])), notes, what=what, scalar=True)
    if isinstance(obj, pd.DataFrame):
        return encode_df(obj, notes, what=what)
    if isinstance(obj, (pd.Series, pd.Index, pd.Categorical, pd.api.extensions.ExtensionArray)):
        wire = encode_vector(obj, notes, what=what)
        if isinstance(obj, pd.Series) and not (isinstance(obj.index, pd.RangeIndex) and obj.index.start == 0):
            wire["names"] = encode_strings(list(obj.index))
        return wire
    if sparse.issparse(obj):
        return encode_sparse(obj, transpose=False)
    if isinstance(obj, np.ndarray) or (hasattr(obj, "__array__") and not isinstance(obj, (Mapping, list, tuple))):
        arr = np.asarray(obj)
        if arr.ndim == 0:
            return encode(arr.item(), notes, what=what)
        if arr.ndim == 1:
            return encode_vector(arr, notes, what=what)
        if arr.ndim == 2:
            return encode_matrix(arr, notes, transpose=False, what=what)
        notes.add(f"{what}: {arr.ndim}-d array was flattened to a list of 2-d slices along its first axis")
        return {"t": "list", "names": None, "items": [encode(a, notes, what=what) for a in arr]}
    if isinstance(obj, Mapping):
        keys = [str(k) for k in obj.keys()]
        return {
            "t": "list",
            "names": encode_strings(keys),
            "items": [encode(v, notes, what=f"{what}[{k!r}]") for k, v in zip(keys, obj.values(), strict=True)],
        }
    if isinstance(obj, (list, tuple)):
        kinds = {_scalar_kind(v) for v in obj}
        if obj and len(kinds) == 1 and None not in kinds:
            return encode_vector(np.asarray(obj) if kinds != {"str"} else list(obj), notes, what=what)
        return {"t": "list", "names": None, "items": [encode(v, notes, what=what) for v in obj]}
    notes.add(f"{what}: object of type {type(obj).__name__} was stored as its string representation")
    return encode_vector([repr(obj)], notes, what=what, scalar=True)


def anndata_spec(adata, *, with_matrices: bool = True, uns_keys=None):
    """Everything the R side needs to build a SummarizedExperiment from ``adata`` (samples x features).
    ``with_matrices=False`` leaves out X and layers; ``uns_keys`` restricts the ``uns`` entries sent."""
    notes = Notes()
    info = dict(adata.uns.get(INFO_KEY, {}) or {})
    uns = {k: v for k, v in adata.uns.items() if k != INFO_KEY and (uns_keys is None or k in list(uns_keys))}
    spec = {
        "n_obs": int(adata.n_obs),
        "n_vars": int(adata.n_vars),
        "obs": encode_df(adata.obs, notes, what="obs", keep_index=True),
        "var": encode_df(adata.var, notes, what="var", keep_index=True),
        "X": None,
        "layers": {},
        "obsm": {},
        "varm": {},
        "obsp": {},
        "varp": {},
        "uns": encode(uns, notes, what="uns"),
        "x_name": str(info["X_name"]) if "X_name" in info else None,
        "r_class": str(info["r_class"]) if "r_class" in info else None,
        "assay_names": encode_strings(list(np.asarray(info["assay_names"]).tolist()))
        if "assay_names" in info
        else None,
    }
    if with_matrices:
        if adata.X is not None:
            spec["X"] = encode_matrix(adata.X, notes, transpose=True, what="X")
        for k in adata.layers.keys():
            spec["layers"][str(k)] = encode_matrix(adata.layers[k], notes, transpose=True, what=f"layers[{k!r}]")
    for slot in ("obsm", "varm", "obsp", "varp"):
        store = getattr(adata, slot)
        for k in store.keys():
            v = store[k]
            if isinstance(v, pd.DataFrame):
                spec[slot][str(k)] = encode_df(v, notes, what=f"{slot}[{k!r}]", keep_index=False)
            else:
                try:
                    spec[slot][str(k)] = encode_matrix(v, notes, transpose=False, what=f"{slot}[{k!r}]")
                except ValueError as exc:
                    notes.add(f"{slot}[{k!r}] was dropped: {exc}")
    spec["notes"] = notes.items
    return spec


def mudata_spec(mdata):
    """What the R side needs to build a MultiAssayExperiment from ``mdata``."""
    notes = Notes()
    names = list(mdata.mod.keys())
    prefixes = tuple(f"{m}:" for m in names)
    obs = mdata.obs[[c for c in mdata.obs.columns if not str(c).startswith(prefixes)]]
    mods = [anndata_spec(mdata.mod[m]) for m in names]
    return {
        "names": encode_strings(names),
        "mods": mods,
        "obs": encode_df(obs, notes, what="obs", keep_index=True),
        "uns": encode(dict(mdata.uns), notes, what="uns"),
        "notes": notes.items,
    }


def obs_frame_spec(adata):
    """Only the obs table (for functions whose results land in obs)."""
    notes = Notes()
    out = encode_df(adata.obs, notes, what="obs", keep_index=True)
    return {"obs": out, "notes": notes.items}


def uns_entry(adata, key):
    """``adata.uns[key]`` as a wire (``{"t": "null"}`` when absent)."""
    notes = Notes()
    if key not in adata.uns:
        return {"wire": {"t": "null"}, "notes": [], "found": False}
    return {"wire": encode(adata.uns[key], notes, what=f"uns[{key!r}]"), "notes": notes.items, "found": True}


def _uns_ids(data) -> dict:
    return {k: id(v) for k, v in data.uns.items()}


def call(fun, data, kwargs):
    """``fun(data, **kwargs)``. Returns ``(holder, result, changed)``: the object holding the results (the
    return value when it is an AnnData/MuData, e.g. with ``copy=True``, else ``data`` modified in place),
    the raw return value, and the ``uns`` keys that are new or were replaced."""
    before = _uns_ids(data)
    result = fun(data, **(kwargs or {}))
    holder = result if (is_anndata(result) or is_mudata(result)) else data
    after = _uns_ids(holder)
    changed = [k for k, i in after.items() if before.get(k) != i and k != INFO_KEY]
    return holder, result, changed


def encode_value(obj):
    """Any Python value as a wire, with the conversion notes."""
    notes = Notes()
    return {"wire": encode(obj, notes), "notes": notes.items}


def is_anndata(obj) -> bool:
    return type(obj).__name__ == "AnnData" or any(c.__name__ == "AnnData" for c in type(obj).__mro__)


def is_mudata(obj) -> bool:
    return any(c.__name__ == "MuData" for c in type(obj).__mro__)


def resolve(module, path: str):
    """``module.a.b.c`` for ``path="a.b.c"``, with an error naming the missing piece."""
    obj = module
    done = [getattr(module, "__name__", "module")]
    for part in path.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise AttributeError(f"{'.'.join(done)} has no attribute {part!r}") from None
        done.append(part)
    return obj


def versions():
    import importlib.metadata as im

    out = {}
    for pkg in ("pyomics_bridge", "anndata", "mudata", "numpy", "pandas", "scipy"):
        try:
            out[pkg] = im.version(pkg)
        except im.PackageNotFoundError:
            out[pkg] = None
    return out
