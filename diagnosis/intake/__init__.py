"""Whatever a user pastes, read into `Observations`: JSON (whole responses, fragments, projections, events,
CloudTrail and Step Functions records, JSON Lines, log lines carrying events) and plain text (stopped
reasons, container reasons, service events, console copies, alerts, prose around them).

`read_input` says which shape it recognised (`kind`, reported as `stats.input_kind`) and turns what it
could not read into gaps ("2 lines held no ECS message"). It refuses, with `InputError`, only when nothing
in the input is about ECS.
"""

from __future__ import annotations

import ast
import bisect
import json
import re
from dataclasses import dataclass
from datetime import datetime

from diagnosis.intake.shapes import Found, read_document
from diagnosis.intake.text import anchor, scan
from diagnosis.models import Gap, Observations, TaskFacts
from diagnosis.parse import InputError, parse_document

__all__ = ["ACCEPTS", "InputError", "Intake", "python_literal", "read_input", "read_json", "split_json"]

ACCEPTS = (
    "a stopped reason, container reason or service event message as text (bare, in prose, or copied from "
    "the console), or ECS JSON (describe-tasks / describe-services output or any part of it, a --query "
    "projection, an EventBridge event or its detail, a CloudTrail record, a Step Functions task failure, "
    "JSON Lines), or boto3's response printed from Python"
)
_MAX_JSON_FAILURES = 500
_MAX_LITERAL = 1_000_000  # characters: a printed response, not a dump to parse at any size


@dataclass(frozen=True, slots=True)
class Intake:
    """What the input held, in the shape the engine reads, and what of it could not be read."""

    observations: Observations
    gaps: tuple[Gap, ...] = ()

    @property
    def kind(self) -> str:
        return self.observations.kind


def read_input(text: str) -> Intake:
    """Reads any pasted text; raises `InputError` (one line, saying what is accepted) when nothing is ECS."""
    if not text.strip():
        raise InputError(f"the input is empty; ecs-why explain takes {ACCEPTS}")
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):
        doc = python_literal(text)
        if doc is None:
            return _read_text(text)
        try:
            return read_json(doc)
        except InputError:
            return _read_text(text)  # a literal of another shape: its text may still hold a message
    return read_json(doc)


# boto3's responses printed from Python (`print(response)`, a REPL, a test's fixture): single quotes, True /
# False / None, trailing commas, `datetime(2015, 1, 1, …, tzinfo=tzlocal())` for times (boto3's documented
# response syntax), often after `name = `.
_ASSIGNED = re.compile(r"\A\s*[A-Za-z_][\w.]*\s*=\s*(?=[{\[])")
_DATETIME = re.compile(
    r"\b(?:datetime\.)?datetime\(\s*(\d{4}(?:\s*,\s*\d+){0,6})[^()]*(?:\([^()]*\)[^()]*)*\)"
)


def python_literal(text: str) -> object | None:
    """The dict or list a Python literal of boto3's response shapes holds, or None when the text is not one."""
    body = _ASSIGNED.sub("", text, count=1).strip()
    if len(body) > _MAX_LITERAL or body[:1] not in ("{", "[") or ("'" not in body and ",\n" not in body):
        return None  # not a literal, or JSON that failed to parse for another reason
    body = _DATETIME.sub(lambda m: repr(_iso(m.group(1))), body)
    try:
        doc = ast.literal_eval(body)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    return doc if isinstance(doc, (dict, list)) else None


def _iso(args: str) -> str:
    """`datetime(y, m, d[, H, M, S, µs])`'s arguments as ISO 8601; as given when they name no date."""
    p = [int(part) for part in args.split(",")]
    p += [1] * (3 - len(p)) + [0] * (7 - max(len(p), 3))
    try:
        return datetime(p[0], p[1], p[2], p[3], p[4], p[5], p[6]).isoformat()
    except (ValueError, OverflowError):
        return args


def read_json(doc: object) -> Intake:
    """Reads one parsed JSON document of any ECS shape; raises `InputError` when it holds nothing of ECS."""
    found = read_document(doc)
    if found.empty and not found.gaps:
        if isinstance(doc, dict) and "detail-type" in doc:
            parse_document(doc)  # an event of another type: its own message says which types are read
        raise InputError(
            _definition_hint(json.dumps(doc)[:_MAX_LITERAL])
            or f"the JSON holds no ECS task, service, event or stop reason; ecs-why takes {ACCEPTS}"
        )
    return _intake(found, found.kind() or "JSON", [])


