# ruff: noqa: B023  (lambdas are called inside the loop that defines them)
"""Hi-C benchmarks: ICE against iced 0.6.0, structure inference against pastis 0.4.0.

Sections (``python benchmarks/bench_hic.py [--only a,b]``; results of each section are merged into
``benchmarks/results/hic.json``, so sections can be rerun separately):

- ``ice``: ICE bias and time against iced (same filtered matrix, same run).
- ``objective``: Poisson objective + gradient per evaluation (all pairs, zeros included).
- ``fits``: our MDS/PM1/PM2/NB on a simulated 200-bin map (time, iterations, recovery of the truth).
- ``pastis``: pastis 0.4.0 MDS and PM2 against ours on simulated 1,000- and 2,000-bin maps (needs pastis
  importable, see benchmarks/README.md): both trajectories traced, CPU time to equal objective (see
  :func:`bench_pastis`). ``pastis_trace`` (not run by default) only records pastis' trajectories.
- ``pastis_shared_start`` (not run by default; ``--shared-sizes``, ``--shared-cpu-cap``): our PM2 and pastis'
  PM2 Poisson phase from the same MDS start, both traced in one process (ours first), CPU time to equal objective
  (see :func:`bench_pastis_shared_start`).
- ``recovery``: MDS / PM2 / NB (our defaults) on simulated 200-bin maps, 5 seeds × 0.5 / 5 / 50 counts per pair:
  dSCC, RMSD to the truth and α̂ (mean ± sd).
- ``yeast``: the iced yeast sample (4 % filter, ICE bias): MDS, PM1, PM2 of pastis and ours, scored by pastis'
  own objective (non-zero pairs) and by ours.

The genome-wide scale test lives in ``bench_hic_genome.py``.

Timings: wall seconds and process CPU seconds, one run each, with ``os.getloadavg()`` recorded (the machine is
shared; ratios measured in the same run are what count).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import warnings
from pathlib import Path

import numpy as np
from scipy import sparse

from pyomics_bridge import hic
from pyomics_bridge.hic._distance import embed, geometry_of

OUT = Path(__file__).parent / "results" / "hic.json"
ALPHA0 = -3.0


def _run(func):
    """(wall s, CPU s, result) of one call."""
    w, c = time.perf_counter(), time.process_time()
    out = func()
    return time.perf_counter() - w, time.process_time() - c, out


def _load():
    return [round(x, 2) for x in os.getloadavg()]


def _pastis():
    """pastis 0.4.0 modules, or None (not installable on Python >= 3.12; see benchmarks/README.md)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pastis
            from pastis.optimization import mds as p_mds
            from pastis.optimization import poisson_structure as p_ps
        return {"version": pastis.__version__, "mds": p_mds, "ps": p_ps}
    except Exception as exc:  # noqa: BLE001 - any import failure means "not available"
        print(f"pastis not importable ({exc!r}): pastis comparisons skipped")
        return None


def _synthetic_counts(n, seed=0):
    rng = np.random.default_rng(seed)
    i, j = np.triu_indices(n, 1)
    b = np.exp(rng.normal(scale=0.3, size=n))
    c = rng.poisson(50.0 / (j - i + 1) * b[i] * b[j]).astype(float)
    keep = c > 0
    up = sparse.csr_matrix((c[keep], (i[keep], j[keep])), shape=(n, n))
    return (up + up.T).toarray()


def _simulated(n, seed=1, mean_count=5.0):
    rng = np.random.default_rng(seed)
    X = hic.random_walk(n, confinement=n ** (1 / 3) * 0.9, rng=rng)
    C, beta = hic.simulate_counts(X, mean_count=mean_count, rng=rng)
    return X, C, beta


# ---------------------------------------------------------------- objectives used to score any structure
def _mds_stress(X, pairs_nz, alpha=ALPHA0, beta=1.0):
    wish = hic.wish_distances(pairs_nz.counts, pairs_nz.bias_prod, alpha=alpha, beta=beta)
    return hic.mds_objective(X[pairs_nz.kept], pairs_nz.i, pairs_nz.j, wish)[0]


def _pm2_nll(X, pairs):
    """Poisson NLL at the best (α, β) for this structure (β profiled, α by a 1-D solve)."""
    a, b, f = hic.estimate_alpha_beta(X[pairs.kept], pairs, alpha0=ALPHA0)
    return float(f), float(a)


def _pm1_nll(X, pairs, alpha=ALPHA0, beta=1.0):
    return float(hic.poisson_objective(X[pairs.kept], pairs.i, pairs.j, pairs.counts, pairs.bias_prod,
                                       alpha=alpha, beta=beta)[0])


def _truth(X, truth):
    return {} if truth is None else {"dscc_truth": hic.dscc(X, truth), "rmsd_truth": hic.rmsd(X, truth)}


