"""SARIF 2.1.0, so GitHub code scanning and other CI annotations show each result on its file and line."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

from diagnosis.prevent.model import CheckReport, RuleResult
from diagnosis.prevent.rules.base import Rule

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"


def to_sarif(report: CheckReport, rules: Sequence[Rule], version: str = "0.1.0") -> dict[str, Any]:
    index = {rule.id: i for i, rule in enumerate(rules)}
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "ecs-why",
                        "version": version,
                        "rules": [_descriptor(rule) for rule in rules],
                    }
                },
                "results": [_result(r, index) for r in report.results if r.rule in index],
                "columnKind": "unicodeCodePoints",
            }
        ],
    }


def _descriptor(rule: Rule) -> dict[str, Any]:
    descriptor: dict[str, Any] = {
        "id": rule.id,
        "name": "".join(part.title() for part in rule.id.split("_")),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.why},
        "help": {"text": rule.why + (f" See {rule.links[0]}" if rule.links else "")},
        "defaultConfiguration": {"level": rule.severity},
        "properties": {"tags": ["ecs", *rule.prevents], "live": rule.live},
    }
    if rule.links:
        descriptor["helpUri"] = rule.links[0]
    return descriptor


def _result(result: RuleResult, index: dict[str, int]) -> dict[str, Any]:
    fix = result.fix
    fixes = [
        f"{label}: {text}"
        for label, text in (
            ("CLI", fix.cli),
            ("CloudFormation", fix.cloudformation),
            ("Terraform", fix.terraform),
        )
        if text
    ]
    location: dict[str, Any] = {
        "logicalLocations": [{"name": result.subject, "kind": "resource"}],
    }
    if result.file:
        location["physicalLocation"] = {
            "artifactLocation": {"uri": file_uri(result.file)},
            "region": {"startLine": result.line or 1},
        }
    fingerprint = hashlib.sha256(f"{result.rule}\0{result.subject}\0{result.fact}".encode()).hexdigest()
    return {
        "ruleId": result.rule,
        "ruleIndex": index[result.rule],
        "level": result.severity,
        "message": {"text": " ".join([f"{result.fact}.", *(f"Fix ({f})." for f in fixes)])},
        "locations": [location],
        "partialFingerprints": {"ecsWhyResult/v1": fingerprint[:32]},
        "properties": {"fix": fix.model_dump(exclude_none=True), "prevents": result.prevents},
    }


def file_uri(path: str) -> str:
    """A relative path stays relative (GitHub resolves it against the repository); an absolute one is a file URI."""
    pure = PurePath(path)
    text = quote(pure.as_posix())
    return f"file://{text}" if pure.is_absolute() else text
