"""deploy/slack/manifest.yaml: the Slack app an admin creates by pasting one file.

The command and the shortcut must be the ones the handlers listen for, every request goes to Bolt's one
URL (/slack/events), and the bot scopes are exactly those the code needs: each Slack Web API method called
in bot/ and handlers/ is mapped to its scopes below, so a new call without its scope (a runtime
`missing_scope`) or a scope nothing uses (a broader grant than needed) fails here.
"""

from __future__ import annotations

import ast
import inspect
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from slack_sdk import WebClient

from handlers.commands import COMMAND
from handlers.shortcuts import CALLBACK

REPO = Path(__file__).resolve().parents[2]
MANIFEST = REPO / "deploy" / "slack" / "manifest.yaml"
SOURCES = ("bot", "handlers")

# Bot-token scopes each Web API method needs (https://api.slack.com/methods). A method the code calls that
# is missing here fails the test: look up its scopes and add it.
METHOD_SCOPES: dict[str, frozenset[str]] = {
    "auth.test": frozenset(),
    "chat.postMessage": frozenset({"chat:write"}),
    "chat.postEphemeral": frozenset({"chat:write"}),
    "chat.update": frozenset({"chat:write"}),
    "chat.delete": frozenset({"chat:write"}),
    "chat.getPermalink": frozenset(),
    "views.open": frozenset(),
    "views.update": frozenset(),
    "views.push": frozenset(),
    "conversations.join": frozenset({"channels:join"}),
    "conversations.info": frozenset({"channels:read", "groups:read"}),
    "conversations.replies": frozenset({"channels:history", "groups:history"}),
    "usergroups.users.list": frozenset({"usergroups:read"}),
    "users.info": frozenset({"users:read"}),
    "reactions.add": frozenset({"reactions:write"}),
}
# Scopes that come with a feature of the manifest rather than a Web API call.
FEATURE_SCOPES = {"slash_commands": "commands", "shortcuts": "commands"}
# Events API: the listener in code → the bot event the manifest subscribes to → the scope it needs.
# `app.event("message")` answers direct messages only (handlers/followups.py), hence message.im.
LISTENER_EVENTS = {"app_mention": "app_mention", "message": "message.im"}
EVENT_SCOPES = {"app_mention": "app_mentions:read", "message.im": "im:history"}


@cache
def manifest() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    return doc


@cache
def web_client_methods() -> dict[str, str]:
    """slack_sdk WebClient's Python method name → the Web API method it calls (chat_postMessage → chat.postMessage)."""
    methods = {}
    for name, func in inspect.getmembers(WebClient, inspect.isfunction):
        if name.startswith("_") or name == "api_call":
            continue
        match = re.search(r"api_call\(\s*\"([\w.]+)\"", inspect.getsource(func))
        if match:
            methods[name] = match.group(1)
    return methods


