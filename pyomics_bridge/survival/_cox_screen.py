r"""Vectorised univariate Cox screen: one Cox model per column of a (samples × genes) matrix, all at once.

For gene :math:`j` with values :math:`x_{ij}` the model is the one-covariate Cox model of
:class:`~pyomics_bridge.survival._cox.CoxPH` (same Efron/Breslow partial likelihood, same R ``coxph``
Newton–Raphson and convergence rule), but no Python loop runs per gene:

1. samples are sorted by time once;
2. for a batch of genes, :math:`r_{ij} = e^{\beta_j x_{ij}}` and the products :math:`r x`, :math:`r x^2` are
   accumulated by **prefix sums over samples** (a blocked scan, see ``_Kernel``), giving the risk-set sums
   :math:`S_0, S_1, S_2` for every (distinct event time, gene) by gathering at the first sample of each time;
3. the tied-event sums :math:`S_m^D` are differences of two prefixes (Efron corrections
   :math:`S_m - \tfrac{k}{d} S_m^D`);
4. log-likelihood, score and information of every gene are column sums, and all :math:`\beta_j` take their
   Newton step together, each with its own step halving and convergence test. Converged genes leave the
   active set. The first evaluation (at :math:`\beta = 0`) needs no exponential and no logarithm: the
   denominators are the risk-set sizes, shared by all genes, so its sums are matrix–vector products.

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

    The samples are taken in order of **decreasing** time, so the risk set of an event time (follow-up >= t) is a
    prefix of the rows, and the same prefix without the tied events at t is a shorter prefix
    (:func:`~pyomics_bridge.survival._cox.risk_sets` puts events before censorings at equal times).

    Prefix sums use a **blocked scan**: the rows are cut into ``K`` blocks of ``m`` rows (``m ≈ √n``) and stored
    as an ``(m, K, genes)`` array, so that ``m`` in-place additions of contiguous ``(K, genes)`` slabs give every
    within-block prefix sum of all blocks and genes at once, and ``K`` additions of ``genes``-vectors give the
    block offsets. Only the prefixes that are needed (one or two per event time) are then gathered. This replaces
    ``cumsum`` along the sample axis, which is slow (strided, sequential) for a samples × genes array, and a
    Python-level running sum over every event time.
    """

    def __init__(self, rs: RiskSets, n: int, efron: bool, block: int | None = None):
        self.n = n
        self.m = m = int(block) if block else int(min(64, max(8, round(np.sqrt(n)))))
        self.K = -(-n // m)
        self.ev = (n - 1 - rs.ev)[::-1].copy()  # event rows in decreasing-time order
        hi = n - rs.start  # risk set of group g = first hi[g] rows
        lo = hi - rs.d.astype(np.int64)  # ... without its tied events
        self.jh, self.kh = self._loc(hi)
        self.hi, self.lo, self.d = hi, lo, rs.d  # per event time (the counts kernel of binary columns uses them)
        self.ev_group, self.frac = rs.ev_group, rs.frac
        # event rows k >= 1 of tied times: Efron interpolates their sums; Breslow repeats the k = 0 term d times
        later = np.concatenate(([False], rs.ev_group[1:] == rs.ev_group[:-1]))
        self.efron = efron and bool(later.any())
        self.mult = None if efron or not later.any() else rs.d
        s0_first = hi.astype(np.float64)  # risk-set sizes = S0 at beta = 0
        v_first = 1.0 / s0_first * (1.0 if self.mult is None else self.mult)
        log_den = float(np.log(s0_first) @ (np.ones(hi.size) if self.mult is None else self.mult))
        acc = np.zeros(n + 1)
        np.add.at(acc, hi, v_first)
        if self.efron:
            g_t = rs.ev_group[later]
            f = rs.frac[later]
            lo_t = lo[g_t]
            self.g_tied = g_t
            self.one_minus_f = (1.0 - f)[:, None]
            self.f_lo = (f * (lo_t > 0))[:, None]  # the prefix of 0 rows is 0
            self.jl, self.kl = self._loc(np.maximum(lo_t, 1))
            s0_tied = (1.0 - f) * hi[g_t] + f * lo_t
            log_den += float(np.log(s0_tied).sum())
            np.add.at(acc, hi[g_t], (1.0 - f) / s0_tied)
            np.add.at(acc, lo_t, f / s0_tied)
            self.inv_s0_tied = (1.0 / s0_tied)[:, None]
        self.inv_s0_first = (1.0 / s0_first)[:, None]
        self.loglik0 = -log_den
        # at beta = 0, sum over event rows of S_m / S0 = w @ x^m, with w_i = sum of 1/S0 over the rows at risk
        self.w0 = np.cumsum(acc[::-1])[::-1][1:]

    def _loc(self, h: np.ndarray):
        """Flat index (row in block × K + block) and block of the last row of the prefix of ``h`` rows."""
        i = np.asarray(h, dtype=np.int64) - 1
        return (i % self.m) * self.K + i // self.m, i // self.m

    def _gather(self, Q: np.ndarray, O: np.ndarray, flat: np.ndarray, blk: np.ndarray) -> np.ndarray:
        out = np.take(Q.reshape(-1, Q.shape[2]), flat, axis=0)
        out += np.take(O, blk, axis=0)
        return out

    def layout(self, X: np.ndarray) -> np.ndarray:
        """``(n, genes)`` in decreasing-time order -> the ``(m, K, genes)`` scan layout (zero padding rows)."""
        b = X.shape[1]
        out = np.zeros((self.K * self.m, b))
        out[:self.n] = X
        return np.ascontiguousarray(out.reshape(self.K, self.m, b).transpose(1, 0, 2))

    @staticmethod
    def _scan(Q: np.ndarray) -> np.ndarray:
        """In place: within-block inclusive prefix sums of ``Q`` (scan layout); returns the block offsets."""
        m, K, W = Q.shape
        for j in range(1, m):  # contiguous (K, W) slabs
            np.add(Q[j - 1], Q[j], out=Q[j])
        O = np.empty((K, W))
        O[0] = 0.0
        tot = Q[m - 1]
        for k in range(1, K):
            np.add(O[k - 1], tot[k - 1], out=O[k])
        return O

    def _prefixes(self, a: np.ndarray):
        """Prefix sums of ``a`` (scan layout, overwritten) at the first event row of every time, and at the tied
        rows (Efron)."""
        Q = a
        O = self._scan(Q)
        first = self._gather(Q, O, self.jh, self.kh)
        if not self.efron:
            return first, None
        lo = self._gather(Q, O, self.jl, self.kl)
        lo *= self.f_lo
        tied = first[self.g_tied]
        tied *= self.one_minus_f
        tied += lo
        return first, tied

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
        """Sums over the event rows of the Efron (or Breslow) terms for ``a = [r | r x | r x^2]`` (scan layout).

        The first event of every time (k = 0, f = 0) uses the plain risk-set sums; only the further tied events
        (k >= 1, Efron) need the interpolation ``(1 - f) S + f S_without_ties``.
        """
        b = a.shape[2] // 3
        first, tied = self._prefixes(a)
        out = self._row_terms(first, b, self.mult)
        if tied is None:
            return out
        return tuple(x + y for x, y in zip(out, self._row_terms(tied, b), strict=True))

    def terms(self, X: np.ndarray, beta: np.ndarray, sum_x_ev: np.ndarray):
        """Log-likelihood, score and information of each column of ``X`` (scan layout) at its ``beta``."""
        m, K, b = X.shape
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            buf = np.empty((m, K, 3 * b))
            r, rx, rxx = buf[..., :b], buf[..., b:2 * b], buf[..., 2 * b:]
            np.multiply(X, beta, out=r)
            np.exp(r, out=r)
            np.multiply(r, X, out=rx)
            np.multiply(rx, X, out=rxx)
            log_den, sum_a1, info = self.sums(buf)
            loglik = beta * sum_x_ev - log_den
            score = sum_x_ev - sum_a1
        return loglik, score, info

    def terms0(self, X: np.ndarray, Xl: np.ndarray, sum_x_ev: np.ndarray):
        """Score and information at beta = 0 (``X``: decreasing-time rows, ``Xl``: its scan layout).

        At beta = 0 the denominators are the risk-set sizes, the same for every gene, so the sums of S1/S0 and
        S2/S0 over the event rows are the products ``w0 @ x`` and ``w0 @ x^2``; only (S1/S0)^2 needs prefix sums.
        """
        with np.errstate(over="ignore", invalid="ignore"):
            score = sum_x_ev - self.w0 @ X
            s2 = self.w0 @ (X * X)
            Q = Xl.copy()
            O = self._scan(Q)
            first = self._gather(Q, O, self.jh, self.kh)
            a1 = first * self.inv_s0_first
            a1 *= a1
            sq = a1.sum(axis=0) if self.mult is None else self.mult @ a1
            if self.efron:
                lo = self._gather(Q, O, self.jl, self.kl)
                lo *= self.f_lo
                tied = first[self.g_tied]
                tied *= self.one_minus_f
                tied += lo
                tied *= self.inv_s0_tied
                tied *= tied
                sq += tied.sum(axis=0)
        return score, s2 - sq


def _newton_step(score, info):
    with np.errstate(divide="ignore", invalid="ignore"):
        step = score / info
    return np.where(np.isfinite(step), step, 0.0)


def _newton(terms, u0: np.ndarray, i0: np.ndarray, loglik0: float, tol: float, max_iter: int,
            out: dict[str, np.ndarray], cols: np.ndarray) -> dict[str, np.ndarray]:
    """Newton–Raphson of many one-covariate Cox models at once, with R ``coxph``'s rules per column.

    ``terms(active, beta)`` returns the log-likelihood, score and information of the columns ``cols[active]`` at
    ``beta``; ``u0``/``i0`` are the score and information of the columns ``cols`` at beta = 0. Results are
    written into ``out`` at ``cols``.
    """
    beta = np.zeros(cols.size)
    new = _newton_step(u0, i0)
    ll_old = np.full(cols.size, loglik0)
    halving = np.zeros(cols.size, dtype=bool)
    active = np.arange(cols.size)
    for it in range(1, max_iter + 1):
        ll, u, info = terms(active, new[active])
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
                ll_b, u_b, i_b = terms(back, beta[back])
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


def _empty_out(m: int) -> dict[str, np.ndarray]:
    return {"coef": np.full(m, np.nan), "info": np.full(m, np.nan), "loglik": np.full(m, np.nan),
            "step": np.full(m, np.nan), "n_iter": np.zeros(m, dtype=np.int64), "converged": np.zeros(m, dtype=bool)}


def _start(out, cols, u0, i0, loglik0, max_iter):
    """Drop columns without information at beta = 0; ``max_iter <= 0``: report beta = 0. Returns the kept mask."""
    ok0 = (i0 > 0) & np.isfinite(i0)
    if max_iter <= 0:
        c = cols[ok0]
        out["coef"][c], out["info"][c], out["loglik"][c] = 0.0, i0[ok0], loglik0
        out["step"][c] = _newton_step(u0[ok0], i0[ok0])
    return ok0


def _screen_batch(task) -> dict[str, np.ndarray]:
    """Fit the univariate Cox model of every column of one batch (sorted samples × genes)."""
    X, kernel, tol, max_iter = task
    n, m = X.shape
    X = X - X.mean(axis=0)
    sum_x_ev = X[kernel.ev].sum(axis=0)
    out = _empty_out(m)
    valid = np.ptp(X, axis=0) > 0
    Xv = X if valid.all() else X[:, valid]
    cols = np.flatnonzero(valid)
    if cols.size == 0:
        return out
    Xl = kernel.layout(Xv)
    u0, i0 = kernel.terms0(Xv, Xl, sum_x_ev[cols])
    ok0 = _start(out, cols, u0, i0, kernel.loglik0, max_iter)
    if not ok0.all():
        Xl, cols, u0, i0 = Xl[:, :, ok0], cols[ok0], u0[ok0], i0[ok0]
    if max_iter <= 0 or cols.size == 0:
        return out
    # Xl holds the columns ``cols`` in the scan layout; ``active`` indexes into them
    sx = sum_x_ev[cols]

    def terms(active, beta):
        return kernel.terms(Xl if active.size == cols.size else Xl[:, :, active], beta, sx[active])

    return _newton(terms, u0, i0, kernel.loglik0, tol, max_iter, out, cols)


def _dispatch(task) -> dict[str, np.ndarray]:
    kind, inner = task
    if kind == 1:
        from ._cox_binary import binary_batch

        return binary_batch(inner)
    return _screen_batch(inner)


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


def cox_screen(X, time, event, *, ties: str = "efron", var_names=None, batch_size: int = 128,
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
        Genes per batch; memory is about ``8 × n_samples × batch_size × 8`` bytes per worker.
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
    ll0 = kernel.loglik0
    # 0/1 columns: the counts kernel (same likelihood, one exponential per column instead of per sample)
    binary = ((arr == 0) | (arr == 1)).all(axis=0) if n else np.zeros(p, dtype=bool)
    groups = [(np.flatnonzero(~binary), int(batch_size)), (np.flatnonzero(binary), 4 * int(batch_size))]
    jobs = [(kind, idx[s:s + size]) for kind, (idx, size) in enumerate(groups) for s in range(0, idx.size, size)]

    def tasks():
        for kind, idx in jobs:
            block = np.asarray(arr[:, idx] if idx.size < p else arr, dtype=np.float64)[rev_order]
            yield (kind, (block, kernel, float(tol), int(max_iter)))

    parts = parallel_map(_dispatch, tasks(), n_jobs=n_jobs, progress=progress, desc="cox_screen")
    res = _empty_out(p)
    for (_, idx), part in zip(jobs, parts, strict=True):
        for k in res:
            res[k][idx] = part[k]
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
