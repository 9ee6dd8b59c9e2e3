"""AnnData driver for the Cox proportional-hazards model: covariates from ``.obs`` columns and/or genes."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from anndata import AnnData
from scipy import sparse, stats

from .._conventions import (
    ValidationError,
    check_backend,
    check_data,
    finish,
    get_obs_vector,
    working_object,
    write_results,
)
from ..survival._cox import TIES, CoxPH

__all__ = ["cox"]


def _as_list(covariates) -> list[str]:
    if isinstance(covariates, str):
        return [covariates]
    try:
        out = [str(c) for c in covariates]
    except TypeError as exc:
        raise ValidationError(f"covariates must be a name or a list of names, got {type(covariates).__name__}") from exc
    if not out:
        raise ValidationError("covariates is empty")
    dup = sorted({c for c in out if out.count(c) > 1})
    if dup:
        raise ValidationError(f"covariates are repeated: {dup}")
    return out


def _design(adata: AnnData, covariates: list[str], layer: str | None) -> pd.DataFrame:
    """Design matrix: numeric/boolean obs columns as is, categorical ones as indicator columns
    ``name[level]`` with the first level as reference, genes from ``.X`` (or ``layer``)."""
    cols: dict[str, np.ndarray] = {}
    genes = [c for c in covariates if c in adata.var_names]
    both = [c for c in genes if c in adata.obs.columns]
    if both:
        raise ValidationError(f"covariate name(s) {both} are both .obs columns and var names: rename one of them")
    missing = [c for c in covariates if c not in adata.obs.columns and c not in adata.var_names]
    if missing:
        raise ValidationError(f"covariate(s) {missing} are neither .obs columns nor var names")
    if genes:
        if layer is not None and layer not in adata.layers:
            raise ValidationError(f"layer={layer!r} not in adata.layers (available: {list(adata.layers)})")
        idx = adata.var_names.get_indexer(genes)
        mat = adata.X if layer is None else adata.layers[layer]
        sub = mat[:, idx]
        sub = sub.toarray() if sparse.issparse(sub) else np.asarray(sub)
        gene_values = {g: np.asarray(sub[:, k], dtype=np.float64) for k, g in enumerate(genes)}
    for c in covariates:
        if c in adata.var_names:
            v = gene_values[c]
            if not np.isfinite(v).all():
                raise ValidationError(f"gene {c!r} has {int((~np.isfinite(v)).sum())} missing or non-finite value(s)")
            cols[c] = v
            continue
        col = adata.obs[c]
        if pd.api.types.is_bool_dtype(col) or (pd.api.types.is_numeric_dtype(col)
                                                and not isinstance(col.dtype, pd.CategoricalDtype)):
            cols[c] = get_obs_vector(adata, c, kind="numeric")
            continue
        cat = get_obs_vector(adata, c, kind="categorical")
        levels = [lv for lv in cat.categories if (cat == lv).any()]
        if len(levels) < 2:
            raise ValidationError(f"adata.obs[{c!r}] has a single level {levels}: it cannot be a covariate")
        for lv in levels[1:]:
            cols[f"{c}[{lv}]"] = np.asarray(cat == lv, dtype=np.float64)
    return pd.DataFrame(cols, index=adata.obs_names)


def cox(
    adata: AnnData,
    *,
    time_key: str = "time",
    event_key: str = "event",
    covariates,
    ties: str = "efron",
    strata: str | None = None,
    layer: str | None = None,
    alpha: float = 0.05,
    zph: str | None = None,
    backend: str = "python",
    key_added: str = "cox",
    copy: bool = False,
) -> AnnData | None:
    """Cox proportional-hazards regression on ``.obs`` covariates and/or gene expression.

    Parameters
    ----------
    adata
        Samples × features; follow-up in ``.obs``.
    time_key
        ``.obs`` column with follow-up times (>= 0).
    event_key
        ``.obs`` column with the event indicator (1/True = event).
    covariates
        Names of ``.obs`` columns and/or ``var_names`` (genes, values from ``.X`` or ``layer``). Numeric and
        boolean columns enter as they are; categorical / string columns as indicators ``name[level]`` against
        their first level (R's treatment contrasts). Missing values are an error (R would drop the samples).
    ties
        ``"efron"`` (R's default) or ``"breslow"``.
    strata
        Optional ``.obs`` column: separate baseline hazards per stratum (R ``strata()``).
    layer
        Layer holding the gene values (default ``.X``).
    alpha
        1 − level of the hazard-ratio confidence intervals.
    zph
        Also test the proportional-hazards assumption (R ``cox.zph``) with this time transform: ``"km"``,
        ``"rank"`` or ``"identity"`` (:func:`pyomics_bridge.survival.cox_zph`); ``None``: not tested.
    backend
        ``"python"`` (:class:`pyomics_bridge.survival.CoxPH`) or ``"r"`` (``survival::coxph`` through rpy2,
        :func:`pyomics_bridge.r.survival_cox.coxph`); both fill identical containers.
    key_added
        Key in ``.uns``; the linear predictor goes to ``.obs[f"{key_added}_lp"]``.
    copy
        Return a modified copy instead of writing into ``adata``.

    Returns
    -------
    ``None`` (or the copy); sets ``adata.uns[key_added]`` with ``summary`` (per covariate ``coef``,
    ``exp(coef)``, ``se``, ``z``, ``p``, ``lower``, ``upper`` — the CI of exp(coef)), ``var`` (covariance),
    ``tests`` (``lr``, ``wald``, ``score`` rows: ``statistic``, ``df``, ``pvalue``), ``loglik``,
    ``loglik_null``, ``concordance`` (Harrell), ``n_iter``, ``n_samples``, ``n_events``, ``warnings``,
    ``params``, ``versions``; and ``obs[f"{key_added}_lp"]``, the linear predictor ``X @ coef`` (uncentred).
    With ``zph``: ``zph`` (rows = covariates and ``GLOBAL``: ``chisq``, ``df``, ``p``) and ``zph_residuals``
    (per event: ``time``, transformed time ``x`` and the scaled Schoenfeld residual of each covariate), read by
    :func:`pyomics_bridge.pl.cox_zph`.
    """
    check_data(adata)
    check_backend(backend)
    if ties not in TIES:
        raise ValidationError(f"ties must be one of {list(TIES)}, got {ties!r}")
    if not 0 < alpha < 1:
        raise ValidationError(f"alpha must be in (0, 1), got {alpha}")
    if zph is not None:
        from ..survival._cox_zph import ZPH_TRANSFORMS

        if zph not in ZPH_TRANSFORMS:
            raise ValidationError(f"zph must be one of {list(ZPH_TRANSFORMS)} or None, got {zph!r}")
    names = _as_list(covariates)
    time = get_obs_vector(adata, time_key, kind="numeric")
    event = get_obs_vector(adata, event_key, kind="binary")
    strata_values = None if strata is None else get_obs_vector(adata, strata, kind="categorical")
    X = _design(adata, names, layer)
    caught: list[str] = []
    if backend == "r":
        from ..r.survival_cox import coxph

        res = coxph(X, time, event, ties=ties, strata=strata_values)
        caught = list(res["warnings"])
        fit = {k: res[k] for k in ("coef", "se", "var", "z", "pvalues", "hazard_ratios", "loglik", "loglik_null",
                                   "lr_test", "wald_test", "score_test", "concordance", "n_iter")}
        fit["converged"] = not any(("converge" in w) or ("infinite" in w) for w in caught)
    else:
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            model = CoxPH(ties=ties, alpha=alpha).fit(X, time, event, strata=strata_values)
        caught = [str(w.message) for w in rec]
        for w in rec:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        fit = {"coef": model.coef_, "se": model.se_, "var": model.var_, "z": model.z_, "pvalues": model.pvalues_,
               "hazard_ratios": model.hazard_ratios_, "loglik": model.loglik_, "loglik_null": model.loglik_null_,
               "lr_test": model.lr_test_, "wald_test": model.wald_test_, "score_test": model.score_test_,
               "concordance": model.concordance_, "n_iter": model.n_iter_, "converged": model.converged_}
    zq = stats.norm.isf(alpha / 2)
    coef = fit["coef"].to_numpy(dtype=np.float64)
    se = fit["se"].to_numpy(dtype=np.float64)
    index = pd.Index([str(c) for c in X.columns])
    with np.errstate(over="ignore"):
        summary = pd.DataFrame({
            "coef": coef, "exp(coef)": np.exp(coef), "se": se, "z": fit["z"].to_numpy(dtype=np.float64),
            "p": fit["pvalues"].to_numpy(dtype=np.float64),
            "lower": np.exp(coef - zq * se), "upper": np.exp(coef + zq * se),
        }, index=index)
    var = pd.DataFrame(np.asarray(fit["var"], dtype=np.float64), index=index, columns=index)
    tests = pd.DataFrame(
        {"statistic": [float(fit[k].statistic) for k in ("lr_test", "wald_test", "score_test")],
         "df": [int(fit[k].df) for k in ("lr_test", "wald_test", "score_test")],
         "pvalue": [float(fit[k].pvalue) for k in ("lr_test", "wald_test", "score_test")]},
        index=pd.Index(["lr", "wald", "score"]),
    )
    lp = X.to_numpy(dtype=np.float64) @ coef
    extra = {}
    if zph is not None:
        if backend == "r":
            from ..r.survival_zph import cox_zph as r_cox_zph

            z = r_cox_zph(X, time, event, ties=ties, strata=strata_values, transform=zph)
        else:
            from ..survival._cox_zph import cox_zph

            z = cox_zph(model, X, time, event, strata=strata_values, transform=zph)
        z.y.columns = index
        resid = pd.concat([pd.DataFrame({"time": z.time, "x": z.x}), z.y], axis=1)
        resid.index = resid.index.astype(str)
        zt = z.table.copy()
        zt.index = list(index) + ["GLOBAL"]
        extra = {"zph": zt, "zph_residuals": resid}
    target = working_object(adata, copy=copy)
    write_results(
        target,
        key_added=key_added,
        params={"time_key": time_key, "event_key": event_key, "covariates": names, "ties": ties,
                "strata": strata, "layer": layer, "alpha": alpha, "zph": zph, "backend": backend},
        obs={f"{key_added}_lp": lp},
        uns={"summary": summary, "var": var, "tests": tests, "loglik": float(fit["loglik"]),
             "loglik_null": float(fit["loglik_null"]), "concordance": float(fit["concordance"]),
             "n_iter": int(fit["n_iter"]), "converged": bool(fit["converged"]), "n_samples": int(time.size),
             "n_events": int(event.sum()), "warnings": np.asarray(caught, dtype=str), **extra},
        backend=backend,
        r_packages=("survival",),
    )
    return finish(target, copy=copy)
