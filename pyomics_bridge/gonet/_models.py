"""scikit-learn-style estimators for GO-structured networks. torch is imported only inside ``fit``/``predict``."""

from __future__ import annotations

import contextlib
import copy
import time

import numpy as np

from .._conventions import ValidationError
from ._ontology import GOLayers

MODES = ("hard", "soft", "dense")


def _torch():
    from .._optional import import_optional

    return import_optional("torch", purpose="GO-structured neural networks (pyomics_bridge.gonet)")


def _seed_ints(random_state, n: int = 4) -> list[int]:
    from .._parallel import root_seed_sequence

    ss = root_seed_sequence(random_state)
    return [int(v) for v in ss.generate_state(n, dtype=np.uint32)]


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


def _adam_steps(opt, lr):
    """Per-coordinate effective step sizes of Adam, ``lr / (sqrt(v̂) + eps)`` (``lr`` for parameters without
    state): the metric of the proximal step that makes the group-lasso threshold comparable to Adam's steps."""
    torch = _torch()
    beta2, eps = opt.defaults["betas"][1], opt.defaults["eps"]

    def step_of(p):
        st = opt.state.get(p)
        if not st or "exp_avg_sq" not in st:
            return torch.full_like(p, lr)
        t = float(st["step"])
        vhat = st["exp_avg_sq"] / (1.0 - beta2 ** t)
        return lr / (vhat.sqrt() + eps)

    return step_of


def check_class_counts(classes, counts, *, need: str, escape: str, minimum: int = 2) -> None:
    """Raise a :class:`ValidationError` naming every class with fewer than ``minimum`` samples."""
    counts = np.asarray(counts)
    small = [(c, int(n)) for c, n in zip(np.asarray(classes).tolist(), counts.tolist(), strict=True) if n < minimum]
    if small:
        desc = ", ".join(f"{c!r} has {n} sample(s)" for c, n in small[:5])
        more = f" and {len(small) - 5} more" if len(small) > 5 else ""
        raise ValidationError(f"class {desc}{more}; {need} needs >= {minimum} per class (or {escape})")


class ParamsMixin:
    """scikit-learn ``get_params``/``set_params`` from the ``__init__`` signature, without importing scikit-learn."""

    def get_params(self, deep: bool = True) -> dict:
        import inspect

        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {n: getattr(self, n) for n in names}

    def set_params(self, **params):
        for k, v in params.items():
            setattr(self, k, v)
        return self


