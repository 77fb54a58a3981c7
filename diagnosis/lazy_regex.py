"""Regexes compiled on first use (Django's `_lazy_re_compile`), so importing a module costs none of them.

`re.compile` runs Python's regex parser: the sixty-odd patterns of the explain path took about a tenth
of an `ecs-why explain` process, while one input uses a few of them (a pasted JSON document none of the
prose patterns). A lazy pattern compiles the first time one of its attributes is read, then keeps the
compiled pattern's methods on itself: every later call goes straight to `re`, with no extra Python frame.
"""

from __future__ import annotations

import re
from typing import Any, cast

# re.Pattern's public attributes (Python 3.11 and on)
_KEPT = (
    *("search", "match", "fullmatch", "sub", "subn", "split", "findall", "finditer", "scanner"),
    *("pattern", "flags", "groups", "groupindex"),
)


class _Compiled:
    """A lazy pattern once compiled: the compiled pattern's attributes, as plain instance attributes (a class
    with a __getattr__ hook would add about 100 ns to every call)."""


class _LazyPattern:
    def __init__(self, pattern: str, flags: int) -> None:
        self._source = (pattern, flags)

    def __getattr__(self, name: str) -> Any:  # the first use
        compiled = re.compile(*self._source)
        for attr in _KEPT:
            setattr(self, attr, getattr(compiled, attr))
        self.__class__ = _Compiled  # type: ignore[assignment]
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"lazy({self._source[0]!r})"


def lazy(pattern: str, flags: int | re.RegexFlag = 0) -> re.Pattern[str]:
    """`re.compile(pattern, flags)`, done when the pattern is first used."""
    return cast("re.Pattern[str]", _LazyPattern(pattern, int(flags)))
