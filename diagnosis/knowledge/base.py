"""The shape of the knowledge about one category."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from diagnosis.models import ActionKind

DEV_GUIDE = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/"
STOPPED_ERRORS = DEV_GUIDE + "stopped-task-error-codes.html"
CANNOT_PULL = DEV_GUIDE + "task_cannot_pull_image.html"
RESOURCE_INIT = DEV_GUIDE + "resource-initialization-error.html"
SERVICE_EVENTS = DEV_GUIDE + "service-event-messages.html"
EXEC_ROLE = DEV_GUIDE + "task_execution_IAM_role.html"
TASKDEF_PARAMS = DEV_GUIDE + "task_definition_parameters.html"


@dataclass(frozen=True, slots=True)
class Step:
    """One remediation step; `command` is an AWS CLI template filled with names from the evidence.

    It fits only what was read: `when` = (name, value) pairs that must all hold ("" = nothing read it), so a
    cause whose fix depends on what the input says (which secret store, which version) lists one step per
    case; `needs`: names that must all have been read. `per_secret`: it is said once per secret the input
    names, filled with that secret's names (`names.each_secret`), so a message naming two secrets gets both
    looked at."""

    text: str
    command: str | None = None
    when: tuple[tuple[str, str], ...] = ()
    needs: tuple[str, ...] = ()
    per_secret: bool = False

    def fits(self, names: Mapping[str, str]) -> bool:
        return all(names.get(name, "") == value for name, value in self.when) and all(
            names.get(name) for name in self.needs
        )

    @property
    def decided_by(self) -> frozenset[str]:
        """The names whether it fits depends on (`when`, `needs`)."""
        return frozenset((*(name for name, _ in self.when), *self.needs))


@dataclass(frozen=True, slots=True)
class Reading:
    """A category's own words for one kind of message it holds, chosen when the rule's match names it
    (`names["reading"]`): `other` says a failed deployment's message is known, only its tasks' reasons are
    missing, instead of "not recognised"."""

    id: str
    title: str
    why: str


@dataclass(frozen=True, slots=True)
class CategoryInfo:
    id: str
    family: str
    failure: bool
    title: str  # template, e.g. "Image not found: {image}"
    why: str
    steps: tuple[Step, ...] = ()
    docs: tuple[str, ...] = (STOPPED_ERRORS,)
    actions: tuple[ActionKind, ...] = ()  # Action kinds the bot can apply for this cause
    readings: tuple[Reading, ...] = ()

    def worded(self, names: Mapping[str, str]) -> tuple[str, str]:
        """(title, why) for what was read: the reading the match names, else the category's own."""
        reading = names.get("reading", "")
        chosen = next((r for r in self.readings if r.id == reading), None)
        return (chosen.title, chosen.why) if chosen else (self.title, self.why)

    def steps_for(self, names: Mapping[str, str]) -> tuple[Step, ...]:
        """The steps that fit what was read (see `Step.when`), in order."""
        return tuple(step for step in self.steps if step.fits(names))


DESCRIBE_TASK_DEF = "aws ecs describe-task-definition --task-definition {task_def}"
