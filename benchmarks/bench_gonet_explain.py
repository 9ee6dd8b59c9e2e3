"""Per-sample explanation precision of GO networks vs post-hoc attributions of a dense MLP and of logistic
regression, on synthetic data where different samples are driven by different planted GO terms.

Data: ``simulate_go_phenotype(..., drivers="subgroup")`` on the bundled human GO-BP layers: each sample belongs to
one of ``n_planted`` subgroups; its subgroup's planted term is switched on and alone drives its label. For every
test sample, each explanation ranks the deepest-level GO terms and we score the rank of the sample's own planted
term (per-sample average precision, share in the top 3), and, among the planted terms only, whether its own term
comes first (chance: mean of 1/rank = (1 + 1/2 + ... + 1/k)/k).

Explanations:
- hard GO net (sparse GO mask, tanh, per-level heads or none): term-unit LRP-ε and gradient × activation, and gene
  integrated gradients aggregated to terms (mean |attr| over each term's genes);
- dense MLP of the same widths (early stopping on validation accuracy): gene integrated gradients and gradient ×
  input aggregated the same way;
- logistic regression (L2, C=0.1): coefficient × input aggregated the same way;
- GraphGONet (hard gene → node mask, DAG propagation, per-sample top-k node selection): its built-in explanation,
  selected node state × centred head weight (unselected nodes score exactly 0), for k = 10 deepest-level terms,
  the paper-like ratio = 0.05 of all nodes, and the no-selection control (ratio = 1);
- an expression-magnitude control: |mean of each term's genes| per sample, no model (how far the switched-on
  driver is visible without any phenotype information).

Paired comparisons (``paired`` in the JSON): per test sample, AP(GraphGONet) − AP(reference) pooled over seeds,
mean and a 95 % bootstrap CI (test samples resampled within each seed), the per-seed mean differences, and the
same for per-sample correctness (accuracy).

    python benchmarks/bench_gonet_explain.py            # 3 seeds, 3-6 min on 1 CPU thread
    python benchmarks/bench_gonet_explain.py --ablation # + GraphGONet design ablation (about 2x longer)
    python benchmarks/bench_gonet_explain.py --skip-existing-models --seeds 3 4 5 6 7 --out benchmarks/results/gonet_explain_seeds3to7.json
        # held-out seeds (likewise 8-12)
    python benchmarks/bench_gonet_explain.py --combine benchmarks/results/gonet_explain.json
        benchmarks/results/gonet_explain_seeds3to7.json benchmarks/results/gonet_explain_seeds8to12.json
        --out benchmarks/results/gonet_explain_seedlevel.json      # seed-level summary (one command line)
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
from sklearn.model_selection import train_test_split

from pyomics_bridge.gonet import (
    GONetClassifier,
    GraphGONet,
    aggregate_to_terms,
    gene_attribution,
    linear_gene_attribution,
    load_bundled_layers,
    logistic_baseline,
    per_sample_term_precision,
    simulate_go_phenotype,
)

GRAPHGONETS = [("graphgonet_k10_deepest", {"k": 10, "select_from": "deepest"}),
               ("graphgonet_ratio0.05", {"ratio": 0.05}),
               ("graphgonet_noselect", {"ratio": 1.0}),
               ("graphgonet_k10_deepest_wd0.05", {"k": 10, "select_from": "deepest", "weight_decay": 0.05})]
# one change at a time from graphgonet_k10_deepest (--ablation)
ABLATION = [("graphgonet_paper_settings", {"ratio": 0.05, "init": "random", "lr": 1e-3, "weight_decay": 0.0}),
            ("graphgonet_k10_deepest_random_init", {"k": 10, "select_from": "deepest", "init": "random"}),
            ("graphgonet_k10_deepest_no_weight_decay", {"k": 10, "select_from": "deepest", "weight_decay": 0.0}),
            ("graphgonet_k3_deepest", {"k": 3, "select_from": "deepest"}),
            ("graphgonet_k10_all", {"k": 10}),
            ("graphgonet_k10_deepest_straight_through", {"k": 10, "select_from": "deepest",
                                                         "selection_grad": "straight_through"}),
            ("graphgonet_k10_deepest_aux0.5", {"k": 10, "select_from": "deepest", "aux_weight": 0.5}),
            ("graphgonet_k10_deepest_head_l1", {"k": 10, "select_from": "deepest", "head_l1": 1e-3}),
            ("graphgonet_k10_deepest_propagated", {"k": 10, "select_from": "deepest", "gene_inputs": "propagated"})]
REFERENCES = [("dense_mlp", "gene_integrated_gradients_mean_abs"), ("logistic_l2", "gene_coef_x_input_mean_abs")]


def _paired(per_sample, seeds, n_boot, graphgonets, random_state=0):
    """Per-sample paired differences GraphGONet − reference (AP and correctness), pooled over seeds, with a
    bootstrap CI that resamples test samples within each seed."""
    rng = np.random.default_rng(random_state)
    out = {}
    for name, _ in graphgonets:
        for ref in REFERENCES:
            res = {}
            for c, pos in (("ap", 0), ("correct", 1)):
                diffs = [per_sample[(s, name, "selected_state_x_head")][pos].astype(float)
                         - per_sample[(s, *ref)][pos].astype(float) for s in seeds]
                n = sum(len(d) for d in diffs)
                boots = np.zeros(n_boot)
                for d in diffs:
                    boots += d[rng.integers(0, len(d), size=(n_boot, len(d)))].sum(1)
                boots /= n
                res[c] = {"mean": float(np.concatenate(diffs).mean()),
                          "ci95": [float(q) for q in np.quantile(boots, [0.025, 0.975])],
                          "per_seed": [float(d.mean()) for d in diffs], "n": int(n)}
            out[f"{name} - {ref[0]} / {ref[1]}"] = res
    return out


def combine(paths, out, n_boot=10000, random_state=0):
    """Seed-level view over several result files (e.g. design seeds 0-2, held-out seeds 3-7 and 8-12): per
    comparison, the per-seed mean AP / accuracy differences, how many are positive, their mean and a bootstrap
    CI over seeds (the sample-level CIs in ``paired`` ignore the between-seed variance of training and data)."""
    rng = np.random.default_rng(random_state)
    runs = [json.loads(Path(p).read_text()) for p in paths]
    res = {}
    for key in sorted(set.intersection(*(set(r["paired"]) for r in runs))):
        res[key] = {}
        for c in ("ap", "correct"):
            d = np.concatenate([r["paired"][key][c]["per_seed"] for r in runs])
            boots = d[rng.integers(0, len(d), size=(n_boot, len(d)))].mean(1)
            res[key][c] = {"per_seed": d.tolist(), "n_seeds": len(d), "n_positive": int((d > 0).sum()),
                           "mean": float(d.mean()), "ci95_over_seeds": np.quantile(boots, [0.025, 0.975]).tolist()}
        print(key, {c: (round(v["mean"], 3), v["n_positive"], v["n_seeds"], np.round(v["ci95_over_seeds"], 3).tolist())
                    for c, v in res[key].items()})
    Path(out).write_text(json.dumps({"files": [str(p) for p in paths], "seeds": [r["args"]["seeds"] for r in runs],
                                     "seed_level": res}, indent=1))
    print(f"wrote {out}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--samples", type=int, default=800)
    ap.add_argument("--terms", type=int, default=60)
    ap.add_argument("--planted", type=int, default=3)
    ap.add_argument("--driver-scale", type=float, default=3.0)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--ig-steps", type=int, default=16)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--ablation", action="store_true", help="also the GraphGONet design ablation rows")
    ap.add_argument("--n-boot", type=int, default=2000)
    ap.add_argument("--skip-existing-models", action="store_true",
                    help="only GraphGONet rows and the references of the paired comparisons")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "gonet_explain.json"))
    ap.add_argument("--combine", nargs="+", metavar="JSON",
                    help="only combine finished result files into a seed-level summary written to --out")
    args = ap.parse_args()
    if args.combine:
        combine(args.combine, args.out)
        return
    import torch

    graphgonets = GRAPHGONETS + (ABLATION if args.ablation else [])
    layers = load_bundled_layers()
    rows, per_sample = [], {}
    t_start = time.perf_counter()
    for seed in args.seeds:
        sim = simulate_go_phenotype(layers, n_samples=args.samples, n_terms=args.terms, n_planted=args.planted,
                                    drivers="subgroup", driver_scale=args.driver_scale, random_state=seed)
        L = sim.layers
        tr, te = train_test_split(np.arange(args.samples), test_size=1 / 3, stratify=sim.y, random_state=seed)
        truth = [sim.sample_truth[i] for i in te]
        Xte, yte = sim.X[te], sim.y[te]
        print(f"seed {seed}: layers {L.sizes}, planted {sim.planted}", flush=True)

        def record(model, acc, method, S, fit_s, L=L, truth=truth, sim=sim, seed=seed, correct=None):
            a = per_sample_term_precision(S, truth, terms=L.terms[0])
            per_sample[(seed, model, method)] = (a["average_precision"].to_numpy(), correct)
            b = per_sample_term_precision(S, truth, terms=L.terms[0], candidates=sim.planted)
            row = {"seed": seed, "model": model, "explanation": method, "accuracy": acc,
                   "ap_all_terms": float(a["average_precision"].mean()),
                   "top3_all_terms": float((a["best_rank"] <= 3).mean()),
                   "median_rank": float(a["best_rank"].median()),
                   "own_first_among_planted": float((b["best_rank"] == 1).mean()),
                   "ap_among_planted": float(b["average_precision"].mean()), "fit_s": fit_s}
            rows.append(row)
            print({k: (round(v, 3) if isinstance(v, float) else v) for k, v in row.items()}, flush=True)

        nets = [("gonet_hard", {"mode": "hard", "lr": 3e-3, "patience": 20}),
                ("gonet_hard_noaux", {"mode": "hard", "lr": 3e-3, "patience": 20, "aux_heads": False}),
                ("dense_mlp", {"mode": "dense", "monitor": "accuracy"})]
        if args.skip_existing_models:
            nets = nets[-1:]
        for name, kw in nets:
            t = time.perf_counter()
            m = GONetClassifier(L, max_epochs=args.epochs, n_threads=args.threads, random_state=seed, **kw)
            m.fit(sim.X[tr], sim.y[tr])
            fit_s = time.perf_counter() - t
            acc = m.score(Xte, yte)
            correct = m.predict(Xte) == yte
            if kw["mode"] == "hard":
                for meth in ("lrp", "gradxact"):
                    record(name, acc, f"term_{meth}", m.relevance(Xte, method=meth, target=yte)[0], fit_s,
                           correct=correct)
            for meth in ("integrated_gradients", "gradxinput"):
                if kw["mode"] == "hard" and meth == "gradxinput":
                    continue
                G = gene_attribution(m, Xte, method=meth, target=yte, n_steps=args.ig_steps)
                record(name, acc, f"gene_{meth}_mean_abs", aggregate_to_terms(G, L), fit_s, correct=correct)
        t = time.perf_counter()
        lr = logistic_baseline(random_state=seed).fit(sim.X[tr], sim.y[tr])
        fit_s = time.perf_counter() - t
        record("logistic_l2", float(lr.score(Xte, yte)), "gene_coef_x_input_mean_abs",
               aggregate_to_terms(linear_gene_attribution(lr, Xte, target=yte), L), fit_s,
               correct=lr.predict(Xte) == yte)
        for name, kw in graphgonets:
            t = time.perf_counter()
            m = GraphGONet(L, max_epochs=args.epochs, n_threads=args.threads, random_state=seed, **kw)
            m.fit(sim.X[tr], sim.y[tr])
            fit_s = time.perf_counter() - t
            R = m.term_relevance(Xte, yte)[L.terms[0]]
            record(name, m.score(Xte, yte), "selected_state_x_head", R, fit_s, correct=m.predict(Xte) == yte)
        record("no_model", float("nan"), "term_mean_expression_abs", aggregate_to_terms(Xte, L, how="mean"), 0.0)
    paired = _paired(per_sample, args.seeds, args.n_boot, graphgonets)
    for key, v in paired.items():
        print(key, {c: (round(v[c]["mean"], 3), [round(q, 3) for q in v[c]["ci95"]]) for c in ("ap", "correct")})
    df = pd.DataFrame(rows)
    metrics = ["accuracy", "ap_all_terms", "top3_all_terms", "own_first_among_planted", "ap_among_planted"]
    g = df.groupby(["model", "explanation"], sort=False)[metrics]
    summary = g.mean().round(3).astype(str) + " ± " + g.std().round(3).astype(str)
    print(summary.to_string())
    k = args.planted
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "machine": platform.platform(), "cpu_threads": args.threads, "loadavg_end": os.getloadavg(),
        "torch": torch.__version__, "total_s": time.perf_counter() - t_start, "args": vars(args),
        "chance": {"own_first_among_planted": 1 / k, "ap_among_planted": float(np.mean(1 / np.arange(1, k + 1)))},
        "summary": {f"{m} / {e}": {c: {"mean": float(g.mean().loc[(m, e), c]), "sd": float(g.std().loc[(m, e), c])}
                                   for c in metrics} for m, e in g.mean().index},
        "paired": paired, "rows": rows,
    }, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
