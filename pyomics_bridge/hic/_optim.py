"""L-BFGS-B driver shared by the structure models (objective and gradient on flattened coordinates)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize


@dataclass
class FitInfo:
    """Outcome of one optimisation."""

    objective: float
    n_iter: int
    converged: bool
    message: str


def lbfgs(fun_grad, X0: np.ndarray, *, max_iter: int, ftol: float, gtol: float) -> tuple[np.ndarray, FitInfo]:
    """Minimise ``fun_grad(X) -> (f, grad)`` over X (n × 3) with SciPy's L-BFGS-B."""
    shape = X0.shape

    def f(x):
        val, g = fun_grad(x.reshape(shape))
        return val, g.ravel()

    res = minimize(
        f, X0.ravel(), jac=True, method="L-BFGS-B", options={"maxiter": int(max_iter), "ftol": ftol, "gtol": gtol}
    )
    msg = res.message if isinstance(res.message, str) else res.message.decode()
    return res.x.reshape(shape), FitInfo(float(res.fun), int(res.nit), bool(res.success), msg)


def random_init(n: int, rng: np.random.Generator) -> np.ndarray:
    """Uniform start in [−1, 1]³ (the PASTIS convention 1 − 2·U)."""
    return 1.0 - 2.0 * rng.random((n, 3))
