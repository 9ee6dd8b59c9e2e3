"""Ectopic-activation screen: exact log-rank at every percentile cut of 20,000 genes × 1,000 patients.

In one process, on the same synthetic data (tumour log-expression with silent genes, integer-month times with
ties):

- ``cut_grid`` + ``logrank_cut_scan``: all 71 cuts (15th..85th percentile, step 1) of 20,000 genes (1 core);
- the calibrated ``adaptive_thresholds`` on 2,000 genes (grid, Lau94, Cox at the selected cut, continuous Cox);
- the EpiMed-compatible mode (binary Cox at the shortlisted cuts, 5-fold CV) on 200 genes, and on all 20,000
  genes without CV (1 core) and with the 5-fold x 10-repeat CV robustness score (2 worker threads; CPU seconds
  are recorded next to wall times, since the shared machine's load inflates the latter);
- references on a small subset of (gene, cut) binary columns: lifelines ``logrank_test`` and ``CoxPHFitter``
  loops, and R ``survdiff`` / ``coxph`` loops timed inside R with ``system.time``.

Reports µs per test, ratios, the agreement with R, and writes ``benchmarks/results/prognostic.json``.
Run with one BLAS thread (``OMP_NUM_THREADS=1``) for a 1-core figure.
"""

from __future__ import annotations

import json
import os
import platform
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from pyomics_bridge.survival._cut_scan import cut_grid, logrank_cut_scan
from pyomics_bridge.survival._ectopic import adaptive_thresholds

N, G, PCT = 1_000, 20_000, np.arange(15.0, 86.0, 1.0)
N_LL_LR, N_LL_COX, N_R = 50, 20, 300


def _data(seed: int = 0):
    rng = np.random.default_rng(seed)
    frac = rng.uniform(0.1, 0.9, G)
    active = rng.random((N, G)) < frac
    X = np.where(active, rng.normal(4.0, 1.0, (N, G)), rng.uniform(0.0, 0.2, (N, G)))
    lp = 0.7 * active[:, 0] + 0.5 * active[:, 1]
    t = rng.exponential(60.0 * np.exp(-lp))
    c = rng.uniform(0, 150, N)
    return X, np.maximum(np.ceil(np.minimum(t, c)), 1.0), (t <= c).astype(int)


def _columns(X, grid, k):
    """The first k (gene, cut) binary columns, gene-major."""
    genes, cuts = np.divmod(np.arange(k), PCT.size)
    return (X[:, genes] > grid.thresholds[genes, cuts][None, :]).astype(float), genes, cuts


def _r_loops(B, t, e):
    try:
        import pyomics_bridge as pob

        ro = pob.r.robjects()
        pob.r.require_r_package("survival")
    except Exception as exc:  # R is optional
        print(f"   R reference skipped: {exc}")
        return None
    rB = ro.r["matrix"](ro.FloatVector(B.ravel(order="F")), nrow=B.shape[0], ncol=B.shape[1])
    fn = ro.r("""function(B, t, e) {
      s <- survival::Surv(t, e); k <- ncol(B); chi <- numeric(k); p <- numeric(k)
      el1 <- system.time(for (j in seq_len(k)) chi[j] <- survival::survdiff(s ~ B[, j])$chisq)
      el2 <- system.time(for (j in seq_len(k)) p[j] <- summary(survival::coxph(s ~ B[, j]))$coefficients[1, 5])
      list(survdiff = el1[["elapsed"]], coxph = el2[["elapsed"]], chisq = chi, p = p)
    }""")
    out = fn(rB, ro.FloatVector(t), ro.IntVector(e))
    return {"survdiff_s": float(out.rx2("survdiff")[0]), "coxph_s": float(out.rx2("coxph")[0]),
            "chisq": np.asarray(out.rx2("chisq")), "p": np.asarray(out.rx2("p"))}


