"""The prevention rules, one module per family, in the order their results are listed."""

from __future__ import annotations

from diagnosis.prevent.rules import (
    exec,
    filesystem,
    health,
    images,
    logging,
    ports,
    secrets,
    service,
    shutdown,
    sidecars,
    sizing,
)
from diagnosis.prevent.rules import live as _live
from diagnosis.prevent.rules.base import Rule

OFFLINE: tuple[Rule, ...] = tuple(
    rule
    for module in (
        sizing,
        images,
        secrets,
        logging,
        health,
        ports,
        filesystem,
        sidecars,
        shutdown,
        exec,
        service,
    )
    for rule in module.RULES
)

LIVE: tuple[Rule, ...] = _live.RULES  # ecs-why check SERVICE: the diagnosis engine's checks on the account
ALL: tuple[Rule, ...] = (*OFFLINE, *LIVE)

__all__ = ["ALL", "LIVE", "OFFLINE", "Rule"]
