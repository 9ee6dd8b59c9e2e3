"""The issue's array-level names: pob.hic.ice, pob.hic.infer_structure (sparse, dense or AnnData input) and
pob.tl.hic_structure; they must agree with the estimator classes and the AnnData drivers they wrap."""

import numpy as np
import pytest
from scipy import sparse

import pyomics_bridge as pob
from pyomics_bridge._conventions import ValidationError


@pytest.fixture(scope="module")
def small_map():
    return pob.datasets.synthetic_hic(n_bins=60, mean_count=5.0, random_state=3)


def test_ice_returns_normalised_counts_and_bias(small_map):
    counts = small_map.X
    normalised, bias = pob.hic.ice(counts, percentage=0.0)
    est = pob.hic.ICE(percentage=0.0).fit(counts)
    np.testing.assert_allclose(bias, est.bias_, rtol=0, atol=0)
    dense = sparse.csr_matrix(counts).toarray()
    expected = dense / np.outer(bias, bias)
    np.testing.assert_allclose(normalised.toarray(), expected, rtol=1e-12)
    # balanced: equal row sums
    rows = normalised.toarray().sum(axis=1)
    assert rows.std() / rows.mean() < 1e-3
    # the same from a dense array and from the AnnData
    np.testing.assert_allclose(pob.hic.ice(dense, percentage=0.0)[1], bias)
    np.testing.assert_allclose(pob.hic.ice(small_map, percentage=0.0)[1], bias)


def test_infer_structure_array_and_anndata_agree(small_map):
    truth = small_map.obsm["X_true"]
    res = pob.hic.infer_structure(small_map.X, method="pm2", random_state=0)
    assert isinstance(res, pob.hic.StructureResult)
    assert res.X.shape == (60, 3) and np.isfinite(res.X).all()
    assert res.converged and res.alpha < 0 and res.beta > 0 and np.isfinite(res.objective)
    assert pob.hic.dscc(res.X, truth) > 0.9
    assert abs(res.alpha + 3.0) < 0.3  # simulated exponent -3
    dense = pob.hic.infer_structure(np.asarray(small_map.X.todense()), method="pm2", random_state=0)
    np.testing.assert_allclose(dense.X, res.X)
    via_adata = pob.hic.infer_structure(small_map, method="pm2", bias_key=None, random_state=0)
    np.testing.assert_allclose(via_adata.X, res.X)
    model = pob.hic.PM2(random_state=0).fit(small_map.X)
    np.testing.assert_allclose(model.structure_, res.X)
    assert res.objective == pytest.approx(model.objective_)


def test_tl_hic_structure_writes_the_kernel_result(small_map):
    ad = small_map.copy()
    pob.tl.hic_structure(ad, method="mds", bias_key=None, random_state=0)
    res = pob.hic.infer_structure(small_map, method="mds", bias_key=None, random_state=0)
    np.testing.assert_allclose(ad.obsm["X_mds"], res.X)
    assert ad.uns["mds"]["objective"] == pytest.approx(res.objective)


def test_infer_structure_bad_input(small_map):
    with pytest.raises(ValidationError, match="method must be one of"):
        pob.hic.infer_structure(small_map.X, method="pm3")
    with pytest.raises(ValidationError, match="lengths sum to 50 bins, but the contact matrix has 60"):
        pob.hic.infer_structure(small_map.X, lengths=[25, 25])
    with pytest.raises(ValidationError, match="adata.obs has no column 'ice_bias'"):
        pob.hic.infer_structure(small_map)
    with pytest.raises(ValidationError, match="filtered must be a boolean vector of length 60"):
        pob.hic.infer_structure(small_map.X, filtered=np.zeros(5, bool))
    asym = small_map.X.toarray()
    asym[0, 1] += 3
    with pytest.raises(ValidationError):
        pob.hic.infer_structure(asym)
