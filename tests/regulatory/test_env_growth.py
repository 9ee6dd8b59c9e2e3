"""DExTER-style greedy k-mer growth in the environment search recovers a planted 6-mer and its region."""

from __future__ import annotations

import numpy as np

from pyomics_bridge import regulatory as R


def test_kmer_growth_recovers_planted_6mer_region():
    rng = np.random.default_rng(0)
    n, L = 300, 400
    codes = R.sample_markov(R._simulate.BACKGROUND_CHAIN, n, L, rng)
    y = np.repeat([1, 0], n // 2)
    site = R.encode("GACGTC")
    c = L // 2
    for i in np.nonzero(y == 1)[0]:
        if rng.random() < 0.6:  # in 60 % of class A, inside [-150, -50)
            p = int(rng.integers(c - 150, c - 50 - site.size + 1))
            codes[i, p : p + site.size] = site
    es = R.EnvironmentSearch(k_max=3, n_features=3, grow_to=6).fit(codes, y)
    top = es.selected_.iloc[0]
    assert len(top["kmer"]) >= 5 and top["kmer"] in "AGACGTCA"  # grown from <= 3 to a 5/6-mer of the site
    assert (top["region_start"], top["region_end"]) == (-150, -50)
    assert top["correlation"] > 0
    # without growth the best k-mer stays at k <= 3 with a weaker correlation
    base = R.EnvironmentSearch(k_max=3, n_features=3).fit(codes, y).selected_.iloc[0]
    assert base["k"] <= 3 and abs(base["correlation"]) < top["correlation"]
    F, var = es.transform(codes)
    assert F.shape == (n, len(es.selected_)) and var.index[0] == f"envsearch[-150,-50):{top['kmer']}"
