"""A small, real HTTP fake of the Slack Web API, for tests that must not touch the internet.

Point ``slack_sdk.WebClient(base_url=api.url)`` (or ``SLACK_API_URL``) at it; ``api.url`` is
``http://127.0.0.1:PORT/api/`` (with the trailing slash WebClient expects). Every call is recorded; the
common methods answer as Slack does; failures, rate limits and delays can be injected per method.
Bolt's ``respond()`` posts to a ``response_url``: build one with ``api.response_url()`` and the posts
are recorded as method ``"response_url"``.

    with FakeSlackApi(not_member={"C2"}) as api:
        client = WebClient(token="xoxb-test", base_url=api.url)
        client.chat_postMessage(channel="C1", text="hi")
        call = api.wait_for("chat.postMessage", lambda c: c.params["channel"] == "C1")

The server runs in a daemon thread on a free loopback port. It stops on ``close()``, at the end of a
``with`` block, when the object is garbage-collected, or at interpreter exit; the ``slack_api``
pytest fixture below closes it when the test ends.
"""

from __future__ import annotations

import collections
import contextlib
import copy
import itertools
import json
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

__all__ = ["Call", "FakeSlackApi", "slack_api"]

JsonDict = dict[str, Any]
Predicate = Callable[["Call"], bool]

#: Form fields that Slack accepts as JSON encoded in a string; decoded so tests see structures.
_JSON_FIELDS = frozenset({"blocks", "attachments", "view", "metadata", "users", "channels"})
_TS_BASE_MICROS = 1_700_000_000_000_100
_TS_STEP_MICROS = 100


@dataclass(frozen=True)
class Call:
    """One request the fake received."""

    method: str  # "chat.postMessage", … or "response_url"
    params: JsonDict  # query + form/JSON body, JSON-in-string fields (blocks, view, …) decoded
    token: str | None  # from "Authorization: Bearer …" or a ``token`` param
    http_method: str  # "GET" / "POST"
    path: str  # the request path, e.g. "/api/chat.postMessage" or "/response/abc"
    status: int = 200  # HTTP status the fake answered (429 for an injected rate limit)
    response: JsonDict = field(default_factory=dict)  # the JSON body the fake answered
    at: float = 0.0  # time.monotonic() when received

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.response.get("ok"))


@dataclass
class _Injected:
    errors: collections.deque[str] = field(default_factory=collections.deque)
    rate_limits: collections.deque[int] = field(default_factory=collections.deque)
    server_errors: collections.deque[int] = field(default_factory=collections.deque)
    always_status: int | None = None
    delay: float = 0.0


