"""``tl.cox``: Cox regression on .obs covariates and genes, identical containers for backend python / r."""

from __future__ import annotations

import copy as copymod

import numpy as np
import pandas as pd
import pytest
from anndata import AnnData

from pyomics_bridge._conventions import ValidationError
from pyomics_bridge.survival import CoxPH
from pyomics_bridge.tl._cox import cox


def make_adata(seed=0, n=200, n_genes=6):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_genes))
    age = rng.normal(60, 10, n)
    stage = pd.Categorical(rng.choice(["I", "II", "III"], n), categories=["I", "II", "III"])
    site = rng.choice(["A", "B"], n)
    hz = np.exp(0.7 * X[:, 0] - 0.4 * X[:, 1] + 0.02 * (age - 60) + 0.5 * (stage == "III"))
    t_ev = rng.exponential(10 / hz)
    t_c = rng.uniform(0, 25, n)
    obs = pd.DataFrame({"time": np.round(np.minimum(t_ev, t_c)) + 1, "event": (t_ev <= t_c).astype(int),
                        "age": age, "stage": stage, "site": site, "treated": rng.random(n) < 0.5},
                       index=[f"p{i}" for i in range(n)])
    adata = AnnData(X, obs=obs)
    adata.var_names = [f"g{j}" for j in range(n_genes)]
    adata.layers["raw"] = 2.0 ** X
    return adata


# --------------------------------------------------------------------------- python backend
def test_python_backend_matches_coxph_estimator():
    adata = make_adata()
    cox(adata, covariates=["g0", "g1", "age", "stage", "treated"])
    rec = adata.uns["cox"]
    assert list(rec["summary"].index) == ["g0", "g1", "age", "stage[II]", "stage[III]", "treated"]
    X = pd.DataFrame({"g0": adata[:, "g0"].X.ravel(), "g1": adata[:, "g1"].X.ravel(), "age": adata.obs["age"],
                      "stage[II]": (adata.obs["stage"] == "II").astype(float),
                      "stage[III]": (adata.obs["stage"] == "III").astype(float),
                      "treated": adata.obs["treated"].astype(float)})
    fit = CoxPH().fit(X, adata.obs["time"], adata.obs["event"])
    np.testing.assert_allclose(rec["summary"]["coef"], fit.coef_, rtol=0, atol=1e-14)
    np.testing.assert_allclose(rec["summary"]["se"], fit.se_, rtol=1e-14)
    np.testing.assert_allclose(rec["summary"][["lower", "upper"]], fit.conf_int_, rtol=1e-13)
    assert rec["tests"].loc["lr", "statistic"] == pytest.approx(fit.lr_test_.statistic, rel=1e-14)
    assert rec["concordance"] == fit.concordance_ and rec["n_events"] == int(adata.obs["event"].sum())
    np.testing.assert_allclose(adata.obs["cox_lp"], fit.predict(X), rtol=1e-13, atol=1e-13)
    assert rec["converged"] and rec["params"]["backend"] == "python" and len(rec["warnings"]) == 0
    assert rec["summary"].loc["g0", "exp(coef)"] > 1.5  # the planted effect


def test_layer_strata_breslow_and_copy():
    adata = make_adata(1)
    before = copymod.deepcopy(adata)
    out = cox(adata, covariates="g0", layer="raw", strata="site", ties="breslow", copy=True, key_added="c")
    assert "c" not in adata.uns and "c_lp" not in adata.obs and adata.obs.equals(before.obs)
    fit = CoxPH(ties="breslow").fit(adata.layers["raw"][:, [0]], adata.obs["time"], adata.obs["event"],
                                   strata=adata.obs["site"])
    assert out.uns["c"]["summary"].loc["g0", "coef"] == pytest.approx(fit.coef_.iloc[0], abs=1e-14)
    assert out.uns["c"]["params"]["strata"] == "site"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"covariates": ["nope"]}, "neither .obs columns nor var names"),
        ({"covariates": []}, "empty"),
        ({"covariates": ["g0", "g0"]}, "repeated"),
        ({"covariates": ["g0"], "ties": "exact"}, "ties must be"),
        ({"covariates": ["g0"], "backend": "julia"}, "backend must be"),
        ({"covariates": ["g0"], "time_key": "stage"}, "must be numeric"),
        ({"covariates": ["g0"], "layer": "nolayer"}, "layer="),
        ({"covariates": ["g0"], "strata": "nocol"}, "no column"),
    ],
)
def test_bad_input_leaves_object_intact(kwargs, match):
    adata = make_adata(2, n=50)
    before = copymod.deepcopy(adata)
    with pytest.raises(ValidationError, match=match):
        cox(adata, **kwargs)
    assert adata.uns.keys() == before.uns.keys()
    pd.testing.assert_frame_equal(adata.obs, before.obs)


