"""Seeded synthetic phenotype with a planted GO-structured signal on the real human GO-BP DAG (bundled layers)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from anndata import AnnData

from .._conventions import ValidationError, _clean_param


def synthetic_go_phenotype(
    *,
    n_samples: int = 1000,
    n_terms: int = 300,
    n_planted: int = 3,
    task: str = "linear",
    min_genes: int = 5,
    max_genes: int = 100,
    noise_sd: float = 0.5,
    label_noise_sd: float = 0.5,
    gene_id: str = "symbol",
    random_state: int | None = 0,
) -> AnnData:
    """Expression of the genes under ``n_terms`` random level-7 GO-BP terms with a phenotype driven by
    ``n_planted`` of them (see :func:`pyomics_bridge.gonet.simulate_go_phenotype` for the model).

    Uses the bundled human GO-BP layers (``data/go_bp_human_layers.json.gz``, GO 2022-07-01, CC BY 4.0); no
    torch needed.

    Parameters
    ----------
    n_samples, n_terms, n_planted
        Samples, level-7 terms kept (≈ 12 genes each) and planted terms.
    task
        ``"linear"``, ``"and"``, ``"or"`` or ``"xor"``.
    min_genes, max_genes
        Size range of the kept level-7 terms.
    noise_sd, label_noise_sd
        Gene noise and label noise standard deviations.
    gene_id
        ``var_names``: ``"symbol"`` (default), ``"entrez"`` or ``"ensembl"`` (first Ensembl id; genes without one
        keep their Entrez id).
    random_state
        Seed.

    Returns
    -------
    AnnData: ``.X`` standardised expression (float32); ``.obs["phenotype"]`` (categorical ``"0"``/``"1"``);
    ``.var["entrez"]``, ``.var["symbol"]``, ``.var["planted"]`` (gene under a planted term);
    ``.uns["synthetic"]``: ``planted_terms``, ``truth`` (per level: planted terms and their ancestors),
    ``planted_weights``, ``terms`` (the kept level-7 GO ids) and ``params``.
    """
    from ..gonet import load_bundled_layers, simulate_go_phenotype

    if gene_id not in ("symbol", "entrez", "ensembl"):
        raise ValidationError(f"gene_id must be 'symbol', 'entrez' or 'ensembl', got {gene_id!r}")
    params = {"n_samples": n_samples, "n_terms": n_terms, "n_planted": n_planted, "task": task, "min_genes": min_genes,
                  "max_genes": max_genes, "noise_sd": noise_sd, "label_noise_sd": label_noise_sd, "gene_id": gene_id,
                  "random_state": random_state}
    layers = load_bundled_layers()
    sim = simulate_go_phenotype(layers, n_samples=n_samples, n_terms=n_terms, n_planted=n_planted, task=task,
                                min_genes=min_genes, max_genes=max_genes, noise_sd=noise_sd,
                                label_noise_sd=label_noise_sd, random_state=random_state)
    L = sim.layers
    ids = layers.gene_ids
    first = ids.drop_duplicates("entrez").set_index("entrez")
    entrez = pd.Index(L.genes)
    symbol = first["symbol"].reindex(entrez).fillna("").to_numpy()
    ens = ids[ids["ensembl"] != ""].drop_duplicates("entrez").set_index("entrez")["ensembl"].reindex(entrez)
    if gene_id == "symbol":
        names = np.where(symbol != "", symbol, entrez.to_numpy())
    elif gene_id == "ensembl":
        names = np.where(ens.notna(), ens.fillna("").to_numpy(), entrez.to_numpy())
    else:
        names = entrez.to_numpy()
    names = pd.Index(names.astype(str))
    if names.has_duplicates:  # rare symbol clashes: fall back to Entrez for duplicates
        dup = names.duplicated(keep=False)
        names = pd.Index(np.where(dup, entrez.to_numpy(), names.to_numpy()))
    planted_idx = [L.terms[0].index(t) for t in sim.planted]
    planted_genes = np.zeros(len(L.genes), dtype=bool)
    e0 = L.edges[0]
    planted_genes[e0[np.isin(e0[:, 1], planted_idx), 0]] = True
    obs = pd.DataFrame({"phenotype": pd.Categorical(sim.y.astype(str), categories=["0", "1"])},
                       index=[f"sample{i:04d}" for i in range(n_samples)])
    var = pd.DataFrame({"entrez": entrez.to_numpy(), "symbol": symbol, "planted": planted_genes}, index=names)
    adata = AnnData(X=sim.X, obs=obs, var=var)
    adata.uns["synthetic"] = {
        "planted_terms": np.asarray(sim.planted, dtype=str),
        "planted_weights": np.asarray(sim.weights, dtype=float),
        "truth": {str(k): np.asarray(v, dtype=str) for k, v in sim.truth.items()},
        "terms": np.asarray(L.terms[0], dtype=str),
        "params": _clean_param(params),
        "source": "GO BP 2022-07-01 (CC BY 4.0, Gene Ontology Consortium) via data/go_bp_human_layers.json.gz",
    }
    return adata


def _register() -> None:
    from ._registry import register_synthetic

    register_synthetic(
        "synthetic_go_phenotype",
        synthetic_go_phenotype,
        "Expression of genes under random level-7 human GO-BP terms (latent term activities) with a binary "
        "phenotype driven by a few planted terms (truth in .uns['synthetic'], .var['planted'])",
        source="pyomics_bridge synthetic generator on the GO-BP DAG (GO 2022-07-01, CC BY 4.0)",
        modalities=("expression",),
        function="pyomics_bridge.datasets.synthetic_go_phenotype",
        overwrite=True,
    )


_register()
