"""TFscope inputs named by issue 6 (peak sets with a genome, Bio.motifs / pyjaspar motif objects) and bad input
(short sequences, non-finite motifs, identical classes, the no-signal guard)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from pyomics_bridge import regulatory as R
from pyomics_bridge._conventions import ValidationError
from pyomics_bridge.regulatory._multiscan import motif_pwms

LENGTH = 200


def _est(**kw):
    kw = {"families": ("core",), **kw}
    return R.TFscope(**{"width": None, "stability": 0, "env_search": False, "cv": 3, "search": 30, "random_state": 0, **kw})


@pytest.fixture(scope="module")
def strong():
    sim = R.simulate_tf_binding(n_per_class=50, length=LENGTH, scenario="strong", n_decoys=0, random_state=1)
    seqs = ["".join("ACGTN"[i] for i in c) for c in sim["codes"]]
    y = sim["y"]
    return ([s for s, lab in zip(seqs, y, strict=True) if lab == 1],
            [s for s, lab in zip(seqs, y, strict=True) if lab == 0], sim["motifs"]["target"])


# ----------------------------------------------------------------------------- peak sets with a genome
def _genome(tmp_path, s1, s2):
    """chr1 = class-1 sequences separated by 50 random bases, chr2 the same for class 2; peaks cover each."""
    rng = np.random.default_rng(0)
    gap = lambda: "".join(rng.choice(list("ACGT"), 50))  # noqa: E731
    chroms, peaks = {}, {}
    for chrom, seqs in (("chr1", s1), ("chr2", s2)):
        text, rows = gap(), []
        for s in seqs:
            rows.append((chrom, len(text), len(text) + LENGTH))
            text += s + gap()
        chroms[chrom] = text
        peaks[chrom] = pd.DataFrame(rows, columns=["chrom", "start", "end"])
    path = tmp_path / "genome.fa"
    with open(path, "w") as fh:
        for chrom, text in chroms.items():
            fh.write(f">{chrom}\n" + "\n".join(text[i : i + 60] for i in range(0, len(text), 60)) + "\n")
    return path, chroms, peaks["chr1"], peaks["chr2"]


def test_peak_sets_with_genome_equal_the_sequences_they_cover(tmp_path, strong):
    s1, s2, core = strong
    path, chroms, p1, p2 = _genome(tmp_path, s1, s2)
    ref = _est().fit(s1, s2, core)
    for genome in (path, chroms):
        est = _est(genome=genome, peak_width=LENGTH).fit(p1, p2, core)
        assert est.auc_ == ref.auc_
        pd.testing.assert_frame_equal(est.features_, ref.features_)
        assert est.result_.obs_names[0] == f"chr1:{p1.start[0]}-{p1.end[0]}"
    # a BED file path works too (summit = mid-point of start/end)
    bed = tmp_path / "p1.bed"
    p1.to_csv(bed, sep="\t", header=False, index=False)
    est = _est(genome=path, peak_width=LENGTH).fit(bed, p2, core)
    assert est.auc_ == ref.auc_


def test_peak_selection_unique_and_unique_vs_shared(tmp_path, strong):
    s1, s2, core = strong
    path, _, p1, p2 = _genome(tmp_path, s1, s2)
    exp2 = pd.concat([p2, p1.iloc[:20]], ignore_index=True)  # experiment 2 shares 20 peaks with experiment 1
    est = _est(genome=path, peak_width=LENGTH, peak_selection="unique").fit(p1, exp2, core)
    assert est.n_peaks_ == {"seqs_1": len(p1), "seqs_2": len(exp2), "selected_1": len(p1) - 20,
                            "selected_2": len(p2)}
    ref = _est().fit(s1[20:], s2, core)  # the same comparison from the sequences themselves
    assert est.auc_ == ref.auc_
    pd.testing.assert_frame_equal(est.features_, ref.features_)
    shared = _est(genome=path, peak_width=LENGTH, peak_selection="unique_vs_shared", cv=2)
    with pytest.warns(UserWarning, match="found no signal"):  # both classes are class-1 sequences: no difference
        shared.fit(p1, exp2, core)
    assert shared.n_peaks_["selected_1"] == len(p1) - 20 and shared.n_peaks_["selected_2"] == 20
    assert set(shared.result_.obs_names) <= {f"chr1:{a}-{b}" for a, b in zip(p1.start, p1.end, strict=True)}
    with pytest.raises(ValueError, match="needs two peak sets"):
        _est(peak_selection="unique").fit(s1, s2, core)
    with pytest.raises(ValueError, match="peak_selection must be"):
        _est(genome=path, peak_selection="shared").fit(p1, exp2, core)
    with pytest.raises(ValidationError, match="leaves no peak for experiment 1"):
        _est(genome=path, peak_selection="unique").fit(p1, p1, core)


def test_peak_set_without_genome_or_columns_is_a_clear_error(tmp_path, strong):
    s1, s2, core = strong
    path, _, p1, p2 = _genome(tmp_path, s1, s2)
    with pytest.raises(TypeError, match="seqs_1 is a DataFrame.*genome"):
        _est().fit(p1, p2, core)
    with pytest.raises(ValidationError, match=r"seqs_2.*chrom, start, end.*missing \['end'\]"):
        _est(genome=path).fit(p1, p2.drop(columns="end"), core)
    with pytest.raises(ValidationError, match="chromosome 'chrX'"):
        _est(genome=path).fit(p1.assign(chrom="chrX"), p2, core)


# ----------------------------------------------------------------------------- Bio.motifs / pyjaspar objects
INSTANCES = ["TGACTCA", "TGAGTCA", "TGACTCA", "TTACTCA", "TGACTAA"]


def _hand_counts(instances):
    out = np.zeros((len(instances[0]), 4))
    for s in instances:
        for j, b in enumerate(s):
            out[j, "ACGT".index(b)] += 1
    return out


def test_biopython_motif_objects_are_counts(strong):
    motifs = pytest.importorskip("Bio.motifs")
    from Bio.Seq import Seq

    bio = motifs.create([Seq(s) for s in INSTANCES])
    counts = _hand_counts(INSTANCES)
    np.testing.assert_allclose(R.log_odds(bio), R.log_odds(counts))
    names, pwms = motif_pwms({"ap1": bio, "m2": counts})
    np.testing.assert_allclose(pwms[0], pwms[1])
    # scan: the planted TGACTCA starts at 2; same scores as the hand-counted matrix
    r = R.scan(["CCTGACTCACC", "GGGGGGGGGGG"], {"ap1": bio})
    assert int(np.asarray(r["positions"])[0, 0]) == 2
    ref = R.scan(["CCTGACTCACC", "GGGGGGGGGGG"], {"ap1": counts})
    np.testing.assert_allclose(np.asarray(r["scores"]), np.asarray(ref["scores"]))
    # TFscope: a Bio motif as core and as cofactor gives the same fit as its count matrix
    s1, s2, core = strong
    kw = {"families": ("core", "cofactor"), "cofactor_windows": (100,)}
    consensus = "".join("ACGT"[int(k)] for k in np.argmax(core.probabilities, axis=1))
    sites = [consensus] + [consensus[:j] + "ACGT"[(j + 1) % 4] + consensus[j + 1 :] for j in (0, 5, 11)]
    target, target_counts = motifs.create([Seq(x) for x in sites]), _hand_counts(sites)
    a = _est(**kw).fit(s1, s2, target, cofactor_motifs={"ap1": bio})
    b = _est(**kw).fit(s1, s2, target_counts, cofactor_motifs={"ap1": counts})
    assert a.auc_ == b.auc_
    pd.testing.assert_frame_equal(a.features_, b.features_)


def test_pyjaspar_motif_object():
    pyjaspar = pytest.importorskip("pyjaspar")
    try:
        m = pyjaspar.jaspardb().fetch_motif_by_id("MA0139.1")  # CTCF, 19 bp (JASPAR)
    except Exception as err:  # pragma: no cover - database not shipped
        pytest.skip(f"pyjaspar database unavailable: {err}")
    names, pwms = motif_pwms([m])
    assert "MA0139.1" in names[0] and "CTCF" in names[0]
    assert pwms[0].shape == (19, 4)
    counts = np.array([m.counts[b] for b in "ACGT"], dtype=float).T
    np.testing.assert_allclose(pwms[0], R.log_odds(counts))


# ----------------------------------------------------------------------------- bad input
def test_sequences_shorter_than_the_core_window(strong):
    s1, s2, core = strong  # motif width 12, flank 5: the core window needs 22 bp
    mid = LENGTH // 2
    short1, short2 = [s[mid - 10 : mid + 10] for s in s1], [s[mid - 10 : mid + 10] for s in s2]
    with pytest.raises(ValidationError, match="too short for the core window.*flank=5"):
        _est().fit(short1, short2, core)
    with pytest.raises(ValidationError, match="cannot be anchored.*width 12"):
        _est().fit([s[:8] for s in short1], [s[:8] for s in short2], core)


def test_default_window_is_1kb_and_shorter_inputs_raise(strong):
    s1, s2, core = strong  # 200-bp sequences
    with pytest.raises(ValueError, match=r"width=1000: the sequences are 200 bp.*width=None"):
        R.TFscope(stability=0, cv=3).fit(s1, s2, core)
    assert R.TFscope().get_params()["width"] == 1000
    # a 1-kb window around the anchor of 1,100-bp sequences: kept windows are 1,000 bp and the motif is centred
    sim = R.simulate_tf_binding(n_per_class=60, length=1100, scenario="strong", n_decoys=0, random_state=4)
    m = sim["motifs"]
    out = R.tfscope(sim["codes"], sim["y"], m["target"], (), families=("core",), stability=0, cv=3, random_state=0)
    aligned = out.obsm["aligned"]
    assert aligned.shape[1] == 1000 and (aligned != 4).all()  # +-50 bp search inside 1,100 bp: no N padding
    W = m["target"].width
    site = aligned[:, 500 - W // 2 : 500 - W // 2 + W]
    best = R.log_odds(m["target"])[np.arange(W), site].sum(axis=1)
    assert np.median(best) > 0.5 * R.log_odds(m["target"]).max(axis=1).sum()


def test_non_finite_motif_entries(strong):
    s1, s2, core = strong
    bad = core.probabilities.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValidationError, match="finite"):
        R.log_odds(bad)
    with pytest.raises(ValidationError, match="finite"):
        _est().fit(s1, s2, bad)
    logodds = R.log_odds(core)
    logodds[0, 0] = -np.inf
    with pytest.raises(ValidationError, match="motif 'x' must hold finite"):
        motif_pwms({"x": logodds})
    with pytest.raises(ValidationError, match="finite"):
        _est(families=("core", "cofactor")).fit(s1, s2, core, cofactor_motifs={"x": logodds})
    with pytest.raises(TypeError, match="motif 'FOXA1' is a string: pass a 4 x W matrix"):
        _est().fit(s1, s2, "FOXA1")
    with pytest.raises(TypeError, match="is a string"):
        R.tfscope(R.encode_batch(s1 + s2), [1] * len(s1) + [0] * len(s2), core, {"x": "GATA1"}, width=None)


def test_identical_classes(strong):
    s1, _, core = strong
    with pytest.raises(ValidationError, match="seqs_1 and seqs_2 are identical"):
        _est().fit(s1, list(s1), core)


def test_no_signal_guard_warns_and_is_exposed(strong):
    s1, s2, core = strong
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = _est().fit(s1, s2, core)
    assert est.no_signal_ is False and est.auc_ > 0.6
    null = R.simulate_tf_binding(n_per_class=50, length=LENGTH, scenario="null", n_decoys=0, random_state=2)
    c, y = null["codes"], null["y"]
    with pytest.warns(UserWarning, match="no-signal guard fired"):
        est = _est().fit(c[y == 1], c[y == 0], null["motifs"]["target"])
    assert est.no_signal_ is True
    assert not est.features_["coef"].any()


def test_near_probability_matrices_and_square_motifs():
    almost = np.full((6, 4), 0.2475)  # rows sum to 0.99: neither probabilities nor counts
    with pytest.raises(ValueError, match=r"rows sum to 0\.99\.\.0\.99.*normalise"):
        R.log_odds(almost)
    with pytest.raises(ValueError, match="width 0"):
        R.log_odds(np.zeros((0, 4)))
    from pyomics_bridge.regulatory._pwm import _orient_motif

    # 4 x W probabilities: columns sum to 1, rows do not -> transposed to (W, 4); its transpose is kept
    colprob = np.array([[0.7, 0.1, 0.2, 0.1], [0.1, 0.6, 0.2, 0.1], [0.1, 0.2, 0.5, 0.1], [0.1, 0.1, 0.1, 0.7]])
    assert np.allclose(colprob.sum(axis=0), 1) and not np.allclose(colprob.sum(axis=1), 1)
    np.testing.assert_array_equal(_orient_motif(colprob), colprob.T)
    np.testing.assert_array_equal(_orient_motif(colprob.T), colprob.T)
    counts = np.array([[9, 0, 1, 0], [0, 8, 0, 2], [1, 2, 9, 0], [0, 0, 0, 8]], dtype=float)
    with pytest.warns(UserWarning, match="ambiguous"):
        np.testing.assert_array_equal(_orient_motif(counts), counts.T)
    lo = R.log_odds(np.eye(4) * 10)  # log-odds (negative entries) stay (W, 4)
    np.testing.assert_array_equal(_orient_motif(lo), lo)
