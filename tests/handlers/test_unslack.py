"""What Slack clients send for what a person typed: smart punctuation, entities and link wrappers are read
as the command the person meant (`read_command`), and the whole command is checked before any answer."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.grammar import Command, CommandError, check_command, read_command
from handlers.unslack import unslack

ARN = "arn:aws:ecs:eu-west-1:123456789012:service/prod/web-api"


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("web-api —cluster prod –since 24h", Command("diagnose", "web-api", "prod", since="24h")),
        ("web-api \u2212\u2212region eu-west-1", Command("diagnose", "web-api", region="eu-west-1")),
        ("web-api —-cluster prod", Command("diagnose", "web-api", "prod")),
        ("“web api” —cluster ‘my cluster’", Command("diagnose", "web api", "my cluster")),
        ("web-api --cluster prod.", Command("diagnose", "web-api", "prod")),
        ("History web —since 7d.", Command("history", "web", since="7d")),
        ("web-api --Cluster prod", Command("diagnose", "web-api", "prod")),
        (f"<{ARN}>", Command("diagnose", ARN)),
        (f"&lt;{ARN}&gt;", Command("diagnose", ARN)),
        (f"<{ARN}|{ARN}>", Command("diagnose", ARN)),
        ("`prod/web-api` --since 6h", Command("diagnose", "prod/web-api", since="6h")),
        ("web-api\u00a0--cluster\u200b prod", Command("diagnose", "web-api", "prod")),
        (
            "<https://eu-west-1.console.aws.amazon.com/ecs/v2/clusters/prod/services/web-api/health"
            "?region=eu-west-1|console>",
            Command("diagnose", "prod/web-api", region="eu-west-1"),
        ),
        (
            "subscribe prod/web —only oom,app_error.",
            Command("subscribe", "prod/web", only=("oom", "app_error")),
        ),
    ],
)
def test_typed_text_reads_as_meant(typed: str, meant: Command) -> None:
    assert read_command(typed) == meant


def test_an_apostrophe_inside_a_word_stays() -> None:
    assert unslack("it’s web") == "it’s web"


def test_a_link_label_is_what_the_person_saw() -> None:
    assert unslack("<https://example.com/x|prod/web>") == "prod/web"


def test_a_quoted_trailing_period_is_kept() -> None:
    assert read_command("web --cluster 'a.'").cluster == "a."


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("web --since 24hours", "use a number and a unit"),
        ("web --since yesterday", "use a number and a unit"),
        ("web --region europe", "is not an AWS region"),
        ("web --account nope", "unknown account 'nope'; known accounts: payments"),
        ("arn:aws:s3:::bucket", "is not an ECS service or task ARN"),
        ("prod/web/extra!", "is not a target"),
        ("history web --since 0d", "--since"),
    ],
)
def test_the_whole_command_is_checked(typed: str, says: str) -> None:
    with pytest.raises(CommandError, match=None) as info:
        check_command(read_command(typed), {"payments"})
    assert says in str(info.value)


def test_a_good_command_passes_the_check() -> None:
    check_command(read_command("prod/web —since 6h —region eu-west-1 —account payments"), {"payments"})


@pytest.mark.parametrize(
    "typed", ["subscribe prod/* —only oom,app_error", "subscribe prod/web-*", "unsubscribe prod/*"]
)
def test_a_cluster_pattern_is_a_subscription_target(typed: str) -> None:
    command = read_command(typed)
    check_command(command, set())
    assert command.target.startswith("prod/")


def test_a_pattern_is_not_something_to_diagnose() -> None:
    with pytest.raises(CommandError, match="is not a target"):
        check_command(read_command("prod/*"), set())


@pytest.mark.parametrize(
    ("typed", "target", "since"),
    [("summary prod", "prod", None), ("Summary prod/* —since 7d.", "prod/*", "7d"),
     ("summary prod/web-* --since=6h", "prod/web-*", "6h"), ("summary prod/web", "prod/web", None)],
)  # fmt: skip
def test_a_summary_names_a_cluster_or_a_pattern(typed: str, target: str, since: str | None) -> None:
    command = read_command(typed)
    check_command(command, set())
    assert (command.verb, command.target, command.since) == ("summary", target, since)


@pytest.mark.parametrize(
    ("typed", "says"),
    [("summary", "`summary` needs a cluster"), ("summary --since 24h", "`summary` needs a cluster"),
     ("summary prod --since yesterday", "use a number and a unit"),
     ("summary arn:aws:ecs:us-east-1:1:cluster/prod", "`summary` takes a cluster name"),
     ("summary prod/web/extra", "`summary` takes a cluster name"),
     ("summary prod --only oom", "unknown option --only for `summary`"),
     ("summary prod --region mars", "is not an AWS region")],
)  # fmt: skip
def test_a_wrong_summary_is_refused_before_the_ack(typed: str, says: str) -> None:
    with pytest.raises(CommandError) as info:
        check_command(read_command(typed), set())
    assert says in str(info.value)


TYPED = st.sampled_from(["web", "--cluster", " ", "-", ".", "!", ")", "'", '"', "<", ">", "|", "&", "amp;", "`", "a"])


@settings(max_examples=300, deadline=None)
@given(st.lists(TYPED, max_size=12).map("".join))
def test_an_invisible_space_slack_inserted_changes_nothing(text: str) -> None:
    """Plain ASCII text takes a shorter path; a zero-width space (non-ASCII) makes it take the whole one."""
    assert unslack(text) == unslack(text + "\u200b") == unslack("\u200b" + text)
