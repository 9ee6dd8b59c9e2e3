"""Benchmark with known truth for the TFscope-like pipeline (issue 6 targets; spec regulatory.md sections 7-8).

Protocol (spec 8.2): for each seed, ``simulate_tf_binding(n_per_class=2000, length=1000)`` (2 x 2,000 sequences of
1 kb), 80/20 stratified split, co-factor motifs = the two planted stand-ins (``GATAx``, ``CEBPx``) + the 879
JASPAR2024 CORE vertebrate motifs (needs pyjaspar; ``POB_TRUTH_MOTIFS=sim`` uses the 30 simulated decoys instead)
+ 30 random decoys. ``pob.regulatory.tfscope`` runs with stacked families and the environment search fitted on
training rows only. Reported per seed: per-family, full and drop-one-family test AUCs; the oracle AUC (logistic
regression on the true planted indicators, same split); full / oracle; whether each family's top-ranked feature
(largest |coef| in the family model) is a planted one: core -> ``core[+13]G`` (+) or ``core[+13]A`` (-);
environment -> a GC-only k-mer (+) or AT-only k-mer (-) in a region overlapping [-300, -100); co-factors -> GATA
(+) or CEBP (-) (the stand-ins or a JASPAR motif of the same family, spec 8.2); for ``confounded`` (GC environment
only) the family that wins the drop-one-family ranking and the co-factor top 5.

Usage::

    python benchmarks/bench_regulatory_truth.py run calibrated 0 1 2   # seeds, merged into the JSON as they finish
    python benchmarks/bench_regulatory_truth.py summary                # recompute the per-scenario summaries
    python benchmarks/bench_regulatory_truth.py all                    # calibrated, null, confounded x POB_TRUTH_SEEDS

-> results/regulatory_truth.json (``POB_TRUTH_OUT`` to write elsewhere; ``POB_TRUTH_N`` sequences per class,
default 2000; ``POB_TRUTH_MOTIFS=jaspar|sim``). Several ``run`` processes may write at once (file lock); a run with
another protocol (size or motif set) starts the file afresh. ``markdown`` prints the per-seed tables of the docs.
Nothing is tuned on the test split: every choice is made by CV on the training rows. Options: stacked families,
environment search, 1-SE coefficients for interpretation and the CV-best penalty for the scores
(``predict_select="best"``), no stability refits (interpretation only; they do not change the AUCs).
"""

from __future__ import annotations

import fcntl
import json
import os
import platform
import re
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

import pyomics_bridge.regulatory as R

SEEDS = int(os.environ.get("POB_TRUTH_SEEDS", "5"))
N_PER_CLASS = int(os.environ.get("POB_TRUTH_N", "2000"))
MOTIFS = os.environ.get("POB_TRUTH_MOTIFS", "jaspar")
BACKGROUND = os.environ.get("POB_TRUTH_BACKGROUND", "peaks")  # "peaks": Markov chains fitted on real peaks
BACKGROUNDS = {"peaks": "Markov background fitted on real Oct4 + MafK peaks", "builtin": "built-in Markov background"}
OPTS = {"env_search": True, "stability": int(os.environ.get("POB_TRUTH_STABILITY", "0")), "combine": "stack",
        "predict_select": "best", "n_jobs": 1}
PATH = Path(os.environ.get("POB_TRUTH_OUT", Path(__file__).parent / "results" / "regulatory_truth.json"))
SCENARIOS = ("calibrated", "null", "confounded")  # "all"; "run" also takes strong, grammar, paralog
GATA = re.compile(r"\b(GATAx|GATA[1-6]|TRPS1)\b", re.I)
CEBP = re.compile(r"\b(CEBPx|CEBP[ABDEG])\b", re.I)


