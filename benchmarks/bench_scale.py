"""Scale benchmark: SPCA and SPLSDA (2 components, small keepX) on 50,000 × 20,000 float32, dense and scipy.sparse.

Each (size, format, estimator) fit runs in its own subprocess, one at a time, so that
``resource.getrusage(RUSAGE_SELF).ru_maxrss`` is the peak RSS of that fit alone (data generation included: the
dense float32 input itself is n·p·4 bytes, the sparse CSR input nnz·8 + (n+1)·4 bytes). Nothing of size p × p,
n × n, or a float64 / centred / densified copy of the block is made (see ``pyomics_bridge.multiomics._implicit``),
so the peak should stay close to the input size.

Usage::

    python benchmarks/bench_scale.py                                   # 50000x20000, dense and sparse 1 %
    python benchmarks/bench_scale.py --sizes 25000x20000 --formats dense

The data are seeded: 3 balanced classes, ``N_INFO`` informative features (columns 0..N_INFO-1: a class mean shift
on a per-feature class, dense columns also in the sparse matrix), the rest N(0, 1) noise (dense) or N(0, 1) values
at ``density`` (sparse CSR). Correctness = fraction of the informative features among the features selected on
component 1 or 2. ``os.getloadavg()`` is recorded before and after each run (the machine is shared).
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
KEEPX = 50


def make_dense(n: int, p: int, seed: int = 0):
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


def make_sparse(n: int, p: int, density: float, seed: int = 0):
    """CSR float32: N_INFO dense informative columns + noise columns at ``density`` (built row chunk by chunk)."""
    from scipy import sparse

    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    k = max(1, int(round(density * (p - N_INFO))))
    shift = (SHIFT * (y[:, None] == (np.arange(N_INFO) % 3)[None, :])).astype(np.float32)
    counts, indices, data = [], [], []
    step = 5000
    for i in range(0, n, step):
        j = min(n, i + step)
        cols = np.sort(rng.integers(N_INFO, p, size=(j - i, k)), axis=1)
        keep = np.ones(cols.shape, dtype=bool)
        keep[:, 1:] = cols[:, 1:] != cols[:, :-1]
        allc = np.hstack([np.tile(np.arange(N_INFO), (j - i, 1)), cols])
        allk = np.hstack([np.ones((j - i, N_INFO), dtype=bool), keep])
        vals = rng.standard_normal(allc.shape, dtype=np.float32)
        vals[:, :N_INFO] += shift[i:j]
        counts.append(allk.sum(axis=1))
        indices.append(allc[allk].astype(np.int32))
        data.append(vals[allk])
    indptr = np.concatenate([[0], np.cumsum(np.concatenate(counts))]).astype(np.int64)
    X = sparse.csr_matrix((np.concatenate(data), np.concatenate(indices), indptr), shape=(n, p))
    return X, y


def _child(est_name: str, fmt: str, n: int, p: int, density: float) -> dict:
    import pyomics_bridge.multiomics as mo

    load_before = os.getloadavg()
    t0 = time.perf_counter()
    if fmt == "dense":
        X, y = make_dense(n, p)
        input_bytes = X.nbytes
    else:
        X, y = make_sparse(n, p, density)
        input_bytes = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    t_gen = time.perf_counter() - t0
    rss_data = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    if est_name == "SPLSDA":
        est = mo.SPLSDA(n_components=2, keepX=KEEPX).fit(X, y)
        sel = est.selected_features_["X"]
    else:
        est = mo.SPCA(n_components=2, keepX=KEEPX).fit(X)
        sel = est.selected_features_
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB
    selected = sorted({int(i) for s in sel for i in np.asarray(s)})
    found = sorted(set(range(N_INFO)) & set(selected))
    return {
        "estimator": est_name, "format": fmt if fmt == "dense" else f"csr_{density:g}", "n": n, "p": p,
        "dtype": "float32", "nnz": int(X.nnz) if fmt != "dense" else n * p,
        "wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "datagen_s": round(t_gen, 2),
        "peak_rss_bytes": int(peak), "peak_rss_gib": round(peak / 2**30, 3),
        "rss_after_data_gib": round(rss_data / 2**30, 3), "input_gib": round(input_bytes / 2**30, 3),
        "peak_over_input": round(peak / input_bytes, 3),
        "dense_float64_copy_gib": round(n * p * 8 / 2**30, 3), "pxp_float64_gib": round(p * p * 8 / 2**30, 3),
        "n_iter": [int(v) for v in est.n_iter_], "n_selected": len(selected),
        "informative_found": len(found), "informative_total": N_INFO,
        "recall_informative": round(len(found) / N_INFO, 3),
        "loadavg_before": [round(v, 2) for v in load_before], "loadavg_after": [round(v, 2) for v in os.getloadavg()],
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="50000x20000")
    ap.add_argument("--formats", default="dense,sparse")
    ap.add_argument("--density", type=float, default=0.01)
    ap.add_argument("--estimators", default="SPCA,SPLSDA")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "scale.json"))
    ap.add_argument("--note", default="")
    ap.add_argument("--child", nargs=5, metavar=("EST", "FMT", "N", "P", "DENSITY"))
    args = ap.parse_args()
    if args.child:
        est, fmt, n, p, dens = args.child
        print(json.dumps(_child(est, fmt, int(n), int(p), float(dens))))
        return
    runs = []
    for size in args.sizes.split(","):
        n, p = (int(v) for v in size.lower().split("x"))
        for fmt in args.formats.split(","):
            for est in args.estimators.split(","):
                t0 = time.perf_counter()
                proc = subprocess.run([sys.executable, __file__, "--child", est, fmt, str(n), str(p),
                                       str(args.density)], capture_output=True, text=True)
                if proc.returncode != 0:
                    rec = {"estimator": est, "format": fmt, "n": n, "p": p, "returncode": proc.returncode,
                           "error": proc.stderr[-2000:], "elapsed_s": round(time.perf_counter() - t0, 1)}
                else:
                    rec = json.loads(proc.stdout.strip().splitlines()[-1])
                print(rec, flush=True)
                runs.append(rec)
    result = {
        "benchmark": "bench_scale",
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "numpy": np.__version__,
                    "mem_total_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)},
        "config": {"n_components": 2, "keepX": KEEPX, "n_informative": N_INFO, "shift": SHIFT, "classes": 3,
                   "sparse_density": args.density},
        "implementation": "implicit centring/scaling (ScaledBlock): float32 kept as float32, sparse never densified, "
                          "deflation as low-rank corrections; no p x p / n x n matrix",
        "note": args.note,
        "runs": runs,
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as fh:
        json.dump(result, fh, indent=2)


if __name__ == "__main__":
    main()
