"""Task definitions cached by ARN: a revision never changes, so a cached one costs no AWS call."""

from __future__ import annotations

import logging
from collections.abc import Iterator, MutableMapping
from typing import Any, cast

from bot.store.base import StoreBase, StoreUnavailable, dumps, glob_escape, guarded, loads_dict

log = logging.getLogger(__name__)

TASK_DEFINITION_TTL = 7 * 24 * 3600


class TaskDefinitionCache(MutableMapping[str, dict[str, Any]]):
    """`cache[arn] = definition`, `arn in cache`, `cache[arn]`: kept 7 days from the last write.

    Key it by the full ARN with its revision (`…:task-definition/web:43`), never by a family alone,
    which moves. Reads and writes raise StoreUnavailable like the rest of the store.
    """

    def __init__(self, store: StoreBase) -> None:
        self._store = store
        self._prefix = store.key("taskdef", "")

    @guarded
    def __getitem__(self, arn: str) -> dict[str, Any]:
        value = loads_dict(cast(str | None, self._store.redis.get(self._prefix + arn)))
        if value is None:
            raise KeyError(arn)
        return value

    @guarded
    def __setitem__(self, arn: str, definition: dict[str, Any]) -> None:
        self._store.redis.set(self._prefix + arn, dumps(definition), ex=TASK_DEFINITION_TTL)

    @guarded
    def __delitem__(self, arn: str) -> None:
        if not self._store.redis.delete(self._prefix + arn):
            raise KeyError(arn)

    @guarded
    def __contains__(self, arn: object) -> bool:
        return isinstance(arn, str) and bool(self._store.redis.exists(self._prefix + arn))

    @guarded
    def __iter__(self) -> Iterator[str]:
        # SCAN walks the whole keyspace: fine for `len()` in a test or a debug page, not for a hot path.
        match = glob_escape(self._prefix) + "*"
        keys = cast(list[str], list(self._store.redis.scan_iter(match=match, count=1000)))
        return iter([k[len(self._prefix) :] for k in keys])

    def __len__(self) -> int:
        return sum(1 for _ in self)


class OptionalCache(MutableMapping[str, dict[str, Any]]):
    """A cache that is only an optimisation: with Redis unreachable, a read is a miss and a write is
    dropped, so a diagnosis still runs (it makes the AWS call instead). One log line per outage."""

    def __init__(self, cache: MutableMapping[str, dict[str, Any]]) -> None:
        self._cache = cache
        self._down = False

    def _failed(self, error: StoreUnavailable) -> None:
        if not self._down:
            self._down = True
            log.warning("task definition cache unavailable, reading from AWS instead: %s", error.__cause__)

    def __getitem__(self, arn: str) -> dict[str, Any]:
        try:
            value = self._cache[arn]
        except StoreUnavailable as error:
            self._failed(error)
            raise KeyError(arn) from None
        self._down = False
        return value

    def __setitem__(self, arn: str, definition: dict[str, Any]) -> None:
        try:
            self._cache[arn] = definition
            self._down = False
        except StoreUnavailable as error:
            self._failed(error)

    def __delitem__(self, arn: str) -> None:
        try:
            del self._cache[arn]
        except StoreUnavailable as error:
            self._failed(error)
            raise KeyError(arn) from None

    def __contains__(self, arn: object) -> bool:
        try:
            return arn in self._cache
        except StoreUnavailable as error:
            self._failed(error)
            return False

    def __iter__(self) -> Iterator[str]:
        try:
            return iter(self._cache)
        except StoreUnavailable as error:
            self._failed(error)
            return iter(())

    def __len__(self) -> int:
        return sum(1 for _ in self)


class TaskDefinitionsMixin(StoreBase):
    def task_definitions(self) -> TaskDefinitionCache:
        """A dict-like view of the shared task definition cache (7-day TTL per entry)."""
        return TaskDefinitionCache(self)

    def optional_task_definitions(self) -> OptionalCache:
        """The same cache for diagnoses: an unreachable Redis makes it a miss, not an error."""
        return OptionalCache(TaskDefinitionCache(self))
