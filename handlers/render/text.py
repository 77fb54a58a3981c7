"""Slack text safety: anything that came from AWS or logs is escaped before it meets mrkdwn, and every
text is cut to the limits Slack enforces (a cut text says it was cut)."""

from __future__ import annotations

SECTION_LIMIT = 3000
BUTTON_TEXT_LIMIT = 75
BUTTON_VALUE_LIMIT = 2000
MESSAGE_TEXT_LIMIT = 3000
MAX_BLOCKS = 50


def escape(text: str) -> str:
    """Slack's three control characters; a log line with `<!channel>` or `<http://x|y>` becomes plain text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


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
