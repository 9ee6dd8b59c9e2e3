"""R backend (mixOmics through rpy2) vs the Python estimators: agreement and time per family, from compare_backends.

Each case runs :func:`pyomics_bridge.multiomics._compare.compare_backends` ``REPEATS`` times after one warm-up call
(starting R and loading mixOmics is not counted) and keeps the best wall time of each backend. The R time includes
the rpy2 conversions both ways; it is the cost of ``backend="r"`` as a user sees it. Single-threaded BLAS on both
sides (R's BLAS is its own, reference BLAS here). ``worst`` = max|Python − R| / max|R| over variates, loadings,
loadings.star, explained variance and weights after the one-sign-per-component alignment of the fixture README.

Cases: the synthetic inputs of the live tests (24 × 10, two blocks for the block methods, ``tol=1e-30`` for those:
at the default tol R's start signs decide; see tests/multiomics/test_r_backend.py), plus SRBCT sPLS-DA and liver
PLS when ``POB_DATA_DIR`` holds the mixOmics data sets. Needs mixOmics (e.g. ``R_LIBS=/path/to/lib``); otherwise
it says so and writes nothing. Writes ``benchmarks/results/r_backend.json``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPEATS = 3
NUMERIC = ["variates_", "loadings_", "loadings_star_", "explained_variance_", "weights_"]


def _cases():
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "multiomics"))
    import test_r_backend as t  # the live tests' inputs, one definition

    cases = dict(t._live_cases())
    data = os.environ.get("POB_DATA_DIR")
    if data and (Path(data) / "mixomics" / "srbct").is_dir():
        import conftest as c

        X = c.read_csv(c.data_dir() / "srbct" / "gene.csv")
        s = c.read_csv(c.data_dir() / "srbct" / "samples.csv")
        y = pd.Series(pd.Categorical(s.loc[X.index, "class"], categories=["EWS", "BL", "NB", "RMS"]), index=X.index)
        cases["splsda_srbct_keepx50"] = ("splsda", X, y, {"n_components": 3, "keepX": [50, 50, 50]})
        Xl = c.read_csv(c.data_dir() / "liver.toxicity" / "gene.csv")
        Yl = c.read_csv(c.data_dir() / "liver.toxicity" / "clinic.csv").loc[Xl.index]
        cases["pls_liver_regression"] = ("pls", Xl, Yl, {"n_components": 3})
    return cases


def main() -> int:
    from threadpoolctl import threadpool_limits

    from pyomics_bridge.multiomics._compare import compare_backends
    from pyomics_bridge.r import r_package_version

    version = r_package_version("mixOmics")
    if version is None:
        print("mixOmics is not installed for this R (set R_LIBS); nothing written")
        return 1
    out = {"mixOmics": version, "repeats": REPEATS, "loadavg_start": os.getloadavg(), "cases": {}}
    with threadpool_limits(limits=1, user_api="blas"):
        for name, (method, X, Y, params) in _cases().items():
            compare_backends(method, X, Y, **params)  # warm-up
            t_py, t_r, worst, sel = [], [], 0.0, 0
            for _ in range(REPEATS):
                df = compare_backends(method, X, Y, **params)
                t_py.append(df.attrs["time_python_s"])
                t_r.append(df.attrs["time_r_s"])
                worst = max(worst, float(df.loc[df["attribute"].isin(NUMERIC), "max_rel_diff"].max()))
                sel = max(sel, int(df.loc[df["attribute"] == "selected_features_", "max_abs_diff"].max()
                                   if (df["attribute"] == "selected_features_").any() else 0))
            row = {"method": method, "worst_rel_diff": worst, "selected_features_mismatch": sel,
                   "time_python_s": min(t_py), "time_r_s": min(t_r), "r_over_python": min(t_r) / min(t_py),
                   "loadavg": os.getloadavg()[0]}
            out["cases"][name] = row
            print(f"{name:24s} worst {worst:.1e}  python {row['time_python_s']:.4f}s  R {row['time_r_s']:.4f}s  "
                  f"R/python {row['r_over_python']:.1f}  load {row['loadavg']:.2f}")
    out["loadavg_end"] = os.getloadavg()
    out["date"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    path = Path(__file__).resolve().parent / "results" / "r_backend.json"
    path.write_text(json.dumps(out, indent=1, default=lambda o: o.tolist() if isinstance(o, np.ndarray) else str(o)))
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
