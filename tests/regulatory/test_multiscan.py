"""The multi-motif table-lookup scanner against the per-motif reference scan, Biopython and MOODS."""

from __future__ import annotations

import numpy as np
import pytest

from pyomics_bridge import regulatory as R
from pyomics_bridge.regulatory._multiscan import MultiScanner
from pyomics_bridge.regulatory._pwm import scan_tracks

WIDTHS = (1, 3, 5, 6, 9, 10, 11, 15, 21, 33)


def _data(seed=0, n=25, L=260, with_n=True):
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 4, size=(n, L)).astype(np.int8)
    if with_n:
        codes[rng.random((n, L)) < 0.03] = 4
        codes[0, :40] = 4
    pwms = [R.log_odds(rng.dirichlet(np.full(4, 0.5), size=w)) for w in WIDTHS]
    return codes, pwms


def test_best_scores_equal_reference_scan_with_n_and_all_widths():
    codes, pwms = _data()
    best, pos, strand = MultiScanner(pwms).best_scores(codes, return_positions=True)
    rows = np.arange(codes.shape[0])
    for m, p in enumerate(pwms):
        fwd, rev = scan_tracks(codes, p)
        ref = np.maximum(fwd.max(axis=1), rev.max(axis=1))
        np.testing.assert_allclose(best[:, m, 0], ref, atol=1e-4)
        # the reported window (ties aside) scores the maximum on the reported strand
        got = np.where(strand[:, m] == 1, fwd[rows, pos[:, m]], rev[rows, pos[:, m]])
        np.testing.assert_allclose(got, ref, atol=1e-4)


def test_windows_mask_and_motif_longer_than_window():
    codes, pwms = _data(1)
    wins = [(100, 160), (60, 200), (0, 260), (120, 135)]
    mask = (125, 137)
    best = MultiScanner(pwms).best_scores(codes, windows=wins, mask=mask)
    for m, p in enumerate(pwms):
        ref = R.max_score_in_windows(codes, p, wins, mask=mask)
        np.testing.assert_allclose(best[:, m, :], ref, atol=1e-4)
    # a 33-bp motif does not fit in the 15-bp window: -inf, as in the reference
    assert np.isneginf(best[:, WIDTHS.index(33), 3]).all()
    # sequences shorter than a motif
    short = MultiScanner(pwms).best_scores(codes[:, :8])
    assert np.isneginf(short[:, WIDTHS.index(9):, 0]).all() and np.isfinite(short[:, 0, 0]).all()


def test_results_do_not_depend_on_chunks_or_threads():
    codes, pwms = _data(2, n=40)
    a = MultiScanner(pwms, chunk=3, max_cols=6).best_scores(codes)
    b = MultiScanner(pwms).best_scores(codes, n_jobs=2)
    np.testing.assert_array_equal(a, b)


def test_hits_are_exactly_the_windows_at_or_above_threshold():
    codes, pwms = _data(3)
    thr = np.array([R.threshold_from_pvalue(p, 1e-2) for p in pwms])
    hits = MultiScanner(pwms, max_cols=8).hits(codes, thr)
    assert len(hits) > 50
    for m, p in enumerate(pwms):
        fwd, rev = scan_tracks(codes, p)
        want = set()
        for strand, s in (("+", fwd), ("-", rev)):
            i, q = np.nonzero(s >= thr[m])
            want |= set(zip(i.tolist(), q.tolist(), [strand] * i.size, strict=True))
        h = hits[hits["motif"] == m]
        assert set(zip(h["sequence"], h["start"], h["strand"], strict=True)) == want
        assert (h["end"] - h["start"] == p.shape[0]).all()


def test_scan_motifs_api_and_bad_input():
    codes, pwms = _data(4, with_n=False)
    motifs = {f"m{w}": p for w, p in zip(WIDTHS, pwms, strict=True)}
    res = R.scan_motifs(codes, motifs, pvalue=1e-3, windows=[(0, 100), (100, 260)])
    assert list(res["positions"].columns) == list(motifs)
    assert set(res["hits"]["motif"]) <= set(motifs)
    assert set(res["scores"]) == {(0, 100), (100, 260)}
    assert res["thresholds"].index.tolist() == list(motifs)
    # probabilities are turned into log-odds
    probs = {"cons": R.consensus_motif("TGACGTCA", name="c").probabilities}
    out = R.scan_motifs(R.decode(codes), probs)
    assert out["scores"].shape == (codes.shape[0], 1)
    with pytest.raises(ValueError, match="must be a \\(W, 4\\)"):
        R.scan_motifs(codes, {"bad": np.ones((3, 5))})
    with pytest.raises(ValueError, match="empty"):
        R.scan_motifs(codes, {})
    with pytest.raises(ValueError, match="non-finite"):
        MultiScanner([np.full((3, 4), -np.inf)])
    with pytest.raises(ValueError, match="one value per motif"):
        MultiScanner(pwms).hits(codes, [1.0])


def test_scores_equal_biopython_pssm_both_strands():
    motifs = pytest.importorskip("Bio.motifs")
    from Bio.motifs.matrix import PositionSpecificScoringMatrix
    from Bio.Seq import Seq

    codes, pwms = _data(5, n=12, L=120, with_n=False)
    pwms = pwms[1:-1]  # widths 3..21
    best = MultiScanner(pwms).best_scores(codes)
    seqs = R.decode(codes)
    for m, p in enumerate(pwms):
        pssm = PositionSpecificScoringMatrix("ACGT", {b: p[:, j].tolist() for j, b in enumerate("ACGT")})
        for i, s in enumerate(seqs):
            f = pssm.calculate(Seq(s))
            r = pssm.calculate(Seq(s).reverse_complement())
            assert abs(max(np.max(f), np.max(r)) - best[i, m, 0]) < 1e-4
    assert motifs is not None


def test_hits_identical_to_moods():
    pytest.importorskip("MOODS.scan")
    import MOODS.scan
    import MOODS.tools

    rng = np.random.default_rng(6)
    codes = R.sample_markov(R._simulate.BACKGROUND_CHAIN, 30, 400, rng)
    pwms = [R.log_odds(rng.dirichlet(np.full(4, 0.3), size=w)) for w in (6, 8, 10, 12, 16, 20)]
    thr = np.array([R.threshold_from_pvalue(p, 1e-3) for p in pwms])
    ours = MultiScanner(pwms).hits(codes, thr)
    mats = [p.T.tolist() for p in pwms]
    scanner = MOODS.scan.Scanner(6)  # window size <= shortest motif (MOODS skips the last window otherwise)
    scanner.set_motifs(mats + [MOODS.tools.reverse_complement(m) for m in mats], [0.25] * 4, list(thr) * 2)
    theirs = set()
    for i, s in enumerate(R.decode(codes)):
        for j, res in enumerate(scanner.scan(s)):
            theirs |= {(i, j % len(pwms), h.pos, "+" if j < len(pwms) else "-", round(h.score, 6)) for h in res}
    mine = set(zip(ours["sequence"], ours["motif"], ours["start"], ours["strand"], ours["score"].round(6), strict=True))
    assert len(mine) > 100
    assert mine == theirs
