"""Worker processes are replaced after their share of tasks, and a backlog never stalls the pool."""

from __future__ import annotations

import os

import pytest

from bot.processes import RecyclingPool, lower_priority


def test_processes_are_replaced_after_their_tasks_and_a_backlog_is_all_run() -> None:
    pool = RecyclingPool(workers=1, tasks_per_process=2)
    try:
        futures = [pool.submit(os.getpid) for _ in range(7)]  # queued at once: the case 3.11 deadlocks on
        pids = [f.result(timeout=60) for f in futures]
    finally:
        pool.shutdown()
    assert len(set(pids)) == 4, pids  # 2 + 2 + 2 + 1 tasks
    assert all(pids[i] == pids[i + 1] for i in (0, 2, 4)), "each process runs its share before it goes"
    assert os.getpid() not in pids and pool.generation == 3


def test_a_pool_needs_workers_and_tasks() -> None:
    with pytest.raises(ValueError, match="at least one"):
        RecyclingPool(workers=0, tasks_per_process=10)


def test_the_processes_run_at_the_niceness_asked_and_never_above_the_parent_priority() -> None:
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    niced, plain = RecyclingPool(1, 10, nice=min(19, ours + 5)), RecyclingPool(1, 10)
    try:
        assert niced.submit(os.getpriority, os.PRIO_PROCESS, 0).result(timeout=60) == min(19, ours + 5)
        assert plain.submit(os.getpriority, os.PRIO_PROCESS, 0).result(timeout=60) == ours
    finally:
        niced.shutdown()
        plain.shutdown()


def test_lower_priority_never_raises_a_process_priority() -> None:
    """A process already nicer than asked stays so (only root could lower its niceness again)."""
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    pool = RecyclingPool(1, 10, nice=min(19, ours + 6))
    try:
        assert pool.submit(lower_priority, ours).result(timeout=60) == min(19, ours + 6)
    finally:
        pool.shutdown()