# ---------------------------------------------------------------- sections
def bench_ice():
    rows = []
    try:
        import iced
        from iced.filter import filter_low_counts
        from iced.normalization import ICE_normalization
    except ImportError:
        print("iced not installed (pip install iced==0.6.0): ICE comparison skipped")
        return rows
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
        w_ref, c_ref, (_, b_iced) = _run(lambda: ICE_normalization(filt.copy(), max_iter=3000, eps=1e-4,
                                                                   output_bias=True))
        csr = sparse.csr_matrix(filt)
        w_ours, c_ours, res = _run(lambda: hic.ice_normalization(csr))
        b_iced = np.asarray(b_iced).ravel()
        ok = np.isfinite(res.bias)
        rows.append({"task": f"ICE {name}", "pob_s": w_ours, "ref_s": w_ref, "pob_cpu_s": c_ours, "ref_cpu_s": c_ref,
                     "ratio_cpu": c_ref / c_ours, "ref": "iced 0.6.0 dense", "iterations": res.n_iter,
                     "max_abs_bias_diff": float(np.max(np.abs(res.bias[ok] - b_iced[ok]))), "load": _load()})
    return rows


def bench_objective():
    rows = []
    for n in (250, 500, 1000, 2000):
        X, C, beta = _simulated(n, seed=0)
        pairs = hic.make_pairs(C)
        geom = geometry_of(pairs)
        Y = np.random.default_rng(0).normal(size=X.shape)
        reps = 10
        w, c, _ = _run(lambda: [hic.poisson_objective(Y, pairs.i, pairs.j, pairs.counts, pairs.bias_prod, alpha=-3.0,
                                                      beta=beta, geometry=geom) for _ in range(reps)])
        rows.append({"task": f"Poisson objective+gradient, n={n} ({pairs.i.size} pairs, zeros included)",
                     "pob_s": w / reps, "pob_cpu_s": c / reps, "load": _load()})
    return rows


def bench_fits():
    rows = []
    X, C, beta = _simulated(200, seed=1)
    for name, model in (("MDS", hic.MDS(random_state=0)), ("PM1", hic.PM1(beta=beta, random_state=0)),
                        ("PM2", hic.PM2(random_state=0)),
                        ("PM2 alternate", hic.PM2(strategy="alternate", random_state=0)),
                        ("NB", hic.NegativeBinomialStructure(random_state=0))):
        w, c, m = _run(lambda model=model: model.fit(C))
        rows.append({"task": f"{name} fit, n=200, mean 5 counts/pair", "pob_s": w, "pob_cpu_s": c,
                     "iterations": m.n_iter_, "objective": m.objective_, "alpha_hat": m.alpha_,
                     "converged": m.converged_, **_truth(m.structure_, X), "load": _load()})
    return rows


def _compare(label, C, bias, truth, P, *, methods=("mds", "pm2", "pm1"), pastis_max_iter=10000):
    """pastis vs ours on one map. pastis: MDS2 (factr 1e12), PM1 and PM2 (max_iter_outer_loop=1: its 5 outer
    rounds repeat the identical fit, so 1 round gives the same structure at 1/5 of the default cost)."""
    rows = []
    n = C.shape[0]
    up = sparse.triu(sparse.csr_matrix(C), k=1).tocoo()
    kept_mask = np.ones(n, bool) if bias is None else np.isfinite(bias)
    b_p = None if bias is None else np.where(kept_mask, bias, 1.0).reshape(-1, 1)
    pairs_all = hic.make_pairs(C, bias=bias)
    pairs_nz = hic.make_pairs(C, bias=bias, use_zero_counts=False)

    def score(X):
        out = {"mds_stress_nonzero": _mds_stress(X, pairs_nz),
               "pm1_nll_nonzero": _pm1_nll(X, pairs_nz)}
        out["pm2_nll_nonzero"], out["alpha_hat_nonzero"] = _pm2_nll(X, pairs_nz)
        out["pm2_nll_all_pairs"], out["alpha_hat_all_pairs"] = _pm2_nll(X, pairs_all)
        return out

    ours = {
        "mds": lambda: hic.MDS(random_state=0, ftol=1e12 * np.finfo(float).eps).fit(C, bias=bias),
        "pm1": lambda: hic.PM1(beta=1.0, use_zero_counts=False, zero_pseudocount=0, random_state=0).fit(C, bias=bias),
        "pm2": lambda: hic.PM2(use_zero_counts=False, zero_pseudocount=0, random_state=0).fit(C, bias=bias),
        "pm2 (zeros, default)": lambda: hic.PM2(random_state=0).fit(C, bias=bias),
    }
    theirs = {}
    if P is not None:
        theirs = {
            "mds": lambda: P["mds"].MDS(alpha=ALPHA0, beta=1.0, random_state=0, bias=b_p, max_iter=pastis_max_iter).fit(up),
            "pm1": lambda: P["ps"].PM1(alpha=ALPHA0, beta=1.0, random_state=0, bias=b_p, max_iter=pastis_max_iter).fit(up),
            "pm2": lambda: P["ps"].PM2(alpha=ALPHA0, beta=1.0, random_state=0, bias=b_p, max_iter=pastis_max_iter,
                                       max_iter_outer_loop=1).fit(up),
        }
    for meth in (*methods, "pm2 (zeros, default)") if "pm2" in methods else methods:
        w, c, m = _run(ours[meth])
        Xo = m.structure_
        row = {"task": f"{label}: {meth}", "pob_s": w, "pob_cpu_s": c, "pob_iterations": m.n_iter_,
               "pob_alpha": m.alpha_, "pob": score(Xo), **{f"pob_{k}": v for k, v in _truth(Xo, truth).items()}}
        base = meth.split(" ")[0]
        if base in theirs and meth == base:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                wr, cr, Xp = _run(theirs[base])
            Xp = np.asarray(Xp, float).reshape(-1, 3)
            Xp[~kept_mask] = np.nan
            row.update({"ref": f"pastis {P['version']}", "ref_s": wr, "ref_cpu_s": cr, "ratio_cpu": cr / c,
                        "ratio_wall": wr / w, "ref_scores": score(Xp),
                        **{f"ref_{k}": v for k, v in _truth(Xp, truth).items()},
                        "pob_vs_ref_rmsd": hic.rmsd(Xo, Xp), "pob_vs_ref_dscc": hic.dscc(Xo, Xp)})
        row["load"] = _load()
        rows.append(row)
        print(json.dumps(row, default=float)[:600], flush=True)
        _save_partial(label, rows)
    return rows