def test_ambiguous_name_and_missing_values():
    adata = make_adata(3, n=60)
    adata.obs["g0"] = 1.0
    with pytest.raises(ValidationError, match="both .obs columns and var names"):
        cox(adata, covariates=["g0"])
    adata = make_adata(3, n=60)
    adata.obs.loc["p3", "age"] = np.nan
    with pytest.raises(ValidationError, match="missing"):
        cox(adata, covariates=["age"])


# --------------------------------------------------------------------------- R backend
def _lung() -> pd.DataFrame:
    from rpy2.robjects import conversion, default_converter, pandas2ri

    from pyomics_bridge.r import robjects

    ro = robjects()
    frame = ro.r("as.data.frame(survival::lung)")
    with conversion.localconverter(default_converter + pandas2ri.converter):
        d = conversion.get_conversion().rpy2py(frame)
    d = d.dropna(subset=["age", "sex", "ph.ecog", "wt.loss"]).reset_index(drop=True)
    d["event"] = (d["status"] == 2).astype(int)
    d.index = [f"s{i}" for i in range(len(d))]
    return d


def _compare(a: dict, b: dict, tol: float = 1e-6):
    assert set(a) == set(b)
    for key in ("summary", "var", "tests"):
        assert list(a[key].columns) == list(b[key].columns) and list(a[key].index) == list(b[key].index)
        assert (a[key].dtypes == b[key].dtypes).all()
    sa, sb = a["summary"], b["summary"]
    np.testing.assert_allclose(sa["coef"], sb["coef"], rtol=0, atol=tol)
    for col in ("exp(coef)", "se", "z", "lower", "upper"):
        np.testing.assert_allclose(sa[col], sb[col], rtol=tol)
    np.testing.assert_allclose(sa["p"], sb["p"], rtol=10 * tol)
    np.testing.assert_allclose(a["var"], b["var"], rtol=tol)
    np.testing.assert_allclose(a["tests"]["statistic"], b["tests"]["statistic"], rtol=tol)
    np.testing.assert_allclose(a["tests"]["pvalue"], b["tests"]["pvalue"], rtol=10 * tol)
    assert (a["tests"]["df"] == b["tests"]["df"]).all()
    for key in ("loglik", "loglik_null"):
        assert a[key] == pytest.approx(b[key], rel=tol)
    assert a["concordance"] == pytest.approx(b["concordance"], abs=1e-12)
    for key in ("n_samples", "n_events", "converged", "n_iter"):
        assert a[key] == b[key], key
    for key in a:
        assert type(a[key]) is type(b[key]), key


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("strata", [None, "sex"])
def test_backends_identical_on_lung(require_r_survival, ties, strata):
    d = _lung()
    rng = np.random.default_rng(0)
    adata = AnnData(rng.normal(size=(len(d), 3)), obs=d)
    adata.var_names = ["geneA", "geneB", "geneC"]
    covs = ["age", "ph.ecog", "wt.loss", "geneA"] + ([] if strata else ["sex"])
    cox(adata, time_key="time", event_key="event", covariates=covs, ties=ties, strata=strata, key_added="py")
    cox(adata, time_key="time", event_key="event", covariates=covs, ties=ties, strata=strata, key_added="r",
        backend="r")
    _compare(adata.uns["py"], adata.uns["r"])
    np.testing.assert_allclose(adata.obs["py_lp"], adata.obs["r_lp"], rtol=1e-6, atol=1e-6)
    assert adata.uns["r"]["params"]["backend"] == "r" and "R" in " ".join(adata.uns["r"]["versions"])


