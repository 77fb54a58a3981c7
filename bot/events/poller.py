"""Polling where no queue exists: every interval, the STOPPED tasks of each subscribed service, fed
through the same pipeline as queue events ("ECS Task State Change" documents built from describe-tasks).

A task is posted once: the pipeline counts it once per group (its task ARN is the dedupe key, shared
with the queue path), and a task already in the service's stored history is not even described again.
History is written only after the task's notification went out, so a failed post is retried on the
next poll instead of being forgotten (the store's `seen_stopped` marks before the work, which would
lose a task whose post failed; that is why the poller keys on history instead).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bot.aws_session import SessionError
from bot.events.grouping import Retry
from bot.events.ingest import MalformedMessage, parse_event
from bot.events.pipeline import Pipeline
from bot.events.telemetry import LAST_LOOP
from bot.events.worker import Backoff
from bot.store import Store, StoreUnavailable, service_key

log = logging.getLogger(__name__)
LOOKBACK_SECONDS = 2 * 24 * 3600  # ECS keeps stopped tasks about an hour; history this far back is plenty
EcsFor = Callable[[dict[str, Any]], Any]  # a subscribed service → an ECS client for its account and region


class Poller:
    def __init__(
        self, store: Store, pipeline: Pipeline, ecs_for: EcsFor, interval_seconds: float = 60
    ) -> None:
        self.store, self.pipeline, self.ecs_for = store, pipeline, ecs_for
        self.interval_seconds = interval_seconds
        self.backoff = Backoff()
        self.stop = threading.Event()

    def run(self, until: Callable[[], bool] | None = None) -> None:
        """Poll every interval until `stop` is set; back off while Redis is unavailable."""
        while not self.stop.is_set() and not (until and until()):
            LAST_LOOP.set_to_current_time()
            try:
                self.poll_once()
                self.backoff.reset()
                delay = self.interval_seconds
            except StoreUnavailable as exc:
                log.warning("redis unavailable, polling again later: %s", exc)
                delay = self.backoff.next()
            except Exception:
                log.exception("poll failed; carrying on")
                delay = self.backoff.next()
            self.stop.wait(delay)

    def poll_once(self) -> int:
        """One pass over every subscribed service; returns how many new stopped tasks went through."""
        handled = 0
        for target in _unique([*self.store.subscribed_services(), *self._pattern_targets()]):
            try:
                handled += self._poll_service(target)
            except (BotoCoreError, ClientError, SessionError) as exc:
                log.warning("cannot list stopped tasks of %s/%s: %s", target.get("cluster"),
                            target.get("service"), exc)  # fmt: skip
        self.pipeline.flush()
        return handled

    def _pattern_targets(self) -> list[dict[str, Any]]:
        """The services of the clusters that pattern subscriptions follow, the ones whose names match."""
        targets = []
        for sub in self.store.pattern_subscriptions():
            cluster, region = sub.cluster, sub.region
            try:
                ecs = self.ecs_for({"account": "", "region": region, "cluster": cluster})
                arns = [a for page in ecs.get_paginator("list_services").paginate(cluster=cluster)
                        for a in page.get("serviceArns", [])]  # fmt: skip
            except (BotoCoreError, ClientError, SessionError) as exc:
                log.warning("cannot list the services of %s: %s", cluster, exc)
                continue
            for arn in arns:
                name = arn.rsplit("/", 1)[-1]
                if fnmatchcase(name, sub.pattern):
                    account = arn.split(":")[4] if arn.count(":") >= 5 else ""
                    targets.append(
                        {"account": account, "region": region, "cluster": cluster, "service": name}
                    )
        return targets

    def _poll_service(self, target: dict[str, Any]) -> int:
        cluster, service = target["cluster"], target["service"]
        skey = service_key(target.get("account"), target.get("region"), cluster, service)
        known = {r.task_arn for r in self.store.history(skey, time.time() - LOOKBACK_SECONDS)}
        ecs = self.ecs_for(target)
        arns = [a for a in _stopped_arns(ecs, cluster, service) if a not in known]
        handled = 0
        for start in range(0, len(arns), 100):
            tasks = ecs.describe_tasks(cluster=cluster, tasks=arns[start : start + 100]).get("tasks", [])
            for task in tasks:
                if task.get("group") != f"service:{service}" or task.get("lastStatus") != "STOPPED":
                    continue  # list_tasks may hold other services' tasks, or tasks still stopping
                handled += self._feed(task, target)
        return handled

    def _feed(self, task: dict[str, Any], target: dict[str, Any]) -> int:
        arn = str(task.get("taskArn", ""))
        stopped = task.get("stoppedAt")
        when = stopped.astimezone(UTC) if isinstance(stopped, datetime) else datetime.now(UTC)
        doc = {
            "version": "0",
            "id": f"poll:{arn}",
            "detail-type": "ECS Task State Change",
            "source": "aws.ecs",
            "account": target.get("account", ""),
            "region": target.get("region", ""),
            "time": when.isoformat().replace("+00:00", "Z"),
            "resources": [arn],
            "detail": task,
        }
        try:
            self.pipeline.process(parse_event(doc))
        except MalformedMessage as exc:
            log.warning("skipping task %s: %s", arn, exc)
            return 0
        except Retry as exc:
            log.info("task %s retried on the next poll: %s", arn, exc)
            return 0
        return 1


def _stopped_arns(ecs: Any, cluster: str, service: str) -> Iterator[str]:
    pages = ecs.get_paginator("list_tasks").paginate(
        cluster=cluster, serviceName=service, desiredStatus="STOPPED"
    )
    for page in pages:
        yield from page.get("taskArns", [])


def _unique(targets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for t in targets:
        seen.setdefault(service_key(t.get("account"), t.get("region"), t["cluster"], t["service"]), t)
    return list(seen.values())
