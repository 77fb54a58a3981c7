"""The categories are a public contract: the catalog must match docs/taxonomy.md (and shared/, when present)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from diagnosis.knowledge import CATALOG
from diagnosis.rules import MESSAGE_RULES

ROOT = Path(__file__).resolve().parents[2]
ROW = re.compile(r"^\|\s*(\w+)\s*\|\s*`(\w+)`\s*\|\s*(yes|no)\s*\|")


def taxonomy(path: Path) -> dict[str, tuple[str, bool]]:
    rows = {}
    for line in path.read_text().splitlines():
        m = ROW.match(line)
        if m:
            rows[m.group(2)] = (m.group(1), m.group(3) == "yes")
    return rows


SOURCES = [p for p in (ROOT / "docs" / "taxonomy.md", ROOT.parent / "shared" / "taxonomy.md") if p.is_file()]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.parent.name))
def test_catalog_matches_the_taxonomy(path: Path) -> None:
    rows = taxonomy(path)
    assert len(rows) >= 31
    assert set(CATALOG) == set(rows)
    for category, (family, failure) in rows.items():
        assert (CATALOG[category].family, CATALOG[category].failure) == (family, failure), category


@pytest.mark.parametrize("category", sorted(CATALOG))
def test_every_category_says_why_how_and_where(category: str) -> None:
    info = CATALOG[category]
    assert len(info.why) > 80
    assert info.steps, "a finding without a remediation step"
    assert all(url.startswith("https://") for url in info.docs) and info.docs


def test_rules_reach_every_category() -> None:
    """Each category is named by some rule (or the exit-code rule), so none is unreachable."""
    sources = "".join(p.read_text() for p in (ROOT / "diagnosis" / "rules").glob("*.py"))
    sources += (ROOT / "diagnosis" / "classify.py").read_text()
    missing = [c for c in CATALOG if f'"{c}"' not in sources]
    assert not missing
    assert len(MESSAGE_RULES) > 15
