"""Accepted Slack work as jobs on a Redis stream with a consumer group, and each job's step ledger.

Why a stream and not RQ, arq or Dramatiq: the guarantee we need is "a job whose worker died is run
again", and a consumer group gives it natively (an entry stays pending until XACK; XAUTOCLAIM hands an
entry idle for too long to a live worker). RQ moves a job whose worker died to its failed registry
instead of running it again, arq is asyncio-only, Dramatiq brings its own actor model and Lua
scripts (which the in-process fakeredis runs only with an extra dependency). redis-py is already here,
and fakeredis implements streams, so the demo and single-replica installs keep one code path.

A job is a JSON document with an `id` that stays the same when the job is delivered again or handed
back; the stream entry id changes. The ledger (`job:<id>` hash, kept a day) remembers how often a job
was started and what each of its steps returned, so a job run again skips what it already did.
"""

from __future__ import annotations

from typing import Any, cast

from redis.exceptions import ResponseError

from bot.store.base import StoreBase, check_ttl, dumps, guarded, loads_dict

JOBS_MAXLEN = 100_000
# The job and its delivery key in one round trip, atomic. A re-delivery (ARGV[4] = '1') is queued only if
# nothing took the key; a delivery that is not one is queued unless a re-delivery of it was queued first
# (the same body sent again without the retry header is new, as a resubmitted form is).
_ENQUEUE_ONCE_LUA = """
local taken = redis.call('GET', KEYS[2])
if ARGV[4] == '1' then
  if taken then return false end
  redis.call('SET', KEYS[2], 'retry', 'EX', tonumber(ARGV[3]))
else
  if taken == 'retry' then return false end
  redis.call('SET', KEYS[2], '1', 'EX', tonumber(ARGV[3]))
end
return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'job', ARGV[2])
"""
LEDGER_TTL = 24 * 3600
GROUP = "workers"

Entry = tuple[str, dict[str, Any]]  # (stream entry id, job)


