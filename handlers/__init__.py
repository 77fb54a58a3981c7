"""Slack-facing listeners, one module per kind (commands, shortcuts, actions, views, approvals, alerts,
follow-ups), each with `register(app, services)`; `register_all` is what the composition root calls."""

from __future__ import annotations

from slack_bolt import App

from bot.services import Services
from handlers import actions, alerts, approvals, commands, followups, shortcuts, views


def register_all(app: App, services: Services) -> None:
    for module in (commands, shortcuts, actions, views, approvals, alerts, followups):
        module.register(app, services)
