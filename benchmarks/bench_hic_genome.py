"""Genome-wide Hi-C benchmark: ICE and multiscale PM2 on a simulated ~30,000-bin multi-chromosome map.

``python benchmarks/bench_hic_genome.py [--only ice,pm2] [--n-chrom 20 --per-chrom 1500] [--factors 50,10]
[--refine-max-iter 300,30 | none]`` writes ``benchmarks/results/hic_genome.json`` (sections merged, so they can be
rerun separately). ``--n-chrom 4 --per-chrom 500 --factors 10 --refine-max-iter none`` is the smaller map refined
to convergence.

- ``ice``: our ICE (one sparse mat-vec per iteration) against iced 0.6.0's sparse path on the same map when iced
  is installed (bias difference, iterations, CPU seconds), in the same run.
- ``pm2``: multiscale PM2 (``Multiscale(PM2(use_zero_counts="intra"), factors=10)``: fit at 1/10 of the
  resolution with every pair, interpolate along each chromosome, refine on the original bins with every
  intra-chromosomal pair and the non-zero inter-chromosomal ones): wall and CPU seconds and iterations per level,
  peak RSS, α̂ against the simulated α, per-chromosome dSCC and RMSD against the truth.

The map comes from :func:`pyomics_bridge.hic.simulate`: inter-chromosomal counts follow the same
Poisson(β d^α) law as intra-chromosomal ones (chromosome territories in one nucleus). Sections without
"model-based inter counts" in their name were measured on an older map whose inter-chromosomal counts were
uniform noise (0.01 per pair), which no 3D placement fits (α̂ ≈ −1.55 instead of −3).

Timings: one run each, process CPU seconds and wall seconds, with ``os.getloadavg()`` recorded (shared machine).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import time
import warnings
from pathlib import Path

import numpy as np
from scipy import sparse

from pyomics_bridge import hic
from pyomics_bridge.hic._multiscale import Multiscale
from pyomics_bridge.hic._simulate import simulate as hic_simulate

OUT = Path(__file__).parent / "results" / "hic_genome.json"
ALPHA_TRUE = -3.0


def _load():
    return [round(x, 2) for x in os.getloadavg()]


def _rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run(func):
    w, c = time.perf_counter(), time.process_time()
    out = func()
    return time.perf_counter() - w, time.process_time() - c, out


def genome_map(n_chrom=20, per_chrom=1500, mean_count=1.0, inter_scale=1.0, seed=0):
    """Multi-chromosome map from :func:`pyomics_bridge.hic.simulate`: one confined random walk per chromosome
    (territory radius ``per_chrom**(1/3) * 0.9`` steps, centres spread in one nucleus) and Poisson counts
    c_ij ~ Poisson(β d_ij^α), α = −3, for **every** pair, intra- and inter-chromosomal (inter rates multiplied by
    ``inter_scale``), with β set for a mean of ``mean_count`` per intra-chromosomal pair.

    Returns (CSR counts, true structure, bins per chromosome, simulation info).
    """
    w, c = time.perf_counter(), time.process_time()
    sim = hic_simulate(lengths=[per_chrom] * n_chrom, alpha=ALPHA_TRUE, mean_count=mean_count,
                       confinement=per_chrom ** (1 / 3) * 0.9, inter_scale=inter_scale, random_state=seed)
    C = sim.counts
    chrom = sim.chromosome
    up = sparse.triu(C, k=1).tocoo()
    inter = chrom[up.row] != chrom[up.col]
    info = {"simulator": "pyomics_bridge.hic.simulate", "n_chrom": n_chrom, "per_chrom": per_chrom,
            "mean_count_intra": mean_count, "inter_scale": inter_scale, "beta": sim.beta,
            "expected_counts": sim.expected_total, "total_counts": float(up.data.sum()),
            "inter_fraction_of_counts": float(up.data[inter].sum() / up.data.sum()),
            "non_zero_pairs": int(up.nnz), "inter_fraction_of_non_zero_pairs": float(inter.mean()),
            "simulate_s": time.perf_counter() - w, "simulate_cpu_s": time.process_time() - c,
            "rss_after_simulate_mb": _rss_mb(), "load": _load()}
    return C, sim.X, np.asarray(sim.lengths), info


def per_chromosome(X, truth, lengths):
    """Per-chromosome dSCC and RMSD (mean pairwise distance = 100 scale) against the truth."""
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    d = [hic.dscc(X[a:b], truth[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    r = [hic.rmsd(X[a:b], truth[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    return np.array(d), np.array(r)


def bench_ice(C):
    rows = []
    w, c, res = _run(lambda: hic.ice_normalization(C))
    row = {"task": f"ICE, {C.shape[0]} bins, {C.nnz // 2} non-zero pairs (no filter)", "pob_s": w, "pob_cpu_s": c,
           "iterations": res.n_iter, "converged": res.converged, "load": _load()}
    try:
        from iced.normalization import ICE_normalization
    except ImportError:
        print("iced not installed (pip install iced==0.6.0): reference skipped")
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wr, cr, (_, b_ref) = _run(lambda: ICE_normalization(sparse.triu(C).tocoo(), max_iter=3000, eps=1e-4,
                                                                 output_bias=True))
        b_ref = np.asarray(b_ref).ravel()
        ok = np.isfinite(res.bias)
        row.update({"ref": "iced 0.6.0 (sparse COO input, upper triangle)", "ref_s": wr, "ref_cpu_s": cr,
                    "ratio_cpu": cr / c, "max_abs_bias_diff": float(np.max(np.abs(res.bias[ok] - b_ref[ok]))),
                    "load_after": _load()})
    rows.append(row)
    return rows, res.bias


def bench_pm2(C, X, lengths, bias, *, factors, refine_max_iter, fixed_alpha_iter):
    rss0 = _rss_mb()
    model = hic.PM2(use_zero_counts="intra", random_state=0)
    ms = Multiscale(model, factors=factors, refine_max_iter=refine_max_iter, fixed_alpha_iter=fixed_alpha_iter)
    w, c, m = _run(lambda: ms.fit(C, bias=bias, lengths=lengths))
    d, r = per_chromosome(m.structure_, X, lengths)
    d0, r0 = per_chromosome(m.start_structure_, X, lengths)
    levels = []
    for lev, Xc in zip(m.levels_[:-1], m.coarse_structures_, strict=True):
        f = lev["factor"]
        Xt = np.vstack([X[a:a + L].reshape(-1, f, 3).mean(axis=1) if L % f == 0 else np.full((-(-L // f), 3), np.nan)
                        for a, L in zip(np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths, strict=True)])
        dc, rc = per_chromosome(Xc, Xt, -(-np.asarray(lengths) // f))
        levels.append({**lev, "median_dscc_vs_coarsened_truth": float(np.median(dc)), "min_dscc": float(dc.min()),
                       "median_rmsd": float(np.median(rc))})
    levels.append(m.levels_[-1])
    return [{"task": f"multiscale PM2, {C.shape[0]} bins, {len(lengths)} chromosomes, factors {factors}, "
                     f"refinement budgets {refine_max_iter}, fixed-alpha iterations {fixed_alpha_iter}",
             "pm2_s": w, "pm2_cpu_s": c, "levels": levels, "alpha_true": ALPHA_TRUE, "alpha_hat": m.alpha_,
             "alpha_fixed_at_finest": bool(m.extra_.get("alpha_fixed", False)), "converged": m.converged_,
             "message": m.message_, "median_dscc_per_chromosome": float(np.median(d)), "min_dscc": float(d.min()),
             "median_rmsd_per_chromosome": float(np.median(r)), "max_rmsd": float(r.max()),
             "start_median_dscc": float(np.median(d0)), "start_min_dscc": float(d0.min()),
             "start_median_rmsd": float(np.median(r0)), "peak_rss_mb": _rss_mb(), "rss_before_mb": rss0,
             "load": _load()}]


def _merge(update):
    data = json.loads(OUT.read_text()) if OUT.exists() else {}
    data.setdefault("sections", {})
    data.update({"machine": platform.platform(), "python": platform.python_version(), "cpu_count": os.cpu_count()})
    data["sections"].update(update)
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(data, indent=1, default=float))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="ice,pm2")
    parser.add_argument("--n-chrom", type=int, default=20)
    parser.add_argument("--per-chrom", type=int, default=1500)
    parser.add_argument("--factors", default="50,10")
    parser.add_argument("--refine-max-iter", default="300,30", help="budgets per refinement level, or 'none'")
    parser.add_argument("--fixed-alpha-iter", type=int, default=100)
    parser.add_argument("--mean-count", type=float, default=1.0, help="mean expected count per intra pair")
    parser.add_argument("--inter-scale", type=float, default=1.0, help="multiplier of the inter-chromosomal rates")
    args = parser.parse_args(argv)
    C, X, lengths, info = genome_map(n_chrom=args.n_chrom, per_chrom=args.per_chrom, mean_count=args.mean_count,
                                     inter_scale=args.inter_scale)
    print(json.dumps(info, default=float))
    label = f"{C.shape[0]} bins"
    t = time.perf_counter()
    rows, bias = bench_ice(C)
    if "ice" in args.only.split(","):
        print(json.dumps(rows, default=float))
        _merge({f"ice ({label}, model-based inter counts)": {"rows": rows, "map": info,
                                                             "seconds": time.perf_counter() - t}})
    if "pm2" in args.only.split(","):
        t = time.perf_counter()
        factors = tuple(int(f) for f in args.factors.split(","))
        caps = None if args.refine_max_iter == "none" else tuple(int(f) for f in args.refine_max_iter.split(","))
        rows = bench_pm2(C, X, lengths, bias, factors=factors, refine_max_iter=caps,
                         fixed_alpha_iter=args.fixed_alpha_iter)
        print(json.dumps(rows, default=float, indent=1))
        _merge({f"pm2 multiscale ({label}, factors {args.factors}, budgets {args.refine_max_iter}, "
                f"model-based inter counts)": {"rows": rows, "map": info, "seconds": time.perf_counter() - t}})


if __name__ == "__main__":
    main()
