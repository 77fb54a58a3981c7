"""Build correctly signed requests exactly as Slack sends them to a Bolt app, and send them over a socket.

Builders return a :class:`SlackRequest` (the body bytes, its content type and the decoded payload, for
assertions); :func:`send` signs and posts one, :func:`post` posts raw bytes:

    req = slash_command("web-api --cluster prod", response_url=api.response_url("cmd1"))
    status, body, elapsed = send("http://127.0.0.1:3000", req, SECRET)

Field names follow Slack's documented payloads: slash commands (form fields), ``message_action``
(message shortcut), ``block_actions`` and ``view_submission`` (a ``payload`` form field holding JSON).
Every ``response_url`` defaults to a dead loopback address (port 9), never to hooks.slack.com, so a test
can never reach the internet; pass ``FakeSlackApi.response_url()`` to record what Bolt's ``respond()`` posts.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import itertools
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

__all__ = [
    "FORM",
    "JSON",
    "SlackRequest",
    "block_action",
    "event_callback",
    "message_shortcut",
    "post",
    "send",
    "sign",
    "slash_command",
    "view_submission",
]

JsonDict = dict[str, Any]
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

TEAM_ID = "T1"
TEAM_DOMAIN = "test"
API_APP_ID = "A1"
VERIFICATION_TOKEN = "verification-token-deprecated"  # deprecated, but Slack still sends the field
DEAD_RESPONSE_URL = "http://127.0.0.1:9/response/unset"
EVENTS_PATH = "/slack/events"

_counter = itertools.count(1)


@dataclass(frozen=True)
class SlackRequest:
    """A request body as Slack would send it."""

    body: bytes
    content_type: str
    payload: JsonDict  # the form fields (slash command) or the decoded ``payload`` JSON (interactive)


def _trigger_id() -> str:
    n = next(_counter)
    return f"{1_700_000_000 + n}.{100_000 + n}.{hashlib.sha256(str(n).encode()).hexdigest()[:32]}"


def _action_ts() -> str:
    return f"{time.time():.6f}"


def _user(user_id: str, team_id: str) -> JsonDict:
    name = f"user-{user_id.lower()}"
    return {"id": user_id, "username": name, "name": name, "team_id": team_id}


def _team(team_id: str) -> JsonDict:
    return {"id": team_id, "domain": TEAM_DOMAIN}


def _interactive(payload: JsonDict) -> SlackRequest:
    body = urlencode({"payload": json.dumps(payload, separators=(",", ":"))}).encode("utf-8")
    return SlackRequest(body, FORM, payload)


# --------------------------------------------------------------------------- signing and sending


def sign(body: bytes, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """Slack's v0 request signature headers for ``body`` (timestamp defaults to now)."""
    ts = str(int(time.time()) if timestamp is None else int(timestamp))
    base = b"v0:" + ts.encode() + b":" + body
    digest = hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def post(
    base_url: str,
    body: bytes,
    secret: str,
    content_type: str = FORM,
    timestamp: int | None = None,
    bad_signature: bool = False,
    *,
    path: str = EVENTS_PATH,
    extra_headers: Mapping[str, str] | None = None,
    timeout: float = 10,
) -> tuple[int, str, float]:
    """POST signed ``body`` to ``base_url`` + ``path`` over a real socket → (status, body, seconds).

    ``base_url`` is e.g. ``http://127.0.0.1:3000``; if it already has a path (``…/slack/events``) that
    path is used. ``timestamp`` in epoch seconds (pass ``time.time() - 600`` for a stale request);
    ``bad_signature`` signs with the wrong secret. ``extra_headers`` e.g. ``{"X-Slack-Retry-Num": "1"}``.
    Elapsed time covers connect → full response read.
    """
    split = urlsplit(base_url)
    if split.scheme != "http" or not split.hostname:
        raise ValueError(f"expected an http://host:port base URL, got {base_url!r}")
    target = split.path if split.path not in ("", "/") else path
    headers = sign(body, secret + "-wrong" if bad_signature else secret, timestamp)
    headers["Content-Type"] = content_type
    headers["Content-Length"] = str(len(body))
    headers["User-Agent"] = "Slackbot 1.0 (+https://api.slack.com/robots)"
    headers.update(extra_headers or {})
    started = time.perf_counter()
    conn = http.client.HTTPConnection(split.hostname, split.port or 80, timeout=timeout)
    try:
        conn.request("POST", target, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", errors="replace")
        status = response.status
    finally:
        conn.close()
    return status, text, time.perf_counter() - started


def send(
    base_url: str,
    request: SlackRequest,
    secret: str,
    timestamp: int | None = None,
    bad_signature: bool = False,
    **kwargs: Any,
) -> tuple[int, str, float]:
    """Sign and POST a built :class:`SlackRequest`; same result and keywords as :func:`post`."""
    return post(base_url, request.body, secret, request.content_type, timestamp, bad_signature, **kwargs)


# --------------------------------------------------------------------------- builders


def slash_command(
    text: str,
    user_id: str = "U1",
    channel_id: str = "C1",
    command: str = "/ecs-why",
    response_url: str = DEAD_RESPONSE_URL,
    *,
    team_id: str = TEAM_ID,
    channel_name: str | None = None,
    user_name: str | None = None,
    trigger_id: str | None = None,
) -> SlackRequest:
    """A slash command invocation (form-encoded fields, as Slack posts them)."""
    fields = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "team_domain": TEAM_DOMAIN,
        "channel_id": channel_id,
        "channel_name": channel_name or ("directmessage" if channel_id.startswith("D") else "ops"),
        "user_id": user_id,
        "user_name": user_name or f"user-{user_id.lower()}",
        "command": command,
        "text": text,
        "api_app_id": API_APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id or _trigger_id(),
    }
    return SlackRequest(urlencode(fields).encode("utf-8"), FORM, fields)


