"""A pool of worker processes that are replaced after a number of tasks, so their memory cannot grow.

Python 3.11's `ProcessPoolExecutor(max_tasks_per_child=…)` can deadlock once a worker retires while
tasks are queued (CPython gh-115634, fixed only in later releases), so the pool is recycled whole here:
after `tasks_per_process × workers` submissions a new executor takes the next tasks and the old one
finishes what it holds, then its processes exit.
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import suppress
from multiprocessing import get_context
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class RecyclingPool:
    def __init__(
        self,
        workers: int,
        tasks_per_process: int,
        initializer: Callable[..., object] | None = None,
        initargs: tuple[Any, ...] = (),
        nice: int = 0,
    ) -> None:
        """`nice`: the niceness the processes run at (see `lower_priority`); 0 keeps the parent's."""
        if workers < 1 or tasks_per_process < 1:
            raise ValueError("a pool needs at least one worker and one task per process")
        self.workers, self.tasks_per_process = workers, tasks_per_process
        self._initializer, self._initargs, self.nice = initializer, initargs, nice
        self._lock = threading.Lock()
        self._pool = self._new()
        self._submitted = 0
        self.generation = 0  # how many times the processes were replaced

    def _new(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self.workers,
            mp_context=get_context("spawn"),  # a clean child: no copied locks or threads of the server
            initializer=_start,
            initargs=(self.nice, self._initializer, self._initargs),
        )

    def submit(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        with self._lock:
            if self._submitted >= self.tasks_per_process * self.workers:
                retired, self._pool = self._pool, self._new()
                self._submitted = 0
                self.generation += 1
                retired.shutdown(wait=False)  # runs what it was given, then its processes end
            self._submitted += 1
            return self._pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        with self._lock:
            self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)


def lower_priority(nice: int) -> int:
    """Run this process at niceness `nice` or more (never less nice than it is), so that a busy worker
    yields the CPU to the acknowledgements of the serving process on the same cores. Returns the niceness."""
    if nice > os.getpriority(os.PRIO_PROCESS, 0):
        os.setpriority(os.PRIO_PROCESS, 0, nice)
    return os.getpriority(os.PRIO_PROCESS, 0)


def _start(nice: int, initializer: Callable[..., object] | None, initargs: tuple[Any, ...]) -> None:
    lower_priority(nice)
    if initializer is not None:
        initializer(*initargs)
    atexit.register(_exit_now)  # registered last, so it runs first


def _exit_now() -> None:
    """A pool's process ends without the interpreter's teardown: it holds nothing to keep but its log lines,
    flushed here. Tearing down boto3 and the engine costs 0.1-0.2 s of CPU, which a niced process waits
    for behind every busier one: at load 12 a serve replica took 12-16 s to stop, waiting for its children."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with suppress(Exception):  # closed or broken: nothing more can be told
            stream.flush()
    os._exit(0)
