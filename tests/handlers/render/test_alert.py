"""handlers/render/alert.py: the group message (escaped, counted, with the buttons its state allows) and
the notes of its thread."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from slack_sdk.models.blocks import Block

from bot.store.records import Recovery
from handlers.render.alert import (
    acknowledged_note,
    escalation_note,
    group_message,
    muted_note,
    recovered,
    resolved_note,
    update_reply,
)
from tests.builders.alert_notice import FP, notice
from tests.handlers.golden_files import check_golden

AT = datetime(2026, 5, 18, 14, 2, 40, tzinfo=UTC).timestamp()
OLDER = "recovered at 09:15 UTC after 4 failures in 7 min"
RECOVERED = Recovery(at=AT, failures=37, lasted_seconds=25 * 60 + 20)  # "… at 14:02 UTC after 37 … in 25 min"


def test_group_message_counts_escapes_and_carries_the_buttons() -> None:
    message = group_message(notice())
    for block in message.blocks:
        Block.parse(block).validate_json()  # type: ignore[union-attr]
    text = message.blocks[0]["text"]["text"]
    assert "*3 stops* since 10:00 UTC" in text and "`oom` on *prod/web-api*" in text
    assert "&lt;!channel&gt;" in message.blocks[1]["elements"][0]["text"], "AWS text cannot ping a channel"
    ack, rerun, mute = message.blocks[-1]["elements"]
    assert (ack["action_id"], ack["value"], ack["style"]) == ("ecs_why_ack", FP, "primary")
    assert (rerun["action_id"], rerun["value"]) == (
        "ecs_why_rerun",
        "web-api --cluster prod --region us-east-1",
    )
    assert (mute["action_id"], mute["value"]) == ("ecs_why_mute", FP)
    assert "× 3" in message.text
    assert update_reply(notice(count=9), 6).text == "+6 more stops (now 9)"


def test_diagnose_now_reads_the_services_account_through_its_alias() -> None:
    rerun = group_message(notice(), account_alias="prod-acct").blocks[-1]["elements"][1]
    assert rerun["value"] == "web-api --cluster prod --region us-east-1 --account prod-acct"


def test_a_forged_acknowledger_is_not_mentioned() -> None:
    message = group_message(notice(acked_by="<!channel>", acked_at="2026-05-18T10:07:00+00:00"))
    assert "Acknowledged by" not in str(message.blocks)


def test_the_thread_notes_say_what_happened_escaped() -> None:
    resolved = resolved_note(notice(resolved=RECOVERED))
    assert resolved.text == (
        "✅ Recovered at 14:02 UTC after 37 failures in 25 min: the service runs its desired tasks. "
        "A new failure opens a new alert."
    )
    escalated = escalation_note(notice(cluster="<b>", count=1), "S0ONCALL", 30)
    assert escalated.text.startswith("<!subteam^S0ONCALL> this alert has been open for 30 min")
    assert "*&lt;b&gt;/web-api*, 1 stop." in escalated.text
    assert acknowledged_note("U7").text == "👀 <@U7> acknowledged this alert."
    muted = muted_note("U7", "oom", "prod", "web&api")
    assert muted.text.startswith("🔕 <@U7> muted `oom` on *prod/web&amp;api* in this channel for 1 h")
    for note in (resolved, escalated, muted):
        assert note.blocks[0]["text"]["text"] == note.text


def test_alert_messages_golden() -> None:
    check_golden("alert_open", group_message(notice()))
    check_golden(
        "alert_acknowledged", group_message(notice(acked_by="U0ALICE", acked_at="2026-05-18T10:07:00+00:00"))
    )
    check_golden(
        "alert_resolved",
        group_message(notice(count=37, resolved=RECOVERED)),
    )
    check_golden(
        "alert_recurrence",
        group_message(
            notice(
                previous_ts="1700000000.000100",
                previous_resolved=RECOVERED,
            ),
            previous_link="https://example.slack.com/archives/C1/p1700000000000100",
        ),
    )


@pytest.mark.parametrize(
    ("recovery", "said"),
    [
        (Recovery(at=AT, failures=1, lasted_seconds=10), "recovered at 14:02 UTC after 1 failure in 1 min"),
        (Recovery(at=AT, failures=5, lasted_seconds=3 * 3600), "recovered at 14:02 UTC after 5 failures in 3 h"),
        (Recovery(failures=2, lasted_seconds=600), "recovered after 2 failures in 10 min"),  # when unknown
        (Recovery(said=OLDER, at=AT, failures=3), OLDER),  # an older version's sentence, as it was
    ],
)  # fmt: skip
def test_a_recovery_is_worded_from_its_fields_or_as_an_older_version_said_it(
    recovery: Recovery, said: str
) -> None:
    assert recovered(recovery) == said
