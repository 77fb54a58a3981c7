"""What a test checks on a rendered Slack message: its texts, and Slack's limits and slack_sdk's models."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block


def texts(block: dict[str, Any]) -> list[str]:
    """Every text string in a block (section text and fields, context elements, headers)."""
    found: list[str] = []
    if isinstance(block.get("text"), dict):
        found.append(block["text"]["text"])
    for item in block.get("fields") or []:
        found.append(item["text"])
    for element in block.get("elements") or []:
        if element.get("type") in ("mrkdwn", "plain_text"):
            found.append(element["text"])
    return found


def check_limits(message: dict[str, Any]) -> None:
    """Slack's limits and slack_sdk's validation, for one message."""
    blocks = message["blocks"]
    assert 0 < len(blocks) <= 50
    assert len(message["text"]) <= 3000
    action_ids: list[str] = []
    for block in blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
        for element in block.get("elements") or []:
            if element.get("type") == "button":
                assert len(element["text"]["text"]) <= 75
                assert len(element.get("value", "")) <= 2000
            if "action_id" in element:
                action_ids.append(element["action_id"])
        if block["type"] == "actions":
            assert len(block["elements"]) <= 25
        rebuilt = Block.parse(block)
        assert rebuilt is not None, f"slack_sdk cannot parse {block}"
        assert rebuilt.to_dict() == block  # to_dict() validates lengths and shapes
    assert len(action_ids) == len(set(action_ids)), f"duplicate action_ids {action_ids}"
