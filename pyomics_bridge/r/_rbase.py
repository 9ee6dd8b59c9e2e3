"""Low-level pieces shared by the converters: numpy arrays <-> R atomic vectors, R helper functions.

Everything here works on raw rpy2 objects inside ``localconverter(ro.default_converter)`` (see
:func:`r_context`), so a converter activated globally by other code (pandas2ri, numpy2ri) cannot change
what the converters produce.

Missing values
--------------
R has one missing marker per vector type: ``NA_real_`` (a NaN with payload 1954), ``NA_integer_`` and
``NA`` for logicals (both the int32 value ``-2**31``) and ``NA_character_``.  The functions below take
an explicit boolean ``na`` mask on the way to R and return one on the way back.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from ._session import require_r_package, robjects

INT32_NA = np.int32(-(2**31))  # R's NA_integer_ and logical NA
MAX_EXACT_INT = 2**53  # doubles hold every integer with |v| <= 2**53 exactly
# Bit pattern of R's NA_real_: R tells NA from NaN by this payload.
_NA_REAL_BITS = np.uint64(0x7FF00000000007A2)
NA_REAL = np.array([_NA_REAL_BITS], dtype=np.uint64).view(np.float64)[0]

_R_HELPERS = r"""
local({
    env <- new.env()
    env$dframe_class <- methods::getClass("DFrame", where = asNamespace("S4Vectors"))
    env$dgc_class <- methods::getClass("dgCMatrix", where = asNamespace("Matrix"))
    env$named_list <- function(values, names) { names(values) <- names; values }
    env$dframe <- function(cols, names, nrows, rownames) {
        names(cols) <- names
        methods::new(env$dframe_class, listData = cols, nrows = as.integer(nrows), rownames = rownames)
    }
    env$dgc <- function(i, p, x, dim, dimnames) {
        if (is.null(dimnames)) dimnames <- list(NULL, NULL)
        methods::new(env$dgc_class, i = i, p = p, x = x, Dim = as.integer(dim), Dimnames = dimnames)
    }
    env$factor <- function(codes, levels, ordered) {
        attr(codes, "levels") <- levels
        class(codes) <- if (ordered) c("ordered", "factor") else "factor"
        codes
    }
    env$factor_parts <- function(x) list(codes = as.integer(unclass(x)), levels = levels(x), ordered = is.ordered(x))
    env$with_dim <- function(x, dim, dimnames) { dim(x) <- as.integer(dim); dimnames(x) <- dimnames; x }
    env$frame_parts <- function(df) {
        df <- methods::as(df, "DataFrame")
        list(cols = as.list(df), names = colnames(df), rownames = rownames(df), nrow = nrow(df))
    }
    # Any matrix-like R object -> a base matrix or a dgCMatrix (the two forms the converters read).
    env$norm_matrix <- function(x) {
        if (methods::is(x, "dgCMatrix")) return(x)
        if (methods::is(x, "sparseMatrix"))
            return(methods::as(methods::as(methods::as(x, "CsparseMatrix"), "generalMatrix"), "dMatrix"))
        if (is.matrix(x) || (is.array(x) && is.atomic(x))) return(x)
        as.matrix(x)
    }
    env$kind <- function(x) {
        if (is.null(x)) return("null")
        if (methods::is(x, "dgCMatrix")) return("dgCMatrix")
        if (methods::is(x, "sparseMatrix")) return("sparse")
        if (methods::is(x, "DataFrame") || is.data.frame(x)) return("frame")
        if (is.factor(x)) return("factor")
        if (is.atomic(x) && is.null(oldClass(x))) return(if (is.null(dim(x))) "vector" else "array")
        if (is.list(x) && is.null(oldClass(x))) return("list")
        if (methods::is(x, "Matrix")) return("dense_Matrix")
        paste(class(x), collapse = "/")
    }
    env
})
"""


@contextlib.contextmanager
def r_context() -> Iterator[Any]:
    """Yield ``rpy2.robjects`` with rpy2's default (no pandas/numpy) conversion active locally."""
    ro = robjects()
    from rpy2.robjects.conversion import localconverter

    with localconverter(ro.default_converter):
        yield ro


@functools.lru_cache(maxsize=1)
def _helpers_cached():
    ro = robjects()
    from rpy2.robjects.conversion import localconverter

    with localconverter(ro.default_converter):
        return ro.r(_R_HELPERS)


