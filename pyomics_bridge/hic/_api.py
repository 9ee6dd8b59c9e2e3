"""One-call entry points on counts: :func:`ice` and :func:`infer_structure`.

They accept a scipy sparse or dense symmetric count matrix, or a contact-map AnnData (bins as obs and var; the
ICE bias, filtered bins and chromosome lengths are then read from ``.obs``/``.uns``), and return plain results.
The AnnData drivers of :mod:`pyomics_bridge.tl` call the same functions and write the results into the object.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from .._conventions import ValidationError, check_data, get_matrix
from ._ice import ICE
from ._mds import MDS, NMDS
from ._multiscale import Multiscale
from ._nb import NegativeBinomialStructure
from ._poisson import PM1, PM2
from ._validate import as_contact_matrix, check_bias

METHODS = {"mds": MDS, "nmds": NMDS, "pm1": PM1, "pm2": PM2, "nb": NegativeBinomialStructure}


@dataclass
class StructureResult:
    """Output of :func:`infer_structure`.

    Attributes
    ----------
    X
        ``(n_bins, 3)`` coordinates; NaN rows for filtered bins.
    alpha, beta
        Counts-to-distance exponent and scale (estimated for ``"pm2"``; β estimated unless given).
    objective
        Objective of the kept start (negative log-likelihood, or stress for MDS).
    converged
        Whether the optimiser met its stopping rule.
    method, n_iter, objectives, message, n_pairs
        Method name, iterations, objective of every start, optimiser message, pairs in the objective.
    extra
        Method-specific values (``dispersion`` for NB, ``alpha_history`` for PM2, ``levels`` for multiscale fits),
        ``empty_bins`` (indices of all-zero rows left out without being marked filtered; a warning names them) and,
        when some starts failed, ``failed_starts`` (``[{"start", "reason"}, ...]``).
    """

    X: np.ndarray
    alpha: float
    beta: float
    objective: float
    converged: bool
    method: str
    n_iter: int
    objectives: np.ndarray
    message: str
    n_pairs: int
    extra: dict = field(default_factory=dict)


class EmptyBinsWarning(UserWarning):
    """Bins with no contacts (all-zero rows) were left out of a structure without being marked as filtered."""


def _silently_empty_bins(mat: sparse.csr_matrix, bias, filtered) -> np.ndarray:
    """Indices of all-zero rows that neither the bias (NaN) nor ``filtered`` marks as filtered."""
    empty = np.diff(mat.indptr) == 0
    if bias is not None:
        empty &= np.isfinite(bias)
    if filtered is not None:
        empty &= ~filtered
    return np.flatnonzero(empty)


def _is_anndata(obj) -> bool:
    from anndata import AnnData

    return isinstance(obj, AnnData)


def contact_matrix(adata, layer: str | None = None) -> sparse.csr_matrix:
    """The symmetric count matrix of a contact-map AnnData (``.X`` or ``layer``), validated."""
    check_data(adata)
    if adata.n_obs != adata.n_vars:
        raise ValidationError(f"adata must be a contact map with bins as obs and var; got shape {adata.shape}")
    mat = get_matrix(adata, layer=layer, allow_sparse=True)
    return as_contact_matrix(mat, name="adata.X" if layer is None else f"adata.layers[{layer!r}]")


def anndata_bias(adata, bias_key: str | None) -> np.ndarray | None:
    """ICE bias from ``adata.obs[bias_key]`` (NaN = filtered bin); ``None`` when ``bias_key`` is ``None``."""
    if bias_key is None:
        return None
    if bias_key not in adata.obs.columns:
        raise ValidationError(
            f"adata.obs has no column {bias_key!r}; run pob.tl.ice(adata) first or pass bias_key=None "
            f"(columns: {list(adata.obs.columns)[:20]})"
        )
    return check_bias(adata.obs[bias_key].to_numpy(dtype=float), adata.n_obs, name=f"adata.obs[{bias_key!r}]")


def anndata_filtered(adata, bias_key: str | None) -> np.ndarray | None:
    """Filtered-bin mask written by :func:`pyomics_bridge.tl.ice` next to ``bias_key``, if any."""
    if bias_key is None:
        return None
    col = f"{bias_key[:-5]}_filtered" if bias_key.endswith("_bias") else None
    if col and col in adata.obs.columns:
        return adata.obs[col].to_numpy(dtype=bool)
    return None


def anndata_lengths(adata, use_zero_counts) -> np.ndarray | None:
    """Bins per chromosome from ``.uns["hic"]["chrom_lengths"]`` (in obs order), or ``None`` when absent.

    Lengths that do not sum to ``adata.n_obs`` (e.g. left over after subsetting the bins) raise a
    ``ValidationError`` in every mode: fix or delete ``adata.uns["hic"]["chrom_lengths"]``.
    """
    info = adata.uns.get("hic", {}) if hasattr(adata.uns, "get") else {}
    lengths = info.get("chrom_lengths") if isinstance(info, dict) or hasattr(info, "get") else None
    if lengths is None or len(lengths) == 0:
        if use_zero_counts == "intra":
            raise ValidationError("use_zero_counts='intra' needs adata.uns['hic']['chrom_lengths'] (bins per "
                                  "chromosome); build the map with pob.hic.contact_anndata or read_cool")
        return None
    if not hasattr(lengths, "values"):
        raise ValidationError(f"adata.uns['hic']['chrom_lengths'] must be a mapping chromosome -> number of bins, "
                              f"got {type(lengths).__name__}")
    try:
        values = np.asarray([int(v) for v in lengths.values()], dtype=np.int64)
    except (TypeError, ValueError):
        raise ValidationError(f"adata.uns['hic']['chrom_lengths'] must map chromosomes to integer numbers of bins, "
                              f"got {dict(lengths)!r}") from None
    if (values < 1).any() or int(values.sum()) != adata.n_obs:
        raise ValidationError(
            f"adata.uns['hic']['chrom_lengths'] sums to {int(values.sum())} bins, expected {adata.n_obs} (one per "
            f"bin of adata; got {dict(lengths)!r}); fix it or delete adata.uns['hic']['chrom_lengths'] "
            f"(e.g. after subsetting the bins)"
        )
    return values


def _check_lengths(lengths, n: int) -> np.ndarray | None:
    if lengths is None:
        return None
    values = np.asarray(lengths)
    if values.ndim != 1 or values.size == 0 or not np.issubdtype(values.dtype, np.number) or (values < 1).any() \
            or not np.array_equal(values, np.round(values)):
        raise ValidationError(f"lengths must be a 1-D sequence of positive integers (bins per chromosome), got "
                              f"{lengths!r}")
    if int(values.sum()) != n:
        raise ValidationError(f"lengths sum to {int(values.sum())} bins, but the contact matrix has {n}")
    return values.astype(np.int64)


def multiscale_factors(multiscale) -> tuple[int, ...] | None:
    """Coarsening factors as a tuple of integers > 1, or ``None``."""
    if multiscale is None:
        return None
    vals = np.atleast_1d(np.asarray(multiscale, dtype=object)).tolist()
    try:
        factors = tuple(int(v) for v in vals if float(v) == int(v))
    except (TypeError, ValueError):
        factors = ()
    if not factors or len(factors) != len(vals) or any(f < 2 for f in factors):
        raise ValidationError(f"multiscale must be None, an integer >= 2 or a sequence of them (coarsening "
                              f"factors), got {multiscale!r}")
    return factors


def build_model(method: str, *, alpha, beta, use_zero_counts, n_init, max_iter, random_state, n_jobs,
                dispersion="pearson", pastis_compatible=False, strategy="joint", multiscale=None,
                refine_max_iter=None):
    """The structure estimator for ``method`` (wrapped in :class:`Multiscale` when ``multiscale`` is given)."""
    if method not in METHODS:
        raise ValidationError(f"method must be one of {list(METHODS)}, got {method!r}")
    factors = multiscale_factors(multiscale)
    if refine_max_iter is not None and factors is None:
        raise ValidationError("refine_max_iter applies to multiscale fits only; give multiscale= as well")
    kwargs = {"alpha": alpha, "beta": beta, "use_zero_counts": use_zero_counts, "n_init": n_init,
              "max_iter": max_iter, "random_state": random_state, "n_jobs": n_jobs}
    if method == "nb":
        kwargs["dispersion"] = "pearson" if dispersion is None else dispersion
    if method == "pm2":
        kwargs["pastis_compatible"] = pastis_compatible
        kwargs["strategy"] = strategy
    model = METHODS[method](**kwargs)
    if factors is not None:
        model = Multiscale(model, factors=factors, refine_max_iter=refine_max_iter, random_state=random_state)
    return model


def ice(
    counts,
    *,
    filter_method: str = "sum",
    percentage: float = 0.04,
    min_nnz: int = 0,
    ignore_diags: int = 0,
    max_iter: int = 3000,
    eps: float = 1e-4,
    norm: str = "l1",
    on_nonconvergence: str = "warn",
    layer: str | None = None,
) -> tuple[sparse.csr_matrix, np.ndarray]:
    """ICE balancing after bin filtering: returns ``(normalised counts, bias)``.

    Parameters
    ----------
    counts
        Symmetric raw counts: scipy sparse or dense ``(n, n)`` (a triangular matrix is mirrored), or a
        contact-map AnnData (``.X`` or ``layer``).
    filter_method, percentage, min_nnz, ignore_diags
        Bin filtering: ``"sum"`` drops the ``percentage`` lowest-coverage bins (iced's default), ``"sparsity"`` the
        bins with most zeros, ``"none"`` none; also bins with fewer than ``min_nnz`` non-zeros; the first
        ``ignore_diags`` diagonals are zeroed. All-zero bins are always dropped.
    max_iter, eps, norm
        Iteration limit, stopping rule on the L1 change of the bias (iced's), ``"l1"`` (ICE) or ``"l2"``.
    on_nonconvergence
        ``"warn"`` (default), ``"raise"`` or ``"ignore"``: iced is silent when it does not converge; we are not.
    layer
        AnnData layer with the counts instead of ``.X``.

    Returns
    -------
    normalised
        CSR matrix C_ij / (b_i b_j) on the kept bins (filtered rows and columns are zero).
    bias
        ``(n,)`` bias vector, NaN for filtered bins (equal to iced's on the same filtered matrix).

    Use :class:`ICE` for the convergence report (``n_iter_``, ``converged_``, ``delta_``, ``row_sum_cv_``).
    """
    mat = contact_matrix(counts, layer) if _is_anndata(counts) else as_contact_matrix(counts)
    est = ICE(filter_method=filter_method, percentage=percentage, min_nnz=min_nnz, ignore_diags=ignore_diags,
              max_iter=max_iter, eps=eps, norm=norm, on_nonconvergence=on_nonconvergence).fit(mat)
    return est.normalized_, est.bias_


def infer_structure(
    counts,
    method: str = "pm2",
    *,
    bias=None,
    lengths: Sequence[int] | None = None,
    filtered=None,
    alpha: float = -3.0,
    beta: float | None = None,
    use_zero_counts: bool | str = True,
    dispersion: float | str | None = "pearson",
    n_init: int = 1,
    max_iter: int = 10000,
    strategy: str = "joint",
    pastis_compatible: bool = False,
    multiscale: int | Sequence[int] | None = None,
    refine_max_iter: int | Sequence[int] | None = None,
    random_state=0,
    n_jobs: int | None = None,
    layer: str | None = None,
    bias_key: str | None = "ice_bias",
) -> StructureResult:
    """Infer a 3D structure (n × 3) from a Hi-C contact map.

    Parameters
    ----------
    counts
        Raw symmetric counts: scipy sparse or dense ``(n, n)``, or a contact-map AnnData (then ``bias`` defaults to
        ``adata.obs[bias_key]``, the filtered bins and chromosome lengths to what :func:`pyomics_bridge.tl.ice` and
        the readers stored).
    method
        ``"mds"``, ``"nmds"``, ``"pm1"`` (Poisson, α fixed), ``"pm2"`` (Poisson, α and β estimated; default) or
        ``"nb"`` (negative binomial, dispersion estimated). See :func:`pyomics_bridge.tl.hic_structure`.
    bias
        ``(n,)`` ICE bias (NaN = filtered bin); ``None``: all ones (or the AnnData's ``bias_key`` column).
    lengths
        Bins per chromosome, summing to n (several chromosomes; needed by ``use_zero_counts="intra"``).
    filtered
        Boolean mask of bins to leave out (NaN coordinates).
    alpha, beta, use_zero_counts, dispersion, n_init, max_iter, strategy, pastis_compatible, multiscale, \
refine_max_iter, random_state, n_jobs
        As in :func:`pyomics_bridge.tl.hic_structure`.
    layer, bias_key
        AnnData input only: the counts layer and the ``.obs`` bias column. The default ``"ice_bias"`` is written by
        :func:`pyomics_bridge.tl.ice`: **run ICE first** (``pob.tl.ice(adata)``) or pass ``bias_key=None`` (no bias,
        all ones); a missing column raises a ``ValidationError`` saying so.

    Returns
    -------
    :class:`StructureResult` with ``.X``, ``.alpha``, ``.beta``, ``.objective``, ``.converged`` and the fit details.

    Raises
    ------
    ValidationError
        Bad input (asymmetric or negative counts, NaN, a bias or ``lengths`` of the wrong length, an AnnData whose
        ``.uns["hic"]["chrom_lengths"]`` does not sum to the number of bins), or when every start failed: a
        non-finite objective or coordinates, or a collapsed structure (coincident beads; typically too few counts,
        a few pairs with extreme counts, or a bad ``beta``). Failed starts among several are dropped with a
        ``RuntimeWarning`` and listed in ``extra["failed_starts"]``.

    Warns
    -----
    EmptyBinsWarning
        All-zero rows not marked as filtered (no bias, or a bias that is finite there) are left out (NaN rows);
        their indices are in ``extra["empty_bins"]``.
    """
    if method not in METHODS:
        raise ValidationError(f"method must be one of {list(METHODS)}, got {method!r}")
    if _is_anndata(counts):
        adata = counts
        mat = contact_matrix(adata, layer)
        if bias is None:
            bias = anndata_bias(adata, bias_key)
            if filtered is None:
                filtered = anndata_filtered(adata, bias_key)
        if lengths is None:
            lengths = anndata_lengths(adata, use_zero_counts)
    else:
        mat = as_contact_matrix(counts)
    n = mat.shape[0]
    if bias is not None:
        bias = check_bias(bias, n, name="bias")
    lengths = _check_lengths(lengths, n)
    if filtered is not None:
        filtered = np.asarray(filtered)
        if filtered.shape != (n,) or filtered.dtype != bool:
            raise ValidationError(f"filtered must be a boolean vector of length {n}, got shape {filtered.shape} "
                                  f"and dtype {filtered.dtype}")
    model = build_model(method, alpha=alpha, beta=beta, use_zero_counts=use_zero_counts, n_init=n_init,
                        max_iter=max_iter, random_state=random_state, n_jobs=n_jobs, dispersion=dispersion,
                        pastis_compatible=pastis_compatible, strategy=strategy, multiscale=multiscale,
                        refine_max_iter=refine_max_iter)
    empty = _silently_empty_bins(mat, bias, filtered)
    model.fit(mat, bias=bias, filtered=filtered, lengths=lengths)
    extra = dict(getattr(model, "extra_", {}) or {})
    extra["empty_bins"] = empty
    if empty.size:
        shown = ", ".join(str(k) for k in empty[:10]) + (", ..." if empty.size > 10 else "")
        warnings.warn(f"{empty.size} bin(s) have no contacts (all-zero rows: {shown}) and were left out: their "
                      f"coordinates are NaN (listed in result.extra['empty_bins']). Run ICE first (it filters "
                      f"them) or pass filtered=", EmptyBinsWarning, stacklevel=2)
    if hasattr(model, "levels_"):
        extra["levels"] = list(model.levels_)
    return StructureResult(
        X=model.structure_, alpha=float(model.alpha_), beta=float(model.beta_), objective=float(model.objective_),
        converged=bool(model.converged_), method=method, n_iter=int(model.n_iter_),
        objectives=np.asarray(model.objectives_, dtype=float), message=str(model.message_),
        n_pairs=int(model.n_pairs_), extra=extra,
    )
