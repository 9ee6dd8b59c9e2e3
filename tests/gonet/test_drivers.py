"""Synthetic GO dataset, tl/pl drivers, workflow, and behaviour without torch."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from pyomics_bridge.datasets._gonet import synthetic_go_phenotype


def test_synthetic_go_phenotype_is_seeded_and_registered():
    a = synthetic_go_phenotype(n_samples=40, n_terms=15, random_state=5)
    b = synthetic_go_phenotype(n_samples=40, n_terms=15, random_state=5)
    np.testing.assert_array_equal(a.X, b.X)
    assert list(a.obs["phenotype"].cat.categories) == ["0", "1"]
    assert a.var["planted"].any() and len(a.uns["synthetic"]["planted_terms"]) == 3
    assert set(a.uns["synthetic"]["truth"]) == {"7", "6", "5", "4", "3", "2"}
    e = synthetic_go_phenotype(n_samples=10, n_terms=15, random_state=5, gene_id="ensembl")
    assert e.var_names.str.startswith("ENSG").mean() > 0.9
    from pyomics_bridge.datasets import load

    c = load("synthetic_go_phenotype", n_samples=40, n_terms=15, random_state=5)
    np.testing.assert_array_equal(c.X, a.X)
    with pytest.raises(ValueError, match="gene_id must be"):
        synthetic_go_phenotype(gene_id="probe")


def test_import_gonet_does_not_import_torch():
    code = ("import sys, pyomics_bridge.gonet, pyomics_bridge.tl._gonet, pyomics_bridge.datasets._gonet;"
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_without_torch_fit_names_the_extra():
    code = (
        # an import hook, as when torch is not installed (sys.modules['torch'] = None breaks scipy's
        # array-API helpers, which look torch up in sys.modules once scikit-learn is imported)
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'torch' or name.startswith('torch.'):\n"
        "            raise ModuleNotFoundError(\"No module named 'torch'\")\n"
        "sys.meta_path.insert(0, Block())\n"
        "import numpy as np\n"
        "from pyomics_bridge.gonet import GONetClassifier, simulate_go_phenotype, load_bundled_layers\n"
        "sim = simulate_go_phenotype(load_bundled_layers(), n_samples=20, n_terms=5)\n"
        "try:\n"
        "    GONetClassifier(sim.layers).fit(sim.X, sim.y)\n"
        "except ImportError as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("MissingExtraError")
    assert "pyomics_bridge[torch]" in out.stdout and "torch==2.13.0" in out.stdout


def test_tl_gonet_and_plot(tmp_path):
    pytest.importorskip("torch")
    import anndata

    from pyomics_bridge.pl._gonet import gonet_terms
    from pyomics_bridge.tl._gonet import gonet

    a = synthetic_go_phenotype(n_samples=120, n_terms=10, random_state=2)
    before = a.copy()
    with pytest.raises(ValueError, match="adata.obs has no column 'nope'"):
        gonet(a, groupby="nope")
    assert "gonet" not in a.uns
    out = gonet(a, groupby="phenotype", max_epochs=3, n_threads=1, copy=True)
    assert "gonet" not in a.uns and a.obs.equals(before.obs)
    res = out.uns["gonet"]
    n_terms = len(res["terms"])
    assert out.obsm["gonet_relevance"].shape == (120, n_terms)
    assert out.obsm["gonet_proba"].shape == (120, 2)
    assert set(out.obs["gonet_split"]) == {"train", "test"}
    assert list(res["class_relevance"].index) == ["0", "1"] and res["params"]["model"] == "hard"
    assert 0 <= res["accuracy_test"] <= 1 and res["n_genes_mapped"] == a.n_vars
    out.write_h5ad(tmp_path / "g.h5ad")
    back = anndata.read_h5ad(tmp_path / "g.h5ad")
    assert list(back.uns["gonet"]["terms"].index) == list(res["terms"].index)
    pytest.importorskip("matplotlib")
    ax = gonet_terms(out, n_terms=5)
    assert len(ax.patches) == 5
    ax = gonet_terms(out, group="1", level=7, n_terms=3)
    assert len(ax.patches) == 3
    with pytest.raises(ValueError, match="unknown group"):
        gonet_terms(out, group="9")