class GONetClassifier(ParamsMixin):
    """GO-structured phenotype classifier: genes → deepest GO level terms → ... → top level → classes.

    Parameters
    ----------
    go_layers
        The architecture (:class:`GOLayers`); ``X``'s columns are ``go_layers.genes`` in that order.
    mode
        ``"hard"``: sparse GO-masked layers, one parameter per GO edge (no dense genes × terms matrix);
        ``"soft"``: dense layers of the same widths with a penalty ``alpha`` on non-GO weights (Deep GONet);
        ``"dense"``: plain MLP of the same widths (no GO; terms are explained post hoc through their genes).
    activation
        ``"tanh"`` (default; recommended with a hard mask) or ``"relu"``.
    aux_heads
        One classification head per GO level; the output is the mean of the heads' logits and every head also
        gets its own loss (weight ``aux_weight``): deep supervision, needed for deep hard-masked nets.
    aux_weight
        Weight of the per-head losses.
    dropout
        Drop rate after every hidden layer.
    alpha, penalty
        Soft mode only: ``alpha`` × Σ over non-GO weights of |w| (``"l1"``) or w² (``"l2"``).
    lr, batch_size, max_epochs, weight_decay
        Adam settings.
    patience, min_delta, monitor, validation_fraction, restore_best
        Early stopping on a stratified validation split: training stops after ``patience`` epochs without an
        improvement by more than ``min_delta`` of the monitored quantity, ``monitor="loss"`` (validation
        cross-entropy, lower is better) or ``"accuracy"`` (validation accuracy, higher is better; more robust
        for over-parameterised dense/soft nets, whose validation loss rises from over-confidence while their
        accuracy still improves). ``patience=None`` or ``validation_fraction=0``: no stopping, train
        ``max_epochs``. With ``restore_best`` the weights of the best epoch are restored. The validation split
        needs >= 2 samples of every class (else a ``ValidationError`` naming the classes; no unstratified
        fallback).
    class_weight
        ``"balanced"`` or ``None``.
    init
        Gene → term (first GO layer) weights: ``"random"`` (mask-aware random, the default), or a
        structure-aware unsupervised initialisation computed at fit time from ``X`` (or from ``X_unlabeled``
        given to :meth:`fit`), from each term's own genes only: ``"pca"`` (first principal component of the
        term's genes) or ``"mean"`` (their mean), scaled to unit variance and centred
        (:func:`~pyomics_bridge.gonet._init.term_init_weights`). Hard and soft modes only.
    first_activation
        Activation of the first GO layer: ``None`` (same as ``activation``) or ``"identity"`` (linear term
        scores, non-linear levels above).
    freeze_first
        Keep the first GO layer at its initialisation (no training): with ``init="pca"``/``"mean"`` the model then
        learns only from term scores, which needs far fewer parameters than genes (small cohorts).
    term_penalty
        Term-level group sparsity: ``λ`` × Σ over first-layer terms of √(group size) × ‖weights leaving the
        term‖₂ (its head columns and its edges to parent terms), applied as a proximal step after every
        optimiser step, so that unused terms get exactly zero outgoing weights. A sequence of values is
        chosen by ``penalty_cv``-fold stratified cross-validation on the training data (mean validation
        cross-entropy; ties go to the larger value); the choice is in ``term_penalty_`` and the scores in
        ``penalty_scores_``.
    penalty_cv
        Folds of the inner cross-validation choosing ``term_penalty`` (when it is a sequence).
    device
        ``"auto"`` (CUDA when available, else CPU), ``"cpu"`` or ``"cuda"``.
    n_threads
        torch CPU threads during fit/predict (``None``: torch's default). On a busy machine 1 is often fastest.
    random_state
        Seed for the split, the initialisation, dropout and batch order (``int``, ``SeedSequence``,
        ``Generator`` or ``None``); with the same seed on CPU the fit is bit-identical.

    Attributes
    ----------
    classes_, module_ (the torch module, on CPU), history_ (per-epoch losses), best_epoch_, n_epochs_,
    fit_seconds_, device_, term_penalty_ (the group-sparsity strength used), penalty_scores_ (inner CV, when a
    sequence was given), active_terms_ (first-layer terms with non-zero outgoing weights)
    """

    def __init__(self, go_layers: GOLayers | None = None, *, mode: str = "hard", activation: str = "tanh",
                 aux_heads: bool = True, aux_weight: float = 0.5, dropout: float = 0.3, alpha: float = 1e-4,
                 penalty: str = "l1", lr: float = 1e-3, batch_size: int = 128, max_epochs: int = 40,
                 weight_decay: float = 0.0, patience: int | None = 10, min_delta: float = 1e-4,
                 monitor: str = "loss",
                 validation_fraction: float = 0.15, restore_best: bool = True,
                 class_weight: str | None = "balanced", init: str = "random", first_activation: str | None = None,
                 freeze_first: bool = False, term_penalty=0.0, penalty_cv: int = 3, device: str = "auto",
                 n_threads: int | None = None, random_state=None, verbose: bool = False):
        self.go_layers = go_layers
        self.mode = mode
        self.activation = activation
        self.aux_heads = aux_heads
        self.aux_weight = aux_weight
        self.dropout = dropout
        self.alpha = alpha
        self.penalty = penalty
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
        self.init = init
        self.first_activation = first_activation
        self.freeze_first = freeze_first
        self.term_penalty = term_penalty
        self.penalty_cv = penalty_cv
        self.device = device
        self.n_threads = n_threads
        self.random_state = random_state
        self.verbose = verbose

    def _validate(self):
        if not isinstance(self.go_layers, GOLayers):
            raise ValidationError("go_layers must be a GOLayers (e.g. pob.gonet.load_bundled_layers())")
        if self.mode not in MODES:
            raise ValidationError(f"mode must be one of {list(MODES)}, got {self.mode!r}")
        if self.activation not in ("tanh", "relu"):
            raise ValidationError(f"activation must be 'tanh' or 'relu', got {self.activation!r}")
        if self.penalty not in ("l1", "l2"):
            raise ValidationError(f"penalty must be 'l1' or 'l2', got {self.penalty!r}")
        if not 0 <= self.dropout < 1:
            raise ValidationError(f"dropout must be in [0, 1), got {self.dropout}")
        if not 0 <= self.validation_fraction < 1:
            raise ValidationError(f"validation_fraction must be in [0, 1), got {self.validation_fraction}")
        if self.patience is not None and int(self.patience) < 1:
            raise ValidationError(f"patience must be a positive int or None, got {self.patience}")
        if self.monitor not in ("loss", "accuracy"):
            raise ValidationError(f"monitor must be 'loss' or 'accuracy', got {self.monitor!r}")
        if not self.min_delta >= 0:
            raise ValidationError(f"min_delta must be >= 0, got {self.min_delta}")
        from ._init import INITS

        if self.init not in INITS:
            raise ValidationError(f"init must be one of {list(INITS)}, got {self.init!r}")
        if self.init != "random" and self.mode == "dense":
            raise ValidationError(f"init={self.init!r} needs GO connectivity (mode 'hard' or 'soft'), got mode='dense'")
        if self.first_activation not in (None, "identity"):
            raise ValidationError(f"first_activation must be None or 'identity', got {self.first_activation!r}")
        if self.freeze_first and self.init == "random":
            raise ValidationError("freeze_first=True needs a structure-aware init ('pca' or 'mean'), got init='random'")
        lams = self._penalty_grid()
        if not lams or any(not (np.isfinite(v) and v >= 0) for v in lams):
            raise ValidationError(f"term_penalty must be a number >= 0 or a non-empty sequence of them, got "
                                  f"{self.term_penalty!r}")
        if len(lams) > 1 and (not isinstance(self.penalty_cv, (int, np.integer)) or self.penalty_cv < 2):
            raise ValidationError(f"penalty_cv must be an int >= 2, got {self.penalty_cv!r}")

    def _penalty_grid(self) -> list[float]:
        tp = self.term_penalty
        try:
            return [float(v) for v in (tp if np.ndim(tp) else [tp])]
        except (TypeError, ValueError):
            return []

    def _check_X(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=np.float32)
        if not X.flags.writeable:  # e.g. a joblib memmap: torch wants writable memory
            X = X.copy()
        n_genes = len(self.go_layers.genes)
        if X.ndim != 2 or X.shape[1] != n_genes:
            raise ValidationError(f"X must have shape (n_samples, {n_genes}) (columns = go_layers.genes), got {X.shape}")
        finite = np.isfinite(X)
        if not finite.all():
            r, c = np.argwhere(~finite)[0]
            raise ValidationError(f"X has {int((~finite).sum())} non-finite value(s) (NaN or inf), e.g. row {r}, "
                                  f"column {c} (gene {str(self.go_layers.genes[c])!r}); expected finite numbers: impute "
                                  f"or drop them")
        return X

    def _device(self):
        torch = _torch()
        if self.device == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        return torch.device(self.device)

    # ------------------------------------------------------------------ fit
    def fit(self, X, y, *, X_unlabeled=None):
        """Train on ``X`` (samples × ``go_layers.genes``) and labels ``y``; returns ``self``.

        ``X_unlabeled`` (optional, samples × genes): data for the structure-aware ``init`` instead of ``X``
        (e.g. a large unlabelled pool); labels are never used by the initialisation.
        """
        self._validate()
        X = self._check_X(X)
        y = np.asarray(y)
        if len(y) != len(X):
            raise ValidationError(f"X and y are not aligned (lengths {len(X)} and {len(y)})")
        self.classes_, y_idx = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValidationError("y needs at least 2 classes")
        X_init = X if X_unlabeled is None else self._check_X(X_unlabeled)
        lams = self._penalty_grid()
        self.penalty_scores_ = None
        if len(lams) > 1:
            lam = self._choose_penalty(X, y_idx, X_init, lams)
        else:
            lam = lams[0]
        self.term_penalty_ = lam
        from ._layers import GONetModule

        torch = _torch()
        seeds = _seed_ints(self.random_state)
        self.device_ = str(self._device())
        with torch.random.fork_rng(devices=[]), _threads(self.n_threads):
            torch.manual_seed(seeds[0])
            L = self.go_layers
            module = GONetModule(L.sizes, L.edges, len(self.classes_), mode=self.mode, activation=self.activation,
                                 dropout=self.dropout, aux_heads=self.aux_heads,
                                 first_activation=self.first_activation)
            self._structure_init(module, X_init)
            self._train(module, X, y_idx, seeds, lr=self.lr, max_epochs=self.max_epochs, term_penalty=lam)
        self._set_active_terms()
        return self

    def _structure_init(self, module, X_init):
        if self.init == "random":
            return
        from ._init import term_init_weights

        e0 = self.go_layers.edges[0]
        w, b = term_init_weights(X_init, e0, self.go_layers.sizes[1], method=self.init)
        module.layers[0].set_edge_weights(e0, w, b)

    def _set_active_terms(self):
        torch = _torch()
        with torch.no_grad():
            norms, _ = self.module_.term_group_norms()
        self.active_terms_ = [t for t, v in zip(self.go_layers.terms[0], norms.numpy(), strict=True) if v > 0]

    def _choose_penalty(self, X, y_idx, X_init, lams):
        """Inner stratified CV over the ``term_penalty`` grid; returns the value with the lowest mean
        validation cross-entropy (ties: the larger penalty)."""
        from sklearn.model_selection import StratifiedKFold

        counts = np.bincount(y_idx)
        k = int(min(self.penalty_cv, counts.min()))
        if k < 2:
            raise ValidationError(f"choosing term_penalty by {self.penalty_cv}-fold CV needs >= 2 samples of every "
                                  f"class, got class counts {counts.tolist()}")
        seeds = _seed_ints(self.random_state, 6)
        folds = list(StratifiedKFold(k, shuffle=True, random_state=seeds[4] % (2**31)).split(X, y_idx))
        params = {**self.get_params(), "verbose": False}
        losses = np.zeros((len(lams), k))
        for i, lam in enumerate(lams):
            for j, (tr, va) in enumerate(folds):
                m = type(self)(**{**params, "term_penalty": lam, "random_state": seeds[5] + j})
                m.fit(X[tr], self.classes_[y_idx[tr]], X_unlabeled=X_init if X_init is not X else None)
                p = m.predict_proba(X[va])
                col = np.searchsorted(m.classes_, self.classes_[y_idx[va]])
                ok = np.isin(self.classes_[y_idx[va]], m.classes_)
                pv = np.where(ok, p[np.arange(len(va)), np.minimum(col, p.shape[1] - 1)], 0.0)
                losses[i, j] = -np.mean(np.log(np.clip(pv, 1e-12, 1.0)))
        mean = losses.mean(1)
        best = max(i for i in range(len(lams)) if mean[i] <= mean.min() + 1e-12)
        order = np.argsort(lams)
        self.penalty_scores_ = {"term_penalty": [lams[i] for i in order], "cv_log_loss": mean[order].tolist()}
        return lams[best]

    def _class_weights(self, y_idx, n_classes):
        torch = _torch()
        if self.class_weight is None:
            return None
        if self.class_weight != "balanced":
            raise ValidationError(f"class_weight must be 'balanced' or None, got {self.class_weight!r}")
        counts = np.bincount(y_idx, minlength=n_classes).astype(float)
        w = len(y_idx) / (n_classes * np.maximum(counts, 1))
        return torch.as_tensor(w, dtype=torch.float32)

    def _train(self, module, X, y_idx, seeds, *, lr, max_epochs, params=None, validation_fraction=None,
               term_penalty=0.0):
        torch = _torch()
        F = torch.nn.functional
        dev = torch.device(self.device_)
        start = time.perf_counter()
        n_classes = len(self.classes_)
        idx = np.arange(len(X))
        val_idx = np.array([], dtype=int)
        vf = self.validation_fraction if validation_fraction is None else validation_fraction
        if vf > 0 and self.patience is not None:
            from sklearn.model_selection import train_test_split

            counts = np.bincount(y_idx, minlength=n_classes)
            check_class_counts(self.classes_, counts, need="early stopping on a validation split",
                               escape="validation_fraction=0 or patience=None")
            strat = y_idx if round(vf * len(idx)) >= len(counts) else None
            idx, val_idx = train_test_split(idx, test_size=vf, stratify=strat,
                                            random_state=seeds[1] % (2**31))
        module = module.to(dev)
        Xt = torch.as_tensor(X, device=dev)
        yt = torch.as_tensor(y_idx, dtype=torch.long, device=dev)
        cw = self._class_weights(y_idx[idx], n_classes)
        cw = None if cw is None else cw.to(dev)
        if params is None:
            params = module.parameters()
            if self.freeze_first:
                frozen = {id(p) for p in module.layers[0].parameters()}
                params = [p for p in module.parameters() if id(p) not in frozen]
        opt = torch.optim.Adam(params, lr=lr, weight_decay=self.weight_decay)
        gen = torch.Generator().manual_seed(seeds[2])
        tr = torch.as_tensor(idx)
        penalise = self.mode == "soft" and self.alpha > 0

        cache = None
        if self.freeze_first:  # the first GO layer is fixed: compute its activation once
            with torch.no_grad():
                cache = module.acts[0](module.layers[0](Xt))

        def loss_fn(bi, train):
            xb, yb = Xt[bi], yt[bi]
            out, heads, _ = module(xb, return_all=True, first=None if cache is None else cache[bi])
            loss = F.cross_entropy(out, yb, weight=cw)
            if module.aux_heads and self.aux_weight > 0:
                loss = loss + self.aux_weight * sum(F.cross_entropy(h, yb, weight=cw) for h in heads) / len(heads)
            if train and penalise:
                loss = loss + self.alpha * module.penalty(self.penalty)
            return loss

        history, best, best_state, bad = [], np.inf, None, 0
        best_epoch = max_epochs
        for epoch in range(max_epochs):
            module.train()
            perm = tr[torch.randperm(len(tr), generator=gen)]
            total = 0.0
            for b in range(0, len(perm), self.batch_size):
                bi = perm[b:b + self.batch_size].to(dev)
                opt.zero_grad()
                loss = loss_fn(bi, True)
                loss.backward()
                opt.step()
                if term_penalty > 0:
                    module.prox_term_groups(term_penalty, step_of=_adam_steps(opt, lr))
                total += float(loss.detach()) * len(bi)
            row = {"epoch": epoch + 1, "train_loss": total / len(perm)}
            if len(val_idx):
                module.eval()
                with torch.no_grad():
                    vi = torch.as_tensor(val_idx, device=dev)
                    vloss = float(loss_fn(vi, False))
                    vacc = float((module(Xt[vi], first=None if cache is None else cache[vi]).argmax(1)
                                  == yt[vi]).float().mean())
                row.update(val_loss=vloss, val_accuracy=vacc)
                crit = vloss if self.monitor == "loss" else -vacc
                if crit < best - self.min_delta:
                    best, bad, best_epoch = crit, 0, epoch + 1
                    if self.restore_best:
                        best_state = copy.deepcopy(module.state_dict())
                else:
                    bad += 1
            history.append(row)
            if self.verbose:
                print(row)
            if len(val_idx) and bad >= self.patience:
                break
        if not len(val_idx) or not self.restore_best:
            best_epoch = len(history)
        if best_state is not None:
            module.load_state_dict(best_state)
        module.eval()
        self.module_ = module.cpu()
        self.history_ = history
        self.best_epoch_ = best_epoch
        self.n_epochs_ = len(history)
        self.fit_seconds_ = time.perf_counter() - start

    # ------------------------------------------------------------------ transfer learning
    def fine_tune(self, X, y, *, lr: float = 1e-4, max_epochs: int | None = None, freeze_go: bool = False,
                  new_head: bool | None = None, validation_fraction: float | None = None, random_state=None):
        """Continue training a fitted model on a (small) target set: all layers at ``lr`` (default), or only
        the heads with ``freeze_go=True``. A new head is created when the target classes differ (``new_head``
        forces it). ``validation_fraction`` overrides the early-stopping split (0: train ``max_epochs``, the
        sensible choice for a few dozen samples). Returns ``self``."""
        self._check_fitted()
        X = self._check_X(X)
        y = np.asarray(y)
        classes, y_idx = np.unique(y, return_inverse=True)
        torch = _torch()
        seeds = _seed_ints(self.random_state if random_state is None else random_state)
        module = self.module_
        if new_head is None:
            new_head = not np.array_equal(classes, self.classes_)
        with torch.random.fork_rng(devices=[]), _threads(self.n_threads):
            torch.manual_seed(seeds[3])
            if new_head:
                module.heads = torch.nn.ModuleList(
                    [torch.nn.Linear(h.in_features, len(classes)) for h in module.heads])
            self.classes_ = classes
            self.device_ = str(self._device())
            for p in module.layers.parameters():
                p.requires_grad_(not freeze_go)
            frozen = {id(p) for p in module.layers[0].parameters()} if self.freeze_first else set()
            params = [p for p in module.parameters() if p.requires_grad and id(p) not in frozen]
            self._train(module, X, y_idx, seeds, lr=lr, max_epochs=max_epochs or self.max_epochs, params=params,
                        validation_fraction=validation_fraction,
                        term_penalty=0.0 if freeze_go else getattr(self, "term_penalty_", 0.0))
            for p in module.layers.parameters():
                p.requires_grad_(True)
        self._set_active_terms()
        return self

    # ------------------------------------------------------------------ predict
    def _check_fitted(self):
        if not hasattr(self, "module_"):
            raise ValidationError("this GONetClassifier is not fitted yet; call fit(X, y) first")

    def decision_function(self, X) -> np.ndarray:
        """Output logits (samples × classes)."""
        self._check_fitted()
        X = self._check_X(X)
        torch = _torch()
        self.module_.eval()
        out = []
        with torch.no_grad():
            for b in range(0, len(X), 2048):
                out.append(self.module_(torch.as_tensor(X[b:b + 2048])).numpy())
        return np.concatenate(out).astype(float)

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities (softmax of the output logits), columns in ``classes_`` order."""
        z = self.decision_function(X)
        z = z - z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return p / p.sum(axis=1, keepdims=True)

    def predict(self, X) -> np.ndarray:
        z = self.decision_function(X)
        return self.classes_[np.argmax(z, axis=1)]

    def score(self, X, y) -> float:
        return float(np.mean(self.predict(X) == np.asarray(y)))

    # ------------------------------------------------------------------ explanations
    def relevance(self, X, *, method: str = "lrp", target=None, eps: float = 1e-6) -> list[np.ndarray]:
        """Per-sample relevance of every GO term, one (samples × terms) array per layer (deepest first).

        See :func:`pyomics_bridge.gonet.term_relevance`.
        """
        from ._explain import term_relevance

        return term_relevance(self, X, method=method, target=target, eps=eps)

    def go_leakage(self) -> list[float]:
        """Soft/dense modes: share of |W| on non-GO connections per GO layer (0 for the hard mode)."""
        self._check_fitted()
        if self.mode == "hard":
            return [0.0] * len(self.module_.layers)
        if self.mode == "dense":
            from ._layers import DenseMaskedLinear  # noqa: F401
            torch = _torch()
            out = []
            for k, layer in enumerate(self.module_.layers):
                w = layer.weight.detach().abs()
                e = torch.as_tensor(self.go_layers.edges[k])
                tot = float(w.sum())
                out.append((tot - float(w[e[:, 1], e[:, 0]].sum())) / max(tot, 1e-30))
            return out
        return [layer.go_leakage() for layer in self.module_.layers]
