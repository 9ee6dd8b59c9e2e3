"""Baseline: a small convolutional network on one-hot sequences (optional ``torch`` extra), same splits as TFscope.

Architecture (our choice, in the spirit of DeepBind/Basset-style baselines): Conv1d(4 -> ``filters``, ``kernel``)
+ ReLU + max-pool(4) + dropout, Conv1d(``filters`` -> ``filters``, 7) + ReLU, global max pool, linear -> logit
(~35 k parameters with the defaults). Training: Adam, binary cross-entropy, mini-batches, random reverse
complements as augmentation; predictions average a sequence and its reverse complement. Early stopping on the
AUC of a stratified validation part of the training rows (``validation``), keeping the best epoch's weights.

Every random step (initialisation, validation split, batch order, augmentation, dropout) derives from
``random_state``; the global torch RNG state is saved and restored, and torch runs on the CPU unless ``device`` is
given, so results are reproducible.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from .._parallel import root_seed_sequence
from ._baselines import baseline_inputs
from ._sequences import one_hot


def _model(torch, filters: int, kernel: int, dropout: float):
    nn = torch.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv1d(4, filters, kernel, padding=kernel // 2)
            self.pool = nn.MaxPool1d(4, ceil_mode=True)
            self.drop = nn.Dropout(dropout)
            self.conv2 = nn.Conv1d(filters, filters, 7, padding=3)
            self.out = nn.Linear(filters, 1)

        def forward(self, x):
            h = self.drop(self.pool(torch.relu(self.conv1(x))))
            h = torch.relu(self.conv2(h)).amax(dim=2)
            return self.out(h).squeeze(1)

    return Net()


def cnn_baseline(
    sequences,
    y,
    *,
    train=None,
    test=None,
    filters: int = 64,
    kernel: int = 15,
    dropout: float = 0.2,
    epochs: int = 40,
    patience: int = 6,
    batch_size: int = 32,
    lr: float = 5e-3,
    weight_decay: float = 1e-4,
    validation: float = 0.15,
    random_state=0,
    device: str = "cpu",
    num_threads: int | None = 1,
) -> dict:
    """Train the CNN on ``train`` rows and report the held-out AUC on ``test`` rows.

    Parameters
    ----------
    sequences
        Equal-length strings or ``(n, L)`` int8 codes.
    y
        Binary labels (1 = class A).
    train, test
        Index arrays (e.g. the TFscope split); default a stratified 80/20 split from ``random_state``.
    filters, kernel, dropout
        Network size (see module docstring).
    epochs, patience, batch_size, lr, weight_decay, validation
        Training; early stopping after ``patience`` epochs without a better validation AUC.
    random_state
        Seed of every random step.
    device
        torch device (``"cuda"`` where available; CPU by default).
    num_threads
        torch CPU threads during the call (restored afterwards); 1 suits this small network (OpenMP threads
        spin-wait and slow it down on a busy machine); ``None`` keeps torch's setting.

    Returns
    -------
    dict with ``test_auc``, ``best_epoch``, ``history`` (per-epoch training loss and validation AUC),
    ``test_scores`` (logits averaged over both strands), ``n_parameters`` and ``model`` (on the CPU).
    """
    from .._optional import import_optional

    torch = import_optional("torch", purpose="the CNN baseline")
    codes, y = baseline_inputs(sequences, y)
    seeds = root_seed_sequence(random_state).spawn(3)
    split_seed = int(seeds[0].generate_state(1)[0] % 2**31)
    idx = np.arange(y.size)
    if train is None or test is None:
        train, test = train_test_split(idx, test_size=0.2, stratify=y, random_state=split_seed)
    train, test = np.asarray(train), np.asarray(test)
    fit_rows, val_rows = train_test_split(train, test_size=validation, stratify=y[train],
                                          random_state=int(seeds[1].generate_state(1)[0] % 2**31))
    X = one_hot(codes).transpose(0, 2, 1).copy()  # n, 4, L
    Xrc = X[:, ::-1, ::-1].copy()  # reverse complement: A<->T, C<->G and reversed positions
    torch_seed = int(seeds[2].generate_state(1, dtype=np.uint64)[0]) % 2**63
    old_threads = torch.get_num_threads()
    if num_threads is not None:
        torch.set_num_threads(int(num_threads))
    try:
        return _train(torch, X, Xrc, y, fit_rows, val_rows, train, test, torch_seed, filters, kernel, dropout,
                      epochs, patience, batch_size, lr, weight_decay, device)
    finally:
        torch.set_num_threads(old_threads)


def _train(torch, X, Xrc, y, fit_rows, val_rows, train, test, torch_seed, filters, kernel, dropout, epochs,
           patience, batch_size, lr, weight_decay, device) -> dict:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(torch_seed)
        gen = torch.Generator().manual_seed(torch_seed)
        net = _model(torch, filters, kernel, dropout).to(device)
        opt = torch.optim.Adam(net.parameters(), lr=lr, weight_decay=weight_decay)
        loss_fn = torch.nn.BCEWithLogitsLoss()
        tX, tXrc = torch.from_numpy(X), torch.from_numpy(Xrc)
        ty = torch.from_numpy(y.astype(np.float32))

        def predict(rows):
            net.eval()
            out = []
            with torch.no_grad():
                for s in range(0, rows.size, 512):
                    r = torch.from_numpy(rows[s : s + 512])
                    f = net(tX[r].to(device))
                    b = net(tXrc[r].to(device))
                    out.append(((f + b) / 2).cpu().numpy())
            return np.concatenate(out) if out else np.zeros(0)

        best_auc, best_state, best_epoch, wait, history = -np.inf, None, 0, 0, []
        for epoch in range(epochs):
            net.train()
            perm = fit_rows[torch.randperm(fit_rows.size, generator=gen).numpy()]
            flip = torch.rand(perm.size, generator=gen).numpy() < 0.5
            total = 0.0
            for s in range(0, perm.size, batch_size):
                r = perm[s : s + batch_size]
                fl = torch.from_numpy(flip[s : s + batch_size])
                xb = torch.where(fl[:, None, None], tXrc[r], tX[r]).to(device)
                opt.zero_grad()
                loss = loss_fn(net(xb), ty[r].to(device))
                loss.backward()
                opt.step()
                total += float(loss.detach()) * r.size
            val_auc = float(roc_auc_score(y[val_rows], predict(val_rows)))
            history.append({"epoch": epoch + 1, "train_loss": total / perm.size, "val_auc": val_auc})
            if val_auc > best_auc + 1e-4:
                best_auc, best_epoch, wait = val_auc, epoch + 1, 0
                best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
            else:
                wait += 1
                if wait >= patience:
                    break
        net.load_state_dict(best_state)
        scores = predict(test)
    net = net.cpu()
    return {"test_auc": float(roc_auc_score(y[test], scores)), "best_epoch": best_epoch, "val_auc": best_auc,
            "history": history, "test_scores": scores, "n_parameters": int(sum(p.numel() for p in net.parameters())),
            "model": net, "train": train, "test": test}