# ---------------------------------------------------------------- traced pastis runs (time to equal objective)
TRACE_DIR = Path(os.environ.get("POB_HIC_TRACE_DIR", "/tmp/pob_hic_pastis_traces"))


def _pastis_pm2_traced(n, *, max_iter=10000, trace_dir=None):
    """Run pastis 0.4.0 PM2 (MDS2 start, then one Poisson structure fit at its estimated (α, β)) on the simulated
    ``n``-bin map and record every L-BFGS iterate with the process CPU time at which it was reached.

    The recording wraps ``scipy.optimize.fmin_l_bfgs_b`` (pastis calls it through ``optimize.fmin_l_bfgs_b``) to add
    an iteration callback; iterates are appended to ``<trace_dir>/n<n>/iterates.f64`` and a log line per iterate
    (phase, iteration, CPU s, wall s) to ``log.tsv``, so a run stopped early still leaves its trajectory. Time spent
    recording is subtracted from both clocks. Phase 1 is pastis' MDS2 (which is also what ``pastis.MDS`` computes
    with the same seed: same start, same objective, same factr), phase 2 the Poisson fit.
    """
    import scipy.optimize as so

    P = _pastis()
    if P is None:
        raise SystemExit("pastis is not importable: run with the pastis venv (benchmarks/README.md)")
    _, C, _ = _simulated(n, seed=1)
    up = sparse.triu(sparse.csr_matrix(C), k=1).tocoo()
    out = Path(trace_dir or TRACE_DIR) / f"n{n}"
    out.mkdir(parents=True, exist_ok=True)
    xs = open(out / "iterates.f64", "wb")
    log = open(out / "log.tsv", "w")
    log.write("phase\titer\tcpu_s\twall_s\tload1\n")
    st = {"phase": 0, "it": 0, "over_c": 0.0, "over_w": 0.0, "c0": time.process_time(), "w0": time.perf_counter()}
    orig = so.fmin_l_bfgs_b

    def record(x):
        c, w = time.process_time(), time.perf_counter()
        xs.write(np.asarray(x, np.float64).tobytes())
        xs.flush()
        log.write(f"{st['phase']}\t{st['it']}\t{c - st['c0'] - st['over_c']:.6f}\t{w - st['w0'] - st['over_w']:.6f}"
                  f"\t{os.getloadavg()[0]:.2f}\n")
        log.flush()
        st["it"] += 1
        st["over_c"] += time.process_time() - c
        st["over_w"] += time.perf_counter() - w

    def traced(func, x0, fprime=None, args=(), callback=None, **kw):
        if np.size(x0) != 3 * n:  # pastis' (α, β) estimation: not a structure
            return orig(func, x0, fprime, args, callback=callback, **kw)
        st["phase"] += 1
        st["it"] = 0
        record(x0)

        def cb(xk):
            record(xk)
            if callback is not None:
                callback(xk)

        return orig(func, x0, fprime, args, callback=cb, **kw)

    so.fmin_l_bfgs_b = traced
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            X = P["ps"].PM2(alpha=ALPHA0, beta=1.0, random_state=0, max_iter=max_iter, max_iter_outer_loop=1).fit(up)
    finally:
        so.fmin_l_bfgs_b = orig
    st["phase"] += 1
    st["it"] = 0
    record(np.asarray(X).ravel())  # phase 3: the returned structure (= last phase-2 iterate)
    log.write(f"# finished\t{time.strftime('%Y-%m-%dT%H:%M:%S')}\tmax_iter={max_iter}\tpastis={P['version']}\n")
    xs.close()
    log.close()
    return []