class JobsMixin(StoreBase):
    def _jobs(self) -> str:
        return self.key("jobs")

    def _ledger(self, job_id: str) -> str:
        return self.key("job", job_id)

    @guarded
    def ensure_job_group(self) -> None:
        """Create the stream and its consumer group if missing (idempotent; every worker calls it)."""
        try:
            self.redis.xgroup_create(self._jobs(), GROUP, id="0", mkstream=True)
        except ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    @guarded
    def enqueue_job(
        self, job: dict[str, Any], once: str | None = None, once_ttl: int = 3600, retry: bool = False
    ) -> str | None:
        """Append a job (a dict with a string `id`); returns the stream entry id.

        With `once` (a delivery's key, kept `once_ttl` seconds): a `retry` is written only if the key
        is new, and any delivery is not written after a retry of it was; then None is returned."""
        if not isinstance(job.get("id"), str):
            raise ValueError("a job needs a string id")
        stored = dumps(job)
        if once is None:
            return str(self.redis.xadd(self._jobs(), {"job": stored}, maxlen=JOBS_MAXLEN, approximate=True))
        keys = [self._jobs(), self.key("dedupe", once)]
        entry = self.script(_ENQUEUE_ONCE_LUA)(
            keys=keys, args=[JOBS_MAXLEN, stored, check_ttl(once_ttl), int(retry)]
        )
        return None if entry is None else str(entry)

    @guarded
    def take_jobs(self, consumer: str, count: int = 1, block_ms: int | None = None) -> list[Entry]:
        """New jobs for this consumer (they stay pending under its name until `finish_job`). None when the
        stream or its group went while the read waited (deleted, flushed): the next read makes them again."""
        self.ensure_job_group()
        try:
            reply = self.redis.xreadgroup(GROUP, consumer, {self._jobs(): ">"}, count=count, block=block_ms)
        except ResponseError as error:
            if not str(error).startswith(("UNBLOCKED", "NOGROUP")):
                raise
            return []
        rows = cast(list[tuple[str, list[tuple[str, dict[str, str]]]]], reply or [])
        return _entries([row for _, entries in rows for row in entries])

    @guarded
    def reclaim_jobs(self, consumer: str, min_idle_seconds: float, count: int = 1) -> list[Entry]:
        """Jobs whose worker has not touched them for `min_idle_seconds` (it died): now this consumer's."""
        self.ensure_job_group()
        reply: list[Any] = self.redis.xautoclaim(
            self._jobs(), GROUP, consumer, int(min_idle_seconds * 1000), "0-0", count=count
        )
        return _entries(cast(list[tuple[str, dict[str, str]]], reply[1] if len(reply) > 1 else []))

    @guarded
    def job_consumers(self) -> list[dict[str, Any]]:
        """The group's consumers: `name`, `pending` (jobs it holds) and `idle` (ms since it was seen)."""
        self.ensure_job_group()
        consumers: list[dict[str, Any]] = self.redis.xinfo_consumers(self._jobs(), GROUP)
        return consumers

    @guarded
    def take_over_jobs(self, dead: str, consumer: str, count: int = 100) -> list[Entry]:
        """The jobs a consumer known to be dead holds, now this consumer's; the dead one is forgotten."""
        rows = self.redis.xpending_range(self._jobs(), GROUP, "-", "+", count, consumername=dead)
        ids = [str(row["message_id"]) for row in cast(list[dict[str, Any]], rows)]
        claimed = self.redis.xclaim(self._jobs(), GROUP, consumer, 0, list[Any](ids)) if ids else []
        self.redis.xgroup_delconsumer(self._jobs(), GROUP, dead)
        return _entries(cast(list[tuple[str, dict[str, str]]], [c for c in claimed if c]))

    @guarded
    def forget_job_consumer(self, name: str) -> None:
        """Drop a consumer that holds no jobs (a process that ended), so the group does not grow."""
        self.redis.xgroup_delconsumer(self._jobs(), GROUP, name)

    @guarded
    def touch_jobs(self, consumer: str, entry_ids: list[str]) -> None:
        """Say this consumer is still working on these entries (resets their idle time)."""
        if entry_ids:
            self.redis.xclaim(self._jobs(), GROUP, consumer, 0, list[Any](entry_ids), justid=True)

    @guarded
    def finish_job(self, entry_id: str) -> None:
        """The job is done (answered or told why not): acknowledge and drop its entry."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.xack(self._jobs(), GROUP, entry_id)
        pipe.xdel(self._jobs(), entry_id)
        pipe.execute()

    @guarded
    def hand_back_job(self, entry_id: str, job: dict[str, Any]) -> None:
        """Give an unfinished job to the other workers now (shutdown), instead of after the claim timeout."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.xadd(self._jobs(), {"job": dumps(job)}, maxlen=JOBS_MAXLEN, approximate=True)
        pipe.xack(self._jobs(), GROUP, entry_id)
        pipe.xdel(self._jobs(), entry_id)
        pipe.execute()

    @guarded
    def pending_jobs(self) -> int:
        """Jobs waiting or running (for metrics and tests)."""
        return int(self.redis.xlen(self._jobs()))

    @guarded
    def job_started(self, job_id: str) -> int:
        """Count one more start of the job; returns how many times it has been started."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.hincrby(self._ledger(job_id), "attempts", 1)
        pipe.expire(self._ledger(job_id), LEDGER_TTL)
        attempts, _ = pipe.execute()
        return int(attempts)

    @guarded
    def job_step(self, job_id: str, step: str) -> str | None:
        """What the job's step returned in an earlier attempt, or None if it has not been done."""
        return cast(str | None, self.redis.hget(self._ledger(job_id), f"step:{step}"))

    @guarded
    def record_job_step(self, job_id: str, step: str, value: str) -> None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(self._ledger(job_id), f"step:{step}", value)
        pipe.expire(self._ledger(job_id), LEDGER_TTL)
        pipe.execute()


def _entries(rows: list[tuple[str, dict[str, str]]]) -> list[Entry]:
    entries = []
    for entry_id, fields in rows:
        job = loads_dict((fields or {}).get("job"))
        entries.append((entry_id, job if job is not None else {"id": entry_id, "unreadable": True}))
    return entries
