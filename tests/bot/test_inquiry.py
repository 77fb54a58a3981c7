"""An inquiry spelled as a command line reads back as the same diagnosis in `/ecs-why` (an alert's thread
remembers it so a follow-up there needs no retyping), whatever the names look like."""

from __future__ import annotations

import pytest

from bot.inquiry import Asked, command_line
from handlers.grammar import Command, parse_command


@pytest.mark.parametrize(
    "asked",
    [
        Asked("prod/web-api", region="eu-west-1"),
        Asked("web-api", cluster="prod", region="eu-west-1", account="payments", since="6h"),
        Asked("history"),  # a service named like a verb is still diagnosed
        Asked("help", cluster="prod"),
        Asked("arn:aws:ecs:eu-west-1:123456789012:service/prod/web"),
        Asked("web", since="-1h"),  # a value starting with a dash is not read as a flag
        Asked("web.", cluster="my cluster"),  # a trailing period and a space survive
    ],
    ids=lambda a: a.target,
)
def test_a_command_line_reads_back_as_the_same_diagnosis(asked: Asked) -> None:
    command = parse_command(command_line(asked))
    assert command == Command(
        "diagnose", asked.target, asked.cluster, asked.region, asked.account, asked.since
    ), command_line(asked)


def test_a_command_is_spelled_with_the_same_flags() -> None:
    """The grammar's `Command.text()` writes the inquiry's flags the same way (one spelling of a flag)."""
    command = Command("history", "web", "prod", "eu-west-1", "payments", "7d")
    assert command.text() == "history web --cluster prod --region eu-west-1 --account payments --since 7d"
    assert command_line(command) == "diagnose " + command.text().removeprefix("history ")