def main() -> dict:
    X, t, e = _data()
    g0 = cut_grid(X[:, :200], PCT)
    logrank_cut_scan(g0, t, e)  # warm-up
    start, cpu = time.perf_counter(), time.process_time()
    grid = cut_grid(X, PCT)
    grid_s, grid_cpu = time.perf_counter() - start, time.process_time() - cpu
    start, cpu = time.perf_counter(), time.process_time()
    res = logrank_cut_scan(grid, t, e)
    scan_s, scan_cpu = time.perf_counter() - start, time.process_time() - cpu
    n_tests = G * PCT.size
    total = grid_s + scan_s
    out = {"n_samples": N, "n_genes": G, "n_cuts": int(PCT.size), "n_tests": n_tests, "n_events": int(e.sum()),
           "n_distinct_event_times": int(np.unique(t[e == 1]).size), "grid_s": grid_s, "scan_s": scan_s,
           "full_screen_s": total, "us_per_test": 1e6 * total / n_tests, "full_screen_cpu_s": grid_cpu + scan_cpu}

    # finer time resolution (0.1 month): many more distinct event times, the quadratic term's main cost
    t_fine = np.round(t - np.random.default_rng(1).uniform(0, 0.9, N), 1)
    start, cpu = time.perf_counter(), time.process_time()
    logrank_cut_scan(grid, t_fine, e)
    out.update({"fine_times_n_distinct_event_times": int(np.unique(t_fine[e == 1]).size),
                "fine_times_scan_s": time.perf_counter() - start, "fine_times_scan_cpu_s": time.process_time() - cpu})
    out["fine_times_full_screen_s"] = grid_s + out["fine_times_scan_s"]
    out["fine_times_full_screen_cpu_s"] = grid_cpu + out["fine_times_scan_cpu_s"]

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        adaptive_thresholds(X[:, :2000], t, e, mode="calibrated", cv=None, store_grid=False)
    out["calibrated_2000_genes_s"] = time.perf_counter() - start
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ep = adaptive_thresholds(X[:, :200], t, e, mode="epimed", cv=(5, 1), store_grid=False)
    out["epimed_cv5_200_genes_s"] = time.perf_counter() - start
    out["epimed_200_genes_validated"] = int(ep.table["validated"].sum())

    # the whole EpiMed-compatible screen of 20,000 genes (Cox at the shortlisted cuts of every gene), then with
    # the 5-fold x 10-repeat CV robustness score on 2 worker processes
    start, cpu = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ep0 = adaptive_thresholds(X, t, e, mode="epimed", cv=None, store_grid=False)
    out["epimed_20k_genes_no_cv_1core_s"] = time.perf_counter() - start
    out["epimed_20k_genes_no_cv_cpu_s"] = time.process_time() - cpu
    # two worker threads, so that the CPU time of both workers is measured (process time; the wall time on this
    # shared machine depends on the load, the CPU seconds much less); results do not depend on the backend
    from joblib import parallel_config

    start, cpu = time.perf_counter(), time.process_time()
    with warnings.catch_warnings(), parallel_config(backend="threading"):
        warnings.simplefilter("ignore")
        ep = adaptive_thresholds(X, t, e, mode="epimed", cv=(5, 10), store_grid=False, n_jobs=2, random_state=0)
    out["epimed_20k_genes_cv5x10_2workers_s"] = time.perf_counter() - start
    out["epimed_20k_genes_cv5x10_cpu_s"] = time.process_time() - cpu
    out["epimed_20k_genes_cv5x10_2cores_estimate_s"] = out["epimed_20k_genes_cv5x10_cpu_s"] / 2
    out["epimed_20k_genes_eligible"] = int(ep.table["eligible"].sum())
    out["epimed_20k_genes_with_validated_cut"] = int(ep.table["threshold_interval"].gt(0).sum())
    out["epimed_20k_genes_validated"] = int(ep.table["validated"].sum())
    out["epimed_cv_splits"] = int(ep.cv_splits)
    assert ep0.table["validated"].equals(ep.table["validated"])

    B, genes, cuts = _columns(X, grid, max(N_R, N_LL_LR))
    try:
        from lifelines import CoxPHFitter
        from lifelines.statistics import logrank_test as ll_logrank

        start = time.perf_counter()
        chi_ll = [ll_logrank(t[B[:, j] == 1], t[B[:, j] == 0], e[B[:, j] == 1], e[B[:, j] == 0]).test_statistic
                  for j in range(N_LL_LR)]
        ll_lr_s = (time.perf_counter() - start) / N_LL_LR
        start = time.perf_counter()
        for j in range(N_LL_COX):
            CoxPHFitter().fit(pd.DataFrame({"x": B[:, j], "t": t, "e": e}), "t", "e")
        ll_cox_s = (time.perf_counter() - start) / N_LL_COX
        ours = res["statistic"][genes[:N_LL_LR], cuts[:N_LL_LR]]
        out.update({"lifelines_logrank_us_per_test": 1e6 * ll_lr_s, "lifelines_cox_us_per_test": 1e6 * ll_cox_s,
                    "speedup_vs_lifelines_logrank": ll_lr_s / (total / n_tests),
                    "speedup_vs_lifelines_cox": ll_cox_s / (total / n_tests),
                    "lifelines_full_screen_cox_projected_h": ll_cox_s * n_tests / 3600,
                    "max_rel_chisq_diff_vs_lifelines": float(np.max(np.abs(ours / np.asarray(chi_ll) - 1)))})
    except ImportError:
        print("   lifelines reference skipped: not installed")
    r = _r_loops(B[:, :N_R], t, e)
    if r is not None:
        ours = res["statistic"][genes[:N_R], cuts[:N_R]]
        out.update({"r_survdiff_us_per_test": 1e6 * r["survdiff_s"] / N_R,
                    "r_coxph_us_per_test": 1e6 * r["coxph_s"] / N_R,
                    "speedup_vs_r_survdiff": (r["survdiff_s"] / N_R) / (total / n_tests),
                    "speedup_vs_r_coxph": (r["coxph_s"] / N_R) / (total / n_tests),
                    "r_coxph_full_screen_projected_h": r["coxph_s"] / N_R * n_tests / 3600,
                    "max_rel_chisq_diff_vs_r_survdiff": float(np.max(np.abs(ours / r["chisq"] - 1)))})
    return out


if __name__ == "__main__":
    load_at_start = os.getloadavg()
    results = main()
    meta = {"machine": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count(),
            "load_average_at_start": load_at_start, "load_average_at_end": os.getloadavg(), "numpy": np.__version__,
            "omp_num_threads": os.environ.get("OMP_NUM_THREADS", "unset")}
    try:
        import pyomics_bridge as pob

        meta["r_versions"] = pob.r.r_versions(["survival"])
    except Exception:
        pass
    try:
        import lifelines

        meta["lifelines"] = lifelines.__version__
    except ImportError:
        pass
    path = Path(__file__).parent / "results" / "prognostic.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps({"meta": meta, "results": results}, indent=1, default=float))
    for k, v in results.items():
        print(f"{k:45s} {v:.4g}" if isinstance(v, float) else f"{k:45s} {v}")
