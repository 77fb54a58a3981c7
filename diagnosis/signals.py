"""Reads the structure of an ECS message: its error type and the names inside it.

Stopped reasons are `ErrorType: clause: clause: …` chains, truncated by the console, with ARNs, image
references and IDs inside. Rules read the parts (the type, which words the clauses hold); this module
finds the parts once per message so that every rule shares the work.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, overload

from diagnosis.lazy_regex import lazy

_ERROR_TYPE = lazy(r"\b([A-Z][A-Za-z]*(?:Error|Exception|Exited|Timeout))\b", re.IGNORECASE)
# The same in lowercased ASCII text, found from its end: the suffix closing a word, then the letters before.
_ERROR_SUFFIX = lazy(r"(?:error|exception|exited|timeout)\b")
_ECR_IMAGE = lazy(
    r"\b\d{12}\.dkr\.ecr(?:-fips)?\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?/[\w./-]+(?::[\w][\w.-]{0,127}|@sha256:[0-9a-f]{6,64})?"
)
_REF_IMAGE = lazy(
    r"(?:resolve ref(?:erence)?|pull access denied for|manifest for|pulling image|pull image|image)"
    r"\s+\"?((?:[\w.-]+(?::\d+)?/)?[\w.-]+(?:/[\w.-]+)*(?::[\w][\w.-]{0,127}|@sha256:[0-9a-f]{6,64})?)"
)
_REGISTRY_API = lazy(r"v2/([\w./-]+?)/manifests/([\w][\w.-]{0,127})")
_SECRET_ARN = lazy(r"\barn:aws[\w-]*:(?:secretsmanager|ssm|kms|s3):[^\s\"',)\]]+")
_TARGET_GROUP = lazy(r"\barn:aws[\w-]*:elasticloadbalancing:[^\s\"',)]+:targetgroup/[^\s\"',)]+")
_ROLE_ARN = lazy(r"\barn:aws[\w-]*:iam::\d{12}:role/[\w+=,.@/-]+")
# The principal of an AccessDenied: "User: arn:aws:sts::123456789012:assumed-role/ROLE/SESSION is not …"
_ASSUMED_ROLE = lazy(r"\barn:(aws[\w-]*):sts::(\d{12}):assumed-role/([\w+=,.@-]+)/")
_PORT = lazy(r"\(port (\d{1,5})\)|\bport (\d{1,5})\b")
_EFS = lazy(r"\bfs-[0-9a-f]{8,17}\b")
_SUBNET = lazy(r"\bsubnet-[0-9a-f]{8,17}\b")
_PLATFORM = lazy(r"\b(linux|windows)/(amd64|arm64|arm|x86_64|386)(?:/v\d)?\b")
_EXEC_PATH = lazy(r"exec(?::|\s+format error)?\s*\\?\"([^\"\\]+)\\?\"|\bexec ([/\w.-]+): ")
_HTTP_CODES = lazy(r"codes?:?\s*\[([\d, ]+)\]")
_IAM_ACTION = lazy(r"perform:?\s+([a-z0-9-]+:[A-Za-z]+)")
_INSTANCE = lazy(r"\b(i-[0-9a-f]{8,17})\b")
# An HTTP status standing alone ("API error (404)", "status: 403", "404 Not Found"), never digits inside an
# account ID, a digest, a tag, an address or a port.
_HTTP_STATUS = lazy(r"(?<![\w.:/@#-])([1-5]\d\d)(?![\w.:/@-])")
# `_HTTP_STATUS` in ASCII text: three digits found by their first (quick to find), the neighbours checked.
_THREE_DIGITS = lazy(r"[1-5]\d\d")
_WORD_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"
_NOT_BEFORE_STATUS = frozenset(_WORD_CHARS + ".:/@#-")
_NOT_AFTER_STATUS = frozenset(_WORD_CHARS + ".:/@-")
_CONTAINER_INSTANCE = lazy(r"container instance ([0-9a-f]{32}|[0-9a-f-]{36}|[0-9a-f]{17})")


_T = TypeVar("_T")


class _once(Generic[_T]):  # lowercase: a decorator, as the cached_property it replaces
    """`functools.cached_property` without its lock (Python 3.11 takes one on every first read, a dozen per
    message read; a `Message` is read by the one thread that made it)."""

    def __init__(self, func: Callable[[Any], _T]) -> None:
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> _once[_T]: ...
    @overload
    def __get__(self, obj: object, owner: type | None = None) -> _T: ...
    def __get__(self, obj: object | None, owner: type | None = None) -> _T | _once[_T]:
        if obj is None:
            return self
        value = self.func(obj)
        obj.__dict__[self.name] = value
        return value


@dataclass(frozen=True)
class Message:
    """One message being read (a stopped reason, a container reason or a service event)."""

    text: str
    lower: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "lower", self.text.lower())

    def has(self, *needles: str) -> bool:
        """True when any needle (lowercase) appears in the message."""
        lower = self.lower
        for needle in needles:  # noqa: SIM110 - a loop, not any(): half the cost, asked ~20 times a message
            if needle in lower:
                return True
        return False

    @_once
    def error_types(self) -> tuple[str, ...]:
        """Every `SomethingError` / `…Exception` named, outermost first, lowercased."""
        if not self.text.isascii():
            return tuple(m.group(1).lower() for m in _ERROR_TYPE.finditer(self.text))
        lower, found = self.lower, []
        for match in _ERROR_SUFFIX.finditer(lower):  # a whole word of letters, at least one before the suffix
            start = match.start()
            while start and lower[start - 1].isalpha():
                start -= 1
            if start < match.start() and not (
                start and (lower[start - 1].isalnum() or lower[start - 1] == "_")
            ):
                found.append(lower[start : match.end()])
        return tuple(found)

    def typed(self, *types: str) -> bool:
        return any(t in self.error_types for t in types)

    @_once
    def statuses(self) -> frozenset[int]:
        """The HTTP status codes the message states (standalone numbers, not parts of names)."""
        text = self.text
        if not text.isascii():
            return frozenset(int(m.group(1)) for m in _HTTP_STATUS.finditer(text))
        found = set()
        for match in _THREE_DIGITS.finditer(text):  # a run of digits is never a status: its first is not
            start, end = match.span()
            if (start == 0 or text[start - 1] not in _NOT_BEFORE_STATUS) and (
                end == len(text) or text[end] not in _NOT_AFTER_STATUS
            ):
                found.add(int(match.group(0)))
        return frozenset(found)

    def status(self, *codes: int) -> bool:
        """True when the message states one of these HTTP status codes."""
        return any(code in self.statuses for code in codes)

    def word(self, *words: str) -> bool:
        """True when any of `words` (lowercase) appears as a whole word, not inside another one."""
        lower = self.lower
        for w in words:
            start = lower.find(w)
            while start != -1:
                end = start + len(w)
                if (start == 0 or not lower[start - 1].isalnum()) and (
                    end == len(lower) or not lower[end].isalnum()
                ):
                    return True
                start = lower.find(w, start + 1)
        return False

    @_once
    def image(self) -> str:
        """The image reference the message names (not a registry API URL, not a platform)."""
        for match in _ECR_IMAGE.finditer(self.text) if ".dkr.ecr" in self.text else ():
            ref = match.group(0).rstrip(".:/")
            host, _, path = ref.partition("/")
            if not path.startswith("v2/") and path != "v2":
                return ref
            api = _REGISTRY_API.match(path)  # https://HOST/v2/REPO/manifests/TAG
            if api:
                return f"{host}/{api.group(1)}:{api.group(2)}"
        for match in _REF_IMAGE.finditer(self.text):
            candidate = match.group(1).rstrip(".:")
            if (
                ("/" in candidate or ":" in candidate)
                and not candidate.startswith(("http", "manifest"))
                and not _PLATFORM.match(candidate.lower())
            ):
                return candidate
        return ""

    @_once
    def secret(self) -> str:
        if "arn:aws" not in self.text:
            return ""
        match = _SECRET_ARN.search(self.text)
        return match.group(0).rstrip(".:") if match else ""

    @_once
    def target_group(self) -> str:
        if "targetgroup/" not in self.text:
            return ""
        match = _TARGET_GROUP.search(self.text)
        return match.group(0) if match else ""

    @_once
    def role(self) -> str:
        """The role the message names: an IAM role ARN, else the role behind an assumed-role principal."""
        if ":role/" in self.text and (match := _ROLE_ARN.search(self.text)):
            return match.group(0).rstrip(".'")
        return self.acting_role

    @_once
    def acting_role(self) -> str:
        """The role that made a refused call (`assumed-role/NAME/session` → its role ARN, without a path,
        which the principal does not show)."""
        if ":assumed-role/" not in self.text:
            return ""
        match = _ASSUMED_ROLE.search(self.text)
        return f"arn:{match[1]}:iam::{match[2]}:role/{match[3]}" if match else ""

    @_once
    def port(self) -> str:
        if "port" not in self.lower:
            return ""
        match = _PORT.search(self.text)
        return (match.group(1) or match.group(2)) if match else ""

    @_once
    def efs(self) -> str:
        if "fs-" not in self.text:
            return ""
        match = _EFS.search(self.text)
        return match.group(0) if match else ""

    @_once
    def subnet(self) -> str:
        if "subnet-" not in self.text:
            return ""
        match = _SUBNET.search(self.text)
        return match.group(0) if match else ""

    @_once
    def platform(self) -> str:
        if "linux/" not in self.lower and "windows/" not in self.lower:
            return ""
        match = _PLATFORM.search(self.lower)
        return match.group(0) if match else ""

    @_once
    def exec_path(self) -> str:
        if "exec" not in self.text:
            return ""
        match = _EXEC_PATH.search(self.text)
        return (match.group(1) or match.group(2) or "") if match else ""

    @_once
    def http_codes(self) -> str:
        if "code" not in self.lower:
            return ""
        match = _HTTP_CODES.search(self.text)
        return match.group(1).strip() if match else ""

    @_once
    def iam_action(self) -> str:
        if "perform" not in self.text:
            return ""
        match = _IAM_ACTION.search(self.text)
        return match.group(1) if match else ""

    @_once
    def instance(self) -> str:
        if not ("i-" in self.text or "instance" in self.lower):
            return ""
        match = _INSTANCE.search(self.text) or _CONTAINER_INSTANCE.search(self.text)
        return match.group(1) if match else ""

    def names(self) -> dict[str, str]:
        """The names found in the message, for remediation commands and titles."""
        found = {
            "image": self.image,
            "secret": self.secret,
            "target_group": self.target_group,
            "role": self.role,
            "port": self.port,
            "efs": self.efs,
            "subnet": self.subnet,
            "platform": self.platform,
            "path": self.exec_path,
            "http_codes": self.http_codes,
            "iam_action": self.iam_action,
            "instance": self.instance,
        }
        return {k: v for k, v in found.items() if v}