def helpers(*packages: str, purpose: str = "converting to Bioconductor objects") -> Any:
    """The R environment with the helper functions; checks that the needed R packages are installed."""
    for pkg in ("S4Vectors", "Matrix", *packages):
        _require_cached(pkg, purpose)
    return _helpers_cached()


@functools.cache
def _require_cached(package: str, purpose: str) -> str:
    return require_r_package(package, purpose=purpose)


_DEFINED: set[str] = set()


def define(code: str) -> None:
    """Add helper functions: ``code`` is an R ``function(env)`` that assigns functions into ``env``.

    Run once per distinct ``code``; the functions are then available through :func:`call`.
    """
    if code not in _DEFINED:
        robjects().r(code)(_helpers_cached())
        _DEFINED.add(code)
        _helper_fn.cache_clear()


def call(name: str, *args: Any, **kwargs: Any) -> Any:
    """Call one of the helper functions by name."""
    return _helper_fn(name)(*args, **kwargs)


@functools.cache
def _helper_fn(name: str) -> Any:
    # Looking a function up wraps it anew each time (slow in rpy2): keep the wrappers.
    return helpers()[name]


@functools.cache
def base_fn(name: str) -> Any:
    """A function of R's base environment, looked up once."""
    return robjects().baseenv[name]


def r_kind(x: Any) -> str:
    """Short description of an R object used to pick a decoder (``"vector"``, ``"factor"``, ``"frame"``...)."""
    return str(call("kind", x)[0])


# --------------------------------------------------------------------------- Python -> R
def null() -> Any:
    return robjects().NULL


def float_vector(values: np.ndarray, na: np.ndarray | None = None) -> Any:
    """R double vector; positions in ``na`` become ``NA_real_`` (other NaNs stay NaN)."""
    ro = robjects()
    arr = np.ascontiguousarray(values, dtype=np.float64).ravel()
    if na is not None and na.any():
        arr = arr.copy()  # never write into the caller's array
        arr[np.asarray(na).ravel()] = NA_REAL
    return ro.vectors.FloatVector(arr)


def int_vector(values: np.ndarray, na: np.ndarray | None = None) -> Any:
    """R integer vector from values that fit int32 (``-2**31`` excluded: it is R's NA)."""
    ro = robjects()
    arr = np.array(values, dtype=np.int32, copy=True).ravel()
    if na is not None and na.any():
        arr[np.asarray(na).ravel()] = INT32_NA
    return ro.vectors.IntVector(arr)


def bool_vector(values: np.ndarray, na: np.ndarray | None = None) -> Any:
    """R logical vector (R stores logicals as int32)."""
    ro = robjects()
    arr = np.asarray(values, dtype=bool).ravel().astype(np.int32)
    if na is not None and na.any():
        arr[np.asarray(na).ravel()] = INT32_NA
    sexp = ro.rinterface.BoolSexpVector.from_memoryview(memoryview(arr))
    return ro.vectors.BoolVector(sexp)


def str_vector(values: Sequence[Any], na: np.ndarray | None = None) -> Any:
    """R character vector; positions in ``na`` become ``NA_character_``."""
    ro = robjects()
    strings = [str(v) for v in values]
    if any("\x00" in s for s in strings):
        # R strings end at the first NUL: refuse rather than truncate silently
        bad = next(s for s in strings if "\x00" in s)
        raise ValueError(f"R strings cannot contain NUL characters ('\\x00'), got {bad!r}")
    if na is None:
        return ro.vectors.StrVector(strings)
    return ro.vectors.StrVector([ro.NA_Character if m else s for s, m in zip(strings, na, strict=False)])


def str_or_null(values: Sequence[str] | None) -> Any:
    return null() if values is None else str_vector(list(values))


def named_list(names: Sequence[str], values: Sequence[Any]) -> Any:
    """R list with the given names (any strings, including ``""`` and duplicates-free odd names)."""
    ro = robjects()
    lst = ro.rinterface.ListSexpVector(list(values))
    return call("named_list", lst, str_vector(list(names)))


def unnamed_list(values: Sequence[Any]) -> Any:
    ro = robjects()
    return ro.vectors.ListVector(ro.rinterface.ListSexpVector(list(values)))


def check_exact_integers(values: np.ndarray, what: str) -> None:
    """Raise when integers would lose precision as R doubles (R integers are 32-bit only)."""
    if values.size and (values.max() > MAX_EXACT_INT or values.min() < -MAX_EXACT_INT):
        raise ValueError(
            f"{what} holds integers beyond +/-2**53 that R cannot store exactly (R integers are 32-bit, "
            "doubles hold integers up to 2**53); convert it to float or str first"
        )


