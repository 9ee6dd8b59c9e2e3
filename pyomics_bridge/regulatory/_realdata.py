"""Real ChIP-seq peak sequences read at run time from the janggu 0.10.2 distribution (GPL-3, never vendored).

The janggu wheel ships ``janggu/resources/sample.fa`` (3,897 Oct4 peaks) and ``sample2.fa`` (3,900 MafK peaks),
200 bp each, with hg19 coordinates in the headers (``>chr1:15710957-15711157``). They are read from the installed
``janggu`` package when present, else from a wheel: the ``wheel`` argument, ``$POB_JANGGU_WHEEL``, or
``janggu-0.10.2-*.whl`` in the data directory (``$POB_DATA_DIR``, else ``~/.cache/pyomics_bridge``); get one with
``pip download janggu==0.10.2 --no-deps -d ~/.cache/pyomics_bridge``.
"""

from __future__ import annotations

import importlib.util
import os
import re
import zipfile
from pathlib import Path

import numpy as np

from ._io import read_fasta

FILES = {"oct4": "janggu/resources/sample.fa", "mafk": "janggu/resources/sample2.fa"}


def _find_wheel(wheel) -> Path | None:
    cands = []
    if wheel is not None:
        cands.append(Path(wheel))
    env = os.environ.get("POB_JANGGU_WHEEL", "").strip()
    if env:
        cands.append(Path(env))
    from ..datasets._paths import data_dir

    cands += sorted(data_dir().glob("janggu-0.10.2-*.whl"))
    return next((c for c in cands if c.is_file()), None)


def janggu_peaks(*, wheel=None) -> dict[str, tuple[list[str], list[str]]]:
    """``{"oct4": (names, sequences), "mafk": (names, sequences)}`` from the janggu package or wheel.

    Raises
    ------
    FileNotFoundError
        Neither the package nor a wheel was found (the message says how to download the wheel).
    """
    spec = importlib.util.find_spec("janggu")
    if spec is not None and spec.submodule_search_locations:
        root = Path(next(iter(spec.submodule_search_locations))).parent
        if all((root / f).is_file() for f in FILES.values()):
            return {k: read_fasta(root / f) for k, f in FILES.items()}
    path = _find_wheel(wheel)
    if path is None:
        from ..datasets._paths import data_dir

        raise FileNotFoundError(
            "janggu 0.10.2 (Oct4/MafK peak sequences) not found: install it, pass wheel=, set POB_JANGGU_WHEEL, or "
            f"run: pip download janggu==0.10.2 --no-deps -d {data_dir()}")
    with zipfile.ZipFile(path) as z:
        return {k: read_fasta(z.read(f).decode("ascii")) for k, f in FILES.items()}


def chromosomes_from_names(names) -> np.ndarray:
    """Chromosome of ``chr:start-end`` style names (``""`` where a name has no such prefix)."""
    pat = re.compile(r"^([^:\s]+):\d+-\d+")
    return np.array([m.group(1) if (m := pat.match(str(n))) else "" for n in names], dtype=object)


def markov_from_peaks(order: int = 2, *, gc_rich_quantile: float = 0.8, wheel=None) -> dict:
    """Markov chains fitted on the Oct4 + MafK peaks: ``background`` (all) and ``gc_rich`` (sequences above the
    ``gc_rich_quantile`` of GC content), each ``(4^order, 4)``, for :func:`simulate_tf_binding`."""
    from ._sequences import encode_batch, gc_content
    from ._simulate import fit_markov

    peaks = janggu_peaks(wheel=wheel)
    seqs = [s for _, ss in peaks.values() for s in ss]
    length = max(len(s) for s in seqs)
    codes = encode_batch(seqs, length=length)
    gc = gc_content(codes)
    rich = codes[gc >= np.nanquantile(gc, gc_rich_quantile)]
    return {"background": fit_markov(codes, order), "gc_rich": fit_markov(rich, order), "n_sequences": len(seqs),
            "gc": float(np.nanmean(gc)), "gc_rich_gc": float(np.nanmean(gc_content(rich)))}
