"""AnnData <-> Bioconductor ``SummarizedExperiment``, losslessly.

Orientation
-----------
Bioconductor is *features x samples*; AnnData is *samples (obs) x features (var)*.  This module owns
the transpose: every assay is ``X.T`` / ``layer.T``; ``colnames(se)`` are ``obs_names`` and
``rownames(se)`` are ``var_names``.

Mapping
-------
==================  ==================================================================================
AnnData             SummarizedExperiment
==================  ==================================================================================
``X``               assay ``"X"`` (the first assay), transposed; absent when ``X`` is None
``layers[k]``       assay ``k``, transposed
``obs``             ``colData(se)``  (rownames = ``obs_names``)
``var``             ``rowData(se)``  (rownames = ``var_names``)
``obsm[k]``         ``metadata(se)$obsm[[k]]``: matrix / dgCMatrix / DataFrame, n_obs rows named by obs
``varm[k]``         ``metadata(se)$varm[[k]]``: same with n_vars rows named by var
``obsp[k]``         ``metadata(se)$obsp[[k]]``: n_obs x n_obs, dimnames obs x obs (``varp`` alike)
``uns``             ``metadata(se)$uns``: named list (see :mod:`._nested`)
(record)            ``metadata(se)$pyomics_bridge``: ``version``, ``dtypes`` (readable: the pandas /
                    numpy dtype of every obs/var column and assay) and ``record`` (JSON string: dtypes,
                    sparse formats, index names, uns types) used on the way back
==================  ==================================================================================

obsm/varm/obsp keep the AnnData orientation (samples in rows) -- they are not assays.  Dense matrices
keep their R type (see :mod:`._matrices`); sparse ones are ``dgCMatrix``.  ``raw`` is not converted
(a warning says so).

From R, metadata entries other than ``obsm``, ``varm``, ``obsp``, ``varp``, ``uns`` and
``pyomics_bridge`` also go to ``adata.uns`` (by name), so an SE made in R keeps its metadata.
An SE made in R has no record: dtypes follow the native rules of :mod:`._frames` and
:mod:`._matrices`; the assay ``"X"`` (or else the first assay) becomes ``X``.  For a
``SingleCellExperiment``, ``reducedDims`` become ``obsm`` entries (``altExps`` are not converted).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from anndata import AnnData
from scipy import sparse

from . import _frames, _nested
from . import _matrices as mx
from . import _rbase as rb

FORMAT_VERSION = 1
RESERVED_METADATA = ("obsm", "varm", "obsp", "varp", "uns", "pyomics_bridge")

_SE_HELPERS = r"""
function(env) {
    env$make_se <- function(assays, assay_names, colData, rowData, metadata) {
        names(assays) <- assay_names
        if (length(assays) == 0L)
            return(SummarizedExperiment::SummarizedExperiment(colData = colData, rowData = rowData, metadata = metadata))
        SummarizedExperiment::SummarizedExperiment(
            assays = S4Vectors::SimpleList(assays), colData = colData, rowData = rowData, metadata = metadata)
    }
    env$is_se <- function(x) methods::is(x, "SummarizedExperiment")
    env$se_parts <- function(se) list(
        assays = as.list(SummarizedExperiment::assays(se, withDimnames = FALSE)),
        assay_names = SummarizedExperiment::assayNames(se),
        colData = SummarizedExperiment::colData(se),
        rowData = SummarizedExperiment::rowData(se, use.names = FALSE),
        colnames = colnames(se), rownames = rownames(se), dim = dim(se),
        metadata = S4Vectors::metadata(se))
    env$dimnames2 <- function(x) list(rownames(x), colnames(x))
    # SingleCellExperiment keeps embeddings in reducedDims (samples x k): they become obsm.
    env$reduced_dims <- function(se) {
        if (!methods::is(se, "SingleCellExperiment")) return(NULL)
        as.list(SingleCellExperiment::reducedDims(se))
    }
    env$metadata_record <- function(md) {
        pb <- md[["pyomics_bridge"]]
        if (is.list(pb) && is.character(pb[["record"]]) && length(pb[["record"]]) == 1L) pb[["record"]] else NULL
    }
}
"""


def _se_helpers() -> None:
    """Check the R packages and define the R helpers used here."""
    rb.helpers("SummarizedExperiment", purpose="converting AnnData <-> SummarizedExperiment")
    rb.define(_SE_HELPERS)


# --------------------------------------------------------------------------- checks


def check_unique(index: pd.Index, axis: str, what: str = "adata") -> None:
    """R objects cannot hold duplicated dimnames: raise before any conversion."""
    if not index.is_unique:
        dup = index[index.duplicated()].unique()[:5].tolist()
        raise ValueError(
            f"{what}.{axis}_names are duplicated ({dup}); R cannot hold duplicated {axis} names. "
            f"Call {what}.{axis}_names_make_unique() first"
        )


def _check_anndata(adata: Any, what: str) -> None:
    if not isinstance(adata, AnnData):
        raise TypeError(f"{what} must be an AnnData, got {type(adata).__name__}")
    check_unique(adata.obs_names, "obs", what)
    check_unique(adata.var_names, "var", what)
    if "X" in adata.layers:
        raise ValueError(f"{what}.layers has a layer named 'X', which would collide with the assay for .X")
    # Refuse oversized sparse matrices before doing any work in R.
    for key, m in [("X", adata.X), *((f"layers[{k!r}]", v) for k, v in adata.layers.items())]:
        mx.check_nnz(m, f"{what}.{key}")


# --------------------------------------------------------------------------- AnnData -> SE


def _encode_aligned(
    mapping: Mapping, what: str, names: list[str], *, pairwise: bool = False
) -> tuple[list[str], list[Any], dict]:
    """obsm/varm/obsp/varp -> R objects named by sample/feature; unconvertible items skipped with a warning."""
    keys, values, specs = [], [], {}
    for key, value in mapping.items():
        path = f"{what}[{key!r}]"
        try:
            if isinstance(value, pd.DataFrame):
                robj, rec = _frames.encode_frame(value, path)
                spec = {"format": "frame", "record": rec}
            else:
                if not (sparse.issparse(value) or isinstance(value, np.ndarray)):
                    raise TypeError(f"type {type(value).__name__} is not supported")
                dimnames = (names, names) if pairwise else (names,)
                robj, spec = mx.encode_matrix(value, path, dimnames=dimnames)
        except (TypeError, ValueError) as exc:
            warnings.warn(f"{path} cannot be converted to R ({exc}); it is skipped", UserWarning, stacklevel=4)
            continue
        keys.append(key)
        values.append(robj)
        specs[key] = spec
    return keys, values, specs


def _dtype_label(spec: Mapping) -> str:
    fmt = spec.get("format")
    return spec["dtype"] if fmt in (None, "dense") else f"{spec['dtype']} ({fmt})"


def encode_se(
    adata: AnnData,
    *,
    what: str = "adata",
    layers: bool = True,
    obsm: bool = True,
    varm: bool = True,
    obsp: bool = True,
    varp: bool = True,
    uns: bool = True,
) -> Any:
    """:func:`anndata_to_se` without the R context and the checks (callers do both)."""
    _se_helpers()
    if adata.raw is not None:
        warnings.warn(f"{what}.raw is not converted to R", UserWarning, stacklevel=3)
    obs_names, var_names = list(adata.obs_names), list(adata.var_names)

    assay_names, assays, assay_specs = [], [], {}
    items = [] if adata.X is None else [("X", adata.X)]
    items += list(adata.layers.items()) if layers else []
    for key, m in items:
        path = f"{what}.X" if key == "X" else f"{what}.layers[{key!r}]"
        robj, spec = mx.encode_matrix(m, path, transpose=True)  # features x samples
        assay_names.append(key)
        assays.append(robj)
        assay_specs[key] = spec

    col_data, obs_rec = _frames.encode_frame(adata.obs, f"{what}.obs")
    row_data, var_rec = _frames.encode_frame(adata.var, f"{what}.var")

    md_names, md_values = [], []
    record: dict[str, Any] = {
        "version": FORMAT_VERSION,
        "x": assay_specs.get("X"),
        "layers": {k: v for k, v in assay_specs.items() if k != "X"},
        "obs": obs_rec,
        "var": var_rec,
    }
    slots = [("obsm", obsm, obs_names, False), ("varm", varm, var_names, False),
             ("obsp", obsp, obs_names, True), ("varp", varp, var_names, True)]
    for slot, wanted, names, pairwise in slots:
        mapping = getattr(adata, slot)
        if not wanted or len(mapping) == 0:
            continue
        keys, values, specs = _encode_aligned(mapping, f"{what}.{slot}", names, pairwise=pairwise)
        md_names.append(slot)
        md_values.append(rb.named_list(keys, values))
        record[slot] = specs
    if uns and len(adata.uns):
        robj, tree = _nested.encode_nested(adata.uns, f"{what}.uns")
        md_names.append("uns")
        md_values.append(robj)
        record["uns"] = tree

    dtypes = rb.named_list(
        ["obs", "var", "assays"],
        [
            rb.call("named_list", rb.str_vector([c["dtype"] for c in obs_rec["columns"]]),
                    rb.str_vector([c["name"] for c in obs_rec["columns"]])),
            rb.call("named_list", rb.str_vector([c["dtype"] for c in var_rec["columns"]]),
                    rb.str_vector([c["name"] for c in var_rec["columns"]])),
            rb.call("named_list", rb.str_vector([_dtype_label(s) for s in assay_specs.values()]),
                    rb.str_vector(list(assay_specs))),
        ],
    )
    pb = rb.named_list(
        ["version", "dtypes", "record"],
        [rb.int_vector(np.array([FORMAT_VERSION])), dtypes, rb.str_vector([json.dumps(record)])],
    )
    md_names.append("pyomics_bridge")
    md_values.append(pb)
    return rb.call(
        "make_se",
        rb.robjects().rinterface.ListSexpVector(assays),
        rb.str_vector(assay_names),
        col_data,
        row_data,
        rb.named_list(md_names, md_values),
    )


def anndata_to_se(
    adata: AnnData,
    *,
    layers: bool = True,
    obsm: bool = True,
    varm: bool = True,
    obsp: bool = True,
    varp: bool = True,
    uns: bool = True,
) -> Any:
    """Convert an AnnData to a Bioconductor ``SummarizedExperiment`` (features x samples).

    Parameters
    ----------
    adata
        The AnnData; it is not modified.  obs and var names must be unique.
    layers, obsm, varm, obsp, varp, uns
        Whether to convert these slots (``layers`` to assays, the others to ``metadata(se)``).

    Returns
    -------
    rpy2 ``RS4`` of class ``SummarizedExperiment``; :func:`se_to_anndata` turns it back into an equal
    AnnData (same dtypes, sparse formats, category order, names).

    Raises
    ------
    ValueError
        Duplicated obs/var names (the message names the axis), a sparse matrix with 2**31 or more
        stored values, or integers beyond 2**53 in ``X``/layers/obs/var.
    TypeError
        A column or matrix of a dtype with no R equivalent.
    RUnavailableError
        R, rpy2, SummarizedExperiment or Matrix is missing (the message says how to install it).
    """
    _check_anndata(adata, "adata")
    with rb.r_context():
        return encode_se(adata, layers=layers, obsm=obsm, varm=varm, obsp=obsp, varp=varp, uns=uns)


# --------------------------------------------------------------------------- SE -> AnnData


def _load_record(metadata: Any) -> dict | None:
    raw = rb.call("metadata_record", metadata)
    if rb.r_type(raw) == "NULL":
        return None
    try:
        record = json.loads(str(raw[0]))
    except (ValueError, TypeError):
        warnings.warn("metadata(se)$pyomics_bridge$record is not valid JSON; ignored", UserWarning, stacklevel=4)
        return None
    if not isinstance(record, dict) or record.get("version") != FORMAT_VERSION:
        warnings.warn("metadata(se)$pyomics_bridge has an unknown version; ignored", UserWarning, stacklevel=4)
        return None
    return record


def _align_rows(value: Any, rownames: list[str] | None, target: list[str], path: str) -> Any:
    """Rows of an obsm/varm entry in the order of ``target`` (R code may have subset the SE)."""
    if rownames is None or rownames == target:
        if value.shape[0] == len(target):
            return value
    elif set(target) <= set(rownames) and len(set(rownames)) == len(rownames):
        pos = pd.Index(rownames).get_indexer(target)
        return value.iloc[pos] if isinstance(value, pd.DataFrame) else value[pos]
    warnings.warn(f"{path} does not match the {len(target)} names of its axis; it is skipped", UserWarning,
                  stacklevel=5)
    return None


def _decode_aligned(robj: Any, specs: Mapping | None, path: str, names: list[str], pairwise: bool) -> dict:
    out = {}
    items = rb.list_items(robj)
    for key, item in zip(rb.r_names(robj) or [f"item_{i}" for i in range(len(items))], items, strict=False):
        spec = (specs or {}).get(key)
        p = f"{path}[{key!r}]"
        try:
            if rb.r_kind(item) == "frame":
                value = _frames.decode_frame(item, (spec or {}).get("record"), p)
                value = _align_rows(value, list(value.index), names, p)
                if value is not None:
                    value.index = pd.Index(names, dtype=object)
            else:
                value = mx.decode_matrix(item, spec, p)
                rows, cols = (rb.r_strings(v) for v in rb.list_items(rb.call("dimnames2", item)))
                value = _align_rows(value, rows, names, p)
                if pairwise and value is not None:
                    value = _align_rows(value.T, cols, names, p)
                    value = None if value is None else value.T
        except TypeError as exc:
            warnings.warn(f"{p} is skipped: {exc}", UserWarning, stacklevel=4)
            continue
        if value is not None:
            out[key] = value
    return out


def decode_se(se: Any, *, what: str = "se") -> AnnData:
    """:func:`se_to_anndata` without the R context (callers hold it)."""
    _se_helpers()
    if not bool(rb.call("is_se", se)[0]):
        raise TypeError(f"{what} must be an R SummarizedExperiment, got class {rb.r_kind(se)!r}")
    parts = rb.call("se_parts", se)
    n_vars, n_obs = (int(v) for v in parts.rx2("dim"))
    obs_names = rb.r_strings(parts.rx2("colnames")) or [str(i) for i in range(n_obs)]
    var_names = rb.r_strings(parts.rx2("rownames")) or [str(i) for i in range(n_vars)]
    metadata = parts.rx2("metadata")
    record = _load_record(metadata) or {}

    assays = rb.list_items(parts.rx2("assays"))
    names = rb.r_strings(parts.rx2("assay_names")) or []
    layer_specs = record.get("layers", {})
    names = [n if (n or n in layer_specs) else f"assay_{i}"  # a recorded "" layer name stays ""
             for i, n in enumerate(names + [""] * (len(assays) - len(names)))]
    if "X" in names and (not record or record.get("x") is not None):
        x_key = "X"
    elif not record and names:
        x_key = names[0]
    else:
        x_key = None
    X, layers = None, {}
    for key, robj in zip(names, assays, strict=False):
        spec = record.get("x") if key == x_key else layer_specs.get(key)
        m = mx.decode_matrix(robj, spec, f"{what} assay {key!r}", transpose=True)
        if key == x_key:
            X = m
        else:
            layers[key] = m

    obs = _frames.decode_frame(parts.rx2("colData"), record.get("obs"), f"{what} colData", index=obs_names)
    var = _frames.decode_frame(parts.rx2("rowData"), record.get("var"), f"{what} rowData", index=var_names)

    slots: dict[str, dict] = {}
    uns: dict[str, Any] = {}
    md_items = rb.list_items(metadata)
    md_names = rb.r_names(metadata) or [""] * len(md_items)
    for i, (key, item) in enumerate(zip(md_names, md_items, strict=False)):
        if key in ("obsm", "varm", "obsp", "varp") and rb.r_kind(item) == "list":
            names_ = obs_names if key in ("obsm", "obsp") else var_names
            slots[key] = _decode_aligned(item, record.get(key), f"{what} metadata${key}", names_, key.endswith("p"))
        elif key == "uns" and rb.r_kind(item) == "list":
            uns.update(_nested.decode_items(item, record.get("uns"), f"{what} metadata$uns"))
        elif key != "pyomics_bridge":
            key = key or f"metadata_{i}"
            value = _nested.decode_nested(item, None, f"{what} metadata${key}")
            if key not in uns and (value is not None or rb.r_kind(item) == "null"):
                uns[key] = value
    reduced = rb.call("reduced_dims", se)
    if rb.r_type(reduced) != "NULL" and len(reduced):
        dims = _decode_aligned(reduced, None, f"{what} reducedDims", obs_names, False)
        slots["obsm"] = {**dims, **slots.get("obsm", {})}  # metadata(se)$obsm wins on a name clash
    return AnnData(X=X, obs=obs, var=var, layers=layers or None, uns=uns, **slots)


def se_to_anndata(se: Any) -> AnnData:
    """Convert a Bioconductor ``SummarizedExperiment`` (or subclass) to an AnnData (samples x features).

    Parameters
    ----------
    se
        rpy2 object of class ``SummarizedExperiment`` (``RangedSummarizedExperiment`` and other
        subclasses too), made by :func:`anndata_to_se` or natively in R.

    Returns
    -------
    AnnData with ``X`` from the assay ``"X"`` (else the first assay), the other assays as layers,
    ``obs``/``var`` from colData/rowData and obsm/varm/obsp/varp/uns from ``metadata(se)``.  When
    ``metadata(se)$pyomics_bridge`` is present the original dtypes and formats are restored.
    """
    with rb.r_context():
        return decode_se(se)
