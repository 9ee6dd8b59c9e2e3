"""AnnData drivers, synthetic dataset, I/O and plots."""

from __future__ import annotations

import copy as copymod

import numpy as np
import pytest
from anndata import AnnData

from pyomics_bridge import hic
from pyomics_bridge._conventions import ValidationError
from pyomics_bridge.tl._hic import consensus_structure, ice, infer_structure


def test_synthetic_dataset(contact_adata):
    from pyomics_bridge.datasets import load

    ad = contact_adata
    assert ad.shape == (30, 30) and ad.obsm["X_true"].shape == (30, 3)
    assert ad.uns["hic"]["resolution"] == 10_000 and ad.uns["hic"]["chrom_lengths"] == {"chr1": 30}
    assert list(ad.obs.columns[:3]) == ["chrom", "start", "end"]
    again = load("synthetic_hic", n_bins=30, mean_count=5.0, bias_sd=0.2, random_state=1)
    assert (again.X != ad.X).nnz == 0


def test_ice_and_structure_drivers(contact_adata):
    ad = contact_adata
    assert ice(ad, percentage=0.0) is None
    assert ad.uns["ice"]["converged"] and ad.obs["ice_bias"].notna().all()
    # recovered biases follow the simulated ones
    assert np.corrcoef(np.log(ad.obs["ice_bias"]), np.log(ad.obs["true_bias"]))[0, 1] > 0.4
    assert ad.uns["ice"]["params"]["percentage"] == 0.0 and "versions" in ad.uns["ice"]
    out = infer_structure(ad, method="mds", n_init=2, max_iter=200, copy=True)
    assert isinstance(out, AnnData) and "X_mds" not in ad.obsm
    assert out.obsm["X_mds"].shape == (30, 3) and out.uns["mds"]["objectives"].shape == (2,)
    infer_structure(ad, method="pm1", max_iter=500, key_added="pm1z")
    u = ad.uns["pm1z"]
    assert u["alpha"] == -3.0 and u["beta"] > 0 and u["n_pairs"] == 30 * 29 // 2
    assert hic.dscc(ad.obsm["X_pm1z"], ad.obsm["X_true"]) > 0.7


def test_ice_filter_marks_nan_structure(contact_adata):
    ad = contact_adata
    ice(ad, percentage=0.1)
    assert 1 <= ad.obs["ice_filtered"].sum() <= 3
    infer_structure(ad, method="mds", max_iter=100)
    assert np.isnan(ad.obsm["X_mds"][ad.obs["ice_filtered"].to_numpy()]).all()


def test_consensus_driver(contact_adata):
    ad = contact_adata
    consensus_structure(ad, method="mds", bias_key=None, n_init=3, max_iter=200)
    assert ad.obsm["X_consensus"].shape == (30, 3) and ad.obsm["X_consensus_best"].shape == (30, 3)
    assert ad.obs["consensus_variability"].ge(0).all() and ad.uns["consensus"]["objectives"].shape == (3,)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"method": "tsne"}, "method must be one of"),
        ({"bias_key": "nope"}, "no column 'nope'"),
        ({"bias_key": None, "alpha": 2.0}, "alpha must be"),
    ],
)
def test_bad_input_leaves_object_intact(contact_adata, kwargs, match):
    before = copymod.deepcopy(contact_adata)
    with pytest.raises((ValidationError, TypeError), match=match):
        infer_structure(contact_adata, **kwargs)
    assert contact_adata.uns.keys() == before.uns.keys() and contact_adata.obsm.keys() == before.obsm.keys()


def test_not_a_contact_map():
    with pytest.raises(ValidationError, match="bins as obs and var"):
        ice(AnnData(np.ones((3, 4))))
    with pytest.raises(TypeError):
        ice(np.ones((3, 3)))


def test_hicpro_round_trip(tmp_path, contact_adata):
    ad = contact_adata
    hic.write_hicpro(ad.X, ad.obs, tmp_path / "m.matrix", tmp_path / "m.bed")
    back = hic.read_hicpro_anndata(tmp_path / "m.matrix", tmp_path / "m.bed")
    assert (back.X != ad.X).nnz == 0 and list(back.obs_names) == list(ad.obs_names)
    coo = ad.X.tocoo()
    from_coo = hic.from_coo(coo.row, coo.col, coo.data, ad.n_obs)
    assert (from_coo.X != ad.X).nnz == 0
    with pytest.raises(ValidationError, match="base"):
        hic.read_hicpro(tmp_path / "m.matrix", tmp_path / "m.bed", base=0)
    hic.write_structure_pdb(ad.obsm["X_true"], tmp_path / "s.pdb")
    assert (tmp_path / "s.pdb").read_text().count("ATOM") == 30


def test_plots(contact_adata):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from pyomics_bridge.pl._hic import contact_map, distance_decay, structure_3d

    ice(contact_adata, percentage=0.0)
    assert contact_map(contact_adata, bias_key="ice_bias") is not None
    assert structure_3d(contact_adata, basis="true") is not None
    assert distance_decay(contact_adata) is not None
    with pytest.raises(ValidationError, match="no 'X_pm2'"):
        structure_3d(contact_adata, basis="pm2")
    plt.close("all")


@pytest.mark.slow
def test_demo_workflow_small(tmp_path):
    pytest.importorskip("matplotlib")
    from pyomics_bridge.workflows._hic import run

    res = run(tmp_path, random_state=0, n_bins=20, max_iter=200)
    table = res.tables[0][1]
    assert list(table.index) == ["pm2", "pm2_nonzero", "mds"] and len(res.figures) == 2
    assert (tmp_path / "hic.h5ad").exists()
