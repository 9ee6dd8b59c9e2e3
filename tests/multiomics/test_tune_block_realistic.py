"""The realistic DIABLO tuning of issue 3 / spec §4 against mixOmics 6.35.2 on R's own folds.

``tune.block.splsda`` on breast.TCGA (mirna, mrna, protein), keepX {5, 10, 15, 20, 30} per block (125
combinations per component), 2 components, design 0.1, Mfold 5 × 3 repeats, ``centroids.dist``, BER, seed 42.
R's output and the folds it drew during the call (recorded by a trace() exit hook) are in
``tests/multiomics/data/tune_block_splsda_tcga_realistic.json`` (``make_tune_block_realistic.R``); given those
folds, ``tune_block_splsda`` must reproduce every error table and the chosen keepX.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pyomics_bridge.multiomics._tune import tune_block_splsda

REF = Path(__file__).resolve().parent / "data" / "tune_block_splsda_tcga_realistic.json"
ATOL = 1e-12


def _m(d) -> np.ndarray:
    return np.array(d["data"], dtype=float)


def test_realistic_tune_block_splsda_matches_mixomics_on_r_folds(mx):
    if not REF.is_file():
        pytest.skip(f"reference output not found: {REF}")
    r = json.loads(REF.read_text())
    case = mx.load_case("perf_block_splsda_tcga_mfold")  # the breast.TCGA training blocks and subtypes
    X = {b: case.input(f"X${b}") for b in ("mirna", "mrna", "protein")}
    d = r["params"]["design"]
    design = pd.DataFrame(_m(d), index=d["rownames"], columns=d["colnames"])
    folds = {c: [[np.asarray(f) - 1 for f in r["folds"]["by_comp_repeat"][c][k]]
                 for k in r["folds"]["by_comp_repeat"][c]] for c in r["folds"]["by_comp_repeat"]}
    p = r["params"]
    res = tune_block_splsda(X, case.input("Y"), test_keepX=p["test.keepX"], n_components=p["ncomp"], design=design,
                            validation="Mfold", folds=p["folds"], nrepeat=p["nrepeat"], dist=p["dist"],
                            measure=p["measure"], weighted=p["weighted"], fold_assignments=folds, n_jobs=1)
    assert res.error_rate.shape == (125, 2)
    assert list(res.error_rate.index) == r["error_rate"]["rownames"]
    np.testing.assert_allclose(res.error_rate.to_numpy(), _m(r["error_rate"]), rtol=0, atol=ATOL)
    np.testing.assert_allclose(res.error_rate_sd.to_numpy(), _m(r["error_rate_sd"]), rtol=0, atol=ATOL)
    for comp, m in r["error_rate_all"].items():
        np.testing.assert_allclose(res.error_rate_all[comp].to_numpy(), _m(m), rtol=0, atol=ATOL)
    for comp, m in r["error_rate_class"].items():  # per class × repeat, for the chosen combination
        np.testing.assert_allclose(res.error_rate_class_all[comp].to_numpy(), _m(m), rtol=0, atol=ATOL)
    assert res.choice_keepX == {b: [int(k) for k in v] for b, v in r["choice_keep_x"].items()}
    assert res.choice_ncomp == r["choice_ncomp"]["ncomp"]
    np.testing.assert_allclose(res.choice_ncomp_values.to_numpy(), _m(r["choice_ncomp"]["values"]), rtol=0,
                               atol=ATOL)
