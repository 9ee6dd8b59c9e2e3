"""Import stays light; pob.r.check() works with and without R (checked in subprocesses)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


def _run(code: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)


def _hide(module: str) -> str:
    """Code that makes ``module`` unimportable in a subprocess, as if it were not installed."""
    return (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name == {module!r} or name.startswith({module + '.'!r}):\n"
        "            raise ImportError('hidden for this test')\n"
        "sys.meta_path.insert(0, Block())\n"
    )


def test_import_is_light():
    out = _run("import sys, pyomics_bridge as pob; pob.tl; pob.pp; pob.datasets; pob.r; "
               "print([m for m in ('rpy2', 'torch', 'matplotlib') if m in sys.modules])")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_missing_extra_names_it():
    code = (
        _hide("matplotlib") +
        "import pyomics_bridge as pob, anndata, numpy as np\n"
        "a = anndata.AnnData(np.zeros((4, 1)))\n"
        "a.obs['time'] = [1., 2., 3., 4.]; a.obs['event'] = [1, 0, 1, 1]\n"
        "pob.tl.kaplan_meier(a)\n"
        "try:\n"
        "    pob.pl.kaplan_meier(a)\n"
        "except ImportError as e:\n"
        "    print(e)\n"
    )
    out = _run(code)
    assert "pip install 'pyomics_bridge[plot]'" in out.stdout, out.stdout + out.stderr


_CHECK = "import json, pyomics_bridge as pob; print(json.dumps([c.__dict__ for c in pob.r.check(verbose=False)]))"


def test_check_without_r():
    # no R on PATH, no R_HOME, and rpy2 hidden: check() must still report, not raise
    env = {k: v for k, v in os.environ.items() if k not in ("R_HOME", "PATH")}
    env["PATH"] = os.path.dirname(sys.executable)
    code = (
        _hide("rpy2") + _CHECK.replace("; ", "\n")
    )
    out = _run(code, env=env)
    assert out.returncode == 0, out.stderr
    report = {c["name"]: c for c in json.loads(out.stdout.strip().splitlines()[-1])}
    assert report["R"]["available"] is False and "apt-get install r-base-core" in report["R"]["detail"]
    assert report["rpy2"]["available"] is False
    assert report["survival"]["available"] is False
    assert "r-cran-survival" in report["survival"]["detail"]
    assert "BiocManager::install(\"mixOmics\")" in report["mixOmics"]["detail"]


def test_r_backend_without_rpy2_gives_install_command():
    code = (
        _hide("rpy2") +
        "import pyomics_bridge as pob, anndata, numpy as np\n"
        "a = anndata.AnnData(np.zeros((4, 1)))\n"
        "a.obs['time'] = [1., 2., 3., 4.]; a.obs['event'] = [1, 0, 1, 1]; a.obs['g'] = ['a', 'b', 'a', 'b']\n"
        "try:\n"
        "    pob.tl.logrank(a, groupby='g', backend='r')\n"
        "except ImportError as e:\n"
        "    print(e)\n"
        "print(sorted(a.uns))\n"
    )
    out = _run(code)
    assert "pip install 'pyomics_bridge[r]'" in out.stdout, out.stdout + out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"  # nothing written


@pytest.mark.r
def test_check_with_r(require_r_survival):
    out = _run(_CHECK)
    assert out.returncode == 0, out.stderr
    report = {c["name"]: c for c in json.loads(out.stdout.strip().splitlines()[-1])}
    assert report["R"]["available"] and report["R"]["version"].startswith("4.")
    assert report["rpy2"]["available"], report["rpy2"]
    assert report["survival"]["available"] and report["survival"]["version"]


def test_missing_r_package_error_names_install_command(require_r_survival):
    from pyomics_bridge.r import RUnavailableError, require_r_package

    with pytest.raises(RUnavailableError, match=r"notARealPkg.*install.packages\(\"notARealPkg\"\)"):
        require_r_package("notARealPkg")