def message_shortcut(
    message_text: str,
    attachments: list[JsonDict] | None = None,
    callback_id: str = "why_did_this_stop",
    channel_id: str = "C1",
    message_ts: str = "1700000000.000100",
    *,
    user_id: str = "U1",
    message_user: str | None = "U2",
    bot_id: str | None = None,
    thread_ts: str | None = None,
    blocks: list[JsonDict] | None = None,
    response_url: str = DEAD_RESPONSE_URL,
    team_id: str = TEAM_ID,
    trigger_id: str | None = None,
) -> SlackRequest:
    """A message shortcut (``type: message_action``) on a message with ``message_text``.

    ``attachments`` are the message's legacy attachments (alerts posted by other apps); pass
    ``bot_id`` (and ``message_user=None``) for a message posted by an app.
    """
    message: JsonDict = {"type": "message", "text": message_text, "ts": message_ts}
    if message_user is not None:
        message["user"] = message_user
    if bot_id is not None:
        message.update({"bot_id": bot_id, "subtype": "bot_message"})
    if attachments is not None:
        message["attachments"] = attachments
    if blocks is not None:
        message["blocks"] = blocks
    if thread_ts is not None:
        message["thread_ts"] = thread_ts
    payload: JsonDict = {
        "type": "message_action",
        "token": VERIFICATION_TOKEN,
        "action_ts": _action_ts(),
        "team": _team(team_id),
        "user": _user(user_id, team_id),
        "channel": {"id": channel_id, "name": "ops"},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": trigger_id or _trigger_id(),
        "response_url": response_url,
        "message_ts": message_ts,
        "message": message,
    }
    return _interactive(payload)


def block_action(
    action_id: str,
    value: str,
    user_id: str = "U1",
    channel_id: str = "C1",
    message_ts: str = "1700000000.000100",
    thread_ts: str | None = None,
    trigger_id: str | None = None,
    *,
    block_id: str = "actions",
    button_text: str = "Button",
    message: JsonDict | None = None,
    view: JsonDict | None = None,
    state_values: JsonDict | None = None,
    response_url: str = DEAD_RESPONSE_URL,
    team_id: str = TEAM_ID,
) -> SlackRequest:
    """A button click (``type: block_actions``) on a message, or in a modal when ``view`` is given.

    ``message`` is the clicked message as Slack includes it (e.g. one from ``FakeSlackApi.messages()``);
    by default a minimal bot message with ``message_ts`` (and ``thread_ts``). ``view`` is the modal
    (e.g. ``FakeSlackApi.views()[-1]``); then the container is the view and there is no channel.
    """
    action = {
        "action_id": action_id,
        "block_id": block_id,
        "text": {"type": "plain_text", "text": button_text, "emoji": True},
        "value": value,
        "type": "button",
        "action_ts": _action_ts(),
    }
    payload: JsonDict = {
        "type": "block_actions",
        "user": _user(user_id, team_id),
        "api_app_id": API_APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id or _trigger_id(),
        "team": _team(team_id),
        "enterprise": None,
        "is_enterprise_install": False,
        "state": {"values": state_values or {}},
        "actions": [action],
    }
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view.get("id", "V1")}
        payload["view"] = view
        return _interactive(payload)
    container: JsonDict = {
        "type": "message",
        "message_ts": message_ts,
        "channel_id": channel_id,
        "is_ephemeral": False,
    }
    if message is None:
        message = {
            "type": "message",
            "user": "UBOT",
            "bot_id": "BBOT",
            "app_id": API_APP_ID,
            "team": team_id,
            "ts": message_ts,
            "text": "",
            "blocks": [],
        }
    else:
        message = {k: v for k, v in message.items() if k not in ("channel", "edited") and v is not None}
        message.setdefault("type", "message")
        message.setdefault("ts", message_ts)
    if thread_ts is not None:
        container["thread_ts"] = thread_ts
        message["thread_ts"] = thread_ts
    payload.update(
        {
            "container": container,
            "channel": {"id": channel_id, "name": "ops"},
            "message": message,
            "response_url": response_url,
        }
    )
    return _interactive(payload)


