"""The prevention rules, one module per family. The order is the order of SARIF's rule list and of the
docs, and decides which rule a diagnosis names when several prevent its cause (`catch.py`)."""

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
        service,
        logging,
        health,
        ports,
        filesystem,
        sidecars,
        shutdown,
        exec,
    )
    for rule in module.RULES
)

LIVE: tuple[Rule, ...] = _live.RULES  # ecs-why check SERVICE: the diagnosis engine's checks on the account
ALL: tuple[Rule, ...] = (*OFFLINE, *LIVE)

__all__ = ["ALL", "LIVE", "OFFLINE", "Rule"]
