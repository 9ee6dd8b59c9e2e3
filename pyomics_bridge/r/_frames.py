"""pandas DataFrames <-> Bioconductor ``S4Vectors::DataFrame`` (class ``DFrame``), column by column.

Each column becomes the R vector type that holds it exactly, and a small JSON-able *record* (one dict
per column) remembers the original pandas dtype so the way back restores it exactly.  Without a record
(a DataFrame made in R) the native rules apply.

=========================================  ==========================  ================================
pandas column                              R column                    back without a record
=========================================  ==========================  ================================
float16/32/64 (NaN)                        double (``NA_real_``)       float64 (NaN)
int8/16/32, uint8/16                       integer                     int32 (``Int32`` when NA)
int64, uint32, uint64 (|v| <= 2**53)       double                      float64
bool                                       logical                     bool (``boolean`` when NA)
Int*/UInt*/Float*/boolean (nullable, NA)   integer/double/logical, NA  as above
string (``StringDtype``), NA               character, NA               object (``string`` when NA)
object holding str (None/NaN missing)      character, NA               object
category (any order, ``ordered``, NaN)     factor / ordered factor     categorical, levels as in R
=========================================  ==========================  ================================

Categories that are not strings (ints, floats, bools) become R levels written with ``str``/``repr``;
the record turns them back.  Column names may be any str (``"a b"``, ``""``, ``"1"``, ``"NA"``): the
DFrame is built directly, so R's ``make.names`` never runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from . import _rbase as rb

# --------------------------------------------------------------------------- columns, Python -> R


def _levels_of(categories: pd.Index, what: str) -> tuple[list[str], str]:
    """R factor levels (str) for pandas categories, and how to read them back."""
    dtype = categories.dtype
    if isinstance(dtype, pd.StringDtype):
        return [str(c) for c in categories], "string"
    if dtype.kind == "O":
        if not all(isinstance(c, str) for c in categories):
            raise TypeError(f"{what}: categories must be str, int, float or bool to go to R")
        return list(categories), "object"
    if dtype.kind in "iu":
        return [str(int(c)) for c in categories], str(dtype)
    if dtype.kind == "f":
        return [repr(float(c)) for c in categories], str(dtype)  # repr round-trips every float
    if dtype.kind == "b":
        return [str(bool(c)) for c in categories], "bool"
    raise TypeError(f"{what}: categories of dtype {dtype} are not supported")


def _missing_marker(values: pd.Series) -> str:
    """Which missing value an object column uses, so it comes back the same (None, nan or pd.NA)."""
    for v in values[pd.isna(values)]:
        if v is None:
            return "None"
        if v is pd.NA:
            return "NA"
        return "nan"
    return "None"


def encode_column(values: pd.Series, what: str) -> tuple[Any, dict]:
    """One pandas column -> ``(R vector, record)``.  ``what`` names the column in error messages."""
    dtype = values.dtype
    rec: dict[str, Any] = {"dtype": str(dtype)}
    if isinstance(dtype, pd.CategoricalDtype):
        levels, cat_kind = _levels_of(dtype.categories, what)
        codes = values.cat.codes.to_numpy()
        na = codes < 0
        rvec = rb.call(
            "factor", rb.int_vector(codes + 1, na), rb.str_vector(levels), bool(dtype.ordered)
        )
        rec.update(kind="category", categories=cat_kind, ordered=bool(dtype.ordered))
        return rvec, rec
    if isinstance(dtype, pd.StringDtype):
        na = pd.isna(values).to_numpy()
        rec.update(kind="string", storage=dtype.storage, na_value="nan" if dtype.na_value is not pd.NA else "NA")
        return rb.str_vector(values.to_numpy(dtype=object), na), rec
    if isinstance(values.array, (pd.arrays.IntegerArray, pd.arrays.FloatingArray, pd.arrays.BooleanArray)):
        # pandas masked arrays: Int*/UInt*/Float*/boolean, missing values as a mask
        arr = values.array
        na = np.asarray(pd.isna(arr), dtype=bool)
        data = arr.to_numpy(dtype=dtype.numpy_dtype, na_value=0 if dtype.numpy_dtype.kind != "b" else False)
        rec.update(kind="masked")
        return rb.numeric_vector(data, what, na), rec
    if isinstance(dtype, np.dtype) and dtype.kind in "biuf":
        data = values.to_numpy()
        na = np.isnan(data) if dtype.kind == "f" else None
        rec.update(kind="numpy")
        return rb.numeric_vector(data, what, na), rec
    if isinstance(dtype, np.dtype) and dtype.kind == "O":
        inferred = pd.api.types.infer_dtype(values, skipna=True)
        na = pd.isna(values).to_numpy()
        rec.update(kind="object", missing=_missing_marker(values))
        if inferred in ("string", "empty"):
            rec["holds"] = "str"
            return rb.str_vector(values.to_numpy(), na), rec
        if inferred == "boolean":
            rec["holds"] = "bool"
            return rb.bool_vector(np.where(na, False, values.to_numpy()).astype(bool), na), rec
        raise TypeError(
            f"{what} is an object column holding {inferred!r} values; only str (or bool) object columns "
            "go to R. Convert it, e.g. with .astype(str) or .astype('category')"
        )
    raise TypeError(f"{what} has dtype {dtype}, which the R converter does not support")


# --------------------------------------------------------------------------- columns, R -> Python


def _native_column(rvec: Any, what: str) -> Any:
    """An R column without a record, by the native rules (see the module docstring)."""
    kind = rb.r_kind(rvec)
    if kind == "factor":
        return _factor(rvec, None)
    if kind != "vector":  # matrix columns, list columns, Date, S4 vectors...
        raise TypeError(f"{what}: R column of class {kind!r} is not supported")
    values, na = rb.from_r_vector(rvec)
    rtype = rb.r_type(rvec)
    if rtype in ("integer", "logical"):
        if na.any():
            arr = pd.array(np.where(na, 0, values), dtype="Int32" if rtype == "integer" else "boolean")
            _set_na(arr, na)
            return arr
        return values
    if rtype == "character":
        return pd.array(values, dtype="string") if na.any() else values
    return values  # double: float64, NA and NaN as NaN


def _set_na(arr: Any, na: np.ndarray) -> None:
    if na.any():
        arr[na] = pd.NA


def _restore_categories(levels: list[str], cat_kind: str) -> pd.Index:
    if cat_kind == "object":
        return pd.Index(levels, dtype=object)
    if cat_kind == "string":
        return pd.Index(levels, dtype="string")
    if cat_kind == "bool":
        return pd.Index([s == "True" for s in levels], dtype=bool)
    dtype = np.dtype(cat_kind)
    conv = float if dtype.kind == "f" else int
    return pd.Index(np.array([conv(s) for s in levels], dtype=dtype))


def _factor(rvec: Any, rec: Mapping | None) -> pd.Categorical:
    parts = rb.call("factor_parts", rvec)
    codes, na = rb.from_r_vector(parts.rx2("codes"))
    levels = rb.r_strings(parts.rx2("levels")) or []
    ordered = bool(parts.rx2("ordered")[0])
    cats = _restore_categories(levels, rec["categories"]) if rec else pd.Index(levels, dtype=object)
    codes = np.where(na, -1, codes.astype(np.int64) - 1)
    return pd.Categorical.from_codes(codes, categories=cats, ordered=ordered)


def _numpy_from(values: np.ndarray, na: np.ndarray, dtype: np.dtype) -> Any:
    """Recorded numpy dtype; NA in an int/bool column (added in R) falls back to the nullable dtype."""
    if dtype.kind == "f":
        return values.astype(dtype)
    if na.any():
        name = "boolean" if dtype.kind == "b" else str(dtype).replace("u", "U").replace("i", "I")
        arr = pd.array(np.where(na, 0, values).astype(dtype), dtype=name)
        _set_na(arr, na)
        return arr
    return values.astype(dtype)


def decode_column(rvec: Any, rec: Mapping | None, what: str) -> Any:
    """One R column -> array-like for a pandas column, restoring the recorded dtype when it still fits."""
    if rec is None:
        return _native_column(rvec, what)
    kind = rec.get("kind")
    rkind = rb.r_kind(rvec)
    if kind == "category":
        return _factor(rvec, rec) if rkind == "factor" else _native_column(rvec, what)
    if rkind != "vector":
        return _native_column(rvec, what)
    rtype = rb.r_type(rvec)
    values, na = rb.from_r_vector(rvec)
    numeric = rtype in ("double", "integer", "logical")
    if kind == "numpy" and numeric:
        return _numpy_from(values, na, np.dtype(rec["dtype"]))
    if kind == "masked" and numeric:
        target = pd.api.types.pandas_dtype(rec["dtype"])
        arr = pd.array(np.where(na, 0, values).astype(target.numpy_dtype), dtype=target)
        _set_na(arr, na)
        return arr
    if kind == "string" and rtype == "character":
        na_value = pd.NA if rec.get("na_value") == "NA" else np.nan
        return pd.array(values, dtype=pd.StringDtype(rec.get("storage", "python"), na_value=na_value))
    if kind == "object" and rtype in ("character", "logical"):
        out = values.astype(object)
        out[na] = {"None": None, "NA": pd.NA}.get(rec.get("missing"), np.nan)
        return out
    return _native_column(rvec, what)


# --------------------------------------------------------------------------- frames


def _index_record(index: pd.Index, what: str) -> tuple[list[str] | None, dict]:
    """R rownames (or None) for a pandas index, and how to rebuild the index."""
    rec: dict[str, Any] = {"name": index.name if isinstance(index.name, str) else None}
    if isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1:
        rec["kind"] = "range"
        return None, rec
    if index.dtype.kind in "iu":
        rec["kind"] = str(index.dtype)
        return [str(int(v)) for v in index], rec
    if pd.api.types.infer_dtype(index, skipna=False) in ("string", "empty"):
        rec["kind"] = "str"
        return [str(v) for v in index], rec
    raise TypeError(f"{what}: the index must hold str or int values to become R rownames")


def _rebuild_index(rownames: list[str] | None, nrow: int, rec: Mapping | None) -> pd.Index:
    name = rec.get("name") if rec else None
    kind = rec.get("kind") if rec else "str"
    if rownames is None:
        if kind == "range" or rec is None:
            return pd.RangeIndex(nrow, name=name) if rec else pd.Index([str(i) for i in range(nrow)], dtype=object)
        rownames = [str(i) for i in range(nrow)]
    if kind.startswith(("int", "uint")):
        try:
            return pd.Index(np.array([int(s) for s in rownames], dtype=np.dtype(kind)), name=name)
        except ValueError:
            pass  # rownames changed in R: keep them as str
    return pd.Index(rownames, dtype=object, name=name)


def check_columns(df: pd.DataFrame, what: str) -> None:
    """Column names must be unique str to become R names."""
    bad = [c for c in df.columns if not isinstance(c, str)]
    if bad:
        raise TypeError(f"{what}: column names must be str to go to R, got {bad[:5]!r}")
    if not df.columns.is_unique:
        dup = df.columns[df.columns.duplicated()].unique().tolist()[:5]
        raise ValueError(f"{what}: duplicated column names {dup!r} cannot go to R")


def encode_frame(df: pd.DataFrame, what: str = "DataFrame", *, rownames: bool = True) -> tuple[Any, dict]:
    """``pd.DataFrame`` -> ``(DFrame, record)``; ``rownames=False`` leaves the R rownames NULL."""
    check_columns(df, what)
    if rownames:
        names, index_rec = _index_record(df.index, what)
    else:  # the caller rebuilds the index (e.g. names that repeat, which R rownames cannot)
        names, index_rec = None, {"kind": "dropped", "name": df.index.name if isinstance(df.index.name, str) else None}
    cols, col_recs = [], []
    for name in df.columns:
        rvec, rec = encode_column(df[name], f"{what} column {name!r}")
        rec["name"] = name
        cols.append(rvec)
        col_recs.append(rec)
    rdf = rb.call(
        "dframe",
        rb.robjects().rinterface.ListSexpVector(cols),
        rb.str_vector(list(df.columns)),
        len(df),
        rb.str_or_null(names),
    )
    record = {"index": index_rec, "columns": col_recs}
    if df.shape[1] == 0 and isinstance(df.columns, pd.RangeIndex):
        record["empty_columns"] = "range"  # pandas' default for a frame built without columns
    return rdf, record


def decode_frame(
    rdf: Any, record: Mapping | None = None, what: str = "DataFrame", *, index: Sequence[str] | None = None
) -> pd.DataFrame:
    """R ``DataFrame``/``data.frame`` -> ``pd.DataFrame``; ``index`` overrides the rownames."""
    parts = rb.call("frame_parts", rdf)
    nrow = int(parts.rx2("nrow")[0])
    names = rb.r_strings(parts.rx2("names")) or []
    recs = {r["name"]: r for r in (record or {}).get("columns", [])}
    data = {}
    for name, rvec in zip(names, rb.list_items(parts.rx2("cols")), strict=False):
        try:
            data[name] = decode_column(rvec, recs.get(name), f"{what} column {name!r}")
        except TypeError as exc:
            import warnings

            warnings.warn(f"skipped {exc}", UserWarning, stacklevel=3)
    if index is None:
        idx = _rebuild_index(rb.r_strings(parts.rx2("rownames")), nrow, (record or {}).get("index"))
    else:
        name = ((record or {}).get("index") or {}).get("name")
        idx = pd.Index(list(index), dtype=object, name=name)
    if data:
        out = pd.DataFrame(data, index=idx)
        out.columns = pd.Index(list(data), dtype=object)
        return out
    out = pd.DataFrame(index=idx)
    if (record or {}).get("empty_columns") != "range":
        out.columns = pd.Index([], dtype=object)
    return out


def dataframe_to_r(df: pd.DataFrame) -> Any:
    """Convert a pandas DataFrame to an R ``S4Vectors::DataFrame`` (``DFrame``).

    Parameters
    ----------
    df
        Columns of numeric, bool, nullable, string, str-object or categorical dtype; str column names.
        The index becomes the rownames (a default ``RangeIndex`` gives NULL rownames).

    Returns
    -------
    rpy2 ``RS4`` of class ``DFrame``.  Use :func:`dataframe_record` with :func:`r_to_dataframe` to
    restore the exact pandas dtypes.
    """
    with rb.r_context():
        rb.helpers(purpose="converting a DataFrame to R")
        return encode_frame(df, "DataFrame")[0]


def dataframe_record(df: pd.DataFrame) -> dict:
    """JSON-able record of the column dtypes and index of ``df``, for :func:`r_to_dataframe`."""
    with rb.r_context():
        rb.helpers(purpose="converting a DataFrame to R")
        return encode_frame(df, "DataFrame")[1]


def r_to_dataframe(rdf: Any, *, record: Mapping | None = None) -> pd.DataFrame:
    """Convert an R ``DataFrame`` or ``data.frame`` to pandas.

    Parameters
    ----------
    rdf
        rpy2 object of class ``DFrame`` (or anything ``as(x, "DataFrame")`` accepts).
    record
        From :func:`dataframe_record`; restores the original pandas dtypes.  Without it: integer ->
        int32 (``Int32`` with NA), double -> float64, logical -> bool (``boolean`` with NA), character ->
        object (``string`` with NA), factor -> categorical.  Columns of other R classes are skipped
        with a warning.

    Returns
    -------
    ``pd.DataFrame`` indexed by the rownames (``"0"``, ``"1"``, ... when R has none).
    """
    with rb.r_context():
        rb.helpers(purpose="converting a DataFrame from R")
        return decode_frame(rdf, record, "DataFrame")
