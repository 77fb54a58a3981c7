"""The JSON Schema of `--format json`, generated from the `Diagnosis` model so the docs cannot drift.

    python -m bot.output_schema           # print it
    python -m bot.output_schema --write   # rewrite docs/diagnosis.schema.json
    python -m bot.output_schema --check   # exit 1 when docs/diagnosis.schema.json is out of date

tests/bot/test_output_schema.py fails when the file differs, and validates real output against it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from diagnosis.actions import OMITTED_WHEN_UNSET
from diagnosis.contract import json_schema
from diagnosis.models import SCHEMA_VERSION, Diagnosis

DOC = Path(__file__).resolve().parent.parent / "docs" / "diagnosis.schema.json"


def _every_field_present(node: Any) -> None:
    """The output always writes every field (null when unset): each object's properties are required, but
    those marked as left out when unset."""
    if isinstance(node, dict):
        if node.get("type") == "object" and "properties" in node:
            node["required"] = sorted(
                k
                for k, v in node["properties"].items()
                if not (isinstance(v, dict) and v.pop(OMITTED_WHEN_UNSET, 0))
            )
        for value in node.values():
            _every_field_present(value)
    elif isinstance(node, list):
        for value in node:
            _every_field_present(value)


def schema() -> dict[str, Any]:
    generated = json_schema(Diagnosis)
    _every_field_present(generated)
    generated["properties"]["schema_version"]["const"] = SCHEMA_VERSION
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"ecs-why/diagnosis/v{SCHEMA_VERSION}",
        "title": "ecs-why diagnosis (explain, diagnose and demo --format json)",
        **{k: v for k, v in generated.items() if k != "title"},
    }


def text() -> str:
    return json.dumps(schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    if args.write:
        DOC.write_text(text(), encoding="utf-8")
        return 0
    if args.check:
        if not DOC.exists() or DOC.read_text(encoding="utf-8") != text():
            print(f"{DOC} is out of date: run python -m bot.output_schema --write", file=sys.stderr)
            return 1
        return 0
    sys.stdout.write(text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
