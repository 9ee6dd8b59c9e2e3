"""Coarse-to-fine (multiscale) structure inference for large and genome-wide contact maps.

A structure fitted from a random start on tens of thousands of beads needs thousands of expensive iterations
and easily stalls in a tangled fold (with α pushed to a bound). Aggregating the map first removes both problems:

1. **coarsen**: bins are merged in runs of ``factor`` consecutive bins *within each chromosome*; the coarse count
   of two groups is the sum of their counts, and the coarse bias the sum of the members' biases (under
   c_ij ~ Poisson(β b_i b_j d_ij^α), E[C_IJ] = β Σ_{i∈I, j∈J} b_i b_j d_ij^α ≈ β B_I B_J D_IJ^α for groups far apart,
   with B_I = Σ_{i∈I} b_i and D_IJ the distance of the group centres). Filtered bins are left out of the sums.
2. **fit** the model on the coarse map (a few hundred to a few thousand beads: every pair, zero counts included,
   fits in memory) from the model's own start (MDS, random starts);
3. **interpolate** the coarse chain along each chromosome: a group's bead sits at the mean genomic index of its
   members, finer beads are placed linearly between (and beyond, at chromosome ends) the two nearest coarse
   beads of their chromosome, plus a small seeded Gaussian jitter that breaks the collinearity;
4. **refine** at the next finer level, down to the original bins, from that start: for PM2 (α estimated) first
   at fixed α = the coarser level's α̂ (an α estimated on an interpolated chain, whose local geometry is made up,
   is far too close to 0, and a joint fit from there spends most of its iterations dragging α back), then jointly
   in (structure, α) with β profiled. An optional iteration budget per level (``refine_max_iter``) is the
   stopping rule for genome-wide maps, where one iteration over every intra-chromosomal pair costs seconds.

The coarse α̂ is not the fine one (aggregation changes the short-range decay: −3.2 to −3.6 at 5–6 bins per
coarse bead for a simulated −3); the finest level re-estimates it on the original counts unless its budget is
spent at fixed α.
"""

from __future__ import annotations

import inspect
import time

import numpy as np
from scipy import sparse

from .._conventions import ValidationError
from ._validate import as_contact_matrix, check_bias


def _chrom_of(n: int, lengths) -> tuple[np.ndarray, np.ndarray]:
    """(chromosome index per bin, lengths array)."""
    if lengths is None:
        lens = np.array([n], dtype=np.int64)
    else:
        lens = np.asarray(lengths, dtype=np.int64).ravel()
        if lens.size == 0 or (lens <= 0).any() or int(lens.sum()) != n:
            raise ValidationError(f"lengths must be positive and sum to the number of bins ({n}), got "
                                  f"{lens.tolist()[:10]} (sum {int(lens.sum()) if lens.size else 0})")
    return np.repeat(np.arange(lens.size), lens), lens


