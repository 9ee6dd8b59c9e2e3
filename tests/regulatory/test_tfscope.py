"""TFscope-like pipeline on the seeded benchmark: planted-signal recovery per family, null control, stability,
no test-label leakage, determinism and the AnnData driver."""

from __future__ import annotations

import numpy as np
import pytest

import pyomics_bridge as pob
from pyomics_bridge import regulatory as R
from pyomics_bridge.datasets._regulatory import synthetic_tf_binding
from pyomics_bridge.pl import _regulatory as pl_reg
from pyomics_bridge.tl._regulatory import tfscope as tl_tfscope

FAST = {"width": None, "env_bins": (100,), "env_k": (1, 2), "cofactor_windows": (150, 300), "Cs": np.logspace(-2.5, 0, 6), "cv": 3,
            "stability": 10}


def _run(scenario, seed=0, **kw):
    sim = R.simulate_tf_binding(n_per_class=250, length=600, scenario=scenario, n_decoys=8, random_state=seed)
    m = sim["motifs"]
    return sim, R.tfscope(sim["codes"], sim["y"], m["target"], m["cofactors"] + m["decoys"], random_state=seed,
                          **{**FAST, **kw})


@pytest.fixture(scope="module")
def strong():
    return _run("strong")


@pytest.fixture(scope="module")
def null():
    return _run("null", seed=4)


def test_anchoring_recovers_planted_sites():
    sim = R.simulate_tf_binding(n_per_class=200, length=400, scenario="strong", n_decoys=0, random_state=5)
    aligned, info = R.anchor_and_orient(sim["codes"], R.log_odds(sim["motifs"]["target"]))
    kept = info["kept"].to_numpy()
    assert kept.mean() > 0.95
    assert (info["position"].to_numpy()[kept] == sim["truth"]["core_start"][kept]).mean() > 0.95
    assert (info["strand"].to_numpy()[kept] == sim["truth"]["strand"][kept]).mean() > 0.95
    # after orientation the motif consensus sits at width // 2 - W // 2 on the forward strand
    cs = 400 // 2 - 12 // 2
    assert (R.decode(aligned[:, cs + 2 : cs + 8]) == np.array("GTTTAC")).mean() > 0.5


def test_planted_signals_recovered_per_family(strong):
    sim, out = strong
    auc = out.uns["tfscope"]["auc"]
    assert auc.loc["core", "test_auc"] > 0.7
    assert auc.loc["environment", "test_auc"] > 0.65
    assert auc.loc["cofactor", "test_auc"] > 0.6
    assert auc.loc["full", "test_auc"] > max(auc.loc[f, "test_auc"] for f in ("core", "environment", "cofactor"))
    v = out.var
    core = v[v.family == "core"]["coef_core"]
    top2 = core.abs().sort_values(ascending=False).index[:2].tolist()
    assert set(top2) == {"core[+13]G", "core[+13]A"}
    assert core["core[+13]G"] > 0 > core["core[+13]A"]
    env = v[v.family == "environment"]
    top = env.reindex(env["coef_environment"].abs().sort_values(ascending=False).index).head(5)
    gc_hit = [
        (r.coef_environment > 0 and set(r.kmer) <= set("CG") or r.coef_environment < 0 and set(r.kmer) <= set("AT"))
        and min(r.region_end, -100) - max(r.region_start, -300) >= 0.5 * (r.region_end - r.region_start)
        for r in top.itertuples()
    ]
    assert any(gc_hit)
    cof = v[v.family == "cofactor"]["coef_cofactor"]
    top5 = cof.abs().sort_values(ascending=False).index[:5]
    gata = [n for n in top5 if "GATAx" in n]
    cebp = [n for n in top5 if "CEBPx" in n]
    assert gata and cof[gata[0]] > 0
    assert cebp and cof[cebp[0]] < 0
    assert out.uns["tfscope"]["n_dropped"] < 0.05 * out.uns["tfscope"]["n_input"]


def test_null_control_near_half_and_sparse(null):
    _, out = null
    auc = out.uns["tfscope"]["auc"]
    for m in ("core", "environment", "cofactor", "full"):
        assert abs(auc.loc[m, "test_auc"] - 0.5) < 0.12, m
    assert auc.loc["full", "n_selected"] <= 5
    stab = out.var["stability_full"]
    assert (stab >= 0.6).sum() <= 3


