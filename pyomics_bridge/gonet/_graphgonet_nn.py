"""PyTorch module of :class:`~pyomics_bridge.gonet.GraphGONet`: genes → annotated GO nodes (hard sparse mask),
one DAG propagation pass leaves → root, per-sample top-k node selection and a linear head.
Importing this module imports torch."""

from __future__ import annotations

import numpy as np

from .._optional import import_optional

torch = import_optional("torch", purpose="GO-structured neural networks (pyomics_bridge.gonet)")
nn = torch.nn


class GeneToNode(nn.Module):
    """``own = x @ (W ⊙ M) + b ⊙ a``: one parameter per (gene, node) annotation edge, never a dense genes × nodes
    matrix. Nodes without genes (``a = 0``) get no input and no bias. Mask-aware init: each edge weight
    ~ N(0, 1 / fan-in of its node)."""

    def __init__(self, n_genes: int, n_nodes: int, edges: np.ndarray, *, init: str = "random", gain: float = 1.0):
        super().__init__()
        edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
        edges = edges[np.lexsort((edges[:, 0], edges[:, 1]))]  # coalesced (node, gene) order
        self.n_genes, self.n_nodes = int(n_genes), int(n_nodes)
        self.register_buffer("indices", torch.as_tensor(edges[:, ::-1].T.copy()))  # rows = node, cols = gene
        fan = np.bincount(edges[:, 1], minlength=n_nodes)
        f = np.maximum(fan, 1)[edges[:, 1]].astype(float)
        if init == "mean":  # own input starts as gain × the mean of the node's genes (a gene-set score)
            w = torch.as_tensor(gain / f, dtype=torch.float32)
        else:
            w = torch.randn(len(edges)) * torch.as_tensor(gain / np.sqrt(f), dtype=torch.float32)
        self.weight = nn.Parameter(w)
        self.bias = nn.Parameter(torch.zeros(n_nodes))
        self.register_buffer("annotated", torch.as_tensor(fan > 0, dtype=torch.float32))

    def sparse_weight(self):
        return torch.sparse_coo_tensor(self.indices, self.weight, (self.n_nodes, self.n_genes), is_coalesced=True,
                                       check_invariants=False)

    def dense_weight(self):
        """(nodes × genes) dense weight, zero off the annotation mask (checks and tiny examples only)."""
        w = torch.zeros(self.n_nodes, self.n_genes, dtype=self.weight.dtype, device=self.weight.device)
        w[self.indices[0], self.indices[1]] = self.weight
        return w

    def forward(self, x):
        return torch.sparse.mm(self.sparse_weight(), x.t()).t() + self.bias * self.annotated


class GraphGONetModule(nn.Module):
    """Node states by one propagation pass over the DAG in level order (deepest first), then selection and head.

    ``h_v = tanh(own_v + w_c · mean_{u ∈ children(v)} h_u + b_c)`` with ``w_c, b_c`` shared by all nodes (the
    children term is absent for nodes without children). Per sample the ``k`` eligible nodes of largest ``|h|``
    are kept, all others are zeroed, and ``logits = head(h ⊙ m)``.

    Parameters
    ----------
    n_genes, level_sizes
        Inputs, and the number of nodes per level (deepest first); nodes are indexed level after level.
    gene_edges
        (gene, node) annotation pairs (global node indices).
    child_edges
        Per level ``k ≥ 1``: (child index in level k−1, parent index in level k) pairs.
    eligible
        Bool per node: may be selected.
    k
        Nodes kept per sample.
    selection_grad
        ``"mask"``: plain masking, gradients reach only the kept nodes; ``"straight_through"``: the forward pass
        is masked, the backward pass treats the mask as all ones.
    """

    def __init__(self, n_genes: int, level_sizes, gene_edges, child_edges, n_classes: int, *, eligible, k: int,
                 selection_grad: str = "mask", dropout: float = 0.0,
                 init: str = "random", gain: float = 1.0):
        super().__init__()
        self.level_sizes = [int(s) for s in level_sizes]
        self.offsets = np.concatenate([[0], np.cumsum(self.level_sizes)]).astype(int).tolist()
        n_nodes = self.offsets[-1]
        self.fc1 = GeneToNode(n_genes, n_nodes, gene_edges, init=init, gain=gain)
        self.w_child = nn.Parameter(torch.ones(()))
        self.b_child = nn.Parameter(torch.zeros(()))
        for lev in range(1, len(self.level_sizes)):
            e = np.asarray(child_edges[lev - 1], dtype=np.int64).reshape(-1, 2)
            n_par, n_ch = self.level_sizes[lev], self.level_sizes[lev - 1]
            n_children = np.bincount(e[:, 1], minlength=n_par)
            order = np.lexsort((e[:, 0], e[:, 1]))
            e = e[order]
            self.register_buffer(f"mean_idx_{lev}", torch.as_tensor(e[:, ::-1].T.copy()))
            self.register_buffer(f"mean_val_{lev}", torch.as_tensor(1.0 / n_children[e[:, 1]], dtype=torch.float32))
            self.register_buffer(f"has_child_{lev}", torch.as_tensor(n_children > 0, dtype=torch.float32))
            setattr(self, f"_shape_{lev}", (n_par, n_ch))
        self.register_buffer("eligible", torch.as_tensor(np.asarray(eligible, dtype=bool)))
        self.k = int(k)
        self.selection_grad = selection_grad
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(n_nodes, n_classes)

    def children_mean(self, lev: int, h_prev):
        """Mean of the children's states for every node of level ``lev`` (0 where a node has no children)."""
        m = torch.sparse_coo_tensor(getattr(self, f"mean_idx_{lev}"), getattr(self, f"mean_val_{lev}"),
                                    getattr(self, f"_shape_{lev}"), is_coalesced=True, check_invariants=False)
        return torch.sparse.mm(m, h_prev.t()).t()

    def states(self, x):
        """Samples × nodes states after the propagation pass."""
        own = self.fc1(x)
        o = self.offsets
        hs = [torch.tanh(own[:, o[0]:o[1]])]
        for lev in range(1, len(self.level_sizes)):
            msg = self.children_mean(lev, hs[-1])
            has = getattr(self, f"has_child_{lev}")
            hs.append(torch.tanh(own[:, o[lev]:o[lev + 1]] + has * (self.w_child * msg + self.b_child)))
        return torch.cat(hs, 1)

    def select(self, h):
        """0/1 samples × nodes mask of the ``k`` eligible nodes of largest ``|h|`` per sample."""
        score = h.detach().abs().masked_fill(~self.eligible, -1.0)
        idx = torch.topk(score, self.k, dim=1).indices
        return torch.zeros_like(h).scatter_(1, idx, 1.0)

    def forward(self, x, *, return_all: bool = False):
        h = self.states(x)
        m = self.select(h)
        if self.selection_grad == "straight_through":
            z = h + (h * m - h).detach()
        else:
            z = h * m
        logits = self.head(self.drop(z))
        if return_all:
            return logits, h, m
        return logits
