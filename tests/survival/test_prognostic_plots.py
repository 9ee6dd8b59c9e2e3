"""pl.threshold_scan and pl.forest: the numbers drawn (``*_data``) against independent recomputations."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from pyomics_bridge._conventions import ValidationError
from pyomics_bridge.datasets._ectopic import synthetic_ectopic
from pyomics_bridge.pl._prognostic import forest, forest_data, threshold_scan, threshold_scan_data
from pyomics_bridge.survival import CoxPH, logrank_test
from pyomics_bridge.tl import _prognostic as P


@pytest.fixture(scope="module")
def fitted():
    a = synthetic_ectopic(n_tumours=250, n_normals=30, n_genes=60, n_restricted=20, random_state=0)
    P.tissue_restricted_genes(a, atlas=a.uns["synthetic"]["atlas"], reference_tissues="colon")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        P.prognostic_thresholds(a, genes="tissue_restricted", random_state=0)
    b = synthetic_ectopic(n_tumours=200, n_normals=0, n_genes=60, n_restricted=20, random_state=1,
                          gene_random_state=0)
    P.validate_panel(b, a)
    return a, b


def _tumour_survival(adata, truncate=120.0):
    tum = (adata.obs["tissue_status"] != "normal").to_numpy() if "tissue_status" in adata.obs else \
        np.ones(adata.n_obs, bool)
    t = adata.obs["os_time"].to_numpy(float)[tum]
    e = adata.obs["os_event"].to_numpy().astype(bool)[tum] & (t <= truncate)
    return tum, np.minimum(t, truncate), e


def test_threshold_scan_data_matches_direct_logrank(fitted):
    a, _ = fitted
    gene = str(a.var["prognostic_p"].idxmin())
    data = threshold_scan_data(a, gene=gene)
    tum, t, e = _tumour_survival(a)
    x = a[:, gene].X.ravel()[tum]
    # thresholds are the percentiles of tumour expression (linear interpolation), 15..85 by 1
    np.testing.assert_allclose(data["percentile"], np.arange(15.0, 86.0))
    np.testing.assert_allclose(data["threshold"], np.percentile(x, data["percentile"]), rtol=1e-12)
    grid = a.uns["prognostic"]["grid"]
    sub = grid[grid["gene"] == gene]
    for _, row in data.iloc[::10].iterrows():
        high = x > row["threshold"]
        assert row["n_activated"] == high.sum()
        lr = logrank_test(t, e, groups=high)
        ref_p = sub.loc[sub["percentile"] == row["percentile"], "logrank_p"].iloc[0]
        assert ref_p == pytest.approx(lr.pvalue, rel=1e-9)
        if not np.isfinite(sub.loc[sub["percentile"] == row["percentile"], "cox_p"].iloc[0]):
            assert row["p"] == pytest.approx(lr.pvalue, rel=1e-9)
        assert row["neg_log10_p"] == pytest.approx(-np.log10(row["p"]), rel=1e-12)
    assert data["selected"].sum() == 1
    sel = data.loc[data["selected"]].iloc[0]
    assert sel["threshold"] == pytest.approx(a.var.loc[gene, "prognostic_threshold"], rel=1e-12)


def test_threshold_scan_draws_its_data(fitted):
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    a, _ = fitted
    gene = str(a.var["prognostic_p"].idxmin())
    data = threshold_scan_data(a, gene=gene)
    ax = threshold_scan(a, gene=gene)
    adm_line = ax.get_lines()[0]
    np.testing.assert_allclose(adm_line.get_xdata(), data["percentile"])
    np.testing.assert_allclose(adm_line.get_ydata(), np.where(data["admissible"], data["neg_log10_p"], np.nan))
    hr_line = [ln for ax2 in ax.figure.axes if ax2 is not ax for ln in ax2.get_lines()][0]
    np.testing.assert_allclose(hr_line.get_ydata(), data["hr"])
    plt.close(ax.figure)
    with pytest.raises(ValidationError, match="not in adata.uns"):
        threshold_scan_data(a, gene="no_such_gene")


def test_forest_data_matches_cox_and_is_drawn(fitted):
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    _, b = fitted
    data = forest_data(b)
    panel = list(b.uns["validate_panel"]["panel"])
    assert list(data.index) == [*panel, "n_activated (per gene)"]
    # per-gene HR: binary Cox (Efron) on "activated" in the validation cohort, 95 % Wald CI
    tum, t, e = _tumour_survival(b)
    g = panel[0]
    act = b[:, g].X.ravel()[tum] > b.var.loc[g, "validate_panel_threshold"]
    fit = CoxPH().fit(act[:, None].astype(float), t, e)
    beta, se = float(fit.coef_.iloc[0]), float(fit.se_.iloc[0])
    assert data.loc[g, "hr"] == pytest.approx(np.exp(beta), rel=1e-6)
    assert data.loc[g, "hr_lower"] == pytest.approx(np.exp(beta - 1.959963984540054 * se), rel=1e-6)
    # the count row: Cox on the number of activated genes
    n = b.obs["validate_panel_n_activated"].to_numpy(float)[tum]
    fit_n = CoxPH().fit(n[:, None], t, e)
    assert data.iloc[-1]["hr"] == pytest.approx(float(np.exp(fit_n.coef_.iloc[0])), rel=1e-8)
    ax = forest(b)
    drawn = ax.get_lines()[0]
    np.testing.assert_allclose(drawn.get_xdata(), data["hr"])
    np.testing.assert_allclose(drawn.get_ydata(), data["y"])
    assert [t.get_text() for t in ax.get_yticklabels()] == data["label"].tolist()
    plt.close(ax.figure)
