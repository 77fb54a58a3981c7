"""A one-task diagnosis kept per stop shape (diagnosis/repeat.py) answers every later task of that shape as
if the task were diagnosed from scratch: two tasks that differ in anything but their own ID and times never
share an answer, and the own ID and times (any text at all) land where a fresh diagnosis puts them."""

from __future__ import annotations

import dataclasses
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diagnosis import repeat
from diagnosis.contract import to_python
from diagnosis.engine import diagnose
from diagnosis.models import TASK_SHAPE_FIELDS, ContainerFacts, Gap, Observations, TaskFacts
from diagnosis.parse import parse_document
from tests.builders.recurring_stops import as_task, task_documents

DOCUMENTS = task_documents()
TASKS = [t for doc in DOCUMENTS for t in parse_document(doc).tasks]
# the same stops run standalone: without a service, the summary names the task
TASKS += [dataclasses.replace(t, service="", group="family:web") for t in TASKS if t.service]


def _fresh(obs: Observations, gaps: tuple[Gap, ...] = ()) -> dict[str, Any]:
    """The diagnosis built from scratch: an empty `names_read` takes the path that builds every finding."""
    return _comparable(diagnose(obs, gaps=gaps, names_read=lambda _category: {}))


def _comparable(diagnosis: Any) -> dict[str, Any]:
    return to_python(diagnosis, mode="json", exclude={"stats": {"elapsed_ms"}})


def test_every_task_of_a_shape_gets_what_a_fresh_diagnosis_gives() -> None:
    before = repeat._plan.cache_info().hits
    for index, doc in enumerate(DOCUMENTS):
        for n in (1, 2, 3):
            obs = parse_document(as_task(doc, 100 * index + n))
            if repeat.applies(obs):
                assert _comparable(diagnose(obs)) == _fresh(obs)
    assert repeat._plan.cache_info().hits > before  # the kept diagnoses answered


_ids = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="0123456789abcdef", min_size=32, max_size=32),
    st.sampled_from(["", "AKIAIOSFODNN7EXAMPLE", "password=hunter2", "<@U123>", "a" * 40, "task/x/y"]),
)
_times = st.one_of(
    st.sampled_from(
        ["", "2026-11-30T08:00:00Z", "2026-11-30T08:00:00.123+00:00", "1764489600", "not a time"]
    ),
    st.datetimes(timezones=st.none()).map(lambda d: d.isoformat() + "Z"),
    st.text(max_size=30),
)
_arns = st.one_of(
    _ids.map(lambda i: f"arn:aws:ecs:us-east-1:123456789012:task/prod/{i}"),
    _ids.map(lambda i: f"arn:aws:ecs:eu-west-1:123456789012:task/{i}"),
    _ids,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(TASKS),
    st.lists(st.tuples(_arns, _times, _times, _times, _times), min_size=2, max_size=3),
    st.sampled_from([(), (Gap(what="logs", reason="not read"),)]),
)
def test_own_ids_and_times_of_any_text_land_where_a_fresh_diagnosis_puts_them(
    task: TaskFacts, owns: list[tuple[str, str, str, str, str]], gaps: tuple[Gap, ...]
) -> None:
    for arn, created, started, stopping, stopped in owns:
        own = dataclasses.replace(
            task,
            task_arn=arn,
            created_at=created,
            started_at=started,
            stopping_at=stopping,
            stopped_at=stopped,
        )
        obs = Observations(kind="task", tasks=(own,))
        assert _comparable(diagnose(obs, gaps=gaps)) == _fresh(obs, gaps)


def _changed(task: TaskFacts, field: str) -> TaskFacts:
    """`task` with one field of its shape changed to a value another stop could have."""
    value = getattr(task, field)
    if field == "containers":
        first = value[0] if value else ContainerFacts(name="app")
        other = dataclasses.replace(first, exit_code=137 if first.exit_code != 137 else 1)
        return dataclasses.replace(task, containers=(other, *value[1:]))
    if field == "subnet_ids":
        return dataclasses.replace(task, subnet_ids=(*value, "subnet-0abc"))
    replacements = {"last_status": "RUNNING", "stop_code": "UserInitiated", "launch_type": "EC2"}
    new = replacements.get(field, "other-" + value if value else "x")
    return dataclasses.replace(task, **{field: new if new != value else value + "2"})


def test_tasks_differing_in_a_field_of_their_shape_never_share_an_answer() -> None:
    for index, task in enumerate(TASKS):
        seen = Observations(kind="task", tasks=(task,))
        diagnose(seen)  # kept for its shape
        for field in TASK_SHAPE_FIELDS:
            other = Observations(kind="task", tasks=(dataclasses.replace(_changed(task, field)),))
            assert _comparable(diagnose(other)) == _fresh(other), (index, field)
        for kind in ("describe-tasks response", "ECS Task State Change event"):
            other = Observations(kind=kind, tasks=(task,))
            assert _comparable(diagnose(other)) == _fresh(other)