def called_api_methods() -> dict[str, list[str]]:
    """Every Web API method called in the source → where (file:line)."""
    known = web_client_methods()
    found: dict[str, list[str]] = {}
    for package in SOURCES:
        for path in sorted((REPO / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                    continue
                attr = node.func.attr
                method = known.get(attr)
                if attr == "api_call" and node.args and isinstance(node.args[0], ast.Constant):
                    method = str(node.args[0].value)
                if method:
                    where = f"{path.relative_to(REPO)}:{node.lineno}"
                    found.setdefault(method, []).append(where)
    return found


def test_the_scanner_sees_the_calls_it_must() -> None:
    # A scanner that finds nothing would justify an empty scope list: make sure it reads the real calls.
    assert web_client_methods()["chat_postMessage"] == "chat.postMessage"
    assert web_client_methods()["usergroups_users_list"] == "usergroups.users.list"
    assert "chat.postMessage" in called_api_methods()


def test_the_manifest_has_the_parts_slack_requires() -> None:
    doc = manifest()
    assert set(doc) <= {"_metadata", "display_information", "features", "oauth_config", "settings"}
    info = doc["display_information"]
    assert info["name"] == "ecs-why"
    assert 0 < len(info["description"]) <= 140
    assert 174 <= len(info["long_description"]) <= 4000
    assert re.fullmatch(r"#[0-9a-fA-F]{6}", info["background_color"])
    assert doc["features"]["bot_user"]["display_name"]


def test_the_slash_command_is_the_one_the_handlers_listen_for() -> None:
    commands = manifest()["features"]["slash_commands"]
    assert [c["command"] for c in commands] == [COMMAND] == ["/ecs-why"]
    command = commands[0]
    assert command["url"].startswith("https://")
    assert command["url"].endswith("/slack/events")
    assert command["usage_hint"]
    assert command["description"]
    assert command.get("should_escape", False) is False  # the parser reads the text as typed


def test_the_message_shortcut_has_the_handlers_callback_id() -> None:
    shortcuts = manifest()["features"]["shortcuts"]
    assert len(shortcuts) == 1
    shortcut = shortcuts[0]
    assert shortcut["type"] == "message"
    assert shortcut["name"] == "Why did this stop?"
    assert shortcut["callback_id"] == CALLBACK == "why_did_this_stop"
    assert shortcut["description"]


def test_every_request_goes_to_slack_events() -> None:
    settings = manifest()["settings"]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["interactivity"]["request_url"].endswith("/slack/events")
    urls = [settings["interactivity"]["request_url"]]
    urls += [c["url"] for c in manifest()["features"]["slash_commands"]]
    if "event_subscriptions" in settings:
        urls.append(settings["event_subscriptions"]["request_url"])
    assert len(set(urls)) == 1, f"one request URL for everything, got {sorted(set(urls))}"


def test_http_mode_by_default_and_no_org_deploy() -> None:
    settings = manifest()["settings"]
    assert settings["socket_mode_enabled"] is False
    assert settings["org_deploy_enabled"] is False


def test_no_event_subscriptions_without_event_listeners() -> None:
    # The handlers register commands, shortcuts, actions and views only; subscribing to events would send
    # traffic nobody answers. Add both together.
    assert ("event_subscriptions" in manifest()["settings"]) is bool(event_listeners())


def event_listeners() -> list[str]:
    """The Events API types the code listens for: `app.event("x")` / `app.message(…)` calls (not docstrings)."""
    found = []
    for package in SOURCES:
        for path in sorted((REPO / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                    continue
                if node.func.attr not in ("event", "message") or not isinstance(node.func.value, ast.Name):
                    continue
                if node.func.value.id != "app":
                    continue
                arg = node.args[0] if node.args else None
                found.append(arg.value if isinstance(arg, ast.Constant) else node.func.attr)
    return found


def test_every_api_method_the_code_calls_has_a_known_scope() -> None:
    unknown = {m: w for m, w in called_api_methods().items() if m not in METHOD_SCOPES}
    assert not unknown, f"add these Web API methods and their scopes to METHOD_SCOPES: {unknown}"


def needed_scopes() -> dict[str, list[str]]:
    """Each scope the code needs → why (the methods and manifest features that need it)."""
    why: dict[str, list[str]] = {}
    for method, where in called_api_methods().items():
        for scope in METHOD_SCOPES.get(method, frozenset()):
            why.setdefault(scope, []).append(f"{method} ({where[0]})")
    for feature, scope in FEATURE_SCOPES.items():
        if manifest()["features"].get(feature):
            why.setdefault(scope, []).append(f"features.{feature}")
    for event in manifest()["settings"].get("event_subscriptions", {}).get("bot_events", []):
        why.setdefault(EVENT_SCOPES[event], []).append(f"bot_events {event}")
    return why


def test_the_bot_events_are_exactly_the_ones_the_code_listens_for() -> None:
    subscribed = manifest()["settings"].get("event_subscriptions", {}).get("bot_events", [])
    assert sorted(subscribed) == sorted({LISTENER_EVENTS[e] for e in event_listeners()})
    assert set(subscribed) <= set(EVENT_SCOPES), "name the scope each subscribed event needs"


def test_direct_messages_reach_the_bot() -> None:
    home = manifest()["features"].get("app_home", {})
    assert home.get("messages_tab_enabled") is True and home.get("messages_tab_read_only_enabled") is False


def test_the_bot_scopes_are_exactly_the_ones_the_code_uses() -> None:
    granted = manifest()["oauth_config"]["scopes"]["bot"]
    assert len(granted) == len(set(granted)), "a scope is listed twice"
    needed = needed_scopes()
    missing = sorted(set(needed) - set(granted))
    unused = sorted(set(granted) - set(needed))
    assert not missing, f"scopes the code needs but the manifest lacks: {[(s, needed[s]) for s in missing]}"
    assert not unused, f"scopes nothing in bot/ or handlers/ uses: {unused}"


def test_no_user_scopes() -> None:
    assert "user" not in manifest()["oauth_config"]["scopes"]


@pytest.mark.parametrize("placeholder", ["ECS_WHY_HOST"])
def test_the_host_is_a_placeholder_the_guide_names(placeholder: str) -> None:
    text = MANIFEST.read_text(encoding="utf-8")
    assert placeholder in text
    assert placeholder in (REPO / "docs" / "slack-app.md").read_text(encoding="utf-8")
