"""Golden files for rendered Slack messages other than diagnoses (follow-ups, alerts): one JSON file per
message under tests/handlers/golden/, each checked against Slack's limits through slack_sdk's models.
Regenerate with `UPDATE_GOLDEN=1 pytest …`."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from handlers.render.diagnosis import Message

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def check_golden(name: str, message: Message) -> None:
    assert message.text and len(message.text) <= 3000
    assert len(message.blocks) <= 50
    for block in message.blocks:
        rebuilt = Block.parse(block)
        assert rebuilt is not None and rebuilt.to_dict() == block  # validates lengths and shapes
    rendered: dict[str, Any] = {"text": message.text, "blocks": message.blocks}
    current = json.dumps(rendered, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    path = GOLDEN / f"{name}.json"
    if UPDATE or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(current)
        if not UPDATE:
            pytest.fail(f"wrote the missing golden file {path.name}; run again (or with UPDATE_GOLDEN=1)")
    assert json.loads(current) == json.loads(path.read_text()), (
        f"the {name} message changed; if intended, regenerate with UPDATE_GOLDEN=1"
    )
