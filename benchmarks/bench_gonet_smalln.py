"""Small-n learning curves from scratch (no transfer): does the GO structure, used as a prior, win anywhere?

Synthetic data on the real GO DAG (``simulate_go_phenotype``: the genes under ``--terms`` random level-7 GO-BP
terms, 3 planted terms, linear task). Regimes: ``default`` (the spec's generator, ``noise_sd = 0.5``) and
``lowsnr`` (``noise_sd = --lowsnr-noise``: weak genes, informative terms: the gene-set regime). For every
regime, size n and stratified subsample of the pool (the same subsample for every model), fitted on the
subsample alone and scored on the same held-out test set:

- ``go_prior``: the GO net (``term_penalty = --lam``, ``lr = --lr-prior``; both picked in small pilots
  on *another* simulated data set, seed 7) with the structure prior: first GO layer initialised per term with the first principal
  component of the term's genes (from the subsample, unsupervised), linear and frozen; tanh levels above;
  term-level group lasso (``term_penalty``) on the weights leaving each term;
- ``go_hard``: the previous default GO net (mask-aware random init, tanh, trained end to end);
- ``dense``: an MLP of the same widths (terms scored post hoc: gene gradient × input averaged per term);
- ``logistic_l2`` (C = 0.1), ``logistic_l1`` (C chosen by 3-fold CV), ``random_forest`` (``--trees`` trees);
- controls with GO features but no deep net: ``term_logistic`` (term means → L2 logistic, C = 0.1) and
  ``term_l1`` (term means → L1 logistic, C by 3-fold CV).

Per (regime, n): accuracy, AUROC, planted-term AP (level 7; nets: mean |gradient × activation| over
``--explain`` test samples; linear models: mean |coef| per term; forest: mean importance per term), top-10
Jaccard stability across subsamples (ties broken at random, so that the many exact zeros of sparse models are not
counted as stable), bootstrap 95 % intervals and paired differences ``go_prior − baseline`` on the same
subsamples. A *win* on an axis at n: the CI of the paired difference is above 0 against every non-GO baseline
(dense, logistic_l2, logistic_l1, random_forest).

Writes ``benchmarks/results/gonet_smalln.json`` (partial results after every (regime, n)) and
``docs/figures/gonet_smalln.png``. Usage: ``python benchmarks/bench_gonet_smalln.py [--jobs 2]``.

More data sets: run with ``--seed S --sizes 20 50 --models go_prior dense logistic_l2 logistic_l1 random_forest
--out /tmp/seedS.json --figure /tmp/seedS.png`` for S = 1, 2, …, then ``--seeds-summary
benchmarks/results/gonet_smalln.json /tmp/seed1.json … --out benchmarks/results/gonet_smalln_seeds.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from functools import partial
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
MODELS = ("go_prior", "go_hard", "dense", "logistic_l2", "logistic_l1", "random_forest", "term_logistic", "term_l1")
NON_GO = ("dense", "logistic_l2", "logistic_l1", "random_forest")
AXES = ("accuracy", "auroc", "planted_ap")


def _fit_score(name, Xa, ya, Xte, yte, layers, A, planted_mask, ctx, seed):
    from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
    from sklearn.metrics import average_precision_score, roc_auc_score

    from pyomics_bridge.gonet import GONetClassifier, baseline_term_scores, random_forest_baseline
    from pyomics_bridge.gonet._explain import term_relevance

    t0 = time.perf_counter()
    n = len(Xa)
    epochs = int(np.ceil(ctx["steps"] / np.ceil(n / 128)))
    net = {"max_epochs": epochs, "batch_size": 128, "validation_fraction": 0.0, "n_threads": 1, "device": "cpu",
           "random_state": seed}
    extra = {}
    if name in ("go_prior", "go_hard", "dense"):
        if name == "go_prior":
            m = GONetClassifier(layers, init="pca", first_activation="identity", freeze_first=True,
                                term_penalty=ctx["lam"], lr=ctx["lr_prior"], **net)
        elif name == "go_hard":
            m = GONetClassifier(layers, lr=3e-3, **net)
        else:
            m = GONetClassifier(layers, mode="dense", lr=1e-3, **net)
        m.fit(Xa, ya)
        proba = m.predict_proba(Xte)[:, 1]
        s = np.abs(term_relevance(m, Xte[:ctx["explain"]], method="gradxact")[0]).mean(0)
        if name == "go_prior":
            extra["n_active_terms"] = len(m.active_terms_)
    else:
        Z, Zte = (np.asarray(Xa @ A), np.asarray(Xte @ A)) if name.startswith("term_") else (Xa, Xte)
        if name in ("logistic_l2", "term_logistic"):
            est = LogisticRegression(C=0.1, max_iter=2000)
        elif name in ("logistic_l1", "term_l1"):
            est = LogisticRegressionCV(Cs=[0.1, 0.3, 1.0, 3.0, 10.0], cv=3, penalty="l1", solver="liblinear",
                                       scoring="neg_log_loss", max_iter=2000)
        else:
            est = random_forest_baseline(n_estimators=ctx["trees"], n_jobs=1, random_state=seed)
        est.fit(Z, ya)
        proba = est.predict_proba(Zte)[:, 1]
        if name.startswith("term_"):
            s = np.abs(est.coef_).max(axis=0)
        else:
            s = baseline_term_scores(est, layers)[0]
    pred = (proba > 0.5).astype(int)
    return {"model": name, "accuracy": float(np.mean(pred == yte)), "auroc": float(roc_auc_score(yte, proba)),
            "planted_ap": float(average_precision_score(planted_mask, s)), "fit_s": time.perf_counter() - t0,
            **extra}, np.asarray(s, dtype=float)


def _task(rep, rng, *, X, y, Xte, yte, layers, A, planted_mask, size, ctx):
    from pyomics_bridge.gonet._transfer import _subsample

    idx = _subsample(y, size, rng)
    rows, scores = [], {}
    for name in ctx["models"]:
        seed = int(rng.integers(2**31))
        row, s = _fit_score(name, X[idx], y[idx], Xte, yte, layers, A, planted_mask, ctx, seed)
        rows.append({"size": size, "subsample": rep, **row})
        scores[name] = s
    return rows, scores


def _boot(v, rng, n_boot=2000):
    v = np.asarray(v, float)
    m = v[rng.integers(0, len(v), size=(n_boot, len(v)))].mean(1)
    return [float(x) for x in np.quantile(m, [0.025, 0.975])]


def _jaccard_pairs(S, k, rng):
    """Pairwise top-k Jaccard over runs (rows); ties broken at random (the same jitter for every model)."""
    S = np.abs(S) + rng.random(S.shape) * 1e-12 * (np.abs(S).max() + 1e-300)
    top = [set(np.argsort(-r)[:k].tolist()) for r in S]
    n = len(S)
    J = np.full((n, n), np.nan)
    for i, j in combinations(range(n), 2):
        J[i, j] = J[j, i] = len(top[i] & top[j]) / len(top[i] | top[j])
    return J


def _stability_diff(Ja, Jb, rng, n_boot=2000):
    """Bootstrap over runs of the difference in mean pairwise Jaccard (pairs of distinct runs only)."""
    n = len(Ja)
    out = []
    for _ in range(n_boot):
        r = rng.integers(0, n, size=n)
        ii, jj = np.meshgrid(r, r, indexing="ij")
        ok = ii != jj
        out.append(np.nanmean(Ja[ii[ok], jj[ok]]) - np.nanmean(Jb[ii[ok], jj[ok]]))
    return [float(x) for x in np.quantile(out, [0.025, 0.975])]


def summarise(scores: pd.DataFrame, term_scores: dict, models, rng, k=10):
    summ, contr = [], []
    for (reg, size), g in scores.groupby(["regime", "size"], sort=False):
        J = {m: _jaccard_pairs(np.vstack(term_scores[(reg, size, m)]), k, np.random.default_rng(size)) for m in models}
        for m in models:
            gm = g[g["model"] == m].sort_values("subsample")
            row = {"regime": reg, "size": int(size), "model": m, "fit_s": float(gm["fit_s"].mean())}
            for ax in AXES:
                row[ax] = float(gm[ax].mean())
                row[ax + "_ci"] = _boot(gm[ax].to_numpy(), rng)
            row["jaccard_top10"] = float(np.nanmean(J[m]))
            if "n_active_terms" in gm:
                row["n_active_terms"] = float(gm["n_active_terms"].mean())
            summ.append(row)
        ref = g[g["model"] == "go_prior"].sort_values("subsample")
        for m in models:
            if m == "go_prior":
                continue
            gm = g[g["model"] == m].sort_values("subsample")
            c = {"regime": reg, "size": int(size), "vs": m}
            for ax in AXES:
                d = ref[ax].to_numpy() - gm[ax].to_numpy()
                c[ax] = float(d.mean())
                c[ax + "_ci"] = _boot(d, rng)
                c[ax + "_wins"] = int((d > 0).sum())
            c["jaccard_top10"] = float(np.nanmean(J["go_prior"]) - np.nanmean(J[m]))
            c["jaccard_top10_ci"] = _stability_diff(J["go_prior"], J[m], rng)
            contr.append(c)
    return summ, contr


def wins(contr, models):
    out = []
    cdf = pd.DataFrame(contr)
    for (reg, size), g in cdf.groupby(["regime", "size"], sort=False):
        for ax in (*AXES, "jaccard_top10"):
            low = {r["vs"]: r[ax + "_ci"][0] for _, r in g.iterrows()}
            out.append({"regime": reg, "size": int(size), "axis": ax,
                        "wins_vs_all_non_go": bool(all(low[m] > 0 for m in NON_GO if m in low)),
                        "ci_low": {m: round(v, 4) for m, v in low.items()}})
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--terms", type=int, default=60)
    ap.add_argument("--pool", type=int, default=600)
    ap.add_argument("--test", type=int, default=1000)
    ap.add_argument("--sizes", type=int, nargs="+", default=[20, 50, 100, 200])
    ap.add_argument("--subsamples", type=int, default=10)
    ap.add_argument("--steps", type=int, default=150)
    ap.add_argument("--lam", type=float, default=0.01, help="term_penalty of go_prior")
    ap.add_argument("--lr-prior", type=float, default=1e-2, help="learning rate of go_prior")
    ap.add_argument("--trees", type=int, default=200)
    ap.add_argument("--explain", type=int, default=200)
    ap.add_argument("--regimes", nargs="+", default=["default", "lowsnr"])
    ap.add_argument("--lowsnr-noise", type=float, default=1.5)
    ap.add_argument("--models", nargs="+", default=list(MODELS))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "gonet_smalln.json"))
    ap.add_argument("--figure", default=str(ROOT / "docs" / "figures" / "gonet_smalln.png"))
    ap.add_argument("--figure-only", action="store_true")
    ap.add_argument("--seeds-summary", nargs="+", metavar="JSON",
                    help="instead: pool result files of several data seeds (--seed) into --out, with paired "
                         "differences per seed and intervals over data seeds")
    args = ap.parse_args()
    if args.seeds_summary:
        return seeds_summary([Path(f) for f in args.seeds_summary], Path(args.out), sizes=args.sizes)
    if args.figure_only:
        return figure(json.loads(Path(args.out).read_text()), Path(args.figure))

    import torch

    from pyomics_bridge._parallel import parallel_map
    from pyomics_bridge.gonet import load_bundled_layers, simulate_go_phenotype
    from pyomics_bridge.gonet._transfer import _term_matrix

    t_all = time.perf_counter()
    res = {"machine": platform.platform(), "torch": torch.__version__, "device": "cpu", "cpus": os.cpu_count(),
           "loadavg_start": list(os.getloadavg()), "args": vars(args), "regimes": {}}
    bundled = load_bundled_layers()
    ctx = {"steps": args.steps, "lam": args.lam, "lr_prior": args.lr_prior, "trees": args.trees, "explain": args.explain, "models": args.models}
    rows, term_scores = [], {}
    boot_rng = np.random.default_rng(args.seed + 1)
    data = {}
    for reg in args.regimes:
        noise = 0.5 if reg == "default" else args.lowsnr_noise
        sim = simulate_go_phenotype(bundled, n_samples=args.pool + args.test, n_terms=args.terms, noise_sd=noise,
                                    random_state=args.seed)
        L = sim.layers
        data[reg] = (L, sim.X[:args.pool], sim.y[:args.pool], sim.X[args.pool:], sim.y[args.pool:], _term_matrix(L),
                     np.isin(L.terms[0], sim.planted))
        res["regimes"][reg] = {"noise_sd": noise, "layers": L.sizes, "planted": sim.planted,
                               "test_class1": float(sim.y[args.pool:].mean())}
    for size in args.sizes:  # both regimes at each size before the next size: partial results stay balanced
        for ri, reg in enumerate(args.regimes):
            L, X, y, Xte, yte, A, pm = data[reg]
            t0 = time.perf_counter()
            out = parallel_map(partial(_task, X=X, y=y, Xte=Xte, yte=yte, layers=L, A=A, planted_mask=pm, size=size,
                                       ctx=ctx), list(range(args.subsamples)), n_jobs=args.jobs,
                               random_state=np.random.SeedSequence(args.seed, spawn_key=(ri, size)), progress=False)
            for r_rows, sc in out:
                rows += [{"regime": reg, **r} for r in r_rows]
                for m, s in sc.items():
                    term_scores.setdefault((reg, size, m), []).append(s)
            scores = pd.DataFrame(rows)
            summ, contr = summarise(scores, term_scores, args.models, boot_rng)
            res.update(scores=scores.to_dict("records"), summary=summ, contrasts=contr,
                       wins=wins(contr, args.models) if "go_prior" in args.models else [],
                       loadavg_now=list(os.getloadavg()), elapsed_s=time.perf_counter() - t_all)
            Path(args.out).write_text(json.dumps(res, indent=1))
            print(f"{reg} n={size}: {time.perf_counter() - t0:.0f} s, load {os.getloadavg()[0]:.1f}", flush=True)
            print(pd.DataFrame(summ).query("regime == @reg and size == @size")[
                ["model", "accuracy", "auroc", "planted_ap", "jaccard_top10"]].round(3).to_string(index=False),
                flush=True)
    res["loadavg_end"] = list(os.getloadavg())
    res["total_s"] = time.perf_counter() - t_all
    Path(args.out).write_text(json.dumps(res, indent=1))
    figure(res, Path(args.figure))


def seeds_summary(files, out: Path, sizes=None, n_boot=4000) -> None:
    """Paired differences ``go_prior − baseline`` (non-GO baselines) per data seed and over data seeds.

    Per seed: the mean over subsamples and its bootstrap 95 % interval (from each file's ``contrasts``). Over
    seeds: the mean of the per-seed means with a t interval over seeds (df = seeds − 1) and a two-level bootstrap
    (data seeds, then subsamples within each drawn seed).
    """
    from scipy import stats

    runs = [json.loads(f.read_text()) for f in files]
    per_seed, pooled = [], []
    for f, r in zip(files, runs, strict=True):
        sc = pd.DataFrame(r["scores"])
        for c in r["contrasts"]:
            if c["vs"] not in NON_GO or (sizes and c["size"] not in sizes):
                continue
            for ax in AXES:
                per_seed.append({"data_seed": r["args"]["seed"], "regime": c["regime"], "size": c["size"],
                                 "vs": c["vs"], "axis": ax, "diff": c[ax], "ci": c[ax + "_ci"],
                                 "wins": c[ax + "_wins"], "n_subsamples": int(r["args"]["subsamples"]),
                                 "planted": r["regimes"][c["regime"]]["planted"], "file": f.name})
        sc["data_seed"] = r["args"]["seed"]
        pooled.append(sc[sc["size"].isin(sizes)] if sizes else sc)
    sc = pd.concat(pooled)
    ps = pd.DataFrame(per_seed)
    rng = np.random.default_rng(0)
    over = []
    for (reg, size, vs, ax), g in ps.groupby(["regime", "size", "vs", "axis"], sort=False):
        m = g["diff"].to_numpy()
        k = len(m)
        half = stats.t.ppf(0.975, k - 1) * m.std(ddof=1) / np.sqrt(k) if k > 1 else np.nan
        d = {}  # per seed: paired differences over its subsamples
        for seed in g["data_seed"]:
            s = sc[(sc["data_seed"] == seed) & (sc["regime"] == reg) & (sc["size"] == size)]
            a = s[s["model"] == "go_prior"].sort_values("subsample")[ax].to_numpy()
            b = s[s["model"] == vs].sort_values("subsample")[ax].to_numpy()
            d[seed] = a - b
        seeds = list(d)
        boots = []
        for _ in range(n_boot):
            pick = rng.integers(0, len(seeds), len(seeds))
            boots.append(np.mean([d[seeds[i]][rng.integers(0, len(d[seeds[i]]), len(d[seeds[i]]))].mean()
                                  for i in pick]))
        over.append({"regime": reg, "size": int(size), "vs": vs, "axis": ax, "n_data_seeds": k,
                     "data_seeds": [int(x) for x in g["data_seed"]], "mean_diff": float(m.mean()),
                     "t_ci_over_seeds": [float(m.mean() - half), float(m.mean() + half)],
                     "boot2_ci": [float(x) for x in np.quantile(boots, [0.025, 0.975])],
                     "seeds_with_ci_above_0": int(sum(c[0] > 0 for c in g["ci"])),
                     "min_seed_diff": float(m.min())})
    wins_ = []
    od = pd.DataFrame(over)
    for (reg, size, ax), g in od.groupby(["regime", "size", "axis"], sort=False):
        wins_.append({"regime": reg, "size": int(size), "axis": ax,
                      "t_ci_above_0_vs_all_non_go": bool((g["t_ci_over_seeds"].str[0] > 0).all()),
                      "boot2_ci_above_0_vs_all_non_go": bool((g["boot2_ci"].str[0] > 0).all()),
                      "every_seed_wins_vs_all_non_go": bool(
                          ps[(ps.regime == reg) & (ps["size"] == size) & (ps.axis == ax)]["ci"].str[0].gt(0).all())})
    summ = (sc.groupby(["data_seed", "regime", "size", "model"])[list(AXES)].mean().reset_index()
            .to_dict("records"))
    out.write_text(json.dumps({
        "description": "go_prior minus each non-GO baseline, paired on the same subsamples, per simulated data set "
                       "(data_seed: other planted/selected terms) and over data sets; everything else as in "
                       "gonet_smalln.json (tuned lam/lr_prior unchanged)",
        "files": [f.name for f in files], "args": [r["args"] for r in runs],
        "loadavg": [r.get("loadavg_end", r.get("loadavg_now")) for r in runs],
        "elapsed_s": [r.get("total_s", r.get("elapsed_s")) for r in runs],
        "per_seed": per_seed, "over_seeds": over, "wins": wins_, "summary": summ}, indent=1))
    print(pd.DataFrame(wins_).to_string(index=False))
    print(f"wrote {out}")


def figure(res, path: Path) -> None:
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    summ = pd.DataFrame(res["summary"])
    regimes = list(dict.fromkeys(summ["regime"]))
    axes_ = ("accuracy", "planted_ap", "jaccard_top10")
    fig, axs = plt.subplots(len(regimes), 3, figsize=(13, 3.6 * len(regimes)), squeeze=False)
    style = {"go_prior": ("C3", "-", 2.4), "go_hard": ("C3", ":", 1.4), "dense": ("C0", "-", 1.4),
             "logistic_l2": ("C2", "-", 1.4), "logistic_l1": ("C2", "--", 1.4), "random_forest": ("C4", "-", 1.4),
             "term_logistic": ("C7", "-", 1.2), "term_l1": ("C7", "--", 1.2)}
    for i, reg in enumerate(regimes):
        for j, ax_name in enumerate(axes_):
            ax = axs[i, j]
            for m, g in summ[summ["regime"] == reg].groupby("model", sort=False):
                c, ls, lw = style.get(m, ("k", "-", 1))
                g = g.sort_values("size")
                ax.plot(g["size"], g[ax_name], ls, color=c, lw=lw, marker="o", ms=3, label=m)
                if ax_name + "_ci" in g:
                    ci = np.vstack(g[ax_name + "_ci"].to_numpy())
                    ax.fill_between(g["size"], ci[:, 0], ci[:, 1], color=c, alpha=0.08)
            ax.set_xscale("log")
            ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
            ax.set_xticks(sorted(summ["size"].unique()))
            ax.set_xticklabels(sorted(summ["size"].unique()))
            ax.set_title(f"{reg}: {ax_name}")
            ax.set_xlabel("training samples")
    axs[0, -1].legend(fontsize=7, loc="best")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
