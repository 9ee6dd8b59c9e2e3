"""tune_spls vs mixOmics 6.35.2 ``tune.spls`` (nutrimouse gene → lipid), measured in one run.

Call: keepX {5, 10, 20, 50} × keepY {3, 8, 21} (12 pairs), 2 components, mode regression, measure "cor", 5-fold CV
× 3 repeats (and leave-one-out), serial (R: ``SerialParam``; Python: ``n_jobs=1``, single-threaded BLAS). R runs
through ``Rscript`` in a child process when ``R_LIBS`` (or the default library) holds mixOmics; its CPU time is the
child's user + sys time. M-fold folds differ between the two (R's ``sample()``); the LOO call does the same work
on both sides. Without mixOmics only the Python times are written.

Writes ``benchmarks/results/tune_spls.json`` (with the load average: the machine is shared).
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from pyomics_bridge.multiomics._tune_spls import tune_spls

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DATA = Path(os.environ["POB_DATA_DIR"]) / "mixomics" if "POB_DATA_DIR" in os.environ else SHARED / "datasets" / "mixomics"
GX, GY = [5, 10, 20, 50], [3, 8, 21]
CALLS = {"mfold5x3": {"validation": "Mfold", "folds": 5, "nrepeat": 3}, "loo": {"validation": "loo"}}

R_CODE = """
suppressMessages({library(mixOmics); library(BiocParallel)})
X <- as.matrix(read.csv("%(x)s", row.names = 1, check.names = FALSE))
Y <- as.matrix(read.csv("%(y)s", row.names = 1, check.names = FALSE))
args <- list(X = X, Y = Y, test.keepX = c(%(gx)s), test.keepY = c(%(gy)s), ncomp = 2, mode = "regression",
             measure = "cor", BPPARAM = SerialParam(), validation = "%(validation)s")
if ("%(validation)s" == "Mfold") { args$folds <- 5; args$nrepeat <- 3; args$seed <- 42 }
t0 <- proc.time()
res <- do.call(tune.spls, args)
el <- proc.time() - t0
cat(sprintf("WALL %%.4f\\nCHOICE %%s | %%s\\n", el[["elapsed"]], paste(res$choice.keepX, collapse = ","),
            paste(res$choice.keepY, collapse = ",")))
"""


def _r_available() -> bool:
    try:
        out = subprocess.run(["Rscript", "-e", "cat(requireNamespace('mixOmics', quietly = TRUE))"],
                             capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.stdout.strip().endswith("TRUE")


def _run_r(xf: Path, yf: Path, validation: str) -> dict:
    code = R_CODE % {"x": xf, "y": yf, "gx": ", ".join(map(str, GX)), "gy": ", ".join(map(str, GY)),
                     "validation": validation}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = subprocess.run(["Rscript", "-e", code], capture_output=True, text=True, timeout=3600)
    wall_total = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    lines = dict(line.split(" ", 1) for line in out.stdout.splitlines() if line.startswith(("WALL", "CHOICE")))
    return {"wall_s": float(lines["WALL"]), "wall_with_startup_s": wall_total,
            "cpu_s_with_startup": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "choice": lines["CHOICE"].strip()}


def _run_py(X, Y, kw) -> dict:
    c0, t0 = time.process_time(), time.perf_counter()
    res = tune_spls(X, Y, test_keepX=GX, test_keepY=GY, n_components=2, mode="regression", measure="cor",
                    random_state=42, n_jobs=1, **kw)
    return {"wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0,
            "choice": f"{','.join(map(str, res.choice_keepX))} | {','.join(map(str, res.choice_keepY))}"}


def main() -> None:
    X = pd.read_csv(DATA / "nutrimouse" / "gene.csv", index_col=0, float_precision="round_trip")
    Y = pd.read_csv(DATA / "nutrimouse" / "lipid.csv", index_col=0, float_precision="round_trip")
    have_r = _r_available()
    results = {}
    with tempfile.TemporaryDirectory() as tmp, threadpool_limits(1):
        xf, yf = Path(tmp) / "X.csv", Path(tmp) / "Y.csv"
        X.to_csv(xf, float_format="%.17g")
        Y.to_csv(yf, float_format="%.17g")
        for name, kw in CALLS.items():
            py = min((_run_py(X, Y, kw) for _ in range(2)), key=lambda r: r["cpu_s"])
            entry = {"python": py}
            if have_r:
                r = _run_r(xf, yf, kw["validation"])
                entry["mixomics"] = r
                entry["speedup_wall"] = r["wall_s"] / py["wall_s"]
                entry["speedup_cpu_upper_bound_r_startup_included"] = r["cpu_s_with_startup"] / py["cpu_s"]
            results[name] = entry
            print(name, json.dumps(entry))
    out = {
        "benchmark": "tune_spls vs mixOmics tune.spls (nutrimouse gene -> lipid, 12 pairs, 2 comps)",
        "grid": {"test_keepX": GX, "test_keepY": GY},
        "results": results,
        "mixomics_available": have_r,
        "loadavg": list(os.getloadavg()),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "numpy": np.__version__,
    }
    path = ROOT / "benchmarks" / "results" / "tune_spls.json"
    path.write_text(json.dumps(out, indent=1))
    print("wrote", path)


if __name__ == "__main__":
    main()
