"""Time-dependent AUC (cumulative/dynamic, Uno's IPCW) and Harrell / Uno concordance.

References: scikit-survival (``cumulative_dynamic_auc``, ``concordance_index_censored``, ``concordance_index_ipcw``)
as a black box when installed; an independent brute-force O(n^2) implementation of the published formulas
written here; R-convention Harrell's C from ``concordance_counts`` / ``CoxPH.concordance_``.
"""

from __future__ import annotations

import numpy as np
import pytest

from pyomics_bridge._conventions import ValidationError
from pyomics_bridge.survival import CoxPH, concordance_counts
from pyomics_bridge.survival._discrimination import (
    censoring_survival,
    concordance_index,
    time_dependent_auc,
)


# --------------------------------------------------------------------------- data and brute force
def cohort(seed: int, n: int = 200, *, round_to: float | None = 0.1, risk_round: int | None = 1,
           cens_scale: float = 1.5):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    t_ev = rng.exponential(np.exp(-x))
    t_c = rng.exponential(cens_scale, size=n)
    t = np.minimum(t_ev, t_c)
    if round_to:
        t = np.round(t / round_to) * round_to + round_to  # many ties, events tied with censorings
    e = t_ev <= t_c
    risk = np.round(x, risk_round) if risk_round is not None else x
    return risk, t, e


def brute_G(train_t, train_e, s):
    """KM of the censoring distribution at s (events before censorings at tied times), by explicit loops."""
    g = 1.0
    for u in sorted(set(train_t.tolist())):
        if u > s:
            break
        at_risk = sum(1 for v in train_t if v >= u)
        d = sum(1 for v, ev in zip(train_t, train_e, strict=True) if v == u and ev)
        c = sum(1 for v, ev in zip(train_t, train_e, strict=True) if v == u and not ev)
        if c:
            g *= 1.0 - c / (at_risk - d)
    return g


def brute_auc(risk, t, e, s, train=None):
    tr_t, tr_e = (t, e) if train is None else train
    num = den_case = 0.0
    n_ctrl = sum(1 for v in t if v > s)
    for i in range(len(t)):
        if not (e[i] and t[i] <= s):
            continue
        w = 1.0 / brute_G(tr_t, tr_e, t[i])
        den_case += w
        for j in range(len(t)):
            if t[j] > s:
                num += w * (1.0 if risk[i] > risk[j] else 0.5 if risk[i] == risk[j] else 0.0)
    return num / (den_case * n_ctrl)


def brute_cindex(risk, t, e, *, tau=None, uno=False, train=None):
    tr_t, tr_e = (t, e) if train is None else train
    num = den = 0.0
    for i in range(len(t)):
        if not e[i] or (tau is not None and t[i] >= tau):
            continue
        w = brute_G(tr_t, tr_e, t[i]) ** -2 if uno else 1.0
        for j in range(len(t)):
            if t[j] > t[i] or (t[j] == t[i] and not e[j]):
                den += w
                num += w * (1.0 if risk[i] > risk[j] else 0.5 if risk[i] == risk[j] else 0.0)
    return num / den


# --------------------------------------------------------------------------- brute force (always runs)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_auc_matches_brute_force(seed):
    risk, t, e = cohort(seed, n=80)
    times = np.quantile(t[e], [0.1, 0.3, 0.5, 0.7, 0.9])
    res = time_dependent_auc(risk, t, e, times)
    expected = [brute_auc(risk, t, e, s) for s in res.times]
    np.testing.assert_allclose(res.auc, expected, rtol=1e-12, atol=0)
    assert (res.n_cases == [int((e & (t <= s)).sum()) for s in res.times]).all()
    assert (res.n_controls == [int((t > s).sum()) for s in res.times]).all()


def test_auc_with_training_censoring_matches_brute_force():
    risk, t, e = cohort(3, n=70)
    _, tr_t, tr_e = cohort(4, n=90)
    times = [0.3, 0.6, 1.0]
    res = time_dependent_auc(risk, t, e, times, train_time=tr_t, train_event=tr_e)
    expected = [brute_auc(risk, t, e, s, train=(tr_t, tr_e)) for s in res.times]
    np.testing.assert_allclose(res.auc, expected, rtol=1e-12)


