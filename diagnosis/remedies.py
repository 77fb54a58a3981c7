"""Remediation steps with their AWS CLI commands filled in, and the actions the bot can apply itself."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from functools import lru_cache

from diagnosis.actions import KINDS, Action, earlier_revision, service_of
from diagnosis.knowledge import CategoryInfo, Step
from diagnosis.models import Remediation
from diagnosis.names import HINTS, PLACEHOLDER, SECRET_NAMES, each_secret, fill, variable
from diagnosis.redact import redact

_ARN_REGION = re.compile(r"\barn:aws[\w-]*:(?!iam:|s3:)[\w-]+:([a-z]{2}(?:-gov)?-[a-z]+-\d):")


def remediations(
    knowledge: CategoryInfo, names: Mapping[str, str], context: Mapping[str, str]
) -> list[Remediation]:
    back_to = earlier_revision(names)  # the rollback step and button go back to the same revision
    names = {**names, "previous_task_def": back_to} if back_to else names
    return [
        *_steps(knowledge, names, context),
        *(Remediation(step=a.label, action=a) for a in _actions(knowledge, names)),
    ]


def steps(knowledge: CategoryInfo, names: Mapping[str, str], context: Mapping[str, str]) -> list[Remediation]:
    """The steps of `remediations` alone (what a person does by hand), without the fixes the bot offers."""
    return _steps(knowledge, with_rollback(names), context)


def with_rollback(names: Mapping[str, str]) -> Mapping[str, str]:
    """The names a step is filled with: `previous_task_def` is the revision a rollback goes back to."""
    back_to = earlier_revision(names)
    return {**names, "previous_task_def": back_to} if back_to else names


def _steps(
    knowledge: CategoryInfo, names: Mapping[str, str], context: Mapping[str, str]
) -> list[Remediation]:
    region = context.get("region", "")
    secrets = each_secret(names)
    said: dict[tuple[str, str | None], Remediation] = {}
    for step in kept_steps(knowledge, names, each=True):
        for own in secrets if step.per_secret else (names,):
            if step.fits(own):
                remediation = rendered(_for_one(step) if len(secrets) > 1 else step, own, region)
                said.setdefault((remediation.step, remediation.command), remediation)
    return list(said.values())


def _for_one(step: Step) -> Step:
    """A step about one secret, among several: it says which ("For /prod/db: check …"); a step about their
    store (its endpoint) is said once."""
    if not step.per_secret or SECRET_NAMES.isdisjoint(placeholders(step)):
        return step
    return replace(step, text="For {secret}: " + step.text[:1].lower() + step.text[1:])


def kept_steps(knowledge: CategoryInfo, names: Mapping[str, str], each: bool = False) -> list[Step]:
    """The steps rendered for these names (`with_rollback`), in order. `each`: a step said once per secret
    (`Step.per_secret`) is kept when it fits any of the secrets the names list (`names.each_secret`); the
    caller renders it for each one it fits."""
    secrets = each_secret(names) if each else [names]
    return [
        step
        for step in knowledge.steps
        if any(step.fits(own) for own in (secrets if step.per_secret else [names]))
        and not _nothing_to_go_back_to(step.text + (step.command or ""), names)
    ]


def rendered(step: Step, names: Mapping[str, str], region: str) -> Remediation:
    """One step filled with the names it uses (`with_rollback`)."""
    return _step(step.text, step.command, region, _values(step.text, step.command, names))


def placeholders(step: Step) -> tuple[str, ...]:
    """The names a step (its text and command) uses, in order."""
    return _placeholders(step.text + (step.command or ""))


def _nothing_to_go_back_to(template: str, names: Mapping[str, str]) -> bool:
    """A step back to the previous revision, when the failing revision is known to be its family's first."""
    return (
        "previous_task_def" in _placeholders(template)
        and bool(names.get("task_def"))
        and not earlier_revision(names)
    )


def _values(text: str, command: str | None, names: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """Only the names a step uses: the cache key of the rendered step."""
    return tuple((key, names.get(key, "")) for key in _placeholders(text + (command or "")))


@lru_cache(maxsize=512)
def _placeholders(template: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(PLACEHOLDER.findall(template)))


@lru_cache(maxsize=4096)
def _step(text: str, command: str | None, region: str, values: tuple[tuple[str, str], ...]) -> Remediation:
    """One rendered step; cached, since a batch of tasks renders the same steps with the same names. A name
    nothing read is left as a shell variable, and the step says what to set it to."""
    names = dict(values)
    filled = fill(command, names, as_variable=True, quoted=True) if command else None
    if filled and filled.startswith("aws ") and " --region " not in filled:
        arn_region = _ARN_REGION.search(filled)  # a resource in another region is asked there
        if arn_region or region:
            aws, pipe, rest = filled.partition(" | ")  # the region is the aws command's, not a filter's
            filled = f"{aws} --region {arn_region.group(1) if arn_region else region}{pipe}{rest}"
    step = fill(text, names, as_variable=True) + _to_fill_in([key for key, value in values if not value])
    return Remediation(step=step, command=redact(filled) if filled else None)


def _to_fill_in(missing: list[str]) -> str:
    """` (Not read: set $LOG_GROUP to the awslogs-group in the container's logConfiguration; set …)`"""
    if not missing:
        return ""
    said = "; ".join(f"set {variable(key)} to {HINTS.get(key, key.replace('_', ' '))}" for key in missing)
    return f" (Not read: {said}.)"


def _actions(knowledge: CategoryInfo, names: Mapping[str, str]) -> list[Action]:
    """The changes the bot can make for this cause, when the input names a service to make them on: the
    cause's own kinds, then those offered for every failure; each kind says whether the names allow it."""
    where = service_of(names.get("cluster"), names.get("service"))
    if where is None:
        return []
    every = [k for k, kind in KINDS.items() if kind.FOR_EVERY_FAILURE and knowledge.failure]
    offered = (KINDS[k].applies(where, names) for k in dict.fromkeys([*knowledge.actions, *every]))
    return [action for action in offered if action is not None]
