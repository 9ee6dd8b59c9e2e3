"""The prognostic pipeline on real offline cohorts: SurvSet gse1992 -> gse4335 and scikit-survival's breast cancer.

The SurvSet numbers are those published in docs/survival_real_cohort.md (computed by docs/make_survival_real.py);
the breast-cancer test checks the pipeline's statistics against scikit-survival and lifelines on the same data.
Both cohorts are loaded from the installed packages at run time (nothing of their data is in this repository).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from anndata import AnnData

from pyomics_bridge.pl._km_risk_table import numbers_at_risk
from pyomics_bridge.survival import logrank_test
from pyomics_bridge.tl import _prognostic as tlp

# candidates of docs/make_survival_real.py (present in both SurvSet cohorts: 15 genes)
CANDIDATES = ["DNMT3B", "EXO1", "MCM10", "CENPF", "CENPE", "CTAG1A", "CTAG1B", "CTAG2", "CTAGE5", "MAGEA1",
              "MAGEA3", "MAGEA4", "MAGEA5", "MAGEA6", "MAGEA8", "MAGEA10", "MAGEA12", "PRAME", "PRAMEF1",
              "HORMAD1", "DAZL", "SSX2"]


def _survset_cohort(name: str) -> AnnData:
    data = pytest.importorskip("SurvSet.data")  # PyPI "survset", module "SurvSet"
    df = data.SurvLoader().load_dataset(name)["df"]
    genes = [c for c in df.columns if c.startswith("num_HS_")]
    X = df[genes].to_numpy(dtype=np.float64)
    X = np.where(np.isnan(X), np.nanmedian(X, axis=0), X)
    obs = pd.DataFrame({"os_time": df["time"].to_numpy(float), "os_event": df["event"].to_numpy(int)},
                       index=df["pid"].astype(str).to_numpy())
    adata = AnnData(X, obs=obs)
    adata.var_names = [g[len("num_HS_"):] for g in genes]
    adata.var_names_make_unique()
    return adata


@pytest.fixture(scope="module")
def survset_pipeline():
    train, test = _survset_cohort("gse1992"), _survset_cohort("gse4335")
    common = train.var_names.intersection(test.var_names)
    cand = [g for g in CANDIDATES if g in common]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # separation warnings of degenerate cuts in the grid
        tlp.prognostic_thresholds(train, genes=cand, mode="calibrated", noise=None, random_state=0)
    table = train.uns["prognostic"]["table"]
    panel = list(table.index[table["validated"].to_numpy(dtype=bool)])
    tlp.activation_score(train, panel=panel, time_key="os_time", event_key="os_event", times=[12, 24, 36, 48, 60])
    tlp.transfer_thresholds(test, train, genes=panel)
    tlp.activation_score(test, panel=panel, thresholds_key="transferred", time_key="os_time", event_key="os_event",
                         times=[12, 24, 36, 48, 60])
    return cand, panel, train, test


def test_survset_gse1992_to_gse4335_reproduces_docs(survset_pipeline):
    cand, panel, train, test = survset_pipeline
    assert len(cand) == 15
    assert sorted(panel) == ["CENPE", "CENPF", "MAGEA4", "MAGEA8", "PRAME"]  # docs: calibrated panel, 5 genes
    tr, te = train.uns["activation_score"], test.uns["activation_score"]
    # training cohort (docs: log-rank 25.9 (2 df) p 2.4e-6, HR 1.72 (1.41-2.10), C 0.750)
    assert tr["logrank"]["statistic"] == pytest.approx(25.9, abs=0.05) and tr["logrank"]["df"] == 2
    assert tr["cox"]["hr"] == pytest.approx(1.72, abs=0.005)
    assert tr["concordance"] == pytest.approx(0.750, abs=5e-4)
    # validation cohort: groups 22/66/27, log-rank 2.78 p 0.25, HR 1.26 (0.99-1.61) p 0.056, C 0.584:
    # the risk direction is reproduced (HR > 1) but it is not significant, as the docs report
    assert te["group_sizes"]["n"].to_dict() == {"P1": 22, "P2": 66, "P3": 27}
    assert te["logrank"]["statistic"] == pytest.approx(2.78, abs=0.005)
    assert te["logrank"]["pvalue"] == pytest.approx(0.25, abs=0.005)
    assert te["cox"]["coef"] == pytest.approx(0.23473630810526688, rel=1e-9)  # also R coxph (docs)
    assert (te["cox"]["hr_lower"], te["cox"]["hr_upper"]) == (pytest.approx(0.99, abs=0.005),
                                                               pytest.approx(1.61, abs=0.005))
    assert te["cox"]["p"] == pytest.approx(0.056047167149876, rel=1e-6)
    assert te["concordance"] == pytest.approx(0.584, abs=5e-4)
    # AUC(t) at 12/24/36/48/60 months: .61/.56/.60/.58/.54, mean 0.585 (docs)
    np.testing.assert_allclose(te["td_auc"]["auc"], [0.61, 0.56, 0.60, 0.58, 0.54], atol=0.005)
    assert te["td_auc_mean"] == pytest.approx(0.585, abs=5e-4)
    np.testing.assert_allclose(tr["td_auc"]["auc"], [0.80, 0.77, 0.88, 0.83, 0.72], atol=0.005)
    # numbers at risk under the test KM (docs table)
    nar = numbers_at_risk(te["km"], [0, 12, 24, 36, 48, 60, 84, 120], groups=["P1", "P2", "P3"])
    got = nar.pivot(index="group", columns="time", values="n_risk").loc[["P1", "P2", "P3"]].to_numpy()
    np.testing.assert_array_equal(got, [[22, 19, 14, 9, 4, 3, 1, 0], [66, 56, 36, 27, 14, 9, 3, 1],
                                        [27, 21, 15, 10, 6, 4, 0, 0]])


def test_survset_validate_panel_equals_manual_transfer(survset_pipeline):
    # validate_panel (transfer + score in one call) must give the same validation numbers as the two steps
    _, panel, train, test = survset_pipeline
    b = test.copy()
    tlp.validate_panel(b, train, panel=panel, times=[12, 24, 36, 48, 60])
    rec, ref = b.uns["validate_panel"], test.uns["activation_score"]
    assert rec["logrank"]["statistic"] == pytest.approx(ref["logrank"]["statistic"], rel=1e-12)
    assert rec["cox"]["coef"] == pytest.approx(ref["cox"]["coef"], rel=1e-12)
    np.testing.assert_allclose(rec["td_auc"]["auc"], ref["td_auc"]["auc"], rtol=1e-12)


@pytest.fixture(scope="module")
def breast_cancer():
    datasets = pytest.importorskip("sksurv.datasets")
    X, y = datasets.load_breast_cancer()
    genes = [c for c in X.columns if c.startswith("X")]
    obs = pd.DataFrame({"os_time": y["t.tdm"] / 30.4375, "os_event": y["e.tdm"].astype(int)},
                       index=[f"s{i}" for i in range(len(y))])  # days -> months
    adata = AnnData(X[genes].to_numpy(dtype=np.float64), obs=obs)
    adata.var_names = genes
    return adata


def test_sksurv_breast_cancer_pipeline_against_references(breast_cancer):
    pytest.importorskip("lifelines")
    from lifelines.statistics import logrank_test as ll_logrank
    from sksurv.metrics import concordance_index_censored, cumulative_dynamic_auc
    from sksurv.util import Surv

    a = breast_cancer.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tlp.prognostic_thresholds(a, genes=list(a.var_names), mode="calibrated", noise=None, random_state=0)
    tab = a.uns["prognostic"]["table"]
    t = np.minimum(a.obs["os_time"].to_numpy(), 120.0)
    e = a.obs["os_event"].to_numpy().astype(bool) & (a.obs["os_time"].to_numpy() <= 120.0)
    # the selection-corrected p is never below the nominal min-p of the search
    ok = tab["p"].notna() & tab["p_corrected"].notna()
    assert (tab.loc[ok, "p_corrected"] >= tab.loc[ok, "p"] - 1e-12).all()
    # the best cut of the strongest gene: lifelines' two-group log-rank at that threshold agrees
    best = tab["p"].idxmin()
    high = a[:, best].X.ravel() > tab.loc[best, "threshold"]
    ll = ll_logrank(t[high], t[~high], e[high], e[~high])
    ours = logrank_test(t, e, groups=high)
    assert ours.statistic == pytest.approx(ll.test_statistic, rel=1e-10)
    # score on the validated panel: Harrell's C and AUC(t) against scikit-survival on the same data
    panel = list(tab.index[tab["validated"].to_numpy(dtype=bool)])
    if not panel:
        panel = list(tab.sort_values("p_corrected").index[:3])
    tlp.activation_score(a, panel=panel, thresholds_key="prognostic", time_key="os_time", event_key="os_event")
    rec = a.uns["activation_score"]
    n = a.obs["n_activated"].to_numpy(dtype=float)
    c_ref = concordance_index_censored(e, t, n)[0]
    assert rec["concordance"] == pytest.approx(c_ref, rel=1e-10)
    y = Surv.from_arrays(e, t)
    auc_ref, mean_ref = cumulative_dynamic_auc(y, y, n, rec["td_auc"]["time"].to_numpy())
    np.testing.assert_allclose(rec["td_auc"]["auc"], auc_ref, rtol=1e-10)
    assert rec["cox"]["hr"] > 1 and rec["concordance"] > 0.6  # the panel carries prognostic information
