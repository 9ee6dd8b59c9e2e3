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


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory):
    """The full demo (every workflow), run once for the tests that check its output."""
    pytest.importorskip("matplotlib")
    out = tmp_path_factory.mktemp("demo")
    assert main(["demo", "--out", str(out), "--no-r", "--no-progress"]) == 0
    return out


def test_demo_writes_results_and_report(demo_out):
    tmp_path = demo_out
    html = (tmp_path / "report.html").read_text()
    assert "data:image/png;base64," in html and "Kaplan" in html
    assert "R reference skipped" in html
    adata = anndata.read_h5ad(tmp_path / "survival" / "survival.h5ad")
    ref = pob.survival.logrank_test(adata.obs["time"], adata.obs["event"], adata.obs["group"])
    assert adata.uns["logrank"]["statistic"] == pytest.approx(ref.statistic, rel=1e-12)


def test_demo_regulatory_side_by_side(demo_out):
    """The regulatory workflow: TFscope and its baselines on one split, checked against the simulation's truth."""
    import re

    from pyomics_bridge._optional import is_available

    path = demo_out / "regulatory" / "regulatory.h5ad"
    assert path.exists()
    adata = anndata.read_h5ad(path)
    syn, rec = adata.uns["synthetic"], adata.uns["tfscope"]
    comp = adata.uns["tfscope_comparison"]
    expected = {"tfscope_full", "tfscope_core", "tfscope_environment", "tfscope_cofactor", "kmer", "gkm", "oracle"}
    assert set(comp.index) == expected | ({"cnn"} if is_available("torch") else set())
    # every row was scored on TFscope's own split
    split = adata.obs["tfscope_split"].astype(str)
    assert (comp["n_test"] == (split == "test").sum()).all() and (comp["n_train"] == (split == "train").sum()).all()
    for model in ("full", "core", "environment", "cofactor"):
        assert comp.loc[f"tfscope_{model}", "test_auc"] == rec["auc"].loc[model, "test_auc"]
    full = comp.loc["tfscope_full", "test_auc"]
    assert full > 0.6 and full >= comp.loc["kmer", "test_auc"]
    assert comp.loc["oracle", "test_auc"] > full  # the true planted indicators bound any learned model
    # co-factors: the 2 planted stand-ins + all JASPAR2024 CORE vertebrate motifs (or the 30 decoys), 3 windows each
    n_motifs = 2 + (879 if is_available("pyjaspar") else 30)
    features = rec["features"]
    assert (features["family"] == "cofactor").sum() == 3 * n_motifs
    # the planted flank base (G in class A, A in class B, two bases 3' of the core motif) tops the core model
    core = features[features["family"] == "core"]["coef_core"]
    top2 = core.reindex(core.abs().sort_values(ascending=False).index).head(2)
    offset = int(syn["flank_offset"])
    assert set(top2.index) == {f"core[+{offset}]G", f"core[+{offset}]A"}
    assert top2[f"core[+{offset}]G"] > 0 > top2[f"core[+{offset}]A"]
    # the co-factor planted in class B (CEBPx stand-in, or a JASPAR CEBP motif) is a top-5 co-factor, sign -
    cof = features[features["family"] == "cofactor"]["coef_cofactor"]
    top5 = cof.reindex(cof.abs().sort_values(ascending=False).index).head(5)
    assert any("CEBP" in name.upper() and c < 0 for name, c in top5.items())
    html = (demo_out / "report.html").read_text()
    section = html.split("<h2 id='regulatory'>", 1)[1].split("<h2", 1)[0]
    assert section.startswith("Regulatory: TFscope-like differential TF binding on a planted benchmark</h2>")
    captions = re.findall(r"<figure><img alt='[^']*' src='data:image/png;base64,[^']+'><figcaption>([^<]*)", section)
    assert len(captions) == 4
    assert [c.split(":")[0].split(" (")[0] for c in captions] == [
        "Discriminative core model", "Environment features", "Co-factor features", "Held-out ROC per family and full model"]
    assert "Held-out AUC side by side on TFscope&#x27;s split" in section and "tfscope_full" in section
    assert ("CNN baseline skipped" in section) != is_available("torch")


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
