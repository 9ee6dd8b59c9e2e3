"""Univariate Cox screen: pyomics_bridge ``cox_screen`` vs a loop of R ``coxph`` and of lifelines ``CoxPHFitter``.

All three run in this one process on the same synthetic data (samples × genes, Efron ties):

- ``cox_screen`` on all 20,000 genes × 1,000 samples (one call, 1 core, default batch size), and on 10,000
  binary (0/1) columns, which take the per-event-time counts kernel;
- R ``survival::coxph(Surv(t, e) ~ x)`` on the first 100 genes, timed inside R with ``system.time``;
- lifelines ``CoxPHFitter`` on the first 20 genes;
- for reference, the :class:`CoxPH` estimator looped over the first 100 genes.

Prints µs per gene and the speed-ups, checks that the coefficients agree, and writes
``benchmarks/results/cox_screen.json``.
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

from pyomics_bridge.survival._cox import CoxPH
from pyomics_bridge.survival._cox_screen import cox_screen

N_SAMPLES, N_GENES, N_R, N_LIFELINES, N_COXPH = 1_000, 20_000, 100, 20, 100


def _data(seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N_SAMPLES, N_GENES))
    X[:, : N_GENES // 10] = np.log2(1 + rng.gamma(0.5, 20, size=(N_SAMPLES, N_GENES // 10)))  # expression-like
    lp = 0.4 * X[:, 0] - 0.3 * X[:, 1]
    t = rng.exponential(np.exp(-lp)) * 36
    c = rng.uniform(6, 120, N_SAMPLES)
    time_ = np.round(np.minimum(t, c), 1) + 0.1  # months, one decimal: tied times
    event = (t <= c).astype(int)
    return X, time_, event


def _r_loop(X, t, e) -> tuple[float, np.ndarray] | None:
    try:
        import pyomics_bridge as pob

        ro = pob.r.robjects()
        pob.r.require_r_package("survival")
    except Exception as exc:  # R is optional
        print(f"   R reference skipped: {exc}")
        return None
    rX = ro.r["matrix"](ro.FloatVector(X[:, :N_R].ravel(order="F")), nrow=X.shape[0], ncol=N_R)
    fn = ro.r("""function(X, t, e) {
      b <- numeric(ncol(X))
      s <- survival::Surv(t, e)
      el <- system.time(for (j in seq_len(ncol(X))) b[j] <- coef(survival::coxph(s ~ X[, j], ties = "efron")))
      list(elapsed = el[["elapsed"]], coef = b)
    }""")
    out = fn(rX, ro.FloatVector(t), ro.IntVector(e))
    return float(out.rx2("elapsed")[0]), np.asarray(out.rx2("coef"), dtype=np.float64)


def _lifelines_loop(X, t, e) -> tuple[float, np.ndarray] | None:
    try:
        from lifelines import CoxPHFitter
    except ImportError:
        print("   lifelines reference skipped: not installed")
        return None
    coefs = []
    start = time.perf_counter()
    for j in range(N_LIFELINES):
        d = pd.DataFrame({"x": X[:, j], "t": t, "e": e})
        coefs.append(CoxPHFitter().fit(d, "t", "e").params_["x"])
    return time.perf_counter() - start, np.asarray(coefs)


def main() -> dict:
    X, t, e = _data()
    cox_screen(X[:, :200], t, e)  # warm-up (imports, allocator)
    start, cpu = time.perf_counter(), time.process_time()
    res = cox_screen(X, t, e, n_jobs=1)
    screen_s, screen_cpu = time.perf_counter() - start, time.process_time() - cpu
    # the 0/1 columns path (per-event-time counts): e.g. the binary Cox models of the cut-point screens
    B = X[:, :N_GENES // 2] > np.median(X[:, :N_GENES // 2], axis=0)
    start = time.perf_counter()
    res_b = cox_screen(B, t, e, n_jobs=1)
    binary_s = time.perf_counter() - start

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        coxph_coef = np.array([CoxPH().fit(X[:, [j]], t, e).coef_.iloc[0] for j in range(N_COXPH)])
    coxph_s = time.perf_counter() - start

    out = {
        "n_samples": N_SAMPLES, "n_genes": N_GENES, "n_events": int(e.sum()), "n_distinct_times": int(np.unique(t).size),
        "mean_iterations": float(res["n_iter"].mean()), "all_converged": bool(res["converged"].all()),
        "cox_screen_s": screen_s, "cox_screen_cpu_s": screen_cpu, "cox_screen_us_per_gene": 1e6 * screen_s / N_GENES,
        "binary_columns": int(B.shape[1]), "binary_cox_screen_s": binary_s,
        "binary_cox_screen_us_per_column": 1e6 * binary_s / B.shape[1],
        "binary_all_converged": bool(res_b["converged"].all()),
        "coxph_loop_us_per_gene": 1e6 * coxph_s / N_COXPH,
        "max_abs_coef_diff_vs_CoxPH": float(np.abs(res["coef"].to_numpy()[:N_COXPH] - coxph_coef).max()),
    }
    r = _r_loop(X, t, e)
    if r is not None:
        r_s, r_coef = r
        out.update({
            "r_coxph_us_per_gene": 1e6 * r_s / N_R,
            "speedup_vs_r": (r_s / N_R) / (screen_s / N_GENES),
            "r_coxph_20k_genes_projected_s": r_s / N_R * N_GENES,
            "max_abs_coef_diff_vs_r": float(np.abs(res["coef"].to_numpy()[:N_R] - r_coef).max()),
        })
    ll = _lifelines_loop(X, t, e)
    if ll is not None:
        ll_s, ll_coef = ll
        out.update({
            "lifelines_us_per_gene": 1e6 * ll_s / N_LIFELINES,
            "speedup_vs_lifelines": (ll_s / N_LIFELINES) / (screen_s / N_GENES),
            "lifelines_20k_genes_projected_s": ll_s / N_LIFELINES * N_GENES,
            "max_abs_coef_diff_vs_lifelines": float(np.abs(res["coef"].to_numpy()[:N_LIFELINES] - ll_coef).max()),
        })
    return out


if __name__ == "__main__":
    load_at_start = os.getloadavg()
    results = main()
    meta = {"machine": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count(),
            "load_average_at_start": load_at_start, "load_average_at_end": os.getloadavg(), "numpy": np.__version__,
            "omp_num_threads": os.environ.get("OMP_NUM_THREADS", "unset"), "n_jobs": 1}
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
    path = Path(__file__).parent / "results" / "cox_screen.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps({"meta": meta, "results": results}, indent=1))
    print(f"cox_screen: {results['n_genes']} genes x {results['n_samples']} samples in {results['cox_screen_s']:.2f} s "
          f"= {results['cox_screen_us_per_gene']:.1f} us/gene ({results['mean_iterations']:.2f} Newton iterations)")
    print(f"CoxPH loop: {results['coxph_loop_us_per_gene']:.0f} us/gene")
    if "r_coxph_us_per_gene" in results:
        print(f"R coxph loop: {results['r_coxph_us_per_gene']:.0f} us/gene -> speed-up x{results['speedup_vs_r']:.0f}"
              f" (max |coef diff| {results['max_abs_coef_diff_vs_r']:.1e})")
    if "lifelines_us_per_gene" in results:
        print(f"lifelines loop: {results['lifelines_us_per_gene']:.0f} us/gene -> speed-up "
              f"x{results['speedup_vs_lifelines']:.0f} (max |coef diff| {results['max_abs_coef_diff_vs_lifelines']:.1e})")
