"""Scrubs secrets from text and JSON before anything leaves the engine (Slack, terminal, JSON output).

This is the only place that redaction happens, so every rule lives here. What is hidden: AWS access key
IDs and secret keys, session tokens, bearer/basic credentials, JWTs, passwords in URLs, signed URL
query strings, `key=value` / `"key": "value"` pairs whose key looks secret, vendor tokens (Slack,
GitHub, Stripe, Twilio, PyPI, Telegram, ...), private key blocks, high-entropy strings after "secret" or
"token", 40-character secret access keys near the words that label them ("Secret access key: …", "AWS
secret key: …"), and every value of an environment variable (tests build keys from detect-secrets'
plugin patterns). What is kept, because users need it to act: ARNs (including Secrets Manager secret
ARNs), account IDs, image references and digests, task IDs, UUIDs, log group names.

Speed: `redact` runs on every stopped reason and log line, and the engine must explain over ten
thousand task documents per second on one core, while nearly every string holds no secret. So each rule
lists trigger substrings it cannot match without, and one Aho-Corasick automaton (ahocorasick_rs) finds
every trigger of every rule in one pass over the lowered text, in compiled code: a string with none of them (most ECS
stopped reasons) costs one `str.lower()` and that pass, and comes back as the same object. Otherwise only
the rules one of whose own triggers is present run; the key=value, generic-token, 40-character-key and
vendor-token rules, whose trigger words ECS text holds often ("secrets manager", "web-api", "aws"), also
need a finer necessary condition first (a secret-looking key right before `=` or `:`; a run of the
value's characters long enough; a vendor's own prefix). The answer for a text is memoised, since a
failing service repeats the same reason on every task.

Idempotence: after a text changed, the rules are applied again until nothing changes (at most a few
rounds, and only for the rare texts that held a secret), so `redact(redact(x)) == redact(x)`.
"""

from __future__ import annotations

import functools
import math
import operator
import re
import string
from collections.abc import Callable
from typing import Any, TypeAlias, overload

import ahocorasick_rs

from diagnosis.lazy_regex import lazy

__all__ = ["REDACTED", "RedactedText", "is_secret_key", "redact", "redact_environment", "redact_json"]

REDACTED = "[REDACTED]"
_ELLIPSIS = "…"

# ---------------------------------------------------------------------------------------------------
# Deciding whether a key (a variable, parameter, header or JSON field name) names a secret
# ---------------------------------------------------------------------------------------------------

