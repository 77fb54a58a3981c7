"""The summary message: a plain-text header, the window and totals, still failing (who acknowledged),
recovered (when), failures per service and cause; AWS text escaped; long lists counted, not cut mid-line."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from bot.store.records import Recovery
from bot.summary import AlertState, CauseCount, Scope, ServiceFailures, Summary
from handlers.render.summary import SHOWN, summary_message
from tests.handlers.golden_files import check_golden

END = datetime(2026, 4, 20, 9, 0, tzinfo=UTC).timestamp()
HOUR = 3600.0


def summary() -> Summary:
    web = ServiceFailures("prod/web", (
        CauseCount("oom", "Out of memory: `app` was killed", 12, END - 0.5 * HOUR,
                   "Essential container in task exited; app: OutOfMemoryError <!channel>"),
        CauseCount("app_error", "The app exited with an error", 2, END - 20 * HOUR, "exit 1"),
    ))  # fmt: skip
    elb = CauseCount("elb_health_check", "Failed ELB health checks", 37, END - 6 * HOUR,
                     "Task failed ELB health checks in (target-group <x>)")  # fmt: skip
    api = ServiceFailures("prod/api", (elb,))
    return Summary(
        scopes=(Scope("prod", region="eu-west-1"),),
        since="24h",
        start=END - 24 * HOUR,
        end=END,
        services=(api, web),
        still_failing=(
            AlertState(
                "prod/web", "oom", "Out of memory: `app` was killed", 12, END - 3 * HOUR, acked_by="U0ACK"
            ),
            AlertState("prod/web", "app_error", "The app exited with an error", 2, END - 26 * HOUR),
        ),
        recovered=(
            AlertState(
                "prod/api",
                "elb_health_check",
                "Failed ELB health checks",
                37,
                END - 7 * HOUR,
                resolved=Recovery(at=END - 6 * HOUR + 120, failures=37, lasted_seconds=25 * 60),
                resolved_at=END - 6 * HOUR + 120,
            ),
        ),
        normal_stops=4,
    )


def texts(message: object) -> list[str]:
    blocks = message.blocks  # type: ignore[attr-defined]
    return [b["text"]["text"] if "text" in b else b["elements"][0]["text"] for b in blocks]


def test_the_summary_says_what_fails_what_recovered_and_per_service() -> None:
    message = summary_message(summary())
    header, totals, failing, recovered, per_service = texts(message)
    assert header == "Summary of prod, last 24h" and message.blocks[0]["text"]["type"] == "plain_text"
    assert "2026-04-19 09:00 UTC → 2026-04-20 09:00 UTC" in totals and "51 failed task(s) in 2" in totals
    assert "4 normal stop(s)" in totals
    assert "*prod/web* — `oom` Out of memory: `app` was killed: 12 failures since 06:00 UTC" in failing
    assert "acknowledged by <@U0ACK>" in failing
    assert "since 2026-04-19 07:00 UTC · not acknowledged" in failing, "an older day says its date"
    assert "*prod/api* — `elb_health_check`: recovered at 03:02 UTC after 37 failures in 25 min" in recovered
    assert per_service.index("prod/api") < per_service.index("prod/web")
    assert "`oom` × 12 (latest 08:30 UTC: Essential container" in per_service
    assert "&lt;!channel&gt;" in per_service and "<!channel>" not in per_service
    assert "(target-group &lt;x&gt;)" in per_service
    assert message.text.startswith("Summary of prod, last 24h: 51 failed task(s) in 2 service(s), 2 still")
    check_golden("summary", message)


def test_a_quiet_cluster_says_so_in_each_part() -> None:
    quiet = replace(summary(), services=(), still_failing=(), recovered=(), normal_stops=0)
    _, totals, failing, recovered, per_service = texts(summary_message(quiet))
    assert "normal stop" not in totals
    assert "Nothing is failing" in failing and "No alert of these services recovered" in recovered
    assert "No failed task of prod is stored for the last 24h" in per_service


def test_a_pattern_header_has_no_markdown_and_long_lists_are_counted() -> None:
    many = tuple(ServiceFailures(f"prod/web-{n}", (CauseCount("oom", "", 1, END, "x"),)) for n in range(40))
    scoped = replace(summary(), scopes=(Scope("prod", "web-*"),), services=many)
    message = summary_message(scoped, title="Daily summary")
    assert message.blocks[0]["text"]["text"] == "Daily summary of prod/web-*, last 24h"
    per_service = texts(message)[-1]
    assert per_service.count("\n• ") == SHOWN and f"… and {40 - SHOWN} more" in per_service


def test_notes_say_what_was_not_checked() -> None:
    noted = replace(summary(), notes=("the cluster was not checked in AWS: no <credentials>",))
    assert "⚠️ the cluster was not checked in AWS: no &lt;credentials&gt;" in texts(summary_message(noted))[-1]
