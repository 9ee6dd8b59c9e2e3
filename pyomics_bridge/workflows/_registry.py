"""Registry of demo workflows and the driver that runs them and writes the report."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .._optional import is_available
from ..settings import settings

logger = logging.getLogger(__name__)


@dataclass
class WorkflowResult:
    """What a workflow shows in the report and leaves on disk."""

    title: str
    summary: list[str] = field(default_factory=list)
    tables: list[tuple[str, pd.DataFrame]] = field(default_factory=list)
    figures: list[tuple[str, bytes]] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    skipped: str | None = None
    seconds: float = 0.0


@dataclass(frozen=True)
class Workflow:
    """A registered demo workflow."""

    name: str
    title: str
    run: Callable[..., WorkflowResult]
    requires: tuple[str, ...] = ()  # importable modules; missing ones skip the workflow with a reason


_REGISTRY: dict[str, Workflow] = {}


def register(name: str, title: str, *, requires: tuple[str, ...] = ()):
    """Decorator registering ``run(out_dir, *, random_state, use_r)`` as a demo workflow."""

    def deco(func: Callable[..., WorkflowResult]):
        _REGISTRY[name] = Workflow(name=name, title=title, run=func, requires=requires)
        return func

    return deco


def _load_builtin() -> None:
    # Importing the modules registers their workflows.
    from . import _diablo, _gonet, _hic, _multiomics, _prognostic, _regulatory, _survival  # noqa: F401


# Report order: the five method families as the package presents them, then anything registered later.
_ORDER = ("multiomics", "diablo", "survival", "prognostic", "hic", "regulatory", "gonet")


def available_workflows() -> dict[str, Workflow]:
    """All registered workflows, by name, in report order."""
    _load_builtin()
    rank = {name: i for i, name in enumerate(_ORDER)}
    return {name: _REGISTRY[name] for name in sorted(_REGISTRY, key=lambda n: (rank.get(n, len(rank)), n))}


def run_demo(
    out_dir: str | Path,
    *,
    workflows: list[str] | None = None,
    random_state: int = 0,
    use_r: bool | None = None,
    progress: bool | None = None,
) -> Path:
    """Run the demo workflows and write results plus ``report.html`` into ``out_dir``.

    Parameters
    ----------
    out_dir
        Output folder (created if needed).
    workflows
        Names to run (default: all registered).
    random_state
        Seed passed to every workflow.
    use_r
        Also compute the R reference results; ``None`` uses R when rpy2 and R's survival are usable.
    progress
        Show a progress bar (default: only in a terminal).

    Returns
    -------
    Path of the HTML report.
    """
    from ._report import write_report

    registry = available_workflows()
    names = list(registry) if workflows is None else list(workflows)
    unknown = [n for n in names if n not in registry]
    if unknown:
        raise ValueError(f"unknown workflow(s) {unknown}; available: {list(registry)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if use_r is None:
        use_r = _r_usable()
    results: list[tuple[Workflow, WorkflowResult]] = []
    iterator = names
    if settings.show_progress(progress):
        from tqdm.auto import tqdm

        iterator = tqdm(names, desc="demo workflows")
    for name in iterator:
        wf = registry[name]
        missing = [m for m in wf.requires if not is_available(m)]
        if missing:
            results.append((wf, WorkflowResult(title=wf.title, skipped=f"needs {', '.join(missing)}")))
            continue
        start = time.perf_counter()
        sub = out / name
        sub.mkdir(exist_ok=True)
        res = wf.run(sub, random_state=random_state, use_r=use_r)
        res.seconds = time.perf_counter() - start
        logger.info("workflow %s done in %.1f s", name, res.seconds)
        results.append((wf, res))
    return write_report(out / "report.html", results, out_dir=out, use_r=use_r)


def _r_usable() -> bool:
    if not is_available("rpy2"):
        return False
    try:
        from ..r._session import r_package_version

        return r_package_version("survival") is not None
    except Exception:  # any failure to start R means: no R reference in the demo
        return False