@pytest.mark.parametrize("seed", [0, 5])
@pytest.mark.parametrize("tau", [None, 1.0])
def test_cindex_matches_brute_force(seed, tau):
    risk, t, e = cohort(seed, n=80)
    for method in ("harrell", "uno"):
        res = concordance_index(risk, t, e, tau=tau, method=method)
        expected = brute_cindex(risk, t, e, tau=tau, uno=method == "uno")
        assert res.cindex == pytest.approx(expected, rel=1e-12)


def test_uno_with_training_censoring_matches_brute_force():
    risk, t, e = cohort(6, n=60)
    _, tr_t, tr_e = cohort(7, n=100)
    res = concordance_index(risk, t, e, method="uno", tau=1.2, train_time=tr_t, train_event=tr_e)
    assert res.cindex == pytest.approx(brute_cindex(risk, t, e, tau=1.2, uno=True, train=(tr_t, tr_e)), rel=1e-12)


def test_censoring_survival_matches_brute_force():
    _, t, e = cohort(8, n=60)
    knots, g = censoring_survival(t, e)
    np.testing.assert_allclose(g, [brute_G(t, e, s) for s in knots], rtol=1e-14)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_harrell_equals_r_convention_concordance(seed):
    risk, t, e = cohort(seed, n=250)
    res = concordance_index(risk, t, e)
    ref = concordance_counts(t, e, risk)
    assert res.cindex == pytest.approx(ref["concordance"], rel=1e-13)
    assert (res.concordant, res.discordant, res.tied_risk, res.tied_time) == (
        ref["concordant"], ref["discordant"], ref["tied_x"], ref["tied_y"])


def test_harrell_equals_coxph_concordance():
    rng = np.random.default_rng(11)
    X = rng.normal(size=(200, 2))
    t = np.round(rng.exponential(np.exp(-X @ [0.8, -0.4])), 1) + 0.1
    e = rng.random(200) < 0.7
    fit = CoxPH().fit(X, t, e)
    assert concordance_index(fit.predict(X), t, e).cindex == pytest.approx(fit.concordance_, rel=1e-13)


def test_no_censoring_uno_equals_harrell():
    risk, t, _ = cohort(9, n=100)
    e = np.ones(t.size, dtype=bool)
    assert concordance_index(risk, t, e, method="uno").cindex == pytest.approx(
        concordance_index(risk, t, e).cindex, rel=1e-14)


def test_extremes_and_invariance():
    risk, t, e = cohort(10, n=150, risk_round=None, round_to=None)
    perfect = -t  # shorter time = higher risk
    assert concordance_index(perfect, t, e).cindex == 1.0
    assert concordance_index(-perfect, t, e).cindex == 0.0
    assert concordance_index(np.zeros(t.size), t, e).cindex == 0.5
    times = np.quantile(t[e], [0.25, 0.5, 0.75])
    np.testing.assert_allclose(time_dependent_auc(perfect, t, e, times).auc, 1.0, rtol=1e-14)
    np.testing.assert_allclose(time_dependent_auc(np.ones(t.size), t, e, times).auc, 0.5)
    # rank based: any increasing transform gives the same values
    a = time_dependent_auc(risk, t, e, times)
    b = time_dependent_auc(np.exp(3 * risk) + 7, t, e, times)
    np.testing.assert_allclose(a.auc, b.auc, rtol=1e-15)
    assert concordance_index(risk, t, e, method="uno").cindex == pytest.approx(
        concordance_index(np.exp(risk), t, e, method="uno").cindex, rel=1e-15)


def test_two_dimensional_risk_uses_one_column_per_time():
    risk, t, e = cohort(12, n=120)
    times = np.array([0.9, 0.3, 0.6])  # unsorted on purpose
    rng = np.random.default_rng(0)
    other = rng.normal(size=t.size)
    risk2 = np.column_stack([other, risk, -risk])  # columns follow the given times
    res = time_dependent_auc(risk2, t, e, times)
    assert list(res.times) == [0.3, 0.6, 0.9]
    assert res.auc[0] == pytest.approx(time_dependent_auc(risk, t, e, [0.3]).auc[0], rel=1e-14)
    assert res.auc[1] == pytest.approx(time_dependent_auc(-risk, t, e, [0.6]).auc[0], rel=1e-14)
    assert res.auc[2] == pytest.approx(time_dependent_auc(other, t, e, [0.9]).auc[0], rel=1e-14)


