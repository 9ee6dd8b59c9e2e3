# ruff: noqa: B023  (lambdas are called inside the loop that defines them)
"""Hi-C: ICE against iced 0.6.0 (same filtered matrix, same run), and structure-inference timings.

pastis is not timed: pastis 0.4.0 does not build on Python >= 3.11 without patches and its master is not on PyPI
(see /work/shared/specs/hic.md §1); its per-evaluation cost is O(n * nnz), ours O(#pairs).
Prints a table and writes ``benchmarks/results/hic.json``. Timings are wall seconds, median of ``REPEATS``.
"""

from __future__ import annotations

import json
import platform
import time
import warnings
from pathlib import Path

import numpy as np
from scipy import sparse

from pyomics_bridge import hic

REPEATS = 3


def _time(func, repeats=REPEATS):
    out, times = None, []
    for _ in range(repeats):
        t = time.perf_counter()
        out = func()
        times.append(time.perf_counter() - t)
    return float(np.median(times)), out


def _synthetic_counts(n, seed=0):
    rng = np.random.default_rng(seed)
    i, j = np.triu_indices(n, 1)
    b = np.exp(rng.normal(scale=0.3, size=n))
    c = rng.poisson(50.0 / (j - i + 1) * b[i] * b[j]).astype(float)
    keep = c > 0
    up = sparse.csr_matrix((c[keep], (i[keep], j[keep])), shape=(n, n))
    return (up + up.T).toarray()


def bench_ice(rows):
    try:
        import iced
        from iced.filter import filter_low_counts
        from iced.normalization import ICE_normalization
    except ImportError:
        print("iced not installed (pip install iced==0.6.0): ICE comparison skipped")
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = {"yeast (350)": np.asarray(iced.datasets.load_sample_yeast()[0], float),
                "cancer (1383)": np.asarray(iced.datasets.load_sample_cancer()[0], float)}
    for n in (1000, 2000):
        data[f"synthetic ({n})"] = _synthetic_counts(n)
    for name, C in data.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            filt = filter_low_counts(C.copy(), sparsity=False, percentage=0.04)
        filt = np.where(np.isnan(filt), 0.0, filt)
        t_iced, (_, b_iced) = _time(lambda: ICE_normalization(filt.copy(), max_iter=3000, eps=1e-4, output_bias=True))
        csr = sparse.csr_matrix(filt)
        t_ours, res = _time(lambda: hic.ice_normalization(csr))
        b_iced = np.asarray(b_iced).ravel()
        ok = np.isfinite(res.bias)
        rows.append({"task": f"ICE {name}", "pob_s": t_ours, "ref_s": t_iced, "ref": "iced 0.6.0 dense",
                     "max_abs_bias_diff": float(np.max(np.abs(res.bias[ok] - b_iced[ok]))),
                     "iterations": res.n_iter})


def bench_structure(rows):
    for n in (250, 500, 1000):
        rng = np.random.default_rng(0)
        X = hic.random_walk(n, confinement=n ** (1 / 3) * 1.5, rng=rng)
        C, beta = hic.simulate_counts(X, mean_count=5.0, rng=rng)
        pairs = hic.make_pairs(C)
        Y = rng.normal(size=X.shape)
        t, _ = _time(lambda: hic.poisson_objective(Y, pairs.i, pairs.j, pairs.counts, pairs.bias_prod, alpha=-3.0, beta=beta), 10)
        rows.append({"task": f"Poisson objective+gradient, n={n} ({pairs.i.size} pairs, zeros included)", "pob_s": t})
    for n in (100,):
        rng = np.random.default_rng(1)
        X = hic.random_walk(n, confinement=4.0, rng=rng)
        C, beta = hic.simulate_counts(X, mean_count=5.0, rng=rng)
        for name, model in (("MDS", hic.MDS(random_state=0)), ("PM1", hic.PM1(beta=beta, random_state=0)),
                            ("PM2", hic.PM2(random_state=0)), ("NB", hic.NegativeBinomialStructure(random_state=0))):
            t, m = _time(lambda model=model: model.fit(C), 1)
            rows.append({"task": f"{name} fit, n={n}, mean 5 counts/pair", "pob_s": t, "iterations": m.n_iter_,
                         "dscc_truth": hic.dscc(m.structure_, X), "rmsd_truth": hic.rmsd(m.structure_, X),
                         "alpha_hat": m.alpha_})


def main():
    rows = []
    bench_ice(rows)
    bench_structure(rows)
    for r in rows:
        print(" | ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in r.items()))
    out = Path(__file__).parent / "results" / "hic.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"machine": platform.platform(), "python": platform.python_version(), "rows": rows}, indent=1))
    return rows


if __name__ == "__main__":
    main()
