"""Why a change cannot be planned, as the clicker and `ecs-why audit` read it: every code has its own
sentence, and every field it carries is in that sentence (nothing read is left out, no placeholder left)."""

from __future__ import annotations

import itertools
import re
from typing import Any, get_args

import pytest
from pydantic import BaseModel

from bot.remediation import why_not
from bot.remediation.why_not import CodeOnly, WhyNot
from bot.why_not_says import why_not_says

REASONS: list[type[Any]] = list(get_args(get_args(WhyNot)[0]))  # the union inside Annotated[…]
_numbers = itertools.count(101)


def sample_value(name: str, annotation: Any) -> Any:
    """A value for a field that can only come from that field: a number or a name never used twice."""
    if annotation is int:
        return next(_numbers)
    if annotation is str:
        return f"{name.replace('_', '-')}-{next(_numbers)}"
    return tuple((f"what-{next(_numbers)}", f"after-{next(_numbers)}") for _ in range(2))


def filled(reason: type[Any]) -> WhyNot:
    fields = {n: sample_value(n, f.annotation) for n, f in reason.model_fields.items() if n != "code"}
    made: WhyNot = reason(**fields)
    return made


def values_of(reason: BaseModel) -> list[str]:
    out: list[str] = []
    for name, value in reason.model_dump().items():
        if name == "code":
            continue
        if isinstance(value, tuple | list):
            out += [str(v) for pair in value for v in pair]
        else:
            out.append(str(value))
    return out


def test_the_reasons_are_many_and_their_codes_unique() -> None:
    codes = [r.model_fields["code"].default for r in REASONS]
    assert len(codes) == len(set(codes)) >= 17


@pytest.mark.parametrize("reason", REASONS, ids=lambda r: r.__name__)
def test_every_code_is_worded_with_every_field_it_carries(reason: type[Any]) -> None:
    example = filled(reason)
    said = why_not_says(example)
    missing = [v for v in values_of(example) if v not in said]
    assert not missing, f"{reason.__name__} leaves out {missing}: {said!r}"
    assert not re.search(r"[{}]|\bNone\b|  |^\s|\s$", said), f"a placeholder or a gap is left: {said!r}"
    others = {why_not_says(filled(r)) for r in REASONS if r is not reason}
    assert said not in others


@pytest.mark.parametrize("reason", REASONS, ids=lambda r: r.__name__)
def test_the_audit_log_keeps_the_code_and_its_fields_and_reads_them_back(reason: type[Any]) -> None:
    example = filled(reason)
    recorded = why_not.record(example)
    assert recorded["code"] == reason.model_fields["code"].default
    assert set(recorded) == set(reason.model_fields)
    assert why_not.read(recorded) == example


def test_a_code_this_version_does_not_know_reads_as_none() -> None:
    assert why_not.read({"code": "from_a_newer_version", "service": "web"}) is None
    assert why_not.read("the grace period is already 10 s") is None


def test_a_code_only_owner_without_a_name_leaves_no_gap() -> None:
    said = why_not_says(CodeOnly(service="web", owner="Terraform"))
    assert said.startswith("web is managed by Terraform, and ECS_WHY_MANAGED_SERVICES=code-only")
