"""What every output type is: a frozen stdlib dataclass that redacts its texts and holds its bounds when it
is built, by code or by pydantic reading JSON (pydantic calls a dataclass's `__post_init__`).

The output types are plain dataclasses so that `explain` loads no pydantic (its import and our models'
classes were most of the command's start). pydantic stays at the boundary (diagnosis/contract.py: JSON,
JSON Schema, the store's records), and reads what it needs from each field's `metadata` (`about`,
`bounds`, `hidden`): the same keys as `pydantic.Field`'s, so the JSON and its schema are unchanged.
"""

from __future__ import annotations

import re
from dataclasses import Field, dataclass, field, fields
from typing import Any, ClassVar, TypeVar, dataclass_transform

from diagnosis.redact import redact

_set = object.__setattr__
_REDACTED_TEXT = re.compile(r"\bRedactedText\b")  # the annotation of a text redacted on construction
_BOUNDS = ("ge", "le", "min_length", "max_length")


def about(description: str, **more: Any) -> dict[str, Any]:
    """A field's metadata: its description in the JSON Schema (and any other `pydantic.Field` key)."""
    return {"description": description, **more}


def bounds(
    *,
    ge: float | None = None,
    le: float | None = None,
    min_length: int | None = None,
    max_length: int | None = None,
) -> dict[str, Any]:
    """A field's bounds: checked when the type is built (`Out.__post_init__`), and in the JSON Schema."""
    given = {"ge": ge, "le": le, "min_length": min_length, "max_length": max_length}
    return {k: v for k, v in given.items() if v is not None}


def hidden() -> dict[str, Any]:
    """A field the JSON leaves out: for the process itself (e.g. metrics), not part of the output."""
    return {"exclude": True}


class OutOfBounds(ValueError):
    """An output type built with a value its bounds exclude (a name ECS could not have, a confidence > 1)."""


T = TypeVar("T")


@dataclass_transform(frozen_default=True, kw_only_default=True, field_specifiers=(field, Field))
def output_type(cls: type[T]) -> type[T]:
    """An output type (a subclass of `Out`): a frozen dataclass with slots and keyword arguments. Its
    `==`, `hash` and `repr` are `Out`'s, written once: Python 3.11 compiles each generated method of each
    dataclass at every start, and those three of the output types cost `explain FILE` ~30 M instructions."""
    return dataclass(frozen=True, slots=True, kw_only=True, repr=False, eq=False)(cls)


class Out:
    """The base of the output types, each declared `@output_type`."""

    __slots__ = ()
    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid"}

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in field_names(type(self)))

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        shown = ", ".join(f"{n}={getattr(self, n)!r}" for n in field_names(type(self)))
        return f"{type(self).__name__}({shown})"

    def __post_init__(self) -> None:
        cls = type(self)
        redacted, bounded = _PLANS.get(cls) or _plan(cls)
        for name in redacted:
            text = getattr(self, name)
            if text:
                _set(self, name, redact(text))
        for name, limits in bounded:
            _check(cls, name, getattr(self, name), limits)


_FIELD_NAMES: dict[type[Out], tuple[str, ...]] = {}


def field_names(cls: type[Out]) -> tuple[str, ...]:
    """The output type's fields, in their order (read once per type)."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]  # a dataclass
    return names


_Plan = tuple[tuple[str, ...], tuple[tuple[str, dict[str, Any]], ...]]
_PLANS: dict[type[Out], _Plan] = {}


def _plan(cls: type[Out]) -> _Plan:
    """The fields `cls` redacts (annotated `RedactedText`) and the fields it bounds, read once per type."""
    redacted, bounded = [], []
    for f in fields(cls):  # type: ignore[arg-type]  # every subclass is a dataclass
        if not isinstance(f.type, str):
            raise TypeError(
                f"{cls.__name__}: an output type's module needs `from __future__ import annotations`"
            )
        if _REDACTED_TEXT.search(f.type):
            redacted.append(f.name)
        limits = {k: f.metadata[k] for k in _BOUNDS if k in f.metadata}
        if limits:
            bounded.append((f.name, limits))
    _PLANS[cls] = plan = (tuple(redacted), tuple(bounded))
    return plan


def _check(cls: type[Out], name: str, value: Any, limits: dict[str, Any]) -> None:
    if value is None:
        return
    size = len(value) if ("min_length" in limits or "max_length" in limits) else 0
    if (
        ("ge" in limits and value < limits["ge"])
        or ("le" in limits and value > limits["le"])
        or ("min_length" in limits and size < limits["min_length"])
        or ("max_length" in limits and size > limits["max_length"])
    ):
        shown = ", ".join(f"{k} {v}" for k, v in limits.items())
        raise OutOfBounds(f"{cls.__name__}.{name}: {value!r:.80} is outside its bounds ({shown})")
