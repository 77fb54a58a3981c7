"""Lines in the input file, for SARIF and the text report: where a task definition or a container is.

The readers parse with json/yaml, which keep no positions; a subject's line is the first line that names
it, a container's the first line after it that names the container. Line 0 means "not found"."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache


def line_of(lines: Sequence[str], name: str, start: int = 0) -> int:
    """1-based line of the first of `lines` from `start` (1-based, 0 = the top) that names `name` as a key
    or a value (quoted, or after `Name:`/`name:`)."""
    if not name:
        return 0
    pattern = _pattern(name)
    for index in range(max(start - 1, 0), len(lines)):
        if name not in lines[index]:
            continue
        if pattern.search(lines[index]):
            return index + 1
    return 0


@lru_cache(maxsize=1024)
def _pattern(name: str) -> re.Pattern[str]:
    quoted = re.escape(name)
    return re.compile(rf"""(["']{quoted}["']|(^|\s){quoted}\s*:|[Nn]ame\s*:\s*{quoted}\s*$)""")
