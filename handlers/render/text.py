"""Slack text safety: anything that came from AWS or logs is escaped before it meets mrkdwn, and every
text is cut to the limits Slack enforces (a cut text says it was cut). Mentions are built only from IDs
that look like Slack's."""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.guardrails.rules import ANYONE

SECTION_LIMIT = 3000
BUTTON_TEXT_LIMIT = 75
_AMOUNT = re.compile(r"\s(?:(?:to|by)\s)?\d[\d.,]*\s?[A-Za-z%]{0,3}$")
PHONE_BUTTON_LIMIT = 30  # what a button shows on a phone without wrapping; the modal has the details
BUTTON_VALUE_LIMIT = 2000
MESSAGE_TEXT_LIMIT = 3000
MAX_BLOCKS = 50
_SLACK_ID = re.compile(r"[UWS][A-Z0-9]+")  # only these become mentions: Slack mrkdwn, shown unescaped


def escape(text: str) -> str:
    """Slack's three control characters; a log line with `<!channel>` or `<http://x|y>` becomes plain text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mention(slack_id: str) -> str:
    """`<@U…>` or `<!subteam^S…>` for a valid ID (Slack renders them); anything else as escaped text."""
    if not _SLACK_ID.fullmatch(slack_id):
        return escape(slack_id)
    return f"<!subteam^{slack_id}>" if slack_id[:1] == "S" else f"<@{slack_id}>"


def who(ids: Iterable[str]) -> str:
    """Who may act or approve, as a refusal or an approval request names them: mentions, "anyone"."""
    named = ", ".join("anyone" if i == ANYONE else mention(i) for i in ids)
    return named or "nobody: no rule of ECS_WHY_GUARDRAILS (or ECS_WHY_OPERATORS) names anyone for it"


def code(text: str) -> str:
    """Inline code for untrusted text: escaped, backticks neutralised so the span cannot be closed early."""
    return "`" + escape(text).replace("`", "ˋ") + "`"


def block_code(text: str) -> str:
    return "```" + escape(text).replace("```", "ˋˋˋ") + "```"


def cut(text: str, limit: int = SECTION_LIMIT) -> str:
    if len(text) <= limit:
        return text
    suffix = "… (cut)"
    budget = limit - len(suffix)
    head = text[:budget]
    if head.count("```") % 2:  # do not leave a code block open: make room, drop a torn fence, close it
        head = text[: budget - 3].rstrip("`")
        if head.count("```") % 2:
            head += "```"
    return head + suffix


def plain(text: str, limit: int) -> str:
    """For plain_text fields (headers): no markdown, so backticks would show as they are."""
    return cut(" ".join(text.replace("`", "").split()), limit)


def short_label(text: str, limit: int = PHONE_BUTTON_LIMIT) -> str:
    """A button label that fits a phone: cut at a word, marked with an ellipsis; a trailing amount
    ("to 190 s") is kept, since it is what tells two such buttons apart."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    amount = _AMOUNT.search(text)
    tail = " " + amount.group(0).strip() if amount and len(amount.group(0)) < limit // 2 else ""
    budget = limit - len(tail) - 1
    head = text[:budget].rsplit(" ", 1)[0] if " " in text[:budget] else text[:budget]
    return head.rstrip(" ,;:-") + "…" + tail