def oracle_auc(truth, kept, y, split) -> float:
    t = {k: np.asarray(v)[kept] for k, v in truth.items()}
    flank = t["flank"] * np.where(y == 1, 1, -1)  # the planted base: G (+1) in class A, A (-1) in class B
    cols = [flank, t["environment"], t["cofactor_A"], t["cofactor_B"]]
    cols += [t[k] for k in ("grammar", "paralog") if k in t]  # the grammar/paralog scenarios' determinants
    T = np.column_stack(cols).astype(float)
    tr, te = split == "train", split == "test"
    return float(roc_auc_score(y[te], LogisticRegression().fit(T[tr], y[tr]).decision_function(T[te])))


def ranked(var, family, model=None):
    model = model or family
    v = var[var["family"] == family]
    c = v[f"coef_{model}"]
    c = c[c != 0]
    return c.reindex(c.abs().sort_values(ascending=False).index)


def _env_ok(row, coef) -> bool:
    kmer = str(row["kmer"])
    overlap = row["region_start"] < -100 and row["region_end"] > -300
    return bool(overlap and ((set(kmer) <= set("CG") and coef > 0) or (set(kmer) <= set("AT") and coef < 0)))


def _cof_ok(motif, coef) -> bool:
    return bool((GATA.search(motif) and coef > 0) or (CEBP.search(motif) and coef < 0))


def planted_top(var) -> dict:
    out = {}
    c = ranked(var, "core")
    top = c.index[0] if c.size else None
    out["core"] = {"top": top, "ok": bool(top and ((top == "core[+13]G" and c.iloc[0] > 0)
                                                   or (top == "core[+13]A" and c.iloc[0] < 0)))}
    c = ranked(var, "environment")
    top = c.index[0] if c.size else None
    out["environment"] = {"top": top, "ok": bool(top and _env_ok(var.loc[top], c.iloc[0]))}
    c = ranked(var, "cofactor")
    top = c.index[0] if c.size else None
    out["cofactor"] = {"top": top, "ok": bool(top and _cof_ok(str(var.loc[top, "motif"]), c.iloc[0])),
                       "top5": [f"{k} ({v:+.2f})" for k, v in c.iloc[:5].items()],
                       "gata_and_cebp_in_top5": bool(
                           any(_cof_ok(str(var.loc[k, "motif"]), v) and GATA.search(str(var.loc[k, "motif"]))
                               for k, v in c.iloc[:5].items())
                           and any(_cof_ok(str(var.loc[k, "motif"]), v) and CEBP.search(str(var.loc[k, "motif"]))
                                   for k, v in c.iloc[:5].items()))}
    return out


def cofactor_motifs(sim) -> list:
    m = sim["motifs"]
    extra = list(m["decoys"])
    if MOTIFS == "jaspar":
        extra = list(R.jaspar_motifs()) + extra
    return list(m["cofactors"]) + extra


def run(scenario: str, seed: int) -> dict:
    sim = R.simulate_tf_binding(n_per_class=N_PER_CLASS, length=1000, scenario=scenario, background=BACKGROUND,
                                random_state=seed)
    motifs = cofactor_motifs(sim)
    t, c0 = time.perf_counter(), time.process_time()
    ad = R.tfscope(sim["codes"], sim["y"], sim["motifs"]["target"], motifs, random_state=seed, **OPTS)
    u = ad.uns["tfscope"]
    kept = u["kept"]
    y = ad.obs["label"].to_numpy()
    split = ad.obs["split"].to_numpy()
    res = {"seed": seed, "seconds": round(time.perf_counter() - t, 1),
           "cpu_seconds": round(time.process_time() - c0, 1), "loadavg": os.getloadavg(),
           "n_kept": int(kept.sum()), "n_test": int((split == "test").sum()), "n_cofactor_motifs": len(motifs),
           "test_auc": u["auc"]["test_auc"].round(4).to_dict(),
           "n_selected": u["auc"]["n_selected"].to_dict(),
           "C": {k: (None if np.isnan(v) else float(v)) for k, v in u["auc"]["C"].items()},
           "oracle_auc": round(oracle_auc(sim["truth"], kept, y, split), 4),
           "stack_weights": {k: round(v, 3) for k, v in (u["stacking"] or {}).get("full", {}).get("weights",
                                                                                                {}).items()}}
    res["full_over_oracle"] = round(res["test_auc"]["full"] / res["oracle_auc"], 4)
    drop = u["drop_family"]
    res["drop_family_delta_auc"] = drop["delta_auc"].round(4).to_dict()
    res["drop_family_winner"] = str(drop.index[0])
    if OPTS["stability"]:  # stability-selection frequencies (interpretation): the spec's null bound is < 0.5
        stab = ad.var[[c for c in ad.var if c.startswith("stability_")]]
        res["max_stability"] = stab.max().round(3).to_dict()
        res["n_stability_ge_0.5"] = (stab >= 0.5).sum().astype(int).to_dict()
        res["top_stability_full"] = stab["stability_full"].nlargest(5).round(3).to_dict()
    if scenario in ("calibrated", "strong", "confounded"):
        res["planted_top"] = planted_top(ad.var)
    if scenario == "confounded":
        c = ranked(ad.var, "cofactor")
        res["cofactor_top5"] = [f"{k} ({v:+.2f})" for k, v in c.iloc[:5].items()]
    return res


