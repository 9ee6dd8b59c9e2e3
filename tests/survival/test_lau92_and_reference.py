"""Lau92 selection correction of the adaptive thresholds and the "percentile" normal reference threshold."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats

from pyomics_bridge._conventions import ValidationError
from pyomics_bridge.survival._ectopic import adaptive_thresholds
from pyomics_bridge.survival._maxstat_pvalues import p_lausen92
from pyomics_bridge.survival._thresholds import reference_thresholds


def _null_cohort(n=200, g=300, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(2.0, 1.0, (n, g))  # no gene associated with survival
    t = rng.exponential(40.0, n)
    c = rng.uniform(0, 150, n)
    return X, np.minimum(t, c), t <= c


def _fit(X, t, e, correction, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return adaptive_thresholds(X, t, e, mode="calibrated", correction=correction, noise=None, cv=None,
                                   store_grid=True, random_state=0, **kw)


def test_lau92_equals_formula_over_admissible_range():
    # p_corrected = Lausen-Schumacher 1992 bound of the gene's max z, minprop/maxprop = the smallest/largest
    # low-group share among its admissible cuts (one-sided for direction="poor": half the two-sided bound)
    X, t, e = _null_cohort(g=25, seed=1)
    res = _fit(X, t, e, "Lau92")
    assert res.params["correction"] == "Lau92"
    n = X.shape[0]
    for gene, row in res.table.iterrows():
        cuts = res.grid[(res.grid["gene"] == gene) & res.grid["admissible"]]
        eps = 1.0 - cuts["n_activated"].to_numpy() / n
        top = float(cuts["z"].max())
        assert row["max_z"] == pytest.approx(top, rel=1e-12)
        phi = stats.norm.pdf(top)
        two = phi * (top - 1 / top) * np.log(eps.max() * (1 - eps.min()) / ((1 - eps.max()) * eps.min())) \
            + 4 * phi / top
        want = 1.0 if top < 1 else min(0.5 * two, 1.0)
        assert row["p_corrected"] == pytest.approx(want, rel=1e-10)
        assert row["p_corrected"] == pytest.approx(p_lausen92(top, eps.min(), eps.max(), two_sided=False),
                                                   rel=1e-12)


def test_lau92_calibrated_under_null_and_conservative():
    # 300 null genes: the uncorrected min-p over the grid rejects far above 5 %, Lau92 (a conservative bound)
    # at most about 5 %; Lau92 is never below the nominal p of the max-z cut
    X, t, e = _null_cohort()
    lau92 = _fit(X, t, e, "Lau92").table
    lau94 = _fit(X, t, e, "Lau94").table
    nominal = stats.norm.sf(lau92["max_z"])  # one-sided p of the chosen cut
    assert (nominal < 0.05).mean() > 0.15
    assert (lau92["p_corrected"] < 0.05).mean() <= 0.07
    assert (lau92["p_corrected"] >= nominal - 1e-12).all()
    # both bounds agree on the ranking of the genes (same max z, monotone in it)
    rho = stats.spearmanr(lau92["p_corrected"], lau94["p_corrected"]).statistic
    assert rho > 0.9


def test_lau92_rejected_names():
    X, t, e = _null_cohort(g=3)
    with pytest.raises(ValidationError, match="Lau92"):
        _fit(X, t, e, "lau92")  # names are case-sensitive, as in R maxstat; the error lists the valid ones


def test_reference_thresholds_percentile_hand_computed():
    normal = np.array([[0.0, 0.0, 5.0], [1.0, 10.0, 5.0], [2.0, 20.0, 5.0], [3.0, 30.0, 5.0], [4.0, 40.0, 5.0]])
    # linear interpolation: position 0.9 * (5 - 1) = 3.6 between the 4th and 5th sorted values
    np.testing.assert_allclose(reference_thresholds(normal, method="percentile", percentile=90, noise=None),
                               [3.6, 36.0, 5.0], rtol=1e-14)
    np.testing.assert_allclose(reference_thresholds(normal, method="percentile", percentile=25, noise=None),
                               [1.0, 10.0, 5.0], rtol=1e-14)
    # the noise floor applies: column 0 at the 10th percentile is 0.4 < 0.5
    np.testing.assert_allclose(reference_thresholds(normal, method="percentile", percentile=10, noise=0.5),
                               [0.5, 4.0, 5.0], rtol=1e-14)
    np.testing.assert_allclose(reference_thresholds(normal, method="percentile", percentile=100, noise=None),
                               normal.max(axis=0))
    with pytest.raises(ValidationError, match="percentile must be in"):
        reference_thresholds(normal, method="percentile", percentile=101)
    with pytest.raises(ValidationError, match="missing or infinite"):
        reference_thresholds(np.where(normal == 0, np.nan, normal), method="percentile")
