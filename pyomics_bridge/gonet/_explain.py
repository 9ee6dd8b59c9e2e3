"""Per-sample GO-term relevance (LRP-ε and gradient × activation) for fitted GO networks, class aggregates,
top terms and planted-term recovery scores."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._conventions import ValidationError
from ._ontology import GOLayers, _genes_under

METHODS = ("lrp", "gradxact")


def _targets(model, X, target) -> np.ndarray:
    n = len(X)
    if target is None:
        return np.argmax(model.decision_function(X), axis=1)
    t = np.asarray(target)
    if t.ndim == 0:
        t = np.full(n, t.item())
    if len(t) != n:
        raise ValidationError(f"target has length {len(t)}, expected {n} (one class per sample)")
    lookup = {c: i for i, c in enumerate(model.classes_.tolist())}
    try:
        return np.array([lookup[v] for v in t.tolist()], dtype=int)
    except KeyError as exc:
        raise ValidationError(f"unknown class {exc.args[0]!r} in target; classes: {model.classes_.tolist()}") from exc


def _forward(module, x):
    hs, zs, heads = [x], [], []
    h = x
    for k, (layer, act) in enumerate(zip(module.layers, module.acts, strict=False)):
        z = layer(h)
        a = act(z)
        zs.append(z)
        hs.append(a)
        h = a
        if module.aux_heads:
            heads.append(module.heads[k](a))
    if not module.aux_heads:
        heads.append(module.heads[0](h))
    out = sum(heads) / len(heads)
    return out, hs, zs


def _stab(z, eps):
    return z + eps * (2.0 * (z >= 0).to(z.dtype) - 1.0)


def _lrp_batch(module, x, t, eps):
    """LRP-ε from the target logit down to the inputs; returns [gene relevance, layer-0 terms, ...]."""
    torch = __import__("torch")
    out, hs, zs = _forward(module, x)
    n = x.shape[0]
    rows = torch.arange(n)
    o = out[rows, t]
    s_out = o / _stab(o, eps)  # relevance of the output = its value; s = R / z (≈ 1)
    K = len(module.layers)
    H = len(module.heads)
    R = [torch.zeros_like(h) for h in hs]
    for j, k in enumerate(module.head_index):  # output = mean of heads: one linear layer on all levels
        w = module.heads[j].weight[t]  # (n, width_k)
        R[k + 1] = R[k + 1] + hs[k + 1] * w * (s_out / H)[:, None]
    for k in range(K - 1, -1, -1):
        s = R[k + 1] / _stab(zs[k], eps)
        R[k] = R[k] + module.layers[k].backward_relevance(hs[k], s)
    return R


def _gradxact_batch(module, x, t):
    torch = __import__("torch")
    x = x.clone().requires_grad_(True)
    out, hs, _ = _forward(module, x)
    for h in hs[1:]:
        h.retain_grad()
    out[torch.arange(x.shape[0]), t].sum().backward()
    return [(h * h.grad).detach() for h in hs]


def _gene_to_terms(layers: GOLayers) -> list:
    """Per layer, a (genes × terms) sparse matrix averaging gene values over the genes under each term."""
    from scipy import sparse

    out = []
    reach = layers.mask(0).astype(bool)
    for k in range(len(layers.terms)):
        if k > 0:
            reach = (reach @ layers.mask(k)).astype(bool)
        m = sparse.csr_matrix(reach, dtype=float)
        n = np.asarray(m.sum(axis=0)).ravel()
        out.append(m @ sparse.diags(1.0 / np.maximum(n, 1)))
    return out


def term_relevance(model, X, *, method: str = "lrp", target=None, eps: float = 1e-2,
                   batch_size: int = 512) -> list[np.ndarray]:
    """Relevance of each GO term for each sample, explaining the logit of ``target`` (default: predicted class).

    Methods
    -------
    ``"lrp"``: layer-wise relevance propagation with the ε rule through the (sparse or dense) GO layers
    (tanh passes relevance through; the mean-of-heads output counts as one linear layer on all levels).
    ``"gradxact"``: gradient × activation of each term unit.
    For ``mode="dense"`` (no GO units) the gene-level relevance (LRP-ε or gradient × input) is averaged over the
    genes under each term (post-hoc aggregation).

    Returns one (samples × terms) array per hidden layer, deepest level first, columns in ``go_layers.terms``
    order (use :func:`relevance_frame` for a labelled table).
    """
    if method not in METHODS:
        raise ValidationError(f"method must be one of {list(METHODS)}, got {method!r}")
    model._check_fitted()
    X = model._check_X(X)
    t_all = _targets(model, X, target)
    from ._models import _torch

    torch = _torch()
    module = model.module_.eval()
    parts: list[list[np.ndarray]] = []
    for b in range(0, len(X), batch_size):
        x = torch.as_tensor(X[b:b + batch_size])
        t = torch.as_tensor(t_all[b:b + batch_size])
        if method == "lrp":
            with torch.no_grad():
                R = _lrp_batch(module, x, t, eps)
        else:
            R = _gradxact_batch(module, x, t)
        parts.append([r.numpy().astype(float) for r in R])
    R = [np.concatenate([p[k] for p in parts]) for k in range(len(parts[0]))]
    if model.mode == "dense":
        agg = _gene_to_terms(model.go_layers)
        return [np.asarray(R[0] @ a) for a in agg]
    return R[1:]


def gene_relevance(model, X, *, method: str = "lrp", target=None, eps: float = 1e-2) -> np.ndarray:
    """Per-sample relevance of the input genes (LRP-ε, or gradient × input for ``"gradxact"``)."""
    model._check_fitted()
    X = model._check_X(X)
    t = _targets(model, X, target)
    from ._models import _torch

    torch = _torch()
    x = torch.as_tensor(X)
    if method == "lrp":
        with torch.no_grad():
            return _lrp_batch(model.module_.eval(), x, torch.as_tensor(t), eps)[0].numpy().astype(float)
    return _gradxact_batch(model.module_.eval(), x, torch.as_tensor(t))[0].numpy().astype(float)


def term_table(layers: GOLayers) -> pd.DataFrame:
    """All layer terms in relevance-column order: index ``go_id``; ``name``, ``level``, ``layer``, ``n_genes``."""
    rows = []
    for k, (lev, ids) in enumerate(zip(layers.levels, layers.terms, strict=False)):
        n = _genes_under(layers, k)
        rows.extend((t, layers.names.get(t, ""), lev, k, int(n[i])) for i, t in enumerate(ids))
    return pd.DataFrame(rows, columns=["go_id", "name", "level", "layer", "n_genes"]).set_index("go_id")


def relevance_frame(layers: GOLayers, relevance: Sequence[np.ndarray], index=None) -> pd.DataFrame:
    """Concatenate per-layer relevance arrays into one samples × terms DataFrame (columns = GO ids)."""
    mat = np.concatenate(list(relevance), axis=1)
    cols = [t for ids in layers.terms for t in ids]
    return pd.DataFrame(mat, index=index, columns=cols)


def class_relevance(relevance: pd.DataFrame, y) -> pd.DataFrame:
    """Mean signed relevance per class (classes × terms)."""
    y = np.asarray(y)
    if len(y) != len(relevance):
        raise ValidationError(f"relevance and y are not aligned (lengths {len(relevance)} and {len(y)})")
    return relevance.groupby(y).mean()


def top_terms(scores: pd.Series, layers: GOLayers, *, n: int = 10, level: int | None = None) -> pd.DataFrame:
    """The ``n`` terms with the largest |score| (optionally one GO level), with name, level and score."""
    tab = term_table(layers)
    s = scores.reindex(tab.index)
    if level is not None:
        s = s[tab["level"] == level]
    order = s.abs().sort_values(ascending=False).index[:n]
    out = tab.loc[order, ["name", "level", "n_genes"]].copy()
    out["score"] = s.loc[order].to_numpy()
    return out


def planted_recovery(scores: pd.Series, planted: Sequence[str], *, candidates: Sequence[str] | None = None) -> dict:
    """Average precision and AUROC of ranking the ``planted`` terms by ``scores`` (|score|) among ``candidates``
    (default: all scored terms); plus the best rank of a planted term (1 = top)."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    s = scores if candidates is None else scores.reindex(list(candidates)).fillna(0.0)
    truth = s.index.isin(list(planted))
    if truth.sum() == 0 or truth.all():
        raise ValidationError("planted terms must be a non-empty strict subset of the candidates")
    a = s.abs().to_numpy()
    ranks = pd.Series(a, index=s.index).rank(ascending=False)
    return {"average_precision": float(average_precision_score(truth, a)),
            "auroc": float(roc_auc_score(truth, a)),
            "best_rank": int(ranks[truth].min()),
            "n_candidates": int(len(s)), "n_planted": int(truth.sum())}
