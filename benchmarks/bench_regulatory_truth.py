"""Benchmark with known truth for the TFscope-like pipeline (issue 6 targets), 5 seeds.

For each seed of the synthetic ``calibrated`` scenario (2 x 400 x 1 kb) and of the ``null`` control, run
``pob.regulatory.tfscope`` (stacked families, environment search fitted on training rows only, no stability refits)
and report: per-family, full and drop-one-family test AUCs; the oracle AUC (logistic regression on the true planted
indicators, same split); full / oracle; whether each family's top-ranked feature (largest |coef| in the family
model) is the planted one: core -> ``core[+13]G`` (+) or ``core[+13]A`` (-); environment -> a GC-only k-mer (+)
or AT-only k-mer (-) in a region overlapping [-300, -100); co-factors -> ``GATAx`` (+) or ``CEBPx`` (-).

Usage: ``python benchmarks/bench_regulatory_truth.py [calibrated|null|all]`` -> results/regulatory_truth.json
(``POB_TRUTH_SEEDS`` = number of seeds, default 5). Nothing here is tuned on the test split: every choice is made
by CV on the training rows.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

import pyomics_bridge.regulatory as R

SEEDS = int(os.environ.get("POB_TRUTH_SEEDS", "5"))
OPTS = {"env_search": True, "stability": 0, "combine": "stack", "n_jobs": 1}


def oracle_auc(truth, kept, y, split) -> float:
    t = {k: np.asarray(v)[kept] for k, v in truth.items()}
    flank = t["flank"] * np.where(y == 1, 1, -1)  # the planted base: G (+1) in class A, A (-1) in class B
    T = np.column_stack([flank, t["environment"], t["cofactor_A"], t["cofactor_B"]]).astype(float)
    tr, te = split == "train", split == "test"
    return float(roc_auc_score(y[te], LogisticRegression().fit(T[tr], y[tr]).decision_function(T[te])))


def top_feature(var, family):
    v = var[var["family"] == family]
    c = v[f"coef_{family}"]
    if not (c != 0).any():
        return None
    name = c.abs().idxmax()
    return name, v.loc[name], float(c[name])


def planted_top(var) -> dict:
    out = {}
    t = top_feature(var, "core")
    out["core"] = {"top": t and t[0], "ok": bool(t and ((t[0] == "core[+13]G" and t[2] > 0)
                                                         or (t[0] == "core[+13]A" and t[2] < 0)))}
    t = top_feature(var, "environment")
    ok = False
    if t:
        row, kmer = t[1], str(t[1]["kmer"])
        overlap = row["region_start"] < -100 and row["region_end"] > -300
        ok = overlap and ((set(kmer) <= set("CG") and t[2] > 0) or (set(kmer) <= set("AT") and t[2] < 0))
    out["environment"] = {"top": t and t[0], "ok": bool(ok)}
    t = top_feature(var, "cofactor")
    motif = str(t[1]["motif"]) if t else ""
    ok = bool(t and (("GATAx" in motif and t[2] > 0) or ("CEBPx" in motif and t[2] < 0)))
    out["cofactor"] = {"top": t and t[0], "ok": ok}
    return out


def run(scenario: str, seed: int) -> dict:
    sim = R.simulate_tf_binding(n_per_class=400, length=1000, scenario=scenario, random_state=seed)
    m = sim["motifs"]
    t = time.perf_counter()
    ad = R.tfscope(sim["codes"], sim["y"], m["target"], m["cofactors"] + m["decoys"], random_state=seed, **OPTS)
    u = ad.uns["tfscope"]
    kept = u["kept"]
    y = ad.obs["label"].to_numpy()
    split = ad.obs["split"].to_numpy()
    res = {"seed": seed, "seconds": round(time.perf_counter() - t, 1),
           "test_auc": u["auc"]["test_auc"].round(4).to_dict(),
           "n_selected": u["auc"]["n_selected"].to_dict(),
           "oracle_auc": round(oracle_auc(sim["truth"], kept, y, split), 4),
           "stack_weights": {k: round(v, 3) for k, v in (u["stacking"] or {}).get("full", {}).get("weights",
                                                                                                {}).items()},
           "n_test": int((split == "test").sum())}
    res["full_over_oracle"] = round(res["test_auc"]["full"] / res["oracle_auc"], 4)
    if scenario != "null":
        res["planted_top"] = planted_top(ad.var)
    return res


def main(which: str) -> dict:
    path = Path(__file__).parent / "results" / "regulatory_truth.json"
    out = {}
    out.update({"machine": platform.platform(), "cpu_count": os.cpu_count(), "options": OPTS,
                "data": "simulate_tf_binding(n_per_class=400, length=1000), built-in Markov background"})
    scen = ["calibrated", "null"] if which == "all" else [which]
    for s in scen:
        load0 = os.getloadavg()
        runs = [run(s, seed) for seed in range(SEEDS)]
        summ = {"loadavg_start": load0, "loadavg_end": os.getloadavg(), "runs": runs}
        full = np.array([r["test_auc"]["full"] for r in runs])
        summ["mean_full_auc"] = round(float(full.mean()), 4)
        summ["mean_oracle_auc"] = round(float(np.mean([r["oracle_auc"] for r in runs])), 4)
        summ["mean_full_over_oracle"] = round(float(np.mean([r["full_over_oracle"] for r in runs])), 4)
        summ["seeds_full_ge_0.85_oracle"] = int(sum(r["full_over_oracle"] >= 0.85 for r in runs))
        if s == "null":
            summ["max_abs_full_auc_minus_half"] = round(float(np.abs(full - 0.5).max()), 4)
        else:
            summ["planted_top_seeds"] = {f: int(sum(r["planted_top"][f]["ok"] for r in runs))
                                         for f in ("core", "environment", "cofactor")}
        for k in runs[0]["test_auc"]:
            summ.setdefault("mean_test_auc", {})[k] = round(float(np.mean([r["test_auc"][k] for r in runs])), 4)
        out[s] = summ
    old = json.loads(path.read_text()) if path.exists() else {}  # re-read: scenarios may run in parallel
    old.update(out)
    path.write_text(json.dumps(old, indent=2, default=str))
    return old


if __name__ == "__main__":
    res = main(sys.argv[1] if len(sys.argv) > 1 else "all")
    print(json.dumps({k: {kk: vv for kk, vv in v.items() if kk != "runs"} if isinstance(v, dict) else v
                      for k, v in res.items()}, indent=1, default=str))
