"""PyTorch layers of the GO networks: sparse GO-masked linear layers (parameters only on GO edges), dense layers
with a GO mask buffer (soft penalty) and the network module. Importing this module imports torch."""

from __future__ import annotations

import math

import numpy as np

from .._optional import import_optional

torch = import_optional("torch", purpose="GO-structured neural networks (pyomics_bridge.gonet)")
nn = torch.nn


def _fan_in(out_idx: np.ndarray, n_out: int) -> np.ndarray:
    return np.maximum(np.bincount(out_idx, minlength=n_out), 1)


class SparseMaskedLinear(nn.Module):
    """``y = x @ (W ⊙ M) + b`` with one parameter per GO edge (``M``'s non-zeros), never a dense in × out matrix.

    Parameters
    ----------
    n_in, n_out
        Input and output widths.
    edges
        (nnz, 2) int array of (input index, output index) pairs: the hard connectivity mask.
    gain
        Mask-aware init: each edge weight ~ N(0, gain² / masked fan-in of its output unit) (LeCun/He on the
        *masked* fan-in, so units with few inputs do not start silent).
    """

    def __init__(self, n_in: int, n_out: int, edges: np.ndarray, *, gain: float = 1.0, bias: bool = True):
        super().__init__()
        edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
        order = np.lexsort((edges[:, 0], edges[:, 1]))  # sorted by (out, in): coalesced COO
        edges = edges[order]
        self.n_in, self.n_out = int(n_in), int(n_out)
        self.register_buffer("indices", torch.as_tensor(edges[:, ::-1].T.copy()))  # (2, nnz): rows = out, cols = in
        fan = _fan_in(edges[:, 1], n_out)
        std = torch.as_tensor(gain / np.sqrt(fan[edges[:, 1]]), dtype=torch.float32)
        self.weight = nn.Parameter(torch.randn(len(edges)) * std)
        self.bias = nn.Parameter(torch.zeros(n_out)) if bias else None

    def sparse_weight(self):
        """The (out × in) sparse COO weight matrix."""
        return torch.sparse_coo_tensor(self.indices, self.weight, (self.n_out, self.n_in), is_coalesced=True,
                                       check_invariants=False)

    def dense_weight(self):
        """(out × in) dense weight with zeros off the mask (for checks and small explanations)."""
        w = torch.zeros(self.n_out, self.n_in, dtype=self.weight.dtype, device=self.weight.device)
        w[self.indices[0], self.indices[1]] = self.weight
        return w

    def set_edge_weights(self, edges: np.ndarray, values: np.ndarray, bias: np.ndarray | None = None):
        """Overwrite the weights: ``values`` are aligned with ``edges`` (any order of the same edge set)."""
        edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
        order = np.lexsort((edges[:, 0], edges[:, 1]))
        if not np.array_equal(edges[order][:, ::-1].T, self.indices.cpu().numpy()):
            raise ValueError("edges do not match this layer's connectivity")
        with torch.no_grad():
            self.weight.copy_(torch.as_tensor(np.asarray(values)[order], dtype=self.weight.dtype))
            if bias is not None and self.bias is not None:
                self.bias.copy_(torch.as_tensor(bias, dtype=self.bias.dtype))

    def mask(self):
        m = torch.zeros(self.n_out, self.n_in, device=self.weight.device)
        m[self.indices[0], self.indices[1]] = 1.0
        return m

    def forward(self, x):
        y = torch.sparse.mm(self.sparse_weight(), x.t()).t()
        return y if self.bias is None else y + self.bias

    def backward_relevance(self, a, s):
        """``a ⊙ (s @ W)``: the LRP redistribution of output scores ``s`` (n × out) onto inputs ``a`` (n × in)."""
        return a * torch.sparse.mm(self.sparse_weight().t(), s.t()).t()

    def penalty(self, kind: str):
        return self.weight.new_zeros(())


