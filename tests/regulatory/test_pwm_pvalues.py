"""PWM scanning against a brute-force loop; exact score distribution against enumeration of all 4^w words."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from pyomics_bridge import regulatory as R
from pyomics_bridge.regulatory._pvalues import discretize
from pyomics_bridge.regulatory._pwm import scan_tracks


def _brute_scan(seq_codes, pwm):
    W = pwm.shape[0]
    nmin = pwm.min(axis=1)
    comp = [3, 2, 1, 0]
    fwd, rev = [], []
    for p in range(len(seq_codes) - W + 1):
        w = seq_codes[p : p + W]
        fwd.append(sum(nmin[j] if w[j] == 4 else pwm[j, w[j]] for j in range(W)))
        rc = [4 if c == 4 else comp[c] for c in w[::-1]]
        rev.append(sum(nmin[j] if rc[j] == 4 else pwm[j, rc[j]] for j in range(W)))
    return np.array(fwd), np.array(rev)


def test_log_odds_pseudocounts():
    counts = np.array([[10, 0, 0, 0], [0, 5, 5, 0]])
    pwm = R.log_odds(counts, pseudocount=0.0 + 1.0)
    assert np.allclose(pwm[0, 0], np.log2((10 + 0.25) / 11 / 0.25))
    assert np.isfinite(pwm).all()
    bg = [0.3, 0.2, 0.2, 0.3]
    p = R.log_odds(np.full((3, 4), 0.25), background=bg, pseudocount=0.0)
    assert np.allclose(p[:, 0], np.log2(0.25 / 0.3))


def test_scan_matches_brute_force_both_strands():
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 5, size=(15, 40)).astype(np.int8)
    for W in (1, 6, 11):
        pwm = R.log_odds(rng.dirichlet(np.ones(4), size=W))
        fwd, rev = scan_tracks(codes, pwm)
        for i in range(codes.shape[0]):
            bf, br = _brute_scan(codes[i].tolist(), pwm)
            assert np.allclose(fwd[i], bf, atol=1e-9) and np.allclose(rev[i], br, atol=1e-9)
    # the reverse score of a window is the forward score of its reverse complement
    pwm = R.log_odds(rng.dirichlet(np.ones(4), size=8))
    fwd_rc, _ = scan_tracks(R.reverse_complement(codes), pwm)
    _, rev = scan_tracks(codes, pwm)
    assert np.allclose(rev, fwd_rc[:, ::-1])
    # motif longer than the sequence: no window
    assert scan_tracks(codes[:, :5], pwm)[0].shape == (15, 0)


def test_best_hits_finds_planted_site_and_strand():
    rng = np.random.default_rng(3)
    motif = R.consensus_motif("TGACGTCAGG", name="m", main=0.97)
    pwm = R.log_odds(motif)
    codes = rng.integers(0, 4, size=(50, 120)).astype(np.int8)
    site = R.encode("TGACGTCAGG")
    pos = rng.integers(10, 100, size=50)
    minus = rng.random(50) < 0.5
    for i in range(50):
        codes[i, pos[i] : pos[i] + 10] = R.reverse_complement(site) if minus[i] else site
    hits = R.best_hits(codes, pwm)
    assert (hits["position"].to_numpy() == pos).all()
    assert (hits["strand"].to_numpy() == np.where(minus, -1, 1)).all()


@pytest.mark.parametrize("W", [3, 5])
def test_exact_distribution_matches_enumeration(W):
    rng = np.random.default_rng(W)
    pwm = R.log_odds(rng.dirichlet(np.ones(4) * 0.7, size=W))
    bg = np.array([0.3, 0.2, 0.2, 0.3])
    dist = R.score_distribution(pwm, background=bg, scale=100)
    imat, offset = discretize(pwm, scale=100)
    # all 4^W words: probability mass per integer score
    pmf = np.zeros_like(dist.pmf)
    real_scores, probs = [], []
    for word in itertools.product(range(4), repeat=W):
        k = sum(imat[j, b] for j, b in enumerate(word))
        p = np.prod(bg[list(word)])
        pmf[k] += p
        real_scores.append(sum(pwm[j, b] for j, b in enumerate(word)))
        probs.append(p)
    assert np.allclose(dist.pmf, pmf, atol=1e-15)
    assert np.isclose(dist.pmf.sum(), 1.0)
    real_scores, probs = np.array(real_scores), np.array(probs)
    # p-values of the real-valued matrix agree once the grid error (W / 2 scale) is allowed for
    for t in np.quantile(real_scores, [0.5, 0.9, 0.99]):
        exact_lo = probs[real_scores >= t + W / 200].sum()
        exact_hi = probs[real_scores >= t - W / 200].sum()
        assert exact_lo - 1e-12 <= dist.pvalue(t) <= exact_hi + 1e-12
    # threshold: smallest grid score with tail <= p
    for p in (1e-1, 1e-2, 10 ** -(W - 1)):
        t = dist.threshold(p)
        assert dist.pvalue(t) <= p
        assert dist.pvalue(t - 1 / 100) > p or t - 1 / 100 < offset


def test_scan_hits_pvalue_threshold():
    rng = np.random.default_rng(5)
    pwm = R.log_odds(R.consensus_motif("ACGTTGCA", name="m"))
    codes = rng.integers(0, 4, size=(200, 200)).astype(np.int8)
    hits = R.scan_hits(codes, pwm, pvalue=1e-3)
    assert (hits["pvalue"] <= 1e-3).all() and set(hits["strand"]) <= {"+", "-"}
    n_windows = 2 * 200 * (200 - 8 + 1)
    # the number of hits in random sequence is close to p x number of windows (Poisson-ish)
    assert len(hits) < 3 * 1e-3 * n_windows
    dist = R.score_distribution(pwm)
    t = dist.threshold(1e-3)
    fwd, rev = scan_tracks(codes, dist.int_matrix / 100 + pwm.min(axis=1, keepdims=True))
    assert len(hits) == int((np.round((fwd - dist.offset) * 100) >= np.round((t - dist.offset) * 100)).sum()
                            + (np.round((rev - dist.offset) * 100) >= np.round((t - dist.offset) * 100)).sum())
