"""An AWS stand-in cheaper than moto, for bench/diagnose_latency.py: each answer is recorded once from moto,
then replayed byte for byte, still parsed by botocore. A diagnosis replayed then costs its own work only,
plus the latency the bench adds to every call. Moto itself takes seconds to describe 1,000 tasks, which
would hide the latency being measured.

Also a wire trace: when each call was sent and answered. From it comes the number of sequential rounds as
seen on the wire, whatever the diagnosis counts itself: the longest chain of calls where each call was sent
only after the one before it had been answered.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSResponse

Key = tuple[str, str, bytes]


class _Body:
    """The raw body botocore reads an answer from (it asks for `stream()`)."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


@dataclass
class Replay:
    """Record while `recording`, then answer every request seen before from the record. A request not seen
    before goes to moto and is counted in `misses` (the bench prints it)."""

    recording: bool = True
    latency: float = 0.0  # seconds added before every call is answered, recorded or not
    misses: int = 0
    answers: dict[Key, tuple[int, dict[str, str], bytes]] = field(default_factory=dict)
    _asked: threading.local = field(default_factory=threading.local)

    def attach(self, session: Any) -> None:
        session.events.register("before-send", self._send)
        session.events.register("before-parse", self._keep)

    def _send(self, request: Any, **_: Any) -> AWSResponse | None:
        body = request.body
        key: Key = (
            request.method,
            request.url,
            body if isinstance(body, bytes) else str(body or "").encode(),
        )
        self._asked.key = key
        if self.latency:
            time.sleep(self.latency)
        if not self.recording:
            known = self.answers.get(key)
            if known is not None:
                status, headers, content = known
                return AWSResponse(request.url, status, headers, _Body(content))
            self.misses += 1
        return None

    def _keep(self, response_dict: dict[str, Any], **_: Any) -> None:
        key = getattr(self._asked, "key", None)
        if key is not None and key not in self.answers:
            body = response_dict.get("body", b"")
            if isinstance(body, bytes):
                self.answers[key] = (response_dict["status_code"], dict(response_dict["headers"]), body)


@dataclass
class Wire:
    """When each call was sent and answered (seconds), by operation, from `attach` on."""

    calls: list[tuple[float, float, str]] = field(default_factory=list)
    _sent: threading.local = field(default_factory=threading.local)

    def attach(self, session: Any) -> None:
        session.events.register("before-call", self._before)
        session.events.register("after-call", self._after)

    def clear(self) -> None:
        self.calls.clear()

    def _before(self, **_: Any) -> None:
        self._sent.at = time.perf_counter()

    def _after(self, model: Any, **_: Any) -> None:
        self.calls.append((self._sent.at, time.perf_counter(), model.name))

    def rounds(self) -> int:
        """The longest chain of calls each sent after the one before it was answered."""
        depth: list[tuple[float, int]] = []  # (answered at, chain length ending there)
        for sent, answered, _name in sorted(self.calls):
            before = [n for at, n in depth if at <= sent]
            depth.append((answered, 1 + max(before, default=0)))
        return max((n for _, n in depth), default=0)
