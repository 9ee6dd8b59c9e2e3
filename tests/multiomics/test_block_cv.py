"""The lean DIABLO CV refits (``_block_cv``; batched sGCCA iteration of ``_block_engine``) against the reference
path they replace: refitting :class:`BlockSPLSDA` and calling ``predict`` per fold and candidate.

* the batched soft-threshold and iteration give, column by column, the single-problem engine's loadings and
  sweep counts (the estimator's engine, itself checked against mixOmics by the golden tests);
* ``tune_block_splsda`` and ``perf`` give the same error tables, choices, weights and classes with the lean path
  as with estimator refits (forced by disabling the lean path), for every distance and both vote schemes;
* the vectorised votes follow mixOmics' WeightedVote / MajorityVote label rules (ties, tie labels "A/B");
* results do not depend on ``n_jobs``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from joblib import parallel_config

from pyomics_bridge.multiomics import _block_cv
from pyomics_bridge.multiomics._block import BlockPLSDA, BlockSPLSDA
from pyomics_bridge.multiomics._block_cv import vote_codes
from pyomics_bridge.multiomics._block_engine import _iterate, iterate_batch, soft_rows, start_vector
from pyomics_bridge.multiomics._block_predict import majority_vote, weighted_vote
from pyomics_bridge.multiomics._perf import perf
from pyomics_bridge.multiomics._sparse import soft_threshold
from pyomics_bridge.multiomics._tune import tune_block_splsda


def _force_reference_path(monkeypatch) -> list:
    """Disable the lean path; returns a list that counts the estimator refits of the reference path."""
    from pyomics_bridge.multiomics import _perf as perf_mod

    calls: list = []
    original = perf_mod.fit_fold_block

    def counted(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(_block_cv, "prepare_fold", lambda *a, **k: None)
    monkeypatch.setattr(perf_mod, "fit_fold_block", counted)
    return calls


def _blocks(n=48, seed=0):
    rng = np.random.default_rng(seed)
    y = np.array(["a", "b", "c"])[np.arange(n) % 3]
    codes = np.arange(n) % 3
    X = {}
    for name, p, shift in (("m1", 18, 1.0), ("m2", 14, 0.8), ("m3", 10, 0.6)):
        Z = rng.normal(size=(n, p))
        Z[:, :4] += shift * codes[:, None] * np.array([1, -1, 1, 0.5])
        X[name] = pd.DataFrame(Z + 3.0, index=[f"s{i}" for i in range(n)], columns=[f"{name}_{j}" for j in range(p)])
    return X, pd.Series(pd.Categorical(y, categories=["a", "b", "c"]), index=X["m1"].index)


def test_soft_rows_matches_soft_threshold_with_ties():
    rng = np.random.default_rng(3)
    Z = np.round(rng.normal(size=(40, 25)), 1)  # many exact ties, also at the selection boundary
    Z[0] = 0.5
    keeps = rng.integers(1, 30, size=40)
    got = soft_rows(Z, keeps)
    for i in range(40):
        np.testing.assert_array_equal(got[i], soft_threshold(Z[i], int(keeps[i])) + 0.0)
    assert any(np.count_nonzero(soft_threshold(Z[i], int(keeps[i]))) not in (keeps[i], Z.shape[1])
               for i in range(40))  # the tie rule was exercised


def test_iterate_batch_matches_single_problem_iteration():
    rng = np.random.default_rng(1)
    n = 30
    R = [rng.normal(size=(n, p)) for p in (12, 9, 3)]
    R = [r - r.mean(axis=0) for r in R]
    C = np.array([[0, 0.1, 1], [0.1, 0, 1], [1, 1, 0]])
    starts = [start_vector(r) for r in R]
    problems = [((1, 1, 1), (4, 3, 3)), ((1, -1, 1), (4, 3, 3)), ((1, 1, -1), (12, 2, 3)), ((1, -1, -1), (1, 9, 3))]
    batch = iterate_batch(R, [None] * 3, C, [np.array([s[q] * starts[q] for s, _ in problems]) for q in range(3)],
                          np.array([k for _, k in problems]).T, 1e-6, 100)
    for i, (signs, keep) in enumerate(problems):
        a, T, crits, it, conv, _ = _iterate(R, [None] * 3, C, [s * v for s, v in zip(signs, starts, strict=True)],
                                            list(keep), 1e-6, 100)
        assert batch.n_iter[i] == it and batch.converged[i] == conv
        for q in range(3):
            np.testing.assert_allclose(batch.A[q][i], a[q], rtol=0, atol=1e-12)
            np.testing.assert_allclose(batch.T[q, i], T[:, q], rtol=0, atol=1e-11)
        np.testing.assert_allclose(batch.crit[i], crits[-1], rtol=1e-12)


def test_vote_codes_follow_label_rules():
    rng = np.random.default_rng(5)
    levels = ["b", "a", "c"]  # not sorted: WeightedVote ties go to the label sorting last ("c", then "b")
    B, N = 3, 400
    codes = rng.integers(-1, 3, size=(B, N))
    ties = [dict.fromkeys(np.flatnonzero(codes[b] < 0).tolist(), (0, 2)) for b in range(B)]
    w = np.round(rng.uniform(0.2, 0.8, size=(N, B)), 1)  # coarse weights: exact weighted ties occur
    w[:50] = 0.5
    for weighted in (True, False):
        got = vote_codes(codes, ties, w, levels, weighted=weighted)
        for i in range(N):
            row = np.array([levels[c] if c >= 0 else "b/c" for c in codes[:, i]], dtype=object)
            ref = (weighted_vote(row[None], w[i]) if weighted else majority_vote(row[None]))[0]
            assert got[i] == (levels.index(ref) if ref in levels else -1), (weighted, i, row, ref)


@pytest.mark.parametrize(("dist", "weighted"), [("max.dist", True), ("centroids.dist", False),
                                                ("mahalanobis.dist", True)])
def test_lean_tune_equals_estimator_refits(dist, weighted, monkeypatch):
    X, y = _blocks()
    kw = {"test_keepX": {"m1": [3, 8], "m2": [2, 5], "m3": [4]}, "n_components": 2, "design": 0.3, "folds": 3,
          "nrepeat": 2, "dist": dist, "weighted": weighted, "random_state": 7, "n_jobs": 1}
    lean = tune_block_splsda(X, y, **kw)
    calls = _force_reference_path(monkeypatch)
    ref = tune_block_splsda(X, y, **kw)
    assert len(calls) == 2 * 3 * (4 + 4)  # repeats × folds × candidates, both components
    assert lean.choice_keepX == ref.choice_keepX
    for c in ref.error_rate_all:
        np.testing.assert_allclose(lean.error_rate_all[c].to_numpy(), ref.error_rate_all[c].to_numpy(), rtol=0,
                                   atol=1e-12)
        np.testing.assert_allclose(lean.error_rate_class_all[c].to_numpy(), ref.error_rate_class_all[c].to_numpy(),
                                   rtol=0, atol=1e-12)


@pytest.mark.parametrize("model", [BlockSPLSDA(2, keepX={"m1": [5, 3], "m2": [4, 4], "m3": [3, 6]}, design=0.2),
                                   BlockPLSDA(2, design="full")])
def test_lean_perf_equals_estimator_refits(model, monkeypatch):
    X, y = _blocks(seed=2)
    lean = perf(model, X, y, folds=4, nrepeat=2, random_state=3, n_jobs=1)
    calls = _force_reference_path(monkeypatch)
    ref = perf(model, X, y, folds=4, nrepeat=2, random_state=3, n_jobs=1)
    assert len(calls) == 8
    for b in X:
        np.testing.assert_allclose(lean.error_rate_all[b], ref.error_rate_all[b], rtol=0, atol=1e-12)
        for r in range(2):
            for d in lean.classes[r][b]:
                assert np.array_equal(lean.classes[r][b][d], ref.classes[r][b][d])
        for h in range(2):
            pd.testing.assert_series_equal(lean.features_stable[b][h], ref.features_stable[b][h])
    for attr in ("majority_vote", "weighted_vote"):
        for d in ("max.dist", "centroids.dist", "mahalanobis.dist"):
            np.testing.assert_allclose(getattr(lean, attr)["error_rate_all"][d], getattr(ref, attr)["error_rate_all"][d],
                                       rtol=0, atol=1e-12)
    for attr in ("averaged_predict", "weighted_predict"):
        np.testing.assert_allclose(getattr(lean, attr)["error_rate_all"], getattr(ref, attr)["error_rate_all"],
                                   rtol=0, atol=1e-12)
    num = ["comp1", "comp2"]
    np.testing.assert_allclose(lean.weights[num].to_numpy(), ref.weights[num].to_numpy(), rtol=0, atol=1e-9)
    assert lean.weights[["repeat", "fold", "block"]].equals(ref.weights[["repeat", "fold", "block"]])


def test_lean_paths_fall_back_for_missing_values():
    X, y = _blocks(seed=4)
    X["m2"].iloc[3, 2] = np.nan
    model = BlockSPLSDA(1, keepX={"m1": [4], "m2": [3], "m3": [2]})
    res = perf(model, X, y, folds=3, random_state=0, n_jobs=1)
    assert np.isfinite(res.weighted_vote["error_rate"]["max.dist"].to_numpy()).all()
    tn = tune_block_splsda(X, y, test_keepX={"m1": [2, 4], "m2": [3], "m3": [2]}, n_components=1, folds=3,
                           random_state=0, n_jobs=1)
    assert np.isfinite(tn.error_rate.to_numpy()).all()


def test_tune_block_independent_of_n_jobs():
    X, y = _blocks(seed=6)
    kw = {"test_keepX": {"m1": [3, 8], "m2": [2, 5], "m3": [4, 7]}, "n_components": 2, "folds": 3, "nrepeat": 2,
          "random_state": 11}
    one = tune_block_splsda(X, y, n_jobs=1, **kw)
    with parallel_config(backend="threading"):
        two = tune_block_splsda(X, y, n_jobs=2, **kw)
    assert one.choice_keepX == two.choice_keepX
    for c in one.error_rate_all:
        assert np.array_equal(one.error_rate_all[c].to_numpy(), two.error_rate_all[c].to_numpy())


def test_perf_block_independent_of_n_jobs():
    X, y = _blocks(seed=8)
    model = BlockSPLSDA(2, keepX={"m1": [5, 3], "m2": [4, 4], "m3": [3, 6]}, design=0.2)
    one = perf(model, X, y, folds=3, nrepeat=2, random_state=5, n_jobs=1)
    with parallel_config(backend="threading"):
        two = perf(model, X, y, folds=3, nrepeat=2, random_state=5, n_jobs=2)  # folds fitted in other groups
    for attr in ("majority_vote", "weighted_vote"):
        for d in ("max.dist", "centroids.dist", "mahalanobis.dist"):
            assert np.array_equal(getattr(one, attr)["error_rate_all"][d], getattr(two, attr)["error_rate_all"][d])
    assert one.weights.equals(two.weights)
