"""Shared estimator machinery for structure models: pairs, several initialisations, best objective."""

from __future__ import annotations

import warnings
from functools import partial

import numpy as np
from scipy.spatial import cKDTree

from .._conventions import ValidationError
from .._parallel import parallel_map
from ._distance import PairData, embed, make_pairs
from ._optim import random_init
from ._validate import as_contact_matrix, check_alpha, check_beta, check_structure

#: Beads closer than this fraction of the median distance between consecutive beads count as coincident.
COLLAPSE_TOL = 1e-4


def _fit_task(task, rng, *, model, pairs, init):
    X0 = random_init(pairs.n, rng) if init is None else init
    try:
        res = model._fit_one(pairs, X0)
    except ValidationError:
        raise
    except (ValueError, FloatingPointError, ArithmeticError, np.linalg.LinAlgError) as exc:
        # the optimiser or a numpy routine broke down on non-finite values (e.g. an extreme beta)
        return {"failed": f"the optimiser failed: {type(exc).__name__}: {exc}"}
    problem = structure_problem(res.get("X"), res.get("objective"))
    if problem is not None:
        res = {**res, "failed": problem}
    return res


def structure_problem(X, objective=0.0, *, tol: float = COLLAPSE_TOL) -> str | None:
    """Why a fitted structure is unusable (non-finite values, zero spread, coincident beads), or ``None``.

    Coincident means a nearest-neighbour distance below ``tol`` × the median distance between consecutive beads
    (a k-d tree query, O(n log n); no n × n matrix).
    """
    X = np.asarray(X, dtype=np.float64) if X is not None else np.full((1, 3), np.nan)
    if objective is None or not np.isfinite(objective):
        return f"the objective is not finite ({objective})"
    bad = int((~np.isfinite(X)).any(axis=1).sum())
    if bad:
        return f"{bad} bead(s) have NaN or infinite coordinates"
    if X.shape[0] < 2:
        return None
    step = np.linalg.norm(np.diff(X, axis=0), axis=1)
    scale = float(np.median(step))
    if not np.isfinite(scale) or scale <= 0 or float(np.ptp(X, axis=0).max()) <= 0:
        return "the structure collapsed to a point (zero spread)"
    nn = cKDTree(X).query(X, k=2)[0][:, 1]
    close = nn < tol * scale
    if close.any():
        return (f"the structure collapsed: {int(close.sum())} bead(s) coincide with another bead (distance < "
                f"{tol:g} x the median distance between consecutive beads, {scale:.3g})")
    return None