def fits_r_integer(dtype: np.dtype, values: np.ndarray) -> bool:
    """Whether integer values can be an R integer vector (else they go as doubles)."""
    if dtype.itemsize < 4 or dtype in (np.dtype(np.uint16), np.dtype(np.uint8)):
        return True
    if dtype == np.dtype(np.int32):
        return not (values == INT32_NA).any()  # -2**31 would read back as NA in R
    return False


def numeric_vector(values: np.ndarray, what: str, na: np.ndarray | None = None) -> Any:
    """Numeric/bool numpy values -> the R vector type that holds them exactly.

    float* -> double; bool -> logical; (u)int8/16 and int32 -> integer; int64/uint32/uint64 -> double
    (exact up to 2**53, checked).  ``na`` marks missing positions.
    """
    dtype = values.dtype
    if dtype.kind == "b":
        return bool_vector(values, na)
    if dtype.kind == "f":
        if dtype.itemsize > 8:
            raise TypeError(f"{what} has dtype {dtype}, which R cannot hold exactly")
        return float_vector(values, na)
    if dtype.kind in "iu":
        filled = values if na is None else np.where(na, 0, values)
        if fits_r_integer(dtype, filled):
            return int_vector(filled, na)
        check_exact_integers(filled, what)
        return float_vector(filled, na)
    raise TypeError(f"{what} has dtype {dtype}, which has no R equivalent here")


# --------------------------------------------------------------------------- R -> Python
_TYPE_NAMES = {"REALSXP": "double", "INTSXP": "integer", "LGLSXP": "logical", "STRSXP": "character",
               "VECSXP": "list", "NILSXP": "NULL", "CPLXSXP": "complex", "S4SXP": "S4"}


def r_type(vec: Any) -> str:
    """``"double"``, ``"integer"``, ``"logical"``, ``"character"``, ``"list"``, ``"NULL"``, ..."""
    kind = getattr(vec, "typeof", None)
    if kind is None:
        return str(base_fn("typeof")(vec)[0])
    return _TYPE_NAMES.get(kind.name, kind.name)


def from_r_vector(vec: Any) -> tuple[np.ndarray, np.ndarray]:
    """An R atomic vector as ``(values, na_mask)``.

    double -> float64, integer -> int32, logical -> bool, character -> object array of str (NA -> ``None``).
    For doubles the mask flags ``NA_real_`` *and* NaN (as R's ``is.na`` does); both are NaN in ``values``.
    """
    kind = r_type(vec)
    if kind == "double":
        vals = _buffer(vec, np.float64)
        na = np.isnan(vals)
        if na.any():
            # NA_real_ is a *signalling* NaN: numpy warns when casting it; hand back the plain NaN
            vals[na] = np.nan
        return vals, na
    if kind in ("integer", "logical"):
        raw = _buffer(vec, np.int32)
        na = raw == INT32_NA
        return (raw != 0 if kind == "logical" else raw), na
    if kind == "character":
        na = np.asarray(base_fn("is.na")(vec), dtype=bool) if len(vec) else np.zeros(0, bool)
        vals = np.empty(len(vec), dtype=object)
        vals[:] = [None if m else str(s) for s, m in zip(vec, na, strict=False)]
        return vals, na
    if kind == "NULL":
        return np.empty(0), np.zeros(0, bool)
    raise TypeError(f"cannot convert an R vector of type {kind!r}")


def _buffer(vec: Any, dtype: type) -> np.ndarray:
    """Copy of an R vector's data in R (column-major) order; rpy2 gives matrices a shaped memoryview."""
    if not len(vec):
        return np.empty(0, dtype=dtype)
    return np.array(np.asarray(vec.memoryview()).ravel(order="F"), dtype=dtype, copy=True)


def r_strings(vec: Any) -> list[str] | None:
    """An R character vector (or NULL) as a list of str; NA becomes ``"NA"``."""
    if vec is None or r_type(vec) == "NULL":
        return None
    vals, na = from_r_vector(vec)
    return ["NA" if m else str(v) for v, m in zip(vals, na, strict=False)]


def r_names(x: Any) -> list[str] | None:
    return r_strings(base_fn("names")(x))


def r_dim(x: Any) -> tuple[int, ...] | None:
    d = base_fn("dim")(x)
    if r_type(d) == "NULL":
        return None
    return tuple(int(v) for v in d)


def list_items(lst: Any) -> list[Any]:
    """The elements of an R list (as rpy2 objects)."""
    return [lst[i] for i in range(len(lst))]
