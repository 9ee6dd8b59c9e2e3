"""The one way pyomics_bridge runs independent tasks in parallel.

Everything goes through joblib, so the *user* chooses where tasks run::

    from joblib import parallel_config
    with parallel_config(backend="dask"):        # after dask.distributed.Client(...)
        pob.survival.some_permutation_test(..., n_jobs=-1)

Reproducibility does not depend on ``n_jobs`` or on the backend: each task gets its own child seed, spawned
from one root :class:`numpy.random.SeedSequence` in task order, and results are returned in task order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from joblib import Parallel, delayed
from joblib.parallel import get_active_backend

from .settings import settings

RandomState = int | np.random.SeedSequence | np.random.Generator | None


def root_seed_sequence(random_state: RandomState) -> np.random.SeedSequence:
    """Turn a ``random_state`` argument into a root :class:`~numpy.random.SeedSequence`.

    ``None`` draws fresh entropy (non-reproducible, as in scikit-learn); an int or a SeedSequence is used as is;
    a Generator contributes one draw, so repeated calls with the same generator give different streams.
    """
    if isinstance(random_state, np.random.SeedSequence):
        return random_state
    if isinstance(random_state, np.random.Generator):
        return np.random.SeedSequence(int(random_state.integers(2**63)))
    if random_state is None or isinstance(random_state, (int, np.integer)):
        if random_state is not None and random_state < 0:
            raise ValueError(f"random_state must be a non-negative int, got {random_state}")
        return np.random.SeedSequence(None if random_state is None else int(random_state))
    raise TypeError(f"random_state must be None, an int, a SeedSequence or a Generator, got {type(random_state)}")


def spawn_generators(random_state: RandomState, n: int) -> list[np.random.Generator]:
    """``n`` independent generators, the i-th always the same for the same ``random_state``."""
    return [np.random.default_rng(s) for s in root_seed_sequence(random_state).spawn(n)]


def _uses_threads() -> bool:
    backend, _ = get_active_backend()
    return type(backend).__name__ == "ThreadingBackend"


def parallel_map(
    func: Callable[..., Any],
    tasks: Sequence[Any] | Iterable[Any],
    *,
    n_jobs: int | None = None,
    random_state: RandomState | bool = False,
    progress: bool | None = None,
    desc: str | None = None,
    needs_processes: bool = False,
) -> list[Any]:
    """Apply ``func`` to every task with joblib and return the results in task order.

    Parameters
    ----------
    func
        A picklable (module-level) function, called as ``func(task)`` or, when ``random_state`` is not
        ``False``, as ``func(task, rng)`` with a task-specific :class:`numpy.random.Generator`.
    tasks
        The task arguments. Prefer small ones (index arrays, seeds) over large objects.
    n_jobs
        Number of workers, joblib semantics (``-1``: all cores); ``None`` uses ``settings.n_jobs`` or the
        enclosing :func:`joblib.parallel_config`.
    random_state
        ``False`` for deterministic tasks; otherwise the root seed from which one child seed per task is spawned.
    progress
        Show a tqdm progress bar; ``None`` shows it only in an interactive terminal.
    desc
        Label of the progress bar.
    needs_processes
        The task calls R (rpy2 is not thread-safe): refuse a threading backend.
    """
    tasks = list(tasks)
    if needs_processes and _uses_threads():
        raise RuntimeError(
            "these tasks call R through rpy2, which is not thread-safe: use a process-based joblib backend "
            "(loky, multiprocessing, dask, ray), not 'threading'"
        )
    if random_state is not False:
        gens = spawn_generators(random_state, len(tasks))
        calls = (delayed(func)(t, g) for t, g in zip(tasks, gens, strict=True))
    else:
        calls = (delayed(func)(t) for t in tasks)
    n_jobs = settings.n_jobs if n_jobs is None else n_jobs
    kwargs: dict[str, Any] = {"return_as": "generator"}
    if n_jobs is not None:
        kwargs["n_jobs"] = n_jobs
    if needs_processes:
        kwargs["prefer"] = "processes"
    results = Parallel(**kwargs)(calls)
    if settings.show_progress(progress):
        from tqdm.auto import tqdm

        results = tqdm(results, total=len(tasks), desc=desc)
    return list(results)
