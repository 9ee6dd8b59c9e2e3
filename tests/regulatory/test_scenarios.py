"""The extra benchmark scenarios of simulate_tf_binding (spec section 7): ``confounded`` (GC environment only; the
environment family must win the drop-one-family ranking although CpG-rich co-factor motifs are offered),
``grammar`` (a co-factor effective only at a fixed spacing: invisible to the additive families, a documented
deficit) and ``paralog`` (a second core PWM in part of class B: the core family learns the differing bases)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from pyomics_bridge import regulatory as R
from pyomics_bridge.regulatory._simulate import GRAMMAR_GAP, GRAMMAR_SHIFT

FAST = {"width": None, "env_bins": (100,), "env_k": (1, 2), "cofactor_windows": (150, 300), "Cs": np.logspace(-2.5, 0, 6), "cv": 3,
        "stability": 0, "env_search": True, "env_search_features": 5, "n_jobs": 1}


def _cpg_motifs():
    """CpG-rich stand-ins (SP/KLF GC box, NRF1-like): what a GC-rich region can masquerade as."""
    return [R.consensus_motif("GGGGCGGGGC", name="SPx", matrix_id="CPG1"),
            R.consensus_motif("GCGCATGCGC", name="NRFx", matrix_id="CPG2"),
            R.consensus_motif("CCGCGGCGCC", name="CGGx", matrix_id="CPG3")]


def test_confounded_environment_wins_drop_family_ranking():
    sim = R.simulate_tf_binding(n_per_class=300, length=600, scenario="confounded", n_decoys=10, random_state=1)
    t = sim["truth"]
    assert t["environment"][sim["y"] == 1].mean() == pytest.approx(0.55, abs=0.01)
    assert not t["flank"].any() and t["cofactor_A"].mean() == pytest.approx(0.08, abs=0.01)
    m = sim["motifs"]
    out = R.tfscope(sim["codes"], sim["y"], m["target"], m["cofactors"] + m["decoys"] + _cpg_motifs(),
                    random_state=0, **FAST)
    u = out.uns["tfscope"]
    drop = u["drop_family"]
    assert drop.index[0] == "environment" and drop.loc["environment", "delta_auc"] > 0.05
    auc = u["auc"]["test_auc"]
    assert auc["environment"] > 0.7 and auc["full"] > 0.7
    # the planted co-factors carry no signal here: neither is a top co-factor of the full model
    v = out.var[out.var.family == "cofactor"]
    top = v["coef_full"].abs().sort_values(ascending=False)
    top = top[top > 0].index[:3]
    assert not any(("GATAx" in k or "CEBPx" in k) for k in top)


def test_grammar_signal_exists_but_is_invisible_to_additive_families():
    sim = R.simulate_tf_binding(n_per_class=300, length=600, scenario="grammar", n_decoys=8, random_state=2)
    y, t, m = sim["y"], sim["truth"], sim["motifs"]
    assert t["grammar_site"][y == 1].mean() == t["grammar_site"][y == 0].mean() == pytest.approx(0.4)
    assert np.array_equal(t["grammar"], t["grammar_site"] & (y == 1))
    out = R.tfscope(sim["codes"], y, m["target"], m["cofactors"] + m["decoys"] + [m["grammar"]], random_state=0,
                    **FAST)
    auc = out.uns["tfscope"]["auc"]["test_auc"]
    assert abs(auc["full"] - 0.5) < 0.08 and abs(auc["cofactor"] - 0.5) < 0.08
    # the information is there: the SOXx site's offset from the anchored core separates the classes
    aligned = out.obsm["aligned"]
    W, L = m["target"].width, aligned.shape[1]
    cs = L // 2 - W // 2
    lo = cs + W + GRAMMAR_GAP
    hits = R.best_hits(aligned, R.log_odds(m["grammar"]), start=lo - 2, end=lo + GRAMMAR_SHIFT[1] + 14)
    at_gap = (hits["position"].to_numpy() == lo) & (hits["strand"].to_numpy() == 1)
    assert roc_auc_score(out.obs["label"], at_gap) > 0.65


def test_paralog_core_family_learns_the_differing_bases():
    sim = R.simulate_tf_binding(n_per_class=300, length=400, scenario="paralog", n_decoys=0, random_state=3)
    y, t, m = sim["y"], sim["truth"], sim["motifs"]
    assert t["paralog"][y == 0].mean() == pytest.approx(0.5) and not t["paralog"][y == 1].any()
    out = R.tfscope(sim["codes"], y, m["target"], (), families=("core",), random_state=0,
                    **{k: v for k, v in FAST.items() if k in ("width", "Cs", "cv", "stability", "n_jobs")})
    u = out.uns["tfscope"]
    assert u["n_dropped"] < 0.1 * y.size  # the paralog sites are still anchored by the target PWM
    assert u["auc"].loc["core", "test_auc"] > 0.65
    c = out.var["coef_core"]
    top = c.abs().sort_values(ascending=False).index[:3]
    # paralog FOXy (class B, label 0) prefers G at offset 6 and C/G at offset 9: negative coefficients there
    good = {"core[+6]G", "core[+9]C", "core[+9]G", "core[+6]A", "core[+9]A", "core[+9]T"}
    assert set(top) <= good
    for k in top:
        sign = -1 if k[-1] in ("G", "C") else 1
        assert np.sign(c[k]) == sign, k


def test_strengths_keys_are_checked():
    with pytest.raises(ValueError, match="unknown keys"):
        R.simulate_tf_binding(n_per_class=10, scenario="null", strengths={"gc": 1.0})
