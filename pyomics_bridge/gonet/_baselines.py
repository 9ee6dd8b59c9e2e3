"""scikit-learn baselines on the same genes and splits as the GO networks, with GO-term scores from their
coefficients / importances averaged over each term's genes (post-hoc aggregation)."""

from __future__ import annotations

import numpy as np

from ._explain import _gene_to_terms
from ._ontology import GOLayers


def logistic_baseline(*, C: float = 0.1, penalty: str = "l2", random_state=0, max_iter: int = 2000):
    """L2 (or elastic-net with ``penalty="elasticnet"``) logistic regression on standardised genes."""
    from sklearn.linear_model import LogisticRegression

    if penalty == "elasticnet":
        return LogisticRegression(C=C, penalty="elasticnet", l1_ratio=0.5, solver="saga", max_iter=max_iter,
                                  random_state=_int_seed(random_state))
    return LogisticRegression(C=C, max_iter=max_iter, random_state=_int_seed(random_state))


def random_forest_baseline(*, n_estimators: int = 500, n_jobs: int | None = None, random_state=0):
    """Random forest (500 trees by default)."""
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(n_estimators=n_estimators, n_jobs=n_jobs, random_state=_int_seed(random_state))


def _int_seed(random_state):
    from .._parallel import root_seed_sequence

    if random_state is None:
        return None
    return int(root_seed_sequence(random_state).generate_state(1)[0] % (2**31))


def baseline_term_scores(estimator, layers: GOLayers) -> list[np.ndarray]:
    """Per-term scores of a fitted baseline: mean |coefficient| (max over classes) or mean impurity importance
    over the genes under each term; one array per layer (deepest first)."""
    if hasattr(estimator, "coef_"):
        g = np.abs(np.asarray(estimator.coef_)).max(axis=0)
    else:
        g = np.asarray(estimator.feature_importances_)
    return [np.asarray(g @ a).ravel() for a in _gene_to_terms(layers)]
