"""MuData <-> Bioconductor ``MultiAssayExperiment``, losslessly.

Mapping
-------
=======================  ===========================================================================
MuData                   MultiAssayExperiment
=======================  ===========================================================================
``mod[k]``               ``experiments(mae)[[k]]``: a SummarizedExperiment made by
                         :func:`~pyomics_bridge.r.anndata_to_se` (features x samples, see ``_se``)
``obs`` (global)         ``colData(mae)``; rownames = ``mdata.obs_names`` (the *primary* names)
obs membership           ``sampleMap(mae)``: one row per sample of each modality, ``assay`` (factor
                         of modality names), ``primary`` and ``colname`` (both the obs name: MuData
                         shares obs names between global and modality tables)
``var`` (global)         ``metadata(mae)$var``: DataFrame without rownames (var names may repeat
                         across modalities; they are rebuilt from the modalities)
``obsm``/``obsp``        ``metadata(mae)$obsm`` / ``$obsp`` (rows named by primary name)
``varm``/``varp``        ``metadata(mae)$varm`` / ``$varp``
``uns``                  ``metadata(mae)$uns``
(record)                 ``metadata(mae)$pyomics_bridge`` (``version``, ``record`` JSON)
=======================  ===========================================================================

Modalities may cover different subsets of the samples (e.g. the protein data of breast.TCGA has 150
of 220 samples): each experiment holds its own columns and the sampleMap says which they are.

From a MultiAssayExperiment made in R, each experiment's colnames are renamed to their primary names
through the sampleMap (MuData needs one name per sample across modalities); an experiment that maps
one primary to several columns (technical replicates) cannot be represented and raises
``ValueError``.  Experiments that are plain matrices become AnnData with ``X`` only.  Primary samples
with no data in any experiment are dropped (a MuData has no obs without data).
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import numpy as np
import pandas as pd
from anndata import AnnData

from . import _frames, _nested, _se
from . import _matrices as mx
from . import _rbase as rb

_MAE_HELPERS = r"""
function(env) {
    env$make_mae <- function(experiments, names, colData, assay, primary, colname, metadata) {
        names(experiments) <- names
        smap <- S4Vectors::DataFrame(assay = factor(assay, levels = names), primary = primary,
                                     colname = colname)
        MultiAssayExperiment::MultiAssayExperiment(
            experiments = MultiAssayExperiment::ExperimentList(experiments),
            colData = colData, sampleMap = smap, metadata = metadata)
    }
    env$is_mae <- function(x) methods::is(x, "MultiAssayExperiment")
    env$mae_parts <- function(mae) {
        smap <- MultiAssayExperiment::sampleMap(mae)
        list(experiments = as.list(MultiAssayExperiment::experiments(mae)),
             names = names(mae), colData = MultiAssayExperiment::colData(mae),
             primaries = rownames(MultiAssayExperiment::colData(mae)),
             assay = as.character(smap$assay), primary = as.character(smap$primary),
             colname = as.character(smap$colname), metadata = S4Vectors::metadata(mae))
    }
}
"""


def _mae_helpers() -> None:
    """Check the R packages and define the R helpers used here."""
    rb.helpers("SummarizedExperiment", "MultiAssayExperiment", purpose="converting MuData <-> MultiAssayExperiment")
    _se._se_helpers()
    rb.define(_MAE_HELPERS)


def _check_mudata(mdata: Any) -> None:
    from mudata import MuData

    if not isinstance(mdata, MuData):
        raise TypeError(f"mdata must be a MuData, got {type(mdata).__name__}")
    if getattr(mdata, "axis", 0) != 0:
        raise NotImplementedError("only MuData with shared observations (axis=0) map to a MultiAssayExperiment")
    _se.check_unique(mdata.obs_names, "obs", "mdata")
    for name, mod in mdata.mod.items():
        _se._check_anndata(mod, f"mdata.mod[{name!r}]")


def mudata_to_mae(
    mdata: Any,
    *,
    layers: bool = True,
    obsm: bool = True,
    varm: bool = True,
    obsp: bool = True,
    varp: bool = True,
    uns: bool = True,
) -> Any:
    """Convert a MuData to a Bioconductor ``MultiAssayExperiment``.

    Parameters
    ----------
    mdata
        MuData with shared observations (``axis=0``); it is not modified.  Global and per-modality
        obs names, and var names within each modality, must be unique.
    layers, obsm, varm, obsp, varp, uns
        Passed to :func:`~pyomics_bridge.r.anndata_to_se` for every modality, and used for the
        global slots.

    Returns
    -------
    rpy2 ``RS4`` of class ``MultiAssayExperiment``; :func:`mae_to_mudata` turns it back into an
    equal MuData.
    """
    _check_mudata(mdata)
    opts = {"layers": layers, "obsm": obsm, "varm": varm, "obsp": obsp, "varp": varp, "uns": uns}
    with rb.r_context():
        _mae_helpers()
        names, experiments, assay, primary = [], [], [], []
        for name, mod in mdata.mod.items():
            experiments.append(_se.encode_se(mod, what=f"mdata.mod[{name!r}]", **opts))
            names.append(name)
            assay += [name] * mod.n_obs
            primary += list(mod.obs_names)
        col_data, obs_rec = _frames.encode_frame(mdata.obs, "mdata.obs")
        record: dict[str, Any] = {"version": _se.FORMAT_VERSION, "obs": obs_rec}
        md_names, md_values = [], []
        if mdata.var.shape[1]:
            var_df, record["var"] = _frames.encode_frame(mdata.var, "mdata.var", rownames=False)
            md_names.append("var")
            md_values.append(var_df)
        obs_names = list(mdata.obs_names)
        var_names = list(mdata.var_names) if mdata.var_names.is_unique else None
        for slot, names_, pairwise in (("obsm", obs_names, False), ("varm", var_names, False),
                                       ("obsp", obs_names, True), ("varp", var_names, True)):
            mapping = getattr(mdata, slot)
            if not opts[slot] or len(mapping) == 0:
                continue
            keys, values, specs = _se._encode_aligned(mapping, f"mdata.{slot}", names_, pairwise=pairwise)
            md_names.append(slot)
            md_values.append(rb.named_list(keys, values))
            record[slot] = specs
        if uns and len(mdata.uns):
            robj, record["uns"] = _nested.encode_nested(mdata.uns, "mdata.uns")
            md_names.append("uns")
            md_values.append(robj)
        md_names.append("pyomics_bridge")
        md_values.append(rb.named_list(
            ["version", "record"],
            [rb.int_vector(np.array([_se.FORMAT_VERSION])), rb.str_vector([json.dumps(record)])],
        ))
        return rb.call(
            "make_mae",
            rb.robjects().rinterface.ListSexpVector(experiments),
            rb.str_vector(names),
            col_data,
            rb.str_vector(assay),
            rb.str_vector(primary),
            rb.str_vector(primary),
            rb.named_list(md_names, md_values),
        )


def _experiment_to_anndata(robj: Any, name: str) -> AnnData:
    if bool(rb.call("is_se", robj)[0]):
        return _se.decode_se(robj, what=f"experiment {name!r}")
    # A plain matrix (or other matrix-like) experiment: X only.
    X = mx.decode_matrix(robj, None, f"experiment {name!r}", transpose=True)
    rows, cols = (rb.r_strings(v) for v in rb.list_items(rb.call("dimnames2", robj)))
    obs = pd.DataFrame(index=pd.Index(cols or [str(i) for i in range(X.shape[0])], dtype=object))
    var = pd.DataFrame(index=pd.Index(rows or [str(i) for i in range(X.shape[1])], dtype=object))
    return AnnData(X=X, obs=obs, var=var)


def _rename_to_primary(adata: AnnData, name: str, assay: list[str], primary: list[str], colname: list[str]) -> None:
    """Rename an experiment's samples (colnames) to their primary names, through the sampleMap."""
    pairs = [(c, p) for a, c, p in zip(assay, colname, primary, strict=False) if a == name]
    mapping = dict(pairs)
    if len(mapping) != len(pairs) or len(set(mapping.values())) != len(mapping):
        raise ValueError(
            f"experiment {name!r} maps primary samples to several columns (or the reverse); MuData needs "
            "one column per primary sample in each modality"
        )
    if all(c == p for c, p in pairs):
        return
    missing = [c for c in adata.obs_names if c not in mapping]
    if missing:
        raise ValueError(f"experiment {name!r} has columns missing from the sampleMap: {missing[:5]}")
    adata.obs_names = [mapping[c] for c in adata.obs_names]


