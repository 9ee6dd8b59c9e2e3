"""numpy / scipy.sparse matrices <-> R matrices and ``Matrix::dgCMatrix``.

Dense arrays become R matrices (arrays for ndim > 2) of the R type that holds them exactly (see
:func:`pyomics_bridge.r._rbase.numeric_vector`); NaN stays NaN (R's ``is.na`` is TRUE for it).
Sparse matrices (CSR, CSC, COO, matrix or array classes, any numeric dtype) become ``dgCMatrix``:
its values are doubles, so integer and bool values go as doubles and the record restores the dtype.

``transpose=True`` writes the transpose, which is how ``X`` (samples x features) becomes a
Bioconductor assay (features x samples).  No data is copied for the transpose itself: a C-ordered
array read in R's column-major order *is* its transpose, and a CSR matrix's arrays *are* the CSC
arrays of its transpose.

The caller's matrix is never modified: unsorted or duplicated sparse indices (which ``dgCMatrix``
does not allow) are canonicalised on a copy.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse

from . import _rbase as rb

MAX_NNZ = 2**31 - 1  # dgCMatrix indexes its entries with R's 32-bit integers

_SPARSE_FORMATS = {"csr", "csc", "coo"}


def _sparse_format(m: Any) -> str:
    """``"csr_matrix"``, ``"csc_array"``... (views and subclasses reduced to the scipy class)."""
    kind = "array" if isinstance(m, sparse.sparray) else "matrix"
    return f"{m.format}_{kind}"


def _is_canonical(indptr: np.ndarray, indices: np.ndarray) -> bool:
    """Indices strictly increasing inside every compressed row/column (checked without touching the matrix)."""
    if indices.size < 2:
        return True
    step_ok = np.diff(indices) > 0
    starts = indptr[1:-1]
    starts = starts[(starts > 0) & (starts < indices.size)]
    step_ok[starts - 1] = True  # the step into a new row/column may go down
    return bool(step_ok.all())


def _compressed(m: Any, fmt: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, int]]:
    """(data, indices, indptr, shape) of ``m`` in ``fmt`` ("csr"/"csc"), canonical, without mutating ``m``."""
    conv = m.tocsr() if fmt == "csr" else m.tocsc()
    if conv is m and not _is_canonical(np.asarray(m.indptr), np.asarray(m.indices)):
        conv = m.copy()  # sum_duplicates() sorts in place: never on the caller's matrix
    if conv is not m and not _is_canonical(np.asarray(conv.indptr), np.asarray(conv.indices)):
        conv.sum_duplicates()
    return np.asarray(conv.data), np.asarray(conv.indices), np.asarray(conv.indptr), conv.shape


def check_nnz(m: Any, what: str) -> None:
    """Raise a clear error before converting a sparse matrix too large for ``dgCMatrix``."""
    if sparse.issparse(m) and m.nnz > MAX_NNZ:
        raise ValueError(
            f"{what} has {m.nnz} stored entries; an R dgCMatrix holds at most 2**31 - 1. "
            "Split the data or convert a subset"
        )


def matrix_spec(m: Any) -> dict:
    """Record of a matrix's format and dtype."""
    if sparse.issparse(m):
        return {"format": _sparse_format(m), "dtype": str(m.dtype)}
    return {"format": "dense", "dtype": str(np.asarray(m).dtype)}


def encode_matrix(
    m: Any, what: str, *, transpose: bool = False, dimnames: tuple[list[str] | None, ...] | None = None
) -> tuple[Any, dict]:
    """numpy/scipy matrix -> ``(R matrix or dgCMatrix, record)``.

    ``dimnames`` are the R dimnames (of the *R* object, i.e. already in transposed order).
    """
    spec = matrix_spec(m)
    if sparse.issparse(m):
        check_nnz(m, what)
        if m.ndim != 2 or m.format not in _SPARSE_FORMATS:
            raise TypeError(f"{what}: sparse format {m.format!r} is not supported (use CSR, CSC or COO)")
        data, indices, indptr, shape = _compressed(m, "csr" if transpose else "csc")
        values = np.asarray(data)
        if values.dtype.kind in "iu":
            rb.check_exact_integers(values, what)
        elif values.dtype.kind not in "fb":
            raise TypeError(f"{what} has dtype {values.dtype}; dgCMatrix holds numbers only")
        dim = (shape[1], shape[0]) if transpose else shape
        robj = rb.call(
            "dgc",
            rb.int_vector(indices),
            rb.int_vector(indptr),
            rb.float_vector(values),
            rb.int_vector(np.asarray(dim)),
            _dimnames(dimnames, 2),
        )
        return robj, spec
    arr = np.asarray(m)
    if arr.dtype.kind in "OUS":
        if not all(isinstance(v, str) for v in arr.ravel(order="K")):
            raise TypeError(f"{what}: object arrays must hold str only to go to R")
        flat_values = arr.T.ravel() if transpose else arr.ravel(order="F")
        vec = rb.str_vector([str(v) for v in flat_values])
    else:
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"{what} has dtype {arr.dtype}, which has no R equivalent here")
        # R is column-major: the C-order buffer of ``arr`` is the column-major buffer of arr.T
        flat = arr.ravel(order="C") if transpose else arr.ravel(order="F")
        vec = rb.numeric_vector(flat, what)
    dim = arr.shape[::-1] if transpose else arr.shape
    return rb.call("with_dim", vec, rb.int_vector(np.asarray(dim, dtype=np.int64)), _dimnames(dimnames, len(dim))), spec


