"""Seeded synthetic cohort for the ectopic-activation (tissue-restricted gene) prognostic pipeline."""

from __future__ import annotations

import numpy as np
import pandas as pd
from anndata import AnnData

from .._conventions import ValidationError, _clean_param
from ._synthetic import _check_int, _check_real

TISSUES = ("testis", "placenta", "colon", "lung", "liver")


def synthetic_ectopic(
    n_tumours: int = 300,
    n_normals: int = 30,
    n_genes: int = 200,
    *,
    n_restricted: int = 60,
    n_prognostic: int = 8,
    hr: float = 2.0,
    activation: tuple[float, float] = (0.15, 0.5),
    median_survival: float = 60.0,
    max_followup: float = 150.0,
    noise_floor: float = 0.2,
    time_step: float = 1.0,
    reference_tissue: str = "colon",
    gene_random_state: int | None = None,
    random_state: int | None = 0,
) -> AnnData:
    """Normal and tumour samples with planted ectopically activated genes and a known prognostic truth.

    Model
    -----
    * The first ``n_restricted`` genes are **tissue-restricted** (testis or placenta): silent in normal samples
      (a point mass at the noise floor, ``U(0, noise_floor)`` on the log scale) and, in tumours, **activated**
      in a gene-specific fraction ``f_g ~ U(*activation)`` of patients with log-expression
      ``N(mu_g, 0.7)``, ``mu_g ~ U(2, 6)`` (floored at ``2 * noise_floor``); non-activated tumours stay at
      the noise floor.
    * The other genes are somatic: ``N(m_g, s_g)`` in normals and tumours, ``m_g ~ U(3, 10)``,
      ``s_g ~ U(0.3, 1.2)``.
    * ``n_prognostic`` restricted genes (chosen at random) are prognostic: each activated one multiplies the
      hazard by ``hr``. Event times are exponential with median ``median_survival`` for a patient with the
      expected number of active prognostic genes; censoring is
      uniform on ``(0, max_followup)``; times are rounded up to multiples of ``time_step`` (deliberate ties).
    * An atlas (genes × tissues median log-expression) accompanies the data: restricted genes are expressed
      in their tissue only, somatic genes everywhere.

    Parameters
    ----------
    n_tumours, n_normals, n_genes
        Cohort size.
    n_restricted, n_prognostic
        Planted tissue-restricted genes and, among them, the prognostic ones.
    hr
        Hazard ratio of each activated prognostic gene.
    activation
        Range of the activation fractions.
    median_survival, max_followup, time_step
        Time scale (months), uniform censoring bound and rounding step (ties).
    noise_floor
        Upper bound of the silent (noise) expression.
    reference_tissue
        Atlas column used as the normal counterpart (``"colon"`` by default).
    gene_random_state
        Seed of the gene parameters (default: ``random_state``); equal values give cohorts with the same genes
        and different patients, for transfer/validation.
    random_state
        Seed of the patients (and of the genes when ``gene_random_state`` is ``None``).

    Returns
    -------
    AnnData (samples × genes, log-expression) with ``obs``: ``tissue_status`` (``"normal"``/``"tumour"``),
    ``os_time``/``os_event`` (NaN for normals), ``n_prognostic_active`` (truth); ``var``: ``restricted``,
    ``restricted_tissue``, ``activation_fraction``, ``prognostic`` (truth); ``uns["synthetic"]``: generator,
    params, ``atlas`` (DataFrame), ``prognostic_genes``.
    """
    n_tumours = _check_int(n_tumours, "n_tumours", minimum=2)
    n_normals = _check_int(n_normals, "n_normals", minimum=0)
    n_genes = _check_int(n_genes, "n_genes", minimum=1)
    n_restricted = _check_int(n_restricted, "n_restricted", minimum=0)
    n_prognostic = _check_int(n_prognostic, "n_prognostic", minimum=0)
    if n_restricted > n_genes:
        raise ValidationError(f"n_restricted ({n_restricted}) must be <= n_genes ({n_genes})")
    if n_prognostic > n_restricted:
        raise ValidationError(f"n_prognostic ({n_prognostic}) must be <= n_restricted ({n_restricted})")
    hr = _check_real(hr, "hr", positive=True)
    median_survival = _check_real(median_survival, "median_survival", positive=True)
    max_followup = _check_real(max_followup, "max_followup", positive=True)
    noise_floor = _check_real(noise_floor, "noise_floor", positive=True)
    time_step = _check_real(time_step, "time_step", positive=True)
    try:
        a_lo, a_hi = (float(v) for v in activation)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"activation must be (low, high) fractions, got {activation!r}") from exc
    if not 0.0 < a_lo <= a_hi < 1.0:
        raise ValidationError(f"activation must satisfy 0 < low <= high < 1, got {activation!r}")
    if reference_tissue not in TISSUES[2:]:
        raise ValidationError(f"reference_tissue must be one of {list(TISSUES[2:])}, got {reference_tissue!r}")
    params = {k: v for k, v in locals().items() if k not in ("a_lo", "a_hi")}

    grng = np.random.default_rng(random_state if gene_random_state is None else gene_random_state)
    restricted = np.zeros(n_genes, dtype=bool)
    restricted[:n_restricted] = True
    frac = np.where(restricted, grng.uniform(a_lo, a_hi, n_genes), 0.0)
    mu = np.maximum(grng.uniform(2.0, 6.0, n_genes), 2 * noise_floor)
    m_som = grng.uniform(3.0, 10.0, n_genes)
    s_som = grng.uniform(0.3, 1.2, n_genes)
    prog_idx = np.sort(grng.choice(n_restricted, size=n_prognostic, replace=False)) if n_prognostic else np.array([], int)
    prognostic = np.zeros(n_genes, dtype=bool)
    prognostic[prog_idx] = True
    tissue_of = np.where(restricted, np.where(grng.random(n_genes) < 0.6, "testis", "placenta"), "somatic")
    atlas = np.empty((n_genes, len(TISSUES)))
    for k, tissue in enumerate(TISSUES):
        own = tissue_of == tissue
        atlas[:, k] = np.where(restricted, np.where(own, grng.uniform(3.0, 8.0, n_genes),
                                                    grng.uniform(0.0, noise_floor, n_genes)),
                               grng.uniform(2.0, 8.0, n_genes))

    rng = np.random.default_rng(random_state)
    n = n_normals + n_tumours
    X = np.empty((n, n_genes))
    som = ~restricted
    X[:, som] = m_som[som] + s_som[som] * rng.standard_normal((n, int(som.sum())))
    X[:, restricted] = rng.uniform(0.0, noise_floor, (n, n_restricted))
    active = rng.random((n_tumours, n_genes)) < frac[None, :]
    active &= restricted[None, :]
    tum = X[n_normals:]
    level = np.maximum(mu[None, :] + 0.7 * rng.standard_normal((n_tumours, n_genes)), 2 * noise_floor)
    tum[active] = level[active]
    X[n_normals:] = tum
    n_prog_active = active[:, prognostic].sum(axis=1)
    # centred on the expected number of active prognostic genes, so that the cohort median stays near
    # median_survival whatever the number of planted genes
    rate = np.log(2.0) / median_survival * hr ** (n_prog_active - frac[prognostic].sum())
    event_time = rng.exponential(1.0 / rate)
    censor = rng.uniform(0.0, max_followup, n_tumours)
    obs_time = np.minimum(event_time, censor)
    obs_time = np.maximum(np.ceil(obs_time / time_step), 1.0) * time_step
    event = (event_time <= censor).astype(np.float64)

    width_g = len(str(n_genes))
    var_names = [f"gene{j + 1:0{width_g}d}" for j in range(n_genes)]
    obs_names = [f"normal{i + 1}" for i in range(n_normals)] + [f"tumour{i + 1}" for i in range(n_tumours)]
    obs = pd.DataFrame({
        "tissue_status": pd.Categorical(["normal"] * n_normals + ["tumour"] * n_tumours,
                                        categories=["normal", "tumour"]),
        "os_time": np.concatenate([np.full(n_normals, np.nan), obs_time]),
        "os_event": np.concatenate([np.full(n_normals, np.nan), event]),
        "n_prognostic_active": np.concatenate([np.zeros(n_normals, dtype=np.int64), n_prog_active]),
    }, index=pd.Index(obs_names))
    var = pd.DataFrame({
        "restricted": restricted, "restricted_tissue": pd.Categorical(tissue_of),
        "activation_fraction": frac, "prognostic": prognostic,
    }, index=pd.Index(var_names))
    adata = AnnData(X=X, obs=obs, var=var)
    adata.uns["synthetic"] = {
        "generator": "synthetic_ectopic",
        "params": _clean_param(params),
        "atlas": pd.DataFrame(atlas, index=var_names, columns=list(TISSUES)),
        "prognostic_genes": np.asarray([var_names[j] for j in prog_idx], dtype=str),
        "reference_tissue": reference_tissue,
        "censored_fraction": float(1.0 - event.mean()),
    }
    return adata


def _register() -> None:
    from ._registry import register_synthetic

    register_synthetic(
        "synthetic_ectopic",
        synthetic_ectopic,
        "Normal + tumour log-expression with planted ectopically activated tissue-restricted genes; activation of "
        "the prognostic ones multiplies the hazard (truth in .var['prognostic']); atlas in .uns['synthetic']",
        modalities=("expression",),
        function="pyomics_bridge.datasets.synthetic_ectopic",
        overwrite=True,
    )


_register()