def _read_text(text: str) -> Intake:
    found = Found()
    documents, rest = split_json(text)
    unread_documents = 0
    for document in documents:
        part = read_document(document)
        if part.empty and not part.gaps:
            unread_documents += 1
            continue
        found.tasks += part.tasks
        found.services += part.services
        found.actions += part.actions
        found.gaps += part.gaps
        found.kinds.update(part.kinds)
    json_kind = found.kind()
    lines = scan(rest)
    found.add_scan(lines, "text")
    if found.empty and not found.gaps:
        raise InputError(
            _definition_hint(text) or f"nothing in the input is about ECS; ecs-why explain takes {ACCEPTS}"
        )
    parts = []
    if lines.messages:
        parts.append(f"plain text ({lines.messages} ECS message{'s' if lines.messages != 1 else ''})")
    if json_kind:
        label = "JSON Lines" if len(documents) > 1 else "JSON in text"
        parts.append(f"{label} ({json_kind})")
    gaps = []
    if lines.unread:
        gaps.append(
            Gap(
                what="input text",
                reason=f"{lines.unread} line{'s' if lines.unread != 1 else ''} held no ECS message",
            )
        )
    if unread_documents:
        gaps.append(
            Gap(
                what="input JSON",
                reason=f"{unread_documents} JSON document{'s' if unread_documents != 1 else ''} "
                "held no ECS task, service or event",
            )
        )
    return _intake(found, ", ".join(parts), gaps)


# What a task definition, CloudFormation template or `terraform show -json` holds: a plan, not a stop.
_DEFINITION = re.compile(r"containerDefinitions|container_definitions|AWS::ECS::TaskDefinition")


def _definition_hint(text: str) -> str:
    """The refusal for a task definition or template given to explain: what reads it instead."""
    if not _DEFINITION.search(text):
        return ""
    return (
        "the input is a task definition or template, not a stopped task: `ecs-why check FILE` says what in it "
        "would stop its tasks; ecs-why explain takes a stopped task, its reason or an event"
    )


# How far a task's state changes have gone: of one task's events, the furthest is the one to read.
_PROGRESS = {"STOPPED": 3, "DEPROVISIONING": 2, "STOPPING": 1}


def one_per_task(tasks: list[TaskFacts]) -> tuple[TaskFacts, ...]:
    """A task said more than once (its DEPROVISIONING then STOPPED events, EventBridge's at-least-once
    delivery, a log archive holding both) is one task: its furthest state, where it was first said."""
    kept: dict[str, TaskFacts] = {}
    unnamed: list[TaskFacts] = []
    for task in tasks:
        if not task.task_arn:
            unnamed.append(task)
            continue
        before = kept.get(task.task_arn)
        if before is None or _PROGRESS.get(task.last_status, 0) >= _PROGRESS.get(before.last_status, 0):
            kept[task.task_arn] = task
    return (*kept.values(), *unnamed)


def _intake(found: Found, kind: str, gaps: list[Gap]) -> Intake:
    observations = Observations(
        kind=kind,
        tasks=one_per_task(found.tasks),
        services=tuple(found.services),
        actions=tuple(found.actions),
    )
    return Intake(observations, tuple(found.gaps) + tuple(gaps))


def split_json(text: str) -> tuple[list[object], str]:
    """JSON objects (and lists starting a line) inside text: JSON Lines, log lines carrying an EventBridge
    event after a timestamp, a pasted document in a ``` fence. Returns them and the text without them."""
    decoder = json.JSONDecoder()
    documents: list[object] = []
    spans: list[tuple[int, int]] = []
    failures = 0  # a brace in prose is tried once; only failed tries are bounded, never documents
    brackets = [m.start(1) for m in _LINE_BRACKET.finditer(text)]
    index = _next_start(text, 0, brackets)
    while index != -1 and failures < _MAX_JSON_FAILURES:
        try:
            doc, end = decoder.raw_decode(text, index)
        except (ValueError, RecursionError):
            failures += 1
            index = _next_start(text, index + 1, brackets)
            continue
        if isinstance(doc, (dict, list)):
            line_start = text.rfind("\n", 0, index) + 1
            prefix = text[line_start:index]
            start = line_start if anchor(prefix) < 0 and len(prefix) <= 120 else index  # a timestamp, a label
            documents.append(doc)
            spans.append((start, end))
        index = _next_start(text, end, brackets)
    pieces, pos = [], 0
    for start, end in spans:
        pieces += [text[pos:start], "\n"]
        pos = end
    pieces.append(text[pos:])
    return documents, "".join(pieces)


_LINE_BRACKET = re.compile(r"^[ \t]*(\[)", re.MULTILINE)


def _next_start(text: str, index: int, brackets: list[int]) -> int:
    """The next `{`, or a `[` that starts a line (`brackets`; a `[` inside prose is rarely JSON)."""
    brace = text.find("{", index)
    i = bisect.bisect_left(brackets, index)
    bracket = brackets[i] if i < len(brackets) else -1
    found = [p for p in (brace, bracket) if p != -1]
    return min(found) if found else -1
