"""PWM scanning against MOODS and Biopython in one run; co-factor features; hits identical to MOODS.

Workload (issue 6): best score of every JASPAR2024 CORE vertebrate motif (879, via pyjaspar; random JASPAR-like
matrices when pyjaspar is absent) over N sequences x 1 kb, both strands. Timed in the same run, each as one call
over all N sequences (wall and process CPU seconds, ``os.getloadavg()`` before and after each):

- ours, the PUBLIC call ``pob.regulatory.scan(seqs, motifs, n_jobs=...)`` (strings and JASPAR motif objects in;
  log-odds, table build, best score + leftmost best window + strand per sequence x motif, DataFrames out), with
  ``n_jobs`` = 1 and 2 threads; separately with ``pvalue=1e-4`` (exact thresholds from the score distribution of
  every motif, hits with p-values, in the same single scoring pass); and the internal scores-only path
  ``MultiScanner.best_scores`` (1 thread) for reference;
- MOODS 1.9.4.1 (``MOODS.scan.Scanner``, C++, single-threaded through its Python API): ``threshold_from_p`` for
  all matrices at p < 1e-4 (MOODS needs thresholds to scan), scanner build, and the scan of both strands;
  ratios are given against MOODS' total (thresholds + build + scan) and scan only, in CPU seconds (robust to the
  load of a shared machine) and in wall seconds;
- Biopython (``PSSM.calculate`` on the sequence and its reverse complement): timed on ``POB_BENCH_BIO`` sequences
  (all motifs) and scaled linearly to N.

Hit calling: the hits of the public ``scan(..., pvalue=1e-4)`` on the first ``POB_BENCH_HITS`` sequences are
compared with MOODS' hits at the same (exact) thresholds.

Run: ``python benchmarks/bench_regulatory.py scan`` (env: ``POB_BENCH_NSEQ`` (default 10000), ``POB_BENCH_LEN``
(1000), ``POB_BENCH_OUT`` (regulatory.json)); writes benchmarks/results/regulatory.json.

``python benchmarks/bench_regulatory.py models`` writes benchmarks/results/regulatory_models.json: TFscope-like
models next to the k-mer and CNN baselines on the same kept sequences and the same split, for the synthetic
``calibrated`` scenario (2 x 400 x 1 kb, seed 0, the docs example) and for the real Oct4 vs MafK peaks of the
janggu wheel (``POB_BENCH_NREAL`` = 1,000 peaks drawn per class; anchoring-free; JASPAR2024 co-factors;
chromosome split: test = chr1, chr2, chr3), when available.

``POB_BENCH_HITS=2000 python benchmarks/bench_regulatory.py hits`` runs only the identical-hits check against MOODS
on the first ``POB_BENCH_HITS`` sequences of the same data -> benchmarks/results/regulatory_hits.json.
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
N_JOBS = int(os.environ.get("POB_BENCH_JOBS", "2"))
N_BIO = int(os.environ.get("POB_BENCH_BIO", "4"))
N_HITS = int(os.environ.get("POB_BENCH_HITS", "300"))
N_COF = int(os.environ.get("POB_BENCH_NCOF", "1000"))
N_REAL = int(os.environ.get("POB_BENCH_NREAL", "1000"))  # Oct4 and MafK peaks drawn (seeded) per class
PVALUE = 1e-4


def _motifs():
    """(source, motifs as a user passes them to ``scan``, their log-odds PWMs)."""
    try:
        motifs = R.jaspar_motifs(release="JASPAR2024")
        return "JASPAR2024 CORE vertebrates (pyjaspar)", motifs, [R.log_odds(m) for m in motifs]
    except ImportError:
        rng = np.random.default_rng(1)
        widths = rng.choice(np.arange(6, 22), size=879)
        probs = {f"m{i}": rng.dirichlet(np.full(4, 0.4), size=w) for i, w in enumerate(widths)}
        return "random (pyjaspar absent)", probs, [R.log_odds(p) for p in probs.values()]


def _timed(out: dict, key: str, fn):
    """Run ``fn()`` once; record wall and process CPU seconds (all threads) and the load average around it."""
    out[f"{key}_loadavg_before"] = os.getloadavg()
    t, c = time.perf_counter(), time.process_time()
    res = fn()
    out[f"{key}_s"] = time.perf_counter() - t
    out[f"{key}_cpu_s"] = time.process_time() - c
    out[f"{key}_loadavg_after"] = os.getloadavg()
    print(f"{key}: wall {out[f'{key}_s']:.1f} s, cpu {out[f'{key}_cpu_s']:.1f} s, load {os.getloadavg()}", flush=True)
    return res


def main() -> dict:
    t0 = time.perf_counter()
    source, motifs, pwms = _motifs()
    rng = np.random.default_rng(0)
    codes = R.sample_markov(R._simulate.BACKGROUND_CHAIN, N_SEQ, LENGTH, rng)
    seqs_all = R.decode(codes)
    out: dict = {"machine": platform.platform(), "cpu_count": os.cpu_count(), "n_sequences": N_SEQ,
                 "length": LENGTH, "n_motifs": len(pwms), "motifs": source,
                 "mean_motif_width": float(np.mean([p.shape[0] for p in pwms])), "both_strands": True,
                 "pvalue": PVALUE, "loadavg_start": os.getloadavg(),
                 "note": "one call per tool over all sequences; ratios in CPU seconds (time.process_time, all "
                         "threads) are the ones to read on this shared 2-core machine; wall seconds also given"}
    # ---- MOODS: thresholds, build, scan of both strands
    have_moods = True
    try:
        import MOODS.scan
        import MOODS.tools
    except ImportError:
        have_moods = False
    if have_moods:
        mats = [p.T.tolist() for p in pwms]
        mthr = _timed(out, "moods_thresholds", lambda: [MOODS.tools.threshold_from_p(m, [0.25] * 4, PVALUE)
                                                          for m in mats])

        def build():
            ms = MOODS.scan.Scanner(7)
            ms.set_motifs(mats + [MOODS.tools.reverse_complement(m) for m in mats], [0.25] * 4, mthr + mthr)
            return ms

        ms = _timed(out, "moods_build", build)
        out["moods_hits"] = _timed(out, "moods_scan", lambda: sum(sum(len(r) for r in ms.scan(s)) for s in seqs_all))
        out["moods_version"] = "MOODS-python 1.9.4.1"
        for k in ("s", "cpu_s"):
            out[f"moods_total_{k}"] = sum(out[f"moods_{p}_{k}"] for p in ("thresholds", "build", "scan"))
    # ---- ours: the public call, 1 and 2 threads, without and with hit calling
    for j in (1, N_JOBS) if N_JOBS != 1 else (1,):
        res = _timed(out, f"ours_scan_{j}thread", lambda j=j: R.scan(seqs_all, motifs, n_jobs=j))
        del res
        res = _timed(out, f"ours_scan_pvalue_{j}thread", lambda j=j: R.scan(seqs_all, motifs, pvalue=PVALUE, n_jobs=j))
        out["ours_hits"] = len(res["hits"])
        del res
    # the internal scores-only path (no positions, no DataFrames), for reference
    scanner = _timed(out, "ours_build", lambda: MultiScanner(pwms))
    _timed(out, "ours_best_scores_1thread", lambda: scanner.best_scores(codes, n_jobs=1))
    if have_moods:
        for key in [k[: -len("_cpu_s")] for k in list(out) if k.startswith("ours_") and k.endswith("_cpu_s")]:
            if key == "ours_build":
                continue
            for unit, suf in (("cpu", "_cpu_s"), ("wall", "_s")):
                out[f"ratio_{unit}_{key}_vs_moods_total"] = out[key + suf] / out["moods_total" + suf]
                out[f"ratio_{unit}_{key}_vs_moods_scan_only"] = out[key + suf] / out["moods_scan" + suf]
    out["loadavg_after_scan"] = os.getloadavg()
    # ---- Biopython on a subsample
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
        ref = R.scan(sub, motifs)["scores"].to_numpy()
        out["biopython_sequences_timed"] = len(sub)
        out["biopython_s_per_sequence"] = el / len(sub)
        out["biopython_extrapolated_s"] = el / len(sub) * N_SEQ
        out["biopython_extrapolated_cpu_s"] = out["biopython_cpu_s_per_sequence"] * N_SEQ
        out["biopython_max_abs_diff_vs_public_scan"] = float(np.max(np.abs(bio - ref)))
        for j in (1, N_JOBS) if N_JOBS != 1 else (1,):
            out[f"cpu_speedup_ours_scan_{j}thread_vs_biopython"] = out["biopython_extrapolated_cpu_s"] / \
                out[f"ours_scan_{j}thread_cpu_s"]
            out[f"speedup_ours_scan_{j}thread_vs_biopython"] = out["biopython_extrapolated_s"] / \
                out[f"ours_scan_{j}thread_s"]
    except ImportError:
        out["biopython"] = "not installed"
    # ---- hits of the public scan identical to MOODS at the same (exact) thresholds
    if have_moods:
        _compare_hits(out, seqs_all[:N_HITS], motifs, pwms, mats)
        out["threshold_median_abs_diff_vs_moods_threshold_from_p"] = float(
            np.median(np.abs(out.pop("_thresholds") - np.array(mthr))))
    # ---- co-factor features (TFscope step): 3 windows, core masked, N_COF x 500 bp, scaled to 10,000
    if N_COF:
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



def _compare_hits(out: dict, seqs: list, motifs, pwms: list, mats: list) -> None:
    """Hits of the public ``scan(pvalue=)`` vs MOODS' at the same exact thresholds, as (sequence, motif, start,
    strand) sets."""
    import MOODS.scan
    import MOODS.tools

    res = R.scan(seqs, motifs, pvalue=PVALUE, n_jobs=N_JOBS)
    thr = res["thresholds"].to_numpy()
    hits = res["hits"]
    index = {name: m for m, name in enumerate(res["thresholds"].index)}
    wmin = min(p.shape[0] for p in pwms)
    ms2 = MOODS.scan.Scanner(min(wmin, 7))  # window <= shortest motif: MOODS skips the last window otherwise
    ms2.set_motifs(mats + [MOODS.tools.reverse_complement(m) for m in mats], [0.25] * 4, list(thr) * 2)
    theirs = set()
    M = len(pwms)
    for i, seq in enumerate(seqs):
        for j, r in enumerate(ms2.scan(seq)):
            theirs |= {(i, j % M, h.pos, "+" if j < M else "-") for h in r}
    mine = set(zip(hits["sequence"], hits["motif"].map(index), hits["start"], hits["strand"], strict=True))
    out["hits_compared_sequences"] = len(seqs)
    out["hits_ours"] = len(mine)
    out["hits_moods"] = len(theirs)
    out["hits_only_ours"] = len(mine - theirs)
    out["hits_only_moods"] = len(theirs - mine)
    out["hits_identical"] = mine == theirs
    out["_thresholds"] = thr


def hits_only() -> dict:
    """``hits``: only the identical-hits check, on the first ``POB_BENCH_HITS`` sequences of the same data
    (-> results/regulatory_hits.json)."""
    source, motifs, pwms = _motifs()
    codes = R.sample_markov(R._simulate.BACKGROUND_CHAIN, N_SEQ, LENGTH, np.random.default_rng(0))
    out: dict = {"machine": platform.platform(), "motifs": source, "n_motifs": len(pwms), "length": LENGTH,
                 "pvalue": PVALUE, "loadavg_start": os.getloadavg()}
    _compare_hits(out, R.decode(codes[:N_HITS]), motifs, pwms, [p.T.tolist() for p in pwms])
    out.pop("_thresholds")
    out["loadavg_end"] = os.getloadavg()
    (Path(__file__).parent / "results" / "regulatory_hits.json").write_text(json.dumps(out, indent=2, default=float))
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
    for k, v in {"models": models, "hits": hits_only}.get(what, main)().items():
        print(f"{k}: {v}")
