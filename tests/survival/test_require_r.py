"""POB_REQUIRE_R=1 (CI) turns a missing R / R package into a failure instead of a skip."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest


def _root_conftest():
    path = Path(__file__).resolve().parents[1] / "conftest.py"
    spec = importlib.util.spec_from_file_location("pob_tests_root_conftest", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("value", "fails"), [("1", True), ("true", True), ("0", False), ("", False), (None, False)])
def test_missing_r_skips_or_fails(monkeypatch, value, fails):
    conf = _root_conftest()
    if value is None:
        monkeypatch.delenv("POB_REQUIRE_R", raising=False)
    else:
        monkeypatch.setenv("POB_REQUIRE_R", value)
    expected = pytest.fail.Exception if fails else pytest.skip.Exception
    with pytest.raises(expected, match="r-cran-maxstat"):
        conf.skip_or_fail_without_r("the R package 'maxstat' is not installed (apt-get install r-cran-maxstat)")
    assert conf.r_required() is fails
