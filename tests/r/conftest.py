"""Shared setup for the R-bridge tests: skip cleanly when R, rpy2 or an R package is missing.

A test module lists the R packages it needs in a module-level ``R_PACKAGES`` tuple; the autouse
fixture below skips the whole module (with the reason) when any of them, R or rpy2 is unavailable.
Every test collected here is marked ``@pytest.mark.r``.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

_HERE = Path(__file__).parent


@functools.cache
def r_skip_reason(packages: tuple[str, ...]) -> str | None:
    """Why R tests needing ``packages`` cannot run, or None when they can (R is started once)."""
    from pyomics_bridge._optional import MissingExtraError
    from pyomics_bridge.r import _session

    try:
        _session.robjects()
    except (MissingExtraError, _session.RUnavailableError) as exc:
        return f"R bridge unavailable: {exc}"
    for pkg in packages:
        if _session.r_package_version(pkg) is None:
            return f"R package {pkg!r} is not installed ({_session.install_hint(pkg)})"
    return None


def pytest_collection_modifyitems(config, items):
    for item in items:
        if _HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.r)


@pytest.fixture(scope="module", autouse=True)
def _require_r(request):
    packages = tuple(getattr(request.module, "R_PACKAGES", ()))
    reason = r_skip_reason(("S4Vectors", "Matrix", *packages))
    if reason is not None:
        pytest.skip(reason)