# Keys ending with one of these (after lowercasing and dropping _ - . and other separators) are
# secret, whatever the value looks like, even in the loose `key: value` form.
_STRONG_SUFFIXES = (
    "password", "passwd", "pwd", "passphrase", "apikey", "secretkey", "privatekey", "clientsecret",
    "secretaccesskey", "sessiontoken", "securitytoken", "accesstoken", "authtoken", "refreshtoken",
    "bearertoken", "apitoken", "connectionstring", "connstr", "dsn", "signingkey", "encryptionkey",
    "masterkey", "sshkey", "authkey", "accountkey", "sharedaccesskey",
)  # fmt: skip
# Keys ending with one of these are secret too, but in the loose `key: value` form (which is also how
# prose reads: "registry auth: execution resource retrieval failed") the value must look like a
# credential before it is hidden.
_WEAK_SUFFIXES = (
    "secret", "token", "auth", "authorization", "credential", "credentials", "session", "cookie",
    "signature", "sig", "accesskey", "accesskeyid",
)  # fmt: skip
_STRONG_LAST_WORDS = frozenset({"pass", "pw"})  # DB_PASS, MYSQL_PW (but not "bypass", "compass")
_KEY_NOISE = lazy(r"[^a-z0-9]+")
_KEY_WORDS = lazy(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")


@functools.lru_cache(maxsize=4096)
def _key_strength(key: str) -> int:
    """2: the key names a secret; 1: it does, but prose could use the word too; 0: not a secret."""
    joined = _KEY_NOISE.sub("", key.lower())
    if not joined:
        return 0
    if joined.endswith(_STRONG_SUFFIXES):
        return 2
    words = [w for w in _KEY_WORDS.split(key) if w]
    if words and words[-1].lower() in _STRONG_LAST_WORDS:
        return 2
    if joined.endswith(_WEAK_SUFFIXES):
        return 1
    return 0


def is_secret_key(key: str) -> bool:
    """True when a field, variable or parameter called `key` holds a secret (DB_PASSWORD, apiKey, ...)."""
    return _key_strength(key) > 0


# ---------------------------------------------------------------------------------------------------
# Deciding whether a value looks like a credential (for the loose rules)
# ---------------------------------------------------------------------------------------------------

_PLACEHOLDERS = frozenset(
    {"yes", "no", "true", "false", "null", "none", "nil", "empty", "redacted", "hidden", "masked", "unset"}
)
_MASKED_OR_TEMPLATE = lazy(r"\*+|\$\{[\w.\-:]*\}|\{\{[^{}]*\}\}|\$[A-Za-z_]\w*|<[\w\- ]*>")
_PLAIN_WORDS = lazy(r"[A-Za-z][a-z]*(?:[-_ ][A-Za-z][a-z]*)*|[A-Z]+(?:[-_][A-Z]+)*")
_VERSION = lazy(r"v?\d+(?:\.\d+)+(?:[-+._][\w.\-]*)?")
_ARN_IN_SEGMENT = lazy(r"(?:^|[^A-Za-z0-9])arn:")
_SEGMENT_BREAKS = " \t\r\n\"'(),<>=[]{}"


def _is_placeholder(value: str) -> bool:
    """Values that carry no secret and help the reader: YES/NO, ***, ${DB_PASSWORD}, ARNs, our marker."""
    return (
        not value
        or value == REDACTED
        or value.lower() in _PLACEHOLDERS
        or value.startswith("arn:")
        or _MASKED_OR_TEMPLATE.fullmatch(value) is not None
    )


def _looks_like_credential(value: str) -> bool:
    """Loose check for `key: value` prose: hunter2, s3cr3t!, base64; not "execution", "8080", "v1.2"."""
    if len(value) < 6 or _is_placeholder(value):
        return False
    if len(value) <= 24 and _PLAIN_WORDS.fullmatch(value):
        return False
    return _VERSION.fullmatch(value) is None


def _shannon_bits(value: str) -> float:
    counts: dict[str, int] = {}
    for ch in value:
        counts[ch] = counts.get(ch, 0) + 1
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def _looks_random(value: str) -> bool:
    """High-entropy token (base64, hex, mixed alphanumerics), not a path or a name made of words."""
    if len(value) < 20:
        return False
    has_digit = any(c.isdigit() for c in value)
    has_upper = any(c.isupper() for c in value)
    has_lower = any(c.islower() for c in value)
    if has_digit + has_upper + has_lower < 2:
        return False
    parts = [p for p in re.split(r"[/_\-.]", value) if p]
    if len(parts) >= 2 and 2 * sum(1 for p in parts if len(p) >= 3 and _WORD.fullmatch(p)) >= len(parts):
        return False  # my-service/prod/DatabaseCredentials: a name, not a secret (wJalrXUtnFEMI is no word)
    return _shannon_bits(value) >= 3.0


# A part of a name: a word in lower case, Capitalised, CamelCase or UPPER case; random letters are not.
_WORD = lazy(r"[a-z]+|[A-Z]+|(?:[A-Z]?[a-z]+)(?:[A-Z][a-z]+)*")


def _inside_arn(text: str, pos: int) -> bool:
    """True when `pos` lies in an ARN (arn:aws:secretsmanager:...:secret:prod/db), which is never hidden."""
    start = max(0, pos - 300)
    cut = max(text.rfind(ch, start, pos) for ch in _SEGMENT_BREAKS)
    segment = text[max(cut + 1, start) : pos]
    return _ARN_IN_SEGMENT.search(segment) is not None


# ---------------------------------------------------------------------------------------------------
# The rules: (trigger substrings in the lowercased text, compiled pattern, replacement)
# ---------------------------------------------------------------------------------------------------

_Repl = Callable[[re.Match[str]], str]

# -----BEGIN RSA PRIVATE KEY----- ... -----END RSA PRIVATE KEY----- (also cut off at the end of a line)
_PEM = lazy(
    r"-----BEGIN (?P<label>[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?)-----"
    r"(?:.*?(?P<end>-----END (?P=label)-----)|.*\Z)",
    re.DOTALL,
)


def _pem(m: re.Match[str]) -> str:
    label = m["label"]
    head = f"-----BEGIN {label}-----{REDACTED}"
    return head + m["end"] if m["end"] else head


# scheme://user:password@host -> scheme://user:[REDACTED]@host (the password may itself contain @)
_URL_USERINFO = lazy(
    r"(?P<head>\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/?#@\"'<>\\]*:)(?P<pw>[^\s/?#\"'<>\\]+)@"
    r"(?=[A-Za-z0-9\[_])"
)


def _url_userinfo(m: re.Match[str]) -> str:
    return m["head"] + REDACTED + "@"


# jdbc:oracle:thin:scott/tiger@//db:1521/ORCL
_ORACLE = lazy(r"(?P<head>(?i:jdbc:oracle:)\w+:[^/\s@:\"']+/)(?P<pw>[^@\s\"']+)@")


def _oracle(m: re.Match[str]) -> str:
    return m["head"] + REDACTED + "@"


# key=value, key: value, "key": "value", 'key' => 'value', --key=value, X-Amz-Signature=..., and the
# same with the backslash-escaped quotes of JSON logged inside JSON. The value is only looked at (a
# look-ahead), so a key that is not secret consumes nothing and the scan goes on inside its value
# (url=https://x?token=abc). Whether a key is secret is decided in Python (`_key_strength`).
_KV = lazy(
    r"""
    (?<![\w.\-/@])                              # a whole key: not the tail of a word, path or image
    (?P<kq>\\{0,3}["']?)                        # optional (escaped) quote around the key
    (?P<key>-{0,2}[A-Za-z_][\w.\-]{0,100}+)
    (?P=kq)
    (?P<sep>[ \t]*(?:=>|=(?!=)|:(?![:=]|//))[ \t]*)
    """,
    re.VERBOSE,
)
# The value after a secret key (matched only then: most keys are not secret)
_KV_VALUE = lazy(
    r"""
        \\{1,3}"(?:(?!\\{1,3}")[^\r\n])*\\{1,3}"   # \"value\" (JSON inside a JSON string)
      | "(?:[^"\\\r\n]|\\.)*"
      | '(?:[^'\\\r\n]|\\.)*'
      | (?:[^\s,;&"'<>\\]++|[,;&](?![A-Za-z_][\w.\-]*+=|\s|\Z))+
                                                   # bare value, up to a space or quote, or a , ; & that
                                                   # ends it: before the next key= (a query string), a
                                                   # space or the end (Tr0ub&3 is one password)
    """,
    re.VERBOSE,
)
_QUOTE_OPEN = lazy(r"\\*[\"']")
_QUOTE_CLOSE = lazy(r"\\*[\"']\Z")
_CLOSERS = {")": "(", "]": "[", "}": "{"}


# A secret key's joined form ends with one of these (`_key_strength`), and a separator follows the key: in
# ASCII text with `_ . -` dropped, one of them stands right before the quote, spaces and `=` or `:`. Most
# texts with a trigger word ("secrets manager", "registry auth failed") have none, and skip the pair scan.
_KEY_ENDS = (*_STRONG_SUFFIXES, *_WEAK_SUFFIXES, *_STRONG_LAST_WORDS)


def _may_hold_pairs(text: str) -> bool:
    """False only when no key in an ASCII `text` can be secret (a necessary condition of `_redact_pairs`)."""
    if not text.isascii():
        return True
    joined = text.lower().replace("_", "").replace(".", "").replace("-", "")
    for separator in "=:":
        at = joined.find(separator)
        while at != -1:
            end = at
            while end and joined[end - 1] in " \t\"'\\":  # the quote and spaces between key and separator
                end -= 1
            if joined.endswith(_KEY_ENDS, 0, end):
                return True
            at = joined.find(separator, at + 1)
    return False


def _redact_pairs(text: str) -> str:
    parts: list[str] = []
    pos = 0
    for m in _KV.finditer(text):
        if m.start() < pos:
            continue  # inside a value already hidden
        strength = _key_strength(m["key"])
        if not strength:
            continue
        value = _KV_VALUE.match(text, m.end())
        if value is None:
            continue
        hidden = _hidden_value(m, value[0], strength)
        if hidden is None:
            continue
        start, end = value.span()
        parts.append(text[pos:start])
        parts.append(hidden)
        pos = end
    if not parts:
        return text
    parts.append(text[pos:])
    return "".join(parts)


def _hidden_value(m: re.Match[str], val: str, strength: int) -> str | None:
    """What replaces the value `val` of a secret key, or None to leave it."""
    if val[0] in "\"'\\":
        opening = _QUOTE_OPEN.match(val)
        closing = _QUOTE_CLOSE.search(val)
        if opening is None or closing is None or closing.start() < opening.end():
            return None
        if _is_placeholder(val[opening.end() : closing.start()]) or _inside_arn(m.string, m.start()):
            return None
        return opening[0] + REDACTED + closing[0]
    if m["kq"]:
        return None  # "password": null / 123 / {...}: only string values of JSON fields are touched
    bare, tail = _split_unbalanced_closers(val)
    if _is_placeholder(bare) or ("=" not in m["sep"] and strength == 1 and not _looks_like_credential(bare)):
        return None
    if _inside_arn(m.string, m.start()):
        return None
    return REDACTED + tail


def _split_unbalanced_closers(val: str) -> tuple[str, str]:
    """`password=s3cret}` in a Java toString: the brace belongs to the object, not the password."""
    end = len(val)
    while end and val[end - 1] in _CLOSERS:
        closer = val[end - 1]
        if val.count(closer, 0, end) <= val.count(_CLOSERS[closer], 0, end):
            break
        end -= 1
    return val[:end], val[end:]


# {"name": "DB_PASSWORD", "value": "..."}: an environment entry written out as text
_NAME_VALUE = lazy(
    r"(?P<head>(?P<q>[\"'])name(?P=q)\s*:\s*(?P=q)(?P<name>[^\"'\\\r\n]{1,200})(?P=q)\s*,\s*"
    r"(?P=q)value(?P=q)\s*:\s*(?P=q))(?P<val>(?:(?!(?P=q))[^\\\r\n]|\\.)*)(?P=q)"
)


def _name_value(m: re.Match[str]) -> str:
    if not is_secret_key(m["name"]) or _is_placeholder(m["val"]):
        return m[0]
    return m["head"] + REDACTED + m["q"]


# Authorization: Bearer <token> / Basic <base64>
_AUTH_SCHEME = lazy(r"(?i)\b(?P<head>(?:bearer|basic)[ \t]+)(?P<val>[A-Za-z0-9\-._~+/]{6,}=*)(?![\w\-~+/=])")


def _auth_scheme(m: re.Match[str]) -> str:
    if not _looks_like_credential(m["val"]):
        return m[0]  # "Bearer token expired", "basic configuration"
    return m["head"] + REDACTED


# --password xyz, --token xyz (the --password=xyz form is a key=value pair)
_CLI_FLAG = lazy(
    r"(?i)(?<!\S)(?P<head>--(?:password|passwd|pass|token|secret|api-key|apikey|client-secret|"
    r"aws-secret-access-key|secret-access-key|session-token|auth-token|access-token)[ \t]+)"
    r"(?P<val>(?!-)[^\s\"']+)"
)
# docker login -u AWS -p <token> (elsewhere -p is usually a port)
_LOGIN_P = lazy(r"(?i)(?P<head>\blogin\b[^\r\n]*?[ \t]-p[ \t]+)(?P<val>(?!-)[^\s\"']+)")
# A database or HTTP client's password on its command line: mysql's -pPASSWORD (glued: a bare -p prompts),
# redis-cli's -a PASSWORD, curl's -u USER:PASSWORD.
_CLIENT_PASSWORD = lazy(
    r"(?i)(?P<head>\b(?:mysql|mysqldump|mysqladmin|mariadb(?:-dump)?)\b[^\r\n|;&]*?[ \t]-p"
    r"|\bredis-cli\b[^\r\n|;&]*?[ \t](?:-a|--pass)[ \t]+"
    r"|\bcurl\b[^\r\n|;&]*?[ \t](?:-u|--user)[ \t]*[\"']?[^\s:\"']+:)"
    r"(?P<val>(?!-)[^\s\"']+)"
)


# "WARNING! Using --password via the CLI is insecure." is docker's own advice, not a password
_PROSE_WORDS = frozenset(
    {"via", "on", "in", "is", "the", "to", "for", "from", "with", "and", "or", "flag", "option"}
)


def _flag_value(m: re.Match[str]) -> str:
    if _is_placeholder(m["val"]) or m["val"].lower() in _PROSE_WORDS:
        return m[0]
    return m["head"] + REDACTED


# JWTs (eyJ<header>.eyJ<payload>.<sig>) and other base64-encoded JSON blobs such as ECR login tokens
_JWT = lazy(r"(?<![A-Za-z0-9+/_\-])eyJ[A-Za-z0-9+/_\-]{10,}(?:\.[A-Za-z0-9+/_\-]*){0,2}=*")


def _jwt(m: re.Match[str]) -> str:
    return "eyJ" + _ELLIPSIS + REDACTED


# AWS access key IDs (and the 40-character secret key when it follows, as in a credentials CSV)
_ACCESS_KEY_ID = lazy(
    r"(?<![A-Za-z0-9])(?P<prefix>AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA|ABIA|ACCA|A3T[A-Z0-9])"
    r"[A-Z0-9]{16}(?![A-Za-z0-9])"
    r"(?:(?P<sep>[ \t,;:|\"'=]{1,3})(?P<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=]))?"
)


def _access_key_id(m: re.Match[str]) -> str:
    out = m["prefix"] + _ELLIPSIS + REDACTED
    if m["secret"]:
        out += m["sep"] + REDACTED
    return out


# STS session tokens: IQoJb3JpZ2luX2Vj..., FQoGZXIvYXdz..., FwoGZXIvYXdz...
_SESSION_TOKEN = lazy(r"(?<![A-Za-z0-9+/])(?P<prefix>IQoJ|FQoG|FwoG)[A-Za-z0-9+/=%_\-]{60,}")
# Slack, GitHub, GitLab, Stripe, Google API keys, npm
_VENDOR_TOKEN = lazy(
    r"(?<![A-Za-z0-9_])(?P<prefix>xox[abposr]-|xapp-|gh[pousr]_|github_pat_|glpat-|npm_|[sr]k_live_|AIza"
    r"|pypi-AgEIcHlwaS5vcmc|SK(?=[0-9a-f]{32}\b))"
    r"(?:(?<=-)[A-Za-z0-9_\-]{10,}|(?<=_)[A-Za-z0-9_]{20,}|(?<=a)[0-9A-Za-z_\-]{35}|(?<=c)[A-Za-z0-9_\-]{20,}"
    r"|(?<=K)[0-9a-f]{32})"
)
# Telegram bot tokens: 123456789:AAE… (detect-secrets telegram_token.py)
_BOT_TOKEN = lazy(r"(?<![\w:])(?P<prefix>\d{8,10}:)[0-9A-Za-z_\-]{35}(?![\w-])")
# A 40-character AWS secret access key near the words that label one (aws, secret, access, key, token,
# credential, as the IAM console, `aws configure` and credentials files write them), even without `=`:
# "Secret access key: …", "AWS secret key: …", "awsToken …" (detect-secrets aws.py, aws_secret_access_key.py)
_KEY40 = lazy(r"(?<![A-Za-z0-9/+=])(?P<val>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])")


def _key40(m: re.Match[str]) -> str:
    value = m["val"]
    mixed = (
        any(c.isupper() for c in value)
        and any(c.islower() for c in value)
        and any(c.isdigit() for c in value)
    )
    if not mixed or _shannon_bits(value) < 4.0 or _is_name(value) or _inside_arn(m.string, m.start()):
        return m[0]
    return REDACTED


def _is_name(value: str) -> bool:
    """Team/BackendService/Worker1: words between slashes, perhaps one numbered (Worker1, v2). A random
    key may hold a word-like run, but not every part: AaAaAbBbCc is no word, 00000112345678 no numbered one."""
    parts = [p for p in value.split("/") if p]
    words = sum(1 for p in parts if _is_word(p))
    numbered = sum(1 for p in parts if not _is_word(p) and _NUMBERED.fullmatch(p))
    return len(parts) >= 2 and (
        words == len(parts) or (len(parts) >= 3 and words == len(parts) - 1 and numbered == 1)
    )


# Worker1, v2, 2024: a word (or nothing) followed by a short number.
_NUMBERED = lazy(r"(?:[A-Za-z]{2,})?\d{1,4}")
# The pieces of a CamelCase word; a name has at most one of two letters (MyApp), random case has many.
_CAMEL_PIECE = lazy(r"[A-Z]?[a-z]+")


def _is_word(part: str) -> bool:
    if len(part) < 3 or not _WORD.fullmatch(part):
        return False
    return sum(1 for piece in _CAMEL_PIECE.findall(part) if len(piece) < 3) <= 1


def _prefixed_token(m: re.Match[str]) -> str:
    return m["prefix"] + _ELLIPSIS + REDACTED


# A random-looking string right after the word secret / token / password / api key
_GENERIC = lazy(
    r"(?i)(?<![a-z0-9_])(?=[stpa])(?P<head>(?:secret|token|pass(?:word|wd|phrase)|api[ _-]?key)s?\b[ \t]*"
    r"(?:[:=][ \t]*|(?:is|was|of|value)[ \t]+)?[\"']?)"
    r"(?P<val>[a-z0-9+/_\-]{20,}={0,2})(?![a-z0-9+/=_\-])"
)


def _generic(m: re.Match[str]) -> str:
    if not _looks_random(m["val"]) or _inside_arn(m.string, m.start()):
        return m[0]
    return m["head"] + REDACTED


# What `_GENERIC` cannot match without, in lowercased ASCII text ("web-api" holds the trigger "api" only).
_GENERIC_HEADS = (
    "secret",
    "token",
    "password",
    "passwd",
    "passphrase",
    "api key",
    "api_key",
    "api-key",
    "apikey",
)


def _may_hold_generic(text: str) -> bool:
    """False only when `_GENERIC` cannot match an ASCII `text`: it needs a head word and a value of 20
    characters of its alphabet in a row."""
    if not text.isascii():
        return True  # case-insensitive `[a-z]` also matches the Kelvin sign and the long s
    lowered = text.lower()
    return any(head in lowered for head in _GENERIC_HEADS) and _has_run(text, _GENERIC_VALUE_RUN)


class _Run:
    """A run of `length` characters of one ASCII class, as a search for a byte string in the text mapped
    through a 256-byte table (members to 1, the rest to 0): a few C calls instead of a regex scan that
    starts at every position."""

    __slots__ = ("needle", "table")

    def __init__(self, members: str, length: int) -> None:
        self.table = bytes(1 if chr(b) in members else 0 for b in range(256))
        self.needle = b"\x01" * length


def _has_run(text: str, run: _Run) -> bool:
    """True when an ASCII `text` holds `run` (a necessary condition of a rule that needs such a value)."""
    return run.needle in text.encode("ascii").translate(run.table)


_ALNUM = string.ascii_letters + string.digits
_KEY40_RUN = _Run(_ALNUM + "/+", 40)  # `_KEY40`'s value
_GENERIC_VALUE_RUN = _Run(_ALNUM + "+/_-", 20)  # `_GENERIC`'s value (case-insensitive: both cases)
# `_VENDOR_TOKEN`'s prefixes, case-sensitive as it is; its triggers stand for the words near a Twilio key.
_VENDOR_PREFIXES = (
    "xox", "xapp-", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", "npm_", "k_live_", "AIza",
    "pypi-AgEIcHlwaS5vcmc", "SK",
)  # fmt: skip


def _may_hold_key40(text: str) -> bool:
    """False only when `_KEY40` cannot match: an ASCII text with no 40 key characters in a row."""
    return not text.isascii() or _has_run(text, _KEY40_RUN)


def _may_hold_vendor(text: str) -> bool:
    """False only when `_VENDOR_TOKEN` cannot match: none of its (case-sensitive) prefixes is in the text."""
    return any(prefix in text for prefix in _VENDOR_PREFIXES)


def _sub(pattern: re.Pattern[str], repl: _Repl) -> Callable[[str], str]:
    def substitute(text: str) -> str:  # reads `pattern.sub` at the first call: compiled when first needed
        return pattern.sub(repl, text)

    return substitute


_redact_generic = _sub(_GENERIC, _generic)
_redact_key40 = _sub(_KEY40, _key40)
_redact_vendor = _sub(_VENDOR_TOKEN, _prefixed_token)

# Each rule: the substrings (of the lowercased text) without which it cannot match, and what it does.
# fmt: off
_RULES: tuple[tuple[tuple[str, ...], Callable[[str], str]], ...] = (
    (("private key",), _sub(_PEM, _pem)),
    (("://",), _sub(_URL_USERINFO, _url_userinfo)),
    (("jdbc:oracle",), _sub(_ORACLE, _oracle)),
    (("pass", "pw", "secret", "token", "key", "auth", "credential", "session", "cookie", "dsn", "conn", "sig"),
     _redact_pairs),
    (("value",), _sub(_NAME_VALUE, _name_value)),
    (("bearer", "basic"), _sub(_AUTH_SCHEME, _auth_scheme)),
    (("--pass", "--token", "--secret", "--api", "--client-secret", "--aws-secret", "--session-token",
      "--auth-token", "--access-token"), _sub(_CLI_FLAG, _flag_value)),
    (("login",), _sub(_LOGIN_P, _flag_value)),
    (("mysql", "mariadb", "redis-cli", "curl"), _sub(_CLIENT_PASSWORD, _flag_value)),
    (("eyj",), _sub(_JWT, _jwt)),
    (("akia", "asia", "agpa", "aida", "aroa", "aipa", "anpa", "anva", "apka", "abia", "acca", "a3t"),
     _sub(_ACCESS_KEY_ID, _access_key_id)),
    (("iqoj", "fqog", "fwog"), _sub(_SESSION_TOKEN, _prefixed_token)),
    (("xox", "xapp-", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", "npm_", "k_live_", "aiza",
      "pypi-", "twilio", "auth", "token", "secret", "key"),
     _redact_vendor),
    (("bot", "telegram"), _sub(_BOT_TOKEN, _prefixed_token)),
    (("aws", "secret", "access", "key", "token", "credential"), _redact_key40),
    (("secret", "token", "pass", "api"), _redact_generic),
)
# fmt: on


# Finer necessary conditions for the rules whose trigger words ECS text holds most ("secrets manager",
# "registry auth", "web-api", the "aws" of every command and ARN); a rule runs only when its precheck
# allows it on the text as it is then.
_PRECHECKS: dict[Callable[[str], str], Callable[[str], bool]] = {
    _redact_pairs: _may_hold_pairs,
    _redact_generic: _may_hold_generic,
    _redact_key40: _may_hold_key40,
    _redact_vendor: _may_hold_vendor,
}
_GATED = tuple((rule, _PRECHECKS.get(rule)) for _, rule in _RULES)
_MAX_ROUNDS = 4
_CACHE_MAX_LEN = 2048


def _trigger_opens() -> dict[str, int]:
    """Each trigger of every rule, with the bit set of the rules it opens."""
    opens: dict[str, int] = {}
    for i, (triggers, _) in enumerate(_RULES):
        for trigger in triggers:
            opens[trigger] = opens.get(trigger, 0) | 1 << i
    return opens


_OPENS = _trigger_opens()
# Every trigger in one Aho-Corasick automaton (ahocorasick_rs: the Rust aho-corasick crate): one pass over a
# text finds them all, overlapping ones too ("pass" in "--pass"), at a few instructions a character.
_TRIGGERS = ahocorasick_rs.AhoCorasick(list(_OPENS), store_patterns=True)


def _rules_opened(lowered: str) -> int:
    """The bit set of the rules one of whose triggers is in `lowered` (0 for most texts); the matches are
    folded in C (`reduce` over `map`), with no Python frame per match."""
    try:
        found = _TRIGGERS.find_matches_as_strings(lowered, overlapping=True)
    except UnicodeEncodeError:  # a lone surrogate (json.loads keeps "\udcff"): no trigger holds one
        lowered = lowered.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
        found = _TRIGGERS.find_matches_as_strings(lowered, overlapping=True)
    return functools.reduce(operator.or_, map(_OPENS.__getitem__, found), 0) if found else 0


def _apply_rules(text: str, opened: int) -> str:
    """One round: every rule, in order, that a trigger in the text as it was at the round's start opened
    and whose precheck the text as it is now passes."""
    while opened:
        lowest = opened & -opened
        rule, precheck = _GATED[lowest.bit_length() - 1]
        if precheck is None or precheck(text):
            text = rule(text)
        opened ^= lowest
    return text


def _changed(text: str) -> str | None:
    """The redacted text, or None when nothing needed hiding (most texts: one pass for a trigger).
    A text that changed goes through the rules again until it is stable (idempotence)."""
    opened = _rules_opened(text.lower())
    if not opened:
        return None
    before, out = text, _apply_rules(text, opened)
    rounds = 1
    while out != before and rounds < _MAX_ROUNDS:
        before, out = out, _apply_rules(out, _rules_opened(out.lower()))
        rounds += 1
    return None if out == text else out


# Stopped reasons, titles and summaries repeat across every task of a failing service (and the output
# models redact every text field again), so the answer for a short text is memoised: a repeat costs a hash.
_changed_cached = functools.lru_cache(maxsize=8192)(_changed)


def redact(text: str) -> str:
    """`text` with every credential replaced by [REDACTED] (keeping a hint such as AKIA… or password=).

    Returns the same object when nothing needed hiding. Idempotent; never raises on any string.
    """
    if not text:
        return text
    out = _changed_cached(text) if len(text) <= _CACHE_MAX_LEN else _changed(text)
    return text if out is None else out


# ---------------------------------------------------------------------------------------------------
# Structured data
# ---------------------------------------------------------------------------------------------------


# Text that can only exist redacted: every output field that may quote AWS, a task definition or a log is
# annotated so, and an output type redacts each such field when it is built (diagnosis/output.py `Out`),
# by code or from JSON, so no path (a new check copying a command, a health check, a log line) can skip
# redaction. `redact` is idempotent and memoised, so text redacted earlier costs one cache hit.
RedactedText: TypeAlias = str


@overload
def redact_environment(env: list[dict[str, Any]]) -> list[dict[str, Any]]: ...
@overload
def redact_environment(env: dict[str, Any]) -> dict[str, Any]: ...
def redact_environment(env: list[dict[str, Any]] | dict[str, Any]) -> list[dict[str, Any]] | dict[str, Any]:
    """Environment variables with every value hidden and every name kept.

    Takes the containerDefinitions / containerOverrides `environment` list of {"name", "value"} (other
    keys of an entry are redacted like any JSON), or a mapping of name to value (an override dict;
    nested mappings such as Lambda's {"Variables": {...}} keep their names too). Never mutates `env`.
    """
    if isinstance(env, dict):
        return {
            name: redact_environment(value) if isinstance(value, dict) else REDACTED
            for name, value in env.items()
        }
    out: list[Any] = []
    for item in env:
        if isinstance(item, dict):
            entry = {k: redact_json(v) for k, v in item.items() if k != "value"}
            if "value" in item:
                entry["value"] = REDACTED
            out.append(entry)
        else:
            out.append(redact_json(item))
    return out


def redact_json(obj: Any) -> Any:
    """A copy of a parsed JSON document with secrets hidden.

    Strings go through `redact`; every `environment` list or mapping goes through `redact_environment`;
    a string or number under a key that looks secret (password, apiKey, SecretAccessKey, ...) becomes
    [REDACTED] unless it is an ARN; a {"name": ..., "value": ...} entry whose name looks secret has
    its value hidden. Keys, booleans and nulls are kept. Never mutates `obj`.
    """
    if isinstance(obj, str):
        return redact(obj)
    if isinstance(obj, list):
        return [redact_json(item) for item in obj]
    if not isinstance(obj, dict):
        return obj
    secret_entry = isinstance(obj.get("name"), str) and "value" in obj and is_secret_key(obj["name"])
    out: dict[Any, Any] = {}
    for key, value in obj.items():
        if isinstance(key, str) and key.lower() == "environment" and isinstance(value, list | dict):
            out[key] = redact_environment(value)
        elif (secret_entry and key == "value" and value is not None) or (
            isinstance(key, str)
            and isinstance(value, str | int | float)
            and not isinstance(value, bool)
            and is_secret_key(key)
            and not (isinstance(value, str) and _is_placeholder(value))
        ):
            out[key] = REDACTED
        else:
            out[key] = redact_json(value)
    return out