class DenseMaskedLinear(nn.Module):
    """Dense ``y = x @ W + b`` with the GO mask as a buffer: ``hard=False`` (soft) adds a penalty on the weights
    outside the mask; ``mask=None`` gives a plain dense layer (no GO)."""

    def __init__(self, n_in: int, n_out: int, edges: np.ndarray | None, *, gain: float = 1.0, bias: bool = True,
                 mask_aware: bool = True):
        super().__init__()
        self.n_in, self.n_out = int(n_in), int(n_out)
        w = torch.zeros(n_out, n_in)
        if edges is not None:
            edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
            m = torch.zeros(n_out, n_in)
            m[edges[:, 1], edges[:, 0]] = 1.0
            self.register_buffer("go_mask", m)
            self.register_buffer("go_index", torch.as_tensor(edges[:, ::-1].T.copy()))
        else:
            self.go_mask = None
            self.go_index = None
        if edges is not None and mask_aware:
            fan = _fan_in(edges[:, 1], n_out)
            std = torch.as_tensor(gain / np.sqrt(fan[edges[:, 1]]), dtype=torch.float32)
            w[edges[:, 1], edges[:, 0]] = torch.randn(len(edges)) * std  # non-GO weights start at 0
        else:
            w.normal_(0.0, gain / math.sqrt(n_in))
        self.weight = nn.Parameter(w)
        self.bias = nn.Parameter(torch.zeros(n_out)) if bias else None

    def dense_weight(self):
        return self.weight

    def set_edge_weights(self, edges: np.ndarray, values: np.ndarray, bias: np.ndarray | None = None):
        """Overwrite the weights on ``edges`` with ``values``; all other weights are set to 0."""
        edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
        with torch.no_grad():
            self.weight.zero_()
            self.weight[edges[:, 1], edges[:, 0]] = torch.as_tensor(np.asarray(values), dtype=self.weight.dtype)
            if bias is not None and self.bias is not None:
                self.bias.copy_(torch.as_tensor(bias, dtype=self.bias.dtype))

    def forward(self, x):
        y = x @ self.weight.t()
        return y if self.bias is None else y + self.bias

    def backward_relevance(self, a, s):
        return a * (s @ self.weight)

    def penalty(self, kind: str):
        """Sum over non-GO weights of |w| (``"l1"``) or w² (``"l2"``), as total minus the GO part (gathered)."""
        if self.go_index is None:
            return self.weight.new_zeros(())
        w_go = self.weight[self.go_index[0], self.go_index[1]]
        if kind == "l1":
            return self.weight.abs().sum() - w_go.abs().sum()
        return (self.weight ** 2).sum() - (w_go ** 2).sum()

    def go_leakage(self) -> float:
        """Share of |W| on non-GO connections."""
        if self.go_index is None:
            return float("nan")
        w = self.weight.detach().abs()
        tot = float(w.sum())
        return (tot - float(w[self.go_index[0], self.go_index[1]].sum())) / max(tot, 1e-30)


