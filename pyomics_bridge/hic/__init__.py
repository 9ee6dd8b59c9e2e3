"""3D genome structure from Hi-C: ICE normalisation, MDS/NMDS, Poisson and negative-binomial models.

Planned content (issue "3D genome structure from Hi-C"); contact maps are AnnData with bins as obs and var.
Nothing is implemented here yet.
"""

__all__: list[str] = []
