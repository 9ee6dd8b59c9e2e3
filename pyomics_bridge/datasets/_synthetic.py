"""Seeded synthetic-data generators (one per method family; this module holds the survival one)."""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
from anndata import AnnData

from .._conventions import ValidationError, _clean_param


def _check_int(value, name: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValidationError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValidationError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def _check_real(value, name: str, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ValidationError(f"{name} must be a finite number, got {value!r}")
    if positive and value <= 0:
        raise ValidationError(f"{name} must be > 0, got {value}")
    return float(value)


def _censoring_rate(event_times: np.ndarray, fraction: float) -> float:
    """Rate r of an exponential censoring time C such that mean_i P(C < T_i) = fraction.

    P(C < T_i) = 1 - exp(-r T_i) increases with r, so the rate is found by bisection on log(r).
    """
    if fraction <= 0:
        return 0.0

    def expected(rate: float) -> float:
        return float(np.mean(-np.expm1(-rate * event_times)))

    lo, hi = 1e-12, 1.0
    while expected(hi) < fraction:
        hi *= 2.0
    for _ in range(200):
        mid = np.sqrt(lo * hi)
        if expected(mid) < fraction:
            lo = mid
        else:
            hi = mid
        if hi / lo < 1 + 1e-12:
            break
    return float(np.sqrt(lo * hi))


def synthetic_survival(
    n_samples: int = 200,
    n_genes: int = 50,
    *,
    n_prognostic: int = 5,
    effect: float = 1.0,
    censoring: float = 0.3,
    shape: float = 1.0,
    baseline_hazard: float = 0.1,
    random_state: int | None = 0,
) -> AnnData:
    """Synthetic cohort: log-expression of ``n_genes`` genes and right-censored survival.

    Model
    -----
    * log-expression ``X[i, j] = m_j + s_j * Z[i, j]`` with ``Z`` standard normal, gene means
      ``m_j ~ U(4, 12)`` and standard deviations ``s_j ~ U(0.5, 1.5)``;
    * ``n_prognostic`` genes, chosen at random, have log hazard ratio ``±effect`` per standard deviation
      (random signs); the linear predictor is ``eta = (X - m) @ coef`` with ``coef_j = ±effect / s_j`` for
      prognostic genes and 0 otherwise;
    * event times are Weibull with hazard ``baseline_hazard * shape * t**(shape-1) * exp(eta)``
      (``shape=1``: exponential with rate ``baseline_hazard * exp(eta)``);
    * independent exponential censoring times whose rate is calibrated so that the expected censored
      fraction is ``censoring``; ``time = min(T, C)``, ``event = 1`` when the event was observed.

    Parameters
    ----------
    n_samples, n_genes
        Size of the cohort.
    n_prognostic
        Number of genes associated with survival (``0 <= n_prognostic <= n_genes``).
    effect
        Log hazard ratio per standard deviation of each prognostic gene (its sign is random).
    censoring
        Expected fraction of censored samples, in ``[0, 1)``.
    shape, baseline_hazard
        Weibull shape and scale of the baseline hazard.
    random_state
        Seed (or ``numpy.random.Generator``); the same seed gives identical data.

    Returns
    -------
    AnnData, samples x genes, ``.X`` float64 log-expression, with

    * ``.obs["time"]`` (float > 0), ``.obs["event"]`` (int 0/1), ``.obs["group"]`` (categorical
      ``"low"``/``"high"``: true linear predictor below/above its median);
    * ``.var["prognostic"]`` (bool ground truth);
    * ``.uns["synthetic"]``: ``generator``, ``params``, ``coef`` (per gene, log-expression scale),
      ``coef_per_sd``, ``gene_mean``, ``gene_sd``, ``prognostic_genes``, ``linear_predictor``,
      ``censoring_rate`` and the realised ``censored_fraction``.
    """
    n_samples = _check_int(n_samples, "n_samples", minimum=2)
    n_genes = _check_int(n_genes, "n_genes", minimum=1)
    n_prognostic = _check_int(n_prognostic, "n_prognostic", minimum=0)
    if n_prognostic > n_genes:
        raise ValidationError(f"n_prognostic ({n_prognostic}) must be <= n_genes ({n_genes})")
    effect = _check_real(effect, "effect")
    censoring = _check_real(censoring, "censoring")
    if not 0.0 <= censoring < 1.0:
        raise ValidationError(f"censoring must be in [0, 1), got {censoring}")
    shape = _check_real(shape, "shape", positive=True)
    baseline_hazard = _check_real(baseline_hazard, "baseline_hazard", positive=True)
    params = {
        "n_samples": n_samples,
        "n_genes": n_genes,
        "n_prognostic": n_prognostic,
        "effect": effect,
        "censoring": censoring,
        "shape": shape,
        "baseline_hazard": baseline_hazard,
        "random_state": random_state,
    }
    rng = np.random.default_rng(random_state)

    gene_mean = rng.uniform(4.0, 12.0, size=n_genes)
    gene_sd = rng.uniform(0.5, 1.5, size=n_genes)
    z = rng.standard_normal((n_samples, n_genes))
    X = gene_mean + gene_sd * z

    prognostic_idx = np.sort(rng.choice(n_genes, size=n_prognostic, replace=False))
    signs = rng.choice(np.array([-1.0, 1.0]), size=n_prognostic)
    coef_per_sd = np.zeros(n_genes)
    coef_per_sd[prognostic_idx] = effect * signs
    coef = coef_per_sd / gene_sd
    eta = (X - gene_mean) @ coef

    u = rng.uniform(size=n_samples)
    event_time = (-np.log1p(-u) / (baseline_hazard * np.exp(eta))) ** (1.0 / shape)
    rate = _censoring_rate(event_time, censoring)
    if rate > 0:
        censor_time = rng.exponential(1.0 / rate, size=n_samples)
    else:
        censor_time = np.full(n_samples, np.inf)
    event = (event_time <= censor_time).astype(np.int64)
    time = np.minimum(event_time, censor_time)
    # guard against an underflow to exactly 0 for extreme linear predictors
    time = np.maximum(time, np.finfo(np.float64).tiny)

    width_s, width_g = len(str(n_samples)), len(str(n_genes))
    obs_names = [f"sample{i + 1:0{width_s}d}" for i in range(n_samples)]
    var_names = [f"gene{j + 1:0{width_g}d}" for j in range(n_genes)]
    high = eta > np.median(eta)
    obs = pd.DataFrame(
        {
            "time": time.astype(np.float64),
            "event": event,
            "group": pd.Categorical(np.where(high, "high", "low"), categories=["low", "high"]),
        },
        index=pd.Index(obs_names),
    )
    prognostic = np.zeros(n_genes, dtype=bool)
    prognostic[prognostic_idx] = True
    var = pd.DataFrame({"prognostic": prognostic}, index=pd.Index(var_names))

    adata = AnnData(X=X, obs=obs, var=var)
    adata.uns["synthetic"] = {
        "generator": "synthetic_survival",
        "params": _clean_param(params),
        "coef": coef,
        "coef_per_sd": coef_per_sd,
        "gene_mean": gene_mean,
        "gene_sd": gene_sd,
        "prognostic_genes": np.asarray([var_names[j] for j in prognostic_idx], dtype=object).astype(str),
        "linear_predictor": eta,
        "censoring_rate": rate,
        "censored_fraction": float(1.0 - event.mean()),
    }
    return adata
