"""The pyomics-bridge command: info, demo, run, and one-line errors."""

from __future__ import annotations

import subprocess
import sys

import anndata
import numpy as np
import pytest

import pyomics_bridge as pob
from pyomics_bridge.cli import main


def test_info(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert f"pyomics_bridge {pob.__version__}" in out
    assert "R bridge:" in out and "survival" in out and "[r] rpy2" in out


def test_demo_writes_results_and_report(tmp_path):
    pytest.importorskip("matplotlib")
    assert main(["demo", "--out", str(tmp_path), "--no-r", "--no-progress"]) == 0
    html = (tmp_path / "report.html").read_text()
    assert "data:image/png;base64," in html and "Kaplan" in html
    assert "R reference skipped" in html
    adata = anndata.read_h5ad(tmp_path / "survival" / "survival.h5ad")
    ref = pob.survival.logrank_test(adata.obs["time"], adata.obs["event"], adata.obs["group"])
    assert adata.uns["logrank"]["statistic"] == pytest.approx(ref.statistic, rel=1e-12)


def test_demo_unknown_workflow(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--workflow", "nope"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: unknown workflow(s) ['nope']") and err.count("\n") == 1


def test_run_method_on_file(tmp_path, capsys):
    src = tmp_path / "cohort.h5ad"
    adata = pob.datasets.demo_survival()
    adata.write_h5ad(src)
    out = tmp_path / "out.h5ad"
    assert main(["run", "logrank", "-i", str(src), "-o", str(out), "-p", "groupby=group", "-p", "rho=1"]) == 0
    res = anndata.read_h5ad(out)
    ref = pob.survival.logrank_test(adata.obs["time"], adata.obs["event"], adata.obs["group"], rho=1.0)
    assert res.uns["logrank"]["pvalue"] == pytest.approx(ref.pvalue, rel=1e-12)
    assert res.uns["logrank"]["params"]["rho"] == 1
    np.testing.assert_array_equal(res.X, adata.X)


def test_run_errors_are_one_line(tmp_path, capsys):
    assert main(["run", "logrank", "-i", str(tmp_path / "missing.h5ad"), "-p", "groupby=g"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "missing.h5ad" in err and "Traceback" not in err
    src = tmp_path / "c.h5ad"
    pob.datasets.demo_survival().write_h5ad(src)
    assert main(["run", "logrank", "-i", str(src), "-p", "groupby=stage"]) == 1
    assert "adata.obs has no column 'stage'" in capsys.readouterr().err
    assert main(["run", "unknown_method", "-i", str(src)]) == 1
    assert "unknown method 'unknown_method'" in capsys.readouterr().err


def test_debug_shows_traceback(tmp_path):
    with pytest.raises(Exception, match="missing.h5ad"):
        main(["--debug", "run", "logrank", "-i", str(tmp_path / "missing.h5ad")])


def test_console_script_module_entry():
    out = subprocess.run([sys.executable, "-m", "pyomics_bridge", "run", "logrank", "-i", "/nonexistent.h5ad"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 1
    assert out.stderr.strip().startswith("error:") and len(out.stderr.strip().splitlines()) == 1
