"""The unified ``pob.regulatory.scan(seqs, motifs, ...)`` against the per-motif functions (``best_hits``,
``scan_hits``, ``scan_tracks``), input forms, and the deprecated track form ``scan(codes, pwm)``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pyomics_bridge import regulatory as R
from pyomics_bridge.regulatory._pwm import scan_tracks


def _data(seed=0, n=30, L=200):
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 4, size=(n, L)).astype(np.int8)
    codes[rng.random((n, L)) < 0.01] = 4
    probs = {f"m{w}": rng.dirichlet(np.full(4, 0.4), size=w) for w in (6, 8, 11, 15)}
    return codes, probs


def test_best_scores_positions_strands_equal_best_hits():
    codes, probs = _data()
    res = R.scan(codes, probs)
    assert list(res["scores"].columns) == list(probs)
    for name, p in probs.items():
        ref = R.best_hits(codes, R.log_odds(p))
        np.testing.assert_allclose(res["scores"][name].to_numpy(), ref["score"].to_numpy(), atol=1e-4)
        np.testing.assert_array_equal(res["positions"][name].to_numpy(), ref["position"].to_numpy())
        np.testing.assert_array_equal(res["strands"][name].to_numpy(), ref["strand"].to_numpy())


def test_one_motif_in_every_form_gives_the_same_table():
    codes, probs = _data(1, n=12)
    p = probs["m8"]  # (W, 4) probabilities
    motif = R.Motif(name="X", matrix=p * 20, kind="counts")  # 20 sites: log_odds' default for probabilities
    a = R.scan(codes, p.T)  # 4 x W, rows A, C, G, T (the convention)
    b = R.scan(codes, p)  # (W, 4)
    c = R.scan(R.decode(codes), {"x": p.T})
    d = R.scan(codes, [p.T.tolist()])
    for other in (b, c, d):
        np.testing.assert_array_equal(a["scores"].to_numpy(), other["scores"].to_numpy())
        np.testing.assert_array_equal(a["positions"].to_numpy(), other["positions"].to_numpy())
    e = R.scan(codes, motif)
    assert e["scores"].columns.tolist() == [motif.label]
    np.testing.assert_allclose(e["scores"].to_numpy(), a["scores"].to_numpy(), atol=1e-9)
    ref = R.best_hits(codes, R.log_odds(p))
    np.testing.assert_allclose(a["scores"].iloc[:, 0].to_numpy(), ref["score"].to_numpy(), atol=1e-4)


def test_hits_agree_with_scan_hits_and_pvalues_are_exact():
    codes, probs = _data(2)
    pval = 1e-2
    res = R.scan(codes, probs, pvalue=pval)
    hits = res["hits"]
    assert len(hits) > 200
    assert {"sequence", "motif", "start", "end", "strand", "score", "pvalue"} <= set(hits.columns)
    assert (hits["pvalue"] <= pval + 1e-12).all()
    for name, p in probs.items():
        pwm = R.log_odds(p)
        ref = R.scan_hits(codes, pwm, pvalue=pval)
        mine = hits[hits["motif"] == name]
        a = set(zip(mine["sequence"], mine["start"], mine["strand"], strict=True))
        b = set(zip(ref["sequence"], ref["start"], ref["strand"], strict=True))
        # scan_hits scores the discretised matrix (grid 0.01); scan scores the real one: they may differ only on
        # windows within W / 200 of the threshold
        thr = res["thresholds"][name]
        fwd, rev = scan_tracks(codes, pwm)
        for i, s, strand in a ^ b:
            score = (fwd if strand == "+" else rev)[i, s]
            assert abs(score - thr) <= pwm.shape[0] / 200 + 1e-9
        assert len(a & b) >= 0.9 * len(a | b), (name, len(a), len(b), len(a & b))
        # every hit is exactly a window scoring at least the threshold
        sc = np.where(mine["strand"] == "+", fwd[mine["sequence"], mine["start"]], rev[mine["sequence"], mine["start"]])
        np.testing.assert_allclose(mine["score"].to_numpy(), sc, atol=1e-9)
        assert (sc >= thr).all()
        assert thr == pytest.approx(R.threshold_from_pvalue(pwm, pval))


def test_windows_names_fasta_and_bad_input(tmp_path):
    codes, probs = _data(3, n=8)
    names = [f"s{i}" for i in range(8)]
    res = R.scan(codes, probs, windows=[(0, 100), (100, 200)], mask=(90, 110), names=names, pvalue=1e-2)
    assert res["scores"].index.tolist() == names
    assert set(res["window_scores"]) == {(0, 100), (100, 200)}
    for name, p in probs.items():
        ref = R.max_score_in_windows(codes, R.log_odds(p), [(0, 100), (100, 200)], mask=(90, 110))
        np.testing.assert_allclose(res["window_scores"][(0, 100)][name].to_numpy(), ref[:, 0], atol=1e-4)
    assert set(res["hits"]["sequence"]) <= set(names)
    fa = tmp_path / "x.fa"
    R.write_fasta(fa, names, R.decode(codes))
    f = R.scan(fa, probs)
    assert f["scores"].index.tolist() == names
    pd.testing.assert_frame_equal(f["scores"].reset_index(drop=True), R.scan(codes, probs)["scores"])
    with pytest.raises(ValueError, match="pvalue"):
        R.scan(codes, probs, pvalue=2.0)
    with pytest.raises(ValueError, match="names has 3 entries"):
        R.scan(codes, probs, names=["a", "b", "c"])
    with pytest.raises(TypeError, match="motifs must be"):
        R.scan(codes, 3.0)
    with pytest.raises(ValueError, match="must be a \\(W, 4\\)"):
        R.scan(codes, {"bad": np.ones((3, 5))})


def test_deprecated_track_form_still_returns_tracks():
    codes, probs = _data(4, n=5)
    pwm = R.log_odds(probs["m6"])
    with pytest.warns(FutureWarning, match="scan_tracks"):
        fwd, rev = R.scan(codes, pwm)
    f2, r2 = scan_tracks(codes, pwm)
    np.testing.assert_array_equal(fwd, f2)
    np.testing.assert_array_equal(rev, r2)


def _brute_force_best(codes, pwm):
    """Best window per sequence by explicit loops over windows (float64; N scores the column minimum): score,
    leftmost position on the better strand (forward wins ties), strand; -1 / 0 when no window fits."""
    n, L = codes.shape
    W = pwm.shape[0]
    table = np.concatenate([pwm, pwm.min(axis=1, keepdims=True)], axis=1)
    rc = np.concatenate([pwm[::-1, ::-1], pwm.min(axis=1, keepdims=True)[::-1]], axis=1)
    score, pos, strand = np.full(n, -np.inf), np.full(n, -1), np.zeros(n, int)
    for i in range(n):
        f = [sum(table[j, codes[i, p + j]] for j in range(W)) for p in range(L - W + 1)]
        r = [sum(rc[j, codes[i, p + j]] for j in range(W)) for p in range(L - W + 1)]
        if not f:
            continue
        if max(r) > max(f):
            score[i], pos[i], strand[i] = max(r), int(np.argmax(r)), -1
        else:
            score[i], pos[i], strand[i] = max(f), int(np.argmax(f)), 1
    return score, pos, strand


@pytest.mark.parametrize("L", [7, 31, 32, 33, 65, 130])
def test_scan_positions_strands_equal_brute_force_with_ties_and_n(L):
    """Integer-valued log-odds make exact ties (within and across strands, palindromes included) common; N bases,
    motifs longer than the sequence and lengths around the 32-row position buckets are covered."""
    rng = np.random.default_rng(L)
    n = 9
    codes = rng.integers(0, 4, size=(n, L)).astype(np.int8)
    codes[rng.random((n, L)) < 0.08] = 4
    codes[0] = 4  # all N: every window scores the same
    codes[1, : L // 2] = codes[1, L // 2 : 2 * (L // 2)]  # a repeated half: the best word occurs twice
    widths = (1, 2, 3, 4, 6, 9, 12, 40)
    pwms = {f"w{w}": rng.integers(-3, 2, size=(w, 4)).astype(float) - 0.5 * (rng.random((w, 4)) < 0.3)
            for w in widths}
    pwms["pal"] = np.array([[1, -2, -2, 0], [-1, 1, 1, -1], [0, -2, -2, 1]], float)  # its own reverse complement
    res = R.scan(codes, pwms)
    from pyomics_bridge.regulatory._multiscan import MultiScanner

    best = MultiScanner(list(pwms.values()), chunk=2, max_cols=4).best_scores(codes)[:, :, 0]
    np.testing.assert_array_equal(res["scores"].to_numpy(), best.astype(float))
    for name, pwm in pwms.items():
        score, pos, strand = _brute_force_best(codes, pwm)
        np.testing.assert_array_equal(res["scores"][name].to_numpy(), score, err_msg=name)
        np.testing.assert_array_equal(res["positions"][name].to_numpy(), pos, err_msg=name)
        np.testing.assert_array_equal(res["strands"][name].to_numpy(), strand, err_msg=name)
    assert (res["positions"]["w40"] == -1).all() == (L < 40)
    # a palindromic motif scores both strands equally: the forward strand wins
    assert (res["strands"]["pal"][np.isfinite(res["scores"]["pal"])] == 1).all()


def test_scan_one_pass_equals_separate_calls_and_threads():
    """MultiScanner.scan (one pass: best, positions, windows, hits) equals best_scores / hits called separately, for
    any chunking and thread count."""
    from pyomics_bridge.regulatory._multiscan import MultiScanner

    codes, probs = _data(5, n=17, L=150)
    pwms = [R.log_odds(p) for p in probs.values()]
    thr = np.array([R.threshold_from_pvalue(p, 1e-2) for p in pwms])
    wins, mask = [(0, 60), (40, 150)], (70, 80)
    ref = MultiScanner(pwms)
    best, pos, strand = ref.best_scores(codes, return_positions=True)
    for kw in ({}, {"chunk": 3, "max_cols": 2}):
        sc = MultiScanner(pwms, **kw)
        out = sc.scan(codes, thresholds=thr, windows=wins, mask=mask, n_jobs=2)
        np.testing.assert_array_equal(out["best"], best[:, :, 0])
        np.testing.assert_array_equal(out["positions"], pos)
        np.testing.assert_array_equal(out["strands"], strand)
        np.testing.assert_array_equal(out["windows"], ref.best_scores(codes, windows=wins, mask=mask))
        pd.testing.assert_frame_equal(out["hits"], ref.hits(codes, thr))
    assert len(out["hits"]) > 20
