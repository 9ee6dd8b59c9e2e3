"""AnnData drivers for survival curves and tests: samples in ``.obs`` carry time, event and group."""

from __future__ import annotations

import numpy as np
from anndata import AnnData

from .. import survival as _surv
from .._conventions import (
    check_backend,
    check_data,
    finish,
    get_obs_vector,
    working_object,
    write_results,
)


def _survival_columns(adata: AnnData, time_key: str, event_key: str):
    time = get_obs_vector(adata, time_key, kind="numeric")
    event = get_obs_vector(adata, event_key, kind="binary")
    return time, event


def logrank(
    adata: AnnData,
    *,
    time_key: str = "time",
    event_key: str = "event",
    groupby: str,
    rho: float = 0.0,
    backend: str = "python",
    key_added: str = "logrank",
    copy: bool = False,
) -> AnnData | None:
    """Log-rank (``rho=0``) or :math:`G^\\rho` test of survival differences between the groups of ``obs[groupby]``.

    Parameters
    ----------
    adata
        Samples × features; survival data in ``.obs``.
    time_key
        ``.obs`` column with follow-up times (>= 0).
    event_key
        ``.obs`` column with the event indicator (1/True = event, 0/False = censored).
    groupby
        ``.obs`` column with the groups (a categorical keeps its level order).
    rho
        Harrington–Fleming weight exponent (0: log-rank, 1: Peto–Peto).
    backend
        ``"python"`` (:func:`pyomics_bridge.survival.logrank_test`) or ``"r"`` (``survival::survdiff``).
    key_added
        Key in ``.uns``.
    copy
        Return a modified copy instead of writing into ``adata``.

    Returns
    -------
    ``None`` (or the copy when ``copy=True``); sets ``adata.uns[key_added]`` with ``statistic``, ``df``,
    ``pvalue``, ``table`` (per group ``n``, ``observed``, ``expected``, ``var``), ``params`` and ``versions``.
    """
    check_data(adata)
    check_backend(backend)
    time, event = _survival_columns(adata, time_key, event_key)
    group = get_obs_vector(adata, groupby, kind="categorical")
    if backend == "r":
        from ..r.survival import survdiff

        res = survdiff(time, event, group, rho=rho)
    else:
        res = _surv.logrank_test(time, event, groups=group, rho=rho)
    target = working_object(adata, copy=copy)
    table = res.table.copy()
    table.index = table.index.astype(str)
    write_results(
        target,
        key_added=key_added,
        params={"time_key": time_key, "event_key": event_key, "groupby": groupby, "rho": rho, "backend": backend},
        uns={"statistic": res.statistic, "df": res.df, "pvalue": res.pvalue, "table": table},
        backend=backend,
        r_packages=("survival",),
    )
    return finish(target, copy=copy)


def kaplan_meier(
    adata: AnnData,
    *,
    time_key: str = "time",
    event_key: str = "event",
    groupby: str | None = None,
    conf_type: str = "log",
    conf_level: float = 0.95,
    backend: str = "python",
    key_added: str = "kaplan_meier",
    copy: bool = False,
) -> AnnData | None:
    """Kaplan–Meier survival curves with pointwise confidence intervals, for all samples or per group.

    Parameters
    ----------
    adata
        Samples × features; survival data in ``.obs``.
    time_key
        ``.obs`` column with follow-up times (>= 0).
    event_key
        ``.obs`` column with the event indicator.
    groupby
        Optional ``.obs`` column: one curve per group.
    conf_type
        ``"log"`` (default, as R), ``"log-log"`` or ``"plain"``.
    conf_level
        Confidence level.
    backend
        ``"python"`` or ``"r"`` (``survival::survfit``).
    key_added
        Key in ``.uns``.
    copy
        Return a modified copy instead of writing into ``adata``.

    Returns
    -------
    ``None`` (or the copy); sets ``adata.uns[key_added]`` with ``table`` (``group``, ``time``, ``n_risk``,
    ``n_event``, ``n_censor``, ``survival``, ``std_err``, ``lower``, ``upper``), ``median`` (per group),
    ``params`` and ``versions``.
    """
    check_data(adata)
    check_backend(backend)
    time, event = _survival_columns(adata, time_key, event_key)
    group = None if groupby is None else get_obs_vector(adata, groupby, kind="categorical")
    if backend == "r":
        from ..r.survival import survfit

        table, median = survfit(time, event, group, conf_type=conf_type, conf_level=conf_level)
    else:
        table, median = _surv.kaplan_meier(time, event, group, conf_type=conf_type, conf_level=conf_level)
    target = working_object(adata, copy=copy)
    table = table.astype({"group": str})  # h5ad stores str columns reliably; order kept in median's index
    median_frame = median.to_frame()
    median_frame.index = median_frame.index.astype(str)
    write_results(
        target,
        key_added=key_added,
        params={"time_key": time_key, "event_key": event_key, "groupby": groupby, "conf_type": conf_type,
                "conf_level": conf_level, "backend": backend},
        uns={"table": table, "median": median_frame, "n_samples": int(np.size(time))},
        backend=backend,
        r_packages=("survival",),
    )
    return finish(target, copy=copy)
