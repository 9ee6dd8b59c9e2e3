"""MINT (mint.pls / spls / plsda / splsda): checked against mixOmics and independent references.

(0) mixOmics 6.35.2 on stemcells (``data/mixomics_r_extra.json``, made by ``data/make_mint_auroc_tune_spls.R``):
mint.splsda and mint.plsda fits, predict for known and unseen studies, leave-one-study-out perf and auroc; mint.pls
and mint.spls fits and predictions; tune.mint.splsda;
(1) the single-study case, which must equal the plain estimators exactly; (2) a textbook PLS2 (one SVD per
component, global deflation) computed in the test on blocks standardised per study with pandas; (3) invariance to
per-study affine transforms of the features (the point of MINT), which plain PLS-DA does not have; (4) the ground
truth of simulated multi-study data; (5) a hand-written leave-one-study-out loop for :func:`perf_mint`.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pyomics_bridge._conventions import ValidationError
from pyomics_bridge.multiomics import PLS, PLSDA, SPLS, SPLSDA
from pyomics_bridge.multiomics._auroc import auroc
from pyomics_bridge.multiomics._mint import MINTPLS, MINTPLSDA, MINTSPLS, MINTSPLSDA
from pyomics_bridge.multiomics._mint_perf import perf_mint, tune_mint_splsda

_EXTRA = Path(__file__).parent / "data" / "mixomics_r_extra.json"


def _per_study_standardise(M: np.ndarray, study: np.ndarray) -> np.ndarray:
    df = pd.DataFrame(M)
    g = df.groupby(study)
    return ((df - g.transform("mean")) / g.transform("std", ddof=1)).to_numpy()


def _textbook_pls2(X: np.ndarray, Y: np.ndarray, H: int):
    """Regression-mode PLS2: per component the leading singular pair of X_hᵀY_h, X and Y deflated on t."""
    Xh, Yh = X.copy(), Y.copy()
    W, T = [], []
    for _ in range(H):
        U, _, _ = np.linalg.svd(Xh.T @ Yh, full_matrices=False)
        w = U[:, 0]
        t = Xh @ w
        Xh = Xh - np.outer(t, Xh.T @ t / (t @ t))
        Yh = Yh - np.outer(t, Yh.T @ t / (t @ t))
        W.append(w)
        T.append(t)
    return np.array(W).T, np.array(T).T


def _align(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    return A * np.sign(np.sum(A * B, axis=0))


def _multi_study(seed=0, n_per=(15, 20, 12, 18), p=40):
    """Class A is up on features 0-2, class B on 3-5; every study shifts and scales every feature."""
    rng = np.random.default_rng(seed)
    n = sum(n_per)
    study = np.repeat([f"s{i + 1}" for i in range(len(n_per))], n_per)
    y = np.array(["A", "B", "C"] * (n // 3 + 1), dtype=object)[:n]
    X = rng.normal(size=(n, p))
    X[:, 0:3] += 2.5 * (y == "A")[:, None]
    X[:, 3:6] += 2.5 * (y == "B")[:, None]
    for s in np.unique(study):
        rows = study == s
        X[rows] = X[rows] * rng.uniform(0.5, 3.0, size=p) + rng.normal(scale=5.0, size=p)
    return X, y, study

# ----------------------------------------------------------------------------------------------- mixOmics
def _stemcells(mx):
    d = mx.data_dir() / "stemcells"
    X = mx.read_csv(d / "gene.csv")
    s = mx.read_csv(d / "samples.csv").loc[X.index]
    y = pd.Categorical(s["celltype"], categories=["Fibroblast", "hESC", "hiPSC"])
    return X, y, s["study"].astype(str).to_numpy()


def _m(entry) -> np.ndarray:
    return np.array(entry["data"], dtype=float)


@pytest.mark.parametrize("case", ["mint_splsda", "mint_plsda"])
def test_matches_mixomics_stemcells(mx, case):
    ref = json.loads(_EXTRA.read_text())[case]
    X, y, study = _stemcells(mx)
    model = (MINTSPLSDA(2, keepX=[10, 5]) if case == "mint_splsda" else MINTPLSDA(2)).fit(X, y, study=study)
    L = _m(ref["loadings_X"])
    sign = np.sign(np.sum(model.loadings_["X"] * L, axis=0))  # one flip per component, shared by every block
    np.testing.assert_allclose(model.loadings_["X"] * sign, L, atol=1e-12)
    np.testing.assert_allclose(model.loadings_["Y"] * sign, _m(ref["loadings_Y"]), atol=1e-12)
    np.testing.assert_allclose(model.variates_["X"] * sign, _m(ref["variates_X"]), atol=1e-11)
    np.testing.assert_allclose(model.variates_["Y"] * sign, _m(ref["variates_Y"]), atol=1e-11)
    for name, values in ref["prop_expl_var_X"].items():
        np.testing.assert_allclose(model.explained_variance_["X"].loc[name], values, rtol=1e-12)
    # predict with the training studies, and with an unseen study ("new": scaled on itself, Ŷ left scaled)
    pred = model.predict_all(X, study)
    new = model.predict_all(X.iloc[:10], np.repeat("new", 10))
    for h in range(2):
        np.testing.assert_allclose(pred.predict[h], _m(ref["predict_known"][h]), atol=1e-12)
        np.testing.assert_allclose(new.predict[h], _m(ref["predict_new"][h]), atol=1e-12)
    np.testing.assert_allclose(pred.variates * sign, _m(ref["variates_known"]), atol=1e-11)
    np.testing.assert_allclose(new.variates * sign, _m(ref["variates_new"]), atol=1e-11)
    for d in ("max.dist", "centroids.dist", "mahalanobis.dist"):
        assert pred.classes[d].tolist() == ref["class_known"][d]["data"]
        assert new.classes[d].tolist() == ref["class_new"][d]["data"]
    # leave-one-study-out perf: global and study-specific errors
    res = perf_mint(model, X, y, study=study)
    for m in ("overall", "BER"):
        np.testing.assert_allclose(res.global_error[m].to_numpy(), _m(ref["perf_global_error"][m]), atol=1e-12)
    for s, tabs in ref["perf_study_error"].items():
        ber, ov = _m(tabs["BER"]), _m(tabs["overall"])  # components × distances
        for j, d in enumerate(("max.dist", "centroids.dist", "mahalanobis.dist")):
            np.testing.assert_allclose(res.study_ber[d].loc[s].to_numpy(), ber[:, j], atol=1e-12)
            np.testing.assert_allclose(res.study_error[d].loc[s].to_numpy(), ov[:, j], atol=1e-12)
    # auroc on the training data with their studies
    roc = auroc(model, X, y, study=study)
    for h in range(2):
        np.testing.assert_array_equal(roc[f"comp{h + 1}"].to_numpy(), _m(ref["auroc"][h]))


@pytest.mark.parametrize(("dist", "measure"), [("max.dist", "BER"), ("centroids.dist", "overall")])
def test_tune_mint_splsda_matches_mixomics(mx, dist, measure):
    ref = json.loads(_EXTRA.read_text())[f"tune_mint_splsda_{dist}_{measure}"]
    X, y, study = _stemcells(mx)
    res = tune_mint_splsda(X, y, study=study, test_keepX=[30, 5, 15, 10], n_components=2, dist=dist, measure=measure)
    assert list(res.error_rate.index) == ref["error_rate"]["rownames"]
    np.testing.assert_allclose(res.error_rate.to_numpy(), _m(ref["error_rate"]), atol=1e-12)
    assert res.choice_keepX == ref["choice_keepX"]  # max.dist/BER: a tie on comp 1 goes to the smaller keepX (10)


@pytest.mark.parametrize("case", ["mint_spls", "mint_pls"])
def test_mint_pls_matches_mixomics_stemcells(mx, case):
    ref = json.loads(_EXTRA.read_text())[case]
    X, _, study = _stemcells(mx)
    Xp, Yp = X.iloc[:, :200], X.iloc[:, 200:210]  # genes 1-200 against genes 201-210
    model = MINTSPLS(2, keepX=[20, 10], keepY=[5, 5]) if case == "mint_spls" else MINTPLS(2)
    model.fit(Xp, Yp, study=study)
    L = _m(ref["loadings_X"])
    sign = np.sign(np.sum(model.loadings_["X"] * L, axis=0))
    for b in ("X", "Y"):
        np.testing.assert_allclose(model.loadings_[b] * sign, _m(ref[f"loadings_{b}"]), atol=1e-12)
        np.testing.assert_allclose(model.variates_[b] * sign, _m(ref[f"variates_{b}"]), atol=1e-11)
    for h in range(2):
        np.testing.assert_allclose(model.predict(Xp, study, n_components=h + 1), _m(ref["predict_known"][h]),
                                   atol=1e-12)
        np.testing.assert_allclose(model.predict(Xp.iloc[:10], np.repeat("new", 10), n_components=h + 1),
                                   _m(ref["predict_new"][h]), atol=1e-12)
    np.testing.assert_allclose(model.transform(Xp.iloc[:10], np.repeat("new", 10)) * sign, _m(ref["variates_new"]),
                               atol=1e-11)


# ----------------------------------------------------------------------------------------------- single study
@pytest.mark.parametrize("keep", [None, [7, 4]])
def test_single_study_equals_plain_plsda(keep):
    X, y, _ = _multi_study(1)
    one = np.repeat("only", X.shape[0])
    if keep is None:
        mint, plain = MINTPLSDA(2).fit(X, y, study=one), PLSDA(2).fit(X, y)
    else:
        mint, plain = MINTSPLSDA(2, keepX=keep).fit(X, y, study=one), SPLSDA(2, keepX=keep).fit(X, y)
    for b in ("X", "Y"):
        np.testing.assert_allclose(mint.loadings_[b], plain.loadings_[b], atol=1e-12)
        np.testing.assert_allclose(mint.variates_[b], plain.variates_[b], atol=1e-10)
    np.testing.assert_allclose(mint.explained_variance_["X"].loc["all data"], plain.explained_variance_["X"],
                               atol=1e-12)
    Xn = X[:10] + 0.1
    np.testing.assert_allclose(mint.predict_scores(Xn, np.repeat("only", 10)), plain.predict_scores(Xn), atol=1e-10)
    for d in ("max.dist", "centroids.dist", "mahalanobis.dist"):
        assert list(mint.predict(Xn, np.repeat("only", 10), dist=d)) == list(plain.predict(Xn, dist=d))


@pytest.mark.parametrize("mode", ["regression", "canonical"])
def test_single_study_equals_plain_spls(mode):
    rng = np.random.default_rng(2)
    X, Y = rng.normal(size=(30, 25)), rng.normal(size=(30, 4))
    Y[:, 0] += X[:, 0] + X[:, 1]
    one = np.zeros(30, dtype=int)
    for mint, plain in ((MINTPLS(2, mode=mode), PLS(2, mode=mode)),
                        (MINTSPLS(2, keepX=[5, 3], keepY=[2, 2], mode=mode), SPLS(2, keepX=[5, 3], keepY=[2, 2],
                                                                                   mode=mode))):
        mint.fit(X, Y, study=one)
        plain.fit(X, Y)
        np.testing.assert_allclose(mint.loadings_["X"], plain.loadings_["X"], atol=1e-12)
        np.testing.assert_allclose(mint.variates_["Y"], plain.variates_["Y"], atol=1e-10)
        np.testing.assert_allclose(mint.predict(X[:5], one[:5]), plain.predict(X[:5]), atol=1e-10)


# ----------------------------------------------------------------------------------------------- several studies
def test_multi_study_plsda_is_textbook_pls2_on_per_study_standardised_blocks():
    X, y, study = _multi_study(3)
    model = MINTPLSDA(3).fit(X, y, study=study)
    Xs = _per_study_standardise(X, study)
    dummy = pd.get_dummies(pd.Series(y)).to_numpy(dtype=float)
    Ys = _per_study_standardise(dummy, study)
    W, T = _textbook_pls2(Xs, Ys, 3)
    np.testing.assert_allclose(_align(model.loadings_["X"], W), W, atol=1e-10)
    np.testing.assert_allclose(_align(model.variates_["X"], T), T, atol=1e-9)
    np.testing.assert_allclose(model.ind_mat_, Ys, atol=1e-12)
    # partial variates are the global variates of each study's samples; partial loadings add up to Xᵀu
    for s in np.unique(study):
        np.testing.assert_array_equal(model.variates_partial_["X"][s], model.variates_["X"][study == s])
    total = sum(model.loadings_partial_["X"][s] for s in np.unique(study))
    u1 = model.variates_["Y"][:, 0]
    np.testing.assert_allclose(total[:, 0], Xs.T @ u1, atol=1e-9)
    # per-study explained variance: ‖t_hᵀX_m‖²/(t_hᵀt_h)/‖X_m‖² on the study's rows
    rows = study == "s2"
    t = model.variates_["X"][rows, 0]
    ev = np.sum((t @ Xs[rows]) ** 2) / (t @ t) / np.sum(Xs[rows] ** 2)
    assert model.explained_variance_["X"].loc["s2", "comp1"] == pytest.approx(ev, rel=1e-10)


def test_multi_study_pls_is_textbook_pls2():
    rng = np.random.default_rng(4)
    study = np.repeat(["a", "b", "c"], [10, 14, 11])
    X = rng.normal(size=(35, 12)) * np.repeat([[1.0], [3.0], [0.5]], [10, 14, 11], axis=0)
    Y = X[:, :3] @ rng.normal(size=(3, 3)) + rng.normal(size=(35, 3))
    model = MINTPLS(2).fit(X, Y, study=study)
    W, T = _textbook_pls2(_per_study_standardise(X, study), _per_study_standardise(Y, study), 2)
    np.testing.assert_allclose(_align(model.loadings_["X"], W), W, atol=1e-10)
    np.testing.assert_allclose(_align(model.variates_["X"], T), T, atol=1e-9)


def test_invariant_to_per_study_affine_transforms_unlike_plain_plsda(mx):
    d = mx.data_dir() / "stemcells"
    X = mx.read_csv(d / "gene.csv")
    s = mx.read_csv(d / "samples.csv").loc[X.index]
    study = s["study"].astype(str).to_numpy()
    y = s["celltype"]
    rng = np.random.default_rng(5)
    X2 = X.to_numpy().copy()
    for st in np.unique(study):
        rows = study == st
        X2[rows] = X2[rows] * rng.uniform(0.2, 5.0, size=X.shape[1]) + rng.normal(scale=3.0, size=X.shape[1])
    a = MINTSPLSDA(2, keepX=[10, 5]).fit(X, y, study=study)
    b = MINTSPLSDA(2, keepX=[10, 5]).fit(X2, y, study=study)
    np.testing.assert_allclose(a.loadings_["X"], b.loadings_["X"], atol=1e-9)
    np.testing.assert_allclose(a.variates_["X"], b.variates_["X"], atol=1e-8)
    np.testing.assert_array_equal(a.loadings_["X"] != 0, b.loadings_["X"] != 0)
    p1, p2 = SPLSDA(2, keepX=[10, 5]).fit(X, y), SPLSDA(2, keepX=[10, 5]).fit(X2, y)
    assert np.abs(np.abs(p1.loadings_["X"]) - np.abs(p2.loadings_["X"])).max() > 0.1
    # predicting the training rows with their study gives back the training variates (and the known-study
    # statistics equal the statistics of the same rows treated as an unseen study)
    np.testing.assert_allclose(a.transform(X, study), a.variates_["X"], atol=1e-10)
    np.testing.assert_allclose(a.transform(X, np.char.add("new", study)), a.variates_["X"], atol=1e-10)


# ----------------------------------------------------------------------------------------------- ground truth
def test_simulated_batches_true_features_selected_and_logo_accurate():
    X, y, study = _multi_study(2, n_per=(24, 30, 21, 27), p=60)
    model = MINTSPLSDA(2, keepX=[3, 3]).fit(X, y, study=study)
    selected = {int(j) for comp in model.selected_features_["X"] for j in comp}
    assert selected == {0, 1, 2, 3, 4, 5}
    res = perf_mint(model, X, y, study=study)
    assert (res.global_error["BER"].loc["comp2"] < 0.1).all()
    assert (res.study_error["max.dist"]["comp2"] < 0.15).all()
    # ignoring the studies, the batch effects hide part of the signal
    naive = SPLSDA(2, keepX=[3, 3]).fit(X, y)
    assert {int(j) for comp in naive.selected_features_["X"] for j in comp} != {0, 1, 2, 3, 4, 5}


def test_perf_mint_is_leave_one_study_out():
    X, y, study = _multi_study(7, n_per=(15, 18, 15), p=30)
    model = MINTSPLSDA(2, keepX=[6, 4])
    res = perf_mint(model, X, y, study=study, dist="centroids.dist")
    wrong = np.zeros((2, len(y)), dtype=bool)
    for s in ("s1", "s2", "s3"):
        test = study == s
        est = MINTSPLSDA(2, keepX=[6, 4]).fit(X[~test], y[~test], study=study[~test])
        for h in (1, 2):
            pred = est.predict(X[test], study[test], dist="centroids.dist", n_components=h)
            assert list(res.classes["centroids.dist"][test, h - 1]) == list(pred)
            wrong[h - 1, test] = pred != y[test]
            assert res.study_error["centroids.dist"].loc[s, f"comp{h}"] == pytest.approx(wrong[h - 1, test].mean())
    for h in (1, 2):
        ber = np.mean([wrong[h - 1, y == c].mean() for c in ("A", "B", "C")])
        assert res.global_error["BER"].loc[f"comp{h}", "centroids.dist"] == pytest.approx(ber)
        assert res.global_error["overall"].loc[f"comp{h}", "centroids.dist"] == pytest.approx(wrong[h - 1].mean())


# ----------------------------------------------------------------------------------------------- bad input
def test_bad_input():
    X, y, study = _multi_study(8)
    with pytest.raises(ValidationError, match="study is required"):
        MINTPLSDA(2).fit(X, y, study=None)
    with pytest.raises(ValidationError, match="expected one per sample"):
        MINTPLSDA(2).fit(X, y, study=study[:-1])
    lonely = study.copy()
    lonely[0] = "alone"
    with pytest.raises(ValidationError, match="at least 2 samples per study"):
        MINTPLSDA(2).fit(X, y, study=lonely)
    model = MINTPLSDA(2).fit(X, y, study=study)
    with pytest.raises(ValidationError, match="study is required"):
        model.predict(X[:3])
    with pytest.raises(ValidationError, match="dist must be one of"):
        model.predict(X[:3], study[:3], dist="euclid")
    with pytest.warns(UserWarning, match="single sample"):
        model.transform(X[:1], ["brand-new"])
    y_only = y.copy()
    y_only[study == "s3"] = "only-in-s3"
    with pytest.raises(ValidationError, match="holds every sample of class"):
        perf_mint(MINTPLSDA(2), X, y_only, study=study)
    with pytest.raises(ValidationError, match="at least 3 studies"):
        perf_mint(model, X[study != "s1"], y[study != "s1"], study=np.where(study == "s2", "s2", "s3")[study != "s1"])


# ----------------------------------------------------------------------------------------------- tl wrapper
def test_tl_mint_splsda_writes_the_estimator_results(tmp_path):
    import anndata as ad

    from pyomics_bridge.tl._mint import mint_splsda

    X, y, study = _multi_study(9)
    adata = ad.AnnData(X, obs=pd.DataFrame({"cls": y, "batch": study}, index=[f"c{i}" for i in range(len(y))]))
    adata.var_names = [f"g{j}" for j in range(X.shape[1])]
    out = mint_splsda(adata, groupby="cls", study_key="batch", keepX=[3, 3], copy=True)
    assert "mint_splsda" not in adata.uns  # copy=True leaves the input alone
    est = MINTSPLSDA(2, keepX=[3, 3]).fit(X, y, study=study)
    np.testing.assert_array_equal(out.obsm["X_mint_splsda"], est.variates_["X"])
    np.testing.assert_array_equal(out.varm["mint_splsda_loadings"], est.loadings_["X"])
    rec = out.uns["mint_splsda"]
    assert list(rec["studies"]) == ["s1", "s2", "s3", "s4"]
    assert list(rec["selected"]["comp1"]) == [f"g{j}" for j in np.flatnonzero(est.loadings_["X"][:, 0])]
    pd.testing.assert_frame_equal(rec["explained_variance"]["X"], est.explained_variance_["X"])
    assert rec["params"]["study_key"] == "batch"
    out.write_h5ad(tmp_path / "mint.h5ad")
    with pytest.raises(ValidationError, match="no column 'nope'"):
        mint_splsda(adata, groupby="cls", study_key="nope")