def test_stability_selection_keeps_planted_features(strong):
    _, out = strong
    stab = out.var["stability_full"]
    assert stab["core[+13]G"] >= 0.8 and stab["core[+13]A"] >= 0.8
    assert (stab >= 0.6).sum() < 0.05 * stab.size


def test_environment_search_uses_training_labels_only():
    sim = R.simulate_tf_binding(n_per_class=150, length=600, scenario="strong", n_decoys=0, random_state=2)
    aligned, info = R.anchor_and_orient(sim["codes"], R.log_odds(sim["motifs"]["target"]))
    y = sim["y"][info["kept"].to_numpy()]
    tr = np.arange(0, y.size, 2)
    es = R.EnvironmentSearch(k_max=2, n_features=5).fit(aligned[tr], y[tr])
    # changing every non-training label does not change the selected features
    y2 = y.copy()
    y2[np.setdiff1d(np.arange(y.size), tr)] ^= 1
    es2 = R.EnvironmentSearch(k_max=2, n_features=5).fit(aligned[tr], y2[tr])
    assert es.selected_.equals(es2.selected_)
    top = es.selected_.iloc[0]
    assert top.region_start < -100 and top.region_end > -300 and top.region_start >= -350
    F, var = es.transform(aligned)
    assert F.shape == (y.size, 5) and (var["family"] == "environment").all()


def test_deterministic_and_independent_of_n_jobs():
    sim = R.simulate_tf_binding(n_per_class=80, length=300, scenario="strong", n_decoys=2, random_state=7)
    assert np.array_equal(sim["codes"], R.simulate_tf_binding(n_per_class=80, length=300, scenario="strong",
                                                              n_decoys=2, random_state=7)["codes"])
    m = sim["motifs"]
    kw = {"families": ("core", "cofactor"), "cofactor_windows": (100,), "Cs": np.logspace(-2, 0, 3), "cv": 3,
              "stability": 4, "random_state": 1}
    from joblib import parallel_config

    a = R.tfscope(sim["codes"], sim["y"], m["target"], m["cofactors"], n_jobs=1, width=None, **kw)
    with parallel_config(backend="threading"):
        b = R.tfscope(sim["codes"], sim["y"], m["target"], m["cofactors"], n_jobs=2, width=None, **kw)
    assert a.uns["tfscope"]["auc"].equals(b.uns["tfscope"]["auc"])
    assert a.var.equals(b.var)


def test_kmer_baseline_and_driver(tmp_path):
    adata = synthetic_tf_binding(n_per_class=100, length=300, scenario="strong", n_decoys=2)
    assert adata.obsm["codes"].shape == (200, 300) and "truth_flank" in adata.obs
    assert pob.datasets.get_info("synthetic_tf_binding").kind == "synthetic"
    base = R.kmer_baseline(adata.obsm["codes"], adata.obs["label"].to_numpy(), k=3)
    assert 0.5 < base["test_auc"] <= 1.0
    kw = {"core_motif": adata.uns["synthetic"]["target"], "width": None, "env_bins": (100,), "env_k": (1,), "Cs": np.logspace(-2, 0, 3),
              "cv": 3, "stability": 3, "cofactor_windows": (150,)}
    before = adata.copy()
    out = tl_tfscope(adata, copy=True, **kw)
    assert "tfscope" not in adata.uns and adata.obs.equals(before.obs)
    assert tl_tfscope(adata, **kw) is None
    rec = adata.uns["tfscope"]
    assert {"auc", "features", "roc", "n_dropped", "params", "versions"} <= set(rec)
    assert set(adata.obs["tfscope_split"]) <= {"train", "test", "dropped"}
    assert out.uns["tfscope"]["auc"].equals(rec["auc"])
    adata.write_h5ad(tmp_path / "x.h5ad")
    import matplotlib

    matplotlib.use("Agg")
    for f in (pl_reg.tfscope_core, pl_reg.tfscope_environment, pl_reg.tfscope_cofactors, pl_reg.tfscope_roc):
        assert f(adata) is not None
    assert pl_reg.tfscope_core(adata, kind="heatmap") is not None
    with pytest.raises(ValueError):
        tl_tfscope(adata, core_motif="nope")
