"""Regenerate the figures used in docs/*.md (run from the repository root: python docs/make_figures.py)."""

from __future__ import annotations

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


if __name__ == "__main__":
    HERE.mkdir(exist_ok=True)
    survival_km()
