"""The answers to follow-ups: events newest first, stopped tasks grouped by how they ended, the revision
diff, why a cause happens (with this service's filled-in steps only when it has the finding), the help."""

from __future__ import annotations

from dataclasses import replace

from diagnosis.models import ContainerFacts, Observations, ServiceEvent, ServiceFacts, TaskFacts
from handlers.render.followups import diff_message, events_message, help_message, tasks_message, why_message
from tests.builders.diagnoses import build
from tests.handlers.golden_files import check_golden

TASK = "arn:aws:ecs:us-east-1:123456789012:task/prod/{:032x}"


def stopped(n: int, code: int, at: str, reason: str = "Essential container in task exited") -> TaskFacts:
    return TaskFacts(
        task_arn=TASK.format(n), cluster="prod", service="web", group="service:web", last_status="STOPPED",
        stop_code="EssentialContainerExited", stopped_reason=reason, stopped_at=at,
        containers=(ContainerFacts(name="app", exit_code=code),),
    )  # fmt: skip


def observed() -> Observations:
    events = tuple(
        ServiceEvent(message=f"(service web) has started 1 tasks: (task {n:032x}). <!channel>",
                     created_at=f"2026-04-19T14:{n:02d}:00Z")
        for n in range(12)
    )  # fmt: skip
    service = ServiceFacts(name="web", cluster="prod", desired=2, running=1, events=events)
    tasks = (stopped(1, 137, "2026-04-19T14:01:00Z"), stopped(2, 137, "2026-04-19T14:03:00Z"),
             stopped(3, 1, "2026-04-19T14:02:00Z", "Essential container <b> exited"))  # fmt: skip
    return Observations(kind="live", tasks=tasks, services=(service,))


def test_events_newest_first_escaped_and_counted() -> None:
    message = events_message("prod/web", observed())
    text = message.blocks[0]["text"]["text"]
    assert text.index("14:11") < text.index("14:02"), "newest first"
    assert "&lt;!channel&gt;" in text and "<!channel>" not in text
    assert "… and 2 older" in text
    check_golden("followup_events", message)


def test_tasks_grouped_by_stop_code_and_exit_codes() -> None:
    message = tasks_message("prod/web", observed())
    text = message.blocks[0]["text"]["text"]
    assert "*2×* EssentialContainerExited · app exit 137" in text
    assert "*1×* EssentialContainerExited · app exit 1" in text
    assert f"`{3:032x}`" in text and "&lt;b&gt;" in text
    check_golden("followup_tasks", message)


def test_no_stopped_task_says_ecs_forgets_and_points_to_history() -> None:
    text = tasks_message("prod/web", replace(observed(), tasks=())).blocks[0]["text"]["text"]
    assert "history 7d" in text


def test_diff_shows_the_revision_check_or_says_there_is_none() -> None:
    diagnosis = build("oom")
    none = diff_message(diagnosis).blocks[0]["text"]["text"]
    assert "No diff" in none
    detail = "failures began with revision web:8; revision web:7 was steady. Changed: app memory: 512 → 256"
    top = diagnosis.findings[0]
    check = replace(top.checks[0], name="revision_diff", outcome="confirms", detail=detail)
    with_diff = replace(diagnosis, findings=[replace(top, checks=[check])])
    message = diff_message(with_diff)
    assert "512 → 256" in message.blocks[0]["text"]["text"]
    check_golden("followup_diff", message)


def test_why_a_cause_seen_here_has_its_filled_steps() -> None:
    diagnosis = build("oom")
    message = why_message("oom", diagnosis)
    text = message.blocks[0]["text"]["text"]
    assert "Seen here" in text and "*Fix*" in text and "{" not in text.split("📖")[0]
    check_golden("followup_why_oom", message)


def test_why_a_cause_not_seen_has_no_unfilled_template() -> None:
    text = why_message("image_not_found", build("oom")).blocks[0]["text"]["text"]
    assert "Not seen in this service's current diagnosis" in text and "*Fix*" not in text


def test_unknown_words_get_the_list() -> None:
    message = help_message("coffee")
    assert message.blocks[0]["text"]["text"].startswith("I do not know `coffee`.")
    check_golden("followup_help_unknown", message)
