"""Reference calls to the R package ``mixOmics`` through rpy2, returning the attributes of the Python estimators.

For every method of :mod:`pyomics_bridge.multiomics` driven by :mod:`pyomics_bridge.tl` there is one entry in
:data:`METHODS` (method → Python estimator → R function → parameter names). :func:`fit` converts the numpy/pandas
inputs to R matrices and factors, calls ``mixOmics::<function>(...)`` with the same parameters as the Python
estimator, and returns an :class:`RFit` exposing the *same* fitted attributes (``variates_``, ``loadings_``,
``loadings_star_``, ``explained_variance_``, ``weights_``, ``selected_features_``, keyed by ``"X"``/``"Y"`` or
block names), so ``backend="r"`` and ``backend="python"`` are interchangeable and comparable number for number.

Output mapping (R field → attribute): ``variates`` → ``variates_``, ``loadings`` → ``loadings_``,
``loadings.star`` → ``loadings_star_``, ``prop_expl_var`` → ``explained_variance_``, ``weights`` → ``weights_``.
Loadings are re-indexed on the input features (features removed by ``near.zero.var`` get zero rows, as in Python).

The conversion uses explicit R vectors inside a local converter: no global ``numpy2ri``/``pandas2ri`` activation.
Call from the main thread or from worker *processes* only (rpy2 is not thread-safe). This module calls mixOmics;
it contains no mixOmics code.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ._session import require_r_package, robjects

__all__ = ["METHODS", "MethodSpec", "RFit", "estimator_for", "fit", "python_defaults", "r_arguments", "r_function_for"]


@dataclass(frozen=True)
class MethodSpec:
    """How one method maps onto mixOmics.

    ``params`` maps each Python estimator parameter to its R argument name; ``None`` marks a parameter that only
    exists in the Python port (it must keep its default for an R fit, or it only affects prediction).
    """

    estimator: str                      # class name in pyomics_bridge.multiomics
    r_function: str                     # mixOmics function
    params: Mapping[str, str | None]
    y: str | None                       # None (no Y), "matrix" (numeric Y) or "factor" (class labels)
    blocks: bool = False                # X is a {block: matrix} mapping
    outputs: tuple[str, ...] = ("variates_", "loadings_", "explained_variance_")
    sparse_estimator: str | None = None  # DIABLO: estimator/function used when keepX is given
    sparse_r_function: str | None = None


_PLS_PARAMS = {"n_components": "ncomp", "mode": "mode", "scale": "scale", "tol": "tol", "max_iter": "max.iter",
               "near_zero_var": "near.zero.var"}
_DA_PARAMS = {"n_components": "ncomp", "scale": "scale", "tol": "tol", "max_iter": "max.iter",
              "near_zero_var": "near.zero.var", "mahalanobis": None}
_BLOCK_PARAMS = {"n_components": "ncomp", "design": "design", "scale": "scale", "tol": "tol", "max_iter": "max.iter",
                 "near_zero_var": "near.zero.var", "init_signs": None}
_TWO = ("variates_", "loadings_", "loadings_star_", "explained_variance_", "selected_features_")
_BLOCK_OUT = ("variates_", "loadings_", "explained_variance_", "weights_", "selected_features_")

#: method (tl driver name) → Python estimator, R function and parameter names. The single source of truth.
METHODS: dict[str, MethodSpec] = {
    "pca_mixomics": MethodSpec("PCA", "pca", {"n_components": "ncomp", "center": "center", "scale": "scale",
                                              "max_iter": "max.iter", "tol": "tol"}, y=None),
    "spca": MethodSpec("SPCA", "spca", {"n_components": "ncomp", "keepX": "keepX", "center": "center",
                                        "scale": "scale", "max_iter": "max.iter", "tol": "tol"}, y=None,
                       outputs=("variates_", "loadings_", "explained_variance_", "selected_features_")),
    "pls": MethodSpec("PLS", "pls", _PLS_PARAMS, y="matrix", outputs=_TWO),
    "spls": MethodSpec("SPLS", "spls", {**_PLS_PARAMS, "keepX": "keepX", "keepY": "keepY"}, y="matrix",
                       outputs=_TWO),
    "plsda": MethodSpec("PLSDA", "plsda", _DA_PARAMS, y="factor", outputs=_TWO),
    "splsda": MethodSpec("SPLSDA", "splsda", {**_DA_PARAMS, "keepX": "keepX"}, y="factor", outputs=_TWO),
    "rcc": MethodSpec("RCC", "rcc", {"n_components": "ncomp", "method": "method", "lambda1": "lambda1",
                                     "lambda2": "lambda2"}, y="matrix"),
    "block_spls": MethodSpec("BlockSPLS", "block.spls", {**_BLOCK_PARAMS, "keepX": "keepX", "keepY": "keepY",
                                                         "mode": "mode"}, y="matrix", blocks=True,
                             outputs=_BLOCK_OUT),
    "diablo": MethodSpec("BlockPLSDA", "block.plsda", {**_BLOCK_PARAMS, "keepX": "keepX", "mahalanobis": None},
                         y="factor", blocks=True, outputs=_BLOCK_OUT, sparse_estimator="BlockSPLSDA",
                         sparse_r_function="block.splsda"),
}


def _spec(method: str) -> MethodSpec:
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; one of {sorted(METHODS)}")
    return METHODS[method]


def r_function_for(method: str, params: Mapping[str, Any] | None = None) -> str:
    """The mixOmics function that :func:`fit` calls for ``method`` with these parameters."""
    spec = _spec(method)
    if spec.sparse_r_function and (params or {}).get("keepX") is not None:
        return spec.sparse_r_function
    return spec.r_function


def estimator_for(method: str, params: Mapping[str, Any] | None = None) -> str:
    """Class name (in :mod:`pyomics_bridge.multiomics`) of the Python estimator of ``method``."""
    spec = _spec(method)
    if spec.sparse_estimator and (params or {}).get("keepX") is not None:
        return spec.sparse_estimator
    return spec.estimator


def python_defaults(method: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Defaults of the Python estimator's parameters (``keepX`` decides the DIABLO estimator)."""
    import inspect

    from .. import multiomics as mo

    cls = getattr(mo, estimator_for(method, params))
    return {k: p.default for k, p in inspect.signature(cls.__init__).parameters.items()
            if k != "self" and p.default is not inspect.Parameter.empty}


