"""Failure groups (one Slack thread per service and cause within a window) and mutes."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from redis.client import Pipeline
from redis.exceptions import WatchError

from bot.store.base import (
    StoreBase,
    StoreUnavailable,
    check_ttl,
    dumps,
    guarded,
    json_text,
    loads,
    loads_hash,
)
from bot.store.history import RECORD_STOP_LUA, history_write
from bot.store.records import GroupRecord, Notice, StopRecord, read_stored

_MAX_ATTEMPTS = 100


# A queue batch of stopped tasks in one script call (one round trip, atomic, in order): for each stop and
# each of its channels' groups, count the task once (dedupe key), open the group or bump it, and say what the
# caller must do (post, or nothing); then record the stop in the history when no channel waits for a post
# (a task whose post may fail is not "done" for the poller yet).
# KEYS, per stop: history index, history records, the cluster's index, then per group: dedupe key, group key,
#       mute key.
# ARGV: opened_at (JSON), then per stop: its group count, member ttl, window ttl, latest_task (JSON),
#       history? (1/0), the 9 history arguments, the opening stop's fields of a group (`title`, `summary`,
#       and `opened_at`, its stop's time, when it has one: else ARGV[1], now) as one JSON object (each
#       stored JSON-encoded, read only to open a group), then per group: its
#       channel and its key (JSON, stored as `fingerprint`). The hash is a `GroupRecord`.
# Returns, per stop: history (0 not written, 1 written but already stored, 2 stored), 6 values per group.
_COUNT_STOPS_LUA = (
    RECORD_STOP_LUA
    + """
