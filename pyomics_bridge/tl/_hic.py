"""AnnData drivers for Hi-C contact maps (bins as obs and var): ICE balancing, 3D structure inference, consensus."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from anndata import AnnData

from .. import hic as _hic
from .._conventions import ValidationError, finish, working_object, write_results
from ..hic import _api


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
    mat = _api.contact_matrix(adata, layer)
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


def hic_structure(
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
    """Infer a 3D structure from a contact-map AnnData (``pob.tl.infer_structure`` is the same function).

    The array-level kernel is :func:`pyomics_bridge.hic.infer_structure` (sparse, dense or AnnData input, returns a
    :class:`~pyomics_bridge.hic.StructureResult`); this driver writes its result into ``adata``.

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
        ``.obs`` column with the ICE bias (NaN = filtered bin, dropped); ``None``: no bias (all 1). The default
        ``"ice_bias"`` is written by :func:`pyomics_bridge.tl.ice`: **run** ``pob.tl.ice(adata)`` **first, or pass
        ``bias_key=None``**; a missing column raises a ``ValidationError`` saying so.
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
    ``objective``, ``converged``), ``n_empty_bins`` and ``empty_bins`` (all-zero rows left out without being marked
    filtered; also warned about), ``failed_starts`` (start indices dropped because their fit failed or collapsed),
    ``params``, ``versions``.

    Raises a ``ValidationError`` for bad input (see :func:`pyomics_bridge.hic.infer_structure`), including
    ``adata.uns["hic"]["chrom_lengths"]`` not summing to the number of bins, and when every start fails.
    """
    factors = _api.multiscale_factors(multiscale)
    res = _api.infer_structure(
        adata, method, alpha=alpha, beta=beta, use_zero_counts=use_zero_counts, dispersion=dispersion,
        n_init=n_init, max_iter=max_iter, strategy=strategy, pastis_compatible=pastis_compatible,
        multiscale=multiscale, refine_max_iter=refine_max_iter, random_state=random_state, n_jobs=n_jobs,
        layer=layer, bias_key=bias_key,
    )
    uns = {"method": method, "objective": res.objective, "objectives": res.objectives, "alpha": res.alpha,
           "beta": res.beta, "n_iter": res.n_iter, "converged": res.converged, "message": res.message,
           "n_pairs": res.n_pairs}
    if "dispersion" in res.extra:
        uns["dispersion"] = float(res.extra["dispersion"])
    if "alpha_history" in res.extra:
        uns["alpha_history"] = np.asarray(res.extra["alpha_history"])
    uns["empty_bins"] = np.asarray(res.extra.get("empty_bins", []), dtype=np.int64)
    uns["n_empty_bins"] = int(uns["empty_bins"].size)
    uns["failed_starts"] = np.asarray([f["start"] for f in res.extra.get("failed_starts", [])], dtype=np.int64)
    if factors is not None:
        uns["multiscale"] = {k: np.asarray([lev[k] for lev in res.extra["levels"]])
                             for k in ("factor", "n_beads", "n_pairs", "n_iter", "alpha", "objective", "converged")}
    key = method if key_added is None else key_added
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
        obsm={f"X_{key}": res.X},
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
    mat = _api.contact_matrix(adata, layer)
    bias = _api.anndata_bias(adata, bias_key)
    filtered = _api.anndata_filtered(adata, bias_key)
    if int(n_init) < 1:
        raise ValidationError(f"n_init must be >= 1, got {n_init}")
    model = _api.build_model(method, alpha=alpha, beta=beta, use_zero_counts=use_zero_counts, n_init=n_init,
                             max_iter=max_iter, random_state=random_state, n_jobs=n_jobs)
    model.fit(mat, bias=bias, filtered=filtered, lengths=_api.anndata_lengths(adata, use_zero_counts))
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


#: Former name of :func:`hic_structure`, kept as an alias.
infer_structure = hic_structure
