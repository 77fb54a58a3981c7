"""docs/check.md lists exactly the rules that run, with their severity: no rule advertised that does not exist."""

from __future__ import annotations

import re
from pathlib import Path

from diagnosis.prevent.rules import ALL

DOC = Path(__file__).resolve().parents[3] / "docs" / "check.md"


def test_the_rules_table_matches_the_registry() -> None:
    rows = re.findall(r"^\| `(\w+)` \| (error|warning) \| (live|offline) \|", DOC.read_text(), re.MULTILINE)
    assert rows == [(rule.id, rule.severity, "live" if rule.live else "offline") for rule in ALL]


def test_rule_ids_are_unique_and_every_rule_links_a_doc() -> None:
    ids = [rule.id for rule in ALL]
    assert len(ids) == len(set(ids))
    assert all(rule.links and rule.links[0].startswith("https://") for rule in ALL)
