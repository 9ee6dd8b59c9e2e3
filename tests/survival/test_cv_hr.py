"""2-fold cross-validated HR of the optimised cut (Faraggi & Simon): optimism removed, seeded, n_jobs-free."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from joblib import parallel_config

from pyomics_bridge._conventions import ValidationError
from pyomics_bridge.survival._cox import CoxConvergenceWarning
from pyomics_bridge.survival._cv_hr import _pooled_labels, cross_validated_hr
from pyomics_bridge.survival._ectopic import adaptive_thresholds


def _cohort(n=300, g=24, seed=0, hr=3.0):
    rng = np.random.default_rng(seed)
    X = np.maximum(rng.normal(0.0, 1.5, (n, g)), 0.0)
    act = X[:, 0] > np.percentile(X[:, 0], 60)
    t = np.ceil(rng.exponential(40.0 / np.where(act, hr, 1.0)))
    c = rng.uniform(0, 150, n)
    return X, np.minimum(t, np.ceil(c)), (t <= c).astype(int)


def _fit(X, t, e, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CoxConvergenceWarning)
        return adaptive_thresholds(X, t, e, min_samples=20, cv=None, truncate=None, **kw)


def test_cv_hr_removes_optimism_and_keeps_the_planted_gene():
    X, t, e = _cohort(g=40)
    res = _fit(X, t, e, mode="calibrated", cv_hr=5, random_state=1)
    tab = res.table
    assert tab.loc["g0", "cv_hr"] > 2.0 and tab.loc["g0", "cv_hr_logrank_p"] < 1e-4
    assert tab.loc["g0", "cv_hr_repeats"] == 5
    assert tab.loc["g0", "cv_hr"] < tab.loc["g0", "hr"]  # shrunk towards 1
    null = tab.drop(index="g0")
    null = null[null["eligible"] & (null["cv_hr_repeats"] > 0)]
    # the HR at the maximal-statistic cut of null genes is optimistic (selected for excess events among the
    # activated); the cross-validated one is centred near 1
    sel = np.log(null["hr"].to_numpy())
    cvh = np.log(null["cv_hr"].to_numpy())
    assert sel.mean() > 0.08
    assert abs(cvh.mean()) < 0.06 and sel.mean() - cvh.mean() > 0.06
    assert (null["cv_hr_logrank_p"] > 0.01).mean() > 0.8


def test_pooled_labels_follow_the_other_half():
    X, t, e = _cohort(n=200, g=4, seed=2)
    halves = (np.arange(0, 200, 2), np.arange(1, 200, 2))
    kw = {"mode": "calibrated", "min_samples": 20}
    lab = _pooled_labels(X, t, e, halves, "threshold", kw)
    for train, test in (halves, halves[::-1]):
        thr = _fit(X[train], t[train], e[train], mode="calibrated", correction="none",
                   full_expression=False)
        expected = X[test] > thr.table["threshold"].to_numpy()[None, :]
        np.testing.assert_array_equal(lab[test] == 1, expected)
    lab_p = _pooled_labels(X, t, e, halves, "percentile", kw)
    assert np.isfinite(lab_p).all() and not np.array_equal(lab, lab_p)


def test_seeded_and_independent_of_n_jobs():
    X, t, e = _cohort(n=200, g=6, seed=3)
    a = cross_validated_hr(X, t, e, n_repeats=3, random_state=7, min_samples=20)
    b = cross_validated_hr(X, t, e, n_repeats=3, random_state=7, min_samples=20)
    with parallel_config(backend="threading"):
        c = cross_validated_hr(X, t, e, n_repeats=3, random_state=7, min_samples=20, n_jobs=2)
    d = cross_validated_hr(X, t, e, n_repeats=3, random_state=8, min_samples=20)
    assert a.equals(b) and a.equals(c)
    assert not a.equals(d)


def test_bad_arguments():
    X, t, e = _cohort(n=100, g=2)
    with pytest.raises(ValidationError, match="n_repeats"):
        cross_validated_hr(X, t, e, n_repeats=0)
    with pytest.raises(ValidationError, match="by must be"):
        cross_validated_hr(X, t, e, by="value")
    with pytest.raises(ValidationError, match=r"does not take \['cv'\]"):
        cross_validated_hr(X, t, e, cv=(5, 1))
    with pytest.raises(ValidationError, match="no events"):
        cross_validated_hr(X, t, np.zeros_like(e))
    with pytest.raises(ValidationError, match="cv_hr must be"):
        adaptive_thresholds(X, t, e, cv_hr=0)
    with pytest.raises(ValidationError, match="cv_hr_by"):
        adaptive_thresholds(X, t, e, cv_hr=2, cv_hr_by="value")
