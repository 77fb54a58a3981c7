"""The `ecs-why` console entry point: `explain` runs from here without loading typer; every other command
line goes to the typer app (bot/cli.py), which defines the grammar.

typer turns each parameter's value into its type through a pydantic TypeAdapter, so a command run through
typer imports pydantic's validators and builds adapters (about a tenth of `ecs-why explain FILE`). `explain`
takes at most a file and one `--format`: when the arguments are exactly that, `explain_line` reads them
here, from the names, choices and defaults typer's app is declared with (this module's constants); any
other line, including help, a mistake or an option `explain` does not have, is typer's to answer.
tests/bot/test_cli_start.py checks that typer's `explain` has exactly these parameters and that both paths
answer a set of command lines alike; tests/bot/test_cli_imports.py checks that `explain` never loads typer.
"""

from __future__ import annotations

import codecs
import errno
import os
import sys
from collections.abc import Sequence
from enum import StrEnum
from typing import NamedTuple, NoReturn


class Format(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


# explain's grammar, declared on the typer app from these (bot/cli.py): `explain [FILE] [--format FORMAT]`
EXPLAIN = "explain"
STDIN = "-"  # FILE's default
FORMAT_FLAGS = ("--format", "-f")


def fail(message: str, code: int = 2) -> NoReturn:
    """One line on standard error, then exit: what went wrong and what to do instead."""
    sys.stderr.write(f"ecs-why: {message}\n")
    sys.stderr.flush()
    raise SystemExit(code)


def needs_values(**options: str | None) -> None:
    """An option given an empty value (`--cluster "$CLUSTER"` with the variable unset) is an error, not
    the option left out: an empty --cluster would otherwise search every cluster."""
    for name, value in options.items():
        if value is not None and not value.strip():
            flag = "--" + name.replace("_", "-")
            fail(f"{flag} needs a value, e.g. {flag} {EXAMPLES.get(name, 'VALUE')}")


EXAMPLES = {
    "cluster": "prod",
    "region": "eu-west-1",
    "profile": "default",
    "account": "payments",
    "since": "24h",
    "task_definition": "web:42",
}


def explain_input(file: str, output_format: str) -> None:
    """`ecs-why explain`: diagnose what the file (or standard input, `-`) holds and print it."""
    from bot.terminal import print_diagnosis
    from diagnosis.engine import diagnose
    from diagnosis.intake import InputError, read_input
    from diagnosis.models import Gap

    text, unreadable = read_input_text(file, EXPLAIN_INPUT)
    text, skipped = last_of_a_log(text)
    try:
        intake = read_input(text)
    except InputError as exc:
        fail(str(exc))
    gaps = list(intake.gaps)
    if unreadable:
        count = f"{unreadable} character{' was' if unreadable == 1 else 's were'}"
        gaps.append(Gap(what="input", reason=f"{count} not readable text (shown as �); the rest was read"))
    if skipped:
        reason = (
            f"{(len(text) + skipped) / 1e6:.1f} MB of text: only its last {MAX_TEXT / 1e6:g} MB were read "
            f"(where a log's stop is); the first {skipped / 1e6:.1f} MB were not (pass the part that holds "
            "the stop to read it)"
        )
        gaps.append(Gap(what="input", reason=reason))
    print_diagnosis(diagnose(intake.observations, gaps=gaps), output_format)


# Pasted text is read line by line at about 1 MB per CPU second (an 18 MB log took 15-50 s), so of a whole
# log only the last MAX_TEXT characters are read (a task's stop is at a log's end), and a gap says so. One
# JSON document is read whole, since a document cut in two is no document; a log whose lines start with `[`
# or `{` (timestamps, JSON Lines) is a log.
MAX_TEXT = 4_000_000


def last_of_a_log(text: str) -> tuple[str, int]:
    """The text, or a text longer than MAX_TEXT from the first line start of its last MAX_TEXT characters,
    and how many characters were left out before it."""
    if len(text) <= MAX_TEXT or _one_json_document(text):
        return text, 0
    start = text.find("\n", len(text) - MAX_TEXT) + 1
    return text[start:], start


def _one_json_document(text: str) -> bool:
    if text[:1000].lstrip()[:1] not in ("{", "["):
        return False
    import json  # only for a text this long: explain's start stays light

    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return False
    return True


class InputHelp(NamedTuple):
    """What a command that reads a file (or standard input, `-`) says to do instead when it cannot."""

    no_input: str  # standard input is a terminal: how to pass or pipe the input
    no_file: str  # the file does not exist: what the command reads
    unreadable: str  # the file cannot be read, or is not UTF-8: what it should be


EXPLAIN_INPUT = InputHelp(
    no_input="pass a file, or pipe text or JSON in (aws ecs describe-tasks … | ecs-why explain -)",
    no_file="pass a file (text or JSON) or - for standard input",
    unreadable="pass a text or JSON file (UTF-8, or UTF-16/32 with a BOM)",
)


def read_input_file(file: str, says: InputHelp) -> str:
    """The text of the file, or of standard input for `-` (never a terminal's: it would wait for a paste
    nobody announced), decoded by its BOM (UTF-8, UTF-16, UTF-32) or as UTF-8; a file that is missing,
    unreadable or not in that encoding ends the command with `says`'s line."""
    return read_input_text(file, says, strict=True)[0]


def read_input_text(file: str, says: InputHelp, strict: bool = False) -> tuple[str, int]:
    """`read_input_file`'s text, and how many characters were not in its encoding: each one shows as �
    (not `strict`), since one stray byte of a log or a Latin-1 console copy must not refuse the rest."""
    if file == STDIN:
        if sys.stdin.isatty():
            fail(f"no input: {says.no_input}")
        data = sys.stdin.buffer.read()  # bytes: the locale's encoding is not the input's
        where = "standard input"
    else:
        if not os.path.isfile(file):  # os.path, not pathlib: pathlib's import is a tenth of explain's start
            fail(f"{file}: no such file; {says.no_file}")
        try:
            with open(file, "rb") as opened:
                data = opened.read()
        except OSError as exc:
            fail(f"{file}: cannot read it ({exc.__class__.__name__}); {says.unreadable}")
        where = file
    try:
        return decoded(data, strict)
    except UnicodeDecodeError as exc:
        fail(f"{where}: cannot read it ({exc.__class__.__name__}); {says.unreadable}")


# Longest first: UTF-32 LE's BOM begins with UTF-16 LE's. PowerShell 5.1's `>` writes UTF-16 LE with a BOM.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_REPLACEMENT = "\ufffd"


def decoded(data: bytes, strict: bool = False) -> tuple[str, int]:
    """The text (by its BOM, else UTF-8) and the number of characters that were not in that encoding,
    each replaced by U+FFFD; `strict` raises UnicodeDecodeError instead."""
    codec = next((name for bom, name in _BOMS if data.startswith(bom)), "utf-8")
    try:
        return data.decode(codec), 0
    except UnicodeDecodeError:
        if strict:
            raise
    text = data.decode(codec, errors="replace")
    already = data.count(_REPLACEMENT.encode("utf-8")) if codec.startswith("utf-8") else 0  # was U+FFFD
    return text, max(1, text.count(_REPLACEMENT) - already)


def explain_line(args: Sequence[str]) -> tuple[str, Format] | None:
    """(file, format) when the arguments are `explain`, at most one file and at most one `--format`/`-f`
    with one of its choices (`--format X`, `-f X`, `--format=X`), read as typer reads them; None for any
    other line (typer answers it: help, an error, another command)."""
    if not args or args[0] != EXPLAIN:
        return None
    file: str | None = None
    chosen: str | None = None
    rest = iter(args[1:])
    for token in rest:
        if token == STDIN or not token.startswith("-"):
            if file is not None:
                return None  # typer: "Got unexpected extra argument"
            file = token
            continue
        if token.startswith(FORMAT_FLAGS[0] + "="):
            value: str | None = token.partition("=")[2]
        elif token in FORMAT_FLAGS:
            value = next(rest, None)
        else:
            return None  # --help, --, an option explain does not have
        if chosen is not None or value not in set(Format):
            return None
        chosen = value
    return (STDIN if file is None else file), Format(chosen or Format.text)


def _completing() -> bool:
    """Whether the shell asks for completions (`_ECS_WHY_COMPLETE=…`, as typer's app reads it)."""
    return any(name.startswith("_") and name.endswith("_COMPLETE") for name in os.environ)


def run_explain(file: str, output_format: Format) -> None:
    """`explain_input` as typer's runner would end it: exit 0; a closed pipe exits 1 quietly; Ctrl-C 130."""
    try:
        explain_input(file, output_format.value)
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except OSError as exc:
        if exc.errno != errno.EPIPE:
            raise
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # what is left unflushed goes nowhere
        raise SystemExit(1) from None
    raise SystemExit(0)


def no_pydantic_plugins() -> None:
    """ecs-why uses no pydantic plugin, and looking for one reads every installed package's metadata at the
    first model (tens of ms at each start); a value the user set wins."""
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")


def main() -> None:
    no_pydantic_plugins()
    line = None if _completing() else explain_line(sys.argv[1:])
    if line is not None:
        run_explain(*line)
    from bot.cli import for_command

    for_command(sys.argv[1:])()


if __name__ == "__main__":
    main()
