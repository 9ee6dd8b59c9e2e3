"""Bad input of the survival entry points (issue 4): clear errors naming the field, or documented results.

Negative or missing times and events other than 0/1 are errors everywhere; all-censored data is an error where
nothing can be estimated (Cox, cut-point search, adaptive thresholds, PH test) and a documented result elsewhere;
a group without events gives an HR of exactly 0 or infinity with the log-rank p (no crash); constant genes are
NaN / not eligible.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from pyomics_bridge import survival as S
from pyomics_bridge._conventions import ValidationError

N = 60
RNG = np.random.default_rng(0)
T = RNG.exponential(10, N)
E = (RNG.random(N) < 0.6).astype(int)
G = np.repeat([0, 1], N // 2)
X = RNG.normal(size=(N, 3))

ENTRY_POINTS = {
    "kaplan_meier": lambda t, e: S.kaplan_meier(t, e),
    "logrank_test": lambda t, e: S.logrank_test(t, e, G),
    "CoxPH": lambda t, e: S.CoxPH().fit(X, t, e),
    "cox_screen": lambda t, e: S.cox_screen(X, t, e),
    "logrank_screen": lambda t, e: S.logrank_screen(X > 0, t, e),
    "maxstat_cutpoint": lambda t, e: S.maxstat_cutpoint(X[:, 0], t, e),
    "adaptive_thresholds": lambda t, e: S.adaptive_thresholds(np.abs(X) + 1, t, e, min_samples=5, cv=None),
    "cox_zph": lambda t, e: S.cox_zph(S.CoxPH().fit(X, T, E), X, t, e),
}
BAD = {
    "negative time": (np.where(np.arange(N) == 3, -1.0, T), E, r"time must be >= 0; found \[-1.0\]"),
    "missing time": (np.where(np.arange(N) == 3, np.nan, T), E, r"time has 1 missing value"),
    "event = 2": (T, np.where(np.arange(N) == 3, 2, E), r"event must be 0/1 \(or boolean\); found values \[2.0\]"),
    "event missing": (T, np.where(np.arange(N) == 3, np.nan, E), r"event must be 0/1"),
}


@pytest.mark.parametrize("case", list(BAD))
@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
def test_bad_times_and_events_are_named_errors(entry, case):
    t, e, match = BAD[case]
    with pytest.raises(ValidationError, match=match):
        ENTRY_POINTS[entry](t, e)


@pytest.mark.parametrize("entry, match", [
    ("CoxPH", "no events"), ("cox_screen", "no events"), ("adaptive_thresholds", "no events"),
    ("cox_zph", "no events"), ("maxstat_cutpoint", "no events"),
])
def test_all_censored_is_an_error_where_nothing_can_be_estimated(entry, match):
    with pytest.raises(ValidationError, match=match):
        ENTRY_POINTS[entry](T, np.zeros(N, dtype=int))


def test_all_censored_documented_results():
    none = np.zeros(N, dtype=int)
    km, median = S.kaplan_meier(T, none)
    assert (km["survival"] == 1.0).all() and np.isnan(median).all()
    lr = S.logrank_test(T, none, G)
    assert lr.statistic == 0.0 and lr.pvalue == 1.0  # as R survdiff: chisq 0
    screen = S.logrank_screen(X > 0, T, none)
    assert screen["statistic"].isna().all() and (screen["observed"] == 0).all()


def _zero_event_data():
    """Gene 0: the top 40 % (activated) carry every event; gene 1: the activated carry none."""
    rng = np.random.default_rng(1)
    n = 120
    x = rng.normal(3.0, 1.0, (n, 2))
    top0 = x[:, 0] > np.percentile(x[:, 0], 60)
    e = top0.astype(int)
    x[:, 1] = np.where(e == 1, rng.uniform(0.5, 1.0, n), rng.uniform(1.0, 6.0, n))  # events only at low x1
    return x, np.ceil(rng.exponential(20, n)), e


def test_group_without_events_infinite_or_zero_hr_not_a_crash():
    x, t, e = _zero_event_data()
    lr = S.logrank_test(t, e, x[:, 0] > np.percentile(x[:, 0], 60))
    assert np.isfinite(lr.statistic) and lr.pvalue < 1e-6
    with pytest.warns(S.CoxConvergenceWarning):
        fit = S.CoxPH().fit((x[:, [0]] > np.percentile(x[:, 0], 60)).astype(float), t, e)
    assert not fit.converged_ and fit.coef_.iloc[0] > 10  # R: "coefficient may be infinite"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", S.CoxConvergenceWarning)
        res = S.adaptive_thresholds(x, t, e, mode="epimed", min_samples=10, cv=(3, 1), random_state=0)
    grid = res.grid
    g0 = grid[(grid["gene"] == "g0") & grid["cox_p"].notna()]
    all_on = g0[g0["n_activated"] >= e.sum()]  # every event is activated: the others are all censored
    assert len(all_on) and np.isinf(all_on["cox_hr"]).all() and (all_on["cox_hr"] > 0).all()
    np.testing.assert_allclose(all_on["cox_p"], all_on["logrank_p"], rtol=1e-12)  # the log-rank p is reported
    assert (g0.loc[g0["n_activated"] < e.sum(), "cox_hr"] < np.inf).all()
    assert res.table.loc["g0", "validated"] and res.table.loc["g0", "hr"] > 1


def test_group_without_events_hr_zero_in_poor_direction_good():
    x, t, e = _zero_event_data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", S.CoxConvergenceWarning)
        res = S.adaptive_thresholds(x[:, [1]], t, e, mode="epimed", direction="good", min_samples=10, cv=None)
    g = res.grid[res.grid["admissible"] & res.grid["cox_p"].notna()]
    ev_on = np.array([e[x[:, 1] > thr].sum() for thr in g["threshold"]])
    none_on = ev_on == 0  # no event among the activated (all thresholds >= 1, where every event has x < 1)
    assert none_on.sum() > 10 and (g.loc[none_on, "cox_hr"] == 0).all() and (g.loc[~none_on, "cox_hr"] > 0).all()
    assert none_on[(g["threshold"] >= 1.0).to_numpy()].all()
    np.testing.assert_allclose(g.loc[none_on, "cox_p"], g.loc[none_on, "logrank_p"], rtol=1e-12)
    assert res.table["validated"].iloc[0] and res.table["hr"].iloc[0] == 0


def test_constant_genes():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", S.CoxConvergenceWarning)
        Xc = np.column_stack([np.full(N, 2.0), np.abs(X[:, 0]) + 1])
        res = S.adaptive_thresholds(Xc, T, E, min_samples=5, cv=None)
    assert not res.table["eligible"].iloc[0] and np.isnan(res.table["threshold"].iloc[0])
    assert res.table["eligible"].iloc[1]
    assert np.isnan(res.table["full_expression_p"].iloc[0])
    cs = S.cox_screen(Xc, T, E)
    assert np.isnan(cs["coef"].iloc[0]) and not cs["converged"].iloc[0]
    with pytest.raises(ValidationError, match="no admissible cut point"):
        S.maxstat_cutpoint(np.full(N, 2.0), T, E)
