"""The door of /slack/events: a signed body it lets through is one Bolt reads without raising, and a
form whose fields are not all `name=value` is refused (400), as before it read the fields only once."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from slack_bolt import BoltRequest

from bot.slack_guard import MALFORMED, check_payload
from tests.fakes.slack_requests import FORM, JSON, SlackRequest, block_action, slash_command

PIECES = st.sampled_from(
    [
        "payload",
        "=",
        "&",
        "{",
        "}",
        "[1]",
        "%7B",
        "%7D",
        "%5B",
        "%22",
        '"',
        "a",
        "+",
        ";",
        "text",
        "%",
        "\u00e9",
    ]
)
BODIES = st.lists(PIECES, max_size=12).map("".join)


def bolt_reads(body: str, content_type: str) -> bool:
    try:
        request = BoltRequest(body=body, headers={"content-type": content_type})
    except ValueError:
        return False
    return isinstance(request.body, dict)


@settings(max_examples=400, deadline=None)
@given(BODIES, st.sampled_from([FORM, JSON]))
def test_a_body_let_through_is_one_bolt_reads(body: str, content_type: str) -> None:
    if check_payload(content_type, body.encode()) is None:
        assert bolt_reads(body, content_type), body


@settings(max_examples=400, deadline=None)
@given(BODIES)
def test_a_form_with_a_field_that_is_not_name_value_is_refused(body: str) -> None:
    if body.startswith("{"):
        return  # Bolt reads it as JSON, whatever its content type
    try:
        parse_qs(body, keep_blank_values=True, strict_parsing=bool(body))
    except ValueError:
        assert check_payload(FORM, body.encode()) == MALFORMED, body


@pytest.mark.parametrize(
    "request_",
    [slash_command("web --cluster prod"), slash_command("payload-api"), block_action("diagnose", "prod/web")],
)
def test_what_slack_sends_is_let_through(request_: SlackRequest) -> None:
    assert check_payload(request_.content_type, request_.body) is None


@pytest.mark.parametrize("body", ["payload=%7B%7D&payload=%5B1%5D", "payload=%5B1%5D&payload=%7B%7D"])
def test_a_repeated_payload_field_is_refused_unless_each_is_an_object(body: str) -> None:
    """Bolt reads the last of repeated fields: a door that checked only the first let a list through."""
    assert check_payload(FORM, body.encode()) == MALFORMED
    assert check_payload(FORM, b"payload=%7B%7D&payload=%7B%7D") is None
