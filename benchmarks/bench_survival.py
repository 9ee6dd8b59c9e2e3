"""Log-rank and Kaplan–Meier: pyomics_bridge vs R survival (survdiff / survfit), timed in one run."""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path

import numpy as np

import pyomics_bridge as pob

SIZES = (1_000, 10_000, 100_000)
REPEATS = 20


def _py_time(func, repeats: int) -> float:
    func()  # warm-up
    start = time.perf_counter()
    for _ in range(repeats):
        func()
    return (time.perf_counter() - start) / repeats


def _r_time(ro, code: str, t, e, g, repeats: int) -> float:
    fn = ro.r(f"function(t, e, g, n) {{ {code}; system.time(for (i in seq_len(n)) {code})[['elapsed']] / n }}")
    return float(fn(t, e, g, repeats)[0])


def main() -> list[dict]:
    rng = np.random.default_rng(0)
    ro = pob.r.robjects()
    pob.r.require_r_package("survival")
    rows = []
    for n in SIZES:
        for k in (2, 4):
            t = np.round(rng.exponential(10, n), 1) + 0.1
            e = (rng.random(n) < 0.7).astype(int)
            g = rng.integers(0, k, n)
            rt, re_, rg = ro.FloatVector(t), ro.IntVector(e), ro.r["factor"](ro.IntVector(g))
            cases = {
                "logrank": (lambda t=t, e=e, g=g: pob.survival.logrank_test(t, e, g),
                            "survival::survdiff(survival::Surv(t, e) ~ g)"),
                "kaplan_meier": (lambda t=t, e=e, g=g: pob.survival.kaplan_meier(t, e, g),
                                 "survival::survfit(survival::Surv(t, e) ~ g)"),
            }
            for name, (py, rcode) in cases.items():
                reps = max(3, REPEATS * 1_000 // n)
                py_s = _py_time(py, reps)
                r_s = _r_time(ro, rcode, rt, re_, rg, reps)
                rows.append({"method": name, "n": n, "groups": k, "python_s": py_s, "r_s": r_s,
                             "speedup_vs_r": r_s / py_s})
    return rows


if __name__ == "__main__":
    results = main()
    meta = {"machine": platform.platform(), "python": platform.python_version(),
            "r_versions": pob.r.r_versions(["survival"])}
    out = Path(__file__).parent / "results" / "survival.json"
    out.write_text(json.dumps({"meta": meta, "results": results}, indent=1))
    print(f"{'method':<14}{'n':>8}{'K':>3}{'python ms':>11}{'R ms':>9}{'R/python':>10}")
    for r in results:
        print(f"{r['method']:<14}{r['n']:>8}{r['groups']:>3}{1e3 * r['python_s']:>11.2f}{1e3 * r['r_s']:>9.2f}"
              f"{r['speedup_vs_r']:>10.2f}")
