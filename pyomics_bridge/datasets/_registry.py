"""The registry of named datasets: bundled, synthetic (seeded generators) and external (data directory)."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .._conventions import ValidationError

KINDS = ("bundled", "synthetic", "external")


@dataclass(frozen=True)
class DatasetInfo:
    """One registered dataset.

    Attributes
    ----------
    name
        Registry name (``load(name)``).
    kind
        ``"bundled"`` (shipped with the package), ``"synthetic"`` (seeded generator) or ``"external"``
        (files under the data directory, see :func:`pyomics_bridge.datasets.data_dir`).
    loader
        Callable returning an AnnData/MuData, or a ``"package.module:function"`` string imported on first use.
    description, source
        Free text; ``source`` holds the origin/citation (and license for external data).
    modalities
        Names of the blocks: the modality names of a MuData, or the single block of an AnnData.
    available
        Callable telling whether the data can be loaded now (files present); ``None`` means always.
    """

    name: str
    kind: str
    loader: Callable[..., Any] | str
    description: str
    source: str = ""
    modalities: tuple[str, ...] = ()
    available: Callable[[], bool] | None = field(default=None, compare=False)
    function: str = ""

    def resolve(self) -> Callable[..., Any]:
        """The loader as a callable (imports it when registered as a string)."""
        if callable(self.loader):
            return self.loader
        module, _, attr = self.loader.partition(":")
        try:
            return getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as exc:
            raise ImportError(f"cannot import the loader {self.loader!r} of dataset {self.name!r}: {exc}") from exc

    def is_available(self) -> bool:
        return True if self.available is None else bool(self.available())


_REGISTRY: dict[str, DatasetInfo] = {}


def normalize_name(name: str) -> str:
    """Lookup key of a dataset name: case-insensitive, ``.``/``-``/space equivalent to ``_``."""
    if not isinstance(name, str):
        raise TypeError(f"dataset name must be a str, got {type(name).__name__}")
    out = name.strip().lower()
    for ch in ".- ":
        out = out.replace(ch, "_")
    return out


def register(
    name: str,
    loader: Callable[..., Any] | str,
    *,
    kind: str,
    description: str,
    source: str = "",
    modalities: Sequence[str] = (),
    available: Callable[[], bool] | None = None,
    function: str = "",
    overwrite: bool = False,
) -> DatasetInfo:
    """Add a dataset to the registry (see :func:`register_synthetic` for seeded generators)."""
    if kind not in KINDS:
        raise ValidationError(f"kind must be one of {list(KINDS)}, got {kind!r}")
    if not isinstance(name, str) or not name.strip():
        raise ValidationError(f"dataset name must be a non-empty str, got {name!r}")
    if not (callable(loader) or (isinstance(loader, str) and ":" in loader)):
        raise ValidationError(f"loader must be a callable or a 'package.module:function' string, got {loader!r}")
    key = normalize_name(name)
    if key in _REGISTRY and not overwrite:
        raise ValidationError(f"a dataset named {_REGISTRY[key].name!r} is already registered; pass overwrite=True")
    if isinstance(modalities, str):
        modalities = (modalities,)
    if not function and callable(loader):
        function = f"{loader.__module__}.{loader.__qualname__}"
    info = DatasetInfo(
        name=name,
        kind=kind,
        loader=loader,
        description=description,
        source=source,
        modalities=tuple(modalities),
        available=available,
        function=function or str(loader),
    )
    _REGISTRY[key] = info
    return info


def _check_generator_signature(func: Callable[..., Any], name: str) -> None:
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):  # pragma: no cover - builtins without signature
        return
    param = sig.parameters.get("random_state")
    if param is None:
        raise ValidationError(f"synthetic generator for {name!r} must accept a keyword argument random_state")
    if param.kind is not inspect.Parameter.KEYWORD_ONLY:
        raise ValidationError(f"random_state of the synthetic generator for {name!r} must be keyword-only")
    if param.default is inspect.Parameter.empty:
        raise ValidationError(f"random_state of the synthetic generator for {name!r} needs a default (e.g. 0)")
    for p in sig.parameters.values():
        if p.kind is inspect.Parameter.POSITIONAL_ONLY:
            raise ValidationError(f"synthetic generator for {name!r}: positional-only parameter {p.name!r} not allowed")


def register_synthetic(
    name: str,
    func: Callable[..., Any] | str,
    description: str,
    *,
    source: str = "pyomics_bridge synthetic generator",
    modalities: Sequence[str] = (),
    function: str = "",
    overwrite: bool = False,
) -> DatasetInfo:
    """Register a seeded synthetic-data generator under ``name``.

    Convention for generators (checked here when ``func`` is a callable):

    * every option has a default, and ``random_state: int | None = 0`` is keyword-only;
    * the result (AnnData or MuData) is fully determined by the arguments: the same ``random_state`` gives
      identical data, ``random_state=None`` fresh randomness;
    * the ground truth and the generating parameters go to ``.uns["synthetic"]`` (and ground-truth feature
      flags to ``.var``), so tests can check that a method recovers them.

    ``func`` may be a ``"package.module:function"`` string, imported only when the dataset is loaded, so a
    method family can register its generator without importing its (possibly heavy) module.
    """
    if callable(func):
        _check_generator_signature(func, name)
    return register(
        name,
        func,
        kind="synthetic",
        description=description,
        source=source,
        modalities=modalities,
        function=function,
        overwrite=overwrite,
    )


def get_info(name: str) -> DatasetInfo:
    """The :class:`DatasetInfo` registered under ``name`` (see :func:`normalize_name` for the matching)."""
    key = normalize_name(name)
    if key not in _REGISTRY:
        known = sorted(info.name for info in _REGISTRY.values())
        raise KeyError(f"unknown dataset {name!r}; registered datasets: {known}")
    return _REGISTRY[key]


def load(name: str, **kwargs: Any):
    """Load the dataset registered as ``name``; ``**kwargs`` go to its loader (e.g. ``random_state=``)."""
    return get_info(name).resolve()(**kwargs)


def list_datasets(kind: str | None = None) -> pd.DataFrame:
    """Table of the registered datasets.

    Columns: ``name``, ``kind`` (bundled/synthetic/external), ``description``, ``source`` (origin,
    citation, license), ``modalities`` (comma-separated block names), ``available`` (files present now)
    and ``function`` (the loader to call).
    """
    if kind is not None and kind not in KINDS:
        raise ValidationError(f"kind must be one of {list(KINDS)} or None, got {kind!r}")
    rows = []
    order = {k: i for i, k in enumerate(KINDS)}
    infos = sorted(_REGISTRY.values(), key=lambda i: (order[i.kind], i.name.lower()))
    for info in infos:
        if kind is not None and info.kind != kind:
            continue
        rows.append(
            {
                "name": info.name,
                "kind": info.kind,
                "description": info.description,
                "source": info.source,
                "modalities": ", ".join(info.modalities),
                "available": info.is_available(),
                "function": info.function,
            }
        )
    columns = ["name", "kind", "description", "source", "modalities", "available", "function"]
    return pd.DataFrame(rows, columns=columns)
