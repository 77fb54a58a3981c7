"""The output types redact their texts and hold their bounds however they are built: by code, by
`dataclasses.replace`, or by pydantic reading their JSON back (diagnosis/output.py)."""

from __future__ import annotations

import json
import types
import typing
from dataclasses import FrozenInstanceError, fields, replace
from typing import Any, Literal, get_args, get_origin, get_type_hints

import pytest
from pydantic import ValidationError

import diagnosis.actions
import diagnosis.exec_check
import diagnosis.models
from diagnosis.actions import RollbackParams, ServiceParams, service_of
from diagnosis.contract import from_json, from_python, to_json, to_python
from diagnosis.models import Finding
from diagnosis.output import Out, OutOfBounds

AKID = "AKIAIOSFODNN7EXAMPLE"
SECRET_TEXT = f"the task read key {AKID} from its environment"
MODULES = (diagnosis.models, diagnosis.actions, diagnosis.exec_check)


def output_types() -> list[type[Out]]:
    found = {v for m in MODULES for v in vars(m).values() if isinstance(v, type) and issubclass(v, Out)}
    return sorted(
        (t for t in found if t is not Out and not t.__name__.startswith("_")), key=lambda t: t.__name__
    )


def redacted_fields(cls: type[Out]) -> list[str]:
    """The fields declared `RedactedText` (the annotation is the declaration)."""
    return [f.name for f in fields(cls) if "RedactedText" in str(f.type)]  # type: ignore[arg-type]


def sample(hint: Any) -> Any:
    """A valid value of a field's type (the first of a union or Literal; a built output type)."""
    if get_origin(hint) in (typing.Union, types.UnionType):
        return sample(next(a for a in get_args(hint) if a is not type(None)))
    if get_origin(hint) is Literal:
        return get_args(hint)[0]
    if get_origin(hint) is list:
        return []
    if isinstance(hint, type) and issubclass(hint, Out):
        return built(hint)
    return {str: "web", bool: True, int: 1, float: 0.5}[hint]


def built(cls: type[Out], **given: Any) -> Any:
    hints = get_type_hints(cls, vars(diagnosis.models) | vars(diagnosis.actions) | vars(diagnosis.exec_check))
    values = {f.name: sample(hints[f.name]) for f in fields(cls)}  # type: ignore[arg-type]
    return cls(**{**values, **given})


TYPES_WITH_TEXTS = [t for t in output_types() if redacted_fields(t)]


def test_the_output_types_that_quote_aws_or_logs_declare_their_texts_redacted() -> None:
    names = {t.__name__ for t in TYPES_WITH_TEXTS}
    assert {"Diagnosis", "Finding", "EvidenceItem", "Remediation", "Gap", "Check", "Prevention"} <= names
    assert {"title", "summary"} <= set(redacted_fields(Finding))


@pytest.mark.parametrize("cls", TYPES_WITH_TEXTS, ids=lambda t: t.__name__)
def test_an_output_type_built_by_code_holds_no_secret(cls: type[Out]) -> None:
    for name in redacted_fields(cls):
        value = built(cls, **{name: SECRET_TEXT})
        assert AKID not in getattr(value, name) and "[REDACTED]" in getattr(value, name), name
        again = replace(built(cls), **{name: SECRET_TEXT})
        assert AKID not in getattr(again, name), f"replace() kept the secret in {cls.__name__}.{name}"
        assert AKID not in to_json(value)


@pytest.mark.parametrize("cls", TYPES_WITH_TEXTS, ids=lambda t: t.__name__)
def test_an_output_type_read_from_json_holds_no_secret(cls: type[Out]) -> None:
    for name in redacted_fields(cls):
        data = {**to_python(built(cls), mode="json"), name: SECRET_TEXT}
        read = from_json(cls, json.dumps(data))
        assert AKID not in getattr(read, name) and "[REDACTED]" in getattr(read, name), name


def test_a_bound_holds_whether_code_builds_it_or_json_is_read() -> None:
    finding = built(Finding)
    with pytest.raises(OutOfBounds, match="confidence"):
        replace(finding, confidence=1.5)
    with pytest.raises(ValidationError, match="confidence"):
        from_python(Finding, {**to_python(finding, mode="json"), "confidence": 1.5})
    assert service_of("prod", "web") == ServiceParams(cluster="prod", service="web")
    assert service_of("prod", "") is None and service_of("prod", "w" * 256) is None  # no name ECS could have
    assert service_of("c" * 255, "web") is not None


def test_an_output_type_whose_annotations_are_evaluated_is_refused() -> None:
    code = (
        "from dataclasses import dataclass\nfrom diagnosis.output import Out\n"
        "from diagnosis.redact import RedactedText\n"
        "@dataclass(frozen=True, slots=True, kw_only=True)\nclass Said(Out):\n    text: RedactedText\n"
        "Said(text='x')\n"
    )
    with pytest.raises(TypeError, match="from __future__ import annotations"):
        exec(compile(code, "<no future annotations>", "exec", dont_inherit=True), {})


def test_an_output_type_is_a_value_that_cannot_change() -> None:
    where = ServiceParams(cluster="prod", service="web")
    same, other = ServiceParams(cluster="prod", service="web"), ServiceParams(cluster="prod", service="api")
    assert where == same and hash(where) == hash(same) and len({where, same, other}) == 2
    assert where != other and where != {"cluster": "prod", "service": "web"}
    assert ServiceParams(cluster="prod", service="web") != RollbackParams(cluster="prod", service="web")
    assert repr(where) == "ServiceParams(cluster='prod', service='web')"
    with pytest.raises(FrozenInstanceError):
        where.cluster = "dev"  # type: ignore[misc]