def click_on(message: JsonDict, button: JsonDict, user_id: str, **extra: Any) -> SlackRequest:
    """A click on `button` of a posted `message` (one from ``FakeSlackApi``), as Slack sends it: with the
    message, its ts and thread, so the bot can update it in place."""
    return block_action(
        button["action_id"],
        button["value"],
        user_id=user_id,
        message_ts=message["ts"],
        thread_ts=message.get("thread_ts"),
        message={"ts": message["ts"], "text": message.get("text", ""), "blocks": message.get("blocks")},
        **extra,
    )


def view_submission(
    callback_id: str,
    private_metadata: str,
    user_id: str = "U1",
    state_values: JsonDict | None = None,
    *,
    view: JsonDict | None = None,
    view_id: str = "V0000000001",
    blocks: list[JsonDict] | None = None,
    response_urls: list[JsonDict] | None = None,
    team_id: str = TEAM_ID,
    trigger_id: str | None = None,
) -> SlackRequest:
    """A modal submission (``type: view_submission``).

    ``view`` may be a view the fake opened (``FakeSlackApi.views()[-1]``): its id, blocks, hash, … are
    used and ``callback_id`` / ``private_metadata`` / ``state_values`` override its fields.
    ``state_values`` is ``{block_id: {action_id: {"type": …, "value": …}}}``.
    """
    base: JsonDict = dict(view or {})
    submitted: JsonDict = {
        "id": base.get("id", view_id),
        "team_id": team_id,
        "type": "modal",
        "blocks": base.get("blocks", blocks or []),
        "private_metadata": private_metadata,
        "callback_id": callback_id,
        "state": {"values": state_values or {}},
        "hash": base.get("hash", f"{int(time.time())}.abc{next(_counter)}"),
        "title": base.get("title") or {"type": "plain_text", "text": "ecs-why", "emoji": True},
        "clear_on_close": base.get("clear_on_close", False),
        "notify_on_close": base.get("notify_on_close", False),
        "close": base.get("close"),
        "submit": base.get("submit") or {"type": "plain_text", "text": "Submit", "emoji": True},
        "previous_view_id": base.get("previous_view_id"),
        "root_view_id": base.get("root_view_id", base.get("id", view_id)),
        "app_id": API_APP_ID,
        "external_id": base.get("external_id", ""),
        "app_installed_team_id": team_id,
        "bot_id": base.get("bot_id", "BBOT"),
    }
    payload: JsonDict = {
        "type": "view_submission",
        "team": _team(team_id),
        "user": _user(user_id, team_id),
        "api_app_id": API_APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id or _trigger_id(),
        "view": submitted,
        "response_urls": response_urls or [],
        "is_enterprise_install": False,
        "enterprise": None,
    }
    return _interactive(payload)


def event_callback(event: JsonDict, *, team_id: str = TEAM_ID, event_id: str | None = None) -> SlackRequest:
    """An Events API delivery (``type: event_callback``, JSON body) wrapping ``event``."""
    n = next(_counter)
    payload: JsonDict = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "api_app_id": API_APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{n:08d}",
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": "UBOT",
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }
    return SlackRequest(json.dumps(payload).encode("utf-8"), JSON, payload)
