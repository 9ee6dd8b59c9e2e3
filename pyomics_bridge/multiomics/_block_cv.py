"""Lean DIABLO refits for cross-validation (``tune_block_splsda``, ``perf`` on block DA models).

A fold refit of :class:`~pyomics_bridge.multiomics.BlockSPLSDA` followed by ``predict`` does much work that CV
does not need (AVE, feature correlations, pandas containers, label strings). The functions here do only what the
CV tables use, with the estimator's arithmetic:

* :func:`prepare_fold`: the training rows of every block centred/scaled as the estimator (zero-variance training
  columns dropped, as :func:`~pyomics_bridge.multiomics._perf.fit_fold_block`), the scaled dummy Y, and the
  held-out rows scaled with the training statistics;
* :func:`fit_candidates`: components 1..c−1 at fixed keepX with the estimator's engine (bit for bit), then
  component c for **every candidate keepX combination at once** (:func:`~._block_engine.fit_component`: all
  candidates and start-sign patterns advance together in one matrix product per block and sweep, each column
  frozen when its own stopping rule fires, so each candidate's result is that of its own fit);
* :func:`predict_candidates`: per-block class codes of the held-out rows with c components for every candidate
  (``Ŷ = X_new W (PᵀW)⁻¹ Cᵀ``, the centroid and Mahalanobis distances, mixOmics' quirks), the DIABLO weights
  ``cor(t_b, t_Y)`` averaged over components, and the WeightedVote / MajorityVote codes (ties as mixOmics).

Class codes are level indices; −1 stands for a label that can never be right (a tie "A/B", or NA).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._block_engine import _patterns, block_engine, fit_component
from ._block_predict import majority_vote, weighted_vote
from ._cv import _scale_fast, classify
from ._preprocess import apply_scaling, dummy_matrix

__all__ = ["FoldData", "prepare_fold", "fit_candidates", "predict_candidates", "vote_codes", "fit_models",
           "predict_model"]


@dataclass
class FoldData:
    """One training/test split, pre-processed as the estimator does."""

    Xs: list[np.ndarray]  # scaled training blocks (kept columns)
    Xte: list[np.ndarray]  # held-out rows scaled with the training statistics
    Ys: np.ndarray  # scaled dummy
    dummy: np.ndarray
    y_mean: np.ndarray
    y_sd: np.ndarray
    kept: list[np.ndarray]


def prepare_fold(arrays: list[np.ndarray], codes: np.ndarray, K: int, train: np.ndarray, test: np.ndarray,
                 *, scale: bool) -> FoldData | None:
    """Pre-process one split; ``None`` when the lean path does not apply (missing values, a class absent from
    the training rows), so that the caller refits the estimator instead."""
    if np.bincount(codes[train], minlength=K).min() == 0:
        return None
    Xs, Xte, kept = [], [], []
    for arr in arrays:
        tr = arr[train]
        if np.isnan(tr).any() or np.isnan(arr[test]).any():
            return None
        ok = np.ptp(tr, axis=0) > 0
        if not ok.all():
            tr = tr[:, ok]
        xs, sc = _scale_fast(tr, scale)
        te = arr[test] if ok.all() else arr[test][:, ok]
        Xs.append(xs)
        Xte.append(apply_scaling(te, sc))
        kept.append(ok)
    dummy = dummy_matrix(codes[train], list(range(K)))
    Ys, sy = _scale_fast(dummy, scale)
    ysd = np.ones_like(sy.mean) if sy.scale is None else sy.scale
    return FoldData(Xs, Xte, Ys, dummy, sy.mean, ysd, kept)


@dataclass
class CandidateFit:
    """Components 1..c−1 (shared) and component c per candidate (columns)."""

    W_fixed: list[np.ndarray]  # per block (Y last), p × (c−1)
    T_fixed: list[np.ndarray]  # per block (Y last), n × (c−1)
    A: list[np.ndarray]  # per block (Y last), p × g
    T: np.ndarray  # J × n × g


def fit_candidates(fd: FoldData, design: np.ndarray, fixed_keep: list[list[int]], cand_keep: np.ndarray, *,
                   tol: float, max_iter: int, init_signs) -> CandidateFit:
    """Fit components 1..c−1 at ``fixed_keep[block][h]`` and component c for every column of ``cand_keep``
    (X blocks × g; capped at the block's kept columns), on one prepared fold."""
    blocks = fd.Xs + [fd.Ys]
    J = len(blocks)
    c = len(fixed_keep[0]) + 1
    pk = [x.shape[1] for x in fd.Xs]
    keep = [[min(int(k), p) for k in ks] for ks, p in zip(fixed_keep, pk, strict=True)] + [[fd.Ys.shape[1]] * (c - 1)]
    res: list = []
    fixed = block_engine(blocks, design, n_components=c - 1, keep=keep, mode="regression", tol=tol,
                         max_iter=max_iter, init_signs=init_signs, residuals=res)
    R, masks = res
    g = cand_keep.shape[1]
    keeps = np.vstack([np.minimum(cand_keep, np.asarray(pk)[:, None]), np.full((1, g), fd.Ys.shape[1])])
    A, T, _, _ = fit_component(R, masks, design, keeps, _patterns(J, init_signs, c - 1), tol, max_iter)
    return CandidateFit(fixed.loadings, fixed.variates, A, T)


def _cor_cols(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ac = a - a.mean(axis=0)
    bc = b - b.mean(axis=0)
    return np.einsum("ij,ij->j", ac, bc) / np.sqrt(np.einsum("ij,ij->j", ac, ac) * np.einsum("ij,ij->j", bc, bc))


def predict_candidates(fd: FoldData, fit: CandidateFit, dist: str, *, mahalanobis: str = "mixomics"):
    """Class codes of the held-out rows with c components, per X block and candidate.

    Returns ``(codes, ties, weights)``: ``codes`` (blocks × g × n_test; −1 for a tie), ``ties[b]`` =
    ``{flat row (candidate · n_test + row): tied class indices}`` and ``weights`` (g × blocks), the mean over
    the c components of ``cor(t_b, t_Y)``.
    """
    B = len(fd.Xs)
    g = fit.T.shape[2]
    c = fit.W_fixed[0].shape[1] + 1
    nte = fd.Xte[0].shape[0]
    K = fd.Ys.shape[1]
    counts = fd.dummy.sum(axis=0)
    tY = fit.T[B]
    wY_fixed = [np.corrcoef(fit.T_fixed[b][:, h], fit.T_fixed[B][:, h])[0, 1] for b in range(B) for h in range(c - 1)]
    wY_fixed = np.array(wY_fixed).reshape(B, c - 1)
    codes = np.empty((B, g, nte), dtype=np.intp)
    ties = []
    weights = np.empty((g, B))
    for b in range(B):
        Xs, Xte = fd.Xs[b], fd.Xte[b]
        Wf, Tf, A, T = fit.W_fixed[b], fit.T_fixed[b], fit.A[b], fit.T[b]
        Pf, Pc = Xs.T @ Tf, Xs.T @ T
        PW = np.empty((g, c, c))
        PW[:, : c - 1, : c - 1] = Pf.T @ Wf
        PW[:, : c - 1, c - 1] = (Pf.T @ A).T
        PW[:, c - 1, : c - 1] = Pc.T @ Wf
        PW[:, c - 1, c - 1] = np.einsum("ij,ij->j", Pc, A)
        S = np.empty((g, nte, c))
        S[:, :, : c - 1] = Xte @ Wf
        S[:, :, c - 1] = (Xte @ A).T
        U = np.matmul(S, np.linalg.inv(PW))  # g × n_test × c
        w = _cor_cols(T, tY)
        weights[:, b] = (wY_fixed[b].sum() + w) / c
        if dist == "max.dist":
            Cm = np.empty((g, K, c))
            Cm[:, :, : c - 1] = fd.Ys.T @ Tf
            Cm[:, :, c - 1] = (fd.Ys.T @ T).T
            scores = np.matmul(U, Cm.transpose(0, 2, 1)) * fd.y_sd + fd.y_mean
            cd, tb = classify(scores.reshape(g * nte, K), largest=True)
        else:
            tt = np.empty((g, c))
            tt[:, : c - 1] = np.sum(Tf * Tf, axis=0)
            tt[:, c - 1] = np.sum(T * T, axis=0)
            var = U * tt[:, None, :]
            Tall = np.empty((g, T.shape[0], c))
            Tall[:, :, : c - 1] = Tf
            Tall[:, :, c - 1] = T.T
            G = np.matmul(fd.dummy.T, Tall) / counts[:, None]  # g × K × c
            D = var[:, :, None, :] - G[:, None, :, :]  # g × n_test × K × c
            if dist == "centroids.dist":
                dd = (D**2).sum(axis=3)
            else:
                resid = Tall - np.matmul(fd.dummy, G)
                Sinv = np.linalg.inv(np.matmul(resid.transpose(0, 2, 1), resid) / T.shape[0])
                if c == 1:
                    dd = D[..., 0] ** 2 * Sinv[:, None, None, 0, 0]
                elif mahalanobis == "textbook":
                    dd = np.einsum("gnkh,ghf,gnkf->gnk", D, Sinv, D)
                else:
                    M = np.einsum("gnkh,ghf,gnlf->gnkl", D, Sinv, D)
                    dd = (M**2).sum(axis=3)
            cd, tb = classify(dd.reshape(g * nte, K), largest=False)
        codes[b] = cd.reshape(g, nte)
        ties.append(tb)
    return codes, ties, weights


def vote_codes(codes: np.ndarray, ties: list[dict], weights: np.ndarray, levels: list, *, weighted: bool):
    """WeightedVote (``weighted``) or MajorityVote class codes from per-block codes (blocks × N, −1 = tie),
    ``weights`` (N × blocks). Rows where a block predicted a tie go through the label-based rules of
    :mod:`._block_predict`; the result is −1 where the vote is NA or a tie label."""
    out = _vote_known(codes, weights, levels, weighted=weighted)
    B = codes.shape[0]
    bad = np.flatnonzero((codes < 0).any(axis=0))
    if bad.size:
        lab = {str(v): k for k, v in enumerate(levels)}
        for i in bad:
            row = np.empty(B, dtype=object)
            for b in range(B):
                row[b] = (str(levels[codes[b, i]]) if codes[b, i] >= 0
                          else "/".join(str(levels[k]) for k in ties[b][int(i)]))
            v = (weighted_vote(row[None, :], weights[i]) if weighted else majority_vote(row[None, :]))[0]
            out[i] = lab.get(v, -1) if v is not None else -1
    return out


def _vote_known(codes: np.ndarray, weights: np.ndarray, levels: list, *, weighted: bool) -> np.ndarray:
    """The votes of :func:`vote_codes` for rows without tie codes (other rows: meaningless)."""
    B, N = codes.shape
    K = len(levels)
    rows = np.arange(N)
    has = np.zeros((N, K), dtype=bool)
    if weighted:
        tot = np.zeros((N, K))
        for b in range(B):
            cb = np.maximum(codes[b], 0)
            tot[rows, cb] += np.where(codes[b] >= 0, weights[:, b], 0.0)
            has[rows, cb] |= codes[b] >= 0
        tot = np.where(has, tot, -np.inf)
        best = tot.max(axis=1)
        win = tot == best[:, None]
        order = np.argsort(np.argsort(np.array([str(v) for v in levels], dtype=object), kind="stable"))
        out = np.argmax(np.where(win, order[None, :], -1), axis=1).astype(np.intp)
    else:
        cnt = np.zeros((N, K), dtype=np.intp)
        for b in range(B):
            np.add.at(cnt, (rows[codes[b] >= 0], codes[b][codes[b] >= 0]), 1)
        top = cnt.max(axis=1)
        win = cnt == top[:, None]
        single = win.sum(axis=1) == 1
        out = np.where(single, np.argmax(win, axis=1), -1).astype(np.intp)
    return out


# --------------------------------------------------------------------------- perf: one model per fold, all outputs
def predict_model(fd: FoldData, W: list[np.ndarray], T: list[np.ndarray], levels: list, dists: list[str], *,
                  mahalanobis: str = "mixomics") -> dict:
    """Everything ``perf`` reads from ``BlockSPLSDA.predict`` on the held-out rows (same formulas and label rules
    as the estimator): per-block classes, MajorityVote, WeightedVote (per distance), AveragedPredict and
    WeightedPredict classes (max.dist), and the weights (blocks × H)."""
    from ._block_predict import argmax_labels, weighted_predict
    from ._block_predict import classify as classify_labels

    B = len(fd.Xs)
    H = W[0].shape[1]
    lev = np.asarray(levels, dtype=object)
    counts = fd.dummy.sum(axis=0)
    tY = T[B]
    weights = np.array([_cor_cols(T[b], tY) for b in range(B)])
    mean_w = weights.sum(axis=1) / H
    preds, classes = [], {d: {} for d in dists}
    for b in range(B):
        Wb, Tb = W[b], T[b]
        P, Cb = fd.Xs[b].T @ Tb, fd.Ys.T @ Tb
        tt = np.sum(Tb * Tb, axis=0)
        rot = [None] + [Wb[:, :h] @ np.linalg.inv(P[:, :h].T @ Wb[:, :h]) for h in range(1, H + 1)]
        Yh = np.stack([fd.Xte[b] @ (rot[h] @ Cb[:, :h].T) * fd.y_sd + fd.y_mean for h in range(1, H + 1)])
        preds.append(Yh)
        var = fd.Xte[b] @ rot[H] @ np.diag(tt)
        G = (fd.dummy.T @ Tb) / counts[:, None]
        resid = Tb - fd.dummy @ G
        within = resid.T @ resid / Tb.shape[0]
        for d in dists:
            tab = np.empty((fd.Xte[b].shape[0], H), dtype=object)
            for h in range(1, H + 1):
                tab[:, h - 1] = classify_labels(Yh[h - 1], var, G, within, lev, h, d, mahalanobis)
            classes[d][b] = tab
    allp = np.stack(preds)  # B × H × n × K
    avg = allp.mean(axis=0)
    ap = np.stack([argmax_labels(avg[h], lev) for h in range(H)], axis=1)
    wp = np.stack([argmax_labels(weighted_predict(allp[:, h], mean_w), lev) for h in range(H)], axis=1)
    mv, wv = {}, {}
    by_str = {str(v): v for v in levels}
    for d in dists:
        stacked = np.stack([classes[d][b] for b in range(B)], axis=0)  # B × n × H
        flat = stacked.reshape(B, -1)
        codes = np.full(flat.shape, -1, dtype=np.intp)
        for k, v in enumerate(levels):
            codes[flat == v] = k
        w = np.broadcast_to(mean_w, (flat.shape[1], B))
        for weighted in (False, True):
            cd = _vote_known(codes, w, levels, weighted=weighted)
            lab = np.empty(cd.shape, dtype=object)
            lab[cd >= 0] = lev[cd[cd >= 0]]
            for i in np.flatnonzero((codes < 0).any(axis=0)):  # a block predicted a tie: label rules
                v = (weighted_vote(flat[:, i][None, :], mean_w) if weighted
                     else majority_vote(flat[:, i][None, :]))[0]
                lab[i] = by_str.get(v, v)
            (wv if weighted else mv)[d] = lab.reshape(stacked.shape[1:])
    return {"classes": classes, "mv": mv, "wv": wv, "ap": ap, "wp": wp, "weights": weights}


def fit_models(fds: list[FoldData], design: np.ndarray, keep: list[list[int]], H: int, *, tol: float,
               max_iter: int, init_signs, n_pad: int) -> list[tuple[list[np.ndarray], list[np.ndarray]]]:
    """:func:`fit_model` for several prepared folds with the same block widths, their iterations stacked
    (:func:`~._block_engine.iterate_stacked`; rows zero-padded to ``n_pad``, which must not depend on how folds
    are grouped). Returns ``(W, T)`` per fold."""
    from ._block_engine import best_patterns, deflate, iterate_stacked, start_vector

    F = len(fds)
    J = len(fds[0].Xs) + 1
    nf = [fd.Xs[0].shape[0] for fd in fds]
    pk = [x.shape[1] for x in fds[0].Xs] + [fds[0].Ys.shape[1]]
    kx = [[min(int(k), p) for k in ks] for ks, p in zip(keep, pk, strict=False)] + [[pk[-1]] * H]
    R = [np.zeros((F, n_pad, p)) for p in pk]
    for f, fd in enumerate(fds):
        for q, blk in enumerate(fd.Xs + [fd.Ys]):
            R[q][f, : nf[f]] = blk
    W = [[np.zeros((p, H)) for p in pk] for _ in range(F)]
    T = [[np.zeros((n, H)) for _ in pk] for n in nf]
    for h in range(H):
        patterns = _patterns(J, init_signs, h)
        base = [[start_vector(R[q][f, : nf[f]]) for q in range(J)] for f in range(F)]
        starts = [np.array([[pat[q] * base[f][q] for pat in patterns] for f in range(F)]) for q in range(J)]
        batch = iterate_stacked(R, design, starts, [k[h] for k in kx], tol, max_iter, nf)
        best = best_patterns(batch.crit.T)
        for f in range(F):
            s = best[f]
            a0 = batch.A[0][f, s]
            flip = -1.0 if a0[int(np.argmax(np.abs(a0)))] < 0 else 1.0
            for q in range(J):
                W[f][q][:, h] = flip * batch.A[q][f, s]
                T[f][q][:, h] = flip * batch.T[q, f, s, : nf[f]]
            if h < H - 1:
                Rf = [R[q][f, : nf[f]] for q in range(J)]
                deflate(Rf, [None] * J, [T[f][q][:, h] for q in range(J)], W[f][J - 1][:, h], "regression")
                R[J - 1][f, : nf[f]] = Rf[J - 1]
    return list(zip(W, T, strict=True))
