"""What the Slack handlers are given by the composition root (they never build these themselves)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from bot.diagnoser import Diagnoser
from bot.remediation.approvals import Approvals
from bot.remediation.executor import Remediator
from bot.settings import Settings
from bot.store import Store


@dataclass
class Services:
    settings: Settings
    store: Store
    diagnoser: Diagnoser
    remediator: Remediator
    follow_timeout_seconds: float = 900
    follow_interval_seconds: float = 15
    extras: dict[str, Any] | None = None
    approvals: Approvals | None = None  # guardrail mode approve; None: such changes are refused
    # set when a job is queued, so this process's idle job workers look at once
    wake: threading.Event = field(default_factory=threading.Event)
