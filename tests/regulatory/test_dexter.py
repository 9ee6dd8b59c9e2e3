"""DExTER regression analogue (spec regulatory.md 8.2, last bullet): a continuous target built from planted
(k-mer, region) frequencies; the lattice search must recover them, and predict as well as the oracle."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression

from pyomics_bridge._conventions import ValidationError
from pyomics_bridge.regulatory import _dexter as D
from pyomics_bridge.regulatory._sequences import decode

PLANTED = (("GGAC", (-150, -50), 1.0), ("TATA", (50, 150), -0.7))
BIN = 50  # bins=10 over 500 bp: 50-bp bins, edges -250, -200, ..., 250


def within_one_extension(found: str, planted: str) -> bool:
    """``found`` equals ``planted``, or one base shorter (a substring of it), or one base longer (contains it).

    For planted ``GGAC``: ``GGAC``, ``GGA``, ``GAC``, ``xGGAC`` and ``GGACx`` match; ``GG`` (two bases shorter),
    ``GGC`` (not a substring), ``xxGGAC`` (two longer) and ``GCAG`` do not.
    """
    if len(found) <= len(planted):
        return found in planted and len(found) >= len(planted) - 1
    return planted in found and len(found) <= len(planted) + 1


def test_within_one_extension_definition():
    assert all(within_one_extension(f, "GGAC") for f in ("GGAC", "GGA", "GAC", "TGGAC", "GGACA"))
    assert not any(within_one_extension(f, "GGAC") for f in ("GG", "GA", "GGC", "AAGGAC", "GGACAA", "GCAG"))


def oracle_r(oracle, y, train, test) -> float:
    pred = LinearRegression().fit(oracle.to_numpy()[train], y[train]).predict(oracle.to_numpy()[test])
    return float(np.corrcoef(pred, y[test])[0, 1])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_recovers_planted_kmers_regions_and_oracle_accuracy(seed):
    codes, y, oracle = D.simulate_expression(1000, 500, planted=PLANTED, noise=0.75, random_state=seed)
    m = D.DExTERRegression(bins=10, test_size=0.3, random_state=seed).fit(codes, y)
    top = m.features_.head(2)
    for kmer, (a, b), w in PLANTED:
        hits = [r for r in top.itertuples() if within_one_extension(r.kmer, kmer)
                and abs(r.region_start - a) <= BIN and abs(r.region_end - b) <= BIN and np.sign(r.coef) == np.sign(w)]
        assert hits, f"seed {seed}: {kmer} in [{a}, {b}) not among the top 2:\n{top}"
    ro = oracle_r(oracle, y, m.train_index_, m.test_index_)
    assert ro > 0.7
    assert m.test_r_ >= 0.9 * ro, (m.test_r_, ro)


def test_no_signal_gives_small_r_and_few_features():
    for seed in (0, 1):
        codes, y, oracle = D.simulate_expression(800, 500, planted=[], random_state=seed)
        assert oracle.shape == (800, 0)
        m = D.DExTERRegression(bins=10, test_size=0.3, random_state=seed).fit(codes, y)
        assert abs(m.test_r_) < 0.15
        assert (m.features_["coef"] != 0).sum() <= 2
        assert m.null_floor_ > 0.1  # the permutation floor, not the search's inflated correlations, decides


def test_fitting_uses_training_rows_only():
    codes, y, _ = D.simulate_expression(400, 300, planted=(("GGAC", (-100, 0), 1.0),), noise=1.0, random_state=3)
    kw = {"bins": 6, "k_max": 4, "test_size": 0.3, "random_state": 5}
    ref = D.DExTERRegression(**kw).fit(codes, y)
    test, train = ref.test_index_, ref.train_index_
    y2 = y.copy()
    y2[test] = np.random.default_rng(0).permutation(y[test]) * 3 + 1
    other = D.DExTERRegression(**kw).fit(codes, y2)
    np.testing.assert_array_equal(other.test_index_, test)
    cols = ["feature", "region_start", "region_end", "kmer", "coef", "r"]
    assert other.features_[cols].equals(ref.features_[cols])
    assert other.exploration_.equals(ref.exploration_)
    # the check can fail: changing training rows changes the search
    y3 = y.copy()
    y3[train] = np.random.default_rng(0).permutation(y[train])
    changed = D.DExTERRegression(**kw).fit(codes, y3)
    assert not changed.exploration_["r"].equals(ref.exploration_["r"])


def test_region_frequency_matches_brute_force_and_lattice():
    rng = np.random.default_rng(1)
    codes = rng.integers(0, 4, size=(30, 60)).astype(np.int8)
    codes[rng.random(codes.shape) < 0.05] = 4  # some N
    seqs = decode(codes)
    anchor = 20
    for kmer, a, b in (("AC", -20, 10), ("GTA", -5, 40), ("A", 0, 7), ("CGT", 30, 40)):
        k = len(kmer)
        expect = []
        for s in seqs:
            starts = list(range(max(anchor + a, 0), min(anchor + b, len(s) - k + 1)))
            valid = [p for p in starts if "N" not in s[p : p + k]]
            expect.append(sum(s[p : p + k] == kmer for p in valid) / max(len(valid), 1))
        np.testing.assert_allclose(D.region_frequency(codes, kmer, a, b, anchor=anchor), expect)
    # the prefix-sum lattice gives the same frequency for every region
    est = D.DExTERRegression(bins=np.array([-20, -13, 0, 9, 25, 40]), anchor=anchor)
    lat = est._lattice(codes)
    for kmer in ("AC", "GTA", "T"):
        F = lat.frequencies(kmer)
        for col, (i, j) in enumerate(zip(lat.i0, lat.j0, strict=True)):
            a, b = int(lat.edges[i]), int(lat.edges[j])
            np.testing.assert_allclose(F[:, col], D.region_frequency(codes, kmer, a, b, anchor=anchor))


def test_simulator_target_is_linear_in_the_oracle_design():
    codes, y, oracle = D.simulate_expression(300, 400, planted=PLANTED, noise=0.0, random_state=0)
    assert codes.shape == (300, 400) and list(oracle.columns) == ["dexter[-150,-50):GGAC", "dexter[+50,+150):TATA"]
    fit = LinearRegression().fit(oracle.to_numpy(), y)
    assert fit.score(oracle.to_numpy(), y) == pytest.approx(1.0)
    assert fit.coef_[0] > 0 > fit.coef_[1]
    np.testing.assert_allclose(oracle.iloc[:, 0], D.region_frequency(codes, "GGAC", -150, -50))
    c2, y2, _ = D.simulate_expression(300, 400, planted=PLANTED, noise=0.0, random_state=0)
    np.testing.assert_array_equal(c2, codes)
    np.testing.assert_array_equal(y2, y)
    _, yn, o = D.simulate_expression(2000, 400, planted=PLANTED, noise=1.0, random_state=1)
    r2 = LinearRegression().fit(o.to_numpy(), yn).score(o.to_numpy(), yn)
    assert r2 == pytest.approx(0.5, abs=0.05)  # 1 / (1 + noise^2)


def test_growth_path_and_api():
    codes, y, _ = D.simulate_expression(500, 300, planted=(("GGAC", (-100, 0), 1.0),), noise=0.5, random_state=2)
    m = D.DExTERRegression(bins=6, k_max=5, random_state=0).fit(codes, y)
    for _, path in m.exploration_.groupby("seed", sort=False):
        km, r = path["kmer"].tolist(), path["r"].abs().to_numpy()
        assert len(km[0]) == 2 and all(len(b) == len(a) + 1 and a in b for a, b in zip(km, km[1:], strict=False))
        assert np.all(np.diff(r) >= 0.005)
    assert list(m.features_.columns) == ["feature", "region_start", "region_end", "kmer", "coef", "r"]
    F = m.transform(codes)
    np.testing.assert_allclose(m.predict(codes), F @ m.coef_ + m.intercept_)
    np.testing.assert_allclose(F[:, 0], D.region_frequency(codes, m.features_.kmer[0], m.features_.region_start[0],
                                                           m.features_.region_end[0]))
    assert np.isnan(m.test_r_)
    again = D.DExTERRegression(bins=6, k_max=5, random_state=0).fit(codes, y)
    assert again.features_.equals(m.features_)
    en = D.DExTERRegression(bins=6, k_max=5, model="elasticnet", alpha_rule="best", random_state=0).fit(codes, y)
    assert np.count_nonzero(en.coef_) >= 1


def test_bad_input():
    codes, y, _ = D.simulate_expression(60, 100, planted=(("GGAC", (-40, 0), 1.0),), random_state=0)
    est = D.DExTERRegression(bins=4, k_max=3)
    with pytest.raises(ValidationError, match="non-finite"):
        est.fit(codes, np.where(np.arange(60) == 3, np.nan, y))
    with pytest.raises(ValidationError, match="y has 59 values but there are 60 sequences"):
        est.fit(codes, y[:-1])
    with pytest.raises(ValidationError, match="y is constant"):
        est.fit(codes, np.ones(60))
    with pytest.raises(ValidationError, match="y must be 1-D"):
        est.fit(codes, y[:, None])
    with pytest.raises(ValidationError, match="codes"):
        est.fit(["ACGT", "ACG"], [0.0, 1.0])
    with pytest.raises(ValidationError, match="k_max"):
        D.DExTERRegression(k_start=3, k_max=2).fit(codes, y)
    with pytest.raises(ValidationError, match="bins"):
        D.DExTERRegression(bins=[10, 0]).fit(codes, y)
    with pytest.raises(ValidationError, match="not fitted"):
        est.transform(codes)
    fitted = D.DExTERRegression(bins=4, k_max=3, n_permutations=0).fit(codes, y)
    with pytest.raises(ValidationError, match="length 90; the model was fitted on length 100"):
        fitted.transform(codes[:, :90])
    with pytest.raises(ValidationError, match="planted"):
        D.simulate_expression(10, 100, planted=(("GGAC", (-80, 80), 1.0),))
