"""What ecs-why knows about each stop cause: why it happens, how to fix it, where AWS documents it,
which actions the bot can apply. One module per cause family, mirroring `diagnosis/rules`; the IDs are the
public taxonomy (docs/taxonomy.md)."""

from __future__ import annotations

from diagnosis.knowledge import exit, health, lifecycle, placement, platform, start
from diagnosis.knowledge.base import CategoryInfo, Step

CATALOG: dict[str, CategoryInfo] = {
    info.id: info
    for module in (start, exit, health, placement, lifecycle, platform)
    for info in module.CATEGORIES
}

FAILURE_CATEGORIES = frozenset(c for c, info in CATALOG.items() if info.failure)


def info(category: str) -> CategoryInfo:
    return CATALOG.get(category) or CATALOG["other"]


__all__ = ["CATALOG", "FAILURE_CATEGORIES", "CategoryInfo", "Step", "info"]
