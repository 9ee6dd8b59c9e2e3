"""The joblib helper: results independent of n_jobs and backend (loky, threading, dask.distributed)."""

from __future__ import annotations

import os

import numpy as np
import pytest
from joblib import parallel_config

from pyomics_bridge._parallel import parallel_map, root_seed_sequence, spawn_generators


def _bootstrap_mean(task, rng):
    data = np.arange(100.0) * (task + 1)
    return float(rng.choice(data, size=data.size, replace=True).mean())


def _mean_and_pid(task, rng):
    import os

    return _bootstrap_mean(task, rng), os.getpid()


def _square(x):
    return x * x


def test_results_do_not_depend_on_n_jobs():
    serial = parallel_map(_bootstrap_mean, range(8), n_jobs=1, random_state=42)
    par = parallel_map(_bootstrap_mean, range(8), n_jobs=2, random_state=42)
    assert serial == par
    assert len(set(serial)) == 8  # each task got its own stream


def test_seeds_reproducible_and_distinct():
    assert parallel_map(_bootstrap_mean, range(3), random_state=1) == parallel_map(
        _bootstrap_mean, range(3), random_state=1
    )
    assert parallel_map(_bootstrap_mean, range(3), random_state=1) != parallel_map(
        _bootstrap_mean, range(3), random_state=2
    )
    a = [g.random() for g in spawn_generators(7, 3)]
    b = [g.random() for g in spawn_generators(np.random.SeedSequence(7), 3)]
    assert a == b


def test_no_seed_means_plain_map():
    assert parallel_map(_square, [1, 2, 3], n_jobs=2) == [1, 4, 9]


def test_bad_random_state():
    with pytest.raises(TypeError, match="random_state"):
        root_seed_sequence("seed")
    with pytest.raises(ValueError, match="non-negative"):
        root_seed_sequence(-1)


def test_r_tasks_refuse_threads():
    with parallel_config(backend="threading"), pytest.raises(RuntimeError, match="not thread-safe"):
        parallel_map(_square, [1, 2], n_jobs=2, needs_processes=True)


def test_threading_backend_same_result():
    serial = parallel_map(_bootstrap_mean, range(5), n_jobs=1, random_state=3)
    with parallel_config(backend="threading"):
        assert parallel_map(_bootstrap_mean, range(5), n_jobs=2, random_state=3) == serial


def test_dask_distributed_cluster_equals_serial():
    distributed = pytest.importorskip("distributed")
    serial = parallel_map(_bootstrap_mean, range(6), n_jobs=1, random_state=11)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        worker_pids = set(client.run(os.getpid).values())
        with parallel_config(backend="dask"):
            on_cluster = parallel_map(_mean_and_pid, range(6), n_jobs=-1, random_state=11)
    assert [value for value, _ in on_cluster] == serial
    # the tasks really ran in the cluster's worker processes
    assert {pid for _, pid in on_cluster} <= worker_pids
    assert os.getpid() not in worker_pids


def _r_logrank_in_worker(seed, rng):
    # Runs in a worker process: starts its own embedded R there.
    from pyomics_bridge.r.survival import survdiff

    t = rng.exponential(1.0, 40)
    e = rng.random(40) < 0.7
    g = np.repeat(["a", "b"], 20)
    return survdiff(t, e, g).statistic


def test_r_tasks_in_worker_processes_after_r_started(require_r_survival):
    # R is already running in this process (fixture); loky workers must still start a clean Python and R.
    from pyomics_bridge.r import robjects

    robjects()
    serial = parallel_map(_r_logrank_in_worker, range(3), n_jobs=1, random_state=5, needs_processes=True)
    par = parallel_map(_r_logrank_in_worker, range(3), n_jobs=2, random_state=5, needs_processes=True)
    assert serial == par
