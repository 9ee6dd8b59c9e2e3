"""Kaplan–Meier curves against R survival::survfit (all conf.types) and lifelines."""

from __future__ import annotations

import numpy as np
import pytest

from pyomics_bridge._conventions import ValidationError
from pyomics_bridge.survival import kaplan_meier

COLS = ["time", "n_risk", "n_event", "n_censor", "survival", "std_err", "lower", "upper"]


def test_simple_curve():
    table, median = kaplan_meier([1, 2, 2, 3, 4], [1, 1, 0, 1, 0])
    # S(1) = 4/5, S(2) = 4/5 * 3/4 = 3/5, S(3) = 3/5 * 1/2 = 3/10
    np.testing.assert_allclose(table["survival"], [0.8, 0.6, 0.3, 0.3])
    np.testing.assert_array_equal(table["n_risk"], [5, 4, 2, 1])
    assert median["all"] == 3.0


def test_median_flat_at_half():
    # S drops to exactly 0.5 at t=2 and next drops at t=4: survfit's median is (2 + 4) / 2
    _, median = kaplan_meier([1, 2, 3, 4], [1, 1, 0, 1])
    assert median["all"] == pytest.approx(3.0)


def test_matches_lifelines():
    lifelines = pytest.importorskip("lifelines")
    rng = np.random.default_rng(3)
    t = np.round(rng.exponential(3, 200), 1) + 0.1
    e = rng.random(200) < 0.7
    table, _ = kaplan_meier(t, e)
    kmf = lifelines.KaplanMeierFitter().fit(t, e)
    ref = kmf.survival_function_.iloc[1:, 0].to_numpy()  # lifelines adds time 0
    np.testing.assert_allclose(table["survival"].to_numpy(), ref, rtol=1e-12)


def test_bad_conf_type():
    with pytest.raises(ValidationError, match="conf_type"):
        kaplan_meier([1, 2], [1, 0], conf_type="logit")


@pytest.mark.r
@pytest.mark.parametrize("conf_type", ["log", "log-log", "plain"])
@pytest.mark.parametrize(("dataset", "by"), [("lung", "sex"), ("lung", None), ("veteran", "celltype")])
def test_matches_r_survfit(request, dataset, by, conf_type):
    from pyomics_bridge.r.survival import survfit

    d = request.getfixturevalue(dataset)
    event = d["event"] if "event" in d else d["status"]
    group = None if by is None else d[by].astype(str)
    ours, med = kaplan_meier(d["time"], event, group, conf_type=conf_type)
    ref, med_r = survfit(d["time"], event, group, conf_type=conf_type)
    a, b = ours[COLS].to_numpy(float), ref[COLS].to_numpy(float)
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    ok = ~np.isnan(b) & np.isfinite(b)
    np.testing.assert_allclose(a[ok], b[ok], rtol=1e-10, atol=1e-13)
    assert list(ours["group"].astype(str)) == list(ref["group"].astype(str))
    np.testing.assert_allclose(med.to_numpy(), med_r.to_numpy(), rtol=1e-12)
