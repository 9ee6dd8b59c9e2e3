"""Input validation shared by the multi-omics estimators: errors name the argument (``X``, ``Y``, ``y``, ``keepX``...)."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._conventions import ValidationError, check_aligned

__all__ = ["as_block", "as_block_lean", "as_labels", "check_n_components", "check_rows", "check_option", "check_positive"]


def _unwrap(X: Any) -> tuple[Any, pd.Index | None, pd.Index | None]:
    """The values of ``X`` (a Series as one column) with its column and row names when it is a DataFrame/Series."""
    if isinstance(X, pd.DataFrame):
        return X.to_numpy(), X.columns.astype(str), X.index
    if isinstance(X, pd.Series):
        return X.to_numpy()[:, None], pd.Index([str(X.name)]), X.index
    return X, None, None


def _as_2d(arr: np.ndarray, name: str) -> np.ndarray:
    """A 1-D array as one column; anything but 2-D refused."""
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValidationError(f"{name} must be a 2-D matrix (samples × features), got {arr.ndim} dimensions")
    return arr


def _check_size(arr, name: str, min_samples: int) -> None:
    n, p = arr.shape
    if n < min_samples:
        raise ValidationError(f"{name} has {n} sample(s) (rows); at least {min_samples} are needed")
    if p < 1:
        raise ValidationError(f"{name} has no features (columns)")


def as_block(
    X: Any, *, name: str = "X", allow_nan: bool = True, min_samples: int = 2
) -> tuple[np.ndarray, pd.Index | None, pd.Index | None]:
    """A block as a float64 n × p array, plus its column and row names when ``X`` is a DataFrame.

    A 1-D input is read as a single column. Infinite values are always refused, NaN unless ``allow_nan``;
    rows or columns with only missing values are refused.
    """
    values, columns, index = _unwrap(X)
    if hasattr(values, "tocsr") and hasattr(values, "nnz"):  # scipy.sparse: say so instead of "not numeric"
        raise ValidationError(
            f"{name} is a scipy.sparse matrix; this method needs a dense array ({name}.toarray()). SPCA, PLS, SPLS, "
            f"PLSDA and SPLSDA take sparse input without densifying it"
        )
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{name} must be numeric: {exc}") from exc
    arr = _as_2d(arr, name)
    _check_size(arr, name, min_samples)
    if np.isinf(arr).any():
        raise ValidationError(f"{name} contains {int(np.isinf(arr).sum())} infinite value(s)")
    missing = np.isnan(arr)
    if missing.any():
        if not allow_nan:
            raise ValidationError(f"{name} contains {int(missing.sum())} NaN value(s); missing values are not allowed here")
        if missing.all(axis=0).any():
            cols = np.flatnonzero(missing.all(axis=0))[:5]
            names = list(columns[cols]) if columns is not None else cols.tolist()
            raise ValidationError(f"{name} has column(s) with only missing values: {names}")
        if missing.all(axis=1).any():
            rows = np.flatnonzero(missing.all(axis=1))[:5]
            names = list(index[rows]) if index is not None else rows.tolist()
            raise ValidationError(f"{name} has row(s) with only missing values: {names}")
    return arr, columns, index


def as_block_lean(
    X: Any, *, name: str = "X", min_samples: int = 2
) -> tuple[Any, pd.Index | None, pd.Index | None, bool]:
    """A block for the memory-lean estimators: kept in its dtype, never copied or densified when avoidable.

    float32/float64 arrays (and DataFrames of them) are returned as they are; other numeric dtypes become float64;
    scipy.sparse matrices stay sparse (float32/float64 values; NaN refused: missing values need a dense array).
    Infinite values are refused (checked by row chunks, no n × p temporary). Returns ``(block, columns, index,
    has_nan)``; a dense block with NaN gets :func:`as_block`'s checks (no all-missing row or column), and the
    caller then takes the dense NA-aware path.
    """
    from scipy import sparse

    columns = index = None
    if sparse.issparse(X):
        values = X if X.format in ("csr", "csc") else X.tocsr()  # coo/lil/dok...: CSR (O(nnz))
        if values.dtype not in (np.float32, np.float64):
            try:
                values = values.astype(np.float64)
            except (TypeError, ValueError) as exc:
                raise ValidationError(f"{name} must be numeric: {exc}") from exc
        if values.ndim != 2:
            raise ValidationError(f"{name} must be a 2-D matrix (samples × features)")
        data = values.data
        if np.isnan(data).any():
            raise ValidationError(
                f"{name} is a scipy.sparse matrix with {int(np.isnan(data).sum())} NaN value(s); missing values "
                f"need a dense array (they use the NA-aware NIPALS path)"
            )
        if np.isinf(data).any():
            raise ValidationError(f"{name} contains {int(np.isinf(data).sum())} infinite value(s)")
        arr, missing = values, False
    else:
        values, columns, index = _unwrap(X)
        arr = values if isinstance(values, np.ndarray) and values.dtype in (np.float32, np.float64) else None
        if arr is None:
            try:
                arr = np.asarray(values, dtype=np.float64)
            except (TypeError, ValueError) as exc:
                raise ValidationError(f"{name} must be numeric: {exc}") from exc
        arr = _as_2d(arr, name)
        n_inf, missing = 0, False
        step = max(1, (16 << 20) // (arr.itemsize * max(arr.shape[1], 1)))
        for i in range(0, arr.shape[0], step):
            chunk = arr[i:i + step]
            finite = np.isfinite(chunk)
            if not finite.all():
                nan = np.isnan(chunk)
                missing = missing or bool(nan.any())
                n_inf += int((~finite & ~nan).sum())
        if n_inf:
            raise ValidationError(f"{name} contains {n_inf} infinite value(s)")
    _check_size(arr, name, min_samples)
    if missing:  # dense NA path: the checks of as_block (and its float64 array)
        arr, columns, index = as_block(pd.DataFrame(arr, index=index, columns=columns) if columns is not None
                                       else arr, name=name, allow_nan=True, min_samples=min_samples)
    return arr, columns, index, missing


def as_labels(y: Any, *, name: str = "y") -> tuple[np.ndarray, pd.Index | None]:
    """Class labels as a 1-D object array (no missing labels), plus the row names of a Series."""
    index = y.index if isinstance(y, pd.Series) else None
    if isinstance(y, pd.DataFrame):
        if y.shape[1] != 1:
            raise ValidationError(f"{name} must be a vector of class labels, got a DataFrame with {y.shape[1]} columns")
        index, y = y.index, y.iloc[:, 0]
    arr = np.asarray(y, dtype=object)
    if arr.ndim == 2 and 1 in arr.shape:
        arr = arr.ravel()
    if arr.ndim != 1:
        raise ValidationError(f"{name} must be a 1-D vector of class labels, got shape {arr.shape}")
    missing = pd.isna(arr)
    if missing.any():
        raise ValidationError(f"{name} contains {int(missing.sum())} missing label(s) (NaN/None)")
    return arr, index


def check_rows(n_x: int, n_y: int, index_x: pd.Index | None, index_y: pd.Index | None, *, what_y: str = "Y") -> None:
    """X and Y must describe the same samples: same number of rows and, when both are named, the same names."""
    if n_x != n_y:
        raise ValidationError(
            f"X and {what_y} are not aligned: X has {n_x} rows (samples) and {what_y} has {n_y}"
        )
    if index_x is not None and index_y is not None:
        check_aligned(pd.Index(index_x), pd.Index(index_y), what_a="X rows", what_b=f"{what_y} rows")


def check_n_components(n_components: Any, limit: int, *, what: str) -> int:
    """``n_components`` must be an integer in [1, limit]."""
    if isinstance(n_components, bool) or not isinstance(n_components, numbers.Integral) or n_components < 1:
        raise ValidationError(f"n_components must be a positive integer, got {n_components!r}")
    if n_components > limit:
        raise ValidationError(f"n_components={n_components} is larger than {what} ({limit})")
    return int(n_components)


def check_option(value: Any, allowed: Sequence[str], *, name: str) -> str:
    """``value`` must be one of ``allowed``."""
    if value not in allowed:
        raise ValidationError(f"{name} must be one of {list(allowed)}, got {value!r}")
    return value


def check_positive(value: Any, *, name: str, integer: bool = False) -> Any:
    """A positive number (an integer when ``integer``)."""
    ok = isinstance(value, numbers.Integral) if integer else isinstance(value, numbers.Real)
    if isinstance(value, bool) or not ok or value <= 0:
        kind = "positive integer" if integer else "positive number"
        raise ValidationError(f"{name} must be a {kind}, got {value!r}")
    return value
