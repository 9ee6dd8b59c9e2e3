"""The DIABLO / block-PLS design matrix (which blocks are connected, and how strongly).

mixOmics' rules (spec §2.9), with ``J`` X blocks and the response block ``"Y"`` last:

* ``None`` or ``"full"``: 1 between every pair of blocks, 0 on the diagonal;
* ``"null"``: 0 between the X blocks; Y is still linked to every X block (1);
* a number ``c`` in [0, 1]: ``c`` between the X blocks, 1 between Y and every X block (DIABLO tutorials use ~0.1
  when prediction matters more than the correlation between omics);
* a ``J × J`` matrix (array, or DataFrame indexed by block names in any order): the X-block part; a Y row and
  column of 1s is appended (mixOmics prints "Design matrix has changed to include Y");
* a ``(J+1) × (J+1)`` matrix: used as given (a DataFrame must name the response block ``"Y"``).

The result is symmetric, with entries in [0, 1] and a zero diagonal; anything else is refused with a
:class:`~pyomics_bridge._conventions.ValidationError` that names the problem.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._conventions import ValidationError

__all__ = ["design_matrix"]


def _check_values(M: np.ndarray, names: Sequence[str]) -> None:
    if not np.all(np.isfinite(M)):
        raise ValidationError("design contains missing or infinite values")
    if np.any(M < 0) or np.any(M > 1):
        raise ValidationError(f"design values must lie in [0, 1], got min {M.min():g} and max {M.max():g}")
    if not np.allclose(M, M.T, rtol=0, atol=1e-12):
        i, j = np.unravel_index(np.argmax(np.abs(M - M.T)), M.shape)
        raise ValidationError(
            f"design must be symmetric: design[{names[i]!r}, {names[j]!r}] = {M[i, j]:g} but "
            f"design[{names[j]!r}, {names[i]!r}] = {M[j, i]:g}"
        )
    if np.any(np.diag(M) != 0):
        raise ValidationError("design must have a zero diagonal (a block is not linked to itself)")


def design_matrix(design, blocks: Sequence[str], *, y_name: str = "Y") -> pd.DataFrame:
    """The full ``(J+1) × (J+1)`` design (X blocks in ``blocks`` order, then ``y_name``) from a user value.

    Parameters
    ----------
    design
        ``None``/``"full"``, ``"null"``, a number in [0, 1], a ``J × J`` or ``(J+1) × (J+1)`` array or DataFrame
        (see the module docstring).
    blocks
        Names of the X blocks, in model order.
    y_name
        Name of the response block (last row/column).

    Returns
    -------
    DataFrame indexed and labelled by ``[*blocks, y_name]``.
    """
    blocks = [str(b) for b in blocks]
    names = blocks + [y_name]
    J = len(blocks)
    if design is None or (isinstance(design, str) and design == "full"):
        M = np.ones((J + 1, J + 1))
    elif isinstance(design, str):
        if design != "null":
            raise ValidationError(f"design must be 'full', 'null', a number in [0, 1] or a matrix, got {design!r}")
        M = np.zeros((J + 1, J + 1))
    elif isinstance(design, numbers.Real) and not isinstance(design, bool):
        value = float(design)
        if not 0 <= value <= 1:
            raise ValidationError(f"design must be a number in [0, 1], got {value:g}")
        M = np.full((J + 1, J + 1), value)
    else:
        if isinstance(design, pd.DataFrame):
            rows, cols = [str(i) for i in design.index], [str(c) for c in design.columns]
            if set(rows) != set(cols) or len(rows) != len(cols):
                raise ValidationError(
                    f"design rows and columns must name the same blocks, got rows {rows} and columns {cols}"
                )
            expected = set(blocks) | ({y_name} if y_name in rows else set())
            unknown = sorted(set(rows) - set(names))
            if unknown:
                raise ValidationError(f"design names unknown block(s) {unknown}; blocks: {names}")
            missing = sorted(expected - set(rows))
            if missing:
                raise ValidationError(f"design lacks block(s) {missing}; blocks: {names}")
            order = [b for b in names if b in rows]
            frame = design.copy()
            frame.index, frame.columns = rows, cols
            try:
                arr = frame.loc[order, order].to_numpy(dtype=np.float64)
            except (TypeError, ValueError) as exc:
                raise ValidationError(f"design must be numeric: {exc}") from exc
        else:
            try:
                arr = np.asarray(design, dtype=np.float64)
            except (TypeError, ValueError) as exc:
                raise ValidationError(f"design must be 'full', 'null', a number or a numeric matrix: {exc}") from exc
        if arr.ndim != 2 or arr.shape[0] != arr.shape[1] or arr.shape[0] not in (J, J + 1):
            raise ValidationError(
                f"design must be a {J} × {J} matrix (X blocks {blocks}) or {J + 1} × {J + 1} (with {y_name!r} "
                f"last), got shape {arr.shape}"
            )
        if arr.shape[0] == J:
            M = np.ones((J + 1, J + 1))
            M[:J, :J] = arr
            np.fill_diagonal(M, 0.0)
            _check_values(arr - np.diag(np.diag(arr)), blocks)
            if np.any(np.diag(arr) != 0):
                raise ValidationError("design must have a zero diagonal (a block is not linked to itself)")
        else:
            M = arr.copy()
        _check_values(M, names)
        return pd.DataFrame(M, index=names, columns=names)
    M[J, :] = 1.0
    M[:, J] = 1.0
    np.fill_diagonal(M, 0.0)
    return pd.DataFrame(M, index=names, columns=names)
