"""What Slack clients make of what a person types, undone before the command is read: smart dashes
(`—cluster`, `–since`), curly quotes, HTML entities, link wrappers around pasted ARNs and console URLs,
backticks, invisible spaces and a sentence's trailing period.

Only typed text goes through here; a button carries `Command.text()`, which `parse_command` reads as is.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

# A dash a client substituted for `--` (or `-`) in front of a flag: em, en, figure, horizontal bar, minus.
_SMART_DASH = re.compile(r"(?<!\S)[\u2012\u2013\u2014\u2015\u2212]+-*(?=[A-Za-z])")
_OPENING = re.compile(r"(?<!\S)[\u2018\u201a\u201b\u2032]|(?<!\S)[\u201c\u201e\u201f\u2033]")
_QUOTES = {"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
           "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"'}  # fmt: skip
_CLOSING = re.compile(r"[\u2019\u2032](?!\S)|[\u201d\u2033](?!\S)")
_LINK = re.compile(r"(?<!\S)<([^<>|\s]+)(?:\|([^<>]*))?>(?!\S)")
_BACKTICKS = re.compile(r"(?<!\S)`+([^`\s]+)`+(?!\S)")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
_SPACES = dict.fromkeys(map(ord, "\u00a0\u2007\u202f\u3000"), " ")
_TRAILING = re.compile(r"(?<=[\w)\]])[.,;!?\u3002]+\s*$")
_CONSOLE = re.compile(r"/ecs/(?:v2/)?clusters/([\w-]+)/services/([\w-]+)")


def unslack(text: str) -> str:
    """The command a person meant, from the text Slack delivered."""
    if text.isascii() and "<" not in text and "&" not in text and "`" not in text:
        return _TRAILING.sub("", text.strip())  # no smart punctuation, wrapper or entity to undo
    text = text.translate(_INVISIBLE).translate(_SPACES)
    text = _LINK.sub(_unwrap, text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    text = _LINK.sub(_unwrap, text)  # a wrapper typed by hand arrives as entities
    text = _SMART_DASH.sub("--", text)
    text = _OPENING.sub(lambda m: _QUOTES[m.group(0)], text)
    text = _CLOSING.sub(lambda m: _QUOTES[m.group(0)], text)
    text = _BACKTICKS.sub(r"\1", text)
    return _TRAILING.sub("", text.strip())


def _unwrap(match: re.Match[str]) -> str:
    """`<arn:…>` → the ARN; `<https://…console…/clusters/C/services/S…|label>` → `C/S` (and its region);
    `<url|label>` → the label (what the person saw); `<url>` → the URL (it fails as a target, clearly)."""
    link, label = match.group(1), match.group(2)
    console = _CONSOLE.search(link)
    if console:
        region = parse_qs(urlsplit(link).query).get("region", [""])[0]
        found = f"{console.group(1)}/{console.group(2)}"
        return f"{found} --region {region}" if re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", region) else found
    if link.startswith("arn:") or not label:
        return link
    return label
