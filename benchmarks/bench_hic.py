# ruff: noqa: B023  (lambdas are called inside the loop that defines them)
"""Hi-C benchmarks: ICE against iced 0.6.0, structure inference against pastis 0.4.0, genome-wide scale.

Sections (``python benchmarks/bench_hic.py [--only a,b]``; results of each section are merged into
``benchmarks/results/hic.json``, so sections can be rerun separately):

- ``ice``: ICE bias and time against iced (same filtered matrix, same run).
- ``objective``: Poisson objective + gradient per evaluation (all pairs, zeros included).
- ``fits``: our MDS/PM1/PM2/NB on a simulated 200-bin map (time, iterations, recovery of the truth).
- ``pastis``: pastis 0.4.0 MDS and PM2 against ours on a simulated 1,000-bin map (needs pastis importable, see
  benchmarks/README.md); time ratio and objectives (pastis' structure evaluated with our objective too).
- ``yeast``: the iced yeast sample (4 % filter, ICE bias): MDS, PM1, PM2 of pastis and ours, scored by pastis'
  own objective (non-zero pairs) and by ours.
- ``genome``: a simulated multi-chromosome map of ~30,000 bins: ICE and PM2 (intra-chromosomal zeros), time
  and peak memory.

Timings: wall seconds and process CPU seconds, one run each, with ``os.getloadavg()`` recorded (the machine is
shared; ratios measured in the same run are what count).
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
from pyomics_bridge.hic._distance import geometry_of

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


_PARTIAL: dict = {}


def _save_partial(label, rows):
    _PARTIAL[label] = rows
    _merge({f"partial:{label}": rows})


PASTIS_MAX_ITER_1000 = 10000


def bench_pastis():
    """1,000 bins. ``--pastis-max-iter`` caps pastis' L-BFGS iterations per fit (its O(n·nnz) gradient makes a full
    PM2 run take hours on a loaded machine); rows then say ``ref_max_iter`` and the ratio is a lower bound."""
    P = _pastis()
    X, C, _ = _simulated(1000, seed=1)
    rows = _compare("simulated 1000 bins, mean 5 counts/pair", C, None, X, P, methods=("mds", "pm2"),
                    pastis_max_iter=PASTIS_MAX_ITER_1000)
    for r in rows:
        if "ref" in r:
            r["ref_max_iter"] = PASTIS_MAX_ITER_1000
    return rows


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


def _genome_map(n_chrom=20, per_chrom=1500, mean_count=1.0, inter_rate=0.01, seed=0):
    """Multi-chromosome map: a confined random walk per chromosome (chromosome territories at random centres),
    Poisson counts within chromosomes and sparse inter-chromosomal counts at ``inter_rate`` per pair."""
    rng = np.random.default_rng(seed)
    blocks, Xs, offset = [], [], 0
    rows, cols, vals = [], [], []
    for _ in range(n_chrom):
        X = hic.random_walk(per_chrom, confinement=per_chrom ** (1 / 3) * 0.9, rng=rng) + rng.normal(scale=30, size=3)
        Ck, _ = hic.simulate_counts(X, mean_count=mean_count, rng=rng)
        up = sparse.triu(Ck, k=1).tocoo()
        rows.append(up.row + offset)
        cols.append(up.col + offset)
        vals.append(up.data)
        Xs.append(X)
        blocks.append(per_chrom)
        offset += per_chrom
    n = offset
    n_inter = int(inter_rate * (n * n - sum(b * b for b in blocks)) / 2)
    a, b = rng.integers(0, n, size=n_inter), rng.integers(0, n, size=n_inter)
    chrom = np.repeat(np.arange(n_chrom), per_chrom)
    keep = chrom[a] != chrom[b]
    rows.append(np.minimum(a, b)[keep])
    cols.append(np.maximum(a, b)[keep])
    vals.append(np.ones(int(keep.sum())))
    up = sparse.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n)).tocsr()
    return (up + up.T).tocsr(), np.vstack(Xs), blocks


def bench_genome(max_iter=15):
    """Scale test: ``max_iter`` L-BFGS iterations for the MDS start and for PM2 (not run to convergence on the
    shared machine); reports time per iteration and peak memory."""
    C, X, lengths = _genome_map()
    n = C.shape[0]
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    w_ice, c_ice, res = _run(lambda: hic.ice_normalization(C))
    w, c, m = _run(lambda: hic.PM2(use_zero_counts="intra", max_iter=max_iter, random_state=0).fit(
        C, bias=res.bias, lengths=lengths))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    per = [hic.dscc(m.structure_[k * lengths[0]:(k + 1) * lengths[0]], X[k * lengths[0]:(k + 1) * lengths[0]])
           for k in range(len(lengths))]
    return [{"task": f"genome-wide simulated map: {n} bins, {len(lengths)} chromosomes, {C.nnz // 2} non-zero pairs",
             "ice_s": w_ice, "ice_cpu_s": c_ice, "ice_iterations": res.n_iter,
             "pm2_s": w, "pm2_cpu_s": c, "pm2_pairs": m.n_pairs_, "pm2_iterations": m.n_iter_, "max_iter": max_iter,
             "mds_start_iterations": int(m.extra_.get("n_iter_mds", 0)),
             "cpu_s_per_iteration": c / max(m.n_iter_ + int(m.extra_.get("n_iter_mds", 0)), 1),
             "pm2_converged": m.converged_, "alpha_hat": m.alpha_, "median_dscc_per_chromosome": float(np.median(per)),
             "peak_rss_mb": rss, "rss_before_mb": rss0, "load": _load()}]


SECTIONS = {"ice": bench_ice, "objective": bench_objective, "fits": bench_fits, "pastis": bench_pastis,
            "yeast": bench_yeast, "genome": bench_genome}


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
    global OUT, PASTIS_MAX_ITER_1000
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections")
    parser.add_argument("--out", default=str(OUT), help="JSON file to merge the results into")
    parser.add_argument("--pastis-max-iter", type=int, default=10000, help="pastis iteration cap, 1,000-bin map")
    args = parser.parse_args(argv)
    OUT = Path(args.out)
    PASTIS_MAX_ITER_1000 = args.pastis_max_iter
    for name in args.only.split(","):
        t = time.perf_counter()
        rows = SECTIONS[name]()
        for r in rows:
            print(name, json.dumps(r, default=float)[:400])
        for k in list(_PARTIAL):
            _merge({f"partial:{k}": []})
        data = json.loads(OUT.read_text()) if OUT.exists() else {"sections": {}}
        for k in [k for k in data.get("sections", {}) if k.startswith("partial:")]:
            data["sections"].pop(k)
        OUT.write_text(json.dumps(data, indent=1, default=float))
        _merge({name: {"rows": rows, "seconds": time.perf_counter() - t}})
        _PARTIAL.clear()


if __name__ == "__main__":
    main()
