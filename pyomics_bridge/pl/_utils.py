"""Shared plotting helpers: lazy matplotlib import and axes creation."""

from __future__ import annotations

from .._optional import import_optional


def pyplot():
    """``matplotlib.pyplot`` with a non-interactive backend when no display is available."""
    mpl = import_optional("matplotlib", purpose="plotting")
    import os

    if not os.environ.get("DISPLAY") and mpl.get_backend().lower() not in ("agg", "module://matplotlib_inline.backend_inline"):
        mpl.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def get_ax(ax=None, *, figsize=(5.0, 4.0)):
    """Return ``ax`` or a new axes on a new figure."""
    if ax is not None:
        return ax
    plt = pyplot()
    _, ax = plt.subplots(figsize=figsize)
    return ax
