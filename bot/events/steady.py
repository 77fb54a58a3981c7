"""Whether a service is steady now (running = desired tasks), read with the same credentials the event
path reads the service's account with: what resolves an alert (bot/events/lifecycle.py)."""

from __future__ import annotations

import logging

from botocore.exceptions import BotoCoreError, ClientError

from bot.aws_session import SessionError, session_for
from bot.events.lifecycle import TaskCounts
from bot.events.notifier import Notice
from bot.settings import Settings

log = logging.getLogger(__name__)


def account_alias(settings: Settings, account_id: str | None) -> str | None:
    """The ECS_WHY_ACCOUNTS alias whose role lives in this account (None: the default credentials)."""
    for config in settings.accounts:
        if account_id and config.role_arn and f":{account_id}:" in config.role_arn:
            return config.alias
    return None


def ecs_task_counts(settings: Settings) -> TaskCounts:
    def counts(notice: Notice) -> tuple[int, int] | None:
        try:
            session = session_for(settings, account_alias(settings, notice.account), notice.region or None)
            ecs = session.client("ecs")
            found = ecs.describe_services(cluster=notice.cluster, services=[notice.service]).get(
                "services", []
            )
        except (BotoCoreError, ClientError, SessionError) as exc:
            log.info("cannot read %s now (%s): its alert stays open", notice.label, exc)
            return None
        active = [s for s in found if s.get("status") == "ACTIVE"]
        if not active:
            return None
        return int(active[0].get("runningCount", 0)), int(active[0].get("desiredCount", 0))

    return counts
