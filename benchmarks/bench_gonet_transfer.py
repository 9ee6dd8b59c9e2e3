"""Transfer-learning learning curves for GO networks on synthetic data with a planted GO signal.

One "biology" (``simulate_go_transfer``: the genes under ``--terms`` random level-7 GO-BP terms, shared gene
loadings) gives a target task planted on 3 terms and two source tasks of ``--source`` samples each: a *related*
source sharing 2 of the 3 planted terms (weights and signs redrawn) and an *unrelated* source (disjoint planted
terms, the negative-transfer control). Pre-trained on a source (early stopping), then on every stratified
subsample of the target pool:

- ``transfer``: the hard GO net pre-trained on the related source, GO layers frozen, new heads trained;
- ``transfer_unrelated``: the same from the unrelated source;
- ``dense_transfer``: a dense MLP of the same widths pre-trained on the related source, hidden layers frozen;
- ``scratch`` (hard GO net), ``dense`` (MLP), ``logistic`` (L2, C = 0.1), ``random_forest`` (500 trees),
  ``term_logistic`` (mean of each term's genes → logistic regression).

Accuracy on ``--test`` held-out target samples, bootstrap 95 % intervals over subsamples, paired contrasts and
Wilcoxon tests against ``scratch``, planted-term AP, and top-10 term stability across subsamples. Writes
``benchmarks/results/gonet_transfer.json`` and ``docs/figures/gonet_learning_curve.png``.

Usage: ``python benchmarks/bench_gonet_transfer.py [--sizes 20 50 100 200 500 --subsamples 10 --jobs 2]``.
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--terms", type=int, default=60)
    ap.add_argument("--source", type=int, default=3000)
    ap.add_argument("--pool", type=int, default=600)
    ap.add_argument("--test", type=int, default=1000)
    ap.add_argument("--sizes", type=int, nargs="+", default=[20, 50, 100, 200, 500])
    ap.add_argument("--subsamples", type=int, default=10)
    ap.add_argument("--steps", type=int, default=150)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "gonet_transfer.json"))
    ap.add_argument("--figure", default=str(ROOT / "docs" / "figures" / "gonet_learning_curve.png"))
    ap.add_argument("--figure-only", action="store_true", help="redraw the figure from the JSON in --out")
    args = ap.parse_args()
    if args.figure_only:
        return figure(pd.DataFrame(json.loads(Path(args.out).read_text())["summary"]), Path(args.figure))

    import torch

    from pyomics_bridge.gonet import GONetClassifier, learning_curve, load_bundled_layers, simulate_go_transfer

    load_start = os.getloadavg()
    t_all = time.perf_counter()
    (related, unrelated), target = simulate_go_transfer(
        load_bundled_layers(), n_source=args.source, n_target=args.pool + args.test, n_terms=args.terms,
        n_shared=(2, 0), random_state=args.seed)
    L = target.layers
    print(f"layers {L.sizes}; target planted {target.planted}; related {related.planted}; "
          f"unrelated {unrelated.planted}", flush=True)
    pre, pre_info = {}, {}
    for name, src, mode in (("transfer", related, "hard"), ("transfer_unrelated", unrelated, "hard"),
                            ("dense_transfer", related, "dense")):
        t = time.perf_counter()
        m = GONetClassifier(L, mode=mode, lr=3e-3 if mode == "hard" else 1e-3, max_epochs=60, n_threads=1,
                            device="cpu", random_state=args.seed).fit(src.X, src.y)
        pre[name] = m
        pre_info[name] = {"mode": mode, "epochs": m.n_epochs_, "best_epoch": m.best_epoch_,
                          "fit_s": time.perf_counter() - t,
                          "source_val_accuracy": max(h.get("val_accuracy", np.nan) for h in m.history_)}
        print(name, pre_info[name], flush=True)
    Xp, yp = target.X[:args.pool], target.y[:args.pool]
    Xt, yt = target.X[args.pool:], target.y[args.pool:]
    t = time.perf_counter()
    lc = learning_curve(L, Xp, yp, Xt, yt, pretrained=pre,
                        models=("scratch", "dense", "logistic", "random_forest", "term_logistic"),
                        sizes=args.sizes, n_subsamples=args.subsamples, n_steps=args.steps,
                        planted=target.planted, n_jobs=args.jobs, random_state=args.seed)
    curve_s = time.perf_counter() - t
    pd.set_option("display.width", 200)
    print(lc.summary.round(3).to_string())
    print(lc.contrasts.round(4).to_string())
    print(lc.stability.round(3).to_string())
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "machine": platform.platform(), "torch": torch.__version__, "device": "cpu",
        "loadavg_start": load_start, "loadavg_end": os.getloadavg(), "args": vars(args),
        "layers": L.sizes, "planted": {"target": target.planted, "related": related.planted,
                                       "unrelated": unrelated.planted},
        "pretraining": pre_info, "learning_curve_s": curve_s, "total_s": time.perf_counter() - t_all,
        "summary": lc.summary.to_dict(orient="records"), "contrasts": lc.contrasts.to_dict(orient="records"),
        "stability": lc.stability.to_dict(orient="records"), "rows": lc.scores.to_dict(orient="records"),
    }, indent=1))
    print(f"wrote {out}")
    if args.figure:
        figure(lc.summary, Path(args.figure))


def figure(summary: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    style = {"transfer": ("C3", "-", "o"), "transfer_unrelated": ("C3", ":", "x"), "dense_transfer": ("C1", "--", "s"),
             "scratch": ("C0", "-", "^"), "dense": ("C1", ":", "v"), "logistic": ("k", "-", "D"),
             "random_forest": ("C2", "-.", "P"), "term_logistic": ("C4", "--", "*")}
    for name, g in summary.groupby("model", sort=False):
        c, ls, mk = style.get(name, (None, "-", "o"))
        axes[0].plot(g["size"], g["accuracy"], ls, color=c, marker=mk, label=name)
        axes[0].fill_between(g["size"], g["acc_low"], g["acc_high"], color=c, alpha=0.12)
        if "planted_ap" in g:
            axes[1].plot(g["size"], g["planted_ap"], ls, color=c, marker=mk, label=name)
    for ax, lab in zip(axes, ("test accuracy (mean, bootstrap 95 % CI)", "planted-term AP (level 7)"), strict=True):
        ax.set_xscale("log")
        ax.set_xlabel("target training samples")
        ax.set_ylabel(lab)
        ax.set_xticks(sorted(summary["size"].unique()))
        ax.get_xaxis().set_major_formatter(matplotlib.ticker.ScalarFormatter())
        ax.get_xaxis().set_minor_formatter(matplotlib.ticker.NullFormatter())
    axes[0].legend(fontsize=8, ncol=2)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
