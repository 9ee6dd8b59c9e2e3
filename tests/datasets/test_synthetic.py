"""Tests of the synthetic survival generator and of the bundled demo cohort made from it."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from anndata import AnnData

import pyomics_bridge as pob
from pyomics_bridge._conventions import ValidationError
from pyomics_bridge.datasets import synthetic_survival


def _ranks(x):
    return pd.Series(x).rank().to_numpy()


def _spearman(x, y):
    return float(np.corrcoef(_ranks(x), _ranks(y))[0, 1])


@pytest.fixture(scope="module")
def big():
    return synthetic_survival(n_samples=2000, random_state=11)


def test_structure():
    a = synthetic_survival()
    assert isinstance(a, AnnData)
    assert a.shape == (200, 50)
    assert a.X.dtype == np.float64 and np.isfinite(a.X).all()
    assert a.obs_names.is_unique and a.var_names.is_unique
    assert list(a.obs.columns) == ["time", "event", "group"]
    assert a.obs["time"].dtype == np.float64 and (a.obs["time"] > 0).all()
    assert a.obs["event"].dtype == np.int64 and set(a.obs["event"].unique()) <= {0, 1}
    assert isinstance(a.obs["group"].dtype, pd.CategoricalDtype)
    assert list(a.obs["group"].cat.categories) == ["low", "high"]
    assert (a.obs["group"] == "high").sum() == 100
    assert a.var["prognostic"].dtype == bool and a.var["prognostic"].sum() == 5
    syn = a.uns["synthetic"]
    assert syn["generator"] == "synthetic_survival"
    params = syn["params"]
    assert params["n_samples"] == 200 and params["n_genes"] == 50 and params["random_state"] == 0
    assert params["n_prognostic"] == 5 and params["effect"] == 1.0 and params["censoring"] == 0.3
    coef = syn["coef"]
    assert coef.shape == (50,)
    assert np.array_equal(coef != 0, a.var["prognostic"].to_numpy())
    assert sorted(syn["prognostic_genes"]) == sorted(a.var_names[a.var["prognostic"]])
    assert np.allclose(np.abs(syn["coef_per_sd"][coef != 0]), 1.0)
    # linear predictor = centred log-expression times the true coefficients; group from its median
    eta = (a.X - syn["gene_mean"]) @ coef
    assert np.allclose(eta, syn["linear_predictor"])
    assert np.array_equal(a.obs["group"] == "high", eta > np.median(eta))
    assert syn["censored_fraction"] == pytest.approx(1 - a.obs["event"].mean())
    # log-expression scale
    assert 0 < a.X.mean() < 16


def test_deterministic_given_seed():
    a = synthetic_survival(n_samples=80, n_genes=20, random_state=5)
    b = synthetic_survival(n_samples=80, n_genes=20, random_state=5)
    assert np.array_equal(a.X, b.X)
    pd.testing.assert_frame_equal(a.obs, b.obs)
    pd.testing.assert_frame_equal(a.var, b.var)
    assert np.array_equal(a.uns["synthetic"]["coef"], b.uns["synthetic"]["coef"])


def test_different_seeds_differ():
    a = synthetic_survival(n_samples=80, n_genes=20, random_state=5)
    b = synthetic_survival(n_samples=80, n_genes=20, random_state=6)
    assert not np.array_equal(a.X, b.X)
    assert not np.array_equal(a.obs["time"], b.obs["time"])


def test_random_state_none_is_random():
    a = synthetic_survival(n_samples=30, n_genes=5, random_state=None)
    b = synthetic_survival(n_samples=30, n_genes=5, random_state=None)
    assert not np.array_equal(a.X, b.X)
    assert a.uns["synthetic"]["params"]["random_state"] == "None"


@pytest.mark.parametrize("censoring", [0.1, 0.3, 0.6])
def test_censoring_fraction(censoring):
    fractions = [
        1 - synthetic_survival(n_samples=2000, censoring=censoring, random_state=s).obs["event"].mean()
        for s in range(3)
    ]
    assert np.mean(fractions) == pytest.approx(censoring, abs=0.03)
    assert all(abs(f - censoring) < 0.05 for f in fractions)


def test_no_censoring():
    a = synthetic_survival(n_samples=300, censoring=0.0, random_state=3)
    assert (a.obs["event"] == 1).all()
    assert np.isfinite(a.obs["time"]).all()


def test_small_cohort_censoring_tolerance():
    fracs = [1 - synthetic_survival(random_state=s).obs["event"].mean() for s in range(10)]
    assert np.mean(fracs) == pytest.approx(0.3, abs=0.04)


def test_risk_group_direction(big):
    obs = big.obs
    high, low = obs[obs["group"] == "high"], obs[obs["group"] == "low"]
    # high risk: more events and shorter follow-up
    assert high["event"].mean() > low["event"].mean() + 0.2
    assert high["time"].median() < 0.5 * low["time"].median()


def test_prognostic_genes_associate_with_survival(big):
    coef = big.uns["synthetic"]["coef"]
    prog = big.var["prognostic"].to_numpy()
    log_time = np.log(big.obs["time"].to_numpy())
    rho = np.array([_spearman(big.X[:, j], log_time) for j in range(big.n_vars)])
    # higher hazard -> shorter times: correlation sign opposite to the coefficient sign
    assert np.all(np.sign(rho[prog]) == -np.sign(coef[prog]))
    assert np.abs(rho[prog]).min() > 0.2
    assert np.abs(rho[~prog]).max() < 0.12
    assert np.abs(rho[prog]).min() > np.abs(rho[~prog]).max()


def test_cox_recovers_coefficients(big):
    lifelines = pytest.importorskip("lifelines")
    prog = big.var_names[big.var["prognostic"]]
    df = pd.DataFrame(big[:, prog].X, columns=prog)
    df["time"] = big.obs["time"].to_numpy()
    df["event"] = big.obs["event"].to_numpy()
    fit = lifelines.CoxPHFitter().fit(df, duration_col="time", event_col="event")
    truth = pd.Series(big.uns["synthetic"]["coef"][big.var["prognostic"].to_numpy()], index=prog)
    est = fit.params_[prog]
    assert np.allclose(est, truth, rtol=0.15, atol=0.05), pd.DataFrame({"est": est, "truth": truth})


def test_weibull_shape_and_effect_zero():
    a = synthetic_survival(n_samples=500, effect=0.0, shape=2.0, random_state=1)
    assert np.all(a.uns["synthetic"]["coef"] == 0)
    assert (a.obs["time"] > 0).all()
    b = synthetic_survival(n_samples=50, n_genes=10, n_prognostic=0, random_state=1)
    assert b.var["prognostic"].sum() == 0


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"censoring": 1.0}, "censoring"),
        ({"censoring": -0.1}, "censoring"),
        ({"n_prognostic": 60}, "n_prognostic"),
        ({"n_samples": 1}, "n_samples"),
        ({"n_genes": 2.5}, "n_genes"),
        ({"effect": float("nan")}, "effect"),
        ({"shape": 0}, "shape"),
        ({"baseline_hazard": -1}, "baseline_hazard"),
    ],
)
def test_validation(kwargs, match):
    with pytest.raises(ValidationError, match=match):
        synthetic_survival(**kwargs)


def test_storable_in_h5ad(tmp_path):
    a = synthetic_survival(n_samples=40, n_genes=8, random_state=None)
    pob.io.write_h5ad(a, tmp_path / "s.h5ad")
    b = pob.io.read_h5ad(tmp_path / "s.h5ad")
    assert np.array_equal(a.X, b.X)
    assert np.array_equal(a.uns["synthetic"]["coef"], b.uns["synthetic"]["coef"])
    pd.testing.assert_frame_equal(a.obs, b.obs)


def test_random_state_is_keyword_only():
    with pytest.raises(TypeError):
        synthetic_survival(10, 5, 2)  # n_prognostic and later are keyword-only


# --------------------------------------------------------------------------- bundled demo cohort
def test_demo_survival_matches_generator():
    demo = pob.datasets.demo_survival()
    fresh = synthetic_survival(n_samples=120, n_genes=30, random_state=2024)
    assert demo.shape == (120, 30)
    assert np.array_equal(demo.X, fresh.X)
    pd.testing.assert_frame_equal(demo.obs, fresh.obs)
    pd.testing.assert_frame_equal(demo.var, fresh.var)
    assert np.array_equal(demo.uns["synthetic"]["coef"], fresh.uns["synthetic"]["coef"])
    assert pob.datasets.load("demo_survival").shape == (120, 30)


def test_demo_survival_file_small():
    path = pob.datasets.bundled_path("demo_survival.h5ad")
    assert path.stat().st_size < 200_000


def test_demo_survival_checksum_mismatch(tmp_path, monkeypatch):
    src = pob.datasets.bundled_data_dir()
    shutil.copy(src / "CHECKSUMS.sha256", tmp_path / "CHECKSUMS.sha256")
    data = bytearray((src / "demo_survival.h5ad").read_bytes())
    data[-10] ^= 0xFF
    (tmp_path / "demo_survival.h5ad").write_bytes(bytes(data))
    import pyomics_bridge.datasets._bundled as bundled

    monkeypatch.setattr(bundled, "bundled_data_dir", lambda: tmp_path)
    with pytest.raises(pob.datasets.ChecksumError, match="demo_survival.h5ad"):
        pob.datasets.demo_survival()


def test_demo_survival_missing(tmp_path, monkeypatch):
    import pyomics_bridge.datasets._bundled as bundled

    monkeypatch.setattr(bundled, "bundled_data_dir", lambda: tmp_path)
    with pytest.raises(pob.datasets.DatasetNotFoundError, match="demo_survival.h5ad"):
        pob.datasets.demo_survival()
