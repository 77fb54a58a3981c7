"""Listeners are module-level functions taking the services first, then the arguments Bolt injects
(`ack`, `body`, `client`, `respond`, …); `register()` binds the services with `bind`, and tests call the
functions directly.

Bolt injects by parameter name, reading the signature (a partial shows only the parameters left), and
names a lazy listener by its function's name: a job queued in Redis (bot/jobs.py) is run again by that
name, so the bound function keeps it."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import partial

from bot.services import Services


def bind(listener: Callable[..., None], services: Services) -> Callable[..., None]:
    """`listener` with `services` as its first argument, under the listener's own name."""
    first = next(iter(inspect.signature(listener).parameters), None)
    if first != "services":
        raise TypeError(f"{listener.__name__} must take `services` first to be bound, not {first!r}")
    bound = partial(listener, services)
    bound.__name__ = listener.__name__  # type: ignore[attr-defined]
    return bound