class FakeSlackApi:
    """Fake Slack Web API over real HTTP on 127.0.0.1. See the module docstring."""

    def __init__(
        self,
        *,
        not_member: Iterable[str] = (),
        usergroups: Mapping[str, Iterable[str]] | None = None,
        users: Mapping[str, Mapping[str, Any]] | None = None,
        expected_token: str | None = None,
        team_id: str = "T1",
        team: str = "Test",
        bot_user_id: str = "UBOT",
        bot_id: str = "BBOT",
        app_id: str = "A1",
        post_requires_membership: bool = True,
        socket_mode_url: str | Callable[[], str] | None = None,
    ) -> None:
        """
        not_member: channel ids the bot is not in (conversations.info says is_member false; with
            ``post_requires_membership`` chat.postMessage there answers ``not_in_channel`` until
            conversations.join is called for a public one).
        usergroups: user group id → user ids, for usergroups.users.list.
        users: user id → fields merged into the users.info user (name, real_name, is_bot, …).
        expected_token: when set, any other token gets ``invalid_auth``; a missing token always
            gets ``not_authed``.
        socket_mode_url: what ``apps.connections.open`` hands an app-level token (xapp-…), e.g. the
            ``url`` property of a ``tests.fakes.slack_socket.FakeSlackSocket``; unset, it answers as for
            an app without Socket Mode.
        """
        self.not_member: set[str] = set(not_member)
        self.usergroups: dict[str, list[str]] = {k: list(v) for k, v in (usergroups or {}).items()}
        self.users: dict[str, dict[str, Any]] = {k: dict(v) for k, v in (users or {}).items()}
        self.expected_token = expected_token
        self.team_id = team_id
        self.team = team
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.post_requires_membership = post_requires_membership
        self.socket_mode_url = socket_mode_url

        self._lock = threading.Condition()
        self._calls: list[Call] = []
        self._messages: dict[tuple[str, str], JsonDict] = {}  # (channel, ts) → message
        self._ephemerals: list[JsonDict] = []
        self._views: dict[str, JsonDict] = {}
        self._injected: dict[str, _Injected] = collections.defaultdict(_Injected)
        self._ts_counter = itertools.count()
        self._view_counter = itertools.count(1)

        handler = type("_BoundHandler", (_Handler,), {"api_ref": weakref.ref(self)})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
            name=f"fake-slack-api:{self.port}", daemon=True,
        )
        self._thread.start()
        self._finalizer = weakref.finalize(self, _stop_server_in_background, self._server)

    # ------------------------------------------------------------------ lifecycle and addresses

    @property
    def url(self) -> str:
        """Web API base URL for ``WebClient(base_url=…)`` / ``SLACK_API_URL`` (ends with ``/``)."""
        return f"http://127.0.0.1:{self.port}/api/"

    base_url = url

    def response_url(self, name: str = "r1") -> str:
        """A ``response_url`` to put in slash command / interactive payloads; posts there are recorded."""
        return f"http://127.0.0.1:{self.port}/response/{name}"

    def close(self) -> None:
        if not self._finalizer.alive:
            return
        self._finalizer.detach()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeSlackApi:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ failure injection

    def fail_next(self, method: str, error: str = "not_in_channel", times: int = 1) -> None:
        """The next ``times`` calls of ``method`` answer ``{"ok": false, "error": error}``."""
        with self._lock:
            self._injected[method].errors.extend([error] * times)

    def rate_limit_next(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` answer HTTP 429 with ``Retry-After: retry_after``."""
        with self._lock:
            self._injected[method].rate_limits.extend([retry_after] * times)

    def server_error_next(self, method: str, status: int = 500, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` (or ``"response_url"``) answer HTTP ``status`` (5xx)."""
        with self._lock:
            self._injected[method].server_errors.extend([status] * times)

    def server_error_always(self, method: str, status: int | None = 500) -> None:
        """Every call of ``method`` answers HTTP ``status`` until called again with ``None``."""
        with self._lock:
            self._injected[method].always_status = status

    def slow(self, method: str, seconds: float) -> None:
        """Every call of ``method`` waits ``seconds`` before answering (0 to undo)."""
        with self._lock:
            self._injected[method].delay = seconds

    # ------------------------------------------------------------------ inspection

    def calls(self, method: str | None = None) -> list[Call]:
        """Calls received so far (all, or of one method), oldest first; includes failed and 429 ones."""
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def wait_for(self, method: str, predicate: Predicate | None = None, timeout: float = 10) -> Call:
        """The first call of ``method`` matching ``predicate``, waiting up to ``timeout`` seconds for it.

        A predicate raising KeyError/IndexError/TypeError/AttributeError counts as no match.
        Raises AssertionError listing the calls seen when none arrives in time.
        """
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                for c in self._calls:
                    if c.method == method and _matches(predicate, c):
                        return c
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = "\n".join(f"  {c.method} {json.dumps(c.params, default=str)[:300]}" for c in self._calls)
                    raise AssertionError(
                        f"no matching {method!r} call within {timeout}s; calls seen:\n{seen or '  (none)'}"
                    )
                self._lock.wait(min(remaining, 0.05))

    def clear(self) -> None:
        """Forget the recorded calls (messages, views and configuration stay)."""
        with self._lock:
            self._calls.clear()

    def reset(self) -> None:
        """Forget calls, messages, ephemerals, views and pending injections."""
        with self._lock:
            self._calls.clear()
            self._messages.clear()
            self._ephemerals.clear()
            self._views.clear()
            self._injected.clear()

    def messages(self, channel: str | None = None) -> list[JsonDict]:
        """Messages as Slack holds them (latest update applied), ordered by ts.

        Each has ``channel``, ``ts``, ``text``, ``blocks``, ``thread_ts`` (None for a top-level
        message), ``attachments``, ``user``, ``bot_id`` and ``edited`` (after chat.update).
        """
        with self._lock:
            msgs = [copy.deepcopy(m) for (ch, _), m in self._messages.items() if channel in (None, ch)]
        return sorted(msgs, key=lambda m: (m["channel"], _ts_key(m["ts"])))

    def thread(self, channel: str, thread_ts: str) -> list[JsonDict]:
        """The parent message (if posted here) and its replies, ordered by ts."""
        return [m for m in self.messages(channel) if thread_ts in (m["ts"], m.get("thread_ts"))]

    def ephemerals(self, channel: str | None = None, user: str | None = None) -> list[JsonDict]:
        """Ephemeral messages posted with chat.postEphemeral."""
        with self._lock:
            return [
                copy.deepcopy(m) for m in self._ephemerals
                if channel in (None, m["channel"]) and user in (None, m["user"])
            ]

    def views(self) -> list[JsonDict]:
        """Views opened / pushed (latest update applied), in creation order."""
        with self._lock:
            return [copy.deepcopy(v) for v in self._views.values()]

    def responses(self) -> list[JsonDict]:
        """Bodies posted to response URLs (Bolt ``respond()``), oldest first."""
        return [c.params for c in self.calls("response_url")]

    # ------------------------------------------------------------------ request handling

    def _handle(self, method: str, params: JsonDict, token: str | None, http_method: str, path: str) -> Call:
        with self._lock:
            injected = self._injected.get(method)
            delay = injected.delay if injected else 0.0
        if delay > 0:
            time.sleep(delay)
        with self._lock:
            injected = self._injected.get(method)
            status, response = 200, {}
            if injected and (injected.server_errors or injected.always_status):
                status = injected.server_errors.popleft() if injected.server_errors else injected.always_status
                response = {"ok": False, "error": "fatal_error"}
            elif injected and injected.rate_limits:
                status = 429
                response = {"ok": False, "error": "ratelimited", "retry_after": injected.rate_limits.popleft()}
            elif injected and injected.errors:
                response = {"ok": False, "error": injected.errors.popleft()}
            elif method == "response_url":
                response = {"ok": True}
            elif token is None:
                response = {"ok": False, "error": "not_authed"}
            elif self.expected_token is not None and token != self.expected_token:
                response = {"ok": False, "error": "invalid_auth"}
            elif method == "apps.connections.open":  # the one method that looks at the kind of token
                response = self._apps_connections_open(token)
            else:
                answer = getattr(self, "_m_" + method.replace(".", "_"), None)
                response = answer(params) if answer else {"ok": False, "error": "unknown_method"}
            call = Call(method, params, token, http_method, path, status, response, time.monotonic())
            self._calls.append(call)
            self._lock.notify_all()
            return call

    def _next_ts(self) -> str:
        micros = _TS_BASE_MICROS + next(self._ts_counter) * _TS_STEP_MICROS
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    # Method implementations: called with the lock held, return the JSON answer.

    def _m_auth_test(self, p: JsonDict) -> JsonDict:
        return {
            "ok": True, "url": f"https://{self.team.lower()}.slack.com/", "team": self.team,
            "user": "ecs-why", "team_id": self.team_id, "user_id": self.bot_user_id,
            "bot_id": self.bot_id, "is_enterprise_install": False,
        }

    def _apps_connections_open(self, token: str) -> JsonDict:
        """Socket Mode's websocket URL; Slack wants the app-level token here, never the bot token."""
        if not token.startswith("xapp-"):
            return {"ok": False, "error": "not_allowed_token_type"}
        url = self.socket_mode_url() if callable(self.socket_mode_url) else self.socket_mode_url
        if not url:
            return {"ok": False, "error": "socket_mode_not_enabled"}
        return {"ok": True, "url": url}

    def _m_chat_postMessage(self, p: JsonDict) -> JsonDict:
        channel = p.get("channel")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not (p.get("text") or p.get("blocks") or p.get("attachments")):
            return {"ok": False, "error": "no_text"}
        if self.post_requires_membership and channel in self.not_member:
            return {"ok": False, "error": "not_in_channel"}
        thread_ts = p.get("thread_ts") or None
        if thread_ts is not None and (channel, thread_ts) in self._messages:
            parent_thread = self._messages[(channel, thread_ts)].get("thread_ts")
            thread_ts = parent_thread or thread_ts  # a reply to a reply lands in the parent's thread
        ts = self._next_ts()
        message: JsonDict = {  # "thread_ts" only on replies (Slack also sets it on a parent in replies)
            "type": "message", "user": self.bot_user_id, "bot_id": self.bot_id, "app_id": self.app_id,
            "team": self.team_id, "ts": ts, "text": p.get("text", ""), "blocks": p.get("blocks") or [],
            "attachments": p.get("attachments") or [], "thread_ts": thread_ts, "metadata": p.get("metadata"),
            "channel": channel, "edited": None,
        }
        self._messages[(channel, ts)] = message
        if thread_ts is not None and (channel, thread_ts) in self._messages:
            parent = self._messages[(channel, thread_ts)]
            parent["reply_count"] = parent.get("reply_count", 0) + 1
            parent["latest_reply"] = ts
        return {"ok": True, "channel": channel, "ts": ts, "message": _public_message(message)}

    def _m_chat_update(self, p: JsonDict) -> JsonDict:
        channel, ts = p.get("channel"), p.get("ts")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        message = self._messages.get((channel, str(ts)))
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        for key in ("text", "blocks", "attachments", "metadata"):
            if key in p:
                message[key] = p[key]
        message["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        return {"ok": True, "channel": channel, "ts": ts, "text": message["text"],
                "message": _public_message(message)}

    def _m_chat_delete(self, p: JsonDict) -> JsonDict:
        channel, ts = p.get("channel"), str(p.get("ts"))
        if self._messages.pop((str(channel), ts), None) is None:
            return {"ok": False, "error": "message_not_found"}
        return {"ok": True, "channel": channel, "ts": ts}

    def _m_chat_postEphemeral(self, p: JsonDict) -> JsonDict:
        if not p.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        if not p.get("user"):
            return {"ok": False, "error": "user_not_found"}
        ts = self._next_ts()
        self._ephemerals.append({
            "channel": p["channel"], "user": p["user"], "message_ts": ts, "text": p.get("text", ""),
            "blocks": p.get("blocks") or [], "thread_ts": p.get("thread_ts"),
        })
        return {"ok": True, "message_ts": ts}

    def _m_chat_getPermalink(self, p: JsonDict) -> JsonDict:
        channel, ts = p.get("channel"), str(p.get("message_ts", ""))
        if not channel or not ts:
            return {"ok": False, "error": "message_not_found"}
        return {"ok": True, "channel": channel,
                "permalink": f"https://{self.team.lower()}.slack.com/archives/{channel}/p{ts.replace('.', '')}"}

    def _store_view(self, view: Any, view_id: str | None = None, previous: JsonDict | None = None) -> JsonDict:
        view = view if isinstance(view, dict) else {}
        view_id = view_id or f"V{next(self._view_counter):010d}"
        stored: JsonDict = {
            "id": view_id, "team_id": self.team_id, "type": view.get("type", "modal"),
            "blocks": view.get("blocks", []), "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""), "state": {"values": {}},
            "hash": f"{int(time.time())}.{view_id}{next(self._ts_counter)}", "title": view.get("title"),
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)), "close": view.get("close"),
            "submit": view.get("submit"), "previous_view_id": None,
            "root_view_id": (previous or {}).get("root_view_id", view_id),
            "app_id": self.app_id, "external_id": view.get("external_id", ""),
            "app_installed_team_id": self.team_id, "bot_id": self.bot_id,
        }
        self._views[view_id] = stored
        return stored

    def _m_views_open(self, p: JsonDict) -> JsonDict:
        if not p.get("trigger_id"):
            return {"ok": False, "error": "invalid_arguments"}
        if not isinstance(p.get("view"), dict):
            return {"ok": False, "error": "invalid_arguments"}
        return {"ok": True, "view": copy.deepcopy(self._store_view(p["view"]))}

    def _m_views_push(self, p: JsonDict) -> JsonDict:
        return self._m_views_open(p)

    def _m_views_update(self, p: JsonDict) -> JsonDict:
        view_id = p.get("view_id")
        if not view_id and p.get("external_id"):
            view_id = next((v["id"] for v in self._views.values() if v["external_id"] == p["external_id"]), None)
        if not view_id or view_id not in self._views:
            return {"ok": False, "error": "not_found"}
        if not isinstance(p.get("view"), dict):
            return {"ok": False, "error": "invalid_arguments"}
        previous = self._views[view_id]
        return {"ok": True, "view": copy.deepcopy(self._store_view(p["view"], view_id, previous))}

    def _channel(self, channel_id: str) -> JsonDict:
        private, im = channel_id.startswith("G"), channel_id.startswith("D")
        return {
            "id": channel_id, "name": f"channel-{channel_id.lower()}", "is_channel": not (private or im),
            "is_group": private, "is_im": im, "is_private": private, "is_archived": False,
            "is_member": channel_id not in self.not_member, "context_team_id": self.team_id,
        }

    def _m_conversations_info(self, p: JsonDict) -> JsonDict:
        if not p.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        return {"ok": True, "channel": self._channel(str(p["channel"]))}

    def _m_conversations_join(self, p: JsonDict) -> JsonDict:
        channel_id = str(p.get("channel") or "")
        if not channel_id:
            return {"ok": False, "error": "channel_not_found"}
        if channel_id[0] in "GD":
            return {"ok": False, "error": "method_not_supported_for_channel_type"}
        self.not_member.discard(channel_id)
        return {"ok": True, "channel": self._channel(channel_id)}

    def _m_conversations_replies(self, p: JsonDict) -> JsonDict:
        channel, ts = str(p.get("channel") or ""), str(p.get("ts") or "")
        if (channel, ts) not in self._messages:
            return {"ok": False, "error": "thread_not_found"}
        found = [
            _public_message({**m, "thread_ts": ts}) for (ch, _), m in self._messages.items()
            if ch == channel and ts in (m["ts"], m.get("thread_ts"))
        ]
        found.sort(key=lambda m: _ts_key(m["ts"]))
        return {"ok": True, "messages": found, "has_more": False,
                "response_metadata": {"next_cursor": ""}}

    def _m_usergroups_users_list(self, p: JsonDict) -> JsonDict:
        group = p.get("usergroup")
        if group not in self.usergroups:
            return {"ok": False, "error": "no_such_subteam"}
        return {"ok": True, "users": list(self.usergroups[group])}

    def _m_users_info(self, p: JsonDict) -> JsonDict:
        user_id = str(p.get("user") or "")
        if not user_id:
            return {"ok": False, "error": "user_not_found"}
        extra = self.users.get(user_id, {})
        name = extra.get("name", f"user-{user_id.lower()}")
        real_name = extra.get("real_name", f"User {user_id}")
        user: JsonDict = {
            "id": user_id, "team_id": self.team_id, "name": name, "real_name": real_name, "deleted": False,
            "is_bot": user_id == self.bot_user_id, "is_admin": False, "tz": "Etc/UTC",
            "profile": {"real_name": real_name, "display_name": name, "email": f"{name}@example.com"},
        }
        user.update({k: v for k, v in extra.items() if k not in ("name", "real_name")})
        return {"ok": True, "user": user}


