"""The seeded services, in the order they are seeded (task IDs and addresses follow it)."""

from __future__ import annotations

from bot.demo.expert import EXPERT
from bot.demo.runtime import CHECKOUT, FRONTEND, ORDERS, SEARCH, WEB
from bot.demo.startup import API, BILLING, INGEST

SCENARIOS = (CHECKOUT, WEB, API, INGEST, BILLING, ORDERS, SEARCH, FRONTEND, *EXPERT)