class GONetModule(nn.Module):
    """Hidden layers (one per GO level, one unit per term), activation modules, dropout, and a head per level
    (``aux_heads=True``: the output is the mean of the heads' logits, P-NET style deep supervision) or on the
    last level only."""

    def __init__(self, sizes, edges, n_classes: int, *, mode: str = "hard", activation: str = "tanh",
                 dropout: float = 0.3, aux_heads: bool = True, first_activation: str | None = None):
        super().__init__()
        gain = {"tanh": 1.0, "relu": math.sqrt(2.0)}[activation]
        layers = []
        for k in range(len(sizes) - 1):
            if mode == "hard":
                layers.append(SparseMaskedLinear(sizes[k], sizes[k + 1], edges[k], gain=gain))
            elif mode == "soft":
                layers.append(DenseMaskedLinear(sizes[k], sizes[k + 1], edges[k], gain=gain))
            else:
                layers.append(DenseMaskedLinear(sizes[k], sizes[k + 1], None, gain=gain))
        self.layers = nn.ModuleList(layers)
        act = nn.Tanh if activation == "tanh" else nn.ReLU
        acts = [act() for _ in layers]
        if first_activation == "identity":  # a linear gene → term layer (term scores), non-linear above
            acts[0] = nn.Identity()
        self.acts = nn.ModuleList(acts)
        self.drops = nn.ModuleList([nn.Dropout(dropout) for _ in layers])
        self.aux_heads = bool(aux_heads)
        head_layers = range(len(layers)) if aux_heads else [len(layers) - 1]
        self.head_index = list(head_layers)
        self.heads = nn.ModuleList([nn.Linear(sizes[k + 1], n_classes) for k in head_layers])

    def forward(self, x, *, return_all: bool = False, first=None):
        """``first``: the precomputed activation of the first GO layer (used when that layer is frozen; ``x`` is
        then ignored)."""
        h = x
        acts, head_logits = [], []
        for k, (layer, act, drop) in enumerate(zip(self.layers, self.acts, self.drops, strict=False)):
            a = first if (k == 0 and first is not None) else act(layer(h))
            acts.append(a)
            h = drop(a)
            if self.aux_heads:
                head_logits.append(self.heads[len(head_logits)](h))
        if not self.aux_heads:
            head_logits.append(self.heads[0](h))
        out = torch.stack(head_logits, 0).mean(0)
        if return_all:
            return out, head_logits, acts
        return out

    def penalty(self, kind: str):
        return sum((layer.penalty(kind) for layer in self.layers), torch.zeros((), device=self.heads[0].weight.device))

    # ---- term-level group sparsity: one group per first-layer term = all weights leaving that term unit
    def _out_groups(self):
        heads = [self.heads[j].weight for j, k in enumerate(self.head_index) if k == 0]
        nxt = self.layers[1] if len(self.layers) > 1 else None
        return heads, nxt

    def term_group_norms(self):
        """Per first-layer term, the L2 norm of its outgoing weights (head columns and edges to its parents) and
        the group sizes."""
        heads, nxt = self._out_groups()
        n0 = self.layers[0].n_out
        sq = torch.zeros(n0, device=self.heads[0].weight.device)
        size = torch.zeros(n0, device=sq.device)
        for w in heads:
            sq = sq + (w ** 2).sum(0)
            size = size + w.shape[0]
        if isinstance(nxt, SparseMaskedLinear):
            sq = sq.index_add(0, nxt.indices[1], nxt.weight ** 2)
            size = size.index_add(0, nxt.indices[1], torch.ones_like(nxt.weight))
        elif nxt is not None:
            sq = sq + (nxt.weight ** 2).sum(0)
            size = size + nxt.weight.shape[0]
        return sq.sqrt(), size

    def group_penalty(self):
        """Σ_t sqrt(group size_t) ‖outgoing weights of term t‖₂ (group lasso over first-layer terms)."""
        norms, size = self.term_group_norms()
        return (size.sqrt() * norms).sum()

    @torch.no_grad()
    def prox_term_groups(self, step, step_of=None):
        """Proximal step of the group lasso: shrink each term's outgoing weights by ``step_t·sqrt(size_t)`` in L2
        norm, setting them exactly to 0 when the norm is below it (the term is then switched off).

        ``step`` is a number, or with ``step_of`` (a function parameter → per-coordinate step sizes, e.g. Adam's
        effective learning rates) a multiplier: each group's step is ``step`` × the mean of its coordinates'
        step sizes (a diagonal-metric proximal step, approximated per group)."""
        norms, size = self.term_group_norms()
        heads, nxt = self._out_groups()
        if step_of is not None:
            tot = torch.zeros_like(norms)
            for w in heads:
                tot = tot + step_of(w).sum(0)
            if isinstance(nxt, SparseMaskedLinear):
                tot = tot.index_add(0, nxt.indices[1], step_of(nxt.weight))
            elif nxt is not None:
                tot = tot + step_of(nxt.weight).sum(0)
            step = step * tot / torch.clamp(size, min=1.0)
        factor = torch.clamp(1.0 - step * size.sqrt() / torch.clamp(norms, min=1e-30), min=0.0)
        for w in heads:
            w.mul_(factor[None, :])
        if isinstance(nxt, SparseMaskedLinear):
            nxt.weight.mul_(factor[nxt.indices[1]])
        elif nxt is not None:
            nxt.weight.mul_(factor[None, :])
