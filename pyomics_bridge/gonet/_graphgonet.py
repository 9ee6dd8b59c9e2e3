"""GraphGONet-style classifier: a hard GO mask from genes to annotated GO nodes, one propagation pass leaves → root
over the DAG, and a per-sample selection of the top-k nodes whose head weights are the built-in explanation
(Bourgeais, Zehraoui & Hanczar, Bioinformatics 2022; written from the paper's description, not from its code).
torch is imported only inside ``fit``/``predict``."""

from __future__ import annotations

import contextlib
import copy
import time

import numpy as np
import pandas as pd

from .._conventions import ValidationError
from ._models import ParamsMixin
from ._ontology import GOLayers


def _torch():
    from .._optional import import_optional

    return import_optional("torch", purpose="GO-structured neural networks (pyomics_bridge.gonet)")


@contextlib.contextmanager
def _threads(n):
    if n is None:
        yield
        return
    torch = _torch()
    old = torch.get_num_threads()
    torch.set_num_threads(int(n))
    try:
        yield
    finally:
        torch.set_num_threads(old)


class GraphGONet(ParamsMixin):
    """GO-graph classifier with per-sample term selection (GraphGONet).

    Architecture (one scalar state per GO node, nodes = every term of ``go_layers``):

    1. **Hard mask**: genes feed the annotated nodes, ``own_v = Σ_{g ∈ genes(v)} w_gv x_g + b_v``, one parameter
       per annotation edge (no dense genes × terms matrix). ``gene_inputs="deepest"``: the genes of
       ``go_layers.edges[0]`` feed the deepest-level terms only; ``"propagated"``: every term is fed by all genes
       under it.
    2. **Propagation**, one pass in level order (deepest level = leaves first, root level last):
       ``h_v = tanh(own_v + w_c · mean_{u ∈ children(v)} h_u + b_c)``; ``w_c, b_c`` are two scalars shared by all
       nodes, so propagation adds two parameters.
    3. **Selection**: per sample keep the ``k`` eligible nodes with the largest ``|h_v|`` (``k`` given, or
       ``round(ratio × eligible nodes)``, at least 1), zero the others. ``selection_grad="mask"`` is plain masking
       (gradients reach only the kept nodes, as in the paper); ``"straight_through"`` masks the forward pass and
       lets gradients through to every node.
    4. **Head**: a linear layer on the masked node vector. The kept nodes and their head weights are the
       explanation (:meth:`term_relevance`).

    Parameters
    ----------
    go_layers
        The GO architecture (:class:`GOLayers`); ``X``'s columns are ``go_layers.genes``.
    k, ratio
        Nodes kept per sample (``k`` wins when given).
    select_from
        ``"all"`` (every node is eligible) or ``"deepest"`` (only the deepest-level terms).
    gene_inputs
        ``"deepest"`` or ``"propagated"`` (see 1.).
    selection_grad
        ``"mask"`` or ``"straight_through"`` (see 3.).
    init, init_gain
        Gene → node weights at the start: ``"mean"`` (default) sets each edge to ``init_gain / n_genes(node)``, so
        a node starts as the mean of its genes (a gene-set score) and the top-|h| selection is meaningful from
        the first batch; ``"random"``: ``N(0, init_gain² / n_genes(node))`` (mask-aware; the paper's setting).
        ``"mean"`` let small ``k`` train (k = 3, lr 1e-3, no decay: accuracy 0.59 → 0.76 on the subgroup
        benchmark, seeds 0-2); at k = 10 with decay both inits gave the same accuracy and per-sample AP.
    k_warmup
        Epochs over which ``k`` is annealed geometrically from all eligible nodes down to ``k`` (0: off);
        early stopping starts after the warm-up.
    aux_weight
        Weight of an auxiliary cross-entropy of the head applied to the *unselected* state vector (0: off).
    head_l1
        L1 penalty on the head weights (sparser, more specific explanations).
    dropout
        Drop rate on the selected node vector.
    lr, batch_size, max_epochs, weight_decay
        Adam settings (paper: lr 1e-3, batch 64, 50 epochs, no weight decay). The defaults lr 3e-3 and
        ``weight_decay=1e-2`` (L2 towards 0 on every parameter) were chosen on the subgroup benchmark: without
        decay the per-edge gene weights overfit a few hundred samples. For per-sample explanations use
        ``k=10, select_from="deepest", weight_decay=0.05`` (best on benchmarks/bench_gonet_explain.py; there the
        upper nodes never reach the head, so propagation plays no part: see docs/gonet.md).
    patience, min_delta, monitor, validation_fraction, restore_best
        Early stopping on a stratified validation split (paper: patience 5), on ``"loss"`` or ``"accuracy"``.
    class_weight
        ``"balanced"`` or ``None``.
    device
        ``"auto"`` (CUDA when available), ``"cpu"`` or ``"cuda"``.
    n_threads
        torch CPU threads during fit/predict (``None``: torch's default).
    random_state
        Seed of the split, the initialisation, dropout and batch order; same seed on CPU → bit-identical fit.

    Attributes
    ----------
    classes_, module_ (torch module, on CPU), k_ (nodes kept per sample), terms_ (GO id per node, level after
    level, deepest first), history_, best_epoch_, n_epochs_, fit_seconds_, device_
    """

    def __init__(self, go_layers: GOLayers | None = None, *, k: int | None = None, ratio: float = 0.05,
                 select_from: str = "all", gene_inputs: str = "deepest", selection_grad: str = "mask",
                 init: str = "mean", init_gain: float = 1.0, k_warmup: int = 0, aux_weight: float = 0.0,
                 head_l1: float = 0.0, dropout: float = 0.0, lr: float = 3e-3,
                 batch_size: int = 64, max_epochs: int = 50, weight_decay: float = 1e-2, patience: int | None = 5,
                 min_delta: float = 1e-4, monitor: str = "loss", validation_fraction: float = 0.15,
                 restore_best: bool = True, class_weight: str | None = "balanced", device: str = "auto",
                 n_threads: int | None = None, random_state=None, verbose: bool = False):
        self.go_layers = go_layers
        self.k = k
        self.ratio = ratio
        self.select_from = select_from
        self.gene_inputs = gene_inputs
        self.selection_grad = selection_grad
        self.init = init
        self.init_gain = init_gain
        self.k_warmup = k_warmup
        self.aux_weight = aux_weight
        self.head_l1 = head_l1
        self.dropout = dropout
        self.lr = lr
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.weight_decay = weight_decay
        self.patience = patience
        self.min_delta = min_delta
        self.monitor = monitor
        self.validation_fraction = validation_fraction
        self.restore_best = restore_best
        self.class_weight = class_weight
        self.device = device
        self.n_threads = n_threads
        self.random_state = random_state
        self.verbose = verbose

    def _validate(self):
        if not isinstance(self.go_layers, GOLayers):
            raise ValidationError("go_layers must be a GOLayers (e.g. pob.gonet.load_bundled_layers())")
        choices = {"select_from": ("all", "deepest"), "gene_inputs": ("deepest", "propagated"),
                   "selection_grad": ("mask", "straight_through"), "init": ("random", "mean"), "monitor": ("loss", "accuracy")}
        for name, ok in choices.items():
            if getattr(self, name) not in ok:
                raise ValidationError(f"{name} must be one of {list(ok)}, got {getattr(self, name)!r}")
        if self.class_weight not in ("balanced", None):
            raise ValidationError(f"class_weight must be 'balanced' or None, got {self.class_weight!r}")
        if self.k is None and not 0 < self.ratio <= 1:
            raise ValidationError(f"ratio must be in (0, 1], got {self.ratio}")
        if not 0 <= self.dropout < 1:
            raise ValidationError(f"dropout must be in [0, 1), got {self.dropout}")
        if not 0 <= self.validation_fraction < 1:
            raise ValidationError(f"validation_fraction must be in [0, 1), got {self.validation_fraction}")
        if self.patience is not None and int(self.patience) < 1:
            raise ValidationError(f"patience must be a positive int or None, got {self.patience}")
        if self.aux_weight < 0 or self.head_l1 < 0:
            raise ValidationError(f"aux_weight and head_l1 must be >= 0, got {self.aux_weight}, {self.head_l1}")

    def _check_X(self, X) -> np.ndarray:
        genes = list(self.go_layers.genes)
        if hasattr(X, "var_names") and hasattr(X, "X"):  # AnnData
            X = pd.DataFrame(X.X.toarray() if hasattr(X.X, "toarray") else np.asarray(X.X),
                             columns=list(map(str, X.var_names)))
        if isinstance(X, pd.DataFrame):
            cols = list(map(str, X.columns))
            if len(set(cols)) != len(cols):
                raise ValidationError("X has duplicated gene columns")
            missing = [g for g in genes if g not in set(cols)]
            if missing:
                raise ValidationError(f"X lacks {len(missing)} gene column(s) of go_layers.genes, e.g. {missing[:5]}")
            X = X.set_axis(cols, axis=1)[genes].to_numpy()
        X = np.array(X, dtype=np.float32)
        if X.ndim != 2 or X.shape[1] != len(genes):
            raise ValidationError(f"X must have shape (n_samples, {len(genes)}) (columns = go_layers.genes), "
                                  f"got {X.shape}")
        if not np.isfinite(X).all():
            raise ValidationError("X has non-finite values")
        return X

    def _check_fitted(self):
        if not hasattr(self, "module_"):
            raise ValidationError("this GraphGONet is not fitted yet; call fit(X, y) first")

    # ------------------------------------------------------------------ architecture
    def _graph(self):
        """Global node ids, (gene, node) edges, per-level child edges and the eligible-node mask."""
        L = self.go_layers
        sizes = [len(t) for t in L.terms]
        off = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        if self.gene_inputs == "deepest":
            gene_edges = np.asarray(L.edges[0], dtype=np.int64)
        else:
            from scipy import sparse

            under = L.mask(0).tocsr()  # genes × level-0 terms
            blocks = [under]
            for lev in range(1, len(sizes)):
                under = (under @ L.mask(lev)).tocsr()
                under.data[:] = 1.0
                blocks.append(under)
            coo = sparse.hstack(blocks).tocoo()
            gene_edges = np.column_stack([coo.row, coo.col]).astype(np.int64)
        child = [np.asarray(L.edges[lev], dtype=np.int64) for lev in range(1, len(sizes))]
        eligible = np.zeros(off[-1], dtype=bool)
        eligible[: sizes[0] if self.select_from == "deepest" else off[-1]] = True
        return sizes, gene_edges, child, eligible

    # ------------------------------------------------------------------ fit
    def fit(self, X, y):
        """Train on ``X`` (samples × ``go_layers.genes``; array, DataFrame or AnnData) and labels ``y``."""
        self._validate()
        X = self._check_X(X)
        y = np.asarray(y)
        if len(y) != len(X):
            raise ValidationError(f"X and y are not aligned (lengths {len(X)} and {len(y)})")
        self.classes_, y_idx = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValidationError("y needs at least 2 classes")
        sizes, gene_edges, child, eligible = self._graph()
        n_el = int(eligible.sum())
        k = int(self.k) if self.k is not None else max(1, int(round(self.ratio * n_el)))
        if not 1 <= k <= n_el:
            raise ValidationError(f"k must be in [1, {n_el}] (the eligible nodes), got {k}")
        self.k_ = k
        self.terms_ = [t for ts in self.go_layers.terms for t in ts]
        from .._parallel import root_seed_sequence
        from ._graphgonet_nn import GraphGONetModule

        torch = _torch()
        seeds = [int(v) for v in root_seed_sequence(self.random_state).generate_state(3, dtype=np.uint32)]
        dev = torch.device(("cuda" if torch.cuda.is_available() else "cpu") if self.device == "auto"
                           else self.device)
        self.device_ = str(dev)
        with torch.random.fork_rng(devices=[]), _threads(self.n_threads):
            torch.manual_seed(seeds[0])
            module = GraphGONetModule(len(self.go_layers.genes), sizes, gene_edges, child, len(self.classes_),
                                      eligible=eligible, k=k, selection_grad=self.selection_grad,
                                      dropout=self.dropout, init=self.init, gain=self.init_gain)
            self._train(module, X, y_idx, seeds, dev)
        return self

    def _train(self, module, X, y_idx, seeds, dev):
        torch = _torch()
        F = torch.nn.functional
        start = time.perf_counter()
        n_classes = len(self.classes_)
        idx, val_idx = np.arange(len(X)), np.array([], dtype=int)
        if self.validation_fraction > 0 and self.patience is not None:
            from sklearn.model_selection import train_test_split

            counts = np.bincount(y_idx)
            if counts.min() < 2:
                raise ValidationError(f"class {self.classes_[counts.argmin()]!r} has {counts.min()} sample(s); "
                                      "early stopping needs >= 2 per class (or validation_fraction=0)")
            strat = y_idx if round(self.validation_fraction * len(idx)) >= n_classes else None
            idx, val_idx = train_test_split(idx, test_size=self.validation_fraction, stratify=strat,
                                            random_state=seeds[1] % (2**31))
        module = module.to(dev)
        Xt = torch.as_tensor(X, device=dev)
        yt = torch.as_tensor(y_idx, dtype=torch.long, device=dev)
        cw = None
        if self.class_weight == "balanced":
            c = np.bincount(y_idx[idx], minlength=n_classes).astype(float)
            cw = torch.as_tensor(len(idx) / (n_classes * np.maximum(c, 1)), dtype=torch.float32, device=dev)
        opt = torch.optim.Adam(module.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        gen = torch.Generator().manual_seed(seeds[2])
        tr = torch.as_tensor(idx)

        def loss_fn(xb, yb):
            logits, h, _ = module(xb, return_all=True)
            loss = F.cross_entropy(logits, yb, weight=cw)
            if self.aux_weight > 0:
                loss = loss + self.aux_weight * F.cross_entropy(module.head(h), yb, weight=cw)
            if self.head_l1 > 0:
                loss = loss + self.head_l1 * module.head.weight.abs().sum()
            return loss, logits

        history, best, best_state, bad, best_epoch = [], np.inf, None, 0, None
        n_el = int(module.eligible.sum())
        for epoch in range(int(self.max_epochs)):
            module.train()
            if epoch < int(self.k_warmup):  # anneal k geometrically from all eligible nodes down to k_
                frac = epoch / max(int(self.k_warmup), 1)
                module.k = int(round(n_el ** (1 - frac) * self.k_ ** frac))
            else:
                module.k = self.k_
            perm = tr[torch.randperm(len(tr), generator=gen)]
            total = 0.0
            for b in range(0, len(perm), int(self.batch_size)):
                bi = perm[b:b + int(self.batch_size)].to(dev)
                opt.zero_grad()
                loss, _ = loss_fn(Xt[bi], yt[bi])
                loss.backward()
                opt.step()
                total += float(loss.detach()) * len(bi)
            row = {"epoch": epoch + 1, "train_loss": total / len(perm)}
            if len(val_idx) and epoch >= int(self.k_warmup):
                module.eval()
                with torch.no_grad():
                    vi = torch.as_tensor(val_idx, device=dev)
                    vloss, vlog = loss_fn(Xt[vi], yt[vi])
                    vacc = float((vlog.argmax(1) == yt[vi]).float().mean())
                row.update(val_loss=float(vloss), val_accuracy=vacc)
                crit = float(vloss) if self.monitor == "loss" else -vacc
                if crit < best - self.min_delta:
                    best, bad, best_epoch = crit, 0, epoch + 1
                    if self.restore_best:
                        best_state = copy.deepcopy(module.state_dict())
                else:
                    bad += 1
            history.append(row)
            if self.verbose:
                print(row)
            if len(val_idx) and epoch >= int(self.k_warmup) and bad >= self.patience:
                break
        module.k = self.k_
        if best_state is not None:
            module.load_state_dict(best_state)
        module.eval()
        self.module_ = module.cpu()
        self.history_ = history
        self.best_epoch_ = best_epoch if best_state is not None else len(history)
        self.n_epochs_ = len(history)
        self.fit_seconds_ = time.perf_counter() - start

    # ------------------------------------------------------------------ predict
    def _run(self, X, fn):
        self._check_fitted()
        X = self._check_X(X)
        torch = _torch()
        self.module_.eval()
        with torch.no_grad(), _threads(self.n_threads):
            parts = [fn(torch.as_tensor(X[b:b + 2048])) for b in range(0, len(X), 2048)]
        return [np.concatenate([p[i].numpy() for p in parts]).astype(float) for i in range(len(parts[0]))]

    def decision_function(self, X) -> np.ndarray:
        """Output logits (samples × classes)."""
        return self._run(X, lambda x: (self.module_(x),))[0]

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities (softmax of the logits), columns in ``classes_`` order."""
        z = self.decision_function(X)
        p = np.exp(z - z.max(axis=1, keepdims=True))
        return p / p.sum(axis=1, keepdims=True)

    def predict(self, X) -> np.ndarray:
        z = self.decision_function(X)
        return self.classes_[np.argmax(z, axis=1)]

    def score(self, X, y) -> float:
        return float(np.mean(self.predict(X) == np.asarray(y)))

    def node_states(self, X) -> tuple[np.ndarray, np.ndarray]:
        """``(states, selected)``: samples × nodes node states ``h`` and the 0/1 selection mask (columns
        ``terms_``)."""
        def fn(x):
            logits, h, m = self.module_(x, return_all=True)
            return h, m

        h, m = self._run(X, fn)
        return h, m.astype(bool)

    # ------------------------------------------------------------------ explanations
    def term_table(self) -> pd.DataFrame:
        """Nodes in column order: ``go_id`` index, ``name``, ``level``, ``layer``."""
        self._check_fitted()
        L = self.go_layers
        rows = [(t, L.names.get(t, ""), L.levels[j], j) for j, ts in enumerate(L.terms) for t in ts]
        return pd.DataFrame(rows, columns=["go_id", "name", "level", "layer"]).set_index("go_id")

    def term_relevance(self, X, y=None, *, per_sample: bool = True) -> pd.DataFrame:
        """The built-in explanation: contribution of each selected node to the explained class's logit.

        ``R[i, v] = m_iv · h_iv · (W[t_i, v] − mean_c W[c, v])`` where ``m`` is the selection, ``h`` the node
        state, ``W`` the head weights and ``t_i`` the explained class (``y`` when given, else the prediction);
        unselected nodes get exactly 0. Centring ``W`` over classes makes ``Σ_v R[i, v]`` the node part of
        ``logit_t − mean_c logit_c`` (for two classes: half the logit difference).

        Returns
        -------
        ``per_sample=True``: samples × nodes DataFrame (columns = GO ids ``terms_``; names and levels in
        :meth:`term_table`). ``per_sample=False``: nodes × summary DataFrame sorted by ``mean_abs``, with
        ``name``, ``level``, ``mean_abs`` (mean |R| over samples), ``selected`` (share of samples selecting the
        node) and, per class ``c`` of the explained classes, ``mean_<c>`` (mean signed R over its samples).
        """
        self._check_fitted()
        index = X.index if isinstance(X, pd.DataFrame) else (
            pd.Index(list(map(str, X.obs_names))) if hasattr(X, "obs_names") else None)
        h, m = self.node_states(X)
        if y is None:
            t = np.argmax(self.decision_function(X), axis=1)
        else:
            y = np.asarray(y)
            if y.ndim == 0:
                y = np.full(len(h), y.item())
            if len(y) != len(h):
                raise ValidationError(f"y has length {len(y)}, expected {len(h)} (one class per sample)")
            lookup = {c: i for i, c in enumerate(self.classes_.tolist())}
            bad = [v for v in y.tolist() if v not in lookup]
            if bad:
                raise ValidationError(f"unknown class {bad[0]!r} in y; classes: {self.classes_.tolist()}")
            t = np.array([lookup[v] for v in y.tolist()], dtype=int)
        W = self.module_.head.weight.detach().numpy().astype(float)
        Wc = W - W.mean(0, keepdims=True)
        R = m * h * Wc[t]
        cols = pd.Index(self.terms_, name="go_id")
        if per_sample:
            return pd.DataFrame(R, index=index, columns=cols)
        tab = self.term_table()[["name", "level"]].copy()
        tab["mean_abs"] = np.abs(R).mean(0)
        tab["selected"] = m.mean(0)
        for ci in np.unique(t):
            tab[f"mean_{self.classes_[ci]}"] = R[t == ci].mean(0)
        return tab.sort_values("mean_abs", ascending=False)
