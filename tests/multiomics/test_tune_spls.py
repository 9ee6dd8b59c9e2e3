"""tune_spls: mixOmics 6.35.2 (``data/mixomics_r_extra.json``, LOO on simulated data), ground truth of simulated
data, a brute-force loop over the grid with the public SPLS estimator, the selection rule re-implemented here from
its description, and independence from n_jobs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from joblib import parallel_config
from scipy import stats

from pyomics_bridge._conventions import ValidationError
from pyomics_bridge.multiomics import SPLS
from pyomics_bridge.multiomics._tune_spls import select_keep_pair, tune_spls


def _simulated(seed=0, n=60, p=100, q=6):
    """Component 1 drives X features 0-4 and Y columns 0-2; component 2 drives X 5-9 and Y 3-4."""
    rng = np.random.default_rng(seed)
    t1, t2 = rng.normal(size=n), rng.normal(size=n)
    X, Y = rng.normal(size=(n, p)), rng.normal(size=(n, q))
    X[:, :5] += 2 * t1[:, None]
    X[:, 5:10] += 2 * t2[:, None]
    Y[:, :3] += 2 * t1[:, None]
    Y[:, 3:5] += 2 * t2[:, None]
    return X, Y


_EXTRA = Path(__file__).parent / "data" / "mixomics_r_extra.json"


def _r_sim_data():
    """The data of the mixOmics reference run (data/make_mint_auroc_tune_spls.R): two strong latent components."""
    rng = np.random.default_rng(2024)
    n, p, q = 30, 40, 5
    t1, t2 = rng.normal(size=n), rng.normal(size=n)
    X, Y = rng.normal(size=(n, p)), rng.normal(size=(n, q))
    X[:, :6] += 3 * t1[:, None]
    X[:, 6:12] += 2 * t2[:, None]
    Y[:, :3] += 3 * t1[:, None]
    Y[:, 3:] += 2 * t2[:, None]
    return X, Y


@pytest.mark.parametrize("mode", ["regression", "canonical", "classic"])
def test_matches_mixomics_loo(mode):
    ref = json.loads(_EXTRA.read_text())
    X = np.array(ref["tune_spls_sim"]["X"]["data"], dtype=float)
    Y = np.array(ref["tune_spls_sim"]["Y"]["data"], dtype=float)
    X0, Y0 = _r_sim_data()
    np.testing.assert_allclose(X, X0, rtol=1e-14)  # the JSON holds the data R used
    np.testing.assert_allclose(Y, Y0, rtol=1e-14)
    r = ref[f"tune_spls_sim_loo_{mode}"]
    res = tune_spls(X, Y, test_keepX=[40, 6, 12], test_keepY=[5, 3], n_components=2, mode=mode, validation="loo")
    mine = res.measure_pred.set_index(["comp", "keepX", "keepY", "V", "measure"])["mean"]
    table = pd.DataFrame(r["table"])
    first = table[table["comp"] == 1]
    assert len(first) == 24
    for row in first.itertuples():  # mixOmics' own tune.spls output (no fold of component 1 is flipped here)
        assert mine.loc[(1, row.keepX, row.keepY, row.V, row.measure)] == pytest.approx(row.value, rel=1e-9, abs=1e-12)
    assert res.choice_keepX[0] == r["choice_keepX"][0] and res.choice_keepY[0] == r["choice_keepY"][0]
    if mode == "classic":
        return  # the classic fold components 2 are other components than the full model's: no sign to align
    # component 2: mixOmics' spls()/predict() through perf's protocol with each fold's sign aligned (the same
    # R code without alignment reproduces tune.spls exactly, checked when the reference was made)
    for row in pd.DataFrame(r["comp2_aligned"]).itertuples():
        for v in ("t", "u"):
            for m in ("cor", "RSS"):
                assert mine.loc[(2, int(row.keepX), int(row.keepY), v, m)] == pytest.approx(
                    getattr(row, f"{m}_{v}"), rel=1e-9, abs=1e-12)
    if mode == "regression":  # no sign flip in R's folds for this grid: same choice
        assert res.choice_keepX == r["choice_keepX"] and res.choice_keepY == r["choice_keepY"]


@pytest.mark.parametrize("measure", ["cor", "RSS"])
def test_picks_the_true_number_of_features(measure):
    X, Y = _simulated()
    kw = {"folds": 5, "nrepeat": 3, "measure": measure, "random_state": 1}
    # keepX: 5 true X features on component 1
    res = tune_spls(X, Y, test_keepX=[40, 5], test_keepY=[6], n_components=1, **kw)
    assert res.choice_keepX == [5]
    # keepY: 3 true Y columns on component 1, 2 on component 2 (RSS; 'cor' keeps 3, mixOmics' documented bias)
    res = tune_spls(X, Y, test_keepX=[5], test_keepY=[6, 3, 2], n_components=2, **kw)
    assert res.choice_keepY[0] == 3
    if measure == "RSS":
        assert res.choice_keepY == [3, 2]
    # component 2: the t measures prefer the 5 true features (mixOmics' rule decides on u in regression mode)
    res = tune_spls(X, Y, test_keepX=[40, 5], test_keepY=[6], n_components=2, **kw)
    assert res.cor_pred["t"].loc[(5, 6), "comp2"] > res.cor_pred["t"].loc[(40, 6), "comp2"]
    assert res.RSS_pred["t"].loc[(5, 6), "comp2"] < res.RSS_pred["t"].loc[(40, 6), "comp2"]


def _reference_choice(vt, vu, measure, canonical=False):
    """The scan as documented by mixOmics: the first pair is the optimum; a later pair replaces it when its u
    measure (and t in canonical mode) is better: Welch one-sided test at 0.05 with >= 3 repeats, else means."""
    off = np.linspace(1, 2, vt.shape[1]) * 1e-6

    def better(o, v):
        o, v = o + off, v + off
        if o.size >= 3:
            alt = "less" if measure == "cor" else "greater"
            return stats.ttest_ind(o, v, equal_var=False, alternative=alt).pvalue < 0.05
        return o.mean() < v.mean() if measure == "cor" else o.mean() > v.mean()

    opt = 0
    for j in range(vt.shape[0]):
        ok = better(vu[opt], vu[j]) and (better(vt[opt], vt[j]) if canonical else True)
        if ok:
            opt = j
    return opt


@pytest.mark.parametrize(("nrepeat", "mode"), [(3, "regression"), (1, "canonical")])
def test_first_component_equals_brute_force_loop(nrepeat, mode):
    X, Y = _simulated(3, n=40, p=30, q=4)
    gx, gy = [2, 5, 12], [1, 4]
    res = tune_spls(X, Y, test_keepX=gx, test_keepY=gy, n_components=1, folds=4, nrepeat=nrepeat, mode=mode,
                    random_state=7)
    n = X.shape[0]
    Xs = ((X - X.mean(0)) / X.std(0, ddof=1))
    Ys = ((Y - Y.mean(0)) / Y.std(0, ddof=1))
    grid = [(kx, ky) for kx in gx for ky in gy]
    vals = {(m, v): np.zeros((len(grid), nrepeat)) for m in ("cor", "RSS") for v in ("t", "u")}
    for j, (kx, ky) in enumerate(grid):
        full = SPLS(1, keepX=kx, keepY=ky, mode=mode, tol=1e-9).fit(X, Y)
        for r, lab in enumerate(res.folds):
            tp, up = np.zeros(n), np.zeros(n)
            for f in np.unique(lab):
                test = lab == f
                fold = SPLS(1, keepX=kx, keepY=ky, mode=mode, tol=1e-9).fit(Xs[~test], Ys[~test])
                tp[test] = Xs[test] @ fold.loadings_["X"][:, 0]
                up[test] = Ys[test] @ fold.loadings_["Y"][:, 0]
            for v, pred, act in (("t", tp, full.variates_["X"][:, 0]), ("u", up, full.variates_["Y"][:, 0])):
                vals[("cor", v)][j, r] = abs(np.corrcoef(pred, act)[0, 1])
                vals[("RSS", v)][j, r] = np.sum((pred - act) ** 2) / (n - 1)
    table = res.measure_pred.set_index(["keepX", "keepY", "V", "measure"])
    reps = [f"nrep.{r + 1}" for r in range(nrepeat)]
    for (m, v), arr in vals.items():
        for j, key in enumerate(grid):
            np.testing.assert_allclose(table.loc[(*key, v, m), reps].to_numpy(dtype=float), arr[j], atol=1e-10)
    best = _reference_choice(vals[("cor", "t")], vals[("cor", "u")], "cor", canonical=mode == "canonical")
    assert (res.choice_keepX[0], res.choice_keepY[0]) == grid[best]


def test_selection_rule_cases():
    vt = np.zeros((3, 1))
    # strictly better means win with < 3 repeats, ties keep the earlier pair
    assert select_keep_pair(vt, np.array([[0.5], [0.7], [0.7]]), measure="cor") == 1
    assert select_keep_pair(vt, np.array([[0.5], [0.3], [0.4]]), measure="RSS") == 1
    # with >= 3 repeats a better mean that is not significant does not win
    vt3 = np.zeros((2, 3))
    noisy = np.array([[0.5, 0.6, 0.7], [0.55, 0.65, 0.75]])
    assert select_keep_pair(vt3, noisy, measure="cor") == 0
    clear = np.array([[0.5, 0.51, 0.52], [0.9, 0.91, 0.92]])
    assert select_keep_pair(vt3, clear, measure="cor") == 1
    # canonical mode needs t and u to improve
    assert select_keep_pair(vt3, clear, measure="cor", mode="canonical") == 0


def test_results_do_not_depend_on_n_jobs_and_explicit_folds_reproduce():
    X, Y = _simulated(4, n=36, p=20, q=3)
    kw = {"test_keepX": [3, 8], "test_keepY": [2, 3], "n_components": 2, "folds": 3, "nrepeat": 2, "random_state": 11}
    a = tune_spls(X, Y, n_jobs=1, **kw)
    with parallel_config(backend="threading"):  # same task split as processes, without their start-up cost
        b = tune_spls(X, Y, n_jobs=2, **kw)
    pd.testing.assert_frame_equal(a.measure_pred, b.measure_pred, check_exact=True)
    c = tune_spls(X, Y, test_keepX=[3, 8], test_keepY=[2, 3], n_components=2, folds=3, nrepeat=2,
                  fold_assignments=a.folds)
    pd.testing.assert_frame_equal(a.measure_pred, c.measure_pred, check_exact=True)
    d = tune_spls(X, Y, test_keepX=[3, 8], n_components=1, validation="loo")
    assert d.nrepeat == 1 and len(np.unique(d.folds[0])) == X.shape[0]


def test_bad_input():
    X, Y = _simulated(5, n=20, p=10, q=3)
    with pytest.raises(ValidationError, match="single column"):
        tune_spls(X, Y[:, 0], test_keepX=[2])
    with pytest.raises(ValidationError, match="mode must be one of"):
        tune_spls(X, Y, test_keepX=[2], mode="invariant")
    with pytest.raises(ValidationError, match=r"test_keepX values must be integers in \[1, 10\]"):
        tune_spls(X, Y, test_keepX=[2, 11])
    with pytest.raises(ValidationError, match="measure must be one of"):
        tune_spls(X, Y, test_keepX=[2], measure="MSE")
    Xn = X.copy()
    Xn[0, 0] = np.nan
    with pytest.raises(ValidationError, match="NaN"):
        tune_spls(Xn, Y, test_keepX=[2])


if __name__ == "__main__":  # writes the CSV inputs of data/make_mint_auroc_tune_spls.R
    from pathlib import Path

    out = Path(__file__).parent / "data"
    X, Y = _r_sim_data()
    rows = [f"s{i + 1}" for i in range(X.shape[0])]
    pd.DataFrame(X, index=rows, columns=[f"x{j + 1}" for j in range(X.shape[1])]).to_csv(
        out / "tune_spls_sim_X.csv", float_format="%.17g")
    pd.DataFrame(Y, index=rows, columns=[f"y{j + 1}" for j in range(Y.shape[1])]).to_csv(
        out / "tune_spls_sim_Y.csv", float_format="%.17g")
