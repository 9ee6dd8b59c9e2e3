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


def test_tl_gonet_bad_input_classes_and_coverage():
    pytest.importorskip("torch")
    from pyomics_bridge._conventions import ValidationError
    from pyomics_bridge.tl._gonet import gonet

    a = synthetic_go_phenotype(n_samples=60, n_terms=10, random_state=2)
    b = a.copy()
    b.obs["phenotype"] = np.array(["0"] * 58 + ["1", "2"])
    with pytest.raises(ValidationError, match=r"class '1' has 1 sample\(s\), '2' has 1 sample\(s\); the stratified "
                                              r"train/test split of obs\['phenotype'\] needs >= 2 per class"):
        gonet(b, groupby="phenotype", max_epochs=1, n_threads=1)
    assert "gonet" not in b.uns
    # coverage: 97 % of the genes renamed to unknown ids (the audit's 3 % case) -> error; 70 % -> stored share
    rng = np.random.default_rng(0)
    names = np.asarray(a.var_names.astype(str), dtype=object)
    order = rng.permutation(a.n_vars)
    n_keep = int(round(0.03 * a.n_vars))
    few = np.zeros(a.n_vars, bool)
    few[order[:n_keep]] = True
    c = a.copy()
    c.var_names = [n if k else f"unknown{i}" for i, (n, k) in enumerate(zip(names, few, strict=True))]
    with pytest.raises(ValidationError, match=rf"only {n_keep} of {a.n_vars} genes .*min_coverage=0.2"):
        gonet(c, groupby="phenotype", max_epochs=1, n_threads=1)
    keep = np.zeros(a.n_vars, bool)
    keep[order[: int(0.3 * a.n_vars)]] = True
    d = a.copy()
    d.var_names = [n if k else f"unknown{i}" for i, (n, k) in enumerate(zip(names, keep, strict=True))]
    with pytest.raises(ValidationError, match="min_coverage=0.5"):
        gonet(d, groupby="phenotype", min_coverage=0.5, max_epochs=1, n_threads=1)
    gonet(d, groupby="phenotype", max_epochs=1, n_threads=1)
    assert d.uns["gonet"]["coverage"] == pytest.approx(keep.mean())
    assert d.uns["gonet"]["params"]["min_coverage"] == 0.2
    assert d.uns["gonet"]["n_genes_mapped"] == keep.sum()


def test_tl_gonet_structure_prior_matches_the_estimator():
    """tl.gonet with the "structure prior" options stores the predictions of GONetClassifier fitted with the
    same options on the same layers and training split."""
    pytest.importorskip("torch")
    from pyomics_bridge.gonet import GONetClassifier, load_bundled_layers
    from pyomics_bridge.tl._gonet import _go_input, gonet

    a = synthetic_go_phenotype(n_samples=100, n_terms=10, random_state=4)
    prior = {"init": "pca", "first_activation": "identity", "freeze_first": True, "term_penalty": 0.01,
             "lr": 1e-2, "max_epochs": 15}
    gonet(a, groupby="phenotype", n_threads=1, device="cpu", random_state=0, **prior)
    res = a.uns["gonet"]
    for k, v in prior.items():
        assert res["params"][k] == v, k
    assert res["term_penalty"] == 0.01
    sub, cols, _, _ = _go_input(a.var_names, load_bundled_layers(), min_genes=3, min_coverage=0.2)
    Xg = np.asarray(a.X, dtype=np.float32)[:, cols]
    y = a.obs["phenotype"].astype(str).to_numpy()
    from sklearn.model_selection import train_test_split

    from pyomics_bridge._parallel import root_seed_sequence

    seed = int(root_seed_sequence(0).generate_state(1)[0] % (2**31))  # the driver's split, in its order
    tr, te = train_test_split(np.arange(a.n_obs), test_size=0.25, stratify=y, random_state=seed)
    assert (a.obs["gonet_split"].to_numpy()[te] == "test").all() and len(te) == (a.obs["gonet_split"] == "test").sum()
    est = GONetClassifier(sub, n_threads=1, device="cpu", random_state=0, **prior).fit(Xg[tr], y[tr])
    np.testing.assert_allclose(a.obsm["gonet_proba"], est.predict_proba(Xg), rtol=1e-5, atol=1e-6)
    plain = GONetClassifier(sub, n_threads=1, device="cpu", random_state=0, lr=1e-2, max_epochs=15).fit(
        Xg[tr], y[tr])
    assert not np.allclose(plain.predict_proba(Xg), est.predict_proba(Xg), atol=1e-3)  # the options matter
