"""AnnData drivers of the ectopic-activation prognostic pipeline on the seeded synthetic cohort."""

from __future__ import annotations

import copy as copymod

import numpy as np
import pandas as pd
import pytest

from pyomics_bridge._conventions import ValidationError
from pyomics_bridge.datasets._ectopic import synthetic_ectopic
from pyomics_bridge.tl import _prognostic as P


@pytest.fixture(scope="module")
def cohort():
    a = synthetic_ectopic(n_tumours=400, n_normals=30, n_genes=120, n_restricted=40, random_state=0)
    P.tissue_restricted_genes(a, atlas=a.uns["synthetic"]["atlas"], reference_tissues="colon")
    return a


def test_generator_seeded_and_truth(cohort):
    b = synthetic_ectopic(n_tumours=400, n_normals=30, n_genes=120, n_restricted=40, random_state=0)
    np.testing.assert_array_equal(b.X, cohort.X)
    assert b.var["prognostic"].sum() == 8 and (b.var["prognostic"] <= b.var["restricted"]).all()
    normal = b.obs["tissue_status"] == "normal"
    assert b.X[normal.to_numpy()][:, b.var["restricted"].to_numpy()].max() <= 0.2
    tum = b.obs.loc[~normal, "os_time"]
    assert tum.duplicated().any()  # deliberate ties
    assert 0.2 < b.obs.loc[~normal, "os_event"].mean() < 0.8


def test_tissue_restricted_from_atlas_and_normals(cohort):
    assert (cohort.var["tissue_restricted"] == cohort.var["restricted"]).all()
    assert cohort.uns["tissue_restricted"]["n_restricted"] == 40
    a = cohort.copy()
    P.tissue_restricted_genes(a, key_added="silent")  # normals only
    assert (a.var["silent"] == a.var["restricted"]).all()


def test_activation_reference(cohort):
    a = cohort.copy()
    P.activation_reference(a, method="m2sd")
    normal = (a.obs["tissue_status"] == "normal").to_numpy()
    expected = np.maximum(a.X[normal].mean(0) + 2 * a.X[normal].std(0, ddof=1), 0.3)
    np.testing.assert_allclose(a.var["activation_reference_threshold"], expected)
    freq = a.var["activation_reference_frequency"]
    np.testing.assert_allclose(freq, 100 * (a.X[~normal] > expected).mean(0))


@pytest.mark.parametrize("mode", ["epimed", "calibrated"])
def test_planted_genes_recovered(cohort, mode):
    a = cohort.copy()
    P.prognostic_thresholds(a, genes="tissue_restricted", mode=mode, cv=(5, 1), random_state=0)
    val = a.var["prognostic_validated"]
    truth = a.var["prognostic"]
    assert (val & truth).sum() >= 5, a.var.loc[truth, ["prognostic_p", "prognostic_q_value"]]
    assert (val & ~truth).sum() <= 2
    # thresholds sit above the normal maximum (reference="max") and the noise level
    sel = a.var["prognostic_eligible"]
    normal = (a.obs["tissue_status"] == "normal").to_numpy()
    assert (a.var.loc[sel, "prognostic_threshold"] >= a.X[normal][:, sel.to_numpy()].max(0)).all()
    assert (a.var.loc[~a.var["tissue_restricted"], "prognostic_threshold"].isna()).all()
    rec = a.uns["prognostic"]
    assert rec["params"]["mode"] == mode and rec["params"]["random_state"] == 0
    assert rec["params"]["truncate"] == 120.0 and rec["cv_splits"] == 5
    assert set(rec["grid"]["gene"]) == set(a.var_names[a.var["tissue_restricted"]])


def test_seed_reproducible(cohort):
    a, b = cohort.copy(), cohort.copy()
    kw = {"genes": "tissue_restricted", "mode": "epimed", "cv": (3, 2)}
    P.prognostic_thresholds(a, random_state=4, **kw)
    P.prognostic_thresholds(b, random_state=4, **kw)
    cols = [c for c in a.var.columns if c.startswith("prognostic_")]
    pd.testing.assert_frame_equal(a.var[cols], b.var[cols])