@contextmanager
def _locked():
    PATH.parent.mkdir(parents=True, exist_ok=True)
    lock = Path(tempfile.gettempdir()) / f"pob_{PATH.stem}.lock"  # not next to the results (kept out of git)
    with open(lock, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _header() -> dict:
    return {"machine": platform.platform(), "cpu_count": os.cpu_count(), "options": OPTS,
            "data": f"simulate_tf_binding(n_per_class={N_PER_CLASS}, length=1000), "
                    f"{BACKGROUNDS.get(BACKGROUND, BACKGROUND)}, "
                    f"80/20 split; co-factor motifs: planted stand-ins + "
                    f"{'879 JASPAR2024 CORE vertebrates + ' if MOTIFS == 'jaspar' else ''}30 decoys" + _stability_note()}


def _stability_note() -> str:
    return f"; stability selection with {OPTS['stability']} refits" if OPTS["stability"] else ""


def summarise(runs: list, scenario: str) -> dict:
    runs = sorted(runs, key=lambda r: r["seed"])
    summ = {"n_seeds": len(runs), "runs": runs}
    full = np.array([r["test_auc"]["full"] for r in runs])
    summ["mean_full_auc"] = round(float(full.mean()), 4)
    summ["mean_oracle_auc"] = round(float(np.mean([r["oracle_auc"] for r in runs])), 4)
    summ["mean_full_over_oracle"] = round(float(np.mean([r["full_over_oracle"] for r in runs])), 4)
    summ["min_full_over_oracle"] = round(float(np.min([r["full_over_oracle"] for r in runs])), 4)
    summ["seeds_full_ge_0.85_oracle"] = int(sum(r["full_over_oracle"] >= 0.85 for r in runs))
    summ["max_abs_auc_minus_half"] = {k: round(float(np.max([abs(r["test_auc"][k] - 0.5) for r in runs])), 4)
                                      for k in runs[0]["test_auc"]}
    if "planted_top" in runs[0]:
        summ["planted_top_seeds"] = {f: int(sum(r["planted_top"][f]["ok"] for r in runs))
                                     for f in ("core", "environment", "cofactor")}
    for r in runs:  # no winner when dropping any family costs nothing (e.g. every model guarded to 0.5)
        d = r["drop_family_delta_auc"]
        r["drop_family_winner"] = max(d, key=d.get) if max(d.values()) > 0 else "none"
    summ["drop_family_winner_seeds"] = {f: int(sum(r["drop_family_winner"] == f for r in runs))
                                        for f in ("core", "environment", "cofactor", "none")}
    for k in runs[0]["test_auc"]:
        vals = [r["test_auc"][k] for r in runs]
        summ.setdefault("mean_test_auc", {})[k] = round(float(np.mean(vals)), 4)
        summ.setdefault("min_test_auc", {})[k] = round(float(np.min(vals)), 4)
    summ["mean_seconds"] = round(float(np.mean([r["seconds"] for r in runs])), 1)
    return summ


def record(scenario: str, res: dict) -> None:
    with _locked():
        data = json.loads(PATH.read_text()) if PATH.exists() else {}
        if data.get("data") != _header()["data"]:
            data = {}  # another protocol: start afresh
        data.update(_header())
        runs = [r for r in data.get(scenario, {}).get("runs", []) if r["seed"] != res["seed"]] + [res]
        data[scenario] = summarise(runs, scenario)
        PATH.write_text(json.dumps(data, indent=2, default=str))


def markdown(data: dict) -> str:
    """Per-seed markdown tables of the JSON (for docs/regulatory.md)."""
    out = []
    fams = ("core", "environment", "cofactor")
    for scenario in (*SCENARIOS, "strong", "grammar", "paralog"):
        if scenario not in data:
            continue
        d = data[scenario]
        out.append(f"`{scenario}`:\n")
        head = ["seed", "core", "environment", "co-factors", "**full**", "drop core", "drop env.", "drop co-f.",
                "oracle", "full / oracle", "drop-family winner"]
        planted = "planted_top" in d["runs"][0]
        if planted:
            head.append("planted top (core / env. / co-f.)")
        out.append("| " + " | ".join(head) + " |")
        out.append("| " + " | ".join(["---"] * len(head)) + " |")
        for r in d["runs"] + [None]:
            a = d["mean_test_auc"] if r is None else r["test_auc"]
            row = ["mean" if r is None else str(r["seed"])] + [f"{a[f]:.3f}" for f in fams]
            row += [f"**{a['full']:.3f}**"] + [f"{a['drop_' + f]:.3f}" for f in fams]
            if r is None:
                row += [f"{d['mean_oracle_auc']:.3f}", f"**{d['mean_full_over_oracle']:.3f}**",
                        ", ".join(f"{f} {n}" for f, n in d["drop_family_winner_seeds"].items() if n)]
                if planted:
                    row.append(" / ".join(str(d["planted_top_seeds"][f]) for f in fams))
            else:
                row += [f"{r['oracle_auc']:.3f}", f"{r['full_over_oracle']:.3f}", r["drop_family_winner"]]
                if planted:
                    row.append(" / ".join("yes" if r["planted_top"][f]["ok"] else "no" for f in fams))
            out.append("| " + " | ".join(row) + " |")
        out.append("")
    return "\n".join(out)


def main(argv) -> None:
    cmd = argv[0] if argv else "all"
    if cmd == "markdown":
        print(markdown(json.loads(PATH.read_text())))
        return
    if cmd == "run":
        scenario, seeds = argv[1], [int(s) for s in argv[2:]] or list(range(SEEDS))
        for seed in seeds:
            res = run(scenario, seed)
            record(scenario, res)
            print(json.dumps({k: res[k] for k in ("seed", "seconds", "test_auc", "oracle_auc", "full_over_oracle")},
                             default=str), flush=True)
    elif cmd in ("all", *SCENARIOS):
        for scenario in SCENARIOS if cmd == "all" else (cmd,):
            main(["run", scenario])
    elif cmd == "summary":  # recompute the summaries from the stored runs
        with _locked():
            data = json.loads(PATH.read_text())
            for k, v in data.items():
                if isinstance(v, dict) and "runs" in v:
                    data[k] = summarise(v["runs"], k)
            PATH.write_text(json.dumps(data, indent=2, default=str))
    else:
        raise SystemExit(f"unknown command {cmd!r}: run SCENARIO SEED..., summary, all, or a scenario name")
    data = json.loads(PATH.read_text())
    print(json.dumps({k: {kk: vv for kk, vv in v.items() if kk != "runs"} if isinstance(v, dict) else v
                      for k, v in data.items()}, indent=1, default=str))


if __name__ == "__main__":
    main(sys.argv[1:])