def mae_to_mudata(mae: Any) -> Any:
    """Convert a Bioconductor ``MultiAssayExperiment`` to a MuData.

    Parameters
    ----------
    mae
        rpy2 object of class ``MultiAssayExperiment``, made by :func:`mudata_to_mae` or in R.

    Returns
    -------
    MuData with one modality per experiment (SummarizedExperiments through
    :func:`~pyomics_bridge.r.se_to_anndata`), global obs from ``colData(mae)`` and the global
    slots from ``metadata(mae)``.
    """
    import mudata

    with rb.r_context():
        _mae_helpers()
        if not bool(rb.call("is_mae", mae)[0]):
            raise TypeError(f"mae must be an R MultiAssayExperiment, got class {rb.r_kind(mae)!r}")
        parts = rb.call("mae_parts", mae)
        names = rb.r_strings(parts.rx2("names")) or []
        assay, primary, colname = (rb.r_strings(parts.rx2(k)) or [] for k in ("assay", "primary", "colname"))
        mods = {}
        for name, robj in zip(names, rb.list_items(parts.rx2("experiments")), strict=False):
            mod = _experiment_to_anndata(robj, name)
            _rename_to_primary(mod, name, assay, primary, colname)
            mods[name] = mod
        metadata = parts.rx2("metadata")
        record = _se._load_record(metadata) or {}
        primaries = rb.r_strings(parts.rx2("primaries"))
        col_data = _frames.decode_frame(parts.rx2("colData"), record.get("obs"), "colData(mae)", index=primaries)
        md = dict(zip(rb.r_names(metadata) or [], rb.list_items(metadata), strict=False))

        opts = {"pull_on_update": False} if "pull_on_update" in mudata._core.config.OPTIONS else {}
        with mudata.set_options(**opts), warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            mdata = mudata.MuData(mods)
        obs_names = list(mdata.obs_names)
        if col_data.index.is_unique and set(obs_names) <= set(col_data.index):
            obs = col_data.loc[obs_names]
            obs.index = pd.Index(obs_names, dtype=object, name=col_data.index.name)
            mdata.obs = obs
        else:
            warnings.warn("colData(mae) does not cover every sample; global obs left empty", UserWarning,
                          stacklevel=2)
        if "var" in md and rb.r_kind(md["var"]) == "frame":
            var = _frames.decode_frame(md["var"], record.get("var"), "metadata(mae)$var")
            if len(var) == mdata.n_vars:
                var.index = pd.Index(mdata.var_names, name=var.index.name)
                mdata.var = var
        var_names = list(mdata.var_names) if mdata.var_names.is_unique else None
        for slot, names_ in (("obsm", obs_names), ("varm", var_names), ("obsp", obs_names), ("varp", var_names)):
            if slot in md and rb.r_kind(md[slot]) == "list" and names_ is not None:
                values = _se._decode_aligned(md[slot], record.get(slot), f"metadata(mae)${slot}", names_,
                                             slot.endswith("p"))
                for key, value in values.items():
                    getattr(mdata, slot)[key] = value
        uns: dict[str, Any] = {}
        if "uns" in md and rb.r_kind(md["uns"]) == "list":
            uns.update(_nested.decode_items(md["uns"], record.get("uns"), "metadata(mae)$uns"))
        for key, item in md.items():
            if key not in _se.RESERVED_METADATA and key != "var" and key not in uns:
                uns[key] = _nested.decode_nested(item, None, f"metadata(mae)${key}")
        mdata.uns = uns
        return mdata
