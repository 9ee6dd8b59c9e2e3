r"""Vectorised univariate Cox screen: one Cox model per column of a (samples × genes) matrix, all at once.

For gene :math:`j` with values :math:`x_{ij}` the model is the one-covariate Cox model of
:class:`~pyomics_bridge.survival._cox.CoxPH` (same Efron/Breslow partial likelihood, same R ``coxph``
Newton–Raphson and convergence rule), but no Python loop runs per gene:

1. samples are sorted by time once;
2. for a batch of genes, :math:`r_{ij} = e^{\beta_j x_{ij}}` and the products :math:`r x`, :math:`r x^2` are
   accumulated by **reverse cumulative sums over samples**, giving the risk-set sums :math:`S_0, S_1, S_2` for
   every (distinct event time, gene) by gathering at the first sample of each time;
3. the tied-event sums :math:`S_m^D` are segment sums over the events of each time (Efron corrections
   :math:`S_m - \tfrac{k}{d} S_m^D`);
4. log-likelihood, score and information of every gene are column sums, and all :math:`\beta_j` take their
   Newton step together, each with its own step halving and convergence test. Converged genes leave the
   active set.

Memory is a few arrays of ``n_samples × batch_size`` float64. Batches may run in parallel
(``n_jobs``, through :func:`pyomics_bridge._parallel.parallel_map`); results do not depend on ``n_jobs`` or
``batch_size``.

Degenerate genes: a constant column (or one whose information at β = 0 is zero, i.e. constant within every risk
set that contains an event) gives NaN estimates with ``converged = False`` and ``n_iter = 0``; R's ``coxph``
returns an NA coefficient there. A diverging coefficient (separation, e.g. a binary gene whose one level has no
events) is reported with its large finite value, ``converged = False``, and one
:class:`~pyomics_bridge.survival._cox.CoxConvergenceWarning` per call counting such genes.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from .._conventions import ValidationError
from .._parallel import parallel_map
from ._cox import TIES, CoxConvergenceWarning, RiskSets, risk_sets
from ._validate import check_survival_data

SCREEN_COLUMNS = ("coef", "se", "z", "p", "hr", "hr_lower", "hr_upper", "loglik", "lr_stat", "lr_p", "n_iter",
                  "converged")


class _Kernel:
    """Risk-set sums per (event time, gene) for one stratum.

    Batch matrices hold the samples in order of **decreasing** time, so the risk set of an event time (follow-up
    >= t) is a prefix of the rows, and the same prefix without the tied events at t is a shorter prefix
    (:func:`~pyomics_bridge.survival._cox.risk_sets` puts events before censorings at equal times). The prefix
    ends needed are sorted into ``bounds``; a sparse segment-indicator product sums the rows between consecutive
    bounds (one nonzero per sample), and a running sum over the few segments gives every prefix sum. This avoids
    ``cumsum`` along the sample axis, which is slow (strided) for a samples × genes array.
    """

    def __init__(self, rs: RiskSets, n: int, efron: bool):
        from scipy import sparse

        self.n = n
        self.ev = (n - 1 - rs.ev)[::-1].copy()  # event rows in decreasing-time order
        hi = n - rs.start  # risk set of group g = first hi[g] rows
        lo = hi - rs.d.astype(np.int64)  # ... without its tied events
        bounds = np.unique(np.concatenate((hi, lo)) if efron else hi)
        bounds = bounds[bounds > 0]
        # segment k = rows [bounds[k-1], bounds[k]); rows past the last bound are never at risk at an event
        rows = np.arange(int(bounds[-1]))
        seg = np.searchsorted(bounds, rows, side="right")
        self.M = sparse.csr_matrix((np.ones(rows.size), (seg, rows)), shape=(bounds.size, n))
        # index into [0-row, cumulative segment sums]
        self.ihi = np.searchsorted(bounds, hi) + 1
        self.ilo = np.where(lo > 0, np.searchsorted(bounds, lo) + 1, 0) if efron else None
        # event rows k >= 1 of tied times: Efron interpolates their sums; Breslow repeats the k = 0 term d times
        later = np.concatenate(([False], rs.ev_group[1:] == rs.ev_group[:-1]))
        self.efron = efron and bool(later.any())
        self.f_tied = rs.frac[later][:, None]
        self.one_minus_f_tied = 1.0 - self.f_tied
        self.ihi_tied = self.ihi[rs.ev_group[later]]
        self.ilo_tied = self.ilo[rs.ev_group[later]] if efron else None
        self.mult = None if efron or not later.any() else rs.d

    def _prefix(self, a: np.ndarray) -> np.ndarray:
        """Zero row followed by the running sums of the segment sums of ``a`` (rows = bounds)."""
        seg = self.M @ a
        out = np.empty((seg.shape[0] + 1, seg.shape[1]))
        out[0] = 0.0
        out[1] = seg[0]
        for k in range(1, seg.shape[0]):  # row-wise running sum: contiguous, unlike cumsum(axis=0)
            np.add(out[k], seg[k], out=out[k + 1])
        return out

    @staticmethod
    def _row_terms(s: np.ndarray, b: int, mult: np.ndarray | None = None):
        """Sums over event rows of log S0, S1/S0 and S2/S0 - (S1/S0)^2 (``s`` = [S0 | S1 | S2], modified).

        ``mult`` repeats each row's terms (Breslow: d tied events share one denominator).
        """
        den, a1, a2 = s[:, :b], s[:, b:2 * b], s[:, 2 * b:]
        log_den = np.log(den)
        np.reciprocal(den, out=den)
        a1 *= den
        a2 *= den
        if mult is None:
            sum_log, sum_a1 = log_den.sum(axis=0), a1.sum(axis=0)
        else:
            sum_log, sum_a1 = mult @ log_den, mult @ a1
        a1 *= a1
        a2 -= a1
        return sum_log, sum_a1, (a2.sum(axis=0) if mult is None else mult @ a2)

    def sums(self, a: np.ndarray):
        """Sums over the event rows of the Efron (or Breslow) terms for ``a = [r | r x | r x^2]``.

        The first event of every time (k = 0, f = 0) uses the plain risk-set sums, gathered once per time; only
        the further tied events (k >= 1, Efron) need the interpolation ``(1 - f) S + f S_without_ties``.
        """
        b = a.shape[1] // 3
        c = self._prefix(a)
        if not self.efron:
            return self._row_terms(c[self.ihi], b, self.mult)
        sk = c[self.ihi_tied]
        sk *= self.one_minus_f_tied
        sk += self.f_tied * c[self.ilo_tied]
        first = self._row_terms(c[self.ihi], b)
        return tuple(x + y for x, y in zip(first, self._row_terms(sk, b), strict=True))

    def terms(self, X: np.ndarray, beta: np.ndarray, sum_x_ev: np.ndarray):
        """Log-likelihood, score and information of each column of ``X`` (decreasing time) at its ``beta``."""
        n, b = X.shape
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            buf = np.empty((n, 3 * b))
            r, rx, rxx = buf[:, :b], buf[:, b:2 * b], buf[:, 2 * b:]
            if np.any(beta):
                np.multiply(X, beta, out=r)
                np.exp(r, out=r)
                np.multiply(r, X, out=rx)
            else:  # beta = 0 (first evaluation): no exp needed
                r.fill(1.0)
                rx[...] = X
            np.multiply(rx, X, out=rxx)
            log_den, sum_a1, info = self.sums(buf)
            loglik = beta * sum_x_ev - log_den
            score = sum_x_ev - sum_a1
        return loglik, score, info


def _newton_step(score, info):
    with np.errstate(divide="ignore", invalid="ignore"):
        step = score / info
    return np.where(np.isfinite(step), step, 0.0)


def _screen_batch(task) -> dict[str, np.ndarray]:
    """Fit the univariate Cox model of every column of one batch (sorted samples × genes)."""
    X, kernel, loglik0, tol, max_iter = task
    n, m = X.shape
    X = X - X.mean(axis=0)
    sum_x_ev = X[kernel.ev].sum(axis=0)
    out = {"coef": np.full(m, np.nan), "info": np.full(m, np.nan), "loglik": np.full(m, np.nan),
           "step": np.full(m, np.nan), "n_iter": np.zeros(m, dtype=np.int64), "converged": np.zeros(m, dtype=bool)}
    _, u0, i0 = kernel.terms(X, np.zeros(m), sum_x_ev)
    valid = (np.ptp(X, axis=0) > 0) & (i0 > 0) & np.isfinite(i0)
    cols = np.flatnonzero(valid)
    if max_iter <= 0 or cols.size == 0:
        if max_iter <= 0:
            out["coef"][cols], out["info"][cols], out["loglik"][cols] = 0.0, i0[cols], loglik0
            out["step"][cols] = _newton_step(u0[cols], i0[cols])
        return out
    # per-column Newton–Raphson state (R coxph rules), restricted to the active columns
    beta = np.zeros(cols.size)
    new = _newton_step(u0[cols], i0[cols])
    ll_old = np.full(cols.size, loglik0)
    halving = np.zeros(cols.size, dtype=bool)
    active = np.arange(cols.size)
    for it in range(1, max_iter + 1):
        Xa = X if active.size == m else X[:, cols[active]]  # all columns valid and active: no copy
        ll, u, info = kernel.terms(Xa, new[active], sum_x_ev[cols[active]])
        ok = np.isfinite(ll) & np.isfinite(info)
        with np.errstate(divide="ignore", invalid="ignore"):
            small = np.where(ll == 0, ll_old[active] == 0, np.abs(1.0 - ll_old[active] / ll) <= tol)
        conv = ok & ~halving[active] & small
        last = it == max_iter
        finish = conv | last
        worse = ~ok | (ll < ll_old[active])
        idx = active[finish]
        c = cols[idx]
        out["coef"][c], out["loglik"][c], out["info"][c] = new[idx], ll[finish], info[finish]
        out["step"][c] = _newton_step(u[finish], info[finish])
        out["n_iter"][c] = it
        out["converged"][c] = conv[finish]
        if last:
            # ran out of iterations on a worse (halving) iterate: report the last accepted one, as CoxPH does
            back = active[~conv & worse]
            if back.size:
                cb = cols[back]
                ll_b, u_b, i_b = kernel.terms(X[:, cb], beta[back], sum_x_ev[cb])
                out["coef"][cb], out["loglik"][cb], out["info"][cb] = beta[back], ll_b, i_b
                out["step"][cb] = _newton_step(u_b, i_b)
            break
        keep = ~finish
        act, w_, ll_k, u_k, i_k = active[keep], worse[keep], ll[keep], u[keep], info[keep]
        hv = act[w_]
        halving[hv] = True
        new[hv] = (new[hv] + beta[hv]) / 2.0
        acc = act[~w_]
        halving[acc] = False
        ll_old[acc] = ll_k[~w_]
        beta[acc] = new[acc]
        new[acc] = beta[acc] + _newton_step(u_k[~w_], i_k[~w_])
        active = act
        if active.size == 0:
            break
    return out


def _as_matrix(X, var_names):
    if isinstance(X, pd.DataFrame):
        names = [str(c) for c in X.columns]
        nonnum = [str(c) for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
        if nonnum:
            raise ValidationError(f"X must be numeric; non-numeric column(s): {nonnum[:10]}")
        arr = X.to_numpy()
        if arr.dtype.kind not in "biuf":  # mixed bool/number columns come back as object
            arr = arr.astype(np.float64)
    else:
        try:
            arr = np.asarray(X)
            if arr.dtype.kind not in "biuf":
                arr = arr.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"X must be a numeric array, got {type(X).__name__}") from exc
        if arr.ndim == 1:
            arr = arr[:, None]
        names = None
    if arr.ndim != 2:
        raise ValidationError(f"X must be 2-dimensional (samples x genes), got shape {arr.shape}")
    if var_names is not None:
        var_names = [str(v) for v in var_names]
        if len(var_names) != arr.shape[1]:
            raise ValidationError(f"var_names has {len(var_names)} names but X has {arr.shape[1]} columns")
        names = var_names
    if names is None:
        names = [f"x{j}" for j in range(arr.shape[1])]
    return arr, names


def cox_screen(X, time, event, *, ties: str = "efron", var_names=None, batch_size: int = 512,
               n_jobs: int | None = None, progress: bool | None = None, tol: float = 1e-9, max_iter: int = 20,
               alpha: float = 0.05) -> pd.DataFrame:
    """Univariate Cox regression of survival on **each** column of ``X``, vectorised over columns.

    Equivalent to ``CoxPH(ties=ties, tol=tol, max_iter=max_iter).fit(X[:, [j]], time, event)`` for every ``j``
    (and to R ``coxph(Surv(time, event) ~ x_j, ties=ties)``), at a few µs per gene.

    Parameters
    ----------
    X
        Samples × genes (array or DataFrame). Missing or non-finite values raise
        :class:`~pyomics_bridge._conventions.ValidationError` naming the columns.
    time, event
        Follow-up times and event indicators.
    ties
        ``"efron"`` (R's default) or ``"breslow"``.
    var_names
        Row labels of the result (default: the DataFrame columns, else ``x0, x1, ...``).
    batch_size
        Genes per batch; memory is about ``12 × n_samples × batch_size × 8`` bytes per worker.
    n_jobs
        Parallel batches (joblib semantics); ``None`` uses ``pob.settings.n_jobs``. Results do not depend on it.
    progress
        Progress bar over batches (``None``: only in an interactive terminal).
    tol, max_iter
        R ``coxph.control(eps, iter.max)``.
    alpha
        1 − confidence level of ``hr_lower``/``hr_upper``.

    Returns
    -------
    pandas.DataFrame
        Indexed by gene, columns ``coef, se, z, p`` (Wald), ``hr, hr_lower, hr_upper``, ``loglik`` (at the
        estimate), ``lr_stat, lr_p`` (likelihood ratio vs. the null model, 1 df), ``n_iter``, ``converged``.
        Constant columns are all-NaN with ``converged = False`` and ``n_iter = 0``.
    """
    if ties not in TIES:
        raise ValidationError(f"ties must be one of {list(TIES)}, got {ties!r}")
    if int(batch_size) != batch_size or batch_size < 1:
        raise ValidationError(f"batch_size must be a positive integer, got {batch_size}")
    if not (0 < alpha < 1):
        raise ValidationError(f"alpha must be in (0, 1), got {alpha}")
    if not tol > 0:
        raise ValidationError(f"tol must be > 0, got {tol}")
    t, e = check_survival_data(time, event)
    arr, names = _as_matrix(X, var_names)
    n, p = arr.shape
    if n != t.size:
        raise ValidationError(f"X has {n} rows but time has {t.size} values")
    if not e.any():
        raise ValidationError("event has no events: the Cox model cannot be fitted")
    if arr.dtype.kind == "f":
        bad = ~np.isfinite(arr).all(axis=0)
        if bad.any():
            bad_cols = np.flatnonzero(bad)
            shown = [names[j] for j in bad_cols[:10]]
            more = f" and {bad_cols.size - 10} more" if bad_cols.size > 10 else ""
            raise ValidationError(f"X has missing or non-finite values in {bad_cols.size} column(s): {shown}{more}")
    rs = risk_sets(t, e, None, np.ones(n), ties)
    kernel = _Kernel(rs, n, ties == "efron")
    rev_order = rs.order[::-1]
    ll0 = float(-kernel.sums(np.ones((n, 3)))[0][0])
    starts = range(0, p, int(batch_size))

    def tasks():
        for s in starts:
            block = np.asarray(arr[:, s:s + batch_size], dtype=np.float64)[rev_order]
            yield (block, kernel, ll0, float(tol), int(max_iter))

    parts = parallel_map(_screen_batch, tasks(), n_jobs=n_jobs, progress=progress, desc="cox_screen")
    res = {k: np.concatenate([part[k] for part in parts]) for k in parts[0]}
    beta, info = res["coef"], res["info"]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        se = 1.0 / np.sqrt(info)
        z = beta / se
        zq = stats.norm.isf(alpha / 2)
        lr = 2.0 * (res["loglik"] - ll0)
        table = pd.DataFrame({
            "coef": beta, "se": se, "z": z, "p": 2.0 * stats.norm.sf(np.abs(z)),
            "hr": np.exp(beta), "hr_lower": np.exp(beta - zq * se), "hr_upper": np.exp(beta + zq * se),
            "loglik": res["loglik"], "lr_stat": lr, "lr_p": stats.chi2.sf(lr, 1),
            "n_iter": res["n_iter"], "converged": res["converged"],
        }, index=pd.Index(names, name="gene"))
        step = np.abs(res["step"])
        infinite = (step > tol) & (step > np.sqrt(tol) * np.abs(beta)) & res["converged"]
    table.loc[infinite, "converged"] = False
    not_conv = int((~table["converged"] & np.isfinite(beta)).sum())
    if not_conv:
        warnings.warn(
            f"cox_screen: {not_conv} column(s) did not converge or have a diverging coefficient (separation, e.g. "
            "a group without events); see the 'converged' column", CoxConvergenceWarning, stacklevel=2,
        )
    return table
