"""Scale benchmark: SPLSDA and SPCA (2 components, keepX 50) on large float32 matrices without any p × p matrix.

Each (size, estimator) fit runs in its own subprocess so that ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` is the
peak RSS of that fit alone (data generation included: the float32 input itself is n·p·4 bytes).

Usage::

    python benchmarks/bench_scale.py                      # default sizes, writes benchmarks/results/scale.json
    python benchmarks/bench_scale.py --sizes 50000x20000  # the issue's target size (needs ~30+ GB RAM, see notes)

The data are seeded: 3 balanced classes, ``N_INFO`` informative features (columns 0..N_INFO-1, a class mean shift
on a per-feature class), the rest N(0, 1) noise. Correctness = fraction of the informative features among the
features selected on component 1 or 2.

Sparse input: the estimators do not accept scipy.sparse (``as_block`` in ``_validate.py`` converts to a dense
float64 array, and a sparse matrix is refused as non-numeric); the sparse CSR run is therefore reported as
"not supported" rather than silently densified.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time

import numpy as np

N_INFO = 12
SHIFT = 3.0


def make_data(n: int, p: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    X = np.empty((n, p), dtype=np.float32)
    step = max(1, (64 << 20) // (4 * p))
    for i in range(0, n, step):  # chunked generation: no float64 n × p temporary
        j = min(n, i + step)
        X[i:j] = rng.standard_normal((j - i, p), dtype=np.float32)
    for f in range(N_INFO):
        X[:, f] += np.float32(SHIFT) * (y == f % 3)
    return X, y


def _child(est_name: str, n: int, p: int) -> dict:
    import pyomics_bridge.multiomics as mo

    t0 = time.perf_counter()
    X, y = make_data(n, p)
    t_gen = time.perf_counter() - t0
    rss_data = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    t0 = time.perf_counter()
    if est_name == "SPLSDA":
        est = mo.SPLSDA(n_components=2, keepX=50).fit(X, y)
        sel = est.selected_features_["X"]
    else:
        est = mo.SPCA(n_components=2, keepX=50).fit(X)
        sel = est.selected_features_
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB
    selected = sorted({int(i) for s in sel for i in np.asarray(s)})
    found = sorted(set(range(N_INFO)) & set(selected))
    return {
        "estimator": est_name, "n": n, "p": p, "dtype": "float32", "wall_s": round(wall, 2),
        "datagen_s": round(t_gen, 2), "peak_rss_bytes": int(peak), "peak_rss_gib": round(peak / 2**30, 3),
        "rss_after_data_gib": round(rss_data / 2**30, 3), "input_gib": round(X.nbytes / 2**30, 3),
        "n_iter": [int(v) for v in est.n_iter_], "n_selected": len(selected),
        "informative_found": len(found), "informative_total": N_INFO,
        "recall_informative": round(len(found) / N_INFO, 3),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="5000x20000,10000x20000")
    ap.add_argument("--estimators", default="SPCA,SPLSDA")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "scale.json"))
    ap.add_argument("--child", nargs=3, metavar=("EST", "N", "P"))
    args = ap.parse_args()
    if args.child:
        est, n, p = args.child
        print(json.dumps(_child(est, int(n), int(p))))
        return
    runs = []
    for size in args.sizes.split(","):
        n, p = (int(v) for v in size.lower().split("x"))
        for est in args.estimators.split(","):
            proc = subprocess.run([sys.executable, __file__, "--child", est, str(n), str(p)],
                                  capture_output=True, text=True)
            if proc.returncode != 0:
                rec = {"estimator": est, "n": n, "p": p, "error": proc.stderr[-2000:]}
            else:
                rec = json.loads(proc.stdout.strip().splitlines()[-1])
            print(rec, flush=True)
            runs.append(rec)
    # linear extrapolation in n (all kernels are O(n·p) per product; memory is O(n·p)) to the target 50,000 × 20,000
    extrap = {}
    for est in args.estimators.split(","):
        ok = [r for r in runs if r["estimator"] == est and "error" not in r and r["p"] == 20000]
        if len(ok) >= 2:
            ns = np.array([r["n"] for r in ok], float)
            for key in ("wall_s", "peak_rss_gib"):
                vals = np.array([r[key] for r in ok], float)
                slope, icpt = np.polyfit(ns, vals, 1)
                extrap.setdefault(est, {})[key + "_at_50000x20000"] = round(float(slope * 50000 + icpt), 2)
    result = {
        "benchmark": "bench_scale", "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                                                "python": platform.python_version(), "numpy": np.__version__},
        "config": {"n_components": 2, "keepX": 50, "n_informative": N_INFO, "shift": SHIFT, "classes": 3},
        "runs": runs,
        "extrapolated_linear_in_n": extrap,
        "sparse_csr_1pct": "not supported: estimators accept dense input only (scipy.sparse is refused by as_block)",
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as fh:
        json.dump(result, fh, indent=2)
    print(json.dumps(extrap, indent=2))


if __name__ == "__main__":
    main()
