"""Bad input and failure modes: collapsed structures, extreme β, zero-spread comparisons, wrong chromosome lengths,
all-zero rows, failed starts; HiC-Pro base / bin-size detection and iced's yeast sample."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import sparse

from pyomics_bridge import hic
from pyomics_bridge._conventions import ValidationError
from pyomics_bridge.hic._api import EmptyBinsWarning
from pyomics_bridge.hic._base import structure_problem
from pyomics_bridge.hic._poisson import PM1


def _degenerate_map():
    """A 6-bin chain whose pair (0, 1) has 1e15 counts and every other neighbour 1: the MLE puts beads 0 and 1
    ~1e-5 apart (d ∝ c^(1/α)), i.e. coincident on the scale of the chain."""
    C = np.zeros((6, 6))
    C[0, 1] = 1e15
    for k in range(1, 5):
        C[k, k + 1] = 1.0
    return C + C.T


@pytest.mark.parametrize("method", ["pm1", "pm2", "nb", "mds"])
def test_degenerate_map_collapse_is_an_error(method):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValidationError, match=r"every start failed.*start 0.*collapsed.*coincide"):
            hic.infer_structure(_degenerate_map(), method)


@pytest.mark.parametrize("method", ["pm1", "pm2", "nb"])
def test_absurd_beta_fails_clearly(small_chain, method):
    _, C, _ = small_chain
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValidationError, match=r"every start failed \(2 of 2\).*start 0.*start 1.*beta=1e\+300"):
            hic.infer_structure(C, method, beta=1e300, n_init=2)


def test_failed_starts_are_dropped_and_recorded(small_chain):
    X_true, C, _ = small_chain

    class Flaky(PM1):
        calls = 0

        def _fit_one(self, pairs, X0):
            res = super()._fit_one(pairs, X0)
            Flaky.calls += 1
            if Flaky.calls == 2:  # the second start "collapses"
                res = {**res, "X": np.zeros_like(res["X"])}
            return res

    model = Flaky(n_init=3, random_state=0, n_jobs=1)
    with pytest.warns(RuntimeWarning, match=r"1 of 3 start\(s\) failed.*start\(s\) 1"):
        model.fit(C)
    assert [f["start"] for f in model.failed_starts_] == [1]
    assert "zero spread" in model.failed_starts_[0]["reason"]
    np.testing.assert_array_equal(model.start_indices_, [0, 2])
    assert model.objectives_.shape == (2,) and model.structures_.shape == (2, 40, 3)
    assert model.best_init_ in (0, 2) and model.extra_["failed_starts"] == model.failed_starts_
    assert hic.dscc(model.structure_, X_true) > 0.9


def test_structure_problem_checks():
    rng = np.random.default_rng(0)
    X = np.cumsum(rng.normal(size=(20, 3)), axis=0)
    assert structure_problem(X, 1.0) is None
    assert "not finite" in structure_problem(X, np.nan)
    Y = X.copy()
    Y[3] = np.nan
    assert "NaN" in structure_problem(Y, 1.0)
    Y = X.copy()
    Y[7] = Y[12] + 1e-9  # non-neighbours coincide: found by the nearest-neighbour query
    assert "2 bead(s) coincide" in structure_problem(Y, 1.0)
    assert "zero spread" in structure_problem(np.ones((5, 3)), 1.0)


@pytest.mark.parametrize("func", [hic.dscc, hic.rmsd, hic.kabsch, hic.dpcc])
def test_zero_spread_comparisons_raise(func):
    X = np.random.default_rng(1).normal(size=(12, 3))
    Z = np.tile([1.0, 2.0, 3.0], (12, 1))
    with pytest.raises(ValidationError, match="Y has zero spread"):
        func(X, Z)
    with pytest.raises(ValidationError, match="X has zero spread"):
        func(Z, X)
    # NaN rows: only beads defined in both count; too few → a named error
    Y = X.copy()
    Y[3:] = np.nan
    X2 = X.copy()
    X2[:2] = np.nan
    with pytest.raises(ValidationError, match=r"X has 2 NaN row\(s\), Y 9, 1 in common"):
        func(X2, Y)


def test_equal_distances_dscc_raises():
    tetra = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]], float)
    with pytest.raises(ValidationError, match="pairwise distances of X are equal"):
        hic.dscc(tetra, np.random.default_rng(0).normal(size=(4, 3)))


@pytest.mark.parametrize("use_zero_counts", [True, False, "intra"])
def test_wrong_chrom_lengths_raise_in_every_mode(contact_adata, use_zero_counts):
    ad = contact_adata.copy()
    ad.uns["hic"]["chrom_lengths"] = {"chr1": 20, "chr2": 5}
    with pytest.raises(ValidationError, match=r"chrom_lengths'\] sums to 25 bins, expected 30"):
        hic.infer_structure(ad, "pm1", bias_key=None, use_zero_counts=use_zero_counts, max_iter=5)
    from pyomics_bridge import tl

    with pytest.raises(ValidationError, match="chrom_lengths"):
        tl.hic_structure(ad, method="mds", bias_key=None)
    assert "X_mds" not in ad.obsm  # nothing written


def test_all_zero_rows_are_reported(contact_adata):
    from pyomics_bridge import tl

    ad = contact_adata.copy()
    X = ad.X.tolil()
    X[[4, 17], :] = 0
    X[:, [4, 17]] = 0
    ad.X = sparse.csr_matrix(X)
    with pytest.warns(EmptyBinsWarning, match=r"2 bin\(s\) have no contacts \(all-zero rows: 4, 17\)"):
        res = hic.infer_structure(ad, "pm1", bias_key=None)
    np.testing.assert_array_equal(res.extra["empty_bins"], [4, 17])
    assert np.isnan(res.X[[4, 17]]).all() and np.isfinite(np.delete(res.X, [4, 17], axis=0)).all()
    with pytest.warns(EmptyBinsWarning):
        tl.hic_structure(ad, method="mds", bias_key=None)
    assert ad.uns["mds"]["n_empty_bins"] == 2 and list(ad.uns["mds"]["empty_bins"]) == [4, 17]
    # after ICE the empty bins are filtered (NaN bias): nothing to warn about
    tl.ice(ad)
    with warnings.catch_warnings():
        warnings.simplefilter("error", EmptyBinsWarning)
        tl.hic_structure(ad, method="mds")
    assert ad.uns["mds"]["n_empty_bins"] == 0


def test_missing_bias_column_message(contact_adata):
    with pytest.raises(ValidationError, match=r"no column 'ice_bias'; run pob.tl.ice\(adata\) first or pass bias_key"):
        hic.infer_structure(contact_adata, "mds")


def _write_iced_style(tmp_path, C, resolution=10_000, lengths=(12, 8)):
    """Files in the layout of iced's samples: 0-based ids in the matrix and the bed's 4th column, bed starts
    written 1-based inclusive (1 10000, 10001 20000, ...)."""
    rows = []
    k = 0
    for c, L in enumerate(lengths):
        for b in range(L):
            rows.append(f"chr{c + 1:02d}\t{b * resolution + 1}\t{(b + 1) * resolution}\t{k}")
            k += 1
    (tmp_path / "s.bed").write_text("\n".join(rows) + "\n")
    up = sparse.triu(sparse.csr_matrix(C), k=1).tocoo()
    (tmp_path / "s.matrix").write_text("".join(f"{i}\t{j}\t{v:.6f}\n" for i, j, v in zip(up.row, up.col, up.data, strict=True)))
    return tmp_path / "s.matrix", tmp_path / "s.bed"


def test_hicpro_base_and_resolution_detection(tmp_path, small_chain):
    _, C, _ = small_chain
    C = np.asarray(C.todense() if sparse.issparse(C) else C)[:20, :20]
    C[C.shape[0] - 1, 0] = C[0, C.shape[0] - 1] = 3.0  # the last bin (index n-1 = 19) and bin 0 have contacts
    m, b = _write_iced_style(tmp_path, C)
    counts, bins = hic.read_hicpro(m, b)
    np.testing.assert_allclose(counts.toarray(), C - np.diag(np.diag(C)))
    assert bins["start"].tolist()[:2] == [0, 10_000] and (bins["end"] - bins["start"] == 10_000).all()
    ad = hic.read_hicpro_anndata(m, b)
    assert ad.uns["hic"] == {"resolution": 10_000, "chrom_lengths": {"chr01": 12, "chr02": 8}}
    with pytest.raises(ValidationError, match="base=1"):
        hic.read_hicpro(m, b, base=1)  # explicit 1-based on 0-based files: index 0 becomes -1
    with pytest.raises(ValidationError, match="base must be 0, 1 or 'auto'"):
        hic.read_hicpro(m, b, base=2)
    # without an id column, the matrix decides: an index 0 means 0-based
    b.write_text("".join(line.rsplit("\t", 1)[0] + "\n" for line in b.read_text().splitlines()))
    counts2, _ = hic.read_hicpro(m, b)
    assert (counts2 != counts).nnz == 0
    # and a shorter last bin per chromosome does not change the bin size
    lines = b.read_text().splitlines()
    lines[11] = lines[11].replace("120000", "115000")
    b.write_text("\n".join(lines) + "\n")
    assert hic.read_hicpro_anndata(m, b).uns["hic"]["resolution"] == 10_000


def test_iced_yeast_loader_matches_iced():
    iced_datasets = pytest.importorskip("iced.datasets")
    from pyomics_bridge.datasets._hic_yeast import iced_yeast

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        counts, lengths = iced_datasets.load_sample_yeast()
    ad = iced_yeast()
    assert ad.shape == (350, 350) and ad.uns["hic"]["resolution"] == 10_000
    assert list(ad.uns["hic"]["chrom_lengths"].values()) == list(lengths)
    assert list(ad.uns["hic"]["chrom_lengths"]) == ["chr01", "chr02", "chr03", "chr04", "chr05"]
    np.testing.assert_array_equal(ad.X.toarray(), counts)
    assert ad.obs["start"].iloc[1] == 10_000 and ad.obs_names[0] == "chr01:0-10000"


def test_iced_yeast_missing_iced_names_pip(monkeypatch):
    import sys

    from pyomics_bridge._optional import MissingExtraError
    from pyomics_bridge.datasets import _hic_yeast

    monkeypatch.setitem(sys.modules, "iced", None)  # makes `import iced` fail as if it were not installed
    with pytest.raises(MissingExtraError, match=r"pip install iced"):
        _hic_yeast.iced_yeast()
