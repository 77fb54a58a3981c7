"""What every part of the store shares: the error callers catch, key naming, JSON, the clock."""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from enum import Enum
from json.encoder import encode_basestring_ascii
from typing import Any, ParamSpec, TypeVar

from redis import Redis
from redis import exceptions as rex
from redis.commands.core import Script

P = ParamSpec("P")
T = TypeVar("T")

# Server replies that mean "Redis cannot serve this right now" rather than "the caller has a bug".
_UNAVAILABLE_REPLIES = ("OOM", "MASTERDOWN", "LOADING", "MISCONF", "CLUSTERDOWN", "TRYAGAIN", "NOREPLICAS")


class StoreUnavailable(Exception):
    """Redis could not be reached or cannot serve right now: degrade, back off and retry later.

    The original redis-py error is chained as ``__cause__``.
    """


def is_unavailable(error: BaseException) -> bool:
    """Whether a redis-py error means the server is down/busy (as opposed to a programming error)."""
    if isinstance(error, rex.ConnectionError | rex.TimeoutError | rex.ReadOnlyError):
        return True
    return isinstance(error, rex.ResponseError) and str(error).startswith(_UNAVAILABLE_REPLIES)


def guarded(func: Callable[P, T]) -> Callable[P, T]:
    """Turn redis-py's connection/timeout errors into StoreUnavailable, so callers handle one type."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return func(*args, **kwargs)
        except rex.RedisError as error:
            if is_unavailable(error):
                raise StoreUnavailable(f"redis unavailable: {error}") from error
            raise

    return wrapper


def _default(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"cannot store a {type(value).__name__} as JSON")


_ENCODER = json.JSONEncoder(default=_default, separators=(",", ":"), sort_keys=True)  # json.dumps builds one a call


def dumps(value: object) -> str:
    """JSON for a stored value (datetimes as ISO text, enums by value, sets as sorted lists)."""
    return _ENCODER.encode(value)


def json_text(text: str) -> str:
    """`json.dumps(text)` for a str, without the encoder's per-call setup (scripts take many of them)."""
    return encode_basestring_ascii(text)


def loads(text: str | None) -> Any:
    """The stored JSON value, or None for a missing or unreadable one (never crash on old data)."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def loads_dict(text: str | None) -> dict[str, Any] | None:
    value = loads(text)
    return value if isinstance(value, dict) else None


def loads_hash(raw: dict[str, str]) -> dict[str, Any] | None:
    """A hash whose fields each hold JSON, as one object; None for no hash (HGETALL's empty answer)."""
    return {field: loads(value) for field, value in raw.items()} if raw else None


def check_ttl(seconds: float) -> int:
    """A TTL in whole seconds; Redis refuses 0 and negatives, so refuse them here with a clear error."""
    ttl = int(seconds)
    if ttl <= 0:
        raise ValueError(f"ttl must be at least 1 second, got {seconds!r}")
    return ttl


def glob_escape(text: str) -> str:
    """`text` matched literally in a SCAN pattern (a prefix may hold `*`, `?`, `[`)."""
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


def arn_name(value: str) -> str:
    """`arn:aws:ecs:…:cluster/prod` → `prod`; a plain name stays as it is."""
    return value.rsplit("/", 1)[-1] if value.startswith("arn:") else value


def service_key(account: str | None, region: str | None, cluster: str, service: str) -> str:
    """The one name of a service across the store: `account:region:cluster:service` (names, not ARNs).

    Use it for `record_stop`/`history` so events (ARNs) and commands (names) land in the same place.
    Colons cannot occur in cluster or service names, so the key is unambiguous.
    """
    return ":".join((account or "", region or "", arn_name(cluster), arn_name(service)))


class StoreBase:
    """The Redis client, the key prefix and the clock that every part of the store uses."""

    def __init__(
        self, redis: Redis, prefix: str = "ecs-why", *, clock: Callable[[], float] = time.time
    ) -> None:
        if not prefix:
            raise ValueError("prefix must not be empty: every key lives under it")
        self.redis = redis
        self.prefix = prefix
        self._clock = clock
        self._scripts: dict[str, Script] = {}

    def script(self, source: str) -> Script:
        """A Lua script on this store's Redis: one round trip (EVALSHA, loaded on first use), atomic.

        The in-process Redis (fakeredis with lupa) runs the same scripts, so both modes share one logic.
        """
        found = self._scripts.get(source)
        if found is None:
            found = self._scripts[source] = self.redis.register_script(source)
        return found

    def run_scripts(self, calls: Sequence[tuple[str, Sequence[str], Sequence[Any]]]) -> list[Any]:
        """Several `(script, keys, args)` calls in one round trip (a pipeline of EVALSHA), each atomic, run
        in order; their replies in that order. A script the server does not hold yet (first use, or a
        restarted Redis) is loaded and only the calls it refused run again: a refused call did nothing.
        """
        replies: list[Any] = [None] * len(calls)
        todo = list(range(len(calls)))
        for attempt in range(2):
            pipe = self.redis.pipeline(transaction=False)
            for i in todo:
                source, keys, args = calls[i]
                pipe.evalsha(self.script(source).sha, len(keys), *keys, *args)
            results = pipe.execute(raise_on_error=False)
            missing = []
            for i, result in zip(todo, results, strict=True):
                if isinstance(result, rex.NoScriptError) and attempt == 0:
                    missing.append(i)
                elif isinstance(result, Exception):
                    raise result
                else:
                    replies[i] = result
            if not missing:
                break
            for source in dict.fromkeys(calls[i][0] for i in missing):
                self.redis.script_load(source)
            todo = missing
        return replies

    def key(self, *parts: str) -> str:
        """`prefix:part:part…`: every key the store writes goes through here."""
        return ":".join((self.prefix, *parts))

    def now(self) -> float:
        return self._clock()

    def now_iso(self) -> str:
        return datetime.fromtimestamp(self._clock(), UTC).isoformat(timespec="milliseconds")
