"""list-tasks paged as AWS pages it: at most `size` ARNs a page, then a token for the rest (moto answers every
task in one page, oldest first). Used by the tests of big services and by bench/diagnose_latency.py."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3

PAGE = 100  # list-tasks' largest page on AWS


@contextmanager
def ecs_pages(
    session: boto3.Session, size: int = PAGE, newest_first: bool = False, overlap: int = 0
) -> Iterator[None]:
    """For the block, the session's clients see list-tasks in pages of `size` (or the page asked, if
    smaller); `newest_first` lists the newest task first (AWS documents no order; moto's is oldest first);
    `overlap`: each page starts that many ARNs before the last one ended (the list shifted while paged)."""

    def ask_all(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["pages_offset"] = int(params.pop("nextToken", None) or 0)
        context["pages_size"] = min(int(params.pop("maxResults", size)), size)

    def page(parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        start, count = context.get("pages_offset", 0), context.get("pages_size", size)
        arns = parsed.get("taskArns", [])
        arns = arns[::-1] if newest_first else arns
        parsed["taskArns"] = arns[start : start + count]
        parsed.pop("nextToken", None)
        if start + count < len(arns):
            parsed["nextToken"] = str(max(start + 1, start + count - overlap))

    events = session.events
    events.register("provide-client-params.ecs.ListTasks", ask_all)
    events.register("after-call.ecs.ListTasks", page)
    try:
        yield
    finally:
        events.unregister("provide-client-params.ecs.ListTasks", ask_all)
        events.unregister("after-call.ecs.ListTasks", page)
