"""PWM scanning against MOODS and Biopython in one run; co-factor features; hits identical to MOODS.

Workload (issue 6): best score of every JASPAR2024 CORE vertebrate motif (879, via pyjaspar; random JASPAR-like
matrices when pyjaspar is absent) over N sequences x 1 kb, both strands.

- ours: :class:`pob.regulatory.MultiScanner` best score per (sequence, motif), exact (float32 sums), with
  ``n_jobs`` threads (``POB_BENCH_JOBS``, default 2) and with 1 thread;
- MOODS 1.9.4.1 (``MOODS.scan.Scanner``, C++, single-threaded through its Python API): hits at p < 1e-4 on both
  strands; its time includes ``threshold_from_p`` for all matrices (MOODS needs thresholds to scan) and is also
  reported without it;
- Biopython (``PSSM.calculate`` on the sequence and its reverse complement): timed on a subsample of
  ``POB_BENCH_BIO`` sequences (all motifs) and scaled linearly to N.

Sequences are processed in blocks, alternating the tools, so that load changes on a shared machine hit all of them
alike; ``os.getloadavg()`` is recorded. Hit calling: our hits at p < 1e-4 (exact thresholds from the score
distribution) are compared with MOODS' hits at the same thresholds on the first ``POB_BENCH_HITS`` sequences.

Run: ``python benchmarks/bench_regulatory.py scan`` (env: ``POB_BENCH_NSEQ`` (default 10000), ``POB_BENCH_LEN``
(1000)); writes benchmarks/results/regulatory.json.

``python benchmarks/bench_regulatory.py models`` writes benchmarks/results/regulatory_models.json: TFscope-like
models next to the k-mer and CNN baselines on the same kept sequences and the same split, for the synthetic
``calibrated`` scenario (2 x 400 x 1 kb, seed 0, the docs example) and for the real Oct4 vs MafK peaks of the
janggu wheel (``POB_BENCH_NREAL`` = 1,000 peaks drawn per class; anchoring-free; JASPAR2024 co-factors;
chromosome split: test = chr1, chr2, chr3), when available.
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from pyomics_bridge import regulatory as R
from pyomics_bridge.regulatory._multiscan import MultiScanner

N_SEQ = int(os.environ.get("POB_BENCH_NSEQ", "10000"))
LENGTH = int(os.environ.get("POB_BENCH_LEN", "1000"))
BLOCK = int(os.environ.get("POB_BENCH_BLOCK", "500"))
N_JOBS = int(os.environ.get("POB_BENCH_JOBS", "2"))
N_BIO = int(os.environ.get("POB_BENCH_BIO", "4"))
N_HITS = int(os.environ.get("POB_BENCH_HITS", "300"))
N_COF = int(os.environ.get("POB_BENCH_NCOF", "1000"))
N_REAL = int(os.environ.get("POB_BENCH_NREAL", "1000"))  # Oct4 and MafK peaks drawn (seeded) per class
PVALUE = 1e-4


def _motifs():
    try:
        motifs = R.jaspar_motifs(release="JASPAR2024")
        return "JASPAR2024 CORE vertebrates (pyjaspar)", [R.log_odds(m) for m in motifs]
    except ImportError:
        rng = np.random.default_rng(1)
        widths = rng.choice(np.arange(6, 22), size=879)
        return "random (pyjaspar absent)", [R.log_odds(rng.dirichlet(np.full(4, 0.4), size=w)) for w in widths]


def main() -> dict:
    t0 = time.perf_counter()
    source, pwms = _motifs()
    rng = np.random.default_rng(0)
    codes = R.sample_markov(R._simulate.BACKGROUND_CHAIN, N_SEQ, LENGTH, rng)
    out: dict = {"machine": platform.platform(), "cpu_count": os.cpu_count(), "n_sequences": N_SEQ,
                 "length": LENGTH, "n_motifs": len(pwms), "motifs": source,
                 "mean_motif_width": float(np.mean([p.shape[0] for p in pwms])), "both_strands": True,
                 "loadavg_start": os.getloadavg()}
    t = time.perf_counter()
    scanner = MultiScanner(pwms)
    out["ours_build_s"] = time.perf_counter() - t
    try:
        import MOODS.scan
        import MOODS.tools

        have_moods = True
        mats = [p.T.tolist() for p in pwms]
        t, c = time.perf_counter(), time.process_time()
        mthr = [MOODS.tools.threshold_from_p(m, [0.25] * 4, PVALUE) for m in mats]
        out["moods_thresholds_s"] = time.perf_counter() - t
        out["moods_thresholds_cpu_s"] = time.process_time() - c
        t = time.perf_counter()
        ms = MOODS.scan.Scanner(7)
        ms.set_motifs(mats + [MOODS.tools.reverse_complement(m) for m in mats], [0.25] * 4, mthr + mthr)
        out["moods_build_s"] = time.perf_counter() - t
        out["moods_version"] = "MOODS-python 1.9.4.1"
    except ImportError:
        have_moods = False
    ours = ours1 = moods = 0.0
    cpu = {"ours": 0.0, "ours1": 0.0, "moods": 0.0}  # process CPU time (all threads): robust to machine load
    n_moods_hits = 0
    seqs_all = R.decode(codes)
    for s in range(0, N_SEQ, BLOCK):
        blk = codes[s : s + BLOCK]
        t, c = time.perf_counter(), time.process_time()
        scanner.best_scores(blk, n_jobs=N_JOBS)
        ours += time.perf_counter() - t
        cpu["ours"] += time.process_time() - c
        if N_JOBS != 1:
            t, c = time.perf_counter(), time.process_time()
            scanner.best_scores(blk, n_jobs=1)
            ours1 += time.perf_counter() - t
            cpu["ours1"] += time.process_time() - c
        if have_moods:
            t, c = time.perf_counter(), time.process_time()
            for seq in seqs_all[s : s + BLOCK]:
                n_moods_hits += sum(len(r) for r in ms.scan(seq))
            moods += time.perf_counter() - t
            cpu["moods"] += time.process_time() - c
    out["ours_best_scores_s"] = ours
    out["ours_n_jobs"] = N_JOBS
    out["ours_best_scores_1thread_s"] = ours1 if N_JOBS != 1 else ours
    out["ours_best_scores_cpu_s"] = cpu["ours"]
    out["ours_best_scores_1thread_cpu_s"] = cpu["ours1"] if N_JOBS != 1 else cpu["ours"]
    out["loadavg_after_scan"] = os.getloadavg()
    if have_moods:
        out["moods_scan_s"] = moods
        out["moods_total_s"] = moods + out["moods_thresholds_s"] + out["moods_build_s"]
        out["moods_hits"] = n_moods_hits
        out["ratio_ours_vs_moods_total"] = (ours + out["ours_build_s"]) / out["moods_total_s"]
        out["ratio_ours_vs_moods_scan_only"] = ours / moods
        out["moods_scan_cpu_s"] = cpu["moods"]
        out["cpu_ratio_ours_1thread_vs_moods_scan_only"] = out["ours_best_scores_1thread_cpu_s"] / cpu["moods"]
        out["ratio_ours_1thread_vs_moods_total"] = (out["ours_best_scores_1thread_s"] + out["ours_build_s"]) / \
            out["moods_total_s"]
    # Biopython on a subsample
    try:
        from Bio.motifs.matrix import PositionSpecificScoringMatrix
        from Bio.Seq import Seq

        pssms = [PositionSpecificScoringMatrix("ACGT", {b: p[:, j].tolist() for j, b in enumerate("ACGT")})
                 for p in pwms]
        sub = seqs_all[:N_BIO]
        t, c = time.perf_counter(), time.process_time()
        bio = np.empty((len(sub), len(pssms)))
        for i, seq in enumerate(sub):
            f, r = Seq(seq), Seq(seq).reverse_complement()
            for j, pssm in enumerate(pssms):
                bio[i, j] = max(np.max(pssm.calculate(f)), np.max(pssm.calculate(r)))
        el = time.perf_counter() - t
        out["biopython_cpu_s_per_sequence"] = (time.process_time() - c) / len(sub)
        ref = scanner.best_scores(codes[:N_BIO])[:, :, 0]
        out["biopython_sequences_timed"] = len(sub)
        out["biopython_s_per_sequence"] = el / len(sub)
        out["biopython_extrapolated_s"] = el / len(sub) * N_SEQ
        out["biopython_max_abs_diff"] = float(np.max(np.abs(bio - ref)))
        out["speedup_vs_biopython"] = out["biopython_extrapolated_s"] / (ours + out["ours_build_s"])
        out["speedup_1thread_vs_biopython"] = out["biopython_extrapolated_s"] / (
            out["ours_best_scores_1thread_s"] + out["ours_build_s"])
        out["cpu_speedup_1thread_vs_biopython"] = out["biopython_cpu_s_per_sequence"] * N_SEQ / \
            out["ours_best_scores_1thread_cpu_s"]
    except ImportError:
        out["biopython"] = "not installed"
    # hits identical to MOODS at the same (exact) thresholds
    if have_moods:
        thr = np.array([R.threshold_from_pvalue(p, PVALUE) for p in pwms])
        t = time.perf_counter()
        hits = scanner.hits(codes[:N_HITS], thr, n_jobs=N_JOBS)
        out["ours_hits_s"] = time.perf_counter() - t
        wmin = min(p.shape[0] for p in pwms)
        ms2 = MOODS.scan.Scanner(min(wmin, 7))  # window <= shortest motif: MOODS skips the last window otherwise
        ms2.set_motifs(mats + [MOODS.tools.reverse_complement(m) for m in mats], [0.25] * 4, list(thr) * 2)
        theirs = set()
        M = len(pwms)
        for i, seq in enumerate(seqs_all[:N_HITS]):
            for j, res in enumerate(ms2.scan(seq)):
                theirs |= {(i, j % M, h.pos, "+" if j < M else "-") for h in res}
        mine = set(zip(hits["sequence"], hits["motif"], hits["start"], hits["strand"], strict=True))
        out["hits_compared_sequences"] = N_HITS
        out["hits_ours"] = len(mine)
        out["hits_moods"] = len(theirs)
        out["hits_only_ours"] = len(mine - theirs)
        out["hits_only_moods"] = len(theirs - mine)
        out["hits_identical"] = mine == theirs
        out["threshold_median_abs_diff_vs_moods_threshold_from_p"] = float(np.median(np.abs(thr - np.array(mthr))))
    # co-factor features (TFscope step): 3 windows, core masked, N_COF x 500 bp, scaled to 10,000
    cof_codes = codes[:N_COF, :500]
    pw = {f"m{i}": p for i, p in enumerate(pwms)}
    t, c = time.perf_counter(), time.process_time()
    R.cofactor_features(cof_codes, pw, 12, windows=(50, 150, 500), n_jobs=1)
    el = time.perf_counter() - t
    out["cofactor_features_1thread_cpu_s"] = time.process_time() - c
    out["cofactor_features_1thread_cpu_extrapolated_10000x500_s"] = out["cofactor_features_1thread_cpu_s"] * \
        10_000 / N_COF
    out["cofactor_features_s"] = el
    out["cofactor_features_sequences"] = N_COF
    out["cofactor_features_extrapolated_10000x500_s"] = el * 10_000 / N_COF
    out["loadavg_end"] = os.getloadavg()
    out["total_s"] = time.perf_counter() - t0
    path = Path(__file__).parent / "results" / os.environ.get("POB_BENCH_OUT", "regulatory.json")
    path.write_text(json.dumps(out, indent=2, default=float))
    return out


def _baselines(codes, y, kept, split, random_state=0) -> dict:
    rows = np.nonzero(kept)[0]
    tr = np.nonzero(split == "train")[0]
    te = np.nonzero(split == "test")[0]
    out = {}
    t = time.perf_counter()
    out["kmer5_test_auc"] = R.kmer_baseline(codes[rows], y[rows], k=5, train=tr, test=te,
                                            random_state=random_state)["test_auc"]
    out["kmer5_s"] = time.perf_counter() - t
    try:
        t = time.perf_counter()
        cnn = R.cnn_baseline(codes[rows], y[rows], train=tr, test=te, random_state=random_state)
        out.update({"cnn_test_auc": cnn["test_auc"], "cnn_best_epoch": cnn["best_epoch"],
                    "cnn_parameters": cnn["n_parameters"], "cnn_s": time.perf_counter() - t})
    except ImportError:
        out["cnn"] = "torch not installed"
    return out


def models() -> dict:
    out: dict = {"machine": platform.platform(), "cpu_count": os.cpu_count(), "loadavg_start": os.getloadavg()}
    sim = R.simulate_tf_binding(n_per_class=400, length=1000, scenario="calibrated", random_state=0)
    m = sim["motifs"]
    t = time.perf_counter()
    ad = R.tfscope(sim["codes"], sim["y"], m["target"], m["cofactors"] + m["decoys"], stability=0, random_state=0,
                   n_jobs=N_JOBS)
    res = {"tfscope_s": time.perf_counter() - t,
           "tfscope_test_auc": ad.uns["tfscope"]["auc"]["test_auc"].round(4).to_dict()}
    kept = ad.uns["tfscope"]["kept"]
    res.update(_baselines(sim["codes"], sim["y"].astype(int), kept, ad.obs["split"].to_numpy()))
    out["synthetic_calibrated_2x400x1kb_seed0"] = res
    try:
        from pyomics_bridge.regulatory._realdata import janggu_peaks

        peaks = janggu_peaks()
        motifs = R.jaspar_motifs(release="JASPAR2024")
    except (FileNotFoundError, ImportError) as exc:
        out["oct4_vs_mafk"] = f"skipped: {exc}"
    else:
        rng = np.random.default_rng(0)
        pick = {k: np.sort(rng.choice(len(v[1]), N_REAL, replace=False)) for k, v in peaks.items()}
        seqs = [peaks[k][1][i] for k in ("oct4", "mafk") for i in pick[k]]
        names = [peaks[k][0][i] for k in ("oct4", "mafk") for i in pick[k]]
        y = np.r_[np.ones(N_REAL, int), np.zeros(N_REAL, int)]
        codes = R.encode_batch(seqs)
        t = time.perf_counter()
        ad = R.tfscope(codes, y, None, motifs, cofactor_windows=(50, 100), env_bins=(50, 100), stability=0, cv=3,
                       random_state=0, names=names, test_chromosomes=["chr1", "chr2", "chr3"],
                       chromosomes="names", n_jobs=N_JOBS)
        res = {"n_oct4": int(y.sum()), "n_mafk": int((1 - y).sum()), "n_motifs": len(motifs),
               "n_train": int((ad.obs["split"] == "train").sum()),
               "tfscope_s": time.perf_counter() - t,
               "tfscope_test_auc": ad.uns["tfscope"]["auc"]["test_auc"].round(4).to_dict(),
               "n_test": int((ad.obs["split"] == "test").sum())}
        var = ad.var[ad.var["family"] == "cofactor"]
        top = var.reindex(var["coef_cofactor"].abs().sort_values(ascending=False).index[:10])
        res["top_cofactors"] = [f"{r.motif} ({'+' if r.coef_cofactor > 0 else '-'})" for r in top.itertuples()]
        res.update(_baselines(codes, y, ad.uns["tfscope"]["kept"], ad.obs["split"].to_numpy()))
        out["oct4_vs_mafk"] = res
    out["loadavg_end"] = os.getloadavg()
    path = Path(__file__).parent / "results" / "regulatory_models.json"
    path.write_text(json.dumps(out, indent=2, default=float))
    return out


if __name__ == "__main__":
    import sys

    what = sys.argv[1] if len(sys.argv) > 1 else "scan"
    for k, v in (models() if what == "models" else main()).items():
        print(f"{k}: {v}")
