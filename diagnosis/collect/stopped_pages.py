"""A service's stopped tasks, page after page: ListTasks gives at most 100 ARNs a page and each page needs
the previous page's nextToken, so the pages are a chain of sequential calls however the client asks. No
ListTasks filter splits one service's stopped tasks into lists that could be paged side by side:
`startedBy` must be the only filter (so it cannot be joined with `serviceName` or `desiredStatus`), a
service runs one launch type and usually one family, and `containerInstance` misses Fargate tasks and the
tasks of instances since deregistered (ListContainerInstances cannot list INACTIVE ones). See the ECS API
reference, ListTasks and ListContainerInstances.

The pages after the first are asked in a thread of their own while the diagnosis's other rounds run; each
page's tasks are described as it arrives, beside the next page's request, and handed on (`on_described`) to
be parsed while the chain waits for AWS."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from diagnosis.collect.aws import Aws, Call, Outcome, first

# Stopped tasks read per diagnosis: every one ECS still keeps (about an hour's worth), up to this bound (a
# crash loop of ~15 a minute): 10 pages, 10 describe-tasks batches.
MAX_STOPPED = 1000


def list_stopped(listed: dict[str, Any], token: str | None, room: int) -> Call:
    params = {**listed, "desiredStatus": "STOPPED", "maxResults": max(1, min(100, room))}
    if token:
        params["nextToken"] = token
    return Call("ecs", "list_tasks", params, "stopped tasks", frozenset({"ServiceNotFoundException"}))


class StoppedPages:
    """The stopped tasks' pages after the first, asked one after another (each needs the previous page's
    token) while rounds 2–4 run; each page's tasks are described as it arrives. A chain of N more pages is
    N + 1 more sequential rounds (the last page's describe-tasks)."""

    def __init__(
        self,
        aws: Aws,
        cluster: str,
        listed: dict[str, Any],
        rounds: int,
        on_described: Callable[[list[dict[str, Any]]], None] | None = None,
    ) -> None:
        self.aws, self.cluster, self.listed, self.rounds = aws, cluster, listed, rounds
        self.first = 0  # stopped tasks of the first page (described in round 2)
        self.arns: list[str] = []  # those of the later pages, in their order
        self.token: str | None = None
        self.more = False  # ECS holds more than MAX_STOPPED
        self._on_described = on_described
        self._described: list[Future[Outcome]] = []
        self._seen: set[str] = set()  # every ARN listed so far: a page that overlaps the one before adds none
        self._thread: threading.Thread | None = None

    def page(self, answer: dict[str, Any]) -> list[str]:
        """A page's task ARNs not listed before, up to the bound; notes its token, and whether the bound cut
        it. The list can shift while it is paged (tasks stop meanwhile), so a task may be on two pages."""
        read = self.first + len(self.arns)
        arns = [arn for arn in dict.fromkeys(answer.get("taskArns", [])) if arn not in self._seen]
        self.token = answer.get("nextToken")
        self.more = len(arns) > MAX_STOPPED - read or (bool(self.token) and read + len(arns) >= MAX_STOPPED)
        if self.more:
            self.token = None
        kept = arns[: MAX_STOPPED - read]
        self._seen.update(kept)
        return kept

    def follow(self, first: int) -> None:
        """Round 1 read the first page (`first` tasks): start reading the others, if any."""
        self.first = first
        if self.token:
            self._thread = threading.Thread(target=self._follow, daemon=True, name="stopped-task-pages")
            self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread is not None

    def _follow(self) -> None:
        try:
            while self.token:
                read = self.first + len(self.arns)
                outcome = self.aws.call(list_stopped(self.listed, self.token, MAX_STOPPED - read))
                self.rounds += 1
                page = self.page(outcome.data or {})
                if page:
                    self.arns += page
                    describe = {"cluster": self.cluster, "tasks": page}
                    described = self.aws.submit(Call("ecs", "describe_tasks", describe, "stopped tasks"))
                    if self._on_described is not None:
                        described.add_done_callback(self._hand_on)
                    self._described.append(described)
        except RuntimeError:  # the clients were closed under it (the diagnosis ended): nothing left to read
            self.token = None

    def _hand_on(self, described: Future[Outcome]) -> None:
        if self._on_described is not None and not described.cancelled() and described.exception() is None:
            self._on_described(first(described.result(), "tasks"))

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join()

    def tasks(self) -> list[dict[str, Any]]:
        """Every later page's tasks, once the last page is listed and described."""
        self.join()
        described = [t for future in self._described for t in first(future.result(), "tasks")]
        if self._described:
            self.rounds += 1  # the last page's describe-tasks
        self.aws.waited_for(self.rounds)
        return described
