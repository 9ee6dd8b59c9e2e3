"""`.cool` / `.mcool` round trips through cooler (skipped when cooler is not installed)."""

from __future__ import annotations

import numpy as np
import pytest

from pyomics_bridge import hic
from pyomics_bridge._conventions import ValidationError

cooler = pytest.importorskip("cooler")


@pytest.fixture
def contact_map():
    rng = np.random.default_rng(0)
    X = hic.random_walk(60, rng=rng)
    C, _ = hic.simulate_counts(X, mean_count=3.0, rng=rng)
    return hic.contact_anndata(C, lengths=[25, 35], resolution=10_000)


def test_cool_round_trip_exact(contact_map, tmp_path):
    path = tmp_path / "map.cool"
    hic.write_cool(contact_map, path)
    back = hic.read_cool(path)
    assert back.shape == contact_map.shape
    assert abs(back.X - contact_map.X).max() == 0
    assert list(back.obs_names) == list(contact_map.obs_names)
    assert back.uns["hic"]["chrom_lengths"] == {"chr1": 25, "chr2": 35}
    assert back.uns["hic"]["resolution"] == 10_000
    # cooler itself sees the same upper-triangle pixels
    clr = cooler.Cooler(str(path))
    assert clr.pixels()[:]["count"].sum() == pytest.approx(np.triu(contact_map.X.toarray()).sum())
    sub = hic.read_cool(path, chrom="chr2")
    assert abs(sub.X - contact_map.X[25:, 25:]).max() == 0
    with pytest.raises(ValidationError, match="chrX"):
        hic.read_cool(path, chrom="chrX")


def test_cool_weights_from_ice_bias(contact_map, tmp_path):
    pob = pytest.importorskip("pyomics_bridge")
    pob.tl.ice(contact_map)
    path = tmp_path / "balanced.cool"
    hic.write_cool(contact_map, path, bias_key="ice_bias")
    back = hic.read_cool(path)
    bias = contact_map.obs["ice_bias"].to_numpy()
    ok = np.isfinite(bias)
    np.testing.assert_allclose(back.obs["cooler_weight"].to_numpy()[ok] * bias[ok], 1.0, rtol=1e-12)
    # cooler's balanced matrix equals the ICE-normalised counts (weights = 1 / bias)
    bal = cooler.Cooler(str(path)).matrix(balance=True)[:]
    norm = contact_map.X.toarray() / np.outer(bias, bias)
    np.testing.assert_allclose(np.nan_to_num(bal)[np.ix_(ok, ok)], norm[np.ix_(ok, ok)], rtol=1e-10)


def test_mcool_resolution(contact_map, tmp_path):
    path = tmp_path / "map.cool"
    hic.write_cool(contact_map, path)
    mpath = tmp_path / "map.mcool"
    cooler.zoomify_cooler(str(path), str(mpath), resolutions=[10_000, 20_000], chunksize=10_000)
    assert hic.list_resolutions(mpath) == [10_000, 20_000]
    with pytest.raises(ValidationError, match="resolution"):
        hic.read_cool(mpath)
    coarse = hic.read_cool(mpath, resolution=20_000)
    assert coarse.uns["hic"]["chrom_lengths"] == {"chr1": 13, "chr2": 18}
    # off-diagonal coarse counts are sums of the fine blocks (chromosome-wise 2-bin aggregation)
    fine = contact_map.X.toarray()
    groups = np.concatenate([np.arange(25) // 2, 13 + np.arange(35) // 2])
    agg = np.zeros((31, 31))
    np.add.at(agg, (groups[:, None], groups[None, :]), fine)
    dense = coarse.X.toarray()
    off = ~np.eye(31, dtype=bool)
    np.testing.assert_allclose(dense[off], agg[off])


def test_write_cool_bad_input(contact_map, tmp_path):
    bad = contact_map.copy()
    del bad.obs["start"]
    with pytest.raises(ValidationError, match="start"):
        hic.write_cool(bad, tmp_path / "x.cool")
    with pytest.raises(ValidationError, match="no column"):
        hic.write_cool(contact_map, tmp_path / "x.cool", bias_key="nope")