class StructureModel:
    """Base class: ``fit(counts, bias=None, filtered=None)`` → ``structure_`` (n_bins × 3, NaN for filtered bins).

    Parameters
    ----------
    alpha
        Counts-to-distance exponent (< 0); the starting value for models that estimate it.
    beta
        Scale (coverage) factor; ``None`` estimates it.
    use_zero_counts
        Include zero-count pairs in the likelihood (Poisson/NB models; MDS always uses non-zero pairs): ``True``
        (all pairs), ``"intra"`` (all intra-chromosomal pairs + non-zero inter-chromosomal ones; needs ``lengths``
        in ``fit``; for genome-wide maps) or ``False`` (non-zero pairs only, as pastis 0.4).
    n_init
        Number of random starts (uniform in [−1, 1]³); the one with the lowest objective is kept.
    max_iter, ftol, gtol
        L-BFGS-B settings of each structure fit: iteration limit, relative objective change
        ``(f_k − f_{k+1}) / max(|f_k|, |f_{k+1}|, 1)`` below which it stops (2.2e-9 = pastis' factr 1e7), and
        projected-gradient tolerance. Fits run on Laplacian-preconditioned coordinates (see ``_optim.py``).
    zero_pseudocount
        Likelihood models start from MDS; zero-count pairs enter that MDS with this pseudo-count (0: non-zero
        pairs only, as pastis).
    init
        Optional starting structure (n_bins × 3); then ``n_init`` must be 1.
    random_state, n_jobs
        Seeds (one child seed per start, independent of ``n_jobs``) and parallel workers.

    Notes
    -----
    Every start is checked after its fit: a non-finite objective or coordinates, zero spread, or beads that
    coincide (nearest-neighbour distance < ``COLLAPSE_TOL`` × the median consecutive-bead distance) mark the start
    as failed. Failed starts are dropped with a ``RuntimeWarning`` and listed in ``failed_starts_`` (and
    ``extra_["failed_starts"]``); ``structures_``/``objectives_`` hold the successful starts, whose indices are
    ``start_indices_``. When every start fails, ``fit`` raises a ``ValidationError`` naming the starts and reasons.
    """

    method = "base"
    uses_zeros = True

    def __init__(
        self,
        *,
        alpha: float = -3.0,
        beta: float | None = None,
        use_zero_counts: bool = True,
        n_init: int = 1,
        max_iter: int = 10000,
        ftol: float = 2.2e-9,
        gtol: float = 1e-5,
        zero_pseudocount: float = 0.5,
        init=None,
        random_state=0,
        n_jobs: int | None = None,
    ):
        self.alpha = alpha
        self.beta = beta
        self.use_zero_counts = use_zero_counts
        self.n_init = n_init
        self.max_iter = max_iter
        self.ftol = ftol
        self.gtol = gtol
        self.zero_pseudocount = zero_pseudocount
        self.init = init
        self.random_state = random_state
        self.n_jobs = n_jobs

    # subclasses implement _fit_one(pairs, X0) -> dict(X, objective, alpha, beta, n_iter, converged, ...)
    def _fit_one(self, pairs: PairData, X0: np.ndarray) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

    def _prepare(self, counts, bias, filtered, lengths=None) -> PairData:
        zeros = self.use_zero_counts if self.uses_zeros else False
        return make_pairs(counts, bias=bias, filtered=filtered, use_zero_counts=zeros, lengths=lengths)

    def fit(self, counts, y=None, *, bias=None, filtered=None, lengths=None):
        """Infer the structure from raw ``counts`` (and ICE ``bias``; NaN marks filtered bins).

        ``lengths`` (bins per chromosome) enables ``use_zero_counts="intra"`` and per-chromosome preconditioning.
        """
        check_alpha(self.alpha)
        check_beta(self.beta)
        n_init = int(self.n_init)
        if n_init < 1:
            raise ValidationError(f"n_init must be >= 1, got {self.n_init}")
        if int(self.max_iter) < 1:
            raise ValidationError(f"max_iter must be >= 1, got {self.max_iter}")
        mat = as_contact_matrix(counts)
        self._counts_matrix = mat
        pairs = self._prepare(mat, bias, filtered, lengths)
        init = None
        if self.init is not None:
            if n_init != 1:
                raise ValidationError("give either init= or n_init > 1, not both")
            full = check_structure(self.init, name="init", n=pairs.n_bins)
            init = full[pairs.kept]
            if np.isnan(init).any():
                raise ValidationError("init has NaN rows for bins that are kept")
        del self._counts_matrix
        func = partial(_fit_task, model=self, pairs=pairs, init=init)
        results = parallel_map(func, list(range(n_init)), n_jobs=self.n_jobs, random_state=self.random_state,
                               desc=f"{self.method} starts")
        failed = [{"start": k, "reason": res["failed"]} for k, res in enumerate(results) if "failed" in res]
        ok = [k for k, res in enumerate(results) if "failed" not in res]
        if not ok:
            reasons = "; ".join(f"start {f['start']}: {f['reason']}" for f in failed[:5])
            raise ValidationError(
                f"{self.method}: every start failed ({len(failed)} of {n_init}): {reasons}. Likely causes: too few "
                f"counts (or a few pairs with extreme counts) for a structure, or a bad beta={self.beta!r} / "
                f"alpha={self.alpha!r}; check the contact map and leave beta=None to estimate it"
            )
        if failed:
            which = ", ".join(str(f["start"]) for f in failed[:10])
            warnings.warn(f"{self.method}: {len(failed)} of {n_init} start(s) failed and were dropped (start(s) "
                          f"{which}; first reason: {failed[0]['reason']})", RuntimeWarning, stacklevel=2)
        objectives = np.array([results[k]["objective"] for k in ok], dtype=np.float64)
        pos = int(np.argmin(objectives))
        best = ok[pos]
        r = results[best]
        self.structure_ = embed(r["X"], pairs.kept, pairs.n_bins)
        self.structures_ = np.stack([embed(results[k]["X"], pairs.kept, pairs.n_bins) for k in ok])
        self.objectives_ = objectives
        self.start_indices_ = np.asarray(ok, dtype=np.int64)
        self.failed_starts_ = failed
        self.best_init_ = best
        self.objective_ = float(r["objective"])
        self.alpha_ = float(r["alpha"]) if r.get("alpha") is not None else float("nan")
        self.beta_ = float(r["beta"]) if r.get("beta") is not None else float("nan")
        self.n_iter_ = int(r["n_iter"])
        self.converged_ = bool(r["converged"])
        self.message_ = str(r.get("message", ""))
        self.extra_ = {k: v for k, v in r.items() if k not in ("X", "objective", "alpha", "beta", "n_iter", "converged", "message")}
        if failed:
            self.extra_["failed_starts"] = failed
        self.kept_ = pairs.kept
        self.n_pairs_ = int(pairs.i.size)
        return self
