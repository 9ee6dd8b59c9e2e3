"""Encoding, reverse complement, GC, k-mers and the FASTA/BED/MEME/JASPAR readers."""

from __future__ import annotations

import numpy as np
import pytest

from pyomics_bridge import regulatory as R


def test_encode_decode_round_trip():
    seqs = ["ACGTNacgtn", "TTTTGGGGCC", "NNNNNNNNNN"]
    codes = R.encode_batch(seqs)
    assert codes.dtype == np.int8 and codes.shape == (3, 10)
    assert R.decode(codes) == ["ACGTNACGTN", "TTTTGGGGCC", "NNNNNNNNNN"]
    assert R.decode(R.encode("ACGRT")) == "ACGNT"  # IUPAC codes become N
    assert np.array_equal(R.encode_batch(codes), codes)
    with pytest.raises(ValueError):
        R.encode_batch(["AC", "ACG"])
    assert R.decode(R.encode_batch(["AC", "ACG"], length=4)) == ["ACNN", "ACGN"]


def test_reverse_complement_involutive_and_correct():
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 5, size=(20, 37)).astype(np.int8)
    assert np.array_equal(R.reverse_complement(R.reverse_complement(codes)), codes)
    assert R.reverse_complement_str("AACGTN") == "NACGTT"
    comp = dict(zip("ACGTN", "TGCAN", strict=True))
    for s in R.decode(codes[:5]):
        assert R.decode(R.reverse_complement(R.encode(s))) == "".join(comp[c] for c in reversed(s))


def test_one_hot_gc_kmers():
    codes = R.encode_batch(["ACGTN", "GGCCA"])
    oh = R.one_hot(codes)
    assert oh.shape == (2, 5, 4) and oh[0, 4].sum() == 0 and np.array_equal(oh[0, :4], np.eye(4))
    assert np.allclose(R.gc_content(codes), [0.5, 0.8])
    seqs = ["ACGTACGTNAC", "GGGGCCCCAT"]
    codes = R.encode_batch(seqs, length=11)
    for k in (1, 2, 3):
        counts = R.kmer_counts(codes, k)
        names = R.kmer_names(k)
        for i, s in enumerate(seqs):
            brute = dict.fromkeys(names, 0)
            for p in range(len(s) - k + 1):
                w = s[p : p + k]
                if "N" not in w:
                    brute[w] += 1
            assert counts[i].tolist() == [brute[n] for n in names]
    can = R.kmer_counts(codes, 2, canonical=True)
    names = R.kmer_names(2)
    assert can[0, names.index("AC")] == can[0, names.index("GT")]


def test_fasta_bed_meme_jaspar(tmp_path):
    fa = tmp_path / "x.fa"
    R.write_fasta(fa, ["s1", "s2"], ["ACGT" * 30, "GGCC"], width=50)
    names, seqs = R.read_fasta(fa)
    assert names == ["s1", "s2"] and seqs == ["ACGT" * 30, "GGCC"]
    genome = {"chr1": "A" * 100 + "CCCCGGGG" + "T" * 100}
    peaks = R.read_bed("chr1\t90\t120\tp1\t0\t.\t1.0\t2.0\t3.0\t14\nchr1\t0\t4\tp2\t0\t-\t1\t1\t1\t-1\n")
    assert peaks["summit"].tolist() == [104, 2]
    codes = R.extract_sequences(peaks, genome, width=8)
    assert R.decode(codes) == ["CCCCGGGG", "NNAAAAAA"]
    a = R.read_bed("chr1 0 100\nchr1 200 300\nchr2 0 50\n")
    b = R.read_bed("chr1 50 60\nchr2 100 200\n")
    ua, ub = R.select_peaks(a, b)
    assert len(ua) == 2 and len(ub) == 1
    meme = R.write_meme(None, [R.consensus_motif("ACGTW", name="m1")])
    motifs = R.read_meme(meme)
    assert len(motifs) == 1 and motifs[0].name == "m1" and motifs[0].matrix.shape == (5, 4)
    jas = ">MA0001.1 TEST\nA [ 10 0 0 5 ]\nC [ 0 10 0 5 ]\nG [ 0 0 10 0 ]\nT [ 0 0 0 0 ]\n"
    m = R.read_jaspar(jas)[0]
    assert m.matrix_id == "MA0001.1" and m.name == "TEST" and m.kind == "counts"
    assert np.allclose(m.probabilities[3], [0.5, 0.5, 0, 0])


def test_markov_fit_recovers_chain():
    from pyomics_bridge.regulatory._simulate import BACKGROUND_CHAIN

    codes = R.sample_markov(BACKGROUND_CHAIN, 200, 500, np.random.default_rng(1))
    assert np.abs(R.fit_markov(codes, 1) - BACKGROUND_CHAIN).max() < 0.02
    assert 0.38 < np.nanmean(R.gc_content(codes)) < 0.47


MEME_TEXT = """MEME version 5

ALPHABET= ACGT

strands: + -

Background letter frequencies
A 0.3 C 0.2 G 0.2 T 0.3

MOTIF MA0001.1 AGL3

letter-probability matrix: alength= 4 w= 3 nsites= 97 E= 0
  0.0 0.9 0.05 0.05
  0.25 0.25 0.25 0.25
  1.0 0.0 0.0 0.0

URL http://example.org/MA0001.1

MOTIF M2
letter-probability matrix: alength= 4 w= 2 nsites= 10 E= 0
0.5 0.5 0 0
0 0 0.5 0.5
"""


def test_meme_multi_motif_and_bare_jaspar():
    motifs = R.read_meme(MEME_TEXT)
    assert [m.matrix_id for m in motifs] == ["MA0001.1", "M2"]
    assert motifs[0].name == "AGL3" and motifs[0].nsites == 97 and motifs[0].width == 3
    assert np.allclose(motifs[1].matrix, [[0.5, 0.5, 0, 0], [0, 0, 0.5, 0.5]])
    bare = ">MA9.1 X\n1 2 3\n0 0 0\n2 1 0\n0 0 0\n"
    m = R.read_jaspar(bare)[0]
    assert m.matrix.shape == (3, 4) and np.allclose(m.matrix[:, 0], [1, 2, 3])
    with pytest.raises(ValueError):
        R.read_meme("ALPHABET= ACDEFGHIKLMNPQRSTVWY\nMOTIF p\n")


def test_jaspar_collection_needs_pyjaspar():
    from pyomics_bridge._optional import MissingExtraError, is_available

    if is_available("pyjaspar"):
        pytest.skip("pyjaspar installed")
    with pytest.raises(MissingExtraError, match="seq"):
        R.jaspar_motifs()


def test_non_ascii_sequences_raise_a_value_error():
    with pytest.raises(ValueError, match=r"ASCII.*'é' at position 4"):
        R.encode_batch(["ACGTé", "ACGTA"])
    np.testing.assert_array_equal(R.encode("acgtRYn"), R.encode("ACGTNNN"))  # soft-masked + IUPAC
