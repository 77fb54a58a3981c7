"""Slack-facing listeners, one module per kind (commands, shortcuts, actions, views, follow-ups), each with
`register(app, services)`; `register_all` is what the composition root calls."""

from __future__ import annotations

from slack_bolt import App

from bot.services import Services
from handlers import actions, approvals, commands, followups, notify, shortcuts, views


def register_all(app: App, services: Services) -> None:
    for module in (commands, shortcuts, actions, views, approvals, notify, followups):
        module.register(app, services)
