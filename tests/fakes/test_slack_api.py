"""The fakes work with the real slack_sdk WebClient, Bolt and SignatureVerifier, over loopback only."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from slack_bolt import App, BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook import WebhookClient

from tests.fakes import slack_requests as sr
from tests.fakes.slack_api import FakeSlackApi

SECRET = "test-signing-secret"
TOKEN = "xoxb-test-token"


@pytest.fixture
def api() -> Iterator[FakeSlackApi]:
    with FakeSlackApi(not_member={"C2", "G9"}, usergroups={"S1": ["U1", "U2"]},
                      users={"U1": {"name": "alice", "real_name": "Alice A"}}) as fake:
        yield fake


@pytest.fixture
def client(api: FakeSlackApi) -> WebClient:
    return WebClient(token=TOKEN, base_url=api.url, timeout=5)


# --------------------------------------------------------------------------- Web API fake


def test_auth_test_and_token_recorded(api: FakeSlackApi, client: WebClient) -> None:
    resp = client.auth_test()
    assert (resp["user_id"], resp["bot_id"], resp["team_id"], resp["team"]) == ("UBOT", "BBOT", "T1", "Test")
    call = api.calls("auth.test")[0]
    assert call.token == TOKEN and call.ok


def test_post_update_thread_and_replies(api: FakeSlackApi, client: WebClient) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*OOM* in web-api"}}]
    top = client.chat_postMessage(channel="C1", text="OOM", blocks=blocks)
    reply = client.chat_postMessage(channel="C1", text="evidence", thread_ts=top["ts"])
    assert top["ts"] == "1700000000.000100"
    assert float(reply["ts"]) > float(top["ts"])
    assert reply["message"]["thread_ts"] == top["ts"] and top["message"]["blocks"] == blocks

    client.chat_update(channel="C1", ts=top["ts"], text="OOM (updated)", blocks=[])
    msgs = api.messages("C1")
    assert [m["text"] for m in msgs] == ["OOM (updated)", "evidence"]
    assert msgs[0]["thread_ts"] is None and msgs[0]["blocks"] == [] and msgs[0]["edited"]
    assert msgs[1]["thread_ts"] == top["ts"]
    assert [m["ts"] for m in api.thread("C1", top["ts"])] == [top["ts"], reply["ts"]]

    replies = client.conversations_replies(channel="C1", ts=top["ts"])
    assert [m["text"] for m in replies["messages"]] == ["OOM (updated)", "evidence"]
    assert api.wait_for("chat.postMessage", lambda c: c.params.get("thread_ts") == top["ts"]).params["text"] == (
        "evidence"
    )
    link = client.chat_getPermalink(channel="C1", message_ts=top["ts"])
    assert link["permalink"].endswith("/archives/C1/p1700000000000100")


def test_form_encoded_blocks_are_decoded(api: FakeSlackApi, client: WebClient) -> None:
    client.api_call("chat.postMessage", data={"channel": "C1", "blocks": json.dumps([{"type": "divider"}])})
    assert api.calls("chat.postMessage")[0].params["blocks"] == [{"type": "divider"}]


def test_ephemeral_and_update_of_unknown_message(api: FakeSlackApi, client: WebClient) -> None:
    resp = client.chat_postEphemeral(channel="C1", user="U1", text="Diagnosing web-api…")
    assert resp["message_ts"]
    assert api.ephemerals(user="U1")[0]["text"] == "Diagnosing web-api…"
    with pytest.raises(SlackApiError) as err:
        client.chat_update(channel="C1", ts="1.000001", text="x")
    assert err.value.response["error"] == "message_not_found"


def test_views_open_update_push(api: FakeSlackApi, client: WebClient) -> None:
    view = {"type": "modal", "callback_id": "confirm_action", "private_metadata": "key-123",
            "title": {"type": "plain_text", "text": "Confirm"},
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "60s → 120s"}}]}
    opened = client.views_open(trigger_id="1.2.abc", view=view)["view"]
    assert opened["id"].startswith("V")
    assert (opened["callback_id"], opened["private_metadata"], opened["blocks"]) == (
        "confirm_action", "key-123", view["blocks"])
    updated = client.views_update(view_id=opened["id"], view={**view, "private_metadata": "key-456"})["view"]
    assert updated["id"] == opened["id"] and updated["private_metadata"] == "key-456"
    pushed = client.views_push(trigger_id="1.2.def", view=view)["view"]
    assert pushed["id"] != opened["id"]
    assert [v["private_metadata"] for v in api.views()] == ["key-456", "key-123"]
    with pytest.raises(SlackApiError):
        client.views_update(view_id="VNOPE", view=view)


def test_conversations_users_and_groups(api: FakeSlackApi, client: WebClient) -> None:
    assert client.conversations_info(channel="C1")["channel"]["is_member"] is True
    c2 = client.conversations_info(channel="C2")["channel"]
    assert c2["is_member"] is False and c2["is_private"] is False
    g9 = client.conversations_info(channel="G9")["channel"]
    assert g9["is_private"] is True and g9["is_member"] is False

    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C2", text="hi")
    assert err.value.response["error"] == "not_in_channel"
    client.conversations_join(channel="C2")
    assert client.conversations_info(channel="C2")["channel"]["is_member"] is True
    client.chat_postMessage(channel="C2", text="hi")
    with pytest.raises(SlackApiError):
        client.conversations_join(channel="G9")

    assert client.usergroups_users_list(usergroup="S1")["users"] == ["U1", "U2"]
    user = client.users_info(user="U1")["user"]
    assert (user["name"], user["real_name"]) == ("alice", "Alice A")
    assert client.users_info(user="U7")["user"]["id"] == "U7"


def test_unknown_method_and_missing_token(api: FakeSlackApi, client: WebClient) -> None:
    with pytest.raises(SlackApiError) as err:
        client.api_call("apps.uninstall")
    assert err.value.response["error"] == "unknown_method"
    with pytest.raises(SlackApiError) as err:
        WebClient(base_url=api.url).auth_test()
    assert err.value.response["error"] == "not_authed"


def test_fail_next_surfaces_slack_api_error_once(api: FakeSlackApi, client: WebClient) -> None:
    api.fail_next("chat.postMessage", "channel_not_found")
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C1", text="hi")
    assert err.value.response["error"] == "channel_not_found"
    assert client.chat_postMessage(channel="C1", text="hi")["ok"] is True
    assert [c.ok for c in api.calls("chat.postMessage")] == [False, True]
    assert len(api.messages()) == 1


def test_rate_limit_is_retried_by_rate_limit_handler(api: FakeSlackApi) -> None:
    retrying = WebClient(token=TOKEN, base_url=api.url,
                         retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)])
    api.rate_limit_next("chat.postMessage", retry_after=0)
    assert retrying.chat_postMessage(channel="C1", text="hi")["ok"] is True
    assert [c.status for c in api.calls("chat.postMessage")] == [429, 200]
    assert len(api.messages("C1")) == 1


def test_rate_limit_without_retry_handler_raises(api: FakeSlackApi) -> None:
    plain = WebClient(token=TOKEN, base_url=api.url, retry_handlers=[])
    api.rate_limit_next("chat.update", retry_after=7)
    with pytest.raises(SlackApiError) as err:
        plain.chat_update(channel="C1", ts="1.1", text="x")
    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] in ("7", ["7"])


def test_slow_and_wait_for_from_another_thread(api: FakeSlackApi, client: WebClient) -> None:
    api.slow("chat.postMessage", 0.2)
    worker = threading.Thread(target=lambda: client.chat_postMessage(channel="C1", text="late"))
    started = time.monotonic()
    worker.start()
    call = api.wait_for("chat.postMessage", lambda c: c.params["text"] == "late", timeout=5)
    assert time.monotonic() - started >= 0.2 and call.ok
    worker.join()
    with pytest.raises(AssertionError, match=r"(?s)'views\.open'.*chat\.postMessage"):
        api.wait_for("views.open", timeout=0.1)
    api.clear()
    assert api.calls() == [] and len(api.messages()) == 1


def test_response_url_posts_are_recorded(api: FakeSlackApi) -> None:
    resp = WebhookClient(api.response_url("cmd1")).send(text="Diagnosing…", response_type="ephemeral")
    assert resp.status_code == 200
    call = api.wait_for("response_url")
    assert call.path == "/response/cmd1" and call.params["text"] == "Diagnosing…"
    assert api.responses() == [call.params]


def test_server_stops_on_close() -> None:
    fake = FakeSlackApi()
    url = fake.url
    fake.close()
    fake.close()  # idempotent
    with pytest.raises(urllib.error.URLError, match=r"(?i)refused"):
        urllib.request.urlopen(url + "auth.test", data=b"", timeout=1)


# --------------------------------------------------------------------------- signed requests


def _verify(req: sr.SlackRequest, headers: dict[str, str]) -> bool:
    return SignatureVerifier(SECRET).is_valid_request(req.body, headers)


def test_signature_valid_stale_and_bad() -> None:
    req = sr.slash_command("web-api --cluster prod")
    assert _verify(req, sr.sign(req.body, SECRET))
    assert not _verify(req, sr.sign(req.body, SECRET, timestamp=int(time.time()) - 301))
    assert not _verify(req, sr.sign(req.body, "another-secret"))
    assert not _verify(req, sr.sign(req.body + b"x", SECRET))


class _BoltServer:
    """A Bolt App served by a real loopback HTTP server (the way `ecs-why serve` will receive Slack)."""

    def __init__(self, app: App) -> None:
        bolt_app = app

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8")
                headers: dict[str, str | Sequence[str]] = {k.lower(): v for k, v in self.headers.items()}
                resp = bolt_app.dispatch(BoltRequest(body=body, headers=headers))
                data = resp.body.encode("utf-8")
                self.send_response(resp.status)
                for key, values in resp.headers.items():
                    for value in values:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def bolt(api: FakeSlackApi) -> Iterator[tuple[str, dict[str, Any]]]:
    seen: dict[str, Any] = {}
    app = App(client=WebClient(token=TOKEN, base_url=api.url), signing_secret=SECRET)

    @app.command("/ecs-why")
    def command(ack: Any, command: dict[str, Any], respond: Any) -> None:
        ack()
        seen["command"] = command
        respond(text=f"Diagnosing {command['text']}…", response_type="ephemeral")

    @app.shortcut("why_did_this_stop")
    def shortcut(ack: Any, shortcut: dict[str, Any], client: WebClient) -> None:
        ack()
        seen["shortcut"] = shortcut
        client.chat_postMessage(channel=shortcut["channel"]["id"], thread_ts=shortcut["message_ts"], text="why")

    @app.action("raise_grace")
    def action(ack: Any, body: dict[str, Any], context: Any, client: WebClient) -> None:
        ack()
        seen["action"] = body
        seen["action_context"] = (context.channel_id, context.user_id, context.thread_ts)
        client.views_open(trigger_id=body["trigger_id"], view={
            "type": "modal", "callback_id": "confirm", "private_metadata": body["actions"][0]["value"],
            "title": {"type": "plain_text", "text": "Confirm"}, "blocks": []})

    @app.view("confirm")
    def submit(ack: Any, view: dict[str, Any], body: dict[str, Any]) -> None:
        ack()
        seen["view"] = view
        seen["view_user"] = body["user"]["id"]

    server = _BoltServer(app)
    try:
        api.clear()
        yield server.url, seen
    finally:
        server.close()


def test_signed_requests_drive_a_real_bolt_app(api: FakeSlackApi, bolt: tuple[str, dict[str, Any]]) -> None:
    url, seen = bolt

    status, _, _ = sr.send(url, sr.slash_command("web-api --cluster prod", response_url=api.response_url()),
                           SECRET)
    assert status == 200
    assert api.wait_for("response_url").params["text"] == "Diagnosing web-api --cluster prod…"
    assert seen["command"]["user_id"] == "U1" and seen["command"]["channel_id"] == "C1"

    shortcut = sr.message_shortcut("task arn:aws:ecs:eu-west-1:123456789012:task/prod/abc stopped",
                                   attachments=[{"text": "alert"}], message_ts="1700000000.000500")
    assert sr.send(url, shortcut, SECRET)[0] == 200
    posted = api.wait_for("chat.postMessage")
    assert posted.params["thread_ts"] == "1700000000.000500" and posted.params["channel"] == "C1"
    assert seen["shortcut"]["message"]["attachments"] == [{"text": "alert"}]

    click = sr.block_action("raise_grace", "pending-key-1", user_id="U7", channel_id="C1",
                            message_ts="1700000000.000600", thread_ts="1700000000.000500")
    assert sr.send(url, click, SECRET)[0] == 200
    opened = api.wait_for("views.open").response["view"]
    assert opened["private_metadata"] == "pending-key-1"
    assert seen["action_context"] == ("C1", "U7", "1700000000.000500")
    assert seen["action"]["container"]["message_ts"] == "1700000000.000600"

    submission = sr.view_submission("confirm", opened["private_metadata"], user_id="U7", view=opened)
    assert sr.send(url, submission, SECRET)[0] == 200
    assert seen["view"]["id"] == opened["id"] and seen["view"]["private_metadata"] == "pending-key-1"
    assert seen["view_user"] == "U7"


def test_bolt_refuses_bad_and_stale_signatures(bolt: tuple[str, dict[str, Any]]) -> None:
    url, seen = bolt
    req = sr.slash_command("web-api")
    assert sr.send(url, req, SECRET, bad_signature=True)[0] == 401
    assert sr.send(url, req, SECRET, timestamp=int(time.time()) - 600)[0] == 401
    assert "command" not in seen
