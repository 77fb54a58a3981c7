"""What ecs-why knows about each stop cause: why it happens, how to fix it, where AWS documents it,
which live checks confirm it. One module per cause family, mirroring `diagnosis/rules`; the IDs are the
public taxonomy (docs/taxonomy.md)."""

from __future__ import annotations

from diagnosis.knowledge import exit, health, lifecycle, placement, platform, start
from diagnosis.knowledge.base import CategoryInfo, CheckSpec, Step

CATALOG: dict[str, CategoryInfo] = {
    info.id: info
    for module in (start, exit, health, placement, lifecycle, platform)
    for info in module.CATEGORIES
}

FAILURE_CATEGORIES = frozenset(c for c, info in CATALOG.items() if info.failure)
CHECK_SPECS: dict[str, CheckSpec] = {spec.name: spec for info in CATALOG.values() for spec in info.checks}


def info(category: str) -> CategoryInfo:
    return CATALOG.get(category) or CATALOG["other"]


__all__ = ["CATALOG", "CHECK_SPECS", "FAILURE_CATEGORIES", "CategoryInfo", "CheckSpec", "Step", "info"]
