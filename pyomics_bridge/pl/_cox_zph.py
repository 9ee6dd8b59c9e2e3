"""Scaled Schoenfeld residuals against time, from ``adata.uns[key]`` written by
:func:`pyomics_bridge.tl.cox` with ``zph=...`` (the plot of R's ``plot(cox.zph(fit))``)."""

from __future__ import annotations

import numpy as np
from anndata import AnnData

from .._conventions import ValidationError, check_data
from ._utils import get_ax


def _running_mean(x: np.ndarray, y: np.ndarray, frac: float) -> tuple[np.ndarray, np.ndarray]:
    """Centred moving average of ``y`` ordered by ``x`` over a window of ``frac`` of the points."""
    order = np.argsort(x, kind="stable")
    xs, ys = x[order], y[order]
    k = max(3, int(round(frac * xs.size)) | 1)
    if xs.size < k:
        return xs, np.full(xs.size, ys.mean())
    c = np.concatenate(([0.0], np.cumsum(ys)))
    half = k // 2
    lo = np.clip(np.arange(xs.size) - half, 0, None)
    hi = np.clip(np.arange(xs.size) + half + 1, None, xs.size)
    return xs, (c[hi] - c[lo]) / (hi - lo)


def cox_zph(adata: AnnData, *, key: str = "cox", covariate: str | None = None, smooth: float = 0.2, ax=None):
    """Scaled Schoenfeld residuals of one covariate against (transformed) time, with a running mean.

    Under proportional hazards the residuals scatter around a horizontal line at the coefficient; a trend means
    a coefficient that changes with time (R ``plot(cox.zph(fit))``; the test p-value is in the title).

    Parameters
    ----------
    adata
        Object on which :func:`pyomics_bridge.tl.cox` was run with ``zph="km"`` (or ``"rank"``, ``"identity"``).
    key
        ``.uns`` key of the Cox result.
    covariate
        Covariate to draw (default: the first).
    smooth
        Window of the running mean, as a fraction of the events.
    ax
        Axes to draw into.

    Returns
    -------
    The :class:`matplotlib.axes.Axes`.
    """
    check_data(adata)
    rec = adata.uns.get(key)
    if rec is None or "zph_residuals" not in rec:
        raise ValidationError(f"adata.uns[{key!r}] has no proportional-hazards test: run "
                              f"pob.tl.cox(adata, ..., zph='km', key_added={key!r}) first")
    if not 0 < smooth <= 1:
        raise ValidationError(f"smooth must be in (0, 1], got {smooth}")
    resid = rec["zph_residuals"]
    names = [c for c in resid.columns if c not in ("time", "x")]
    covariate = names[0] if covariate is None else str(covariate)
    if covariate not in names:
        raise ValidationError(f"unknown covariate {covariate!r}; available: {names}")
    x = resid["x"].to_numpy(dtype=np.float64)
    y = resid[covariate].to_numpy(dtype=np.float64)
    ax = get_ax(ax)
    ax.scatter(x, y, s=10, alpha=0.5, color="0.4", label="scaled Schoenfeld residuals")
    xs, ym = _running_mean(x, y, smooth)
    ax.plot(xs, ym, color="C0", label="running mean")
    coef = float(rec["summary"].loc[covariate, "coef"])
    ax.axhline(coef, color="C3", linestyle="--", linewidth=1, label=f"coef = {coef:.3g}")
    transform = rec["params"].get("zph", "km")
    ax.set_xlabel({"km": "1 - Kaplan-Meier (time transform)", "rank": "rank of time"}.get(transform, "time"))
    ax.set_ylabel(f"beta(t) for {covariate}")
    ax.set_title(f"{covariate}: PH test p = {float(rec['zph'].loc[covariate, 'p']):.3g}")
    ax.legend(frameon=False, fontsize="small")
    return ax