def group_bins(n: int, factor: int, lengths=None) -> tuple[np.ndarray, np.ndarray]:
    """Group index of every bin (runs of ``factor`` bins within each chromosome) and the coarse lengths."""
    factor = int(factor)
    if factor < 1:
        raise ValidationError(f"coarsening factor must be an integer >= 1, got {factor}")
    chrom, lens = _chrom_of(n, lengths)
    starts = np.concatenate([[0], np.cumsum(lens)[:-1]])
    coarse_lens = -(-lens // factor)  # ceil
    coarse_starts = np.concatenate([[0], np.cumsum(coarse_lens)[:-1]])
    pos = np.arange(n) - starts[chrom]
    return coarse_starts[chrom] + pos // factor, coarse_lens


def coarsen(counts, factor: int, *, lengths=None, bias=None, filtered=None):
    """Aggregate a contact map by ``factor`` consecutive bins within each chromosome.

    Parameters
    ----------
    counts
        Symmetric (or triangular) raw counts, ``(n, n)``.
    factor
        Bins per group (the last group of a chromosome may be shorter).
    lengths
        Bins per chromosome (sum ``n``); ``None``: one chromosome.
    bias
        Per-bin bias (NaN = filtered); ``None``: 1 for every bin.
    filtered
        Optional boolean mask of bins to leave out.

    Returns
    -------
    counts : scipy.sparse.csr_matrix
        ``(m, m)`` summed counts of the kept bins (PᵀCP, P the bins × groups indicator: a group's diagonal entry
        counts its internal pairs twice, as in the symmetric matrix, and row sums are preserved).
    bias : numpy.ndarray
        ``(m,)`` sum of the kept members' biases (scaled to mean 1 over the kept groups); NaN for empty groups.
    lengths : numpy.ndarray
        Groups per chromosome.
    groups : numpy.ndarray
        ``(n,)`` group of every bin (−1 for left-out bins).
    """
    mat = as_contact_matrix(counts)
    n = mat.shape[0]
    b = check_bias(bias, n)
    groups, coarse_lens = group_bins(n, factor, lengths)
    m = int(coarse_lens.sum())
    keep = np.asarray(mat.getnnz(axis=1)) > 0
    if b is not None:
        keep &= np.isfinite(b)
    if filtered is not None:
        f = np.asarray(filtered, dtype=bool).ravel()
        if f.shape[0] != n:
            raise ValidationError(f"filtered has length {f.shape[0]}, expected {n}")
        keep &= ~f
    w = np.where(keep, 1.0 if b is None else np.where(keep, b, 0.0), 0.0)
    cbias = np.bincount(groups, weights=w, minlength=m)
    full = mat.tocoo()
    sel = keep[full.row] & keep[full.col]
    coarse = sparse.csr_matrix((full.data[sel], (groups[full.row[sel]], groups[full.col[sel]])), shape=(m, m))
    coarse.sum_duplicates()  # PᵀCP with P the bins × groups indicator: row sums are preserved
    coarse.sort_indices()
    cbias[cbias <= 0] = np.nan
    cbias /= np.nanmean(cbias)
    out_groups = np.where(keep, groups, -1)
    return coarse, cbias, coarse_lens, out_groups


def _centres(groups: np.ndarray, m: int) -> np.ndarray:
    """Mean (fine) bin index of the kept members of every group (NaN for empty groups)."""
    ok = groups >= 0
    idx = np.flatnonzero(ok).astype(float)
    cnt = np.bincount(groups[ok], minlength=m)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.bincount(groups[ok], weights=idx, minlength=m) / cnt


def interpolate_structure(X_coarse: np.ndarray, coarse_groups: np.ndarray, fine_groups: np.ndarray, *, lengths=None,
                          jitter: float = 0.25, rng=None) -> np.ndarray:
    """Place the beads of a finer level along each chromosome's coarse chain.

    Parameters
    ----------
    X_coarse
        ``(m_coarse, 3)`` coarse structure (NaN rows for empty groups).
    coarse_groups, fine_groups
        Group of every original bin at the coarse and at the finer level (−1 = left out), from :func:`coarsen`.
    lengths
        Bins per chromosome of the original map.
    jitter
        Size of the Gaussian noise added to every bead: its root-mean-square length is ``jitter × s / √r``, with s
        the median distance between consecutive coarse beads and r the number of fine beads per coarse bead (the
        step length of a random walk that spans s in r steps).
    rng
        Seed or ``numpy.random.Generator``.

    Returns
    -------
    ``(m_fine, 3)`` structure, NaN rows for the finer groups without kept bins (or on chromosomes whose coarse
    beads were all left out).
    """
    rng = np.random.default_rng(rng)
    n = coarse_groups.shape[0]
    chrom, _ = _chrom_of(n, lengths)
    m_c = X_coarse.shape[0]
    m_f = int(fine_groups.max()) + 1 if (fine_groups >= 0).any() else 0
    cc = _centres(coarse_groups, m_c)
    fc = _centres(fine_groups, m_f)
    c_chrom = np.full(m_c, -1)
    f_chrom = np.full(m_f, -1)
    c_chrom[coarse_groups[coarse_groups >= 0]] = chrom[coarse_groups >= 0]
    f_chrom[fine_groups[fine_groups >= 0]] = chrom[fine_groups >= 0]
    out = np.full((m_f, 3), np.nan)
    ok_c = np.isfinite(cc) & np.isfinite(X_coarse).all(axis=1)
    for k in np.unique(f_chrom[f_chrom >= 0]):
        src = np.flatnonzero(ok_c & (c_chrom == k))
        dst = np.flatnonzero(np.isfinite(fc) & (f_chrom == k))
        if src.size == 0 or dst.size == 0:
            continue
        order = np.argsort(cc[src], kind="stable")
        src = src[order]
        if src.size == 1:
            out[dst] = X_coarse[src[0]]
            continue
        pos = np.clip(np.searchsorted(cc[src], fc[dst]), 1, src.size - 1)
        a, b = src[pos - 1], src[pos]
        t = (fc[dst] - cc[a]) / (cc[b] - cc[a])
        out[dst] = X_coarse[a] + t[:, None] * (X_coarse[b] - X_coarse[a])
    ok = np.isfinite(out).all(axis=1)
    if jitter and ok.sum() > 1:
        # a chain of `ratio` fine beads spanning one coarse step of length s has steps of about s / √ratio
        # (random-walk scaling), while linear interpolation puts neighbours s / ratio apart on a line: the noise,
        # a fraction of the random-walk step, breaks the collinearity (the local fold is left to the refinement)
        same = np.flatnonzero(ok_c[:-1] & ok_c[1:] & (c_chrom[:-1] == c_chrom[1:]) & (c_chrom[:-1] >= 0))
        step = np.linalg.norm(X_coarse[same + 1] - X_coarse[same], axis=1) if same.size else np.array([])
        step = step[np.isfinite(step) & (step > 0)]
        s = float(np.median(step)) if step.size else 1.0
        ratio = 1.0
        if ok_c.sum() > 1 and np.isfinite(fc).sum() > 1:
            fine_step = max(float(np.nanmedian(np.diff(fc[np.isfinite(fc)]))), 1e-12)
            ratio = max(float(np.nanmedian(np.diff(cc[ok_c]))) / fine_step, 1.0)
        sd = float(jitter) * s / np.sqrt(3.0 * ratio)
        out[ok] += rng.normal(scale=sd, size=(int(ok.sum()), 3))
    return out


def _clone(model, **overrides):
    """A new, unfitted model of the same class with the same constructor arguments (some overridden)."""
    params = {}
    for klass in type(model).__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        for name, p in inspect.signature(init).parameters.items():
            if p.kind is p.KEYWORD_ONLY and name not in params and hasattr(model, name):
                params[name] = getattr(model, name)
    params.update(overrides)
    return type(model)(**params)


def _base_params() -> set:
    from ._base import StructureModel

    return {k for k, p in inspect.signature(StructureModel.__init__).parameters.items() if p.kind is p.KEYWORD_ONLY}


def _levels(factors) -> list[int]:
    if factors is None:
        return [1]
    vals = [factors] if np.isscalar(factors) else list(factors)
    out = []
    for f in vals:
        if not float(f).is_integer() or int(f) < 1:
            raise ValidationError(f"multiscale factors must be integers >= 1, got {factors!r}")
        out.append(int(f))
    out = sorted({f for f in out if f > 1}, reverse=True)
    return out + [1]


class Multiscale:
    """Coarse-to-fine fit of a structure model (see the module docstring).

    Parameters
    ----------
    model
        An unfitted structure model (:class:`~pyomics_bridge.hic.PM2`, ``PM1``, ``NegativeBinomialStructure``,
        ``MDS``...). Its settings are used at every level; its ``n_init`` random starts at the coarsest level only.
    factors
        Coarsening factors (bins merged per coarse bead), e.g. ``10`` or ``(30, 10)``; levels run from the largest
        factor to the original bins (factor 1).
    coarse_zero_counts
        ``use_zero_counts`` of the coarse levels (default ``True``: every pair, the exact likelihood; coarse maps
        are small). The finest level uses the model's own setting (e.g. ``"intra"`` genome-wide).
    jitter
        Noise added to interpolated beads, in units of the random-walk step implied by the coarse chain (see
        :func:`interpolate_structure`); it sets the local scale from which the next level starts.
    fixed_alpha_iter
        PM2 with β estimated: at each refinement level the structure is first fitted at the previous level's α̂
        for at most this many iterations (α estimated on an interpolated chain is far off), then jointly with α.
    refine_max_iter
        Iteration budget of each refinement level (an integer, or one per refinement level, finest last;
        ``None``: the model's ``max_iter``). A level whose budget is spent at fixed α keeps the previous level's α̂
        (reported as ``alpha_``, with ``converged_ = False`` and ``extra_["alpha_fixed"]``). This is the stopping rule for
        genome-wide maps, where one iteration on every intra-chromosomal pair costs seconds.
    random_state
        Seed of the jitter; the coarsest fit uses the model's own ``random_state``.

    Attributes
    ----------
    structure_, alpha_, beta_, objective_, n_iter_, converged_, message_, kept_, n_pairs_, extra_
        Those of the finest fit (``structure_``: ``(n_bins, 3)``, NaN rows for left-out bins).
    levels_
        One dict per level (coarsest first): ``factor``, ``n_beads``, ``n_pairs``, ``n_iter``, ``alpha``,
        ``beta``, ``objective``, ``converged``, ``n_iter_fixed_alpha``, ``cpu_s``, ``wall_s``.
    start_structure_
        The interpolated start of the finest level (``(n_bins, 3)``).
    coarse_structures_
        The structure of every coarser level (``(n_groups, 3)`` arrays, coarsest first).
    """

    def __init__(self, model, *, factors=10, coarse_zero_counts=True, jitter: float = 0.25, fixed_alpha_iter: int = 300,
                 refine_max_iter: int | None = None, random_state=0):
        self.model = model
        self.fixed_alpha_iter = fixed_alpha_iter
        self.refine_max_iter = refine_max_iter
        self.factors = factors
        self.coarse_zero_counts = coarse_zero_counts
        self.jitter = jitter
        self.random_state = random_state

    def _refine(self, C, bias, filtered, lengths, zeros, init, alpha0, cap):
        """One refinement level from an interpolated ``init``: (iterations at fixed α, fitted model)."""
        from ._poisson import PM1

        model = self.model
        cap = int(model.max_iter if cap is None else cap)
        estimates_alpha = (hasattr(model, "strategy") and model.beta is None
                           and not getattr(model, "pastis_compatible", False))
        if not estimates_alpha:
            est = _clone(model, use_zero_counts=zeros, init=init, n_init=1, alpha=alpha0, max_iter=cap)
            est.fit(C, bias=bias, filtered=filtered, lengths=lengths)
            return 0, est
        # PM2: structure at the coarse α̂ first. α estimated on an interpolated chain is far off (its local
        # geometry is made up), and a joint fit from there spends most of its iterations dragging α back.
        base = {k: getattr(model, k) for k in _base_params() if hasattr(model, k)}
        base.update(alpha=alpha0, beta=None, use_zero_counts=zeros, init=init, n_init=1,
                    max_iter=max(min(int(self.fixed_alpha_iter), cap), 1))
        pm1 = PM1(mds_init=False, **base).fit(C, bias=bias, filtered=filtered, lengths=lengths)
        rest = cap - int(pm1.n_iter_)
        if rest > 0:
            est = _clone(model, use_zero_counts=zeros, init=pm1.structure_, n_init=1, alpha=alpha0, max_iter=rest)
            est.fit(C, bias=bias, filtered=filtered, lengths=lengths)
            return int(pm1.n_iter_), est
        # budget spent at fixed α: α stays at the previous level's estimate (a profile estimate on a partly relaxed
        # structure is biased towards 0, as its local geometry is still the interpolated one); β is β̂(α) of the
        # start, the objective the NLL at (α, β)
        pm1.converged_ = False
        pm1.message_ = (f"refinement budget of {cap} iterations spent at fixed alpha = {alpha0:.4g} (the previous "
                        f"level's estimate); {pm1.message_}")
        pm1.extra_ = {**pm1.extra_, "alpha_fixed": True}
        n_fixed, pm1.n_iter_ = int(pm1.n_iter_), 0
        return n_fixed, pm1

    def fit(self, counts, y=None, *, bias=None, filtered=None, lengths=None):
        """Fit level by level; ``lengths`` (bins per chromosome) keeps groups and interpolation within chromosomes."""
        if getattr(self.model, "init", None) is not None:
            raise ValidationError("the model given to Multiscale must not have init= (the coarse levels provide it)")
        if not float(self.jitter) >= 0:
            raise ValidationError(f"jitter must be >= 0, got {self.jitter}")
        levels = _levels(self.factors)
        caps = self.refine_max_iter
        if caps is None or np.isscalar(caps):
            caps = [caps] * (len(levels) - 1)
        caps = list(caps)
        if len(caps) != len(levels) - 1 or any(c is not None and int(c) < 1 for c in caps):
            raise ValidationError(f"refine_max_iter must be None, an integer >= 1 or one per refinement level "
                                  f"({len(levels) - 1}), got {self.refine_max_iter!r}")
        mat = as_contact_matrix(counts)
        n = mat.shape[0]
        b = check_bias(bias, n)
        _chrom_of(n, lengths)
        rng = np.random.default_rng(self.random_state)
        prev = None  # (X of the previous level, its groups)
        self.levels_, self.coarse_structures_ = [], []
        fitted = None
        for factor in levels:
            w0, c0 = time.perf_counter(), time.process_time()
            if factor > 1:
                C, lb, llen, groups = coarsen(mat, factor, lengths=lengths, bias=b, filtered=filtered)
                lf = None
                zeros = self.coarse_zero_counts
            else:
                C, lb, llen, lf = mat, b, lengths, filtered
                groups = np.arange(n)
                drop = np.asarray(mat.getnnz(axis=1)) == 0
                if b is not None:
                    drop |= ~np.isfinite(b)
                if filtered is not None:
                    drop |= np.asarray(filtered, dtype=bool).ravel()
                groups = np.where(drop, -1, groups)
                zeros = self.model.use_zero_counts
            if prev is None:  # coarsest level: the model's own start (MDS, n_init random starts)
                pre_iter = 0
                est = _clone(self.model, use_zero_counts=zeros).fit(C, bias=lb, filtered=lf, lengths=llen)
            else:
                init = interpolate_structure(prev[0], prev[1], groups, lengths=lengths, jitter=self.jitter, rng=rng)
                full = np.full((C.shape[0], 3), np.nan)
                full[: init.shape[0]] = init
                full = _fill_missing(full, rng)
                self.start_structure_ = full
                alpha0 = fitted.alpha_ if np.isfinite(getattr(fitted, "alpha_", np.nan)) else self.model.alpha
                pre_iter, est = self._refine(C, lb, lf, llen, zeros, full, float(alpha0), caps[len(self.levels_) - 1])
            fitted = est
            self.levels_.append({"factor": factor, "n_beads": int(est.kept_.size), "n_pairs": int(est.n_pairs_),
                                 "n_iter": int(est.n_iter_) + pre_iter, "alpha": float(est.alpha_), "beta": float(est.beta_),
                                 "objective": float(est.objective_), "converged": bool(est.converged_),
                                 "n_iter_fixed_alpha": pre_iter,
                                 "cpu_s": time.process_time() - c0, "wall_s": time.perf_counter() - w0})
            if factor > 1:
                self.coarse_structures_.append(est.structure_)
            prev = (est.structure_, groups)
        for name in ("structure_", "alpha_", "beta_", "objective_", "objectives_", "n_iter_", "converged_",
                     "message_", "kept_", "n_pairs_", "extra_"):
            setattr(self, name, getattr(fitted, name))
        self.structures_ = fitted.structures_
        return self


def _fill_missing(init: np.ndarray, rng) -> np.ndarray:
    """Rows without an interpolated position (left-out beads, which the model ignores, or beads of a chromosome
    whose coarse beads were all dropped) start at the centre of the structure plus noise: ``init`` then has no
    NaN row for any bead the model keeps."""
    bad = ~np.isfinite(init).all(axis=1)
    if bad.any() and (~bad).any():
        init = init.copy()
        spread = float(np.std(init[~bad])) or 1.0
        init[bad] = init[~bad].mean(axis=0) + rng.normal(scale=0.1 * spread, size=(int(bad.sum()), 3))
    return init


__all__ = ["Multiscale", "coarsen", "group_bins", "interpolate_structure"]
