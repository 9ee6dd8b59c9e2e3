"""Anchoring-free mode, chromosome split, and real Oct4 / MafK peaks read at run time from the janggu wheel."""

from __future__ import annotations

import numpy as np
import pytest

from pyomics_bridge import regulatory as R
from pyomics_bridge.regulatory._realdata import chromosomes_from_names, janggu_peaks


def _sim():
    sim = R.simulate_tf_binding(n_per_class=150, length=400, scenario="strong", random_state=0)
    return sim, sim["motifs"]


def test_anchoring_free_mode_and_chromosome_split():
    sim, m = _sim()
    n = sim["y"].size
    chrom = np.array([f"chr{1 + i % 5}" for i in range(n)])
    names = [f"{c}:{100 * i}-{100 * i + 400}" for i, c in enumerate(chrom)]
    out = R.tfscope(sim["codes"], sim["y"], None, m["cofactors"] + m["decoys"][:5], families=("cofactor",),
                    width=None, cofactor_windows=(100, 200), stability=0, cv=3, random_state=0, names=names,
                    test_chromosomes=["chr2", "chr4"], chromosomes="names")
    assert out.uns["tfscope"]["n_dropped"] == 0 and out.n_obs == n
    test = out.obs["split"].to_numpy() == "test"
    assert set(chromosomes_from_names(out.obs_names[test])) == {"chr2", "chr4"}
    assert not set(chromosomes_from_names(out.obs_names[~test])) & {"chr2", "chr4"}
    assert list(out.uns["tfscope"]["auc"].index) == ["cofactor"]
    assert out.uns["tfscope"]["auc"].loc["cofactor", "test_auc"] > 0.6  # planted GATA/CEBP co-factors
    with pytest.raises(ValueError, match="no feature family"):
        R.tfscope(sim["codes"], sim["y"], None, families=("core",), width=None)
    with pytest.raises(ValueError, match="hold no"):
        R.tfscope(sim["codes"], sim["y"], m["target"], m["cofactors"], families=("cofactor",), names=names, width=None,
                  test_chromosomes=["chr9"], chromosomes="names", stability=0)
    assert list(chromosomes_from_names(["chr1:5-10", "x"])) == ["chr1", ""]


def _peaks():
    try:
        return janggu_peaks()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))


def test_janggu_peaks_markov_background():
    peaks = _peaks()
    assert len(peaks["oct4"][1]) == 3897 and len(peaks["mafk"][1]) == 3900
    assert {len(s) for s in peaks["oct4"][1]} == {200}
    sim = R.simulate_tf_binding(n_per_class=100, length=300, background="peaks", random_state=0)
    assert sim["params"]["background"] == "peaks"
    codes = R.encode_batch(peaks["oct4"][1] + peaks["mafk"][1])
    real_cpg = R.kmer_counts(codes, 2).sum(axis=0)
    sim_cpg = R.kmer_counts(sim["codes"], 2).sum(axis=0)
    # CpG depletion of the real peaks is carried over (CG = index 6 of the 16 dinucleotides)
    frac = lambda c: c[6] / c.sum()  # noqa: E731
    assert abs(frac(sim_cpg) - frac(real_cpg)) < 0.006 and frac(real_cpg) < 0.03


def test_dataset_generator_takes_the_real_peak_background():
    _peaks()
    import pyomics_bridge as pob

    peaks = pob.datasets.synthetic_tf_binding(n_per_class=150, length=500, scenario="null", background="peaks")
    built = pob.datasets.synthetic_tf_binding(n_per_class=150, length=500, scenario="null")
    assert peaks.uns["synthetic"]["params"]["background"] == "peaks"
    assert built.uns["synthetic"]["params"]["background"] == "builtin"
    # the fitted chain carries the real peaks' GC content (0.424) into the simulated background
    gc = R.gc_content(peaks.obsm["codes"]).mean()
    assert abs(gc - R.markov_from_peaks()["gc"]) < 0.02
    with pytest.raises(ValueError, match="background must be"):
        pob.datasets.synthetic_tf_binding(n_per_class=5, background="genome")


def test_oct4_vs_mafk_cofactor_model():
    pytest.importorskip("pyjaspar")
    peaks = _peaks()
    rng = np.random.default_rng(0)
    a = rng.choice(3897, 400, replace=False)
    b = rng.choice(3900, 400, replace=False)
    seqs = [peaks["oct4"][1][i] for i in a] + [peaks["mafk"][1][i] for i in b]
    names = [peaks["oct4"][0][i] for i in a] + [peaks["mafk"][0][i] for i in b]
    y = np.r_[np.ones(400, int), np.zeros(400, int)]
    jas = {m.label: m for m in R.jaspar_motifs(release="JASPAR2024")}
    keep = [k for k in jas if any(t in k.upper() for t in ("POU5F1", "SOX2", "MAFK", "MAFF", "NFE2", "CTCF",
                                                              "GATA1", "FOXA1", "CEBPB", "HNF4A", "SPI1"))]
    out = R.tfscope(seqs, y, None, {k: jas[k] for k in keep}, families=("cofactor",), cofactor_windows=(50, 100),
                    width=None, stability=0, cv=3, random_state=0, names=names,
                    test_chromosomes=["chr1", "chr2", "chr3"],
                    chromosomes="names")
    auc = out.uns["tfscope"]["auc"].loc["cofactor", "test_auc"]
    assert auc > 0.9
    var = out.var
    top = var.loc[var["coef_cofactor"].abs().sort_values(ascending=False).index[:4]]
    pos = " ".join(top.loc[top["coef_cofactor"] > 0, "motif"]).upper()
    neg = " ".join(top.loc[top["coef_cofactor"] < 0, "motif"]).upper()
    assert "POU5F1" in pos or "SOX2" in pos  # class 1 = Oct4 peaks
    assert "MAF" in neg or "NFE2" in neg
