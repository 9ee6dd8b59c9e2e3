"""Figures and tables of the worked example in docs/regulatory.md (the ``regulatory`` demo data).

``calibrated`` scenario, 2 x 400 sequences of 1 kb, ``random_state=0``, 30 decoy co-factor motifs,
``pob.tl.tfscope`` with its defaults plus ``env_search=True`` and 20 stability refits (stacked families).
Writes docs/figures/regulatory_{core,environment,cofactors,roc}.png and
benchmarks/results/regulatory_example.json (AUC table, drop-family table, top features, oracle AUC, timing).

Usage: ``python docs/make_regulatory_figures.py``
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import pyomics_bridge as pob  # noqa: E402
from pyomics_bridge.pl import _regulatory as plr  # noqa: E402
from pyomics_bridge.workflows._regulatory import _oracle_auc  # noqa: E402

HERE = Path(__file__).parent
FIG = HERE / "figures"
OUT = HERE.parent / "benchmarks" / "results" / "regulatory_example.json"


def main() -> dict:
    adata = pob.datasets.synthetic_tf_binding(n_per_class=400, length=1000, scenario="calibrated", n_decoys=30, random_state=0)
    target = adata.uns["synthetic"]["target"]
    load0, t = os.getloadavg(), time.perf_counter()
    pob.tl.tfscope(adata, core_motif=target, env_search=True, stability=20, random_state=0, n_jobs=1)
    seconds = time.perf_counter() - t
    rec = adata.uns["tfscope"]
    for name, func in (("core", plr.tfscope_core), ("environment", plr.tfscope_environment),
                       ("cofactors", plr.tfscope_cofactors), ("roc", plr.tfscope_roc)):
        fig, ax = plt.subplots(figsize=(6.5, 4))
        func(adata, ax=ax)
        fig.tight_layout()
        fig.savefig(FIG / f"regulatory_{name}.png", dpi=100, bbox_inches="tight")
        plt.close(fig)
    f = rec["features"]
    top = f.reindex(f["coef_full"].abs().sort_values(ascending=False).index).head(12)
    cols = [c for c in ("family", "coef_full", "stability_full") if c in top]
    out = {
        "data": "synthetic_tf_binding(n_per_class=400, length=1000, scenario='calibrated', n_decoys=30, "
                "random_state=0)",
        "options": {"env_search": True, "stability": 20, "random_state": 0},
        "seconds": round(seconds, 1), "loadavg_start": load0, "loadavg_end": os.getloadavg(),
        "n_dropped": int(rec["n_dropped"]),
        "auc": rec["auc"].round(4).reset_index().to_dict(orient="records"),
        "drop_family": rec["drop_family"].round(4).reset_index().to_dict(orient="records"),
        "oracle_auc": round(_oracle_auc(adata), 4),
        "top_full": top[cols].round(3).reset_index().to_dict(orient="records"),
        "stack_weights": rec["stack_weights"].round(3).to_dict(orient="index") if "stack_weights" in rec else None,
    }
    OUT.write_text(json.dumps(out, indent=2, default=str))
    return out


if __name__ == "__main__":
    print(json.dumps(main(), indent=1, default=str))
