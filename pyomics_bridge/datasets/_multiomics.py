"""Seeded synthetic multi-omics cohort with class structure shared across blocks (known informative features)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .._conventions import ValidationError


def synthetic_multiomics(
    n_samples: int = 90,
    blocks: Mapping[str, int] | None = None,
    *,
    n_classes: int = 3,
    n_informative: int = 10,
    n_latent: int = 2,
    separation: float = 2.0,
    noise: float = 1.0,
    random_state: int | None = 0,
):
    """Several omics blocks measured on the same samples, driven by shared class-specific latent factors.

    A latent matrix ``Z`` (``n_samples × n_latent``) has one mean per class (``separation`` apart on average)
    plus standard normal noise; each block is ``Z W_bᵀ + noise·E`` where only the first ``n_informative`` features
    of each block load on ``Z`` (rows of ``W_b`` for the others are zero). Features are then shuffled within the
    block, so the informative ones must be found: they are flagged in ``.var["informative"]``.

    Parameters
    ----------
    n_samples
        Number of samples (split as evenly as possible between classes).
    blocks
        Block name -> number of features (default ``{"mrna": 200, "mirna": 80, "protein": 40}``).
    n_classes
        Number of classes (``"class_1"``, ...).
    n_informative
        Informative features per block.
    n_latent
        Dimension of the shared latent space.
    separation
        Spread of the class means in the latent space.
    noise
        Standard deviation of the feature-level noise.
    random_state
        Seed.

    Returns
    -------
    MuData with one modality per block (samples × features), the class in ``.obs["class"]`` of the MuData and
    of every modality, ``.var["informative"]`` per modality and the generating parameters in ``.uns["synthetic"]``.
    """
    import mudata
    from anndata import AnnData

    blocks = dict(blocks or {"mrna": 200, "mirna": 80, "protein": 40})
    if n_classes < 2 or n_samples < 2 * n_classes:
        raise ValidationError(f"need n_classes >= 2 and n_samples >= 2*n_classes, got {n_classes}, {n_samples}")
    for name, p in blocks.items():
        if p < n_informative:
            raise ValidationError(f"block {name!r} has {p} features, fewer than n_informative={n_informative}")
    rng = np.random.default_rng(random_state)
    labels = np.arange(n_samples) % n_classes
    rng.shuffle(labels)
    centres = rng.normal(scale=separation, size=(n_classes, n_latent))
    z = centres[labels] + rng.normal(size=(n_samples, n_latent))
    obs_names = [f"sample{i:03d}" for i in range(n_samples)]
    classes = pd.Categorical([f"class_{k + 1}" for k in labels], categories=[f"class_{k + 1}" for k in range(n_classes)])
    mods = {}
    for name, p in blocks.items():
        w = np.zeros((p, n_latent))
        w[:n_informative] = rng.normal(size=(n_informative, n_latent))
        x = z @ w.T + noise * rng.normal(size=(n_samples, p))
        perm = rng.permutation(p)
        var = pd.DataFrame({"informative": np.arange(p)[perm] < n_informative},
                           index=[f"{name}_{j:04d}" for j in range(p)])
        ad = AnnData(x[:, perm], obs=pd.DataFrame({"class": classes}, index=obs_names), var=var)
        mods[name] = ad
    with mudata.set_options(pull_on_update=False):  # keep modality annotations in the modalities
        mdata = mudata.MuData(mods)
    mdata.obs["class"] = pd.Categorical(classes, categories=classes.categories)
    mdata.uns["synthetic"] = {
        "generator": "synthetic_multiomics",
        "params": {"n_samples": n_samples, "blocks": blocks, "n_classes": n_classes, "n_informative": n_informative,
                   "n_latent": n_latent, "separation": separation, "noise": noise,
                   "random_state": "None" if random_state is None else int(random_state)},
        "class_centres": centres,
    }
    return mdata
