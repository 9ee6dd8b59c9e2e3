"""L-BFGS-B driver shared by the structure models (objective and gradient on flattened coordinates).

SciPy's L-BFGS-B does small dense linear algebra at every iteration; with a multi-threaded BLAS each of those
calls pays a thread start/synchronisation cost that dominated the run time (≈ 1 ms per iteration on a loaded
2-core machine, 12× the single-threaded cost). The optimiser therefore runs under a one-thread BLAS limit
(``threadpoolctl``, a scikit-learn dependency); the objectives themselves are memory-bound NumPy/SciPy loops.
"""

from __future__ import annotations

import time
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize


@dataclass
class FitInfo:
    """Outcome of one optimisation."""

    objective: float
    n_iter: int
    converged: bool
    message: str
    n_fev: int = 0


@dataclass
class IterationTrace:
    """Iterates of every L-BFGS-B fit run inside :func:`trace_iterations` (MDS start and main fit alike).

    ``cpu_s[k]`` is the process CPU time (``time.process_time``, minus the time spent recording) at which iterate k
    was reached, counted from the start of the block; ``fit[k]`` numbers the optimisations (0, 1, …) and ``iterate(k)``
    returns ``(X, extra)`` in the model's coordinates (n_kept × 3 and the scalar parameters, e.g. α for PM2).
    Iterates are stored in the optimiser's variables and mapped back to coordinates only when asked for, so
    recording costs a vector copy per iteration.
    """

    cpu_s: list = field(default_factory=list)
    wall_s: list = field(default_factory=list)
    fit: list = field(default_factory=list)
    _raw: list = field(default_factory=list)
    _t0: tuple = (0.0, 0.0)
    _overhead: list = field(default_factory=lambda: [0.0, 0.0])
    _n_fits: int = 0

    def __len__(self):
        return len(self.cpu_s)

    def new_fit(self) -> int:
        self._n_fits += 1
        return self._n_fits - 1

    def record(self, fit_id: int, z: np.ndarray, decode) -> None:
        c, w = time.process_time(), time.perf_counter()
        self.cpu_s.append(c - self._t0[0] - self._overhead[0])
        self.wall_s.append(w - self._t0[1] - self._overhead[1])
        self.fit.append(fit_id)
        self._raw.append((np.array(z, dtype=np.float64, copy=True), decode))
        self._overhead[0] += time.process_time() - c
        self._overhead[1] += time.perf_counter() - w

    def iterate(self, k: int):
        z, decode = self._raw[k]
        return decode(z)


_TRACE: ContextVar[IterationTrace | None] = ContextVar("pob_hic_trace", default=None)


@contextmanager
def trace_iterations():
    """Record the trajectory (CPU time, iterate) of the structure fits run inside the block (benchmarks, plots).

    Only fits run in this process are seen (``n_jobs=1``; worker processes do not inherit the trace).

    >>> with trace_iterations() as trace:          # doctest: +SKIP
    ...     PM2().fit(counts)
    >>> trace.cpu_s[-1], trace.iterate(len(trace) - 1)[0].shape
    """
    trace = IterationTrace(_t0=(time.process_time(), time.perf_counter()))
    token = _TRACE.set(trace)
    try:
        yield trace
    finally:
        _TRACE.reset(token)


def _trace_callback(decode):
    """(callback for scipy's minimize, or None) recording the iterates of one fit when a trace is active."""
    trace = _TRACE.get()
    if trace is None:
        return None, None
    fit_id = trace.new_fit()

    def callback(zk):
        trace.record(fit_id, zk, decode)

    return callback, (trace, fit_id)


