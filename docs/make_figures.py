"""Regenerate the figures used in docs/*.md (run from the repository root: python docs/make_figures.py).

``--only hic`` (comma-separated families) regenerates one family's figures.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import pyomics_bridge as pob  # noqa: E402

HERE = Path(__file__).parent / "figures"


def survival_km() -> None:
    adata = pob.datasets.demo_survival()
    pob.tl.kaplan_meier(adata, groupby="group")
    pob.tl.logrank(adata, groupby="group")
    fig, ax = plt.subplots(figsize=(5.5, 4))
    pob.pl.kaplan_meier(adata, ax=ax)
    ax.set_title("demo_survival: Kaplan–Meier by risk group")
    fig.savefig(HERE / "survival_km.png", dpi=100, bbox_inches="tight")


def hic() -> None:
    """docs/hic.md: the worked example (same calls as the ``hic`` demo workflow) and the speed trajectories from
    benchmarks/results/hic.json (section ``pastis``)."""
    from pyomics_bridge import hic as H

    adata = pob.datasets.synthetic_hic(n_bins=80, mean_count=5.0, bias_sd=0.2, random_state=0)
    pob.tl.ice(adata, percentage=0.0)
    pob.tl.infer_structure(adata, method="pm2", max_iter=3000, random_state=0)
    fig, axes = plt.subplots(1, 2, figsize=(11.5, 4.2), constrained_layout=True)
    pob.pl.contact_map(adata, ax=axes[0])
    pob.pl.distance_decay(adata, ax=axes[1])
    fig.savefig(HERE / "hic_contact_map_decay.png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    truth = H.rescale(adata.obsm["X_true"])
    adata.obsm["X_true_scaled"] = truth
    adata.obsm["X_pm2_aligned"] = H.kabsch(adata.obsm["X_pm2"], truth).aligned
    fig = plt.figure(figsize=(10, 4.5))
    for k, basis in enumerate(("true_scaled", "pm2_aligned")):
        ax = fig.add_subplot(1, 2, k + 1, projection="3d")
        pob.pl.structure_3d(adata, basis=basis, ax=ax)
    fig.savefig(HERE / "hic_structures.png", dpi=90, bbox_inches="tight")
    plt.close(fig)

    hic_speed()


def hic_speed() -> None:
    """docs/figures/hic_speed.png: objective against CPU seconds, ours and pastis' (benchmarks/results/hic.json)."""
    import numpy as np

    res = Path(__file__).parents[1] / "benchmarks" / "results" / "hic.json"
    rows = [r for r in json.loads(res.read_text())["sections"].get("pastis", {}).get("rows", []) if "ref_curve" in r]
    if not rows:
        return
    sizes = sorted({int(r["task"].split(" bins")[0].split()[-1]) for r in rows})
    fig, axes = plt.subplots(2, len(sizes), figsize=(3.8 * len(sizes), 6.6), constrained_layout=True, squeeze=False)
    for r in rows:
        n = int(r["task"].split(" bins")[0].split()[-1])
        meth = r["task"].split(": ")[1].split(",")[0]
        ax = axes[0 if meth == "mds" else 1][sizes.index(n)]
        curves = {k: np.array(r[k], float) for k in ("pob_curve", "ref_curve")}
        low = min(c[:, 1].min() for c in curves.values())
        eps = 1e-7 * max(abs(low), 1.0)
        for key, label, style in (("pob_curve", "pyomics_bridge", "-o"), ("ref_curve", "pastis 0.4.0", "-s")):
            t, f = curves[key][:, 0], curves[key][:, 1]
            ax.plot(np.maximum(t, 1e-3), f - low + eps, style, ms=3, label=label)
        ax.axhline(r["ref_best_objective"] - low + eps, color="C1", lw=0.8, ls=":", label="pastis' best")
        ratio = r.get("ratio_cpu_equal_objective")
        if ratio:
            ax.axvline(r["pob_cpu_s_to_ref_best"], color="C0", lw=0.6, ls="--")
        ax.set(
            xscale="log",
            yscale="log",
            xlabel="CPU seconds",
            ylabel="objective − lowest reached",
            title=f"{meth.upper()}, {n:,} bins" + (f": {ratio:.0f}× to pastis' best" if ratio else ""),
        )
        ax.legend(fontsize=7)
    fig.savefig(HERE / "hic_speed.png", dpi=90, bbox_inches="tight")
    plt.close(fig)


FAMILIES = {"survival": survival_km, "hic": hic}

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(FAMILIES), help="comma-separated families: " + ", ".join(FAMILIES))
    args = parser.parse_args()
    HERE.mkdir(exist_ok=True)
    for name in args.only.split(","):
        FAMILIES[name]()
