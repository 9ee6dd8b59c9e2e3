"""Synthetic TF-binding benchmark: two classes of peak sequences with planted determinants (known truth)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from anndata import AnnData

from ._registry import register_synthetic


def synthetic_tf_binding(
    *,
    n_per_class: int = 500,
    length: int = 1000,
    scenario: str = "calibrated",
    n_decoys: int = 30,
    background: str = "builtin",
    random_state: int | None = 0,
) -> AnnData:
    """Two classes of TF-bound sequences sharing a core motif, with planted class differences.

    See :func:`pyomics_bridge.regulatory.simulate_tf_binding` for the model. Scenarios: ``"null"`` (no signal),
    ``"calibrated"`` (strength 1), ``"strong"`` (2.5), ``"confounded"`` (GC-rich environment only),
    ``"grammar"`` (a co-factor at a fixed spacing in class A, shifted in class B) and ``"paralog"`` (half of class B
    bound through a similar PWM); these two add ``truth_grammar``, ``truth_grammar_site`` and ``truth_paralog``.
    ``background``: ``"builtin"`` (order-1 Markov chains designed here, available everywhere), ``"peaks"`` (order 2,
    fitted on the real Oct4 + MafK peaks of the janggu wheel; an error when it is absent) or ``"auto"``.

    Returns
    -------
    AnnData with ``n_obs = 2 n_per_class`` sequences and no variables: ``.obsm["codes"]`` (int8, A/C/G/T/N =
    0..4), ``.obs["label"]`` (1 = class A), ``.obs["class"]``, ground-truth indicators ``.obs["truth_flank"]``,
    ``truth_environment``, ``truth_cofactor_A``, ``truth_cofactor_B``, ``truth_strand``, ``truth_core_start``;
    ``.uns["motifs"]`` (label -> probability matrix; the target first), ``.uns["synthetic"]`` (parameters,
    target and planted co-factor labels).
    """
    from ..regulatory._simulate import simulate_tf_binding

    sim = simulate_tf_binding(n_per_class=n_per_class, length=length, scenario=scenario, n_decoys=n_decoys,
                              background=background, random_state=random_state)
    y = sim["y"]
    obs = pd.DataFrame({"label": y.astype(int), "class": np.where(y == 1, "A", "B")},
                       index=[f"seq{i}" for i in range(y.size)])
    obs["class"] = obs["class"].astype("category")
    for k, v in sim["truth"].items():
        obs[f"truth_{k}"] = np.asarray(v).astype(int)
    m = sim["motifs"]
    motifs = {mm.label: mm.probabilities for mm in [m["target"], *m["cofactors"], *m["decoys"]]}
    adata = AnnData(obs=obs, var=pd.DataFrame(index=pd.Index([], dtype=str)))
    adata.obsm["codes"] = sim["codes"]
    adata.uns["motifs"] = motifs
    params = {k: ("None" if v is None else v) for k, v in sim["params"].items()}
    adata.uns["synthetic"] = {
        "params": {**params, "n_decoys": n_decoys, "random_state": "None" if random_state is None else random_state},
        "target": m["target"].label,
        "cofactor_A": m["cofactors"][0].label,
        "cofactor_B": m["cofactors"][1].label,
        "flank_offset": m["target"].width + 1,
        "environment_region": np.array([-300, -100]),
    }
    return adata


register_synthetic(
    "synthetic_tf_binding",
    synthetic_tf_binding,
    "Two classes of TF-bound sequences (Markov background, shared core motif) with planted flank base, "
    "GC-rich region and co-factor motifs; ground truth in .obs['truth_*']",
    modalities=("sequences",),
    function="pyomics_bridge.datasets.synthetic_tf_binding",
    overwrite=True,
)
