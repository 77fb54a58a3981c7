"""What every stored record shares: frozen, lenient to fields it does not know, camelCase where ECS spells
it so, and one way to read what is stored (`read_stored`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, TypeVar

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_core import PydanticUndefined


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


def stored(key: str, default: Any = PydanticUndefined, **constraints: Any) -> Any:
    """A field stored under the camelCase `key` (as ECS spells it), read by either spelling."""
    snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in key)
    choices = AliasChoices(key, snake)
    return Field(default, validation_alias=choices, serialization_alias=key, **constraints)


def _none_as_empty(value: Any) -> Any:
    return "" if value is None else value


# Text that an older version may have stored as `null` (a value it did not have): read as "".
Text = Annotated[str, BeforeValidator(_none_as_empty)]


class Unreadable(ValueError):
    """A stored record that is there but cannot be read (written by hand, or by a version that knows
    other kinds): said as such, never taken for an expired one."""

    def __init__(self, what: str, error: ValidationError | None = None) -> None:
        problems = "; ".join(_problem(e) for e in (error.errors() if error else ()))
        super().__init__(f"the stored {what} cannot be read" + (f" ({problems})" if problems else ""))


def _problem(error: Any) -> str:
    """One validation error as `where: what`; a kind this version does not know, by its name only."""
    where = ".".join(map(str, error["loc"])) or "record"
    if error["type"] == "union_tag_invalid":
        return f"{where}: no such kind {error['ctx']['tag']!r} in this version"
    return f"{where}: {error['msg']}"


def omitted(when: Any) -> Any:
    """A field the JSON leaves out while it holds `when`'s falsy value (as the older writers did)."""
    return Field(when, exclude_if=lambda value: not value)


R = TypeVar("R", bound=Record)


def read_each(record: type[R], values: Iterable[object | None]) -> list[R]:
    """The values that read as `record`, in order; the others are skipped (see `read_stored`)."""
    return [read for read in (read_stored(record, value) for value in values) if read is not None]


def read_stored(record: type[R], value: object | None, unreadable: str = "") -> R | None:
    """`value` as `record`; None when nothing is stored. One that does not read is skipped (None: an older or
    foreign writer's, never shown half-read), or, given `unreadable` (what it is), raised as `Unreadable`:
    a button a user clicked must be refused as unreadable, not taken for an expired one."""
    if value is None:
        return None
    try:
        return record.model_validate(value)
    except ValidationError as error:
        if unreadable:
            raise Unreadable(unreadable, error) from None
        return None
