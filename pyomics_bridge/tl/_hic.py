"""AnnData drivers for Hi-C contact maps (bins as obs and var): ICE balancing, 3D structure inference, consensus."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from anndata import AnnData

from .. import hic as _hic
from .._conventions import ValidationError, check_data, finish, get_matrix, working_object, write_results
from ..hic import _multiscale as _hic_multiscale


def _contact_matrix(adata: AnnData, layer: str | None):
    check_data(adata)
    if adata.n_obs != adata.n_vars:
        raise ValidationError(f"adata must be a contact map with bins as obs and var; got shape {adata.shape}")
    mat = get_matrix(adata, layer=layer, allow_sparse=True)
    return _hic.as_contact_matrix(mat, name="adata.X" if layer is None else f"adata.layers[{layer!r}]")


def _bias(adata: AnnData, bias_key: str | None) -> np.ndarray | None:
    if bias_key is None:
        return None
    if bias_key not in adata.obs.columns:
        raise ValidationError(
            f"adata.obs has no column {bias_key!r}; run pob.tl.ice(adata) first or pass bias_key=None "
            f"(columns: {list(adata.obs.columns)[:20]})"
        )
    from ..hic._validate import check_bias

    return check_bias(adata.obs[bias_key].to_numpy(dtype=float), adata.n_obs, name=f"adata.obs[{bias_key!r}]")


def ice(
    adata: AnnData,
    *,
    layer: str | None = None,
    filter_method: str = "sum",
    percentage: float = 0.04,
    min_nnz: int = 0,
    ignore_diags: int = 0,
    max_iter: int = 3000,
    eps: float = 1e-4,
    norm: str = "l1",
    on_nonconvergence: str = "warn",
    key_added: str = "ice",
    copy: bool = False,
) -> AnnData | None:
    """ICE balancing (iterative correction) of a contact map, after bin filtering.

    Parameters
    ----------
    adata
        Contact map: bins × bins, ``.X`` (or ``layer``) symmetric raw counts (a triangular matrix is mirrored).
    layer
        Layer with the counts instead of ``.X``.
    filter_method
        ``"sum"`` (drop the ``percentage`` lowest-coverage bins, pastis/iced ``sparsity=False``), ``"sparsity"``
        (drop the bins with the most zeros) or ``"none"``. All-zero bins are always dropped.
    percentage
        Fraction of bins for the filter.
    min_nnz
        Also drop bins with fewer non-zero entries.
    ignore_diags
        Zero the main diagonal and the next ``ignore_diags - 1`` diagonals before balancing (cooler's rule; 0 keeps
        them, as iced).
    max_iter, eps
        Iteration limit; stop when the L1 change of the bias is below ``eps`` (iced's rule).
    norm
        ``"l1"`` (ICE) or ``"l2"``.
    on_nonconvergence
        ``"warn"``, ``"raise"`` or ``"ignore"`` (iced is silent).
    key_added
        Prefix of the ``.obs`` columns and key in ``.uns``.
    copy
        Return a modified copy instead of writing into ``adata``.

    Returns
    -------
    ``None`` (or the copy); sets ``adata.obs[f"{key_added}_bias"]`` (NaN for filtered bins),
    ``adata.obs[f"{key_added}_filtered"]`` and ``adata.uns[key_added]`` (``n_iter``, ``converged``, ``delta``,
    ``row_sum_cv``, ``n_filtered``, ``params``, ``versions``). The balanced matrix is C_ij / (b_i b_j).
    """
    mat = _contact_matrix(adata, layer)
    est = _hic.ICE(
        filter_method=filter_method, percentage=percentage, min_nnz=min_nnz, ignore_diags=ignore_diags,
        max_iter=max_iter, eps=eps, norm=norm, on_nonconvergence=on_nonconvergence,
    ).fit(mat)
    target = working_object(adata, copy=copy)
    write_results(
        target,
        key_added=key_added,
        params={"layer": layer, "filter_method": filter_method, "percentage": percentage, "min_nnz": min_nnz,
                "ignore_diags": ignore_diags, "max_iter": max_iter, "eps": eps, "norm": norm},
        obs={f"{key_added}_bias": est.bias_, f"{key_added}_filtered": est.filtered_},
        uns={"n_iter": est.n_iter_, "converged": est.converged_, "delta": est.delta_,
             "row_sum_cv": est.row_sum_cv_, "n_filtered": int(est.filtered_.sum())},
    )
    return finish(target, copy=copy)


def _check_method(method):
    if method not in _hic.METHODS:
        raise ValidationError(f"method must be one of {list(_hic.METHODS)}, got {method!r}")


def _build_model(method, *, alpha, beta, use_zero_counts, n_init, max_iter, random_state, n_jobs, init=None,
                 dispersion="pearson", pastis_compatible=False, strategy="joint"):
    if method not in _hic.METHODS:
        raise ValidationError(f"method must be one of {list(_hic.METHODS)}, got {method!r}")
    kwargs = {"alpha": alpha, "beta": beta, "use_zero_counts": use_zero_counts, "n_init": n_init,
              "max_iter": max_iter, "random_state": random_state, "n_jobs": n_jobs, "init": init}
    if method == "nb":
        kwargs["dispersion"] = "pearson" if dispersion is None else dispersion
    if method == "pm2":
        kwargs["pastis_compatible"] = pastis_compatible
        kwargs["strategy"] = strategy
    return _hic.METHODS[method](**kwargs)


def _lengths(adata, use_zero_counts):
    """Bins per chromosome from ``.uns["hic"]["chrom_lengths"]`` (in obs order), or ``None``."""
    info = adata.uns.get("hic", {}) if hasattr(adata.uns, "get") else {}
    lengths = info.get("chrom_lengths") if isinstance(info, dict) or hasattr(info, "get") else None
    if not lengths:
        if use_zero_counts == "intra":
            raise ValidationError("use_zero_counts='intra' needs adata.uns['hic']['chrom_lengths'] (bins per "
                                  "chromosome); build the map with pob.hic.contact_anndata or read_cool")
        return None
    values = np.asarray(list(lengths.values()), dtype=np.int64)
    if int(values.sum()) != adata.n_obs:
        if use_zero_counts != "intra":
            return None
        raise ValidationError(f"adata.uns['hic']['chrom_lengths'] sums to {int(values.sum())} bins, expected "
                              f"{adata.n_obs}")
    return values


def _multiscale_factors(multiscale):
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


def _filtered(adata, bias_key):
    if bias_key is None:
        return None
    col = f"{bias_key[:-5]}_filtered" if bias_key.endswith("_bias") else None
    if col and col in adata.obs.columns:
        return adata.obs[col].to_numpy(dtype=bool)
    return None


def infer_structure(
    adata: AnnData,
    *,
    method: str = "pm2",
    layer: str | None = None,
    bias_key: str | None = "ice_bias",
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
    key_added: str | None = None,
    copy: bool = False,
) -> AnnData | None:
    """Infer a consensus 3D structure from a contact map.

    Parameters
    ----------
    adata
        Contact map (bins × bins raw counts in ``.X`` or ``layer``).
    method
        ``"mds"`` (weighted metric MDS of wish distances), ``"nmds"`` (non-metric), ``"pm1"`` (Poisson, α fixed),
        ``"pm2"`` (Poisson, α and β estimated), ``"nb"`` (negative binomial, α fixed, dispersion estimated).
    layer
        Layer with the raw counts instead of ``.X``.
    bias_key
        ``.obs`` column with the ICE bias (NaN = filtered bin, dropped); ``None``: no bias (all 1). When the
        column is missing, run :func:`pyomics_bridge.tl.ice` first or pass ``None``.
    alpha
        Counts-to-distance exponent (< 0); starting value for ``"pm2"``.
    beta
        Scale factor; ``None`` estimates it (MDS/NMDS: β = 1).
    use_zero_counts
        Include zero-count pairs in the Poisson/NB likelihoods (default; strongly better at low coverage);
        ``"intra"``: all intra-chromosomal pairs plus the non-zero inter-chromosomal ones (genome-wide maps; uses
        ``.uns["hic"]["chrom_lengths"]``); ``False``: non-zero pairs only (pastis 0.4).
    dispersion
        NB dispersion r₀: ``"pearson"`` (default; re-estimated alternately with the structure), ``"mle"``,
        ``"moments"`` (Pastis-NB's per-distance fit) or a number.
    n_init
        Random starts; the lowest objective is kept (all objectives are stored).
    max_iter
        L-BFGS-B iteration limit per structure fit.
    strategy
        ``"pm2"`` only: ``"joint"`` (L-BFGS-B over structure and α, β in closed form; default) or ``"alternate"``
        (structure fits and 1-D α solves in turn).
    pastis_compatible
        ``"pm2"`` only: reproduce pastis 0.4.0 (no real alternation). For regression comparisons.
    multiscale
        Coarse-to-fine fit (:class:`pyomics_bridge.hic.Multiscale`), for large and genome-wide maps: coarsening
        factors, e.g. ``10`` (fit with runs of 10 bins merged within each chromosome, interpolate along the
        chromosomes, refine on the original bins) or ``(50, 10)``. ``n_init`` starts apply to the coarsest level;
        coarse levels use every pair (zero counts included), the finest ``use_zero_counts``. ``None``: one level.
    refine_max_iter
        ``multiscale`` only: iteration budget of each refinement level (an integer or one per level, finest last;
        ``None``: ``max_iter``). For genome-wide maps, where one iteration over every intra-chromosomal pair costs
        seconds; a PM2 level whose budget is spent at fixed α keeps the coarser level's α̂ (``converged=False``).
    random_state, n_jobs
        Seed (one child seed per start) and parallel workers; results do not depend on ``n_jobs``.
    key_added
        Output key (default: ``method``): structure in ``.obsm[f"X_{key_added}"]``.
    copy
        Return a modified copy instead of writing into ``adata``.

    Returns
    -------
    ``None`` (or the copy); sets ``adata.obsm[f"X_{key_added}"]`` (n_bins × 3, NaN rows for filtered bins) and
    ``adata.uns[key_added]`` with ``method``, ``objective``, ``objectives`` (per start), ``alpha``, ``beta``,
    ``n_iter``, ``converged``, ``message``, ``n_pairs``, ``dispersion`` (NB), ``alpha_history`` (PM2),
    ``multiscale`` (per level, coarsest first: ``factor``, ``n_beads``, ``n_pairs``, ``n_iter``, ``alpha``,
    ``objective``, ``converged``), ``params``, ``versions``.
    """
    _check_method(method)
    factors = _multiscale_factors(multiscale)
    if refine_max_iter is not None and factors is None:
        raise ValidationError("refine_max_iter applies to multiscale fits only; give multiscale= as well")
    mat = _contact_matrix(adata, layer)
    bias = _bias(adata, bias_key)
    filtered = _filtered(adata, bias_key)
    model = _build_model(method, alpha=alpha, beta=beta, use_zero_counts=use_zero_counts, n_init=n_init,
                         max_iter=max_iter, random_state=random_state, n_jobs=n_jobs, dispersion=dispersion,
                         pastis_compatible=pastis_compatible, strategy=strategy)
    lengths = _lengths(adata, use_zero_counts)
    if factors is not None:
        model = _hic_multiscale.Multiscale(model, factors=factors, refine_max_iter=refine_max_iter,
                                           random_state=random_state)
    model.fit(mat, bias=bias, filtered=filtered, lengths=lengths)
    key = method if key_added is None else key_added
    uns = {"method": method, "objective": model.objective_, "objectives": model.objectives_,
           "alpha": model.alpha_, "beta": model.beta_, "n_iter": model.n_iter_, "converged": model.converged_,
           "message": model.message_, "n_pairs": model.n_pairs_}
    if "dispersion" in model.extra_:
        uns["dispersion"] = float(model.extra_["dispersion"])
    if "alpha_history" in model.extra_:
        uns["alpha_history"] = np.asarray(model.extra_["alpha_history"])
    if factors is not None:
        uns["multiscale"] = {k: np.asarray([lev[k] for lev in model.levels_])
                             for k in ("factor", "n_beads", "n_pairs", "n_iter", "alpha", "objective", "converged")}
    target = working_object(adata, copy=copy)
    write_results(
        target,
        key_added=key,
        params={"method": method, "layer": layer, "bias_key": bias_key, "alpha": alpha, "beta": beta,
                "use_zero_counts": use_zero_counts, "dispersion": dispersion, "n_init": n_init,
                "max_iter": max_iter, "strategy": strategy, "pastis_compatible": pastis_compatible,
                "multiscale": "None" if factors is None else list(factors),
                "refine_max_iter": "None" if refine_max_iter is None else np.atleast_1d(refine_max_iter).tolist(),
                "random_state": random_state},
        obsm={f"X_{key}": model.structure_},
        uns=uns,
    )
    return finish(target, copy=copy)


def consensus_structure(
    adata: AnnData,
    *,
    method: str = "pm2",
    layer: str | None = None,
    bias_key: str | None = "ice_bias",
    alpha: float = -3.0,
    beta: float | None = None,
    use_zero_counts: bool | str = True,
    n_init: int = 5,
    max_iter: int = 10000,
    random_state=0,
    n_jobs: int | None = None,
    key_added: str = "consensus",
    copy: bool = False,
) -> AnnData | None:
    """Several random starts of a structure model: best-likelihood structure plus an aligned consensus.

    Parameters
    ----------
    adata
        Contact map (bins × bins raw counts).
    method, layer, bias_key, alpha, beta, use_zero_counts, max_iter
        As :func:`infer_structure`.
    n_init
        Number of starts (>= 2 for a meaningful variability).
    random_state, n_jobs
        Seed and parallel workers (results do not depend on ``n_jobs``).
    key_added
        Output key.
    copy
        Return a modified copy instead of writing into ``adata``.

    Returns
    -------
    ``None`` (or the copy); sets ``adata.obsm[f"X_{key_added}"]`` (mean of all starts superposed on the best one,
    scale and mirror allowed), ``adata.obsm[f"X_{key_added}_best"]`` (lowest objective),
    ``adata.obs[f"{key_added}_variability"]`` (per-bead RMS deviation of the starts, on the mean-pairwise-distance
    = 100 scale) and ``adata.uns[key_added]`` (``objectives``, ``best_index``, ``rmsd_to_best``, ``alpha``,
    ``beta``, ``params``, ``versions``).
    """
    _check_method(method)
    mat = _contact_matrix(adata, layer)
    bias = _bias(adata, bias_key)
    filtered = _filtered(adata, bias_key)
    if int(n_init) < 1:
        raise ValidationError(f"n_init must be >= 1, got {n_init}")
    model = _build_model(method, alpha=alpha, beta=beta, use_zero_counts=use_zero_counts, n_init=n_init,
                         max_iter=max_iter, random_state=random_state, n_jobs=n_jobs)
    model.fit(mat, bias=bias, filtered=filtered, lengths=_lengths(adata, use_zero_counts))
    cons = _hic.consensus_structures(model.structures_, model.objectives_)
    target = working_object(adata, copy=copy)
    write_results(
        target,
        key_added=key_added,
        params={"method": method, "layer": layer, "bias_key": bias_key, "alpha": alpha, "beta": beta,
                "use_zero_counts": use_zero_counts, "n_init": n_init, "max_iter": max_iter,
                "random_state": random_state},
        obsm={f"X_{key_added}": cons.mean, f"X_{key_added}_best": cons.best},
        obs={f"{key_added}_variability": cons.variability},
        uns={"method": method, "objectives": model.objectives_, "best_index": cons.best_index,
             "rmsd_to_best": cons.rmsd_to_best, "alpha": model.alpha_, "beta": model.beta_},
    )
    return finish(target, copy=copy)