def single_thread_blas():
    """Context manager limiting BLAS to one thread (no-op when threadpoolctl is missing)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def minimize_vector(fun_grad, x0: np.ndarray, *, max_iter: int, ftol: float, gtol: float, bounds=None,
                    callback=None):
    """Minimise ``fun_grad(x) -> (f, grad)`` over a flat vector with L-BFGS-B (single-threaded BLAS).

    Stops when the relative decrease of f between iterations is below ``ftol`` (SciPy's criterion
    ``(f_k − f_{k+1}) / max(|f_k|, |f_{k+1}|, 1) <= ftol``) or the projected gradient is below ``gtol``.
    """
    with single_thread_blas():
        res = minimize(fun_grad, x0, jac=True, method="L-BFGS-B", bounds=bounds,
                       callback=callback, options={"maxiter": int(max_iter), "ftol": ftol, "gtol": gtol})
    msg = res.message if isinstance(res.message, str) else res.message.decode()
    return res.x, FitInfo(float(res.fun), int(res.nit), bool(res.success), msg, int(res.nfev))


def lbfgs(fun_grad, X0: np.ndarray, *, max_iter: int, ftol: float, gtol: float) -> tuple[np.ndarray, FitInfo]:
    """Minimise ``fun_grad(X) -> (f, grad)`` over X (n × 3) with SciPy's L-BFGS-B."""
    shape = X0.shape

    def f(x):
        val, g = fun_grad(x.reshape(shape))
        return val, g.ravel()

    cb, rec = _trace_callback(lambda z: (z.reshape(shape), np.empty(0)))
    if rec is not None:
        cb(X0.ravel())
    x, info = minimize_vector(f, X0.ravel(), max_iter=max_iter, ftol=ftol, gtol=gtol, callback=cb)
    return x.reshape(shape), info


def random_init(n: int, rng: np.random.Generator) -> np.ndarray:
    """Uniform start in [−1, 1]³ (the PASTIS convention 1 − 2·U)."""
    return 1.0 - 2.0 * rng.random((n, 3))


DENSE_PRECONDITIONER_MAX = 6000


def laplacian_factor(i, j, h, n: int, blocks=None):
    """Upper Cholesky factors R_k (R_kᵀ R_k = L_k) of the weighted graph Laplacian L = Σ h_ij (e_i − e_j)(e_i − e_j)ᵀ
    restricted to diagonal ``blocks`` (lists of contiguous bead ranges), with a small ridge for the translation.

    L ⊗ I₃ is the rotation-averaged Fisher (Gauss–Newton) Hessian of a pairwise objective whose per-pair radial
    curvature is h; changing variables to Y = R X makes that Hessian the identity, which removes the stiff
    neighbour / weak long-range imbalance that slows plain L-BFGS by an order of magnitude.
    """
    from scipy.linalg import cholesky

    if blocks is None:
        blocks = [(0, n)]
    factors = []
    for lo, hi in blocks:
        m = hi - lo
        sel = (i >= lo) & (i < hi) & (j >= lo) & (j < hi) if len(blocks) > 1 else slice(None)
        ii, jj, hh = i[sel] - lo, j[sel] - lo, h[sel]
        L = np.zeros((m, m))
        L[ii, jj] = -hh
        L[jj, ii] = -hh
        diag = -L.sum(axis=1)
        scale = float(diag.mean()) if m and diag.mean() > 0 else 1.0
        L[np.diag_indices(m)] = diag + 1e-6 * scale + 1e-12
        try:
            R = cholesky(L, lower=False, check_finite=False)
        except np.linalg.LinAlgError:
            R = np.diag(np.sqrt(np.maximum(np.diag(L), 1e-12)))
        factors.append((lo, hi, R))
    return factors


def _apply(factors, Y, *, inverse: bool, transpose: bool = False):
    from scipy.linalg import solve_triangular

    out = np.array(Y, dtype=np.float64, copy=True)
    for lo, hi, R in factors:
        if inverse:
            out[lo:hi] = solve_triangular(R, Y[lo:hi], lower=False, trans="T" if transpose else "N", check_finite=False)
        else:
            out[lo:hi] = R @ Y[lo:hi]
    return out


