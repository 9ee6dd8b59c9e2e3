"""Preprocessing on AnnData: transformations that prepare a matrix for the methods in :mod:`pyomics_bridge.tl`."""

from ._scale import scale

__all__ = ["scale"]