def r_arguments(method: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """``{R argument name: Python value}`` for the parameters given (no R needed; Python-only ones dropped).

    Raises ``ValueError`` for a parameter the estimator does not have, and for a Python-only parameter set to a
    value that changes the fit (``init_signs`` other than ``"search"``), which R cannot reproduce.
    """
    spec = _spec(method)
    out: dict[str, Any] = {}
    for name, value in params.items():
        if name not in spec.params:
            raise ValueError(f"{method}: unknown parameter {name!r} (parameters: {sorted(spec.params)})")
        r_name = spec.params[name]
        if r_name is None:
            if name == "init_signs" and not (isinstance(value, str) and value == "search"):
                raise ValueError(f"{method}: init_signs={value!r} has no mixOmics equivalent (R uses its own signs)")
            continue
        if value is None:
            continue  # R default (all features for keepX/keepY)
        out[r_name] = value
    return out


# --------------------------------------------------------------------------- numpy/pandas -> R
def _matrix(ro, arr, what: str, rownames=None, colnames=None):
    frame = arr if isinstance(arr, pd.DataFrame) else None
    a = np.asarray(arr.to_numpy() if frame is not None else arr, dtype=np.float64)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2:
        raise ValueError(f"{what} must be a 2-d matrix, got {a.ndim} dimensions")
    n, p = a.shape
    if colnames is None:
        colnames = [str(c) for c in frame.columns] if frame is not None else [f"{what}_{j + 1}" for j in range(p)]
    if rownames is None:
        rownames = [str(i) for i in frame.index] if frame is not None else [f"s{i + 1}" for i in range(n)]
    m = ro.r["matrix"](ro.FloatVector(a.ravel(order="F")), nrow=n, ncol=p)  # NaN is NA for mixOmics
    m.rownames = ro.StrVector(list(rownames))
    m.colnames = ro.StrVector(list(colnames))
    return m, list(colnames)


def _factor(ro, y):
    from ..multiomics._preprocess import class_levels

    levels = [str(v) for v in class_levels(y)]
    values = y.astype(str).to_numpy() if isinstance(y, pd.Series) else np.asarray(pd.Series(np.asarray(y)).astype(str))
    codes = np.array([levels.index(v) for v in values]) + 1
    fac = ro.r["factor"](ro.IntVector(codes), levels=ro.IntVector(range(1, len(levels) + 1)),
                        labels=ro.StrVector(levels))
    return fac, levels


def _r_value(ro, name: str, value, ncomp: int, features: int | Mapping[str, int] | None):
    """One argument as an R object (keepX/keepY expanded to one value per component, as the estimators do)."""
    if name in ("keepX", "keepY"):
        if isinstance(value, Mapping):
            return ro.ListVector({str(b): _r_value(ro, name, v, ncomp, None) for b, v in value.items()})
        v = [int(value)] * ncomp if np.isscalar(value) else [int(k) for k in value]
        return ro.IntVector(v)
    if name == "design" and not isinstance(value, str) and not np.isscalar(value):
        d = value if isinstance(value, pd.DataFrame) else pd.DataFrame(np.asarray(value, float))
        m, _ = _matrix(ro, d, "design", rownames=[str(i) for i in d.index], colnames=[str(c) for c in d.columns])
        return m
    if isinstance(value, (bool, np.bool_)):
        return ro.BoolVector([bool(value)])
    if isinstance(value, (int, np.integer)):
        return ro.IntVector([int(value)])
    if isinstance(value, (float, np.floating)):
        return ro.FloatVector([float(value)])
    if isinstance(value, str):
        return ro.StrVector([value])
    raise TypeError(f"parameter {name}={value!r} cannot be passed to R")


# --------------------------------------------------------------------------- R -> numpy
def _is_null(ro, obj) -> bool:
    return obj is ro.NULL or (hasattr(obj, "typeof") and str(obj.typeof) == "RTYPES.NILSXP") or \
        type(obj).__name__ == "NULLType"


def _get(ro, lst, name):
    names = list(lst.names) if not _is_null(ro, lst.names) else []
    return lst.rx2(name) if name in names else None


def _to_numpy(ro, obj) -> tuple[np.ndarray, list[str] | None]:
    mat = ro.r["as.matrix"](obj)
    dim = [int(d) for d in ro.r["dim"](mat)]
    values = np.fromiter(ro.r["as.numeric"](mat), dtype=np.float64, count=dim[0] * dim[1])
    rn = ro.r["rownames"](mat)
    return values.reshape(dim, order="F"), (None if _is_null(ro, rn) else [str(r) for r in rn])


def _blocks_of(ro, lst, reindex: Mapping[str, list[str]] | None = None) -> dict[str, np.ndarray]:
    out = {}
    for b in lst.names:
        arr, rn = _to_numpy(ro, lst.rx2(b))
        want = (reindex or {}).get(str(b))
        if want is not None and rn is not None and rn != want:
            arr = pd.DataFrame(arr, index=rn).reindex(want, fill_value=0.0).to_numpy()
        out[str(b)] = arr
    return out


def _vectors_of(ro, lst) -> dict[str, np.ndarray]:
    return {str(b): np.fromiter(ro.r["as.numeric"](lst.rx2(b)), dtype=np.float64) for b in lst.names}


def _r_function(ro, name: str):
    """``mixOmics::<name>`` (one place, so tests can stand in a base-R function when mixOmics is absent)."""
    return ro.r(f"mixOmics::{name}")


class RFit:
    """A mixOmics fit with the fitted attributes of the matching Python estimator.

    Attributes
    ----------
    method, r_function
        The method name (see :data:`METHODS`) and the mixOmics function called.
    params
        The Python parameters used; ``r_arguments`` the R arguments they became.
    variates_, loadings_, loadings_star_, explained_variance_, weights_, selected_features_
        As the Python estimator (only those it has).
    n_components_, classes_ (DA methods), seconds_ (R time of the call), versions_ (R, rpy2, mixOmics),
    r_object_ (the R result itself).
    sdev_, cum_var_, var_tot_, n_iter_, keepX_, keepY_, mat_c_, nzv_, cor_, lambda_, centroids_, design_, crit_,
    ave_
        Read by the :mod:`pyomics_bridge.tl` drivers; set where mixOmics returns the field (``nzv_``: positions of
        the features missing from R's loadings; ``centroids_``: class means of the X variates).
    Not available from R: the Python model state (``_get_state``), ``vip()``, ``predict``.
    """

    def __init__(self, method: str, r_function: str, params: dict, r_arguments: dict) -> None:
        self.method = method
        self.r_function = r_function
        self.params = params
        self.r_arguments = r_arguments

    def __repr__(self) -> str:
        return f"RFit(method={self.method!r}, r_function='mixOmics::{self.r_function}')"


def fit(method: str, X, Y=None, /, **params) -> RFit:
    """Fit ``method`` with ``mixOmics::<function>`` on the same inputs and parameters as the Python estimator.

    Parameters
    ----------
    method
        A key of :data:`METHODS` (``"pca_mixomics"``, ``"spca"``, ``"pls"``, ``"spls"``, ``"plsda"``, ``"splsda"``,
        ``"rcc"``, ``"block_spls"``, ``"diablo"``).
    X
        n × p matrix (array or DataFrame), or ``{block: n × p_b}`` for the block methods.
    Y
        n × q responses (``pls``, ``spls``, ``rcc``, ``block_spls``) or class labels (``plsda``, ``splsda``,
        ``diablo``); ``None`` for PCA.
    **params
        Parameters of the Python estimator (names as in Python; ``method``, ``X`` and ``Y`` above are
        positional-only, so rCCA's own ``method="ridge"`` parameter passes through).

    Raises
    ------
    RUnavailableError
        R, rpy2 or mixOmics is missing (the message gives the install command).
    """
    spec = _spec(method)
    r_arguments(method, params)  # parameter errors before starting R
    # Pass every parameter explicitly, unspecified ones at the Python estimator's default, so that both backends
    # run with the same settings even where the R defaults would differ.
    params = {**python_defaults(method, params), **params}
    args = r_arguments(method, params)
    if spec.y is not None and Y is None:
        raise ValueError(f"{method} needs Y")
    version = require_r_package("mixOmics", purpose=f"backend='r' ({method})")
    ro = robjects()
    from rpy2.robjects.conversion import localconverter

    from ._session import r_versions

    r_name = r_function_for(method, params)
    with localconverter(ro.default_converter):
        ncomp = int(params.get("n_components", 2))
        if spec.blocks:
            if not isinstance(X, Mapping):
                raise TypeError(f"{method}: X must be a {{block: matrix}} mapping")
            feats, mats = {}, {}
            for b, arr in X.items():
                mats[str(b)], feats[str(b)] = _matrix(ro, arr, str(b))
            first = next(iter(X.values()))
            rownames = [str(i) for i in first.index] if isinstance(first, pd.DataFrame) else None
            call_args = {"X": ro.ListVector(mats)}
            if spec.params.get("keepX") and args.get("keepX") is not None:
                kx = {b: args["keepX"].get(b, [mats[b].ncol] * ncomp) for b in mats}
                args["keepX"] = {b: ([int(v)] * ncomp if np.isscalar(v) else v) for b, v in kx.items()}
        else:
            m, cols = _matrix(ro, X, "X")
            rownames = list(m.rownames)
            feats = {"X": cols}
            call_args = {"X": m}
        classes = None
        if spec.y == "matrix":
            ym, ycols = _matrix(ro, Y, "Y", rownames=rownames)
            feats["Y"] = ycols
            call_args["Y"] = ym
        elif spec.y == "factor":
            call_args["Y"], classes = _factor(ro, Y)
            feats["Y"] = classes
        for k, v in args.items():
            call_args[k] = _r_value(ro, k, v, ncomp, None)
        caller = ro.r("function(f, args) suppressMessages(do.call(f, args))")
        t0 = time.perf_counter()
        res = caller(_r_function(ro, r_name), ro.ListVector(call_args))
        seconds = time.perf_counter() - t0

        out = RFit(method, r_name, dict(params), args)
        out.seconds_ = seconds
        out.r_object_ = res
        out.versions_ = {**r_versions(), "R:mixOmics": version}
        variates = _blocks_of(ro, res.rx2("variates"))
        loadings = _blocks_of(ro, res.rx2("loadings"), reindex=feats)
        if "X" in feats and "X" not in loadings and not spec.blocks:
            raise RuntimeError(f"mixOmics::{r_name} returned no X loadings")
        out.variates_ = variates
        out.loadings_ = loadings
        out.n_components_ = next(iter(variates.values())).shape[1]
        pev = _get(ro, res, "prop_expl_var")
        if pev is None:
            pev = _get(ro, res, "explained_variance")
        out.explained_variance_ = _vectors_of(ro, pev) if pev is not None else {}
        if "loadings_star_" in spec.outputs:
            ls = _get(ro, res, "loadings.star")
            if ls is not None:
                star = {}
                names = list(feats)
                for j, b in enumerate(names[:len(ls)]):
                    arr, rn = _to_numpy(ro, ls[j])
                    if rn is not None and rn != feats[b]:
                        arr = pd.DataFrame(arr, index=rn).reindex(feats[b], fill_value=0.0).to_numpy()
                    star[b] = arr
                out.loadings_star_ = star
        if "weights_" in spec.outputs:
            w = _get(ro, res, "weights")
            if w is not None:
                arr, rn = _to_numpy(ro, w)
                comps = [f"comp{h + 1}" for h in range(arr.shape[1])]
                out.weights_ = pd.DataFrame(arr, index=rn or list(feats)[:arr.shape[0]], columns=comps)
        if "selected_features_" in spec.outputs:
            out.selected_features_ = _selected(spec, loadings, feats, X, Y)
        if classes is not None:
            out.classes_ = np.asarray(classes, dtype=object)
        _extras(ro, res, out, spec, feats, Y)
    return out


def _vec(ro, obj) -> np.ndarray:
    return np.fromiter(ro.r["as.numeric"](obj), dtype=np.float64)


def _extras(ro, res, out: RFit, spec: MethodSpec, feats: dict, Y) -> None:
    """Further fitted attributes read by the tl drivers, where mixOmics returns them (absent ones are skipped)."""
    def get(name):
        return _get(ro, res, name)

    for r_name, attr in (("sdev", "sdev_"), ("cum.var", "cum_var_"), ("cor", "cor_")):
        v = get(r_name)
        if v is not None:
            setattr(out, attr, _vec(ro, v))
    v = get("var.tot")
    if v is not None:
        out.var_tot_ = float(_vec(ro, v)[0])
    v = get("iter")
    out.n_iter_ = [] if v is None else [int(i) for i in _vec(ro, v)]
    for r_name, attr in (("keepX", "keepX_"), ("keepY", "keepY_")):
        v = get(r_name)
        if v is None:
            continue
        if spec.blocks and r_name == "keepX" and hasattr(v, "names") and not _is_null(ro, v.names):
            setattr(out, attr, {str(b): [int(k) for k in _vec(ro, v.rx2(b))] for b in v.names})
        else:
            setattr(out, attr, [int(k) for k in _vec(ro, v)])
    v = get("mat.c")
    if v is not None and "X" in feats:
        arr, rn = _to_numpy(ro, v)
        if rn is not None and rn != feats["X"]:
            arr = pd.DataFrame(arr, index=rn).reindex(feats["X"], fill_value=0.0).to_numpy()
        out.mat_c_ = arr
    v = get("lambda")
    if v is not None:
        lam = _vec(ro, v)
        if lam.size == 2:
            out.lambda_ = {"lambda1": float(lam[0]), "lambda2": float(lam[1])}
    v = get("design")
    if v is not None and spec.blocks:
        arr, rn = _to_numpy(ro, v)
        cn = ro.r["colnames"](ro.r["as.matrix"](v))
        out.design_ = pd.DataFrame(arr, index=rn, columns=None if _is_null(ro, cn) else [str(c) for c in cn])
    v = get("crit")
    if v is not None and spec.blocks:
        out.crit_ = [_vec(ro, v[h]) for h in range(len(v))]
    v = get("AVE")
    if v is not None and spec.blocks:
        ave_x = _get(ro, v, "AVE_X")
        out.ave_ = {"X": {} if ave_x is None else _vectors_of(ro, ave_x)}
        for key, r_key in (("outer", "AVE_outer"), ("inner", "AVE_inner")):
            w = _get(ro, v, r_key)
            if w is not None:
                out.ave_[key] = _vec(ro, w)
    # features removed by near.zero.var: those absent from R's loadings (positions in the input, as in Python)
    if spec.blocks:
        out.nzv_ = {b: _missing_rows(ro, res, b, feats[b]) for b in feats if b != "Y"}
    elif "X" in feats:
        out.nzv_ = _missing_rows(ro, res, "X", feats["X"])
    if spec.y == "factor" and "classes_" in out.__dict__:
        codes = np.asarray(pd.Categorical(np.asarray(Y).astype(str) if not isinstance(Y, pd.Series)
                                          else Y.astype(str).to_numpy(), categories=list(out.classes_)).codes)
        dummy = np.eye(len(out.classes_))[codes]
        counts = dummy.sum(axis=0)[:, None]
        if spec.blocks:
            out.centroids_ = {b: (dummy.T @ v) / counts for b, v in out.variates_.items() if b != "Y"}
        else:
            out.centroids_ = (dummy.T @ out.variates_["X"]) / counts


def _missing_rows(ro, res, block: str, names: list[str]) -> np.ndarray:
    lst = res.rx2("loadings")
    if block not in list(lst.names):
        return np.zeros(0, dtype=np.intp)
    rn = ro.r["rownames"](lst.rx2(block))
    if _is_null(ro, rn):
        return np.zeros(0, dtype=np.intp)
    present = {str(r) for r in rn}
    return np.asarray([j for j, n in enumerate(names) if n not in present], dtype=np.intp)


def _selected(spec: MethodSpec, loadings: dict, feats: dict, X, Y) -> Any:
    """Selected features per component, in the layout of the Python estimator (names when the input had them)."""
    def named(b, arr_in):
        return isinstance(arr_in, pd.DataFrame)

    def sel(b, has_names):
        L = loadings[b]
        idx = [np.flatnonzero(L[:, h]) for h in range(L.shape[1])]
        if not has_names:
            return idx
        names = np.asarray(feats[b], dtype=object)
        return [names[i] for i in idx]

    if spec.y is None:  # SPCA: a list
        return sel("X", named("X", X))
    out = {}
    for b in loadings:
        if spec.blocks and b != "Y":
            has = named(b, X[b])
        elif b == "X":
            has = named("X", X)
        else:
            has = spec.y == "factor" or isinstance(Y, pd.DataFrame)  # classes, or named Y columns
        out[b] = sel(b, has)
    return out
