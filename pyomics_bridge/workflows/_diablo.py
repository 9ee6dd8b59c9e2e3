"""Demo workflow: DIABLO (block sPLS-DA) on a synthetic multi-omics cohort, then unsupervised consensus clustering."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ._registry import WorkflowResult, register

TITLE = "Multi-omics: DIABLO (block sPLS-DA) and consensus clustering"


@register("diablo", TITLE, requires=("matplotlib",))
def run(out_dir: Path, *, random_state: int = 0, use_r: bool = False) -> WorkflowResult:
    """DIABLO fit, votes and cross-validated error rates, and consensus clustering of per-block PCA components."""
    import matplotlib.pyplot as plt
    from sklearn.metrics import adjusted_rand_score

    from .. import datasets, pl, tl
    from .. import multiomics as mo
    from ..pl import _mixomics_plots as mp
    from ..tl._clustering import consensus_clustering
    from ._report import figure_png

    mdata = datasets.synthetic_multiomics(random_state=random_state)
    mods = list(mdata.mod)
    keep = {m: [10, 10] for m in mods}
    res = WorkflowResult(title=TITLE)
    res.summary.append(
        f"Synthetic cohort: {mdata.n_obs} samples in {mdata.obs['class'].nunique()} classes, blocks "
        + ", ".join(f"{m} ({mdata[m].n_vars} features)" for m in mods)
        + "; 10 informative features per block (ground truth)."
    )

    # DIABLO fit (full design), training votes and selected features against the truth
    tl.diablo(mdata, groupby="class", n_components=2, keepX=keep, design=0.1)
    tl.diablo_predict(mdata, reference=mdata, key="diablo", key_added="diablo_votes")
    truth = mdata.obs["class"].astype(str).to_numpy()
    votes = mdata.obs["diablo_votes"].astype(str).to_numpy()
    rows = []
    for m in mods:
        sel = (np.asarray(mdata[m].varm["diablo_loadings"]) != 0).any(axis=1)
        inf = mdata[m].var["informative"].to_numpy(bool)
        rows.append({"block": m, "selected": int(sel.sum()), "true positives": int((sel & inf).sum()),
                     "weight comp1": float(mdata.uns["diablo"]["weights"].loc[m, "comp1"])})
    res.tables.append(("DIABLO (keepX = 10 per block and component, design 0.1): selected features",
                       pd.DataFrame(rows).set_index("block")))
    res.summary.append(f"Training WeightedVote (max.dist, 2 components) accuracy: {np.mean(votes == truth):.3f}.")

    # cross-validated error rates (small nrepeat for the demo)
    X = {m: pd.DataFrame(mdata[m].X, index=mdata.obs_names, columns=mdata[m].var_names) for m in mods}
    perf = mo.perf(mo.BlockSPLSDA(2, keepX=keep, design=0.1), X, mdata.obs["class"], folds=5, nrepeat=2,
                   random_state=random_state)
    res.tables.append(("perf (5-fold CV, 2 repeats): WeightedVote balanced error rate, mean over repeats",
                       mp.perf_curve_data(perf, measure="BER").pivot(index="component", columns="dist",
                                                                      values="mean")))

    # unsupervised: consensus clustering of the concatenated per-block PCA components
    for m in mods:
        tl.pca_mixomics(mdata[m], n_components=2, scale=True)
    consensus_clustering(mdata, use_rep="X_pca_mixomics", k_range=(2, 6), n_resamples=50,
                         random_state=random_state)
    rec = mdata.uns["consensus"]
    ari = adjusted_rand_score(truth, mdata.obs["consensus"].astype(str))
    res.tables.append(("Consensus clustering (k-means on 80% subsamples, 50 resamples) of the per-block PCA "
                       "components: PAC per k",
                       pd.DataFrame({"PAC": rec["pac"], "delta area": rec["delta_area"]},
                                    index=pd.Index(rec["k"], name="k"))))
    res.summary.append(f"Consensus clustering chose k = {rec['best_k']} (lowest PAC); adjusted Rand index with the "
                       f"classes: {ari:.3f}.")

    fig, axes = plt.subplots(2, 3, figsize=(16, 10))
    pl.sample_plot(mdata[mods[0]], basis="X_diablo", color="class", ellipse=True, ax=axes[0, 0])
    axes[0, 0].set_title(f"DIABLO variates, block {mods[0]}")
    mp.loadings(mdata, key="diablo", mod=mods[0], comp=1, ndisplay=10, ax=axes[0, 1])
    mp.diablo_network(mdata, key="diablo", cutoff=0.7, labels=False, ax=axes[0, 2])
    mp.perf_curve(perf, measure="BER", ax=axes[1, 0])
    axes[1, 0].set_title("perf: WeightedVote BER")
    mp.consensus(mdata, kind="matrix", ax=axes[1, 1])
    mp.consensus(mdata, kind="pac", ax=axes[1, 2])
    fig.tight_layout()
    res.figures.append(("DIABLO samples, loadings (coloured by the class with the max mean), circos-like network "
                        "(|K| > 0.7), CV error rates, and consensus clustering (matrix, PAC)", figure_png(fig)))
    path = out_dir / "diablo.h5mu"
    import mudata

    with mudata.set_options(pull_on_update=False):
        mdata.write(path)
    res.files.append(path)
    return res