def _dimnames(dimnames: tuple[list[str] | None, ...] | None, ndim: int) -> Any:
    if dimnames is None or all(d is None for d in dimnames):
        return rb.null()
    items = list(dimnames) + [None] * (ndim - len(dimnames))
    return rb.unnamed_list([rb.str_or_null(d) for d in items])


def _restore_dense(arr: np.ndarray, na: np.ndarray, spec: dict | None, what: str) -> np.ndarray:
    if spec is None or spec.get("format") != "dense":
        if na.any() and arr.dtype.kind in "iub":  # native R int/logical with NA: float64 with NaN
            arr = arr.astype(np.float64)
            arr[na] = np.nan
        return arr
    dtype = np.dtype(spec["dtype"])
    if dtype.kind in "OUS":
        return arr.astype(dtype)
    if na.any() and dtype.kind in "iub":
        import warnings

        warnings.warn(f"{what}: missing values appeared in R; returned as float64", UserWarning, stacklevel=4)
        out = arr.astype(np.float64)
        out[na] = np.nan
        return out
    return arr.astype(dtype, copy=False)


def _restore_sparse(csx: Any, spec: dict | None) -> Any:
    fmt = (spec or {}).get("format", "csr_matrix")
    if spec is not None and spec.get("dtype"):
        dtype = np.dtype(spec["dtype"])
        csx = csx.astype(dtype) if csx.dtype != dtype else csx
    if fmt == "dense":
        return csx.toarray()
    name, _, kind = fmt.partition("_")
    cls = getattr(sparse, f"{name}_{kind}", None) if name in _SPARSE_FORMATS else None
    return cls(csx) if cls is not None else sparse.csr_matrix(csx)


def decode_matrix(robj: Any, spec: dict | None = None, what: str = "matrix", *, transpose: bool = False) -> Any:
    """R matrix / array / ``Matrix`` object -> numpy array or scipy sparse matrix.

    With ``spec`` (from :func:`encode_matrix`) the dtype and sparse format are restored; without it
    integer -> int32, double -> float64, logical -> bool (float64 with NaN when NA is present) and any
    sparse matrix -> ``csr_matrix`` of float64.
    """
    robj = rb.call("norm_matrix", robj)
    kind = rb.r_kind(robj)
    if kind == "dgCMatrix":
        slot = robj.do_slot
        indices, _ = rb.from_r_vector(slot("i"))
        indptr, _ = rb.from_r_vector(slot("p"))
        data, _ = rb.from_r_vector(slot("x"))
        nrow, ncol = (int(v) for v in slot("Dim"))
        if transpose:
            csx = sparse.csr_matrix((data, indices, indptr), shape=(ncol, nrow))
        else:
            csx = sparse.csc_matrix((data, indices, indptr), shape=(nrow, ncol))
        return _restore_sparse(csx, spec)
    if kind not in ("array", "vector"):
        raise TypeError(f"{what}: cannot convert an R object of class {kind!r} to a matrix")
    values, na = rb.from_r_vector(robj)
    dim = rb.r_dim(robj) or (len(values),)
    if transpose:
        arr = values.reshape(dim[::-1], order="C")
        na = na.reshape(dim[::-1], order="C")
    else:
        arr = values.reshape(dim, order="F")
        na = na.reshape(dim, order="F")
    if values.dtype == object:
        arr = np.ascontiguousarray(arr)
    return _restore_dense(np.ascontiguousarray(arr), np.ascontiguousarray(na), spec, what)


def matrix_to_r(m: Any, *, transpose: bool = False) -> Any:
    """Convert a numpy array or scipy sparse matrix to an R matrix or ``dgCMatrix``.

    Parameters
    ----------
    m
        Dense array (float, int, bool; ndim >= 1) or sparse matrix (CSR/CSC/COO).
    transpose
        Write ``m.T`` (2-D only), e.g. to turn samples x features into features x samples.

    Returns
    -------
    rpy2 object: an R matrix/array or a ``Matrix::dgCMatrix`` (the input's sorting untouched).
    """
    with rb.r_context():
        rb.helpers(purpose="converting a matrix to R")
        return encode_matrix(m, "matrix", transpose=transpose)[0]


def r_to_matrix(robj: Any, *, spec: dict | None = None, transpose: bool = False) -> Any:
    """Convert an R matrix or sparse ``Matrix`` to numpy / ``scipy.sparse.csr_matrix``.

    Parameters
    ----------
    robj
        R matrix, array, ``Matrix`` object (sparse classes are coerced to ``dgCMatrix``) or
        anything ``as.matrix`` accepts.
    spec
        ``matrix_spec(original)``: restores the dtype and sparse format.
    transpose
        Read the transpose (features x samples in R -> samples x features).
    """
    with rb.r_context():
        rb.helpers(purpose="converting a matrix from R")
        return decode_matrix(robj, spec, "matrix", transpose=transpose)
