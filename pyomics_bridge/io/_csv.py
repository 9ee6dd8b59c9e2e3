"""CSV matrices read with full float precision (bit-identical to the doubles that were written)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._conventions import ValidationError
from ._paths import PathLike, existing_file

#: Options that make pandas parse every float exactly (correctly rounded) and only ``NA`` as missing.
CSV_READ_OPTIONS: dict[str, Any] = {
    "float_precision": "round_trip",
    "keep_default_na": False,
    "na_values": ["NA"],
}


def _header(path, sep: str) -> list[str]:
    with open(path, newline="", encoding="utf-8") as fh:
        try:
            return next(csv.reader(fh, delimiter=sep))
        except StopIteration:
            raise ValidationError(f"'{path}' is empty (no header row)") from None


def read_csv_matrix(path: PathLike, *, index_col: int | None = 0, sep: str = ",") -> pd.DataFrame:
    """Read a CSV matrix with a header row, parsing floats exactly.

    Uses ``float_precision="round_trip"`` (correctly rounded parsing, so the shortest-repr floats written
    by R/Python come back bit-identical), ``keep_default_na=False`` and ``na_values=["NA"]`` (only ``NA`` is
    missing; empty strings stay empty strings). The row names (column ``index_col``) are always read as
    strings, so ids such as ``"007"`` or ``"1"`` are kept verbatim.

    Parameters
    ----------
    path
        CSV file.
    index_col
        Position of the row-name column, or ``None`` for no row names.
    sep
        Field separator.

    Returns
    -------
    A DataFrame; column names are the header strings.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist (the message names it).
    ValidationError
        When the header has duplicated names (pandas would silently rename them).
    """
    p = existing_file(path, what="CSV file")
    header = _header(p, sep)
    counts = pd.Series(header).value_counts()
    dups = sorted(counts.index[counts > 1])
    if dups:
        raise ValidationError(f"'{p}' has duplicated column names in its header: {dups[:5]}")
    dtype = {index_col: str} if index_col is not None else None
    df = pd.read_csv(p, sep=sep, index_col=index_col, dtype=dtype, **CSV_READ_OPTIONS)
    df.columns = df.columns.astype(str)
    return df


def csv_to_anndata(
    path: PathLike,
    *,
    obs_columns: Sequence[str] = (),
    transpose: bool = False,
    index_col: int | None = 0,
    sep: str = ",",
):
    """Read a samples x features CSV into an AnnData (float64 ``.X``).

    Columns named in ``obs_columns`` go to ``.obs``; every other column must be numeric. With
    ``transpose=True`` the file is read as features x samples (``obs_columns`` is then not allowed).
    """
    from anndata import AnnData

    df = read_csv_matrix(path, index_col=index_col, sep=sep)
    obs_columns = [obs_columns] if isinstance(obs_columns, str) else list(obs_columns)
    if transpose and obs_columns:
        raise ValidationError("obs_columns cannot be combined with transpose=True")
    missing = [c for c in obs_columns if c not in df.columns]
    if missing:
        raise ValidationError(f"obs_columns {missing} not in the columns of '{path}'")
    obs = df[obs_columns].copy()
    data = df.drop(columns=obs_columns)
    bad = [c for c in data.columns if not pd.api.types.is_numeric_dtype(data[c])]
    if bad:
        raise ValidationError(
            f"'{path}' has non-numeric column(s) {bad[:5]}; name annotation columns with obs_columns=[...]"
        )
    X = data.to_numpy(dtype=np.float64)
    var = pd.DataFrame(index=pd.Index(data.columns.astype(str)))
    obs.index = obs.index.astype(str)
    if transpose:
        return AnnData(X=X.T.copy(), obs=pd.DataFrame(index=var.index.copy()), var=pd.DataFrame(index=obs.index))
    return AnnData(X=X, obs=obs, var=var)
