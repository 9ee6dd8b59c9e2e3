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

``--full-genome N``: CPU/GPU throughput instead (samples/s per epoch, parameters, GO edges, peak RSS of each fit
in its own process) on the bundled network and, with ``--fg-debian 6:1``, a larger one from
``layers_from_debian``; e.g. ``python benchmarks/bench_gonet.py --full-genome 256 --epochs 1 --threads 2
--fg-models hard dense --fg-debian 6:1 --fg-debian-models hard dense --out
benchmarks/results/gonet_fullgenome_cpu.json``.
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
                    help="instead: time epochs of each model on whole-genome networks with N random samples")
    ap.add_argument("--fg-models", nargs="+", default=["hard", "soft", "dense"],
                    help="--full-genome: models on the bundled network (hard, soft, dense, graphgonet)")
    ap.add_argument("--fg-debian", nargs="*", default=[], metavar="L0:MIN_GENES",
                    help="--full-genome: also networks from layers_from_debian(levels=L0..2, min_genes=MIN_GENES)")
    ap.add_argument("--fg-debian-models", nargs="+", default=["hard", "dense", "graphgonet"])
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


def _vm(key: str) -> float:
    """A /proc/self/status memory field in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _fg_child(spec, n, epochs, threads, q):
    """One timed fit in a fresh (spawned) process, so that its peak RSS is its own."""
    import resource

    import torch

    from pyomics_bridge.gonet import GOLayers, GONetClassifier, GraphGONet, load_bundled_layers

    layers = load_bundled_layers() if spec["layers"] == "bundled" else GOLayers.from_json(spec["layers"])
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, len(layers.genes))).astype(np.float32)
    y = rng.integers(0, 5, n)
    try:  # reset the peak-RSS mark: ru_maxrss survives the spawn's exec (it would start at the parent's peak)
        Path("/proc/self/clear_refs").write_text("5")
        hwm = True
    except OSError:
        hwm = False
    rss0 = _vm("VmHWM") if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    common = {"max_epochs": epochs, "batch_size": 512, "validation_fraction": 0, "n_threads": threads,
              "device": "cpu", "random_state": 0}
    if spec["model"] == "graphgonet":
        m = GraphGONet(layers, gene_inputs="propagated", patience=None, **common).fit(X, y)
    else:
        m = GONetClassifier(layers, mode=spec["model"], **common).fit(X, y)
    n_par = int(sum(p.numel() for p in m.module_.parameters()))
    q.put({**spec, "n_genes": len(layers.genes), "n_terms": int(sum(layers.sizes[1:])), "layer_sizes": layers.sizes,
           "n_go_edges": int(sum(len(e) for e in layers.edges)), "n_samples": n, "epochs": m.n_epochs_,
           "s_per_epoch": m.fit_seconds_ / m.n_epochs_, "samples_per_s": n * m.n_epochs_ / m.fit_seconds_,
           "n_parameters": n_par, "parameter_mb": n_par * 4 / 2**20, "rss_before_fit_mb": rss0,
           "peak_rss_mb": _vm("VmHWM") if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
           "peak_rss_source": "VmHWM after clear_refs" if hwm else "ru_maxrss (floored at the parent's peak)",
           "device": m.device_, "torch_threads": torch.get_num_threads(), "loadavg": list(os.getloadavg())})


def full_genome(args) -> None:
    """Throughput (samples/s per epoch), parameters and peak RSS of each model on whole-genome GO networks.

    Networks: the bundled layers (12,446 genes → levels 7 … 2) and, with ``--fg-debian L0:MIN_GENES``, the
    layers built from the Debian GO / org.Hs.eg.db SQLite with levels ``L0`` … 2 (``layers_from_debian``).
    Models: ``--fg-models`` (GONetClassifier modes ``hard`` / ``soft`` / ``dense``, and ``graphgonet``:
    GraphGONet with ``gene_inputs="propagated"``); each fit runs in a fresh process (peak RSS = its own).
    """
    import multiprocessing as mp
    import tempfile

    import torch

    nets = [("bundled", "bundled", args.fg_models)]
    tmp = tempfile.TemporaryDirectory()
    for spec in args.fg_debian:
        from pyomics_bridge.gonet import layers_from_debian

        l0, mg = (int(v) for v in spec.split(":"))
        t = time.perf_counter()
        L = layers_from_debian(levels=tuple(range(l0, 1, -1)), min_genes=mg)
        path = str(Path(tmp.name) / f"layers_{l0}_{mg}.json.gz")
        L.to_json(path)
        print(f"debian levels {l0}->2, min_genes {mg}: {L.sizes} built in {time.perf_counter() - t:.0f} s", flush=True)
        nets.append((f"debian_levels{l0}to2_min{mg}", path, args.fg_debian_models))
    ctx = mp.get_context("spawn")
    rows = []
    for name, path, models in nets:
        for model in models:
            q = ctx.Queue()
            p = ctx.Process(target=_fg_child, args=({"network": name, "layers": path, "model": model},
                                                     args.full_genome, args.epochs, args.threads, q))
            p.start()
            row = q.get()
            p.join()
            row["layers"] = "bundled" if path == "bundled" else "layers_from_debian"
            rows.append(row)
            print({k: (round(v, 3) if isinstance(v, float) else v) for k, v in row.items()}, flush=True)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": platform.platform(), "cpu": _device_name("cpu"), "cpus": os.cpu_count(),
                               "torch": torch.__version__, "args": vars(args), "rows": rows,
                               "loadavg_end": list(os.getloadavg())}, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
