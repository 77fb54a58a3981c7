"""The configuration reference, generated from the `Settings` model so the docs cannot drift from the code.

    python -m bot.settings_doc           # print the Markdown table
    python -m bot.settings_doc --write   # rewrite the table in docs/configuration.md
    python -m bot.settings_doc --check   # exit 1 when docs/configuration.md is out of date

The table sits in docs/configuration.md between the `<!-- settings:begin -->` and `<!-- settings:end -->`
markers; everything around them is hand-written prose. tests/bot/test_settings_doc.py fails when they
differ.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from annotated_types import Ge, Le
from pydantic import AliasChoices, SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from bot.settings import Settings, env_name

BEGIN = "<!-- settings:begin -->"
END = "<!-- settings:end -->"
DOC = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"


def env_names(field_name: str) -> list[str]:
    """Every environment variable a field is read from, the preferred one first."""
    alias = Settings.model_fields[field_name].validation_alias
    if isinstance(alias, AliasChoices):
        return [str(choice) for choice in alias.choices]
    return [env_name(field_name)]


def all_env_names() -> set[str]:
    """The environment variables the settings model reads (for checks against the Helm chart)."""
    return {name for field in Settings.model_fields for name in env_names(field)}


def _is_secret(info: FieldInfo) -> bool:
    return "SecretStr" in str(info.annotation) or info.annotation is SecretStr


def _default(info: FieldInfo) -> str:
    if info.default_factory is not None:
        value = info.default_factory()  # type: ignore[call-arg]
        return "empty" if value in ([], {}, "") else f"`{value}`"
    if info.default is PydanticUndefined:
        return "required"
    if info.default is None:
        return "unset"
    return f"`{info.default}`"


def _bounds(info: FieldInfo) -> str:
    low = next((m.ge for m in info.metadata if isinstance(m, Ge)), None)
    high = next((m.le for m in info.metadata if isinstance(m, Le)), None)
    if low is not None and high is not None:
        return f"Allowed: {low} to {high}."
    if low is not None:
        return f"At least {low}."
    if high is not None:
        return f"At most {high}."
    return ""


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def table() -> str:
    """The Markdown table: one row per setting, in the model's order."""
    rows = [
        "| Environment variable | Default | Description |",
        "| --- | --- | --- |",
    ]
    for field, info in Settings.model_fields.items():
        names = env_names(field)
        name = f"`{names[0]}`" + "".join(f" (or `{other}`)" for other in names[1:])
        extra = [_bounds(info)]
        if _is_secret(info):
            extra.append("Secret: keep it in a Kubernetes Secret, never in a ConfigMap.")
        description = " ".join(part for part in [info.description or "", *extra] if part)
        rows.append(f"| {name} | {_cell(_default(info))} | {_cell(description)} |")
    return "\n".join(rows) + "\n"


def section(text: str) -> str:
    """What sits between the markers in a document (ValueError when the markers are missing)."""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"the markers {BEGIN} and {END} are missing or out of order")
    return text[start + len(BEGIN) : end].strip("\n") + "\n"


def rewrite(text: str) -> str:
    """The document with the generated table between the markers."""
    section(text)  # validates the markers
    start, end = text.find(BEGIN), text.find(END)
    return text[: start + len(BEGIN)] + "\n" + table() + text[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.settings_doc", description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"rewrite the table in {DOC.name}")
    parser.add_argument("--check", action="store_true", help=f"exit 1 when {DOC.name} is out of date")
    parser.add_argument("--doc", type=Path, default=DOC, help="the document to write or check")
    args = parser.parse_args(argv)
    if not (args.write or args.check):
        sys.stdout.write(table())
        return 0
    try:
        current = args.doc.read_text(encoding="utf-8")
        updated = rewrite(current)
    except (OSError, ValueError) as exc:
        sys.stderr.write(f"settings_doc: {args.doc}: {exc}\n")
        return 2
    if args.check:
        if updated != current:
            sys.stderr.write(
                f"settings_doc: {args.doc} is out of date; run python -m bot.settings_doc --write\n"
            )
            return 1
        return 0
    if updated != current:
        args.doc.write_text(updated, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
