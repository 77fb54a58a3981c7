"""Record the requests one redis-py client sends: what costs a round trip (a command, or a pipeline however
many commands it holds), for tests that count round trips instead of timing them."""

from __future__ import annotations

from typing import Any

import pytest
import redis
import redis.client


def redis_requests(monkeypatch: pytest.MonkeyPatch, client: redis.Redis) -> list[str]:
    """Every request `client` sends from now on: a command by its name, a pipeline as `pipeline of N`. Only
    this client's: a thread another test left running may use Redis meanwhile."""
    sent: list[str] = []
    command, execute = redis.Redis.execute_command, redis.client.Pipeline.execute

    def one(self: redis.Redis, *args: Any, **options: Any) -> Any:
        if self is client:
            sent.append(str(args[0]))
        return command(self, *args, **options)

    def pipelined(self: redis.client.Pipeline, raise_on_error: bool = True) -> Any:
        if self.command_stack and self.connection_pool is client.connection_pool:  # empty: nothing sent
            sent.append(f"pipeline of {len(self.command_stack)}")
        return execute(self, raise_on_error)

    monkeypatch.setattr(redis.Redis, "execute_command", one)
    monkeypatch.setattr(redis.client.Pipeline, "execute", pipelined)
    return sent
