"""Leave-one-study-out cross-validation of MINT (s)PLS-DA models: ``perf_mint`` (mixOmics ``perf`` on
``mint.splsda``, ``LOGOCV``) and ``tune_mint_splsda`` (``tune.mint.splsda``).

Each study in turn is predicted, as an unseen study (scaled on itself, Ŷ left on the scaled scale), by the model
refitted on the other studies. Deterministic. Global BER = the per-study BERs weighted by the study sizes, as
mixOmics reports it; agreement with mixOmics 6.35.2 on stemcells is exact (``tests/multiomics/test_mint.py``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._conventions import ValidationError
from ._mint import MINTPLSDA, MINTSPLSDA, _as_study, _study_levels
from ._plsda import DISTANCES
from ._preprocess import class_levels
from ._validate import as_block, as_labels, check_option, check_rows

__all__ = ["MINTPerfResult", "perf_mint", "TuneMINTResult", "tune_mint_splsda"]


@dataclass
class MINTPerfResult:
    """Leave-one-study-out performance of a MINT (s)PLS-DA model (mixOmics ``perf`` on ``mint.splsda``).

    Attributes
    ----------
    global_error
        ``{"overall", "BER"}`` → DataFrame (components × distances): the overall error over all samples, and
        mixOmics' global BER = the per-study BERs weighted by the study sizes.
    study_error
        ``{dist: DataFrame (studies × components)}``: overall error rate within each held-out study.
    study_ber
        ``{dist: DataFrame (studies × components)}``: BER within each held-out study (over the classes present).
    error_rate_class
        ``{dist: DataFrame (classes × components)}`` over all samples.
    predict
        Out-of-study predicted dummy scores (H × n × K).
    classes
        ``{dist: n × H}`` out-of-study labels.
    """

    global_error: dict[str, pd.DataFrame]
    study_error: dict[str, pd.DataFrame]
    study_ber: dict[str, pd.DataFrame]
    error_rate_class: dict[str, pd.DataFrame]
    predict: np.ndarray
    classes: dict[str, np.ndarray]
    levels: list
    studies: list
    dist: list[str]


def _errors(pred: np.ndarray, truth: np.ndarray, levels: list) -> tuple[float, float, np.ndarray]:
    wrong = pred != truth
    present = [lev for lev in levels if np.any(truth == lev)]
    per = np.array([wrong[truth == lev].mean() if np.any(truth == lev) else np.nan for lev in levels])
    ber = float(np.mean([wrong[truth == lev].mean() for lev in present]))
    return float(wrong.mean()), ber, per


def perf_mint(model, X, y, *, study, dist="all") -> MINTPerfResult:
    """Leave-one-study-out (LOGO) cross-validation of a :class:`MINTPLSDA`/:class:`MINTSPLSDA` model.

    Each study in turn is held out; the model (same parameters) is refitted on the other studies and the held-out
    study is predicted as an unseen study (scaled on itself). Deterministic (no random draw).

    Parameters
    ----------
    model
        A MINT (s)PLS-DA estimator (fitted or not; its parameters are used).
    X, y
        Training data and class labels.
    study
        Study label of every sample (at least 3 studies: each refit needs 2).
    dist
        ``"all"`` or one of ``"max.dist"``, ``"centroids.dist"``, ``"mahalanobis.dist"``.

    Returns
    -------
    :class:`MINTPerfResult`.
    """
    if not isinstance(model, MINTPLSDA):
        raise TypeError(f"perf_mint() needs a MINTPLSDA or MINTSPLSDA model, got {type(model).__name__}")
    check_option(dist, DISTANCES + ("all",), name="dist")
    dists = list(DISTANCES) if dist == "all" else [dist]
    X_arr, _, x_idx = as_block(X, name="X", allow_nan=True)
    labels, y_idx = as_labels(y, name="y")
    check_rows(X_arr.shape[0], labels.shape[0], x_idx, y_idx, what_y="y")
    levels = class_levels(y if isinstance(y, (pd.Series, pd.Categorical)) else labels)
    st = _as_study(study, X_arr.shape[0])
    s_levels = _study_levels(study, st)
    if len(s_levels) < 3:
        raise ValidationError(f"study: leave-one-study-out needs at least 3 studies, got {len(s_levels)}")
    n, K, H = X_arr.shape[0], len(levels), int(model.n_components)
    cat = pd.Categorical(labels, categories=levels)
    predict = np.zeros((H, n, K))
    classes = {d: np.empty((n, H), dtype=object) for d in dists}
    params = model.get_params()
    for s in s_levels:
        test = st == s
        train = ~test
        absent = [lev for lev in levels if not np.any(labels[train] == lev)]
        if absent:
            raise ValidationError(f"study {s!r} holds every sample of class(es) {absent}: leave-one-study-out "
                                  f"cannot refit without it")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est = type(model)(**params).fit(X_arr[train], cat[train], study=st[train])
            pred = est.predict_all(X_arr[test], st[test], dist=dist)
        predict[:, test] = pred.predict
        for d in dists:
            classes[d][test] = pred.classes[d]
    truth = np.asarray(labels, dtype=object)
    comps = [f"comp{h + 1}" for h in range(H)]
    glob = {m: np.zeros((H, len(dists))) for m in ("overall", "BER")}
    cls = {d: np.zeros((K, H)) for d in dists}
    s_err = {d: np.zeros((len(s_levels), H)) for d in dists}
    s_ber = {d: np.zeros((len(s_levels), H)) for d in dists}
    for j, d in enumerate(dists):
        for h in range(H):
            ov, _, per = _errors(classes[d][:, h], truth, list(levels))
            glob["overall"][h, j] = ov
            cls[d][:, h] = per
            for i, s in enumerate(s_levels):
                rows = st == s
                ov_s, ber_s, _ = _errors(classes[d][rows, h], truth[rows], list(levels))
                s_err[d][i, h], s_ber[d][i, h] = ov_s, ber_s
            # mixOmics' global BER: the per-study BERs weighted by study size
            sizes = np.array([np.sum(st == s) for s in s_levels])
            glob["BER"][h, j] = float(sizes @ s_ber[d][:, h] / sizes.sum())
    lev = [str(v) for v in levels]
    return MINTPerfResult(
        global_error={m: pd.DataFrame(v, index=comps, columns=dists) for m, v in glob.items()},
        study_error={d: pd.DataFrame(v, index=s_levels, columns=comps) for d, v in s_err.items()},
        study_ber={d: pd.DataFrame(v, index=s_levels, columns=comps) for d, v in s_ber.items()},
        error_rate_class={d: pd.DataFrame(v, index=lev, columns=comps) for d, v in cls.items()},
        predict=predict, classes=classes, levels=list(levels), studies=s_levels, dist=dists,
    )


@dataclass
class TuneMINTResult:
    """Result of :func:`tune_mint_splsda`.

    Attributes
    ----------
    error_rate
        DataFrame (keepX candidates × components): leave-one-study-out error (``measure``) of each candidate,
        earlier components at their chosen keepX.
    choice_keepX
        Chosen keepX per component (smallest error; ties to the smaller keepX).
    measure, dist
        The criterion used.
    """

    error_rate: pd.DataFrame
    choice_keepX: list[int]
    measure: str
    dist: str


def tune_mint_splsda(X, y, *, study, test_keepX, n_components: int = 1, dist: str = "max.dist",
                     measure: str = "BER", scale: bool = True, tol: float = 1e-6, max_iter: int = 100,
                     near_zero_var: bool = False) -> TuneMINTResult:
    """keepX per component of a MINT sPLS-DA by leave-one-study-out CV (mixOmics ``tune.mint.splsda``).

    Components are tuned one after the other: for component c every candidate keepX is scored by
    :func:`perf_mint` of the c-component model (earlier components at their chosen keepX) with ``dist``, using
    the global BER (study-size weighted) or the overall error; the smallest error wins, ties go to the smaller
    keepX. Deterministic.

    Parameters
    ----------
    X, y
        Training data and class labels.
    study
        Study label of every sample (at least 3 studies).
    test_keepX
        Candidate numbers of selected features (sorted and de-duplicated).
    n_components
        Number of components to tune.
    dist
        ``"max.dist"``, ``"centroids.dist"`` or ``"mahalanobis.dist"``.
    measure
        ``"BER"`` or ``"overall"``.
    scale, tol, max_iter, near_zero_var
        Settings of the MINT sPLS-DA fits.

    Returns
    -------
    :class:`TuneMINTResult`.
    """
    check_option(dist, DISTANCES, name="dist")
    check_option(measure, ("BER", "overall"), name="measure")
    X_arr, _, _ = as_block(X, name="X", allow_nan=True)
    p = X_arr.shape[1]
    grid = sorted({int(k) for k in np.atleast_1d(test_keepX)})
    if not grid or grid[0] < 1 or grid[-1] > p:
        raise ValidationError(f"test_keepX values must be integers in [1, {p}], got {test_keepX!r}")
    if isinstance(n_components, bool) or not isinstance(n_components, (int, np.integer)) or n_components < 1:
        raise ValidationError(f"n_components must be a positive integer, got {n_components!r}")
    H = int(n_components)
    err = np.full((len(grid), H), np.nan)
    chosen: list[int] = []
    for c in range(1, H + 1):
        for j, k in enumerate(grid):
            model = MINTSPLSDA(c, keepX=chosen + [k], scale=scale, tol=tol, max_iter=max_iter,
                               near_zero_var=near_zero_var)
            res = perf_mint(model, X_arr, y, study=study, dist=dist)
            err[j, c - 1] = res.global_error[measure].loc[f"comp{c}", dist]
        col = err[:, c - 1]
        best = int(np.flatnonzero(col <= col.min() + 1e-12)[0])
        chosen.append(grid[best])
    return TuneMINTResult(
        error_rate=pd.DataFrame(err, index=[str(k) for k in grid], columns=[f"comp{h + 1}" for h in range(H)]),
        choice_keepX=chosen, measure=measure, dist=dist,
    )
