"""The batched CV refits (all folds and keepX candidates advancing together, blocks kept implicit) give the same
fold models and predictions as the one-fold-at-a-time refit, and do not depend on ``n_jobs``."""

from __future__ import annotations

import numpy as np
import pytest

from pyomics_bridge.multiomics._cv import (
    fit_fold_da,
    fit_folds_da,
    fold_groups,
    predict_candidates_max,
    predict_fold_da,
    predict_group_da,
    predict_group_max,
    stratified_folds,
)
from pyomics_bridge.multiomics._perf import perf
from pyomics_bridge.multiomics._plsda import SPLSDA
from pyomics_bridge.multiomics._tune import tune_splsda


def _data(n=60, p=40, K=3, seed=0):
    rng = np.random.default_rng(seed)
    codes = np.arange(n) % K
    X = rng.normal(size=(n, p)) + 0.8 * codes[:, None] * (np.arange(p) < 6) + 5.0
    dummy = np.eye(K)[codes]
    return X, codes, dummy


@pytest.mark.parametrize("scale", [True, False])
@pytest.mark.parametrize(("fixed", "cands"), [([], [3, 7, 40]), ([5], [2, 9]), ([6, 4], [])])
def test_batched_refits_match_single_fold_refits(scale, fixed, cands):
    X, codes, dummy = _data()
    lab = stratified_folds(codes, 5, np.random.default_rng(1))
    trains = [lab != f for f in range(5)]
    batch = fit_folds_da(X, dummy, trains, fixed, cands, scale=scale, tol=1e-6, max_iter=100)
    h = len(fixed) + (1 if cands else 0)
    for f, train in enumerate(trains):
        one = fit_fold_da(X[train], dummy[train], fixed, cands, scale=scale, tol=1e-6, max_iter=100)
        b = batch[f]
        for j in range(one.n_candidates):
            np.testing.assert_allclose(b.W(j), one.W(j), atol=1e-10, rtol=0)
            np.testing.assert_allclose(b.T(j), one.T(j), atol=1e-9, rtol=0)
            assert np.array_equal(b.n_iter(j), one.n_iter(j))
        Yb, cb = predict_fold_da(b, X[~train], range(1, h + 1), ["max.dist", "centroids.dist", "mahalanobis.dist"])
        Yo, co = predict_fold_da(one, X[~train], range(1, h + 1), ["max.dist", "centroids.dist", "mahalanobis.dist"])
        for j in range(one.n_candidates):
            for k in range(1, h + 1):
                np.testing.assert_allclose(Yb[j][k], Yo[j][k], atol=1e-9, rtol=0)
                for d in cb[j]:
                    assert np.array_equal(cb[j][d][k][0], co[j][d][k][0])
        if cands:
            assert np.array_equal(predict_candidates_max(b, X[~train], h),
                                  np.stack([co[j]["max.dist"][h][0] for j in range(len(cands))]))


def test_batched_refits_fall_back_for_missing_values_and_constant_columns():
    X, codes, dummy = _data()
    X[:, 3] = 2.0
    X[0, 3] = 3.0  # constant on the training rows of the fold that holds row 0: dropped there
    Xn = X.copy()
    Xn[5, 7] = np.nan
    lab = np.arange(X.shape[0]) % 4
    trains = [lab != f for f in range(4)]
    assert not fit_fold_da(X[trains[0]], dummy[trains[0]], [5], [], scale=True, tol=1e-6, max_iter=100).kept[3]
    for data in (X, Xn):
        batch = fit_folds_da(data, dummy, trains, [5], [3, 8], scale=True, tol=1e-6, max_iter=100)
        for f, train in enumerate(trains):
            one = fit_fold_da(data[train], dummy[train], [5], [3, 8], scale=True, tol=1e-6, max_iter=100)
            assert np.array_equal(batch[f].kept, one.kept)
            for j in range(2):
                np.testing.assert_allclose(batch[f].W(j), one.W(j), atol=1e-10, rtol=0)


def test_fold_groups_cover_every_fold_once():
    fl = [np.arange(150), np.arange(150) % 5]
    groups = fold_groups(fl, size=64)
    items = [it for g in groups for it in g]
    assert items == [(0, f) for f in range(150)] + [(1, f) for f in range(5)]
    assert all(len({r for r, _ in g}) == 1 and len(g) <= 64 for g in groups)


def test_loo_tune_and_perf_independent_of_n_jobs():
    X, codes, _ = _data(n=45, p=30)
    y = np.array(["a", "b", "c"])[codes]
    a = tune_splsda(X, y, test_keepX=[3, 10], n_components=2, validation="loo", n_jobs=1)
    b = tune_splsda(X, y, test_keepX=[3, 10], n_components=2, validation="loo", n_jobs=2)
    assert a.choice_keepX == b.choice_keepX
    assert a.error_rate.equals(b.error_rate)
    pa = perf(SPLSDA(2, keepX=[5, 5]), X, y, validation="loo", dist="all", n_jobs=1)
    pb = perf(SPLSDA(2, keepX=[5, 5]), X, y, validation="loo", dist="all", n_jobs=2)
    assert np.array_equal(pa.predict, pb.predict)
    assert np.array_equal(pa.n_iter, pb.n_iter)


@pytest.mark.parametrize("fixed", [[], [5], [6, 4]])
def test_group_prediction_matches_per_fold_prediction(fixed):
    X, codes, dummy = _data()
    lab = np.arange(X.shape[0]) % 6
    trains = [lab != f for f in range(6)]
    models = fit_folds_da(X, dummy, trains, fixed, [2, 9, 40], scale=True, tol=1e-6, max_iter=100)
    h = len(fixed) + 1
    group = predict_group_max(models, [X[~t] for t in trains], h)
    for md, t, g in zip(models, trains, group, strict=True):
        _, co = predict_fold_da(md, X[~t], [h], ["max.dist"])
        assert np.array_equal(g, np.stack([co[j]["max.dist"][h][0] for j in range(3)]))


@pytest.mark.parametrize("mahalanobis", ["mixomics", "textbook"])
def test_group_prediction_of_perf_matches_per_fold_prediction(mahalanobis):
    X, codes, dummy = _data(n=45)
    lab = stratified_folds(codes, 4, np.random.default_rng(2))
    trains = [lab != f for f in range(4)]
    models = fit_folds_da(X, dummy, trains, [6, 4, 3], [], scale=True, tol=1e-6, max_iter=100)
    dists = ["max.dist", "centroids.dist", "mahalanobis.dist"]
    group = predict_group_da(models, [X[~t] for t in trains], [1, 2, 3], dists, mahalanobis)
    for md, t, (Yg, cg) in zip(models, trains, group, strict=True):
        Yo, co = predict_fold_da(md, X[~t], [1, 2, 3], dists, mahalanobis)
        for h in (1, 2, 3):
            np.testing.assert_allclose(Yg[h], Yo[0][h], atol=1e-12, rtol=0)
            for d in dists:
                assert np.array_equal(cg[d][h][0], co[0][d][h][0])
                assert cg[d][h][1] == co[0][d][h][1]
