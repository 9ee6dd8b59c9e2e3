"""cox_zph: the proportional-hazards score test against R's survival::cox.zph (live and stored numbers)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pyomics_bridge._conventions import ValidationError
from pyomics_bridge.survival._cox import CoxPH
from pyomics_bridge.survival._cox_zph import cox_zph

from .conftest import rel_err

LUNG_COLS = ["age", "sex", "ph.ecog"]
VETERAN_COLS = ["karno", "age", "trt"]


def _lung_subset(d: pd.DataFrame) -> pd.DataFrame:
    d = d[["time", "status", *LUNG_COLS]].dropna().reset_index(drop=True)
    return d.assign(event=(d["status"] == 2).astype(int))


@pytest.mark.r
@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("transform", ["km", "rank", "identity"])
@pytest.mark.parametrize("dataset", ["lung", "veteran"])
def test_matches_r_cox_zph(request, dataset, ties, transform):
    from pyomics_bridge.r.survival_zph import cox_zph as r_cox_zph

    if dataset == "lung":
        d, cols = _lung_subset(request.getfixturevalue("lung")), LUNG_COLS
        e = d["event"].to_numpy()
    else:
        d, cols = request.getfixturevalue("veteran"), VETERAN_COLS
        e = d["status"].to_numpy().astype(int)
    t = d["time"].to_numpy(float)
    ref = r_cox_zph(d[cols].to_numpy(float), t, e, ties=ties, transform=transform)
    fit = CoxPH(ties=ties).fit(d[cols], t, e)
    res = cox_zph(fit, d[cols], t, e, transform=transform)
    assert list(res.table.index) == [*cols, "GLOBAL"]
    assert rel_err(res.table["chisq"], ref.table["chisq"]) < 1e-6
    assert (res.table["df"].to_numpy() == ref.table["df"].to_numpy()).all()
    assert rel_err(res.table["p"], ref.table["p"]) < 1e-6
    np.testing.assert_allclose(res.x, ref.x, rtol=1e-12)
    np.testing.assert_allclose(res.time, ref.time, rtol=0)
    np.testing.assert_allclose(res.y.to_numpy(), ref.y.to_numpy(), rtol=1e-6, atol=1e-8)
    # the R coefficients give the same test to rounding (the difference above is only the fit's tolerance)
    res_r = cox_zph({"coef": ref.coef, "ties": ties}, d[cols], t, e, transform=transform)
    assert rel_err(res_r.table["chisq"], ref.table["chisq"]) < 1e-8


@pytest.mark.r
def test_matches_r_cox_zph_strata(lung):
    from pyomics_bridge.r.survival_zph import cox_zph as r_cox_zph

    d = _lung_subset(lung)
    cols = ["age", "ph.ecog"]
    t, e = d["time"].to_numpy(float), d["event"].to_numpy()
    ref = r_cox_zph(d[cols].to_numpy(float), t, e, strata=d["sex"].to_numpy(), transform="km")
    fit = CoxPH().fit(d[cols], t, e, strata=d["sex"].to_numpy())
    res = cox_zph(fit, d[cols], t, e, strata=d["sex"].to_numpy(), transform="km")
    assert rel_err(res.table["chisq"], ref.table["chisq"]) < 1e-6
    np.testing.assert_allclose(res.y.to_numpy(), ref.y.to_numpy(), rtol=1e-6, atol=1e-8)


def test_stored_r_numbers_lung():
    """R 4.2.2 / survival 3.5-3: cox.zph(coxph(Surv(time, status) ~ age + sex + ph.ecog, lung)) (no R needed)."""
    lifelines = pytest.importorskip("lifelines")
    d = lifelines.datasets.load_lung()[["time", "status", *LUNG_COLS]].dropna().reset_index(drop=True)
    t, e = d["time"].to_numpy(float), d["status"].to_numpy().astype(int)  # lifelines codes death as 1
    assert e.sum() == 164
    fit = CoxPH().fit(d[LUNG_COLS], t, e)
    stored = {
        "km": [0.18798767365229, 2.30543722740497, 2.05424877405441, 4.46365758875861],
        "rank": [0.117291506990152, 2.044694680235669, 2.544878392625574, 4.710680141288768],
        "identity": [0.15235031725392, 2.49191321710657, 1.57823523837676, 4.11938295147948],
    }
    for transform, chisq in stored.items():
        res = cox_zph(fit, d[LUNG_COLS], t, e, transform=transform)
        assert rel_err(res.table["chisq"], chisq) < 1e-6, transform
    res = cox_zph(fit, d[LUNG_COLS], t, e)
    # R: head(z$y, 1) and z$x[1:2]
    np.testing.assert_allclose(res.y.iloc[0], [0.0596552515373132, 3.00589500372551, -2.2292645718606714], rtol=1e-6)
    np.testing.assert_allclose(res.x[:2], [0.0, 1 / 227], rtol=1e-12)


def test_brute_force_expanded_model():
    """The statistic is the score test of the model with x * g(t): check it by finite differences of that model's
    partial likelihood, written as a plain loop over event times (Breslow, no ties, one covariate)."""
    rng = np.random.default_rng(0)
    n = 100
    x = rng.normal(size=n)
    t = rng.exponential(np.exp(-x))  # hazard increases with x before time 0.5, decreases after
    late = t > 0.5
    t[late] = 0.5 + rng.exponential(np.exp(x[late]))
    c = rng.uniform(0.5, 4, n)
    time, event = np.minimum(t, c), (t <= c).astype(int)
    fit = CoxPH(ties="breslow").fit(x[:, None], time, event)
    res = cox_zph(fit, x[:, None], time, event, transform="identity", global_test=False)

    def loglik(b, th):
        ll = 0.0
        for i in np.flatnonzero(event):
            risk = time >= time[i]
            eta = (b + th * time[i]) * x
            ll += eta[i] - np.log(np.exp(eta[risk]).sum())
        return ll

    b0, h = fit.coef_.iloc[0], 1e-4
    f = lambda b, th: loglik(b, th)  # noqa: E731
    u = np.array([(f(b0 + h, 0) - f(b0 - h, 0)) / (2 * h), (f(b0, h) - f(b0, -h)) / (2 * h)])
    i_bb = -(f(b0 + h, 0) - 2 * f(b0, 0) + f(b0 - h, 0)) / h**2
    i_tt = -(f(b0, h) - 2 * f(b0, 0) + f(b0, -h)) / h**2
    i_bt = -(f(b0 + h, h) - f(b0 + h, -h) - f(b0 - h, h) + f(b0 - h, -h)) / (4 * h * h)
    info = np.array([[i_bb, i_bt], [i_bt, i_tt]])
    stat = u @ np.linalg.solve(info, u)
    assert res.table["chisq"].iloc[0] == pytest.approx(stat, rel=1e-4)
    assert res.table["chisq"].iloc[0] > 1.0  # the planted time-varying effect is visible


def test_errors():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 2))
    t = rng.exponential(size=30)
    e = np.ones(30, dtype=int)
    fit = CoxPH().fit(X, t, e)
    with pytest.raises(ValidationError, match="transform"):
        cox_zph(fit, X, t, e, transform="log")
    with pytest.raises(ValidationError, match="2 coefficients"):
        cox_zph(fit, X[:, :1], t, e)
    with pytest.raises(ValidationError, match="not fitted"):
        cox_zph(CoxPH(), X, t, e)
    with pytest.raises(ValidationError, match="model must be"):
        cox_zph([0.1, 0.2], X, t, e)
    with pytest.raises(ValidationError, match="no events"):
        cox_zph(fit, X, t, np.zeros(30, dtype=int))
