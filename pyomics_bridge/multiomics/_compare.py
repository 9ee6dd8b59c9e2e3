"""Compare the Python port with mixOmics (``backend="r"``) on one call: agreement per output and time per backend.

Sign alignment follows the golden-fixture rules (``shared/reference/mixomics/README.md``): one sign per component,
shared by every block of the model, ``s_h = sign(<a_h_python, a_h_R>)`` from the first X block's loadings (its
variates when those loadings are all zero); it is applied to ``variates_``, ``loadings_`` and ``loadings_star_``.
``loadings_star_`` with H ≥ 3 is the exception: mixOmics' recursion (quirk 3) is not sign-equivariant, so the
Python side is recomputed at R's signs from its loadings and deflation vectors, as in the golden tests.
Sign-invariant outputs (``explained_variance_``, ``weights_``, ``selected_features_``) are compared as they are.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["compare_backends", "component_signs", "compare_fits", "ALIGNED", "INVARIANT"]

ALIGNED = ("variates_", "loadings_", "loadings_star_")
INVARIANT = ("explained_variance_", "weights_")
COLUMNS = ["output", "attribute", "block", "sign_aligned", "shape_python", "shape_r", "shapes_equal",
           "max_abs_diff", "max_rel_diff", "time_python_s", "time_r_s"]


def _first_x_block(fit) -> str:
    keys = [k for k in fit.loadings_ if k != "Y"]
    return keys[0] if keys else next(iter(fit.loadings_))


def component_signs(python_fit, r_fit) -> np.ndarray:
    """One sign per component (±1), shared by all blocks, that turns the R solution towards the Python one."""
    b = _first_x_block(python_fit)
    H = np.asarray(python_fit.loadings_[b]).shape[1]
    out = np.ones(H)
    for h in range(H):
        for attr in ("loadings_", "variates_"):
            a = np.asarray(getattr(python_fit, attr)[b], float)
            r = np.asarray(getattr(r_fit, attr).get(b), float) if b in getattr(r_fit, attr) else None
            if r is None or r.shape != a.shape:
                continue
            dot = np.nansum(a[:, h] * r[:, h])
            if dot != 0 and np.isfinite(dot):
                out[h] = np.sign(dot)
                break
    return out


def _diff(a: np.ndarray, r: np.ndarray) -> tuple[float, float]:
    """max|a − r| and max|a − r| / max|r| (NaN positions must coincide; otherwise both are inf)."""
    na, nr = np.isnan(a), np.isnan(r)
    if not np.array_equal(na, nr):
        return float("inf"), float("inf")
    ok = ~nr
    if not ok.any():
        return 0.0, 0.0
    d = float(np.max(np.abs(a[ok] - r[ok])))
    scale = float(np.max(np.abs(r[ok])))
    return d, d / (scale if scale > 0 else 1.0)


def _as_blocks(value) -> dict[str, Any]:
    if isinstance(value, pd.DataFrame):
        return {"": value}
    if isinstance(value, Mapping):
        return dict(value)
    return {"": value}


def _selected_rows(py_sel, r_sel) -> list[dict]:
    rows = []
    py_b = py_sel if isinstance(py_sel, Mapping) else {"": py_sel}
    r_b = r_sel if isinstance(r_sel, Mapping) else {"": r_sel}
    for b in py_b:
        if b not in r_b:
            continue
        p_list, r_list = list(py_b[b]), list(r_b[b])
        worst, rel = 0.0, 0.0
        for ps, rs in zip(p_list, r_list, strict=False):
            ps_set, rs_set = {str(x) for x in np.asarray(ps).ravel()}, {str(x) for x in np.asarray(rs).ravel()}
            sym = len(ps_set ^ rs_set)
            worst = max(worst, float(sym))
            rel = max(rel, sym / max(len(rs_set), 1))
        rows.append({"attribute": "selected_features_", "block": b, "sign_aligned": False,
                     "shape_python": (len(p_list),), "shape_r": (len(r_list),),
                     "shapes_equal": len(p_list) == len(r_list), "max_abs_diff": worst, "max_rel_diff": rel})
    return rows


def _star_in_signs(python_fit, block: str, signs: np.ndarray) -> np.ndarray | None:
    """mixOmics' ``loadings.star`` of ``python_fit`` recomputed at R's component signs (``None``: flipping suffices).

    mixOmics 6.35.2 builds ``loadings.star`` with deflation vectors shifted by one component (fixture README,
    quirk 3), so for H ≥ 3 it is *not* sign-equivariant: column h mixes the signs of components h, l and l+1, and
    flipping columns of R's matrix cannot align it. The golden tests' rule is used instead: flip the Python loadings
    and deflation vectors to R's signs and rerun the same recursion
    (:func:`~pyomics_bridge.multiomics.loadings_star_mixomics`). Only for fits with ``deflation_`` (PLS family).
    """
    from ._engine import loadings_star_mixomics

    defl = getattr(python_fit, "deflation_", None)
    if not isinstance(defl, Mapping) or block not in defl or np.all(signs == 1):
        return None
    W = np.asarray(python_fit.loadings_[block], dtype=float)
    P = np.asarray(defl[block], dtype=float)
    if W.ndim != 2 or W.shape[1] < 3 or P.shape != W.shape or W.shape[1] != len(signs):
        return None  # H <= 2: the recursion is the textbook W (P'W)^-1, which a column flip aligns
    return loadings_star_mixomics(W * signs[None, :], P * signs[None, :])


def compare_fits(python_fit, r_fit, *, time_python: float = float("nan"), time_r: float = float("nan"),
                 align: bool = True) -> pd.DataFrame:
    """Agreement of two fitted objects with the same attributes (see :func:`compare_backends` for the columns)."""
    signs = component_signs(python_fit, r_fit) if align else None
    rows: list[dict] = []
    for attr in ALIGNED + INVARIANT:
        if not hasattr(python_fit, attr) or not hasattr(r_fit, attr):
            continue
        py_b, r_b = _as_blocks(getattr(python_fit, attr)), _as_blocks(getattr(r_fit, attr))
        for b, pv in py_b.items():
            if b not in r_b:
                continue
            a = np.asarray(pv, dtype=float)
            r = np.asarray(r_b[b], dtype=float)
            aligned = attr in ALIGNED and signs is not None
            row = {"attribute": attr, "block": b, "sign_aligned": aligned, "shape_python": a.shape,
                   "shape_r": r.shape, "shapes_equal": a.shape == r.shape}
            if a.shape == r.shape:
                star = _star_in_signs(python_fit, b, signs) if attr == "loadings_star_" and aligned else None
                if star is not None and star.shape == r.shape:
                    a = star  # the Python side expressed in R's signs; R's loadings.star compared as returned
                elif aligned and r.ndim == 2 and r.shape[1] == len(signs):
                    r = r * signs[None, :]
                row["max_abs_diff"], row["max_rel_diff"] = _diff(a, r)
            else:
                row["max_abs_diff"] = row["max_rel_diff"] = float("nan")
            rows.append(row)
    if hasattr(python_fit, "selected_features_") and hasattr(r_fit, "selected_features_"):
        rows.extend(_selected_rows(python_fit.selected_features_, r_fit.selected_features_))
    for row in rows:
        row["output"] = row["attribute"] + (f"[{row['block']}]" if row["block"] else "")
        row["time_python_s"] = time_python
        row["time_r_s"] = time_r
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame.attrs["signs"] = None if signs is None else signs.tolist()
    frame.attrs["time_python_s"] = time_python
    frame.attrs["time_r_s"] = time_r
    return frame


def compare_backends(method: str, X, Y=None, /, *, r_backend: Callable[..., Any] | None = None,
                     **params) -> pd.DataFrame:
    """Run one call with the Python estimator and with mixOmics, and report their agreement per output.

    Parameters
    ----------
    method
        ``"pca_mixomics"``, ``"spca"``, ``"pls"``, ``"spls"``, ``"plsda"``, ``"splsda"``, ``"rcc"``,
        ``"block_spls"`` or ``"diablo"`` (see :data:`pyomics_bridge.r.mixomics.METHODS`).
    X, Y
        The inputs of the estimator's ``fit`` (``Y``: responses, class labels, or ``None`` for PCA).
    r_backend
        Replaces the R backend: a callable ``(method, X, Y, **params) -> fitted object`` (for tests, or another
        implementation). Default: :func:`pyomics_bridge.r.mixomics.fit` (mixOmics through rpy2).
    **params
        The estimator's parameters (Python names).

    Returns
    -------
    One row per output and block: ``output``, ``attribute``, ``block``, ``sign_aligned``, ``shape_python``,
    ``shape_r``, ``shapes_equal``, ``max_abs_diff``, ``max_rel_diff`` (max|Δ| / max|R|; for ``selected_features_``
    the largest number of features selected by one backend only, in a component, and that number over the R
    selection size), ``time_python_s``, ``time_r_s`` (wall time of each backend's fit). ``attrs`` holds ``signs``
    (the per-component flips applied to the R side) and both times.

    Raises
    ------
    RUnavailableError
        The default R backend is used and mixOmics (or R) is missing: the message names the install command.
        Nothing is computed in that case.
    """
    from ..r.mixomics import METHODS
    from ..tl._mixomics_backend import fit_with_backend

    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; one of {sorted(METHODS)}")
    if r_backend is None:
        from ..r import mixomics as rmx

        rmx.require_r_package("mixOmics", purpose=f"compare_backends({method!r})")

        def r_backend(m, X_, Y_, **kw):
            return fit_with_backend(m, "r", X_, Y_, **kw)

    t0 = time.perf_counter()
    py_fit = fit_with_backend(method, "python", X, Y, **params)
    t_py = time.perf_counter() - t0
    t0 = time.perf_counter()
    r_fit = r_backend(method, X, Y, **params)
    t_r = time.perf_counter() - t0
    return compare_fits(py_fit, r_fit, time_python=t_py, time_r=t_r)
