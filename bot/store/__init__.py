"""The state store: the only module that touches Redis.

Subscriptions (to services, or to a cluster's services by pattern), pending button actions (TTL), the
append-only audit log, stopped-task history per service, failure groups, their alerts' lifecycle and
mutes, each cluster's index of its history and alerts (for summaries), approval requests, which target a
thread is about, dedupe and once-only claims, the task definition cache, the poller cursor and the job
stream, all as JSON under one key prefix. Every method
raises `StoreUnavailable` when Redis cannot be reached, so callers degrade and back off instead of crashing.

With no `REDIS_URL`, `Store.from_url(None)` gives an in-process Redis (fakeredis) shared by the whole
process: right for the demo and a single replica, useless across processes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import fakeredis
from redis import Redis
from redis.exceptions import RedisError

from bot.store.alerts import AlertsMixin
from bot.store.approvals import ApprovalsMixin
from bot.store.audit_log import AuditMixin
from bot.store.base import StoreUnavailable, service_key
from bot.store.cache import TaskDefinitionCache, TaskDefinitionsMixin
from bot.store.channel_subscriptions import SubscriptionsMixin
from bot.store.groups import GroupsMixin
from bot.store.history import HistoryMixin
from bot.store.jobs import JobsMixin
from bot.store.once import OnceMixin
from bot.store.patterns import PatternsMixin
from bot.store.pending import PendingMixin
from bot.store.threads import ThreadsMixin

__all__ = ["Store", "StoreUnavailable", "TaskDefinitionCache", "service_key"]

_in_process_server: fakeredis.FakeServer | None = None
_in_process_lock = threading.Lock()


def _shared_fake_server() -> fakeredis.FakeServer:
    global _in_process_server
    with _in_process_lock:
        if _in_process_server is None:
            _in_process_server = fakeredis.FakeServer()
        return _in_process_server


class Store(
    OnceMixin,
    PendingMixin,
    AuditMixin,
    SubscriptionsMixin,
    HistoryMixin,
    GroupsMixin,
    TaskDefinitionsMixin,
    JobsMixin,
    ThreadsMixin,
    AlertsMixin,
    PatternsMixin,
    ApprovalsMixin,
):
    """Typed access to every piece of shared state; safe to share between threads and replicas."""

    def __init__(
        self, redis: Redis, prefix: str = "ecs-why", *, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__(redis, prefix, clock=clock)

    @classmethod
    def from_url(cls, url: str | None, prefix: str = "ecs-why") -> Store:
        """A store on `REDIS_URL` (`redis://` or `rediss://`), or the in-process Redis when it is None.

        Short socket timeouts and a periodic health check, so a dead Redis surfaces as StoreUnavailable
        in seconds, not as a hung Slack ack.
        """
        if url is None:
            return cls(fakeredis.FakeRedis(server=_shared_fake_server(), decode_responses=True), prefix)
        client = Redis.from_url(
            url,
            decode_responses=True,
            health_check_interval=15,
            socket_timeout=5,
            socket_connect_timeout=3,
            socket_keepalive=True,
            client_name="ecs-why",
        )
        return cls(client, prefix)

    @property
    def in_process(self) -> bool:
        """True on the in-process Redis: state is not shared with other processes (worker refuses)."""
        return isinstance(self.redis, fakeredis.FakeRedis)

    def ping(self) -> bool:
        """Whether Redis answers (for `/readyz`); False instead of raising when it is down."""
        try:
            return bool(self.redis.ping())
        except (RedisError, OSError):
            return False