def _matches(predicate: Predicate | None, call: Call) -> bool:
    """A predicate that trips over a missing key (``c.params["thread_ts"]``) means "not this call"."""
    if predicate is None:
        return True
    try:
        return bool(predicate(call))
    except (KeyError, IndexError, TypeError, AttributeError):
        return False


def _public_message(message: JsonDict) -> JsonDict:
    """A stored message as Slack's API returns it (no ``channel``; absent keys left out)."""
    return {k: copy.deepcopy(v) for k, v in message.items() if k != "channel" and v not in (None, [])}


def _ts_key(ts: str) -> tuple[int, int]:
    seconds, _, micros = ts.partition(".")
    return int(seconds or 0), int(micros or 0)


def _stop_server_in_background(server: ThreadingHTTPServer) -> None:
    # Called by weakref.finalize, possibly from the server thread itself: never block on shutdown() here.
    def stop() -> None:
        server.shutdown()
        server.server_close()

    threading.Thread(target=stop, daemon=True).start()


def _decode_json_fields(params: JsonDict) -> JsonDict:
    for key in _JSON_FIELDS & params.keys():
        value = params[key]
        if isinstance(value, str) and value[:1] in ("[", "{"):
            with contextlib.suppress(ValueError):
                params[key] = json.loads(value)
    return params