def test_backends_identical_categorical_and_genes(require_r_survival):
    adata = make_adata(4, n=300)
    covs = ["g0", "g1", "g2", "age", "stage", "treated"]
    cox(adata, covariates=covs, key_added="py")
    cox(adata, covariates=covs, key_added="r", backend="r")
    _compare(adata.uns["py"], adata.uns["r"])


def test_r_backend_reports_separation(require_r_survival):
    adata = make_adata(5, n=80)
    adata.obs["flag"] = (adata.obs["event"] == 0) & (adata.obs.index.str[-1] < "5")  # no events when flagged
    with pytest.warns(UserWarning):
        cox(adata, covariates=["flag"], key_added="py")
    cox(adata, covariates=["flag"], key_added="r", backend="r")
    assert not adata.uns["py"]["converged"] and not adata.uns["r"]["converged"]
    assert any("infinite" in w for w in adata.uns["r"]["warnings"])


# --------------------------------------------------------------------------- proportional-hazards test
def test_zph_slots_match_cox_zph_and_plot():
    from pyomics_bridge.pl._cox_zph import cox_zph as pl_cox_zph
    from pyomics_bridge.survival import cox_zph

    adata = make_adata(seed=3)
    cox(adata, covariates=["g0", "age", "stage"], zph="rank")
    rec = adata.uns["cox"]
    X = pd.DataFrame({"g0": adata.X[:, 0], "age": adata.obs["age"],
                      "stage[II]": (adata.obs["stage"] == "II").astype(float),
                      "stage[III]": (adata.obs["stage"] == "III").astype(float)})
    t, e = adata.obs["time"].to_numpy(), adata.obs["event"].to_numpy()
    ref = cox_zph(CoxPH().fit(X, t, e), X, t, e, transform="rank")
    np.testing.assert_allclose(rec["zph"]["chisq"].to_numpy(), ref.table["chisq"].to_numpy(), rtol=1e-10)
    assert list(rec["zph"].index) == ["g0", "age", "stage[II]", "stage[III]", "GLOBAL"]
    np.testing.assert_allclose(rec["zph_residuals"]["age"].to_numpy(), ref.y["age"].to_numpy(), rtol=1e-10)
    assert rec["params"]["zph"] == "rank"
    pytest.importorskip("matplotlib")
    ax = pl_cox_zph(adata, covariate="age")
    pts = ax.collections[0].get_offsets()
    np.testing.assert_allclose(np.asarray(pts)[:, 1], ref.y["age"].to_numpy())
    assert "PH test p" in ax.get_title()
    with pytest.raises(ValidationError, match="unknown covariate"):
        pl_cox_zph(adata, covariate="nope")
    b = make_adata(seed=3)
    cox(b, covariates=["g0"])
    with pytest.raises(ValidationError, match="zph="):
        pl_cox_zph(b)
    with pytest.raises(ValidationError, match="zph must be"):
        cox(b, covariates=["g0"], zph="log")


@pytest.mark.r
def test_zph_backends_identical(require_r_survival):
    a, b = make_adata(seed=4), make_adata(seed=4)
    cox(a, covariates=["g0", "g1", "age"], zph="km")
    cox(b, covariates=["g0", "g1", "age"], zph="km", backend="r")
    za, zb = a.uns["cox"]["zph"], b.uns["cox"]["zph"]
    assert list(za.index) == list(zb.index)
    np.testing.assert_allclose(za["chisq"].to_numpy(), zb["chisq"].to_numpy(), rtol=1e-6)
    ra, rb = a.uns["cox"]["zph_residuals"], b.uns["cox"]["zph_residuals"]
    assert list(ra.columns) == list(rb.columns)
    np.testing.assert_allclose(ra.to_numpy(float), rb.to_numpy(float), rtol=1e-6, atol=1e-8)
