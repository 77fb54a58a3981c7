"""A lazy pattern answers exactly as `re.compile` would, and every one the engine declares compiles."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable
from typing import Any

import pytest

import diagnosis
from diagnosis.lazy_regex import lazy

PATTERN, FLAGS = r"(?P<key>[a-z]+)=(\d+)", re.IGNORECASE
TEXT = "A=1, b=22; C=333"


@pytest.mark.parametrize(
    "use",
    [
        lambda p: p.search(TEXT).span(),
        lambda p: p.match(TEXT).groupdict(),
        lambda p: p.fullmatch("x=9").groups(),
        lambda p: p.sub(r"\g<key>:\2", TEXT),
        lambda p: p.subn(lambda m: m["key"].upper(), TEXT),
        lambda p: p.split(TEXT),
        lambda p: p.findall(TEXT),
        lambda p: [m.span() for m in p.finditer(TEXT, 2)],
        lambda p: p.scanner(TEXT).search().group(0),
        lambda p: (p.pattern, p.flags, p.groups, dict(p.groupindex)),
    ],
)
def test_a_lazy_pattern_answers_as_the_compiled_one_first_and_later(use: Callable[[Any], object]) -> None:
    compiled = re.compile(PATTERN, FLAGS)
    pattern = lazy(PATTERN, FLAGS)
    assert use(pattern) == use(compiled)  # the first use compiles it
    assert use(pattern) == use(compiled)  # later uses go to the compiled pattern's own methods
    assert pattern.findall("x=1 y=2", 3) == [("y", "2")]  # every method kept, not only the one used first


def test_a_pattern_is_compiled_at_its_first_use_not_when_declared() -> None:
    broken = lazy(r"unbalanced (")  # declaring costs nothing, so a mistake shows at the first use…
    with pytest.raises(re.error):
        broken.search("x")


def _declared_lazy_patterns() -> list[tuple[str, str, re.Pattern[str]]]:
    found = []
    for info in pkgutil.walk_packages(diagnosis.__path__, "diagnosis."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if type(value).__module__ == "diagnosis.lazy_regex" and not callable(value):
                found.append((info.name, name, value))
    return found


def test_every_lazy_pattern_of_the_engine_compiles() -> None:
    # …which is why this test compiles them all: a typo in a rarely used pattern fails here, not in a user's run
    declared = _declared_lazy_patterns()
    assert len({module for module, _, _ in declared}) >= 3, (
        declared
    )  # redact, signals, the text reader at least
    for module, name, pattern in declared:
        try:
            assert isinstance(pattern.pattern, str)
            pattern.search("")
        except re.error as exc:  # pragma: no cover - the failure being guarded against
            pytest.fail(f"{module}.{name} does not compile: {exc}")
