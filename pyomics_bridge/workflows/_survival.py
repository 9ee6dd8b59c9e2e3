"""Demo workflow: Kaplan–Meier curves and log-rank tests on the bundled survival cohort, checked against R."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ._registry import WorkflowResult, register


def _max_abs_diff(a: pd.Series, b: pd.Series) -> float:
    """Largest absolute difference where both are finite (NaN/inf positions must match: then they agree)."""
    a, b = a.to_numpy(dtype=float), b.to_numpy(dtype=float)
    if not np.array_equal(np.isfinite(a), np.isfinite(b)):
        return float("inf")
    ok = np.isfinite(a)
    return float(np.max(np.abs(a[ok] - b[ok]), initial=0.0))


@register("survival", "Survival: Kaplan–Meier and log-rank (Python vs R survival)", requires=("matplotlib",))
def run(out_dir: Path, *, random_state: int = 0, use_r: bool = False) -> WorkflowResult:
    """Curves and tests by risk group, a per-gene median-split screen, and the R reference when available."""
    from .. import datasets, pl, survival, tl
    from ._report import figure_png

    adata = datasets.demo_survival()
    res = WorkflowResult(title="Survival: Kaplan–Meier and log-rank (Python vs R survival)")
    tl.kaplan_meier(adata, groupby="group")
    tl.logrank(adata, groupby="group")
    tl.logrank(adata, groupby="group", rho=1.0, key_added="peto_peto")
    lr = adata.uns["logrank"]
    res.summary.append(
        f"Bundled cohort: {adata.n_obs} samples × {adata.n_vars} genes, "
        f"{int(adata.obs['event'].sum())} events. Log-rank between true risk groups: "
        f"chi2 = {lr['statistic']:.4f} on {lr['df']} df, p = {lr['pvalue']:.3g}; "
        f"Peto–Peto (rho = 1): p = {adata.uns['peto_peto']['pvalue']:.3g}."
    )
    res.tables.append(("Log-rank table (observed / expected events per group)", lr["table"]))
    res.tables.append(("Median survival per group", adata.uns["kaplan_meier"]["median"]))

    # Per-gene screen: median split of each gene, log-rank p; truly prognostic genes are flagged.
    x = np.asarray(adata.X, dtype=float)
    rows = []
    for j, gene in enumerate(adata.var_names):
        high = x[:, j] > np.median(x[:, j])
        r = survival.logrank_test(adata.obs["time"], adata.obs["event"], np.where(high, "high", "low"))
        rows.append((gene, r.statistic, r.pvalue, bool(adata.var["prognostic"].iloc[j])))
    screen = pd.DataFrame(rows, columns=["gene", "chi2", "pvalue", "truly_prognostic"]).sort_values("pvalue")
    res.tables.append(("Per-gene median-split log-rank screen (top 10)", screen.head(10).set_index("gene")))
    adata.uns["gene_screen"] = screen.set_index("gene")

    if use_r:
        tl.logrank(adata, groupby="group", backend="r", key_added="logrank_r")
        tl.kaplan_meier(adata, groupby="group", backend="r", key_added="kaplan_meier_r")
        km_py, km_r = adata.uns["kaplan_meier"]["table"], adata.uns["kaplan_meier_r"]["table"]
        cols = ["survival", "std_err", "lower", "upper"]
        agreement = pd.DataFrame({
            "quantity": ["log-rank chi2 (relative)", *[f"KM {c} (max abs)" for c in cols]],
            "difference": [abs(lr["statistic"] / adata.uns["logrank_r"]["statistic"] - 1),
                           *[_max_abs_diff(km_py[c], km_r[c]) for c in cols]],
        }).set_index("quantity")
        res.tables.append(("Agreement with R survival (survdiff, survfit)", agreement))
    else:
        res.summary.append("R reference skipped (R, rpy2 or the survival package is not available).")

    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 4))
    pl.kaplan_meier(adata, ax=ax)
    ax.set_title("Kaplan–Meier by true risk group")
    res.figures.append(("Kaplan–Meier curves with 95% log-CI; + marks censoring", figure_png(fig)))
    path = out_dir / "survival.h5ad"
    adata.write_h5ad(path)
    res.files.append(path)
    return res
