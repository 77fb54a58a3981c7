"""The Socket Mode stand-in, driven by slack_sdk's own Socket Mode client as an app would use it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from websockets.sync.client import connect

from tests.fakes import slack_requests as sr
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_socket import FakeSlackSocket


@pytest.fixture
def socket() -> Iterator[FakeSlackSocket]:
    with FakeSlackSocket() as fake:
        yield fake


def test_apps_connections_open_wants_the_app_token(socket: FakeSlackSocket) -> None:
    with FakeSlackApi(socket_mode_url=lambda: socket.url) as api:
        with pytest.raises(SlackApiError, match="not_allowed_token_type"):
            WebClient(token="xoxb-bot", base_url=api.url).apps_connections_open(app_token="xoxb-bot")
        url = WebClient(base_url=api.url).apps_connections_open(app_token="xapp-1")["url"]
        assert url.startswith(f"ws://127.0.0.1:{socket.port}/link/?ticket=")
    with FakeSlackApi() as api, pytest.raises(SlackApiError, match="socket_mode_not_enabled"):
        WebClient(base_url=api.url).apps_connections_open(app_token="xapp-1")


def test_a_socket_mode_client_gets_hello_envelopes_and_acknowledges_them(socket: FakeSlackSocket) -> None:
    seen: list[SocketModeRequest] = []

    def listener(client: SocketModeClient, request: SocketModeRequest) -> None:
        seen.append(request)
        answer = {"text": "on it"} if request.accepts_response_payload else None
        client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id, payload=answer))

    with FakeSlackApi(socket_mode_url=lambda: socket.url) as api:
        client = SocketModeClient(
            app_token="xapp-1", web_client=WebClient(base_url=api.url), auto_reconnect_enabled=False
        )
        client.socket_mode_request_listeners.append(listener)  # type: ignore[arg-type]
        client.connect()
        try:
            assert "ticket=" in socket.wait_connected()
            assert api.calls("apps.connections.open")[0].token == "xapp-1"
            command = socket.send("slash_commands", sr.slash_command("help").payload)
            assert socket.wait_ack(command) == {"envelope_id": command, "payload": {"text": "on it"}}
            click = socket.send("interactive", sr.block_action("ecs_why_ack", "k1").payload)
            assert socket.wait_ack(click) == {"envelope_id": click}
        finally:
            client.close()
    assert [(r.type, r.payload.get("command") or r.payload.get("type")) for r in seen] == [
        ("slash_commands", "/ecs-why"),
        ("interactive", "block_actions"),
    ]


def test_send_without_a_connection_and_an_ack_that_never_comes_fail_clearly(socket: FakeSlackSocket) -> None:
    with pytest.raises(AssertionError, match="no app is connected"):
        socket.send("events_api", {"type": "event_callback"})
    with pytest.raises(AssertionError, match="no acknowledgement"):
        socket.wait_ack("nope", timeout=0.1)


def test_the_server_stops_on_close() -> None:
    fake = FakeSlackSocket()
    url = fake.url
    fake.close()
    fake.close()  # idempotent
    with pytest.raises(ConnectionRefusedError):
        connect(url, open_timeout=2).close()
