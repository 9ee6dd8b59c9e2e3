"""Reading and writing: AnnData (.h5ad), MuData (.h5mu) and exactly-parsed CSV matrices.

- :func:`read_h5ad`, :func:`write_h5ad`, :func:`read_h5mu`, :func:`write_h5mu`: thin wrappers around the
  anndata/mudata functions whose errors name the path;
- :func:`read_csv_matrix`: a CSV with a header row and row names, floats parsed bit-exactly;
- :func:`read`, :func:`write`: dispatch on the extension (``.h5ad``, ``.h5mu``, ``.csv``).
"""

from __future__ import annotations

from ._csv import CSV_READ_OPTIONS, csv_to_anndata, read_csv_matrix
from ._dispatch import READ_EXTENSIONS, WRITE_EXTENSIONS, read, write
from ._h5 import read_h5ad, read_h5mu, write_h5ad, write_h5mu

__all__ = [
    "CSV_READ_OPTIONS",
    "READ_EXTENSIONS",
    "WRITE_EXTENSIONS",
    "csv_to_anndata",
    "read",
    "read_csv_matrix",
    "read_h5ad",
    "read_h5mu",
    "write",
    "write_h5ad",
    "write_h5mu",
]
