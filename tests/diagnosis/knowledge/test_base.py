"""A step fits only what was read: every name it needs was read and every `when` pair holds, so a cause can
list one step per case (which store, which version) and exactly one is said."""

from __future__ import annotations

import pytest

from diagnosis.knowledge import CATALOG, Step
from diagnosis.names import HINTS, KIND_NAMES, SECRET_NAMES

STEP = Step(
    "Read {secret_json_key} of version {secret_version_stage}.",
    when=(("secret_store", "secretsmanager"), ("secret_version_id", "")),
    needs=("secret_json_key", "secret_version_stage"),
)
READ = {
    "secret_store": "secretsmanager",
    "secret_json_key": "password",
    "secret_version_stage": "AWSPREVIOUS",
}


@pytest.mark.parametrize(
    ("names", "fits"),
    [
        (READ, True),
        ({**READ, "secret_version_stage": ""}, False),  # a name it needs, not read
        ({k: v for k, v in READ.items() if k != "secret_json_key"}, False),
        ({**READ, "secret_version_id": "7c6d-v9"}, False),  # a `when` name read that must not be
        ({**READ, "secret_store": "ssm"}, False),
    ],
)
def test_a_step_fits_only_when_every_need_and_condition_holds(names: dict[str, str], fits: bool) -> None:
    assert STEP.fits(names) is fits


def test_what_decides_a_step_is_every_name_it_tests() -> None:
    assert STEP.decided_by == {"secret_store", "secret_version_id", "secret_json_key", "secret_version_stage"}


STEPS = [(category, step) for category, info in CATALOG.items() for step in info.steps]


@pytest.mark.parametrize(("category", "step"), STEPS, ids=[f"{c}:{s.text[:30]}" for c, s in STEPS])
def test_every_step_fits_something_and_tests_only_known_names(category: str, step: Step) -> None:
    """A step whose conditions contradict (or name a name nothing sets) would never be said."""
    assert step.fits({**{name: "x" for name in step.needs}, **dict(step.when)})
    assert step.decided_by <= set(HINTS) | SECRET_NAMES | KIND_NAMES, category


def test_a_category_words_a_reading_its_match_names_and_else_its_own() -> None:
    other = CATALOG["other"]
    (deployment,) = other.readings
    assert other.worded({"reading": deployment.id}) == (deployment.title, deployment.why)
    assert other.worded({}) == (other.title, other.why)
    assert other.worded({"reading": "something else"}) == (other.title, other.why)