class _Handler(BaseHTTPRequestHandler):
    api_ref: Callable[[], FakeSlackApi | None]
    server_version = "FakeSlackApi/1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, http_method: str) -> None:
        api = self.api_ref()
        split = urlsplit(self.path)
        if api is None:
            self._reply(HTTPStatus.SERVICE_UNAVAILABLE, {"ok": False, "error": "fake_closed"})
            return
        if split.path.startswith("/api/"):
            method = split.path[len("/api/"):]
        elif split.path.startswith("/response/"):
            method = "response_url"
        else:
            self._reply(HTTPStatus.NOT_FOUND, {"ok": False, "error": "not_found"})
            return
        params, token = self._params(split.query)
        call = api._handle(method, params, token, http_method, split.path)
        headers = {"Retry-After": str(call.response.get("retry_after", 1))} if call.status == 429 else {}
        self._reply(call.status, call.response, headers)

    def _params(self, query: str) -> tuple[JsonDict, str | None]:
        params: JsonDict = dict(parse_qsl(query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        content_type = (self.headers.get("Content-Type") or "").lower()
        if raw:
            if "json" in content_type or (not content_type and raw[:1] == b"{"):
                body = json.loads(raw.decode("utf-8"))
                if isinstance(body, dict):
                    params.update(body)
            elif "multipart/form-data" not in content_type:
                params.update(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        token = params.pop("token", None)
        auth = self.headers.get("Authorization") or ""
        if auth.lower().startswith("bearer "):
            token = auth[len("bearer "):].strip()
        return _decode_json_fields(params), token

    def _reply(self, status: int, body: JsonDict, headers: Mapping[str, str] | None = None) -> None:
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def slack_api() -> Iterator[FakeSlackApi]:
    """A fresh FakeSlackApi, closed when the test ends.

    Use it from a conftest with ``from tests.fakes.slack_api import slack_api  # noqa: F401``.
    """
    with FakeSlackApi() as api:
        yield api
