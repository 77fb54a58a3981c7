"""The door of POST /slack/events: Slack's v0 signature checked over the raw bytes before anything
parses the body, then the body checked to be something Bolt can read.

Anyone on the internet can reach the request URL, so a refusal costs no parsing, answers 401/400/413
without a traceback, and logs at most one short line a minute (with how many were refused). Slack's
own `SignatureVerifier` decodes the body as UTF-8 and the timestamp with `int()`, which raise on a
binary body or a non-numeric timestamp; this module compares bytes and refuses those instead.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs

log = logging.getLogger(__name__)
MAX_BODY = 1_000_000  # Slack's largest payloads (a view submission with state) are far below 1 MB
MAX_AGE = 300  # seconds, as Slack documents


@dataclass(frozen=True)
class Refusal:
    status: str  # "401 Unauthorized", …
    reason: str  # short, for the log line and the body


UNSIGNED = Refusal("401 Unauthorized", "missing or invalid signature")
STALE = Refusal("401 Unauthorized", "timestamp missing, malformed or older than 5 minutes")
TOO_LARGE = Refusal("413 Content Too Large", "body too large")
MALFORMED = Refusal("400 Bad Request", "signed body that is not a Slack payload")


def check_signature(
    headers: Mapping[str, str], body: bytes, secret: str, now: Callable[[], float] = time.time
) -> Refusal | None:
    """None when the request is signed by Slack (v0) within the last 5 minutes."""
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not (timestamp.isascii() and timestamp.isdigit()) or abs(now() - int(timestamp)) > MAX_AGE:
        return STALE
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        return UNSIGNED
    return None


def check_payload(content_type: str, body: bytes) -> Refusal | None:
    """None when a signed body is UTF-8 and, by its content type, a JSON object, or form fields whose
    `payload` (if any) is a JSON object: what Bolt parses without raising."""
    try:
        text = body.decode("utf-8")
        if content_type.split(";")[0].strip().lower() == "application/json" or text.startswith("{"):
            return None if readable(json.loads(text)) else MALFORMED  # Bolt reads both as JSON
        if text and not all("=" in field for field in text.split("&")):
            return MALFORMED  # what parse_qs(strict_parsing=True) refuses: a field without "="
        if "payload" not in text:
            return None  # Bolt decodes a `payload` field only when its raw body says "payload"
        payloads = parse_qs(text, keep_blank_values=True).get("payload", [])
        if not all(readable(json.loads(payload)) for payload in payloads):
            return MALFORMED  # every one: Bolt reads the last of repeated fields
    except ValueError:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return MALFORMED
    return None


def readable(payload: object) -> bool:
    """A JSON object whose parts Bolt indexes without a check are there in their shape: a view
    submission's (or close's) view and its type, a click's first action, an event callback's event.
    Bolt raised on them (KeyError, IndexError) and answered HTTP 500."""
    if not isinstance(payload, dict):
        return False
    kind = payload.get("type")
    if kind in ("view_submission", "view_closed"):
        view = payload.get("view")
        return isinstance(view, dict) and isinstance(view.get("type"), str)
    if kind in ("block_actions", "interactive_message"):
        actions = payload.get("actions")
        return isinstance(actions, list) and bool(actions) and all(isinstance(a, dict) for a in actions)
    if kind == "event_callback" and "event" in payload:
        return isinstance(payload["event"], dict)
    return True


class RefusalLog:
    """At most one line per `every` seconds, counting what was refused since the last line."""

    def __init__(self, every: float = 60, clock: Callable[[], float] = time.monotonic) -> None:
        self.every = every
        self.clock = clock
        self._counts: Counter[str] = Counter()
        self._last = -float("inf")
        self._lock = threading.Lock()

    def refused(self, refusal: Refusal) -> None:
        with self._lock:
            self._counts[refusal.reason] += 1
            if self.clock() - self._last < self.every:
                return
            self._last = self.clock()
            counts, self._counts = self._counts, Counter()
        summary = "; ".join(f"{n} × {reason}" for reason, n in counts.most_common())
        log.warning("refused requests to /slack/events: %s", summary, extra={"refused": sum(counts.values())})