def test_score_transfer_and_validation_cross_platform(cohort):
    a = cohort.copy()
    P.prognostic_thresholds(a, genes="tissue_restricted", random_state=0)
    P.activation_score(a, time_key="os_time", event_key="os_event")
    panel = list(a.uns["activation_score"]["panel"])
    assert a.obs["n_activated"].max() <= len(panel)
    assert list(a.obs["risk_group"].cat.categories) == ["P1", "P2", "P3"]
    rec = a.uns["activation_score"]
    assert rec["logrank"]["pvalue"] < 1e-6 and rec["cox"]["hr"] > 1 and rec["concordance"] > 0.6
    # independent cohort, same genes, another platform (raw scale): transfer by percentile
    b = synthetic_ectopic(n_tumours=300, n_normals=0, n_genes=120, n_restricted=40, random_state=1,
                          gene_random_state=0)
    raw = b.copy()
    raw.X = np.exp2(raw.X) * 10
    P.validate_panel(b, a)
    P.validate_panel(raw, a)
    np.testing.assert_array_equal(b.obs["validate_panel_n_activated"], raw.obs["validate_panel_n_activated"])
    np.testing.assert_allclose(b.var["validate_panel_percentile"], raw.var["validate_panel_percentile"])
    assert b.uns["validate_panel"]["logrank"]["pvalue"] < 1e-3
    assert b.uns["validate_panel"]["hr_table"].shape[0] == len(panel) + 1
    np.testing.assert_allclose(b.uns["validate_panel"]["logrank"]["statistic"],
                               raw.uns["validate_panel"]["logrank"]["statistic"], rtol=1e-12)
    P.transfer_thresholds(raw, a, key_added="tr")
    sel = raw.var["tr_percentile"].notna()
    assert sel.sum() == a.var["prognostic_percentile"].notna().sum()


def test_bins_option_and_copy(cohort):
    a = cohort.copy()
    P.prognostic_thresholds(a, genes="tissue_restricted", cv=None)
    out = P.activation_score(a, bins={"low": (0, 0), "high": (1, None)}, copy=True)
    assert list(out.obs["risk_group"].cat.categories) == ["low", "high"]
    assert "risk_group" not in a.obs and "activation_score" not in a.uns


@pytest.mark.parametrize(("func", "kwargs", "match"), [
    (P.prognostic_thresholds, {"time_key": "nope"}, r"adata.obs has no column 'nope'"),
    (P.prognostic_thresholds, {"genes": "missing"}, "is not a column of adata.var"),
    (P.prognostic_thresholds, {"mode": "x"}, "mode must be one of"),
    (P.prognostic_thresholds, {"normal_key": "nokey"}, "adata.obs has no column 'nokey'"),
    (P.activation_score, {"thresholds_key": "none"}, "has no column 'none_threshold'"),
    (P.tissue_restricted_genes, {"atlas": pd.DataFrame({"x": [1.0]})}, "reference_tissues is required"),
])
def test_errors_named_object_intact(cohort, func, kwargs, match):
    a = cohort.copy()
    before = copymod.deepcopy(a)
    with pytest.raises(ValidationError, match=match):
        func(a, **kwargs)
    assert a.uns.keys() == before.uns.keys()
    pd.testing.assert_frame_equal(a.var, before.var)


def test_missing_survival_in_tumours_named(cohort):
    a = cohort.copy()
    a.obs.loc["tumour3", "os_time"] = np.nan
    with pytest.raises(ValidationError, match=r"os_time'\] has 1 missing"):
        P.prognostic_thresholds(a)


def test_h5ad_roundtrip(cohort, tmp_path):
    import anndata as ad

    a = cohort.copy()
    P.prognostic_thresholds(a, genes="tissue_restricted", cv=None)
    P.activation_score(a, time_key="os_time", event_key="os_event")
    a.write_h5ad(tmp_path / "x.h5ad")
    b = ad.read_h5ad(tmp_path / "x.h5ad")
    assert b.uns["prognostic"]["params"]["mode"] == "calibrated"
    np.testing.assert_array_equal(b.obs["n_activated"], a.obs["n_activated"])


def test_cross_validated_hr_columns(cohort):
    a = cohort.copy()
    P.prognostic_thresholds(a, genes="tissue_restricted", mode="epimed", cv=None, cv_hr=3, random_state=0)
    v = a.var
    truth = v["prognostic"] & v["prognostic_validated"]
    assert truth.sum() >= 3
    # planted genes keep a cross-validated HR > 1 (NaN: no admissible cut in a half, e.g. rare activation)
    cvh = v.loc[truth, "prognostic_cv_hr"]
    assert cvh.notna().sum() >= 4 and (cvh.dropna() > 1.2).all()
    assert cvh.isna().eq(v.loc[truth, "prognostic_cv_hr_repeats"] == 0).all()
    assert v.loc[~v["tissue_restricted"], "prognostic_cv_hr"].isna().all()
    assert (v.loc[v["tissue_restricted"], "prognostic_cv_hr_repeats"] <= 3).all()
    assert a.uns["prognostic"]["params"]["cv_hr"] == 3


