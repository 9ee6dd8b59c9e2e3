"""Numbers at risk below Kaplan–Meier curves: direct counts, R ``summary(survfit, times=)``, and the figure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import pyomics_bridge as pob
from pyomics_bridge._conventions import ValidationError
from pyomics_bridge.pl._km_risk_table import kaplan_meier_risk_table, numbers_at_risk
from pyomics_bridge.survival import kaplan_meier
from pyomics_bridge.tl._survival import kaplan_meier as tl_kaplan_meier
from pyomics_bridge.tl._survival import logrank as tl_logrank

_R_SUMMARY = """
function(time, event, group, times) {
  fit <- survival::survfit(survival::Surv(time, event) ~ group)
  s <- summary(fit, times = times, extend = TRUE)
  list(strata = as.integer(s$strata), time = s$time, n_risk = s$n.risk, n_event = s$n.event,
       n_censor = s$n.censor)
}
"""


def cohort(seed=0, n=150):
    rng = np.random.default_rng(seed)
    t = np.round(rng.exponential(10, n))  # integer times: ties and grid times that hit event times exactly
    e = rng.random(n) < 0.7
    g = pd.Categorical(rng.choice(["b", "a", "c"], n), categories=["b", "a", "c"])
    return t, e, g


def direct(t, e, g, times):
    rows = []
    for label in g.categories:
        m = np.asarray(g == label)
        for s in times:
            rows.append((label, s, int((t[m] >= s).sum()), int((e[m] & (t[m] <= s)).sum()),
                         int((~e[m] & (t[m] <= s)).sum())))
    return pd.DataFrame(rows, columns=["group", "time", "n_risk", "cum_events", "cum_censored"])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_numbers_at_risk_direct_count(seed):
    t, e, g = cohort(seed)
    table, _ = kaplan_meier(t, e, g)
    times = np.array([0, 0.5, 1, 5, 10, 10.5, 20, t.max(), t.max() + 1, 1000])
    got = numbers_at_risk(table, times)
    exp = direct(t, e, g, times)
    assert list(got["group"].cat.categories) == ["b", "a", "c"]
    for col in ("n_risk", "cum_events", "cum_censored"):
        np.testing.assert_array_equal(got[col].to_numpy(), exp[col].to_numpy())
    np.testing.assert_array_equal(got["time"].to_numpy(), exp["time"].to_numpy(dtype=float))


def test_numbers_at_risk_single_curve_and_string_groups():
    t, e, _ = cohort(4)
    table, _ = kaplan_meier(t, e)
    got = numbers_at_risk(table, [0, 3, 7])
    assert got["n_risk"].tolist() == [int((t >= s).sum()) for s in (0, 3, 7)]
    as_str = table.astype({"group": str})
    assert numbers_at_risk(as_str, [3])["n_risk"].tolist() == [int((t >= 3).sum())]


def test_numbers_at_risk_errors():
    t, e, g = cohort(5)
    table, _ = kaplan_meier(t, e, g)
    with pytest.raises(ValidationError, match="lacks"):
        numbers_at_risk(table.drop(columns="n_risk"), [1])
    with pytest.raises(ValidationError, match="times"):
        numbers_at_risk(table, [-1])
    with pytest.raises(ValidationError, match="not in the table"):
        numbers_at_risk(table, [1], groups=["z"])


@pytest.mark.parametrize("seed", [0, 3])
def test_numbers_at_risk_against_r_summary(require_r_survival, seed):
    from pyomics_bridge.r import robjects

    ro = robjects()
    t, e, g = cohort(seed)
    times = np.array([0.0, 1.0, 2.5, 5.0, 10.0, 15.0, 30.0, float(t.max()), float(t.max()) + 5])
    codes = np.asarray(g.codes)
    factor = ro.r["factor"](ro.IntVector(codes + 1), levels=ro.IntVector([1, 2, 3]),
                            labels=ro.StrVector(list(g.categories)))
    out = ro.r(_R_SUMMARY)(ro.FloatVector(t), ro.IntVector(e.astype(int)), factor, ro.FloatVector(times))
    strata = np.asarray(out.rx2("strata")) - 1
    r_time = np.asarray(out.rx2("time"), dtype=float)
    r_risk = np.asarray(out.rx2("n_risk"), dtype=float)
    r_event = np.asarray(out.rx2("n_event"), dtype=float)
    r_censor = np.asarray(out.rx2("n_censor"), dtype=float)
    table, _ = kaplan_meier(t, e, g)
    got = numbers_at_risk(table, times)
    for k, label in enumerate(g.categories):
        sel = strata == k
        mine = got[got["group"] == label]
        np.testing.assert_array_equal(r_time[sel], times)
        np.testing.assert_array_equal(mine["n_risk"].to_numpy(), r_risk[sel])
        # R reports events / censorings in (previous time, time]; cumulated they are ours
        np.testing.assert_array_equal(mine["cum_events"].to_numpy(), np.cumsum(r_event[sel]))
        np.testing.assert_array_equal(mine["cum_censored"].to_numpy(), np.cumsum(r_censor[sel]))


def test_risk_table_from_r_backend_curves(require_r_survival):
    adata = pob.datasets.demo_survival()
    tl_kaplan_meier(adata, groupby="group", backend="r", key_added="km_r")
    tl_kaplan_meier(adata, groupby="group", key_added="km_py")
    times = [0, 5, 10, 20, 40]
    a = numbers_at_risk(adata.uns["km_r"]["table"], times)
    b = numbers_at_risk(adata.uns["km_py"]["table"], times)
    pd.testing.assert_frame_equal(a, b)


def test_plot_with_risk_table():
    plt = pytest.importorskip("matplotlib.pyplot")
    adata = pob.datasets.demo_survival()
    tl_kaplan_meier(adata, groupby="group")
    tl_logrank(adata, groupby="group")
    ax, ax_table = kaplan_meier_risk_table(adata, times=[0, 10, 20, 30])
    counts = ax_table.risk_table
    t = adata.obs["time"].to_numpy()
    g = adata.obs["group"].astype(str).to_numpy()
    order = [str(x) for x in adata.uns["kaplan_meier"]["median"].index]
    assert list(counts["group"].cat.categories) == order
    for label in order:
        assert counts.loc[counts["group"] == label, "n_risk"].tolist() == [
            int(((g == label) & (t >= s)).sum()) for s in (0, 10, 20, 30)]
    texts = [x.get_text() for x in ax_table.texts]
    assert len(texts) == 4 * len(order)
    assert str(int((g == order[0]).sum())) in texts  # first group's n at time 0
    assert list(ax.get_xticks()) == [0, 10, 20, 30]
    assert ax.get_legend() is not None and "log-rank" in ax.get_legend().get_title().get_text()
    plt.close("all")
    # default times (the curve's ticks) and drawing into a given axes
    fig, given = plt.subplots()
    ax2, table2 = kaplan_meier_risk_table(adata, ax=given, show_events=True)
    assert ax2 is given and table2 is not given
    assert len(table2.risk_table) == len(table2.texts) and "(" in table2.texts[0].get_text()
    plt.close("all")


def test_plot_errors():
    pytest.importorskip("matplotlib")
    adata = pob.datasets.demo_survival()
    with pytest.raises(ValidationError, match="run pob.tl.kaplan_meier"):
        kaplan_meier_risk_table(adata)
    tl_kaplan_meier(adata, groupby="group")
    with pytest.raises(ValidationError, match="table_height"):
        kaplan_meier_risk_table(adata, table_height=0.95)
    with pytest.raises(TypeError):
        kaplan_meier_risk_table(adata.obs)
