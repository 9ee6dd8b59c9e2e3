"""iced's S. cerevisiae sample contact map (Duan et al., Nature 2009), registered as ``iced_yeast``.

The files ship inside the ``iced`` package (a test dependency, extra ``hic``); they are read from the installed
package at run time and never copied into this repository.
"""

from __future__ import annotations

from pathlib import Path

from .._optional import is_available
from ._registry import register

_SUBDIR = ("datasets", "data", "duan2009")
_STEM = "duan.SC.10000.raw_sub"


def iced_yeast_paths() -> tuple[Path, Path]:
    """``(matrix, bed)`` paths of iced's yeast sample inside the installed ``iced`` package.

    Raises :class:`~pyomics_bridge._optional.MissingExtraError` naming ``pip install iced`` when iced is absent.
    """
    from .._optional import import_optional

    iced = import_optional("iced", purpose="the iced yeast sample contact map (pob.datasets.iced_yeast)")
    folder = Path(iced.__file__).resolve().parent.joinpath(*_SUBDIR)
    matrix, bed = folder / f"{_STEM}.matrix", folder / f"{_STEM}.bed"
    if not (matrix.is_file() and bed.is_file()):
        raise FileNotFoundError(
            f"iced {getattr(iced, '__version__', '?')} is installed but its yeast sample files are missing "
            f"(looked for {matrix} and {bed}); reinstall it: pip install --force-reinstall iced"
        )
    return matrix, bed


def iced_yeast():
    """The yeast sample contact map of ``iced`` (``iced.datasets.load_sample_yeast``) as a contact-map AnnData.

    S. cerevisiae, 5 chromosomes (chr01–chr05) at 10 kb: 350 bins, raw counts (Duan et al., Nature 2009, as
    subsampled by iced). Read offline from the installed ``iced`` package with
    :func:`pyomics_bridge.hic.read_hicpro_anndata` (0-based bin ids and 1-based bed starts are detected).

    Returns
    -------
    AnnData
        350 × 350: ``.X`` sparse symmetric raw counts (equal to iced's ``load_sample_yeast()`` counts), ``.obs`` and
        ``.var`` with ``chrom``, ``start``, ``end`` (0-based, half-open), ``.uns["hic"]`` with ``resolution``
        (10000), ``chrom_lengths`` (``{"chr01": 24, "chr02": 82, "chr03": 32, "chr04": 154, "chr05": 58}``) and
        ``source``.

    Raises
    ------
    MissingExtraError
        When iced is not installed (``pip install iced`` or ``pip install 'pyomics_bridge[hic]'``).
    """
    from ..hic._io import read_hicpro_anndata

    matrix, bed = iced_yeast_paths()
    adata = read_hicpro_anndata(matrix, bed, base="auto")
    adata.uns["hic"]["source"] = "iced.datasets.load_sample_yeast (Duan et al., Nature 2009), duan2009/" + _STEM
    return adata


register(
    "iced_yeast",
    iced_yeast,
    kind="external",
    description="S. cerevisiae Hi-C sample of iced (Duan et al. 2009): 350 bins at 10 kb, 5 chromosomes, raw counts",
    source="iced (PyPI, BSD), iced/datasets/data/duan2009/duan.SC.10000.raw_sub.{matrix,bed}; read at run time",
    modalities=("contacts",),
    available=lambda: is_available("iced"),
    function="pyomics_bridge.datasets.iced_yeast",
    overwrite=True,
)