@pytest.fixture(scope="module")
def validated(cohort):
    a = cohort.copy()
    P.prognostic_thresholds(a, genes="tissue_restricted", random_state=0)
    b = synthetic_ectopic(n_tumours=300, n_normals=0, n_genes=120, n_restricted=40, random_state=1,
                          gene_random_state=0)
    P.validate_panel(b, a)
    return a, b


def test_validation_km_risk_table_counts(validated):
    # pl.kaplan_meier_risk_table must read the validation KM (stored as uns[key]["km"]) and count at risk
    # exactly as a direct count on the truncated follow-up of each risk group.
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    from pyomics_bridge.pl._km_risk_table import kaplan_meier_risk_table

    _, b = validated
    times = [0.0, 12.0, 36.0, 60.0, 119.0]
    ax_curves, ax_table = kaplan_meier_risk_table(b, key="validate_panel", times=times)
    counts = ax_table.risk_table
    t = np.minimum(b.obs["os_time"].to_numpy(dtype=float), 120.0)
    grp = b.obs["validate_panel_risk_group"].astype(str).to_numpy()
    for g in pd.unique(grp):
        got = counts.loc[counts["group"] == g, "n_risk"].to_numpy()
        want = [int(((grp == g) & (t >= s)).sum()) for s in times]
        np.testing.assert_array_equal(got, want)
    drawn = sorted(int(txt.get_text()) for txt in ax_table.texts)
    assert drawn == sorted(counts["n_risk"].tolist())
    pvalue = b.uns["validate_panel"]["logrank"]["pvalue"]
    assert f"{pvalue:.3g}" in ax_curves.get_legend().get_title().get_text()
    plt.close(ax_curves.figure)
    with pytest.raises(ValidationError, match="holds no Kaplan–Meier curves"):
        kaplan_meier_risk_table(validated[0], key="prognostic")


def test_td_auc_of_score_matches_sksurv(validated):
    # The score's time-dependent AUC must equal scikit-survival's cumulative_dynamic_auc on the same
    # (truncated) validation data, at the default 3/5-year times and at explicit times.
    sksurv_metrics = pytest.importorskip("sksurv.metrics")
    from sksurv.util import Surv

    a, b = validated
    t = np.minimum(b.obs["os_time"].to_numpy(dtype=float), 120.0)
    e = b.obs["os_event"].to_numpy().astype(bool) & (b.obs["os_time"].to_numpy(dtype=float) <= 120.0)
    n = b.obs["validate_panel_n_activated"].to_numpy(dtype=float)
    y = Surv.from_arrays(e, t)
    rec = b.uns["validate_panel"]["td_auc"]
    np.testing.assert_array_equal(rec["time"], [36.0, 60.0])
    ref, ref_mean = sksurv_metrics.cumulative_dynamic_auc(y, y, n, [36.0, 60.0])
    np.testing.assert_allclose(rec["auc"], ref, rtol=1e-10)
    assert b.uns["validate_panel"]["td_auc_mean"] == pytest.approx(ref_mean, rel=1e-10)
    assert (rec["auc"] > 0.6).all()  # planted prognostic genes: the score discriminates
    c = b.copy()
    P.validate_panel(c, a, times=[12, 24, 100], key_added="vp2")
    ref, _ = sksurv_metrics.cumulative_dynamic_auc(y, y, n, [12.0, 24.0, 100.0])
    np.testing.assert_allclose(c.uns["vp2"]["td_auc"]["auc"], ref, rtol=1e-10)
    np.testing.assert_array_equal(c.uns["vp2"]["params"]["times"], [12.0, 24.0, 100.0])
    with pytest.raises(ValidationError, match="times must lie within the follow-up"):
        P.validate_panel(c, a, times=[500], key_added="vp3")


def test_td_auc_default_times_fall_back_to_event_quantiles():
    from pyomics_bridge.survival._prognostic_score import auc_times

    rng = np.random.default_rng(0)
    t = rng.exponential(2.0, 200)  # follow-up far below 36 months
    e = rng.random(200) < 0.7
    np.testing.assert_allclose(auc_times(t, e), np.percentile(t[e], [25, 50, 75]))
    t2 = t * 20  # now 36 and 60 lie inside the follow-up
    np.testing.assert_array_equal(auc_times(t2, e), [36.0, 60.0])
    np.testing.assert_array_equal(auc_times(t2, e, [5, 1, 5]), [1.0, 5.0])
