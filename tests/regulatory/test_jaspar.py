"""JASPAR through pyjaspar (offline SQLite): collection size, a published matrix, the on-disk cache."""

from __future__ import annotations

import numpy as np
import pytest

from pyomics_bridge import regulatory as R

pyjaspar = pytest.importorskip("pyjaspar")


def test_jaspar2024_core_vertebrates_and_cache(tmp_path, monkeypatch):
    motifs = R.jaspar_motifs(release="JASPAR2024", cache_dir=tmp_path)
    assert len(motifs) == 879  # latest versions, JASPAR2024 CORE vertebrates
    by_id = {m.matrix_id: m for m in motifs}
    arnt = by_id["MA0004.1"]  # the JASPAR matrix of Arnt (counts, 20 sites)
    assert arnt.name == "Arnt"
    np.testing.assert_array_equal(arnt.matrix[:, 0], [4, 19, 0, 0, 0, 0])
    np.testing.assert_array_equal(arnt.matrix.sum(axis=1), np.full(6, 20))
    assert len({m.matrix_id.split(".")[0] for m in motifs}) == 879  # one version per matrix
    files = list(tmp_path.glob("*.npz"))
    assert [f.name for f in files] == ["JASPAR2024_CORE_vertebrates.npz"]

    # the second call reads the cache: the database is never opened
    def fail(*a, **k):
        raise AssertionError("pyjaspar queried although the collection is cached")

    monkeypatch.setattr(pyjaspar, "jaspardb", fail)
    again = R.jaspar_motifs(release="JASPAR2024", cache_dir=tmp_path)
    assert [m.label for m in again] == [m.label for m in motifs]
    assert all(np.array_equal(a.matrix, b.matrix) for a, b in zip(again, motifs, strict=True))
    labels = R.motifs_as_dict(again)
    assert "MA0004.1 Arnt" in labels and len(labels) == 879
