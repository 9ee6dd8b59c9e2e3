"""``TFscope(baselines=...)``: the baselines get exactly TFscope's kept sequences and train/test rows, and report
held-out AUCs side by side with TFscope's (planted signal: well above 0.5)."""

from __future__ import annotations

import numpy as np
import pytest

from pyomics_bridge import regulatory as R
from pyomics_bridge.regulatory import _baselines, _cnn, _estimator, _gkm

FAST = {"env_bins": (100,), "env_k": (1, 2), "Cs": np.logspace(-2.5, 0, 5)}


@pytest.fixture(scope="module")
def sim():
    return R.simulate_tf_binding(n_per_class=150, length=400, scenario="strong", n_decoys=2, random_state=3)


@pytest.fixture(scope="module")
def fitted(sim):
    """One fit with spies recording what each baseline receives (CNN included, tiny, when torch is installed)."""
    seen = {}

    def spy(name, fn):
        def wrapped(seqs, y, **kw):
            seen[name] = (np.array(seqs, copy=True), np.array(y), kw["train"], kw["test"])
            return fn(seqs, y, **kw)
        return wrapped

    names = ("kmer", "gkm", "cnn") if _has_torch() else ("kmer", "gkm")
    codes, y, m = sim["codes"].copy(), sim["y"].astype(int), sim["motifs"]
    # remove a few core sites so that TFscope's kept rows differ from the input rows
    codes[:5, 150:250] = 4
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(_estimator._BASELINES, "kmer", lambda: spy("kmer", _baselines.kmer_baseline))
        mp.setitem(_estimator._BASELINES, "gkm", lambda: spy("gkm", _gkm.gkm_baseline))
        if "cnn" in names:
            mp.setitem(_estimator._BASELINES, "cnn", lambda: spy("cnn", _cnn.cnn_baseline))
        est = R.TFscope(families=("core", "environment"), width=None, env_search=False, stability=0, baselines=names,
                        baseline_options={"kmer": {"k": 3}, "gkm": {"l": 6, "k": 3, "Cs": [0.1, 1.0, 10.0], "cv": 3},
                                          "cnn": {"epochs": 2, "patience": 1, "filters": 4}},
                        cv=3, random_state=0, options=FAST)
        est.fit(codes[y == 1], codes[y == 0], m["target"], None)
    return est, seen, codes


def _has_torch() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def test_baselines_use_tfscope_split_and_report_side_by_side(fitted):
    est, seen, _ = fitted
    obs, aligned = est.result_.obs, est.result_.obsm["aligned"]
    assert est.n_dropped_ >= 5
    tr = np.nonzero(obs["split"].to_numpy() == "train")[0]
    te = np.nonzero(obs["split"].to_numpy() == "test")[0]
    for name in seen:
        seqs, yy, a, b = seen[name]
        np.testing.assert_array_equal(seqs, aligned)  # the kept, oriented windows TFscope's features see
        np.testing.assert_array_equal(yy, obs["label"].to_numpy())
        np.testing.assert_array_equal(a, tr)
        np.testing.assert_array_equal(b, te)
    comp = est.comparison_
    assert comp.index.tolist() == ["tfscope_full", "tfscope_core", "tfscope_environment", *seen]
    assert comp.loc["tfscope_full", "test_auc"] == pytest.approx(est.auc_)
    assert (comp["n_test"] == te.size).all() and (comp["n_train"] == tr.size).all()
    assert set(est.baseline_auc_) == set(seen)
    # strong scenario: the GC-rich environment is visible to position-free k-mer models
    assert est.baseline_auc_["gkm"] > 0.65 and est.baseline_auc_["kmer"] > 0.65, est.baseline_auc_
    # the gkm baseline's AUC is the one of a direct call on the same rows with the recorded seed
    direct = _gkm.gkm_baseline(aligned, obs["label"].to_numpy(), l=6, k=3, Cs=[0.1, 1.0, 10.0], cv=3, train=tr,
                               test=te, random_state=est.baseline_results_["gkm"]["random_state"])
    assert direct["test_auc"] == est.baseline_auc_["gkm"]
    if "cnn" in seen:
        r = est.baseline_results_["cnn"]
        assert 0.0 <= est.baseline_auc_["cnn"] <= 1.0 and r["fit_seconds"] > 0 and r["n_parameters"] > 0
        assert r["test_scores"].shape == (te.size,)


def test_raw_baseline_input_uses_the_kept_input_sequences(fitted, sim, monkeypatch):
    _, _, codes = fitted
    y, m = sim["y"].astype(int), sim["motifs"]
    seen = {}

    def spy(seqs, yy, **kw):
        seen["seqs"] = np.array(seqs, copy=True)
        return _baselines.kmer_baseline(seqs, yy, **kw)

    monkeypatch.setitem(_estimator._BASELINES, "kmer", lambda: spy)
    raw = R.TFscope(families=("core",), width=None, stability=0, baselines="kmer", baseline_input="raw",
                    baseline_options={"kmer": {"k": 2}}, cv=3, random_state=0, options=FAST)
    raw.fit(codes[y == 1], codes[y == 0], m["target"], None)
    kept = raw.result_.uns["tfscope"]["kept"]
    np.testing.assert_array_equal(seen["seqs"], np.vstack([codes[y == 1], codes[y == 0]])[kept])


def test_bad_baseline_options(sim):
    codes, y, m = sim["codes"], sim["y"].astype(int), sim["motifs"]
    for kw, msg in (({"baselines": ("svm",)}, "unknown baselines"),
                    ({"baselines": ("kmer", "kmer")}, "duplicates"),
                    ({"baselines": ("kmer",), "baseline_input": "x"}, "baseline_input"),
                    ({"baselines": ("kmer",), "baseline_options": {"svm": {}}}, "unknown baselines")):
        with pytest.raises(ValueError, match=msg):
            R.TFscope(families=("core",), width=None, **kw).fit(codes[y == 1], codes[y == 0], m["target"], None)
