"""Fixtures for the mixOmics comparisons: golden JSON cases, their input CSVs, sign alignment and a report.

Locations (each test skips with a reason when its files are absent):

* golden outputs: ``$POB_MIXOMICS_REF``, else ``tests/reference/mixomics`` (committed), else
  ``<repo>/../shared/reference/mixomics``;
* datasets: ``$POB_DATA_DIR/mixomics/<dataset>/`` or ``<repo>/../shared/datasets/mixomics/<dataset>/``.

The worst relative difference measured per case is printed in pytest's terminal summary.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

_ROOT = Path(__file__).resolve().parents[2]
_SHARED = _ROOT.parent / "shared"

WORST: dict[str, dict[str, float]] = {}


def ref_dir() -> Path:
    env = os.environ.get("POB_MIXOMICS_REF")
    if env:
        return Path(env).expanduser()
    # The golden outputs are committed with the tests; the shared copy is the fallback.
    local = Path(__file__).resolve().parents[1] / "reference" / "mixomics"
    return local if local.is_dir() else _SHARED / "reference" / "mixomics"


def data_dir() -> Path:
    env = os.environ.get("POB_DATA_DIR")
    if env:
        return Path(env).expanduser() / "mixomics"
    return _SHARED / "datasets" / "mixomics"


_CSV_CACHE: dict[Path, pd.DataFrame] = {}


def read_csv(path: Path) -> pd.DataFrame:
    """Bit-exact read of a mixOmics CSV export (cached; callers must not modify the frame)."""
    if path not in _CSV_CACHE:
        if not path.is_file():
            pytest.skip(f"mixOmics dataset file not found: {path} (set POB_DATA_DIR)")
        frame = pd.read_csv(path, index_col=0, float_precision="round_trip", keep_default_na=False, na_values=["NA"])
        frame.index = frame.index.astype(str)
        _CSV_CACHE[path] = frame
    return _CSV_CACHE[path]


@dataclass
class Case:
    """One golden fixture: its JSON and the inputs named in ``r_call`` (DataFrames, or Categoricals for classes)."""

    case_id: str
    raw: dict

    @property
    def outputs(self) -> dict:
        return self.raw["outputs"]

    @property
    def params(self) -> dict:
        return self.raw["params"]

    def input(self, name: str):
        spec = self.raw["inputs"][name]
        frame = read_csv(data_dir() / spec["file"])
        if spec["rows"] != "all":
            frame = frame.iloc[np.asarray(spec["rows"]["index_1based"]) - 1]
        if spec["type"] == "class":
            return pd.Series(pd.Categorical(frame[spec["column"]], categories=spec["levels"]), index=frame.index)
        return frame

    def record(self, what: str, value: float) -> None:
        """Remember a measured relative difference for the terminal report."""
        d = WORST.setdefault(self.case_id, {})
        d[what] = max(d.get(what, 0.0), float(value))


def record(case_id: str, what: str, value: float) -> None:
    """Remember a measured relative difference under any report label (e.g. a variant of a golden case)."""
    d = WORST.setdefault(case_id, {})
    d[what] = max(d.get(what, 0.0), float(value))


_CASE_CACHE: dict[str, Case] = {}


def load_case(case_id: str) -> Case:
    if case_id not in _CASE_CACHE:
        path = ref_dir() / f"{case_id}.json"
        if not path.is_file():
            pytest.skip(f"mixOmics golden fixture not found: {path} (set POB_MIXOMICS_REF)")
        with open(path) as fh:
            _CASE_CACHE[case_id] = Case(case_id, json.load(fh))
    return _CASE_CACHE[case_id]


@pytest.fixture
def case(request) -> Case:
    """Indirectly parametrised with a case id."""
    return load_case(request.param)


def matrix(m: dict) -> np.ndarray:
    """A fixture matrix (row-major, null → NaN)."""
    return np.array(m["data"], dtype=float)


def named(v) -> np.ndarray:
    """A named vector (JSON object) or plain list as an array."""
    return np.array(list(v.values()) if isinstance(v, dict) else v, dtype=float)


def signs(port: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """One sign per component: sign(<port_h, ref_h>) (1 when the product is 0)."""
    s = np.sign(np.sum(port * ref, axis=0))
    s[s == 0] = 1.0
    return s


def rel_diff(port, ref) -> float:
    """max|port − ref| / max|ref| (NaN positions must coincide)."""
    port, ref = np.asarray(port, float), np.asarray(ref, float)
    assert port.shape == ref.shape, (port.shape, ref.shape)
    assert np.array_equal(np.isnan(port), np.isnan(ref))
    ok = ~np.isnan(ref)
    scale = np.max(np.abs(ref[ok])) if ok.any() else 1.0
    return float(np.max(np.abs(port[ok] - ref[ok])) / (scale if scale > 0 else 1.0))


@pytest.fixture(scope="session")
def mx() -> SimpleNamespace:
    """Helpers for the tests (conftest modules are not importable under ``--import-mode=importlib``)."""
    return SimpleNamespace(
        load_case=load_case, matrix=matrix, named=named, signs=signs, rel_diff=rel_diff, read_csv=read_csv,
        data_dir=data_dir, ref_dir=ref_dir, record=record,
    )


@pytest.fixture(autouse=True, scope="module")
def _single_thread_blas():
    """Small matrices: one BLAS thread is faster and avoids over-subscription on shared CI machines."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def pytest_terminal_summary(terminalreporter):
    if not WORST:
        return
    terminalreporter.section("mixOmics 6.35.2 agreement (worst max|Δ|/max|R| per golden case)")
    for case_id in sorted(WORST):
        items = WORST[case_id]
        what = max(items, key=items.get)
        terminalreporter.write_line(f"{case_id:40s} {items[what]:.2e}  ({what}; {len(items)} outputs)")
