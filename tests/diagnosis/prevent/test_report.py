"""The one-line summary of `ecs-why check`, which the terminal and Slack's fallback text both say."""

from __future__ import annotations

from diagnosis.models import Target
from diagnosis.prevent.model import CheckReport
from diagnosis.prevent.report import summary, to_text
from handlers.render.check import headline


def test_the_summary_names_what_was_checked_when_told() -> None:
    report = CheckReport(target=Target(cluster="prod", service="web"), subjects=["web:7"])
    assert summary(report) == "ecs-why check: 0 errors, 0 warnings in 1 task definition"
    assert summary(report, "prod/web") == "ecs-why check prod/web: 0 errors, 0 warnings in 1 task definition"
    assert to_text(report).startswith(summary(report) + "\n")
    assert headline(report, "check prod/web", []).text == summary(report, "prod/web")
