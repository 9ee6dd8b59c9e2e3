"""Demo workflow: sPLS-DA on a synthetic multi-omics cohort (feature selection against known truth)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ._registry import WorkflowResult, register


@register("multiomics", "Multi-omics: PCA and sPLS-DA per block (mixOmics methods)", requires=("matplotlib",))
def run(out_dir: Path, *, random_state: int = 0, use_r: bool = False) -> WorkflowResult:
    """PCA and sPLS-DA on each block of ``synthetic_multiomics``; selected features checked against the truth."""
    import matplotlib.pyplot as plt

    from .. import datasets, pl, tl
    from ._report import figure_png

    mdata = datasets.synthetic_multiomics(random_state=random_state)
    res = WorkflowResult(title="Multi-omics: PCA and sPLS-DA per block (mixOmics methods)")
    res.summary.append(
        f"Synthetic cohort: {mdata.n_obs} samples in {mdata.obs['class'].nunique()} classes, blocks "
        + ", ".join(f"{m} ({mdata[m].n_vars} features)" for m in mdata.mod)
        + "; 10 informative features per block (ground truth)."
    )
    rows = []
    for name, block in mdata.mod.items():
        tl.pca_mixomics(block, n_components=2)
        tl.splsda(block, groupby="class", n_components=2, keepX=[10, 10])
        selected = (np.asarray(block.varm["splsda_loadings"]) != 0).any(axis=1)
        truth = block.var["informative"].to_numpy(bool)
        ev = block.uns["splsda"]["explained_variance"]["X"]
        rows.append({"block": name, "features": block.n_vars, "selected": int(selected.sum()),
                     "true positives": int((selected & truth).sum()), "informative": int(truth.sum()),
                     "expl. var comp 1-2": float(np.sum(ev[:2]))})
    res.tables.append(("sPLS-DA (keepX = 10 per component): selected features vs ground truth",
                       pd.DataFrame(rows).set_index("block")))
    first = next(iter(mdata.mod))
    block = mdata[first]
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.3))
    pl.sample_plot(block, basis="X_pca_mixomics", color="class", ax=axes[0])
    axes[0].set_title(f"{first}: PCA")
    pl.sample_plot(block, basis="X_splsda", color="class", ellipse=True, ax=axes[1])
    axes[1].set_title(f"{first}: sPLS-DA")
    pl.correlation_circle(block, basis="X_splsda", loadings="splsda_loadings", highlight="informative", ax=axes[2])
    axes[2].set_title("correlation circle (red: informative)")
    res.figures.append((f"Block {first}: samples on PCA and sPLS-DA components, and selected features",
                        figure_png(fig)))
    path = out_dir / "multiomics.h5mu"
    import mudata

    with mudata.set_options(pull_on_update=False):
        mdata.write(path)
    res.files.append(path)
    return res
