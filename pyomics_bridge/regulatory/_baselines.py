"""Baseline: strand-symmetric k-mer spectrum logistic regression (no positions), same split as TFscope."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegressionCV
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler

from .._parallel import root_seed_sequence
from ._sequences import encode_batch, kmer_counts


def baseline_inputs(sequences, y) -> tuple[np.ndarray, np.ndarray]:
    """Codes and 0/1 labels of a baseline's input, checked: one label per sequence, both classes present."""
    codes = encode_batch(sequences)
    y = np.asarray(y).astype(int)
    if y.shape[0] != codes.shape[0]:
        raise ValueError(f"{codes.shape[0]} sequences but {y.shape[0]} labels")
    if set(np.unique(y).tolist()) != {0, 1}:
        raise ValueError("y must hold the two classes 0 and 1")
    return codes, y


def kmer_baseline(sequences, y, *, k: int = 4, train=None, test=None, cv: int = 5, random_state=0) -> dict:
    """L2 logistic regression (C by CV AUC) on canonical k-mer frequencies; returns ``test_auc`` and the model.

    ``train``/``test`` are index arrays (e.g. the TFscope split); by default a stratified 80/20 split.
    """
    codes = encode_batch(sequences)
    y = np.asarray(y).astype(int)
    counts = kmer_counts(codes, k, canonical=True).astype(float)
    X = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    seed = int(root_seed_sequence(random_state).generate_state(1)[0] % 2**31)
    if train is None or test is None:
        from sklearn.model_selection import train_test_split

        train, test = train_test_split(np.arange(y.size), test_size=0.2, stratify=y, random_state=seed)
    sc = StandardScaler().fit(X[train])
    model = LogisticRegressionCV(Cs=np.logspace(-4, 1, 8), cv=StratifiedKFold(cv, shuffle=True, random_state=seed),
                                 scoring="roc_auc", max_iter=2000)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        model.fit(sc.transform(X[train]), y[train])
    auc = float(roc_auc_score(y[test], model.decision_function(sc.transform(X[test]))))
    return {"test_auc": auc, "model": model, "k": k}
