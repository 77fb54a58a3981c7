"""Worker processes are replaced after their share of tasks, and a backlog never stalls the pool."""

from __future__ import annotations

import os
import sys
import types
from pathlib import Path

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


class _TornDown:
    """Writes its marker when the interpreter's teardown collects it (as it collects a loaded library)."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __del__(self) -> None:
        Path(self.marker).write_text("torn down")


def _leave_teardown_work(marker: str) -> int:
    """What the interpreter's teardown would collect (a module's object), and a line not yet flushed."""
    held = types.ModuleType("held_by_the_process")
    held.thing = _TornDown(marker)  # type: ignore[attr-defined]
    sys.modules[held.__name__] = held
    print("said before the end", end="")  # stdout to a file is block-buffered: still in the buffer
    return os.getpid()


def test_a_pool_process_ends_without_the_interpreter_teardown_and_keeps_what_it_said(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """Its teardown (of boto3, the engine) is CPU a niced process waits for behind every busier one: at load
    12 a serve replica took 12-16 s to stop, waiting for its children. Nothing it said is lost."""
    marker = tmp_path / "teardown"
    pool = RecyclingPool(1, 10, nice=min(19, os.getpriority(os.PRIO_PROCESS, 0) + 5))
    try:
        pool.submit(_leave_teardown_work, str(marker)).result(timeout=60)
    finally:
        pool.shutdown(wait=True)
    assert not marker.exists(), "the process ran the interpreter's teardown"
    assert "said before the end" in capfd.readouterr().out
