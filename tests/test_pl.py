"""Plots: the numbers behind them (tested against independent computations) and that they draw."""

from __future__ import annotations

import numpy as np
import pytest

import pyomics_bridge as pob
from pyomics_bridge._conventions import ValidationError

plt = pytest.importorskip("matplotlib.pyplot")


@pytest.fixture(scope="module")
def fitted():
    block = pob.datasets.synthetic_multiomics(random_state=1)["mrna"].copy()
    pob.tl.splsda(block, groupby="class", n_components=2, keepX=[10, 10])
    return block


def test_variable_correlations_match_numpy(fitted):
    cor = pob.pl.variable_correlations(fitted, basis="X_splsda", loadings="splsda_loadings")
    selected = (fitted.varm["splsda_loadings"] != 0).any(axis=1)
    assert list(cor.index) == list(fitted.var_names[selected])
    x = np.asarray(fitted.X)
    for name in cor.index[:5]:
        j = fitted.var_names.get_loc(name)
        for h in range(2):
            ref = np.corrcoef(x[:, j], fitted.obsm["X_splsda"][:, h])[0, 1]
            assert cor.loc[name, f"comp{h + 1}"] == pytest.approx(ref, abs=1e-12)


def test_sparse_selection_finds_informative_features(fitted):
    selected = (fitted.varm["splsda_loadings"] != 0).any(axis=1)
    assert fitted.var["informative"].to_numpy()[selected].sum() >= 8  # of 10 planted


def test_plots_draw(fitted):
    fig, axes = plt.subplots(1, 2)
    pob.pl.sample_plot(fitted, basis="X_splsda", color="class", ellipse=True, ax=axes[0])
    assert len(axes[0].collections) == 3  # one scatter per class
    pob.pl.correlation_circle(fitted, basis="X_splsda", loadings="splsda_loadings", highlight="informative",
                              ax=axes[1])
    n_points = axes[1].collections[0].get_offsets().shape[0]
    assert n_points == int((fitted.varm["splsda_loadings"] != 0).any(axis=1).sum())
    plt.close(fig)


def test_plot_errors(fitted):
    with pytest.raises(ValidationError, match="adata.obsm has no 'X_nope'"):
        pob.pl.sample_plot(fitted, basis="X_nope")
    with pytest.raises(ValidationError, match="comps must be two component numbers in 1..2"):
        pob.pl.sample_plot(fitted, basis="X_splsda", comps=(1, 3))


def test_kaplan_meier_plot_needs_tl(surv_adata):
    with pytest.raises(ValidationError, match=r"run pob.tl.kaplan_meier"):
        pob.pl.kaplan_meier(surv_adata)
    pob.tl.kaplan_meier(surv_adata, groupby="arm")
    ax = pob.pl.kaplan_meier(surv_adata)
    assert len(ax.get_legend().get_texts()) == 3
    plt.close(ax.figure)


def test_synthetic_multiomics_deterministic():
    a = pob.datasets.synthetic_multiomics(random_state=3)
    b = pob.datasets.synthetic_multiomics(random_state=3)
    c = pob.datasets.synthetic_multiomics(random_state=4)
    for mod in a.mod:
        np.testing.assert_array_equal(a[mod].X, b[mod].X)
        assert a[mod].var["informative"].sum() == 10
    assert not np.array_equal(a["mrna"].X, c["mrna"].X)
    assert list(a.obs["class"].cat.categories) == ["class_1", "class_2", "class_3"]
    with pytest.raises(ValidationError, match="fewer than n_informative"):
        pob.datasets.synthetic_multiomics(blocks={"x": 5}, n_informative=10)
