"""The JSON of the output types (diagnosis/models.py, diagnosis/actions.py, diagnosis/exec_check.py): pydantic
writes, reads and describes them here, and only here, so a command that prints text loads no pydantic.

Import it where JSON is written or read (`--format json`, the JSON Schema, the store's records, a button's
value, SARIF), not at the top of a module `explain` loads. tests/bot/test_cli_imports.py holds that.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from pydantic import Field, TypeAdapter

from diagnosis.actions import Action as _Action

T = TypeVar("T")

# A button's action, read by its `kind` (a field of a pydantic model holding one is declared with this).
Action = Annotated[_Action, Field(discriminator="kind")]
ACTION: TypeAdapter[_Action] = TypeAdapter(Action)


_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}


def adapter(cls: type[T]) -> TypeAdapter[T]:
    """The TypeAdapter of an output type, built once (building one costs more than using it many times)."""
    built = _ADAPTERS.get(cls)
    if built is None:
        built = _ADAPTERS[cls] = TypeAdapter(cls)
    return built


def to_json(value: Any, *, indent: int | None = None) -> str:
    """The output type's JSON, as the contract writes it (docs/output.md)."""
    return adapter(type(value)).dump_json(value, indent=indent).decode()


def to_python(value: Any, *, mode: Literal["json", "python"] = "python", **options: Any) -> Any:
    """The output type as plain data (`exclude`, `exclude_none`, … as pydantic's `model_dump`)."""
    return adapter(type(value)).dump_python(value, mode=mode, **options)


def from_json(cls: type[T], data: str | bytes) -> T:
    """An output type read back from its JSON; pydantic.ValidationError when it is not one."""
    read: T = adapter(cls).validate_json(data)
    return read


def from_python(cls: type[T], data: Any) -> T:
    """An output type read back from plain data; pydantic.ValidationError when it is not one."""
    read: T = adapter(cls).validate_python(data)
    return read


def json_schema(cls: type[Any]) -> dict[str, Any]:
    """The JSON Schema of what `to_json` writes."""
    return adapter(cls).json_schema(mode="serialization")
