"""Region × k-mer heatmap of the environment features: its numbers and what is drawn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from anndata import AnnData

from pyomics_bridge import pl
from pyomics_bridge._conventions import ValidationError


def _adata():
    feats = pd.DataFrame({
        "family": ["environment"] * 4 + ["core"],
        "kmer": ["CG", "CG", "TA", "GGC", None],
        "region_start": [-300, -250, -100, 0, 0],
        "region_end": [-200, -150, 0, 250, 0],
        "coef_environment": [0.5, 0.25, -0.75, 0.0, 0.0],  # GGC not selected (0)
        "coef_full": [0.1, 0.0, 0.0, 0.2, 0.9],
    }, index=["env[-300,-200)k2:CG", "env[-250,-150)k2:CG", "env[-100,0)k2:TA", "env[0,250)k3:GGC", "core[+1]A"])
    ad = AnnData(np.zeros((2, 0)))
    ad.uns["tfscope"] = {"features": feats, "classes": np.array(["B", "A"])}
    return ad


def test_environment_matrix_sums_overlapping_regions():
    M = pl.tfscope_environment_data(_adata())
    # rows by largest |coef| first (TA 0.75, CG 0.5); columns cut by every boundary
    assert M.index.tolist() == ["TA", "CG"]
    assert M.columns.tolist() == ["[-300,-250)", "[-250,-200)", "[-200,-150)", "[-150,-100)", "[-100,+0)"]
    np.testing.assert_allclose(M.loc["CG"].to_numpy(), [0.5, 0.75, 0.25, 0.0, 0.0])
    np.testing.assert_allclose(M.loc["TA"].to_numpy(), [0.0, 0.0, 0.0, 0.0, -0.75])
    full = pl.tfscope_environment_data(_adata(), model="full", top=1)  # the top feature only: GGC
    assert full.index.tolist() == ["GGC"] and full.columns.tolist() == ["[+0,+250)"]
    assert full.iloc[0, 0] == pytest.approx(0.2)


def test_environment_heatmap_draws_the_matrix():
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.collections import QuadMesh

    ad = _adata()
    ax = pl.tfscope_environment(ad)
    mesh = [c for c in ax.collections if isinstance(c, QuadMesh)]
    assert len(mesh) == 1
    np.testing.assert_allclose(np.asarray(mesh[0].get_array()).reshape(2, 5),
                               pl.tfscope_environment_data(ad).to_numpy())
    assert [t.get_text() for t in ax.get_yticklabels()] == ["TA", "CG"]
    seg = pl.tfscope_environment(ad, kind="segments")
    assert len(seg.collections) == 3  # one line per selected feature
    with pytest.raises(ValidationError, match="kind must be"):
        pl.tfscope_environment(ad, kind="bars")
    with pytest.raises(ValidationError, match="no coefficients for model 'cnn'"):
        pl.tfscope_environment_data(ad, model="cnn")