local opened_at, out, k, a = ARGV[1], {}, 0, 2
while a <= #ARGV do
  local groups, member_ttl, window = tonumber(ARGV[a]), tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
  local latest, flag, waiting = ARGV[a + 3], #out + 1, false
  out[flag] = 0
  for g = 1, groups do
    local dedupe, group, mute = KEYS[k + 3 * g + 1], KEYS[k + 3 * g + 2], KEYS[k + 3 * g + 3]
    local fresh = redis.call('SET', dedupe, '1', 'NX', 'EX', member_ttl) and 1 or 0
    local opened = 0
    if fresh == 1 then
      if redis.call('HINCRBY', group, 'count', 1) > 1 then
        redis.call('HSET', group, 'latest_task', latest)
      else  -- no group was open: this stop opens it
        local at, first = a + 15 + 2 * (g - 1), cjson.decode(ARGV[a + 14])
        local since = first.opened_at and cjson.encode(first.opened_at) or opened_at
        first.opened_at = nil
        local fields = {'channel', ARGV[at], 'fingerprint', ARGV[at + 1], 'latest_task', latest,
          'opened_at', since, 'window_seconds', tostring(window)}
        for field, value in pairs(first) do
          fields[#fields + 1] = field
          fields[#fields + 1] = cjson.encode(value)
        end
        redis.call('HSET', group, unpack(fields))
        redis.call('EXPIRE', group, window)
        opened = 1
      end
    end
    local state = redis.call('HMGET', group, 'count', 'ts', 'opened_at')
    local muted = redis.call('EXISTS', mute)
    if state[1] and not state[2] and muted == 0 then waiting = true end
    for _, v in ipairs({fresh, opened, state[1] or '', state[2] or '', state[3] or '', muted}) do
      out[#out + 1] = v
    end
  end
  if ARGV[a + 4] == '1' and not waiting then
    out[flag] = 1 + record_stop(KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], ARGV[a + 5], ARGV[a + 6], ARGV[a + 7],
      ARGV[a + 8], tonumber(ARGV[a + 9]), tonumber(ARGV[a + 10]), ARGV[a + 11], ARGV[a + 12], ARGV[a + 13])
  end
  k, a = k + 3 + 3 * groups, a + 15 + 2 * groups
end
return out
"""
)


def utc_iso(when: str) -> str:
    """A stop's time (ECS's ISO 8601, any offset) as the store writes times (UTC, milliseconds), or ""
    when it is none: a group's window is said to open at its first stop, not when the worker counted it."""
    try:
        parsed = datetime.fromisoformat(when.replace("Z", "+00:00")) if when else None
    except ValueError:
        return ""
    if parsed is None or parsed.tzinfo is None:
        return ""
    return parsed.astimezone(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True, slots=True)
class Counted:
    """One group's state right after a stop was counted in it (see `GroupsMixin.count_stop`)."""

    fresh: bool  # the stop was new to this group (False: counted before, e.g. a redelivery)
    opened: bool  # this call opened the group
    count: int  # 0: no group is open (the stop was counted in a window that has ended)
    ts: str | None  # the group's message, once posted
    opened_at: str
    muted: bool


@dataclass(frozen=True, slots=True)
class StopCount:
    """One stop to count (the arguments of `GroupsMixin.count_stop`)."""

    member: str
    notice: Notice  # the stop's: a group it opens keeps its title and summary
    groups: Sequence[tuple[str, str, str]]
    member_ttl: int
    window_seconds: int
    history: tuple[str, StopRecord, int, int] | None = None


def _counted(reply: list[Any], groups: Sequence[int]) -> list[tuple[list[Counted], bool]]:
    """The script's flat reply, split per stop (`groups`: how many groups each stop was counted in)."""
    results, at = [], 0
    for n in groups:
        values = reply[at + 1 : at + 1 + 6 * n]
        states = [
            Counted(
                fresh=bool(int(fresh)),
                opened=bool(int(opened)),
                count=int(count or 0),
                ts=loads(ts) if ts else None,
                opened_at=loads(opened_at) if opened_at else "",
                muted=bool(int(muted)),
            )
            for fresh, opened, count, ts, opened_at, muted in zip(*[iter(values)] * 6, strict=True)
        ]
        results.append((states, int(reply[at]) > 0))
        at += 1 + 6 * n
    return results


class GroupsMixin(StoreBase):
    """A group is one hash `group:<group key>` (a `GroupRecord`) that expires with its window; the events
    script opens and counts it (`count_stops`). A mute is a key `mute:<group key>` (one channel's) with a
    TTL."""

    def _group_key(self, fingerprint: str) -> str:
        return self.key("group", fingerprint)

    @guarded
    def group_get(self, gkey: str) -> GroupRecord | None:
        """The open group, or None (its window ended, or it cannot be read)."""
        return _group(cast(dict[str, str], self.redis.hgetall(self._group_key(gkey))))

    @guarded
    def group_states(self, gkeys: Sequence[str]) -> list[tuple[GroupRecord | None, bool]]:
        """Several open groups (as `group_get`) and whether each is muted, in one round trip."""
        pipe = self.redis.pipeline(transaction=False)
        for gkey in gkeys:
            pipe.hgetall(self._group_key(gkey))
            pipe.exists(self.key("mute", gkey))
        replies = pipe.execute()
        return [(_group(raw), bool(muted)) for raw, muted in zip(replies[::2], replies[1::2], strict=True)]

    @guarded
    def group_shown(self, gkey: str, shown: int, ts: str | None = None) -> bool:
        """The group's message shows `shown` stops (`ts`: it was just posted as that message).

        False when no group is open (nothing is written, so no group is created without its window).
        """
        key = self._group_key(gkey)
        fields = {"shown": str(int(shown))} | ({"ts": json_text(ts)} if ts is not None else {})

        def write(pipe: Pipeline) -> None:
            pipe.hset(key, mapping=fields)  # type: ignore[arg-type]

        return self._if_exists(key, write)

    @guarded
    def count_stop(
        self,
        member: str,
        notice: Notice,
        groups: Sequence[tuple[str, str, str]],
        member_ttl: int,
        window_seconds: int,
        history: tuple[str, StopRecord, int, int] | None = None,
    ) -> tuple[list[Counted], bool]:
        """Count one stop (`member`: its task ARN) in each `(group key, channel, mute fingerprint)` and
        record it in the history (`(service key, record, retention days, max records)`) unless a group
        waits for its message: one round trip, atomic. Returns each group's state and whether the history
        was written. A group the stop is new to is opened with the title and summary of its `notice` when
        none is open.
        """
        return self.count_stops([StopCount(member, notice, groups, member_ttl, window_seconds, history)])[0]

    @guarded
    def count_stops(self, stops: Sequence[StopCount]) -> list[tuple[list[Counted], bool]]:
        """`count_stop` for several stops (a queue batch) in one script call: one round trip, atomic, the
        stops counted in order, so the result is that of counting them one after another."""
        if not stops:
            return []
        keys: list[str] = []
        args: list[Any] = [json.dumps(self.now_iso())]
        for stop in stops:
            self._count_stop_call(stop, keys, args)
        (reply,) = self.run_scripts([(_COUNT_STOPS_LUA, keys, args)])
        return _counted(reply, [len(stop.groups) for stop in stops])

    def _count_stop_call(self, stop: StopCount, keys: list[str], args: list[Any]) -> None:
        """Append one stop's keys and arguments (the layout `_COUNT_STOPS_LUA` reads)."""
        if stop.history is not None:
            history_keys, history_args = history_write(self, *stop.history)
        else:
            history_keys, history_args = [self.key("history", "-")] * 3, ["", "", 0, 0, 1, 1, "", 0, 0]
        first = {"summary": stop.notice.summary, "title": stop.notice.title}
        stopped = utc_iso(stop.notice.latest_at)
        shared = dumps(first | {"opened_at": stopped} if stopped else first)
        keys += history_keys
        per_group = []
        for gkey, channel, mute_fingerprint in stop.groups:
            keys += [self.key("dedupe", f"member:{gkey}|{stop.member}"), self._group_key(gkey)]
            keys.append(self.key("mute", mute_fingerprint))
            per_group += [json_text(channel), json_text(gkey)]
        args += [
            len(stop.groups),
            check_ttl(stop.member_ttl),
            check_ttl(stop.window_seconds),
            json_text(stop.member),
            1 if stop.history is not None else 0,
            *history_args,
            shared,
            *per_group,
        ]

    def _if_exists(self, key: str, write: Callable[[Pipeline], None]) -> bool:
        """Run `write` in MULTI only if the key exists, under WATCH (no Lua needed).

        A concurrent change (or the key expiring meanwhile) makes EXEC fail and we look again.
        """
        for _ in range(_MAX_ATTEMPTS):
            with self.redis.pipeline(transaction=True) as pipe:
                try:
                    cast(Any, pipe).watch(key)  # redis-py leaves watch() untyped
                    if not pipe.exists(key):
                        pipe.unwatch()
                        return False
                    pipe.multi()
                    write(pipe)
                    pipe.execute()
                except WatchError:
                    continue
                return True
        raise StoreUnavailable(f"{key} kept conflicting with concurrent changes")

    @guarded
    def mute(self, fingerprint: str, seconds: int) -> None:
        """Stop posting this service+cause for a while ("Mute 1h"); muted failures are still counted."""
        self.redis.set(self.key("mute", fingerprint), "1", ex=check_ttl(seconds))

    @guarded
    def muted(self, fingerprint: str) -> bool:
        """Whether notifications for this fingerprint are muted right now."""
        return bool(self.redis.exists(self.key("mute", fingerprint)))


def _group(raw: dict[str, str]) -> GroupRecord | None:
    """A group's hash as its record; None for no hash, or one that is not a group of ours."""
    return read_stored(GroupRecord, loads_hash(raw))
