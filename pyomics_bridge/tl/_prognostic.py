"""AnnData drivers of the ectopic-activation prognostic pipeline (EpiMed / Flin method).

Samples are rows; normal samples (``obs[normal_key] == normal_value``) serve as the silent reference, all other
samples are tumours. Per-gene results go to ``.var`` as ``{key_added}_{column}`` (NaN / False for genes not
analysed), per-sample results to ``.obs``, everything else (params, versions, tables) to ``.uns[key_added]``.
See ``docs/prognostic.md``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from anndata import AnnData

from .._conventions import (
    ValidationError,
    check_data,
    check_unique_names,
    finish,
    get_matrix,
    get_obs_vector,
    working_object,
    write_results,
)
from ..survival import _ectopic, _prognostic_score, _thresholds

__all__ = [
    "activation_reference",
    "activation_score",
    "prognostic_thresholds",
    "tissue_restricted_genes",
    "transfer_thresholds",
    "validate_panel",
]


# --------------------------------------------------------------------------- helpers
def _split_samples(adata: AnnData, normal_key: str | None, normal_value, *, name: str = "adata"):
    """Boolean masks (normal, tumour). A missing default column means: no normal samples."""
    n = adata.n_obs
    if normal_key is None:
        return np.zeros(n, dtype=bool), np.ones(n, dtype=bool)
    if normal_key not in adata.obs.columns:
        if normal_key == "tissue_status":
            return np.zeros(n, dtype=bool), np.ones(n, dtype=bool)
        raise ValidationError(f"{name}.obs has no column {normal_key!r} (columns: {list(adata.obs.columns)[:20]})")
    status = adata.obs[normal_key].astype(str).to_numpy()
    normal = status == str(normal_value)
    if normal.all():
        raise ValidationError(f"all samples of {name} have {normal_key} == {normal_value!r}: no tumours")
    return normal, ~normal


def _tumour_survival(adata, tumour, time_key, event_key, name="adata"):
    sub = adata[tumour]
    t = get_obs_vector(sub, time_key, kind="numeric", name=name)
    e = get_obs_vector(sub, event_key, kind="binary", name=name)
    return t, e


def _gene_mask(adata: AnnData, genes, *, name: str = "adata") -> np.ndarray:
    if genes is None:
        return np.ones(adata.n_vars, dtype=bool)
    if isinstance(genes, str):
        if genes not in adata.var.columns:
            raise ValidationError(f"genes={genes!r} is not a column of {name}.var (columns: {list(adata.var.columns)[:20]})")
        col = adata.var[genes]
        if col.dtype != bool:
            raise ValidationError(f"{name}.var[{genes!r}] must be boolean to select genes, got dtype {col.dtype}")
        mask = col.to_numpy(dtype=bool)
    else:
        wanted = [str(g) for g in genes]
        missing = [g for g in wanted if g not in adata.var_names]
        if missing:
            raise ValidationError(f"genes not in {name}.var_names: {missing[:10]}")
        mask = adata.var_names.isin(wanted)
    if not mask.any():
        raise ValidationError("no gene selected")
    return mask


def _var_columns(n_vars: int, prefix: str, table: pd.DataFrame, mask: np.ndarray | None = None) -> dict:
    """``.var`` columns (prefixed) from a per-gene table whose rows are the selected genes; others NaN/False/""."""
    mask = np.ones(n_vars, dtype=bool) if mask is None else mask
    out = {}
    for col in table.columns:
        values = table[col].to_numpy()
        if values.dtype == bool:
            full = np.zeros(n_vars, dtype=bool)
        elif values.dtype.kind in "iuf":
            full = np.full(n_vars, np.nan)
        else:
            full = np.full(n_vars, "", dtype=object)
        full[mask] = values
        out[f"{prefix}_{col}" if col else prefix] = full
    return out


def _uns_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out.index = out.index.astype(str)
    for c in out.columns:
        if out[c].dtype == object:
            out[c] = out[c].astype(str)
    return out


# --------------------------------------------------------------------------- reference and restriction
def activation_reference(
    adata: AnnData,
    *,
    normal_key: str | None = "tissue_status",
    normal_value: str = "normal",
    method: str = "m2sd",
    k: float = 2.0,
    percentile: float = 95.0,
    noise: float | None = 0.3,
    layer: str | None = None,
    key_added: str = "activation_reference",
    copy: bool = False,
) -> AnnData | None:
    """Per-gene "on" thresholds from the normal samples and the activation frequency in tumours.

    Parameters
    ----------
    adata
        Samples × genes, log-expression.
    normal_key, normal_value
        ``.obs`` column and value marking the normal samples.
    method
        ``"mean"``, ``"mean_ksd"``, ``"m2sd"`` (mean + 2 SD), ``"max"``, ``"percentile"`` or ``"noise"``.
    k, percentile
        SD multiplier (``"mean_ksd"``) and percentile (``"percentile"``).
    noise
        Minimum threshold (log scale); ``None`` for none.
    layer
        Use this layer instead of ``.X``.
    key_added
        Prefix of the ``.var`` columns and ``.uns`` key.
    copy
        Return a modified copy.

    Returns
    -------
    ``None`` or the copy; sets ``var[f"{key_added}_threshold"]``, ``var[f"{key_added}_frequency"]`` (% of
    tumours strictly above) and ``uns[key_added]`` (``params``, ``versions``, ``n_normals``, ``n_tumours``).
    """
    check_data(adata)
    check_unique_names(adata)
    X = get_matrix(adata, layer=layer)
    normal, tumour = _split_samples(adata, normal_key, normal_value)
    if method != "noise" and not normal.any():
        raise ValidationError(f"method={method!r} needs normal samples (adata.obs[{normal_key!r}] == {normal_value!r})")
    thr = _thresholds.reference_thresholds(X[normal] if method != "noise" else X, method=method, k=k,
                                           percentile=percentile, noise=noise)
    freq = _thresholds.activation_frequency(X[tumour], thr)
    target = working_object(adata, copy=copy)
    write_results(target, key_added=key_added,
                  var=_var_columns(target.n_vars, key_added, pd.DataFrame({"threshold": thr, "frequency": freq})),
                  params={"normal_key": normal_key, "normal_value": normal_value, "method": method, "k": k,
                          "percentile": percentile, "noise": noise, "layer": layer},
                  uns={"n_normals": int(normal.sum()), "n_tumours": int(tumour.sum())})
    return finish(target, copy=copy)


def tissue_restricted_genes(
    adata: AnnData,
    *,
    atlas: pd.DataFrame | None = None,
    target_tissues=("testis", "placenta"),
    reference_tissues=None,
    normal_key: str | None = "tissue_status",
    normal_value: str = "normal",
    max_ref_expr: float = 0.3,
    min_tissue_expr: float = 1.0,
    min_snr: float = 2.0,
    layer: str | None = None,
    key_added: str = "tissue_restricted",
    copy: bool = False,
) -> AnnData | None:
    """Genes silent in the reference (normal) tissue and expressed in a restricted tissue.

    With an ``atlas`` (genes × tissues table of typical log-expression, e.g. GTEx medians) a gene is restricted
    when its maximum over ``reference_tissues`` is at most ``max_ref_expr``, its maximum over ``target_tissues``
    at least ``min_tissue_expr`` and their ratio (``snr``) at least ``min_snr``. With normal samples in
    ``adata``, the gene must also be silent there: its maximum over the normal samples is at most
    ``max_ref_expr``. Without an atlas only the normal-sample rule applies.

    Parameters
    ----------
    adata
        Samples × genes, log-expression.
    atlas
        Optional DataFrame indexed by gene (matched to ``var_names``; missing genes are not restricted).
    target_tissues, reference_tissues
        Atlas columns: restricted tissues, and the normal counterpart (plus other somatic tissues if wanted).
    normal_key, normal_value
        ``.obs`` column and value of the normal samples (absent default column: no normals).
    max_ref_expr, min_tissue_expr, min_snr
        Selection thresholds (log scale; ratio).
    layer
        Use this layer instead of ``.X``.
    key_added
        Name of the boolean ``.var`` column and prefix of the others.
    copy
        Return a modified copy.

    Returns
    -------
    ``None`` or the copy; sets ``var[key_added]`` (bool), ``var[f"{key_added}_tissue"]``, ``_tissue_exp``,
    ``_ref_exp``, ``_snr``, ``_normal_max`` and ``uns[key_added]`` (``params``, ``versions``, ``n_restricted``).
    """
    check_data(adata)
    check_unique_names(adata)
    X = get_matrix(adata, layer=layer)
    normal, _ = _split_samples(adata, normal_key, normal_value)
    if atlas is None and not normal.any():
        raise ValidationError("give an atlas or normal samples in adata (obs[normal_key] == normal_value)")
    if atlas is not None and reference_tissues is None:
        raise ValidationError("reference_tissues is required with an atlas (e.g. reference_tissues='colon')")
    g = adata.n_vars
    table = pd.DataFrame({"tissue": np.full(g, "", dtype=object), "tissue_exp": np.nan, "ref_exp": np.nan,
                          "snr": np.nan, "normal_max": np.nan}, index=adata.var_names)
    restricted = np.ones(g, dtype=bool)
    if atlas is not None:
        res = _thresholds.tissue_restriction(atlas, target_tissues=target_tissues,
                                             reference_tissues=reference_tissues, max_ref_expr=max_ref_expr,
                                             min_tissue_expr=min_tissue_expr, min_snr=min_snr)
        res.index = res.index.astype(str)
        res = res.reindex(adata.var_names)
        table["tissue"] = res["restricted_tissue"].fillna("").astype(str).to_numpy()
        for c in ("tissue_exp", "ref_exp", "snr"):
            table[c] = res[c].to_numpy(dtype=float)
        restricted &= res["restricted"].fillna(False).to_numpy(dtype=bool)
    if normal.any():
        table["normal_max"] = X[normal].max(axis=0)
        restricted &= table["normal_max"].to_numpy() <= max_ref_expr
    table.insert(0, "", restricted)
    target = working_object(adata, copy=copy)
    write_results(target, key_added=key_added,
                  var=_var_columns(target.n_vars, key_added, table),
                  params={"target_tissues": list(np.atleast_1d(target_tissues)),
                          "reference_tissues": reference_tissues if reference_tissues is None else
                          list(np.atleast_1d(reference_tissues)), "atlas": atlas is not None,
                          "normal_key": normal_key, "normal_value": normal_value, "max_ref_expr": max_ref_expr,
                          "min_tissue_expr": min_tissue_expr, "min_snr": min_snr, "layer": layer},
                  uns={"n_restricted": int(restricted.sum()), "n_normals": int(normal.sum())})
    return finish(target, copy=copy)


# --------------------------------------------------------------------------- adaptive thresholds
def prognostic_thresholds(
    adata: AnnData,
    *,
    time_key: str = "os_time",
    event_key: str = "os_event",
    normal_key: str | None = "tissue_status",
    normal_value: str = "normal",
    reference: str | None = "max",
    genes=None,
    mode: str = "calibrated",
    grid=(15.0, 85.0, 1.0),
    min_samples: int = 20,
    noise: float | None = 0.3,
    test: str | None = None,
    selection: str | None = None,
    correction: str | None = None,
    direction: str = "poor",
    alpha: float = 0.05,
    cv=(5, 1),
    n_perm: int = 1000,
    truncate: float | None = 120.0,
    store_grid: bool | None = None,
    cv_hr: int | None = None,
    layer: str | None = None,
    random_state=0,
    n_jobs: int | None = None,
    key_added: str = "prognostic",
    copy: bool = False,
) -> AnnData | None:
    """Survival-driven activation threshold of each gene (percentile grid, Cox/log-rank, CV, corrections).

    ``mode="epimed"`` reproduces the reference method (binary Cox Wald p <= 0.05 and HR >= 1, EpiMed
    selection rule, no selection correction, strict ">", linear percentiles, 120-month truncation) with a seeded
    CV; ``mode="calibrated"`` (default) selects the maximal log-rank statistic and validates on BH q-values of
    Lau94-corrected p-values. See :func:`pyomics_bridge.survival.adaptive_thresholds`.

    Parameters
    ----------
    adata
        Samples × genes, log-expression; normal samples are excluded from the survival analysis.
    time_key, event_key
        ``.obs`` survival columns (tumours must have no missing values).
    normal_key, normal_value
        Normal samples (absent default column: all samples are tumours).
    reference
        Normal-derived lower bound of the threshold: ``"max"`` (EpiMed's ``min_reference_threshold``),
        ``"m2sd"``, ``"mean"`` or ``None``. Ignored without normal samples.
    genes
        Genes to analyse: a boolean ``.var`` column (e.g. ``"tissue_restricted"``), a list, or ``None`` (all).
    mode, grid, min_samples, noise, test, selection, correction, direction, alpha, cv, n_perm, truncate
        See :func:`pyomics_bridge.survival.adaptive_thresholds`.
    store_grid
        Keep the per-cut table in ``uns[key_added]["grid"]`` (default: at most 5,000 genes).
    cv_hr
        Repeats of the 2-fold cross-validated HR (cut selected in one half, tested in the other; Faraggi &
        Simon), which removes the optimism of the HR at the selected cut: adds ``var`` columns ``cv_hr``,
        ``cv_hr_p``, ``cv_hr_logrank_p``, ``cv_hr_repeats``. ``None``: not computed.
    layer
        Use this layer instead of ``.X``.
    random_state
        Seed of the CV splits and permutations (stored in ``params``).
    n_jobs
        Parallel CV splits / permutations; results do not depend on it.
    key_added
        Prefix of the ``.var`` columns and ``.uns`` key.
    copy
        Return a modified copy.

    Returns
    -------
    ``None`` or the copy; sets ``var[f"{key_added}_{c}"]`` for ``c`` in threshold, percentile, p, hr,
    cv_score, p_corrected, q_value, validated, full_expression_p, full_expression_hr, ... (see
    :data:`pyomics_bridge.survival._ectopic.GENE_COLUMNS`) and ``uns[key_added]`` with ``params``,
    ``versions``, ``table``, ``grid``, ``n_tumours``, ``n_events``, ``cv_splits``.
    """
    check_data(adata)
    check_unique_names(adata)
    X = get_matrix(adata, layer=layer)
    normal, tumour = _split_samples(adata, normal_key, normal_value)
    t, e = _tumour_survival(adata, tumour, time_key, event_key)
    mask = _gene_mask(adata, genes)
    ref = None
    if reference is not None and normal.any():
        if reference not in ("max", "m2sd", "mean"):
            raise ValidationError(f"reference must be 'max', 'm2sd', 'mean' or None, got {reference!r}")
        ref = _thresholds.reference_thresholds(X[normal][:, mask], method=reference, noise=None)
    res = _ectopic.adaptive_thresholds(
        X[tumour][:, mask], t, e, reference=ref, var_names=list(adata.var_names[mask]), mode=mode, grid=grid,
        min_samples=min_samples, noise=noise, test=test, selection=selection, correction=correction,
        direction=direction, alpha=alpha, cv=cv, n_perm=n_perm, truncate=truncate, store_grid=store_grid,
        cv_hr=cv_hr, random_state=random_state, n_jobs=n_jobs)
    target = working_object(adata, copy=copy)
    params = dict(res.params)
    params.update({"time_key": time_key, "event_key": event_key, "normal_key": normal_key,
                   "normal_value": normal_value, "reference": reference if ref is not None else None,
                   "genes": genes if genes is None or isinstance(genes, str) else list(genes), "layer": layer})
    uns = {"table": _uns_frame(res.table), "n_tumours": int(tumour.sum()), "n_events": int(np.sum(e)),
           "n_normals": int(normal.sum()), "cv_splits": int(res.cv_splits)}
    if res.grid is not None:
        uns["grid"] = res.grid
    write_results(target, key_added=key_added,
                  var=_var_columns(target.n_vars, key_added, res.table, mask), params=params, uns=uns)
    return finish(target, copy=copy)


# --------------------------------------------------------------------------- score, transfer, validation
def _panel_and_thresholds(adata, panel, thresholds, thresholds_key, name="adata"):
    if thresholds is not None:
        thr = pd.Series(thresholds, dtype=float) if not isinstance(thresholds, pd.Series) else thresholds.astype(float)
        thr.index = thr.index.astype(str)
        panel = list(thr.index) if panel is None else [str(g) for g in panel]
        missing = [g for g in panel if g not in thr.index]
        if missing:
            raise ValidationError(f"no threshold given for panel gene(s) {missing[:10]}")
        thr = thr[panel]
    else:
        col = f"{thresholds_key}_threshold"
        if col not in adata.var.columns:
            raise ValidationError(f"{name}.var has no column {col!r}: run pob.tl.prognostic_thresholds (or "
                                  "transfer_thresholds) first, or pass thresholds=")
        if panel is None:
            vcol = f"{thresholds_key}_validated"
            if vcol not in adata.var.columns:
                raise ValidationError(f"give panel= (no column {vcol!r} in {name}.var)")
            panel = list(adata.var_names[adata.var[vcol].to_numpy(dtype=bool)])
        panel = [str(g) for g in panel]
        thr = adata.var[col].astype(float)
        thr.index = thr.index.astype(str)
        missing = [g for g in panel if g not in thr.index]
        if missing:
            raise ValidationError(f"panel genes not in {name}.var_names: {missing[:10]}")
        thr = thr[panel]
    if not panel:
        raise ValidationError("the panel is empty (no validated gene?): pass panel=[...]")
    if thr.isna().any():
        raise ValidationError(f"panel gene(s) without a threshold: {list(thr.index[thr.isna()])[:10]}")
    missing = [g for g in panel if g not in adata.var_names]
    if missing:
        raise ValidationError(f"panel genes not in {name}.var_names: {missing[:10]}")
    return panel, thr


def activation_score(
    adata: AnnData,
    *,
    panel=None,
    thresholds=None,
    thresholds_key: str = "prognostic",
    bins=None,
    time_key: str | None = None,
    event_key: str | None = None,
    truncate: float | None = 120.0,
    times=None,
    normal_key: str | None = "tissue_status",
    normal_value: str = "normal",
    layer: str | None = None,
    n_key: str = "n_activated",
    group_key: str = "risk_group",
    key_added: str = "activation_score",
    copy: bool = False,
) -> AnnData | None:
    """Number of activated panel genes per sample, risk groups and (with survival) their evaluation.

    Parameters
    ----------
    adata
        Samples × genes.
    panel
        Panel genes (default: the genes of ``var[f"{thresholds_key}_validated"]``).
    thresholds
        Explicit thresholds (Series/dict gene -> value); default ``var[f"{thresholds_key}_threshold"]``.
    thresholds_key
        Prefix of the threshold columns (``"prognostic"``, or the ``key_added`` of a transfer).
    bins
        Risk groups ``{label: (low, high)}`` (inclusive, ``None`` = open) or cut edges like ``[1, 3]``;
        default ``{"P1": (0, 0), "P2": (1, 2), "P3": (3, None)}``.
    time_key, event_key
        Survival columns: when given, the tumours' groups are evaluated (multi-group log-rank, Cox on the
        count, C-index, KM table).
    truncate
        Administrative censoring of the evaluation (months), or ``None``.
    times
        Times of the time-dependent AUC of the count (``uns[key_added]["td_auc"]``); default 36 and 60
        (3 and 5 years in months) where inside the follow-up, else the quartiles of the event times.
    normal_key, normal_value
        Normal samples get a count but are excluded from the evaluation.
    layer
        Use this layer instead of ``.X``.
    n_key, group_key
        ``.obs`` columns written.
    key_added
        ``.uns`` key.
    copy
        Return a modified copy.

    Returns
    -------
    ``None`` or the copy; sets ``obs[n_key]``, ``obs[group_key]`` and ``uns[key_added]`` (``params``,
    ``versions``, ``panel``, ``thresholds``, and with survival ``logrank``, ``logrank_table``, ``cox``,
    ``concordance``, ``td_auc``, ``td_auc_mean``, ``km``, ``km_median``, ``group_sizes``, ``hr_table``).
    """
    check_data(adata)
    check_unique_names(adata)
    X = get_matrix(adata, layer=layer)
    panel, thr = _panel_and_thresholds(adata, panel, thresholds, thresholds_key)
    bins_ = _prognostic_score.check_bins(_prognostic_score.DEFAULT_BINS if bins is None else bins)
    cols = adata.var_names.get_indexer(panel)
    n_act = _prognostic_score.activation_count(X[:, cols], thr.to_numpy())
    groups = _prognostic_score.risk_groups(n_act, bins_)
    uns = {"panel": np.asarray(panel, dtype=str), "thresholds": thr.to_numpy(dtype=float),
           "bins": {k: [v[0], -1 if v[1] is None else v[1]] for k, v in bins_.items()}}
    if (time_key is None) != (event_key is None):
        raise ValidationError("give both time_key and event_key (or neither)")
    if times is not None and time_key is None:
        raise ValidationError("times= (time-dependent AUC) needs time_key and event_key")
    if time_key is not None:
        _, tumour = _split_samples(adata, normal_key, normal_value)
        t, e = _tumour_survival(adata, tumour, time_key, event_key)
        t, e = _ectopic.truncate_survival(t, e, truncate)
        B = X[tumour][:, cols] > thr.to_numpy()[None, :]
        uns.update(_prognostic_score.evaluate_score(n_act[tumour], groups[tumour], t, e, panel_matrix=B,
                                                    panel_names=panel, times=times))
    target = working_object(adata, copy=copy)
    write_results(target, key_added=key_added,
                  params={"panel": panel, "thresholds_key": thresholds_key if thresholds is None else "explicit",
                          "bins": uns["bins"], "time_key": time_key, "event_key": event_key, "truncate": truncate,
                          "times": None if times is None else np.atleast_1d(np.asarray(times, float)).tolist(),
                          "normal_key": normal_key, "normal_value": normal_value, "layer": layer},
                  obs={n_key: n_act, group_key: groups}, uns=uns)
    return finish(target, copy=copy)


def _source_percentiles(source, key: str) -> pd.Series:
    if isinstance(source, AnnData):
        col = f"{key}_percentile"
        if col not in source.var.columns:
            raise ValidationError(f"source.var has no column {col!r}: run pob.tl.prognostic_thresholds on it first")
        pct = source.var[col].astype(float)
    elif isinstance(source, pd.DataFrame):
        if "percentile" not in source.columns:
            raise ValidationError(f"source DataFrame needs a 'percentile' column (columns: {list(source.columns)})")
        pct = source["percentile"].astype(float)
    elif isinstance(source, (pd.Series, dict)):
        pct = pd.Series(source, dtype=float)
    else:
        raise TypeError(f"source must be an AnnData, a DataFrame with a 'percentile' column or a Series, "
                        f"got {type(source).__name__}")
    pct.index = pct.index.astype(str)
    return pct.dropna()


def transfer_thresholds(
    adata: AnnData,
    source,
    *,
    key: str = "prognostic",
    genes=None,
    normal_key: str | None = "tissue_status",
    normal_value: str = "normal",
    layer: str | None = None,
    key_added: str = "transferred",
    copy: bool = False,
) -> AnnData | None:
    """Carry thresholds to another cohort **by percentile** (cross-platform: rank-based, scale-free).

    Each gene's learnt percentile (``source.var[f"{key}_percentile"]``, or a table/Series of percentiles) is
    re-evaluated on the tumours of ``adata`` (linear interpolation), so thresholds learnt on RNA-seq apply to
    arrays and vice versa.

    Parameters
    ----------
    adata
        The new cohort (samples × genes).
    source
        Training AnnData, DataFrame with a ``percentile`` column, or Series gene -> percentile.
    key
        Prefix of the source columns.
    genes
        Restrict to these genes (default: all genes with a percentile present in ``adata``).
    normal_key, normal_value
        Normal samples are excluded from the percentile computation.
    layer
        Use this layer instead of ``.X``.
    key_added
        Prefix of the ``.var`` columns and ``.uns`` key.
    copy
        Return a modified copy.

    Returns
    -------
    ``None`` or the copy; sets ``var[f"{key_added}_percentile"]``, ``_threshold``, ``_frequency`` and
    ``uns[key_added]`` (``params``, ``versions``, ``n_transferred``, ``missing_genes``).
    """
    check_data(adata)
    check_unique_names(adata)
    pct = _source_percentiles(source, key)
    if genes is not None:
        pct = pct.reindex([str(g) for g in genes]).dropna()
    missing = [g for g in pct.index if g not in adata.var_names]
    pct = pct[[g for g in pct.index if g in adata.var_names]]
    if pct.empty:
        raise ValidationError("no gene with a learnt percentile is present in adata.var_names")
    X = get_matrix(adata, layer=layer)
    _, tumour = _split_samples(adata, normal_key, normal_value)
    full = pd.Series(np.nan, index=adata.var_names.astype(str))
    full[pct.index] = pct.to_numpy()
    sel = np.isfinite(full.to_numpy())
    thr = np.full(adata.n_vars, np.nan)
    thr[sel] = _ectopic.transfer_by_percentile(X[tumour][:, sel], full.to_numpy()[sel])
    freq = np.full(adata.n_vars, np.nan)
    freq[sel] = _thresholds.activation_frequency(X[tumour][:, sel], thr[sel])
    target = working_object(adata, copy=copy)
    write_results(target, key_added=key_added,
                  var=_var_columns(target.n_vars, key_added, pd.DataFrame(
                      {"percentile": full.to_numpy(), "threshold": thr, "frequency": freq})),
                  params={"key": key, "normal_key": normal_key, "normal_value": normal_value, "layer": layer,
                          "method": "percentile"},
                  uns={"n_transferred": int(sel.sum()), "missing_genes": np.asarray(missing, dtype=str)})
    return finish(target, copy=copy)


def validate_panel(
    adata: AnnData,
    source,
    *,
    key: str = "prognostic",
    panel=None,
    bins=None,
    time_key: str = "os_time",
    event_key: str = "os_event",
    truncate: float | None = 120.0,
    times=None,
    normal_key: str | None = "tissue_status",
    normal_value: str = "normal",
    layer: str | None = None,
    key_added: str = "validate_panel",
    copy: bool = False,
) -> AnnData | None:
    """Validate a panel on an independent cohort: percentile transfer, score, risk groups, KM and HR table.

    Parameters
    ----------
    adata
        The validation cohort.
    source
        Training AnnData (``var[f"{key}_percentile"]``, panel = its validated genes by default) or a
        DataFrame/Series of percentiles.
    key
        Prefix of the source columns.
    panel
        Panel genes (default: ``source.var[f"{key}_validated"]``).
    bins
        Risk groups (see :func:`activation_score`).
    time_key, event_key, truncate
        Survival of the validation cohort and the administrative censoring.
    times
        Times of the time-dependent AUC of the score (see :func:`activation_score`).
    normal_key, normal_value
        Normal samples (excluded).
    layer
        Use this layer instead of ``.X``.
    key_added
        Prefix of the ``.var`` columns (``{key_added}_threshold``...), ``.uns`` key; ``obs`` gets
        ``{key_added}_n_activated`` and ``{key_added}_risk_group``.
    copy
        Return a modified copy.

    Returns
    -------
    ``None`` or the copy; ``uns[key_added]`` holds ``logrank`` (multi-group), ``logrank_table``, ``cox``
    (HR per activated gene), ``concordance``, ``td_auc`` / ``td_auc_mean``, ``km``, ``km_median``, ``group_sizes``, ``hr_table`` (per-gene
    binary Cox in the validation cohort plus the count) and ``panel``.
    """
    check_data(adata)
    if panel is None:
        if not isinstance(source, AnnData):
            raise ValidationError("give panel= when source is not an AnnData")
        vcol = f"{key}_validated"
        if vcol not in source.var.columns:
            raise ValidationError(f"source.var has no column {vcol!r}; give panel=")
        panel = list(source.var_names[source.var[vcol].to_numpy(dtype=bool)])
    if not panel:
        raise ValidationError("the panel is empty: no validated gene in the source; give panel=")
    target = working_object(adata, copy=copy)
    tmp = AnnData(X=get_matrix(adata, layer=layer), obs=adata.obs.copy(), var=pd.DataFrame(index=adata.var_names))
    transfer_thresholds(tmp, source, key=key, genes=panel, normal_key=normal_key, normal_value=normal_value,
                        key_added=key_added)
    activation_score(tmp, panel=panel, thresholds_key=key_added, bins=bins, time_key=time_key,
                     event_key=event_key, truncate=truncate, times=times, normal_key=normal_key,
                     normal_value=normal_value, n_key=f"{key_added}_n_activated", group_key=f"{key_added}_risk_group",
                     key_added=f"{key_added}__score")
    rec = dict(tmp.uns[f"{key_added}__score"])
    rec.pop("params", None)
    rec.pop("versions", None)
    write_results(target, key_added=key_added,
                  params={"key": key, "panel": list(panel), "bins": rec["bins"], "time_key": time_key,
                          "event_key": event_key, "truncate": truncate,
                          "times": None if times is None else np.atleast_1d(np.asarray(times, float)).tolist(),
                          "normal_key": normal_key, "normal_value": normal_value, "layer": layer},
                  obs={f"{key_added}_n_activated": tmp.obs[f"{key_added}_n_activated"].to_numpy(),
                       f"{key_added}_risk_group": tmp.obs[f"{key_added}_risk_group"].array},
                  var={f"{key_added}_{c}": tmp.var[f"{key_added}_{c}"].to_numpy()
                       for c in ("percentile", "threshold", "frequency")},
                  uns=rec)
    return finish(target, copy=copy)