def _read_pastis_trace(n, trace_dir=None):
    """(log columns, iterates, finished, footer) of a traced pastis run, or None."""
    d = Path(trace_dir or TRACE_DIR) / f"n{n}"
    if not (d / "log.tsv").exists():
        return None
    lines = (d / "log.tsv").read_text().splitlines()
    footer = [ln for ln in lines if ln.startswith("#")]
    rows = np.array([[float(v) for v in ln.split("\t")] for ln in lines[1:] if ln and not ln.startswith("#")])
    X = np.fromfile(d / "iterates.f64")
    m = min(rows.shape[0], X.size // (3 * n))
    return {"phase": rows[:m, 0].astype(int), "iter": rows[:m, 1].astype(int), "cpu_s": rows[:m, 2],
            "wall_s": rows[:m, 3], "load1": rows[:m, 4], "X": X[: m * 3 * n].reshape(m, n, 3),
            "finished": bool(footer), "footer": footer}


class _Scored:
    """Lazily scored trajectory: ``score(k)`` caches the objective of iterate k."""

    def __init__(self, cpu_s, get_X, objective):
        self.cpu_s, self._get, self._obj, self.cache = np.asarray(cpu_s), get_X, objective, {}

    def score(self, k):
        if k not in self.cache:
            self.cache[k] = float(self._obj(self._get(k)))
        return self.cache[k]

    def first_reach(self, target, *, coarse=40, start=0):
        """First iterate (from ``start``) with objective <= target: scored on a grid, then every iterate in the
        bracketing interval (the objective along L-BFGS iterates is close to monotone)."""
        m = len(self.cpu_s)
        grid = np.unique(np.r_[np.linspace(start, m - 1, max(2, min(coarse, m - start))).astype(int), m - 1])
        prev = start
        for g in grid:
            if self.score(g) <= target:
                for k in range(prev, g + 1):
                    if self.score(k) <= target:
                        return k
            prev = g + 1
        return None

    def curve(self, idx):
        return [[float(self.cpu_s[k]), self.score(k)] for k in idx]


def _grid(lo, hi, k=30):
    return np.unique(np.linspace(lo, hi, min(k, hi - lo + 1)).astype(int)).tolist() if hi >= lo else []


def _equal_objective(n, load_trace, *, checkpoints=(0.25, 0.5, 1.0)):
    """Time to equal objective, ours vs a traced pastis run, for MDS (pastis' MDS2 phase) and PM2 (whole run).

    ``load_trace()`` returns the pastis trace (read after our fit, so a pastis run still going on in the
    background contributes every iterate it has reached)."""
    from pyomics_bridge.hic._optim import trace_iterations

    X_true, C, _ = _simulated(n, seed=1)
    pairs_nz = hic.make_pairs(C, use_zero_counts=False)
    rows = []
    specs = {
        # our defaults (ftol 2.2e-9); pastis' defaults (MDS2 factr 1e12 ≈ ftol 2.2e-4, Poisson factr 1e7)
        "mds": (lambda: hic.MDS(random_state=0), lambda X: _mds_stress(X, pairs_nz), lambda phase: phase == 1),
        "pm2": (lambda: hic.PM2(use_zero_counts=False, zero_pseudocount=0, random_state=0),
                lambda X: _pm2_nll(X, pairs_nz)[0], lambda phase: phase >= 1),
    }
    for meth, (make, objective, phases) in specs.items():
        # ours: one traced fit (CPU clock from the call, iterates recorded at every L-BFGS iteration)
        model = make()
        c0, w0 = time.process_time(), time.perf_counter()
        with trace_iterations() as tr:
            model.fit(C)
        c_tot, w_tot = time.process_time() - c0, time.perf_counter() - w0
        kept = model.kept_
        ours = _Scored(tr.cpu_s, lambda k: embed(tr.iterate(k)[0], kept, n), objective)
        # pastis: its iterates in the selected phases, with the CPU time at which each was reached
        P_trace = load_trace()
        pidx = np.flatnonzero(phases(P_trace["phase"]))
        pt = _Scored(P_trace["cpu_s"][pidx], lambda k: P_trace["X"][pidx[k]], objective)
        m = len(pidx)
        grid = _grid(0, m - 1)
        best_k = min(grid, key=pt.score)
        for k in range(max(0, best_k - 3), min(m, best_k + 4)):  # refine around the best scored iterate
            if pt.score(k) < pt.score(best_k):
                best_k = k
        cps = []
        for q in checkpoints:
            kq = best_k if q == 1.0 else int(np.searchsorted(pt.cpu_s, q * pt.cpu_s[best_k]))
            kq = min(kq, m - 1)
            target = pt.score(kq)
            ko = ours.first_reach(target)
            cps.append({"pastis_cpu_fraction": q, "pastis_iterate": int(kq), "pastis_cpu_s": float(pt.cpu_s[kq]),
                        "objective": target, "pob_iterate": None if ko is None else int(ko),
                        "pob_cpu_s": None if ko is None else float(ours.cpu_s[ko]),
                        "ratio_cpu": None if ko is None else float(pt.cpu_s[kq] / max(ours.cpu_s[ko], 1e-9))})
        phase_iters = {f"phase{p}": int((P_trace["phase"] == p).sum() - 1) for p in (1, 2) if (P_trace["phase"] == p).any()}
        p_done = (P_trace["phase"] == 3).any() if meth == "pm2" else (P_trace["phase"] == 2).any()
        best = cps[-1]
        row = {"task": f"simulated {n} bins, mean 5 counts/pair: {meth}, time to equal objective",
               "pob_cpu_s": c_tot, "pob_s": w_tot, "pob_iterations": len(tr) - tr._n_fits,
               "pob_objective": ours.score(len(tr) - 1), "pob_alpha": model.alpha_,
               **{f"pob_{k}": v for k, v in _truth(model.structure_, X_true).items()},
               "ref": "pastis 0.4.0", "ref_finished": bool(p_done), "ref_iterations": phase_iters,
               "ref_cpu_s_to_best": best["pastis_cpu_s"], "ref_wall_s_to_best": float(P_trace["wall_s"][pidx[best_k]]),
               "ref_best_objective": best["objective"],
               **{f"ref_{k}": v for k, v in _truth(P_trace["X"][pidx[best_k]], X_true).items()},
               "pob_cpu_s_to_ref_best": best["pob_cpu_s"], "ratio_cpu_equal_objective": best["ratio_cpu"],
               "checkpoints": cps, "ref_load1_mean": float(P_trace["load1"].mean()),
               "ref_cpu_s_per_iteration": {f"phase{p}": float(np.median(np.diff(P_trace["cpu_s"][P_trace["phase"] == p])))
                                           for p in (1, 2) if (P_trace["phase"] == p).sum() > 1},
               "pob_cpu_s_per_iteration": c_tot / max(len(tr) - tr._n_fits, 1),
               "pob_curve": ours.curve(sorted(set(_grid(0, len(tr) - 1, 25) + [best["pob_iterate"] or 0]))),
               "ref_curve": pt.curve(grid), "load": _load()}
        rows.append(row)
        print(json.dumps({k: v for k, v in row.items() if not k.endswith("curve")}, default=float)[:900], flush=True)
    return rows


_PARTIAL: dict = {}


def _save_partial(label, rows):
    _PARTIAL[label] = rows
    _merge({f"partial:{label}": rows})


PASTIS_SIZES = (1000, 2000)
PASTIS_MAX_ITER = 10000
REUSE_TRACES = False


def bench_pastis():
    """Time to equal objective against pastis 0.4.0 on simulated 1,000- and 2,000-bin maps (MDS and PM2).

    pastis' PM2 (MDS2 start, then the Poisson fit) is run once per size with every iterate traced
    (:func:`_pastis_pm2_traced`); its MDS2 phase is exactly ``pastis.MDS`` with the same seed. With
    ``--reuse-traces`` a trace left in ``TRACE_DIR`` by ``--only pastis_trace`` (possibly stopped early) is used.
    Then ours runs traced, and both trajectories are scored by the same functions (MDS stress; PM2 Poisson NLL on
    non-zero pairs at the best (α, β) for each structure). Reported: CPU time for pastis to reach its best
    objective and for ours to first reach that value (and pastis' values at 25 % and 50 % of its time).
    """
    rows = []
    for n in PASTIS_SIZES:
        if not (REUSE_TRACES and _read_pastis_trace(n) is not None):
            if _pastis() is None:
                continue
            _pastis_pm2_traced(n, max_iter=PASTIS_MAX_ITER)
        rows += _equal_objective(n, lambda n=n: _read_pastis_trace(n))
        _save_partial("pastis", rows)
    return rows


def bench_zeros():
    """Our default PM2 (zero counts included) on the 1,000-bin map of the pastis section: time and recovery."""
    rows = []
    X, C, _ = _simulated(1000, seed=1)
    w, c, m = _run(lambda: hic.PM2(random_state=0).fit(C))
    rows.append({"task": "simulated 1000 bins, mean 5 counts/pair: pm2 (zeros, default)", "pob_s": w, "pob_cpu_s": c,
                 "pob_iterations": m.n_iter_ + int(m.extra_.get("n_iter_mds", 0)), "pob_alpha": m.alpha_,
                 **{f"pob_{k}": v for k, v in _truth(m.structure_, X).items()}, "load": _load()})
    return rows


def bench_pastis_trace():
    """Only the traced pastis runs (long; run in the background, then ``--only pastis --reuse-traces``)."""
    if _pastis() is None:
        return []
    for n in PASTIS_SIZES:
        _pastis_pm2_traced(n, max_iter=PASTIS_MAX_ITER)
    return []


def bench_yeast():
    try:
        import iced
        from iced.filter import filter_low_counts
    except ImportError:
        print("iced not installed: yeast section skipped")
        return []
    P = _pastis()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        counts, _ = iced.datasets.load_sample_yeast()
        C = np.asarray(counts, float)
        filt = filter_low_counts(C.copy(), sparsity=False, percentage=0.04)
    filt = np.where(np.isnan(filt), 0.0, filt)
    res = hic.ice_normalization(sparse.csr_matrix(filt))
    return _compare("yeast sample (350 bins, 4 % filter, ICE bias)", filt, res.bias, None, P,
                    methods=("mds", "pm1", "pm2"))


# ---------------------------------------------------------------- pastis' Poisson phase from a shared start
SHARED_SIZES = (2000,)
SHARED_CPU_CAP = 480.0
SHARED_STOP_AT = None  # optional wall-clock deadline (epoch s) for pastis' fit on a loaded machine


class _CpuCap(Exception):
    """Raised from pastis' iteration callback when its CPU budget is spent."""


def _pastis_poisson_traced(P, up, X0, *, cpu_cap, max_iter=10000):
    """pastis 0.4.0's PM2 Poisson phase from ``X0``: its (α, β) estimation on ``X0`` then its Poisson structure fit
    (``poisson_structure.estimate_X(counts, alpha, beta, ini=X0)``), called as a black box. Every L-BFGS iterate is
    recorded with the process CPU time since the phase started (recording time subtracted); the fit is stopped
    (from the iteration callback) once ``cpu_cap`` CPU seconds are spent or the wall clock passes
    ``SHARED_STOP_AT`` (``--shared-stop-at``, for a loaded machine). Returns (cpu_s, iterates, α, β, finished).
    """
    import scipy.optimize as so
    from pastis.optimization import poisson_model as p_pm

    n = X0.shape[0]
    st = {"c0": time.process_time(), "over": 0.0, "cpu": [], "X": []}
    orig = so.fmin_l_bfgs_b

    def record(x):
        c = time.process_time()
        st["cpu"].append(c - st["c0"] - st["over"])
        st["X"].append(np.array(x, np.float64).reshape(n, 3))
        st["over"] += time.process_time() - c
        if st["cpu"][-1] > cpu_cap or (SHARED_STOP_AT is not None and time.time() > SHARED_STOP_AT):
            raise _CpuCap

    def traced(func, x0, fprime=None, args=(), callback=None, **kw):
        if np.size(x0) != 3 * n:  # not a structure fit
            return orig(func, x0, fprime, args, callback=callback, **kw)
        record(x0)
        return orig(func, x0, fprime, args, callback=record, **kw)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a, b = p_pm.estimate_alpha_beta(up, X0, ini=[ALPHA0, 1.0], random_state=0)
        so.fmin_l_bfgs_b = traced
        finished = True
        try:
            P["ps"].estimate_X(up, alpha=a, beta=b, ini=X0.copy(), random_state=0, maxiter=max_iter)
        except _CpuCap:
            finished = False
        finally:
            so.fmin_l_bfgs_b = orig
    return np.array(st["cpu"]), st["X"], float(np.ravel(a)[0]), float(np.ravel(b)[0]), finished


def bench_pastis_shared_start():
    """Our PM2 vs pastis 0.4.0's PM2 Poisson phase from the SAME start, in one process (ours first).

    Start X0: our MDS structure (``hic.MDS(random_state=0)``, not timed for either side). Ours:
    ``PM2(init=X0, use_zero_counts=False, zero_pseudocount=0)`` (pastis' model) to convergence, traced. pastis:
    :func:`_pastis_poisson_traced` (its (α, β) estimate on X0, then its Poisson fit), capped at
    ``SHARED_CPU_CAP`` CPU seconds. Both trajectories are scored by the same function (PM2 NLL on non-zero pairs at
    the best (α, β) for each structure). Reported: CPU time for each side to reach pastis' best objective, both
    final objectives, and curves.
    """
    from pyomics_bridge.hic._optim import trace_iterations

    P = _pastis()
    if P is None:
        return []
    rows = []
    for n in SHARED_SIZES:
        X_true, C, _ = _simulated(n, seed=1)
        up = sparse.triu(sparse.csr_matrix(C), k=1).tocoo()
        pairs_nz = hic.make_pairs(C, use_zero_counts=False)
        c_mds, m0 = time.process_time(), hic.MDS(random_state=0).fit(C)
        c_mds = time.process_time() - c_mds
        X0 = m0.structure_
        objective = lambda X: _pm2_nll(X, pairs_nz)[0]
        # ours first
        model = hic.PM2(init=X0, use_zero_counts=False, zero_pseudocount=0, random_state=0)
        c0 = time.process_time()
        with trace_iterations() as tr:
            model.fit(C)
        c_ours = time.process_time() - c0
        kept = model.kept_
        ours = _Scored(tr.cpu_s, lambda k: embed(tr.iterate(k)[0], kept, n), objective)
        # pastis, same process, same start
        cpu, Xs, a_p, b_p, finished = _pastis_poisson_traced(P, up, X0, cpu_cap=SHARED_CPU_CAP)
        pt = _Scored(cpu, lambda k: Xs[k], objective)
        m = len(Xs)
        grid = _grid(0, m - 1)
        best_k = min(grid, key=pt.score)
        for k in range(max(0, best_k - 3), min(m, best_k + 4)):
            if pt.score(k) < pt.score(best_k):
                best_k = k
        cps = []
        for q in (0.25, 0.5, 1.0):
            kq = min(best_k if q == 1.0 else int(np.searchsorted(pt.cpu_s, q * pt.cpu_s[best_k])), m - 1)
            target = pt.score(kq)
            ko = ours.first_reach(target)
            cps.append({"pastis_cpu_fraction": q, "pastis_iterate": int(kq), "pastis_cpu_s": float(pt.cpu_s[kq]),
                        "objective": target, "pob_iterate": None if ko is None else int(ko),
                        "pob_cpu_s": None if ko is None else float(ours.cpu_s[ko]),
                        "ratio_cpu": None if ko is None else float(pt.cpu_s[kq] / max(ours.cpu_s[ko], 1e-9))})
        best = cps[-1]
        row = {"task": f"simulated {n} bins, mean 5 counts/pair: PM2 Poisson phase from a shared MDS start",
               "start": "ours hic.MDS(random_state=0) structure", "start_cpu_s": c_mds,
               "start_objective": pt.score(0),
               "pob_cpu_s": c_ours, "pob_iterations": len(tr) - tr._n_fits, "pob_converged": model.converged_,
               "pob_objective": ours.score(len(tr) - 1), "pob_alpha": model.alpha_,
               **{f"pob_{k}": v for k, v in _truth(model.structure_, X_true).items()},
               "ref": f"pastis {P['version']} poisson_model.estimate_alpha_beta + poisson_structure.estimate_X",
               "ref_cpu_cap_s": SHARED_CPU_CAP, "ref_stop_at": SHARED_STOP_AT, "ref_finished": finished, "ref_iterations": m - 1,
               "ref_alpha": a_p, "ref_beta": b_p, "ref_cpu_s_total": float(cpu[-1]),
               "ref_cpu_s_to_best": best["pastis_cpu_s"], "ref_best_objective": best["objective"],
               "ref_final_objective": pt.score(m - 1),
               **{f"ref_{k}": v for k, v in _truth(Xs[best_k], X_true).items()},
               "pob_cpu_s_to_ref_best": best["pob_cpu_s"], "ratio_cpu_equal_objective": best["ratio_cpu"],
               "checkpoints": cps,
               "ref_cpu_s_per_iteration": float(np.median(np.diff(cpu))) if m > 1 else None,
               "pob_cpu_s_per_iteration": c_ours / max(len(tr) - tr._n_fits, 1),
               "pob_curve": ours.curve(sorted(set(_grid(0, len(tr) - 1, 25) + [best["pob_iterate"] or 0]))),
               "ref_curve": pt.curve(grid), "load": _load()}
        rows.append(row)
        print(json.dumps({k: v for k, v in row.items() if not k.endswith("curve")}, default=float)[:1500], flush=True)
        _save_partial("pastis_shared_start", rows)
    return rows


# ---------------------------------------------------------------- recovery of the truth vs coverage
RECOVERY_SEEDS = (1, 2, 3, 4, 5)
RECOVERY_COVERAGE = (0.5, 5.0, 50.0)


def bench_recovery():
    """Recovery of the simulated truth (200 bins) at mean 0.5 / 5 / 50 counts per pair, 5 seeds each: our MDS,
    PM2 and NB with their defaults (zero counts included where the model uses them). dSCC and RMSD to the truth
    (after superposition) and PM2's α̂ (truth −3): mean ± sd over seeds, and every run."""
    fits = {"MDS": lambda: hic.MDS(random_state=0), "PM2": lambda: hic.PM2(random_state=0),
            "NB": lambda: hic.NegativeBinomialStructure(random_state=0)}
    rows = []
    for cov in RECOVERY_COVERAGE:
        runs = {k: [] for k in fits}
        for seed in RECOVERY_SEEDS:
            X, C, _ = _simulated(200, seed=seed, mean_count=cov)
            for name, make in fits.items():
                c0 = time.process_time()
                try:
                    m = make().fit(C)
                    runs[name].append({"seed": seed, "cpu_s": time.process_time() - c0, "alpha_hat": m.alpha_,
                                       "converged": m.converged_, **_truth(m.structure_, X)})
                except Exception as exc:  # noqa: BLE001 - record the failure, keep going
                    runs[name].append({"seed": seed, "error": repr(exc)})
        for name, rs in runs.items():
            ok = [r for r in rs if "error" not in r]
            row = {"task": f"recovery, 200 bins, mean {cov:g} counts/pair: {name}", "method": name,
                   "mean_count": cov, "n_seeds": len(rs), "n_failed": len(rs) - len(ok)}
            for key in ("dscc_truth", "rmsd_truth", "cpu_s") + (("alpha_hat",) if name == "PM2" else ()):
                v = np.array([r[key] for r in ok], float)
                row[f"{key}_mean"] = float(v.mean()) if v.size else None
                row[f"{key}_sd"] = float(v.std(ddof=1)) if v.size > 1 else None
            row.update({"runs": rs, "load": _load()})
            rows.append(row)
            print(json.dumps({k: v for k, v in row.items() if k != "runs"}, default=float), flush=True)
        _save_partial("recovery", rows)
    return rows



SECTIONS = {"ice": bench_ice, "objective": bench_objective, "fits": bench_fits, "pastis": bench_pastis,
            "zeros": bench_zeros, "yeast": bench_yeast, "recovery": bench_recovery}
EXTRA_SECTIONS = {"pastis_trace": bench_pastis_trace, "pastis_shared_start": bench_pastis_shared_start}


def _merge(update):
    data = json.loads(OUT.read_text()) if OUT.exists() else {}
    if "sections" not in data:
        data = {"sections": {}}
    data.update({"machine": platform.platform(), "python": platform.python_version(), "cpu_count": os.cpu_count()})
    for k, v in update.items():
        if k.startswith("partial:"):
            data["sections"][k] = v
        else:
            data["sections"][k] = v
            data["sections"].pop(f"partial:{k}", None)
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(data, indent=1, default=float))


