"""A local stand-in for Slack's Socket Mode websocket, for tests that must not touch the internet.

Slack's side of Socket Mode, as documented: the app calls ``apps.connections.open`` with its app-level
token and gets a ``wss://…/link/?ticket=…`` URL; on connecting, Slack sends ``{"type": "hello", …}``;
every request then arrives as an envelope ``{"envelope_id", "type", "payload",
"accepts_response_payload"}`` (types ``slash_commands``, ``interactive``, ``events_api``), and the app
acknowledges each one by sending back ``{"envelope_id": …}``, with a ``payload`` (the ephemeral answer of
a slash command) when the envelope accepts one.

    with FakeSlackSocket() as socket, FakeSlackApi(socket_mode_url=socket.url) as api:
        ...start the app with SLACK_API_URL=api.url...
        socket.wait_connected()
        envelope = socket.send("slash_commands", slash_command("help").payload)
        ack = socket.wait_ack(envelope)          # {"envelope_id": …, "payload": {"text": …}}

The server (``websockets``) runs in a daemon thread on 127.0.0.1 and a free port; it stops on
``close()``, at the end of a ``with`` block, or when the object is garbage-collected.
"""

from __future__ import annotations

import itertools
import json
import threading
import uuid
import weakref
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

__all__ = ["FakeSlackSocket"]

JsonDict = dict[str, Any]
#: Which envelopes Slack lets the app answer in the acknowledgement itself.
_ACCEPTS_PAYLOAD = {"slash_commands": True, "events_api": False}
_INTERACTIVE_WITH_PAYLOAD = {"view_submission", "block_suggestion"}


class FakeSlackSocket:
    """Slack's Socket Mode server over a real websocket on 127.0.0.1. See the module docstring."""

    def __init__(self, app_id: str = "A1") -> None:
        self.app_id = app_id
        self._lock = threading.Condition()
        self._connections: list[ServerConnection] = []
        self._paths: list[str] = []
        self._received: list[JsonDict] = []  # every JSON message the app sent, oldest first
        self._sent: list[str] = []  # the envelope ids delivered
        self._tickets = itertools.count(1)
        self._server: Server = serve(self._serve, "127.0.0.1", 0, ping_interval=None)
        self.port: int = int(self._server.socket.getsockname()[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"fake-slack-socket:{self.port}", daemon=True
        )
        self._thread.start()
        self._finalizer = weakref.finalize(self, _shutdown_in_background, self._server)

    # ------------------------------------------------------------------ lifecycle and addresses

    @property
    def url(self) -> str:
        """A fresh `ws://` URL, as each ``apps.connections.open`` hands out a new ticket."""
        return f"ws://127.0.0.1:{self.port}/link/?ticket={next(self._tickets)}&app_id={self.app_id}"

    def close(self) -> None:
        if not self._finalizer.alive:
            return
        self._finalizer.detach()
        self._server.shutdown()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeSlackSocket:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ what the app sees

    def wait_connected(self, timeout: float = 30) -> str:
        """The path (with its ticket) of the first open connection, waiting for the app to connect."""
        with self._lock:
            if not self._lock.wait_for(lambda: self._live() is not None, timeout):
                raise AssertionError(f"the app did not connect to {self.port} within {timeout}s")
            return self._paths[self._connections.index(self._live())]  # type: ignore[arg-type]

    def send(self, kind: str, payload: JsonDict, accepts_response_payload: bool | None = None) -> str:
        """Deliver one envelope of `kind` (slash_commands, interactive, events_api); returns its id."""
        if accepts_response_payload is None:
            accepts_response_payload = _ACCEPTS_PAYLOAD.get(
                kind, payload.get("type") in _INTERACTIVE_WITH_PAYLOAD
            )
        envelope_id = str(uuid.uuid4())
        envelope: JsonDict = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
        }
        if kind == "events_api":
            envelope |= {"retry_attempt": 0, "retry_reason": ""}
        with self._lock:
            connection = self._live()
        if connection is None:
            raise AssertionError("no app is connected: call wait_connected() first")
        connection.send(json.dumps(envelope))
        with self._lock:
            self._sent.append(envelope_id)
        return envelope_id

    def wait_ack(self, envelope_id: str, timeout: float = 10) -> JsonDict:
        """The app's acknowledgement of an envelope (``{"envelope_id", "payload"?}``), waiting for it."""
        with self._lock:
            found = self._lock.wait_for(lambda: self._ack(envelope_id), timeout)
            if not found:
                seen = "\n".join(f"  {json.dumps(m)[:300]}" for m in self._received) or "  (none)"
                raise AssertionError(f"no acknowledgement of {envelope_id} within {timeout}s; got:\n{seen}")
            return found

    def received(self) -> list[JsonDict]:
        """Every message the app sent over the socket (its acknowledgements), oldest first."""
        with self._lock:
            return list(self._received)

    def sent(self) -> list[str]:
        """The ids of the envelopes delivered to the app, oldest first."""
        with self._lock:
            return list(self._sent)

    # ------------------------------------------------------------------ the server side

    def _live(self) -> ServerConnection | None:
        return next((c for c in self._connections if c.close_code is None), None)

    def _ack(self, envelope_id: str) -> JsonDict | None:
        return next((m for m in self._received if m.get("envelope_id") == envelope_id), None)

    def _serve(self, connection: ServerConnection) -> None:
        """One app connection: Slack's hello first, then record whatever the app sends until it leaves."""
        path = connection.request.path if connection.request is not None else ""
        connection.send(json.dumps({
            "type": "hello",
            "num_connections": 1,
            "debug_info": {"host": "applink-fake", "build_number": 1, "approximate_connection_time": 3600},
            "connection_info": {"app_id": self.app_id},
        }))  # fmt: skip
        with self._lock:
            self._connections.append(connection)
            self._paths.append(path)
            self._lock.notify_all()
        try:
            for message in connection:
                try:
                    decoded = json.loads(message)
                except ValueError:
                    decoded = {"unreadable": str(message)[:200]}
                with self._lock:
                    self._received.append(decoded if isinstance(decoded, dict) else {"value": decoded})
                    self._lock.notify_all()
        except ConnectionClosed:
            pass
        finally:
            with self._lock:
                self._lock.notify_all()


def _shutdown_in_background(server: Server) -> None:
    # From weakref.finalize, perhaps in the server's own thread: never block on shutdown() there.
    threading.Thread(target=server.shutdown, daemon=True).start()