def preconditioned_fit(fun, X0, *, curvature, pair_i, pair_j, extra0=(), extra_scale=(), extra_bounds=(),
                       max_iter: int, ftol: float, gtol: float, refresh: int = 250, blocks=None,
                       precondition: bool | None = None):
    """Minimise ``fun(X, extra) -> (f, grad_X, grad_extra)`` over X (n × 3) and a few scalars ``extra``.

    L-BFGS-B runs on Y = R X, with R the Cholesky factor of the Laplacian of ``curvature(X, extra)`` (per-pair
    Fisher curvature, see :func:`laplacian_factor`), rebuilt every ``refresh`` iterations; each scalar is scaled by
    ``extra_scale``. Stops when a round meets L-BFGS-B's relative objective criterion (``ftol``) or the projected
    gradient criterion (``gtol``, in the preconditioned variables), or after ``max_iter`` iterations in all.
    ``precondition=None`` preconditions when the largest block has at most 6,000 beads (dense factors).
    """
    X = np.asarray(X0, dtype=np.float64)
    n = X.shape[0]
    extra = np.asarray(extra0, dtype=np.float64).ravel()
    k = extra.size
    if blocks is None or n <= DENSE_PRECONDITIONER_MAX:
        blocks = [(0, n)]  # one dense factor captures inter-chromosomal terms too
    if precondition is None:
        precondition = max(hi - lo for lo, hi in blocks) <= DENSE_PRECONDITIONER_MAX
    total, rounds, info = 0, 0, FitInfo(np.nan, 0, False, "no iteration")
    while total < int(max_iter):
        scale = np.asarray(extra_scale(X, extra) if callable(extra_scale) else (extra_scale if len(extra_scale) else
                           np.ones(k)), dtype=float).ravel()
        scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
        factors = laplacian_factor(pair_i, pair_j, curvature(X, extra), n, blocks) if precondition else None

        def fg(z, factors=factors, scale=scale):
            Y = z[: 3 * n].reshape(n, 3)
            Xc = _apply(factors, Y, inverse=True) if factors is not None else Y
            f, gX, ge = fun(Xc, z[3 * n:] / scale)
            gY = _apply(factors, gX, inverse=True, transpose=True) if factors is not None else gX
            return f, np.concatenate([gY.ravel(), np.asarray(ge, float).ravel() / scale])

        z0 = np.concatenate([(_apply(factors, X, inverse=False) if factors is not None else X).ravel(), extra * scale])
        bounds = None
        if k:
            bounds = [(None, None)] * (3 * n) + [
                (None if lo is None else lo * s, None if hi is None else hi * s) for (lo, hi), s in zip(extra_bounds, scale, strict=True)
            ]
        budget = min(int(refresh), int(max_iter) - total) if precondition else int(max_iter) - total
        f_start, g_start = fg(z0)
        # L-BFGS-B's first step has unit length; in preconditioned variables the Hessian is ≈ identity, so the
        # natural first step is the whole gradient: rescale the variables by 1/‖g‖ (otherwise the first step is
        # tiny and the relative-decrease test stops a fresh round at once, a false convergence)
        s = float(np.clip(1.0 / max(np.linalg.norm(g_start), 1e-300), 1e-8, 1.0)) if precondition else 1.0
        fs = (lambda u, fg=fg, s=s: (lambda r: (r[0], r[1] / s))(fg(u / s))) if s != 1.0 else fg
        bounds_s = None if bounds is None else [(None if lo is None else lo * s, None if hi is None else hi * s)
                                                 for lo, hi in bounds]
        cb, rec = _trace_callback(lambda u, factors=factors, scale=scale, s=s: (
            _apply(factors, (u[: 3 * n] / s).reshape(n, 3), inverse=True) if factors is not None
            else (u[: 3 * n] / s).reshape(n, 3), u[3 * n:] / s / scale))
        if rec is not None:
            cb(z0 * s)
        z, info = minimize_vector(fs, z0 * s, max_iter=budget, ftol=ftol, gtol=gtol / s, bounds=bounds_s,
                                  callback=cb)
        z = z / s
        Y = z[: 3 * n].reshape(n, 3)
        X = _apply(factors, Y, inverse=True) if factors is not None else Y
        extra = z[3 * n:] / scale
        total += info.n_iter
        rounds += 1
        if info.n_iter == 0:
            break
        rel = (f_start - info.objective) / max(abs(f_start), abs(info.objective), 1.0)
        if not precondition or (info.converged and (info.n_iter < 0.2 * refresh or rel <= 10 * ftol)):
            break
    info = FitInfo(info.objective, total, bool(info.converged), f"{info.message} ({rounds} preconditioner round(s))",
                   info.n_fev)
    return X, extra, info
