"""GO networks on real single-cell data, offline: scanpy's bundled ``pbmc68k_reduced`` (700 cells, 765 highly
variable genes, 10 cell types) and Debian's HSMM set (``apt-get install r-bioc-hsmmsinglecell``: 271 myoblasts,
47k Ensembl genes, 4 time points; read with ``rdata``).

Repeated stratified 5-fold cross-validation; on every fold the hard GO net (tanh, per-level heads, early stopping
on a validation part of the training folds), the dense MLP of the same widths, logistic regression (L2, C = 0.1)
and a random forest (500 trees) are fitted on the same training cells. Reports accuracy and macro-F1 (mean ± SD
over folds, paired differences to the GO net), gene → GO coverage, and the top GO terms per class: mean signed
LRP relevance of each held-out cell for its true class, averaged per class over all folds.

Writes ``benchmarks/results/gonet_real.json``. Usage:
``python benchmarks/bench_gonet_real.py [--datasets pbmc68k hsmm --repeats 1 --epochs 60]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
HSMM_DIR = Path("/usr/lib/R/site-library/HSMMSingleCell/data")


def load_pbmc68k():
    import scanpy as sc

    a = sc.datasets.pbmc68k_reduced()  # .X: log-normalised, scaled highly variable genes
    return np.asarray(a.X, dtype=np.float32), a.var_names, a.obs["bulk_labels"].astype(str).to_numpy(), {
        "source": f"scanpy {sc.__version__} datasets.pbmc68k_reduced (bundled)", "label": "bulk_labels"}


def load_hsmm(min_frac: float = 0.1):
    import rdata

    if not HSMM_DIR.exists():
        raise FileNotFoundError(f"{HSMM_DIR} not found: apt-get install r-bioc-hsmmsinglecell")
    expr = rdata.read_rda(HSMM_DIR / "HSMM_expr_matrix.rda")["HSMM_expr_matrix"]
    sheet = rdata.read_rda(HSMM_DIR / "HSMM_sample_sheet.rda")["HSMM_sample_sheet"]
    genes = pd.Index(np.asarray(expr.coords["dim_0"]).astype(str))
    cells = np.asarray(expr.coords["dim_1"]).astype(str)
    X = np.log1p(np.asarray(expr.values, dtype=float).T)  # cells × genes, log(FPKM + 1)
    keep = (X > 0).mean(0) >= min_frac
    y = sheet.loc[cells, "Hours"].astype(int).astype(str).radd("h").to_numpy()
    return X[:, keep].astype(np.float32), genes[keep], y, {
        "source": "Debian r-bioc-hsmmsinglecell (Trapnell et al. 2014), log(FPKM+1)",
        "label": "Hours", "genes_expressed": int(keep.sum()), "genes_total": int(len(genes))}


def run_dataset(name, X, var_names, y, info, args, layers):
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold

    from pyomics_bridge.gonet import (
        GONetClassifier,
        logistic_baseline,
        random_forest_baseline,
        term_relevance,
        term_table,
    )
    from pyomics_bridge.tl._gonet import _go_input

    sub, cols, n_mapped = _go_input(pd.Index(var_names), layers, min_genes=args.min_genes)
    Xg = X[:, cols]
    cov = {"genes_in_data": int(X.shape[1]), "genes_mapped_to_go": int(n_mapped),
           "genes_in_go_layers": int(len(sub.genes)), "coverage": n_mapped / X.shape[1],
           "layer_sizes": sub.sizes, "bundled_level7_terms": len(layers.terms[0]),
           "level7_terms_kept": len(sub.terms[0])}
    print(name, info, cov, flush=True)
    rows, rel_parts = [], []
    for rep in range(args.repeats):
        cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=rep)
        for fold, (tr, te) in enumerate(cv.split(Xg, y)):
            mu, sd = Xg[tr].mean(0), Xg[tr].std(0)
            sd[sd == 0] = 1.0
            Z = ((Xg - mu) / sd).astype(np.float32)
            Zall = ((X - X[tr].mean(0)) / np.where(X[tr].std(0) > 0, X[tr].std(0), 1)).astype(np.float32)
            seed = 100 * rep + fold
            fits = {
                "gonet_hard": lambda Z=Z, tr=tr, seed=seed: GONetClassifier(
                    sub, mode="hard", lr=3e-3, max_epochs=args.epochs, n_threads=1, device="cpu",
                    random_state=seed).fit(Z[tr], y[tr]),
                "gonet_dense": lambda Z=Z, tr=tr, seed=seed: GONetClassifier(
                    sub, mode="dense", lr=1e-3, max_epochs=args.epochs, n_threads=1, device="cpu",
                    random_state=seed).fit(Z[tr], y[tr]),
                "logistic_l2": lambda Z=Z, tr=tr, seed=seed: logistic_baseline(random_state=seed).fit(Z[tr], y[tr]),
                "random_forest": lambda Z=Z, tr=tr, seed=seed: random_forest_baseline(
                    random_state=seed, n_jobs=1).fit(Z[tr], y[tr]),
                # the same baselines on every gene of the data set, GO-mapped or not
                "logistic_all_genes": lambda Zall=Zall, tr=tr, seed=seed: logistic_baseline(
                    random_state=seed).fit(Zall[tr], y[tr]),
            }
            for model, fit in fits.items():
                t = time.perf_counter()
                est = fit()
                secs = time.perf_counter() - t
                Xte = Zall[te] if model.endswith("all_genes") else Z[te]
                pred = est.predict(Xte)
                rows.append({"dataset": name, "repeat": rep, "fold": fold, "model": model,
                             "accuracy": float(np.mean(pred == y[te])),
                             "macro_f1": float(f1_score(y[te], pred, average="macro")), "fit_s": secs,
                             "epochs": getattr(est, "n_epochs_", None)})
                if model == "gonet_hard":
                    R = term_relevance(est, Z[te], method="lrp", target=y[te])
                    rel_parts.append(pd.DataFrame(np.concatenate(R, axis=1), index=te,
                                                  columns=[t for ts in sub.terms for t in ts]).assign(_y=y[te]))
            last = {r["model"]: round(r["accuracy"], 3) for r in rows[-len(fits):]}
            print(name, rep, fold, last, flush=True)
    df = pd.DataFrame(rows)
    summary = df.groupby("model")[["accuracy", "macro_f1", "fit_s"]].agg(["mean", "std"])
    print(summary.round(3).to_string(), flush=True)
    hard = df[df["model"] == "gonet_hard"].set_index(["repeat", "fold"])
    paired = {}
    for model in df["model"].unique():
        if model == "gonet_hard":
            continue
        other = df[df["model"] == model].set_index(["repeat", "fold"])
        d = (hard[["accuracy", "macro_f1"]] - other[["accuracy", "macro_f1"]])
        paired[model] = {"delta_accuracy_mean": float(d["accuracy"].mean()), "delta_accuracy_sd": float(d["accuracy"].std()),
                         "delta_f1_mean": float(d["macro_f1"].mean()), "delta_f1_sd": float(d["macro_f1"].std())}
    rel = pd.concat(rel_parts)
    cls = rel.groupby("_y").mean()
    tab = term_table(sub)
    top = {}
    for c, s in cls.iterrows():
        s7 = s[tab.index[tab["layer"] == 0]]
        order = s7.sort_values(ascending=False).index[:args.top]
        top[c] = [{"go_id": t, "name": tab.loc[t, "name"], "n_genes": int(tab.loc[t, "n_genes"]),
                   "relevance": float(s7[t])} for t in order]
        print(c, "|", "; ".join(f"{d['name']} ({d['relevance']:.3f})" for d in top[c][:5]), flush=True)
    return {"info": info, "coverage": cov, "summary": {f"{m}|{k[0]}|{k[1]}": float(v) for m, r in summary.iterrows()
                                                          for k, v in r.items()},
            "paired_vs_gonet_hard": paired, "top_terms_level7": top, "rows": rows}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", nargs="+", default=["pbmc68k", "hsmm"])
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--min-genes", type=int, default=3)
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "gonet_real.json"))
    args = ap.parse_args()
    import torch

    from pyomics_bridge.gonet import load_bundled_layers

    layers = load_bundled_layers()
    out = {"machine": platform.platform(), "torch": torch.__version__, "device": "cpu", "args": vars(args),
           "loadavg_start": os.getloadavg(), "datasets": {}}
    loaders = {"pbmc68k": load_pbmc68k, "hsmm": load_hsmm}
    for name in args.datasets:
        t = time.perf_counter()
        X, var_names, y, info = loaders[name]()
        out["datasets"][name] = run_dataset(name, X, var_names, y, info, args, layers)
        out["datasets"][name]["seconds"] = time.perf_counter() - t
    out["loadavg_end"] = os.getloadavg()
    path = Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=1, default=str))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
