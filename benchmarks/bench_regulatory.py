"""PWM scanning throughput (both strands, exact numpy backend) and exact p-value thresholds.

Reference tools: none is installed here (MOODS, memelite, FIMO/MEME suite, Biopython are absent), so there is no
in-run ratio against a reference. For context only, the spec's prototype (numpy, 2 cores) reported 79 s for the
co-factor features of 10,000 x 500 bp x 879 PWMs x 3 windows; this script scales the same workload down
(``N_MOTIFS``) and reports motif-base-positions per second so the two can be compared per unit of work.
Correctness of the scan is checked against a brute-force loop in tests/regulatory/test_pwm_pvalues.py.

Run: ``python benchmarks/bench_regulatory.py`` (writes benchmarks/results/regulatory.json).
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from pyomics_bridge import regulatory as R

N_SEQ, LENGTH, N_MOTIFS = 10_000, 500, int(os.environ.get("POB_BENCH_MOTIFS", "40"))
WINDOWS = (50, 150, 250)


def main() -> dict:
    rng = np.random.default_rng(0)
    codes = R.sample_markov(R._simulate.BACKGROUND_CHAIN, N_SEQ, LENGTH, rng)
    motifs = {f"m{i}": R.log_odds(rng.dirichlet(np.full(4, 0.4), size=int(rng.integers(6, 21))))
              for i in range(N_MOTIFS)}
    mean_w = float(np.mean([p.shape[0] for p in motifs.values()]))
    out: dict = {"machine": platform.platform(), "cpu_count": os.cpu_count(), "n_sequences": N_SEQ,
                 "length": LENGTH, "n_motifs": N_MOTIFS, "mean_motif_width": mean_w}
    # 1. raw scan, both strands, one motif
    pwm = motifs["m0"]
    R.scan(codes[:100], pwm)
    t = time.perf_counter()
    R.scan(codes, pwm, dtype=np.float32)
    out["scan_one_motif_s"] = time.perf_counter() - t
    # 2. co-factor features: max over both strands in 3 windows for every motif
    t = time.perf_counter()
    F, _ = R.cofactor_features(codes, motifs, 12, windows=WINDOWS)
    el = time.perf_counter() - t
    out["cofactor_features_s"] = el
    out["positions_x_motifs_per_s"] = N_SEQ * LENGTH * N_MOTIFS / el
    out["extrapolated_879_motifs_s"] = el * 879 / N_MOTIFS
    # 3. exact p-value thresholds (dynamic programming), all motifs
    t = time.perf_counter()
    for p in motifs.values():
        R.threshold_from_pvalue(p, 1e-4)
    out["threshold_per_motif_ms"] = 1e3 * (time.perf_counter() - t) / N_MOTIFS
    # 4. hits at p <= 1e-4 for one motif over all sequences
    t = time.perf_counter()
    hits = R.scan_hits(codes, pwm, pvalue=1e-4)
    out["scan_hits_one_motif_s"] = time.perf_counter() - t
    out["n_hits_one_motif"] = int(len(hits))
    out["reference"] = "none installed (MOODS/memelite/FIMO/Biopython absent); spec prototype: 79 s for 879 PWMs"
    path = Path(__file__).parent / "results" / "regulatory.json"
    path.write_text(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    for k, v in main().items():
        print(f"{k}: {v}")