def test_input_errors():
    risk, t, e = cohort(13, n=50)
    with pytest.raises(ValidationError, match="within the follow-up"):
        time_dependent_auc(risk, t, e, [t.max()])
    with pytest.raises(ValidationError, match="risk must have"):
        time_dependent_auc(risk[:-1], t, e, [0.5])
    with pytest.raises(ValidationError, match="non-finite"):
        concordance_index(np.where(np.arange(t.size) == 0, np.nan, risk), t, e)
    with pytest.raises(ValidationError, match="method"):
        concordance_index(risk, t, e, method="gonen")
    with pytest.raises(ValidationError, match="both"):
        time_dependent_auc(risk, t, e, [0.5], train_time=t)
    with pytest.raises(ValidationError, match="only used"):
        concordance_index(risk, t, e, train_time=t, train_event=e)
    # the largest time is censored and an event is tied with it: G = 0 there
    t2, e2 = np.array([1.0, 2.0, 3.0, 3.0]), np.array([1, 1, 1, 0], dtype=bool)
    t3, e3 = np.array([1.0, 2.0, 3.0, 4.0, 4.0]), np.array([1, 0, 1, 0, 1], dtype=bool)
    with pytest.raises(ValidationError, match="censoring survival function is 0"):
        concordance_index([3, 2, 1, 0], t2, e2, method="uno")  # G(3) = 0 (as sksurv, which raises too)
    assert concordance_index([3, 2, 1, 0], t2, e2, method="uno", tau=3.0).cindex == 1.0
    with pytest.raises(ValidationError, match="censoring survival function is 0"):
        time_dependent_auc([4, 3, 2, 1, 0], t3, e3, [3.5], train_time=[1.0, 2.0, 3.0], train_event=[1, 0, 0])


# --------------------------------------------------------------------------- scikit-survival (black box)
@pytest.fixture(scope="module")
def sksurv_metrics():
    metrics = pytest.importorskip("sksurv.metrics")
    util = pytest.importorskip("sksurv.util")
    return metrics, util.Surv


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_against_sksurv(sksurv_metrics, seed):
    metrics, Surv = sksurv_metrics
    risk, t, e = cohort(seed, n=400)
    y = Surv.from_arrays(e, t)
    times = np.quantile(t[e], np.linspace(0.1, 0.9, 9))
    res = time_dependent_auc(risk, t, e, times)
    auc, mean_auc = metrics.cumulative_dynamic_auc(y, y, risk, times)
    np.testing.assert_allclose(res.auc, auc, rtol=1e-12)
    assert res.mean_auc == pytest.approx(mean_auc, rel=1e-12)
    c = concordance_index(risk, t, e)
    ref = metrics.concordance_index_censored(e, t, risk)
    assert c.cindex == pytest.approx(ref[0], rel=1e-13)
    assert (c.concordant, c.discordant, c.tied_risk) == tuple(int(v) for v in ref[1:4])
    for tau in (None, float(np.quantile(t, 0.8))):
        u = concordance_index(risk, t, e, method="uno", tau=tau)
        assert u.cindex == pytest.approx(metrics.concordance_index_ipcw(y, y, risk, tau=tau)[0], rel=1e-12)


def test_against_sksurv_train_test(sksurv_metrics):
    metrics, Surv = sksurv_metrics
    _, tr_t, tr_e = cohort(20, n=500, cens_scale=2.0)
    risk, t, e = cohort(21, n=300, risk_round=None)
    y_tr, y_te = Surv.from_arrays(tr_e, tr_t), Surv.from_arrays(e, t)
    times = np.quantile(t[e], [0.2, 0.5, 0.8])
    res = time_dependent_auc(risk, t, e, times, train_time=tr_t, train_event=tr_e)
    auc, mean_auc = metrics.cumulative_dynamic_auc(y_tr, y_te, risk, times)
    np.testing.assert_allclose(res.auc, auc, rtol=1e-12)
    assert res.mean_auc == pytest.approx(mean_auc, rel=1e-12)
    tau = float(np.quantile(t, 0.9))
    u = concordance_index(risk, t, e, method="uno", tau=tau, train_time=tr_t, train_event=tr_e)
    assert u.cindex == pytest.approx(metrics.concordance_index_ipcw(y_tr, y_te, risk, tau=tau)[0], rel=1e-12)
    # time-dependent (2-d) risk
    risk2 = np.column_stack([risk, risk ** 2, -risk])
    res2 = time_dependent_auc(risk2, t, e, times, train_time=tr_t, train_event=tr_e)
    auc2, _ = metrics.cumulative_dynamic_auc(y_tr, y_te, risk2, times)
    np.testing.assert_allclose(res2.auc, auc2, rtol=1e-12)
