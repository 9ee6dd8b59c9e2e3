"""GO networks vs baselines on synthetic data with a planted GO signal (real human GO-BP DAG, bundled layers).

For each seed: ``simulate_go_phenotype`` (``--terms`` level-7 terms, ``--samples`` samples, 3 planted terms,
linear task), one stratified train/test split shared by every model:

- ``GONetClassifier`` ``hard`` (sparse GO mask, tanh, mask-aware init, per-level heads), ``soft`` (dense + L1 on
  non-GO weights), ``dense`` (MLP of the same widths, terms scored by their genes' post-hoc relevance); soft and
  dense each with early stopping on the validation loss (default), on the validation accuracy (``_es_acc``) and
  without early stopping (``_no_es``: ``--epochs`` epochs);
- logistic regression (L2, C = 0.1) and random forest (500 trees), terms scored by mean |coef| / importance
  over their genes.

Reports test accuracy, planted-term average precision / AUROC / best rank at level 7 (LRP-ε and gradient ×
activation for the nets), GO leakage (share of |W| on non-GO weights, first layer) and fit time. Writes
``benchmarks/results/gonet.json``. Usage: ``python benchmarks/bench_gonet.py [--terms 300 --samples 1500
--seeds 0 1 --epochs 40 --threads 1]``.
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--terms", type=int, default=300)
    ap.add_argument("--samples", type=int, default=1500)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--task", default="linear")
    ap.add_argument("--full-genome", type=int, default=0, metavar="N",
                    help="instead: time epochs of each mode on all 12,446 bundled genes with N random samples")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "gonet.json"))
    args = ap.parse_args()
    if args.full_genome:
        return full_genome(args)

    import torch
    from sklearn.model_selection import train_test_split

    from pyomics_bridge.gonet import (
        GONetClassifier,
        baseline_term_scores,
        load_bundled_layers,
        logistic_baseline,
        planted_recovery,
        random_forest_baseline,
        simulate_go_phenotype,
    )

    layers = load_bundled_layers()
    rows = []
    for seed in args.seeds:
        sim = simulate_go_phenotype(layers, n_samples=args.samples, n_terms=args.terms, task=args.task,
                                    random_state=seed)
        L = sim.layers
        tr, te = train_test_split(np.arange(args.samples), test_size=1 / 3, stratify=sim.y, random_state=seed)
        print(f"seed {seed}: layers {L.sizes}, planted {sim.planted}", flush=True)

        def record(model, acc, scores, seconds, leak=float("nan"), L=L, sim=sim, seed=seed):
            for method, s in scores.items():
                rec = planted_recovery(pd.Series(s, index=L.terms[0]), sim.planted)
                row = {"seed": seed, "model": model, "relevance": method, "accuracy": acc,
                       "planted_ap": rec["average_precision"], "planted_auroc": rec["auroc"],
                       "best_rank": rec["best_rank"], "go_leakage_layer1": leak, "fit_s": seconds}
                rows.append(row)
                print({k: (round(v, 3) if isinstance(v, float) else v) for k, v in row.items()}, flush=True)

        # early stopping: on the validation loss (default), on the validation accuracy, or none (max_epochs)
        stop = {"": {}, "_es_acc": {"monitor": "accuracy"}, "_no_es": {"validation_fraction": 0.0}}
        variants = [("hard", "", {"lr": 3e-3})] + [
            (mode, tag, {**base, **extra}) for mode, base in (("soft", {"alpha": 1e-4}), ("dense", {}))
            for tag, extra in stop.items()]
        for mode, tag, kw in variants:
            t = time.perf_counter()
            m = GONetClassifier(L, mode=mode, max_epochs=args.epochs, n_threads=args.threads, random_state=seed,
                                **kw).fit(sim.X[tr], sim.y[tr])
            secs = time.perf_counter() - t
            acc = m.score(sim.X[te], sim.y[te])
            scores = {meth: np.abs(m.relevance(sim.X[te], method=meth, target=sim.y[te])[0]).mean(0)
                      for meth in ("lrp", "gradxact")}
            record(f"gonet_{mode}{tag}", acc, scores, secs, m.go_leakage()[0])
            rows[-1]["epochs"] = rows[-2]["epochs"] = m.n_epochs_
            device = m.device_
        for name, est in (("logistic_l2", logistic_baseline(random_state=seed)),
                          ("random_forest", random_forest_baseline(random_state=seed, n_jobs=args.threads))):
            t = time.perf_counter()
            est.fit(sim.X[tr], sim.y[tr])
            secs = time.perf_counter() - t
            record(name, float(est.score(sim.X[te], sim.y[te])), {"coef_or_importance": baseline_term_scores(est, L)[0]},
                   secs)
    df = pd.DataFrame(rows)
    summary = df.groupby(["model", "relevance"])[["accuracy", "planted_ap", "planted_auroc", "fit_s", "epochs"]].mean()
    print(summary.round(3).to_string())
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "machine": platform.platform(), "cpu_threads": args.threads, "loadavg_end": os.getloadavg(), "torch": torch.__version__,
        "device": device, "device_name": _device_name(device), "args": vars(args), "rows": rows,
    }, indent=1))
    print(f"wrote {out}")


def _device_name(device: str) -> str:
    import torch

    if device.startswith("cuda"):
        return torch.cuda.get_device_name(0)
    return platform.processor() or "cpu"


def full_genome(args) -> None:
    """Seconds per epoch of each mode on the full bundled architecture (12,446 genes → 1408 … 43 terms)."""
    import torch

    from pyomics_bridge.gonet import GONetClassifier, load_bundled_layers

    layers = load_bundled_layers()
    rng = np.random.default_rng(0)
    X = rng.standard_normal((args.full_genome, len(layers.genes))).astype(np.float32)
    y = rng.integers(0, 5, args.full_genome)
    rows = []
    for mode in ("hard", "soft", "dense"):
        m = GONetClassifier(layers, mode=mode, max_epochs=args.epochs, batch_size=512, validation_fraction=0,
                            n_threads=args.threads, random_state=0).fit(X, y)
        row = {"mode": mode, "n_samples": args.full_genome, "epochs": m.n_epochs_,
               "s_per_epoch": m.fit_seconds_ / m.n_epochs_, "device": m.device_, "device_name": _device_name(m.device_),
               "n_parameters": int(sum(p.numel() for p in m.module_.parameters()))}
        rows.append(row)
        print(row, flush=True)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"torch": torch.__version__, "args": vars(args), "rows": rows}, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
