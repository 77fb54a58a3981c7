"""The team's accepted findings, kept in a file beside the code instead of comments in it:

# .ecs-why.toml
[check]
ignore = ["image_tag_pinned", "essential_sidecar:web"]   # rule, or rule:subject
fail_on = "warning"                                       # optional: error (default) or warning
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

DEFAULT_FILE = ".ecs-why.toml"
KEYS = {"ignore", "fail_on"}


class ConfigFileError(ValueError):
    """The config file cannot be used; the message says what to write instead."""


@dataclass(frozen=True)
class CheckConfig:
    ignore: tuple[str, ...] = ()
    fail_on: str | None = None
    source: str = ""


def load_config(path: Path | None) -> CheckConfig:
    """The [check] table of `path`, or of ./.ecs-why.toml when it exists; nothing when neither does."""
    if path is None:
        path = Path(DEFAULT_FILE)
        if not path.is_file():
            return CheckConfig()
    elif not path.is_file():
        raise ConfigFileError(f"{path}: no such config file; pass a TOML file with a [check] table")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigFileError(f"{path}: not valid TOML ({exc}); see `ecs-why check --help`") from None
    table = data.get("check", {})
    if not isinstance(table, dict):
        raise ConfigFileError(f"{path}: [check] must be a table")
    unknown = sorted(set(table) - KEYS)
    if unknown:
        raise ConfigFileError(
            f"{path}: unknown key(s) {', '.join(unknown)} in [check]; valid: {', '.join(sorted(KEYS))}"
        )
    ignore = table.get("ignore", [])
    if not isinstance(ignore, list) or not all(isinstance(i, str) for i in ignore):
        raise ConfigFileError(
            f'{path}: [check] ignore must be a list of rule IDs, e.g. ignore = ["image_tag_pinned"]'
        )
    fail_on = table.get("fail_on")
    if fail_on not in (None, "error", "warning"):
        raise ConfigFileError(f'{path}: [check] fail_on must be "error" or "warning", not {fail_on!r}')
    return CheckConfig(tuple(ignore), fail_on, str(path))