def main(argv=None):
    global OUT, PASTIS_MAX_ITER, PASTIS_SIZES, REUSE_TRACES, TRACE_DIR, SHARED_SIZES, SHARED_CPU_CAP, SHARED_STOP_AT
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections")
    parser.add_argument("--out", default=str(OUT), help="JSON file to merge the results into")
    parser.add_argument("--pastis-max-iter", type=int, default=10000, help="pastis' max_iter (per L-BFGS fit)")
    parser.add_argument("--sizes", default="1000,2000", help="map sizes of the pastis sections")
    parser.add_argument("--trace-dir", default=str(TRACE_DIR), help="where traced pastis runs are written")
    parser.add_argument("--reuse-traces", action="store_true", help="use existing pastis traces (pastis section)")
    parser.add_argument("--shared-sizes", default="2000", help="map sizes of the pastis_shared_start section")
    parser.add_argument("--shared-cpu-cap", type=float, default=480.0,
                        help="CPU seconds allowed to pastis' Poisson phase (pastis_shared_start)")
    parser.add_argument("--shared-stop-at", default=None,
                        help="UTC time HH:MM after which pastis' fit is stopped (pastis_shared_start)")
    args = parser.parse_args(argv)
    if args.shared_stop_at:
        import datetime as dt

        now = dt.datetime.now(dt.timezone.utc)
        hh, mm = (int(v) for v in args.shared_stop_at.split(":"))
        SHARED_STOP_AT = now.replace(hour=hh, minute=mm, second=0, microsecond=0).timestamp()
    SHARED_SIZES = tuple(int(v) for v in args.shared_sizes.split(","))
    SHARED_CPU_CAP = args.shared_cpu_cap
    OUT = Path(args.out)
    PASTIS_MAX_ITER = args.pastis_max_iter
    PASTIS_SIZES = tuple(int(v) for v in args.sizes.split(","))
    REUSE_TRACES = args.reuse_traces
    TRACE_DIR = Path(args.trace_dir)
    for name in args.only.split(","):
        t = time.perf_counter()
        rows = {**SECTIONS, **EXTRA_SECTIONS}[name]()
        for r in rows:
            print(name, json.dumps(r, default=float)[:400])
        for k in list(_PARTIAL):
            _merge({f"partial:{k}": []})
        data = json.loads(OUT.read_text()) if OUT.exists() else {"sections": {}}
        for k in [k for k in data.get("sections", {}) if k.startswith("partial:")]:
            data["sections"].pop(k)
        OUT.write_text(json.dumps(data, indent=1, default=float))
        if name == "pastis" and not any("ref" in r for r in rows):
            name = "pastis_ours_only"  # pastis unavailable: keep the stored comparison
        _merge({name: {"rows": rows, "seconds": time.perf_counter() - t}})
        _PARTIAL.clear()


if __name__ == "__main__":
    main()
