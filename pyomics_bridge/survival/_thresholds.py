r"""Normal-tissue reference thresholds, activation frequencies and tissue-restricted gene selection.

An "ectopically activated" gene is silent in the normal counterpart tissue and expressed in some tumours. The
per-gene **reference threshold** ("on" means expression *strictly above* it) is derived from the normal samples:

* ``"mean"``: the normal mean;
* ``"mean_ksd"`` (alias ``"m2sd"`` with ``k = 2``): mean + k × standard deviation (sample SD, ``ddof=1``);
* ``"max"``: the maximum over the normal samples;
* ``"percentile"``: a fixed percentile of the normal samples (linear interpolation);
* ``"noise"``: a fixed noise level on the log scale (default 0.3), the same for every gene.

With ``noise`` given, every threshold is at least the noise level (below it a gene counts as not expressed).
The **activation frequency** of a gene is the percentage of tumours above its threshold.

Tissue restriction from an atlas (genes × tissues table of typical expression, e.g. GTEx median log-TPM):
``tissue_exp`` is the maximum over the target (restricted) tissues, ``ref_exp`` the maximum over the reference
tissues, and ``snr = tissue_exp / ref_exp`` (EpiMed's "signal-to-noise" ratio; ``ref_exp`` is floored at
``floor`` to avoid division by zero). A gene is restricted when ``ref_exp <= max_ref_expr``,
``tissue_exp >= min_tissue_expr`` and ``snr >= min_snr``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._conventions import ValidationError

__all__ = ["REFERENCE_METHODS", "activation_frequency", "reference_thresholds", "tissue_restriction"]

REFERENCE_METHODS = ("mean", "mean_ksd", "m2sd", "max", "percentile", "noise")


def reference_thresholds(normal, *, method: str = "m2sd", k: float = 2.0, percentile: float = 95.0,
                         noise: float | None = 0.3) -> np.ndarray:
    """Per-gene activation thresholds from the normal samples (``normal``: samples × genes).

    Parameters
    ----------
    normal
        Normal-tissue expression, samples × genes (log scale). Ignored (may be ``None``) for ``"noise"``.
    method
        One of ``"mean"``, ``"mean_ksd"``, ``"m2sd"`` (= mean + 2 SD), ``"max"``, ``"percentile"``, ``"noise"``.
    k
        SD multiplier of ``"mean_ksd"``.
    percentile
        Percentile of ``"percentile"`` (0–100).
    noise
        Noise level: the threshold is at least this (``None``: no floor). Needed for ``method="noise"``.

    Returns
    -------
    Thresholds, one per gene.
    """
    if method not in REFERENCE_METHODS:
        raise ValidationError(f"method must be one of {list(REFERENCE_METHODS)}, got {method!r}")
    if method == "noise":
        if noise is None:
            raise ValidationError("method='noise' needs a noise level (noise=0.3 on the log scale)")
        if normal is None:
            raise ValidationError("method='noise' needs the number of genes: pass the normal matrix")
        return np.full(np.asarray(normal).shape[1], float(noise))
    Xn = np.asarray(normal, dtype=np.float64)
    if Xn.ndim != 2:
        raise ValidationError(f"normal must be samples x genes, got shape {Xn.shape}")
    if Xn.shape[0] < (2 if method in ("mean_ksd", "m2sd") else 1):
        raise ValidationError(f"method={method!r} needs at least {2 if method in ('mean_ksd', 'm2sd') else 1} "
                              f"normal samples, got {Xn.shape[0]}")
    if not np.isfinite(Xn).all():
        raise ValidationError("the normal expression contains missing or infinite values")
    if method == "mean":
        thr = Xn.mean(axis=0)
    elif method in ("mean_ksd", "m2sd"):
        kk = 2.0 if method == "m2sd" else float(k)
        thr = Xn.mean(axis=0) + kk * Xn.std(axis=0, ddof=1)
    elif method == "max":
        thr = Xn.max(axis=0)
    else:
        if not 0.0 <= percentile <= 100.0:
            raise ValidationError(f"percentile must be in [0, 100], got {percentile}")
        thr = np.percentile(Xn, percentile, axis=0)
    if noise is not None:
        thr = np.maximum(thr, float(noise))
    return thr


def activation_frequency(X, thresholds) -> np.ndarray:
    """Percentage of samples (rows of ``X``) strictly above each gene's threshold (NaN thresholds give NaN)."""
    X = np.asarray(X, dtype=np.float64)
    thr = np.asarray(thresholds, dtype=np.float64)
    if thr.shape != (X.shape[1],):
        raise ValidationError(f"thresholds must have one value per gene ({X.shape[1]}), got shape {thr.shape}")
    with np.errstate(invalid="ignore"):
        freq = 100.0 * (X > thr[None, :]).mean(axis=0)
    return np.where(np.isnan(thr), np.nan, freq)


def tissue_restriction(atlas: pd.DataFrame, *, target_tissues, reference_tissues, max_ref_expr: float = 0.3,
                       min_tissue_expr: float = 1.0, min_snr: float = 2.0, floor: float = 0.01) -> pd.DataFrame:
    """Tissue-restricted genes from an atlas (genes × tissues, log scale).

    Returns
    -------
    DataFrame indexed by gene with ``restricted_tissue`` (the target tissue of highest expression),
    ``tissue_exp``, ``ref_exp``, ``snr`` and ``restricted`` (bool).
    """
    if not isinstance(atlas, pd.DataFrame):
        raise ValidationError(f"atlas must be a DataFrame (genes x tissues), got {type(atlas).__name__}")
    targets = [target_tissues] if isinstance(target_tissues, str) else list(target_tissues)
    refs = [reference_tissues] if isinstance(reference_tissues, str) else list(reference_tissues)
    missing = [c for c in targets + refs if c not in atlas.columns]
    if missing:
        raise ValidationError(f"atlas has no tissue column(s) {missing} (columns: {list(atlas.columns)[:20]})")
    if not targets or not refs:
        raise ValidationError("give at least one target tissue and one reference tissue")
    values = atlas[targets + refs].apply(pd.to_numeric, errors="coerce")
    if values.isna().any().any():
        raise ValidationError("atlas has missing or non-numeric values in the selected tissues")
    tissue = values[targets]
    tissue_exp = tissue.max(axis=1)
    ref_exp = values[refs].max(axis=1)
    snr = tissue_exp / np.maximum(ref_exp, floor)
    restricted = (ref_exp <= max_ref_expr) & (tissue_exp >= min_tissue_expr) & (snr >= min_snr)
    return pd.DataFrame({
        "restricted_tissue": tissue.idxmax(axis=1).astype(str),
        "tissue_exp": tissue_exp, "ref_exp": ref_exp, "snr": snr, "restricted": restricted.astype(bool),
    }, index=atlas.index)
