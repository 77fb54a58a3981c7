"""Finds ECS messages in plain text: a bare stopped reason, a colleague's message with one in the middle, a
console copy ("Stopped reason  Essential container in task exited … Exit code 137"), an alert another bot
posted, service event lines.

A message is found by its structure, never by luck: an ECS error type (`CannotPullContainerError: …`), the
service scheduler's own phrasing (`(service web) was unable to place a task …`), ECS's fixed stop reasons
(`Essential container in task exited`, `Task failed ELB health checks …`), stop codes, exit codes, and the
console's labels. The message runs from that anchor to the end of its line: prose before it is dropped,
so "this started after the deploy: CannotPullContainerError: …" reads as the pull error, not a deployment.
Only when nothing in the text has that structure is each line offered to the rules as it is (a bare clause
such as "pull image manifest has been retried 5 time(s): …"), and only a specific reading counts then.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from diagnosis.lazy_regex import lazy
from diagnosis.rules import read_message
from diagnosis.rules.lifecycle import DEPLOYMENT_FAILURE_WORDS

STOP_CODES = {
    code.lower(): code
    for code in (
        "TaskFailedToStart",
        "EssentialContainerExited",
        "UserInitiated",
        "ServiceSchedulerInitiated",
        "SpotInterruption",
        "TerminationNotice",
    )
}
ERROR_TYPES = (
    r"Cannot\w{0,40}ContainerError",
    "CannotCreateVolumeError",
    "ResourceInitializationError",
    "ContainerRuntimeError",
    "ContainerRuntimeTimeoutError",
    "DockerTimeoutError",
    "DockerClientConfigError",
    "DockerStateError",
    "OutOfMemoryError",
    "InternalError",
    "InvalidParameterException",
    "ClientException",
    "ServerException",
    "ServiceNotFoundException",
    "ClusterNotFoundException",
    "PlatformTaskDefinitionIncompatibilityException",
    "TaskSetNotFoundException",
)
# ECS's own fixed phrasing of stop reasons and service events (the ECS developer guide's wording).
ECS_PHRASES = (
    r"essential container in task exited",
    r"task failed (?:elb|container) health checks?",
    r"tasks? failed to start",
    r"task (?:was |is being |is )?stopped by",
    r"scaling activity initiated by",
    r"timeout waiting for (?:network interface|eni|ebs volume|the volume|volume)",
    r"(?:your )?spot task was interrupted",
    r"ecs is performing maintenance",
    r"host ec2 \(instance",
    r"container killed due to memory",
    r"(?:ecs )?deployment circuit breaker",
    # a deploy tool's word that an ECS service never became steady (CloudFormation, Terraform)
    r"\bdid not stabili[sz]e\b",
    r"waiting for (?:the )?ecs service\b",
    r"(?:was |is )?unable to place a task",
    r"\(service [^)\s,]+(?:,[^)]*)?\)",
    # a target health event whose "(service …)" was cut off or elided: "(port N) is unhealthy in (target-group …"
    r"is unhealthy in \((?:target-group|elb)\b",
    r"\bservice \(?[A-Za-z0-9_-]+\)? (?:was unable|is unable|has started|has stopped|has reached|"
    r"deregistered|registered|has begun|failed|operations are|is unhealthy|\(port \d+\) is unhealthy)",
    r"pull image manifest has been retried",
    r"failed to resolve ref",
    r"pull access denied",
    r"exec format error",
    r"exec user process caused",
    r"toomanyrequests",
    r"no basic auth credentials",
    # The ECS agent's own log line for a failed pull, in every agent version's wording (task_manager.go):
    # "Error while pulling container X, will try to run anyway: …", "msg=\"Error while pulling image; …\"".
    r"error while pulling (?:container|image)",
    # The ECS agent's own reason for a secret it could not fetch (EC2 launch type, ssmsecret/asmsecret resources):
    # "Fetching secret data from SSM Parameter Store in eu-west-1: invalid parameters: …".
    r"fetching secret data from (?:ssm parameter store|aws secrets manager|secrets manager)",
)
_ANCHOR = lazy(r"(?i)\b(?:" + "|".join(ERROR_TYPES) + r")\b|" + "|".join(f"(?:{p})" for p in ECS_PHRASES))
# Case matters: EventBridge event names and run-task failure reasons are upper case.
_UPPER_ANCHOR = lazy(r"\bSERVICE_[A-Z_]{4,}\b|\bRESOURCE:[A-Z_]+\b")
_SERVICE_NAME = lazy(r"(?i)\(service ([^)\s,]+)|\bservice \(?([A-Za-z0-9_-]+)\)? ")
_SERVICE_ARN = lazy(r"arn:aws[\w-]*:ecs:[a-z0-9-]+:\d{12}:service/[\w-]+(?:/[\w-]+)?")
_SERVICE_EVENT = lazy(r"(?i)^\(service |^service \(?[A-Za-z0-9_-]+\)? ")
_STOP_CODE_WORD = lazy(r"\b(" + "|".join(STOP_CODES.values()) + r")\b", re.IGNORECASE)
_EXIT = lazy(r"(?i)\b(?:exit(?:ed)?(?:\s+with)?[ _]?(?:code|status code)|exitcode)\b\W{0,3}(-?\d{1,3})\b")
_TASK_ARN = lazy(r"arn:aws[\w-]*:ecs:[a-z0-9-]+:\d{12}:task/[\w-]+(?:/[0-9a-f-]{32,36})?")
# The console's and alert bots' labels: `Stopped reason  …`, `Stop code: …`, `Exit code | 137`.
_LABELS = {
    # a bot's or a script's key=value line: `stopCode=… exitCode=137 reason=…` (only with `=`, so the
    # "Reason: …" of a placement event stays that event's)
    "stopped": r"(?:task )?stop(?:ped)?[ _]?reason|reason(?==)",
    "container": r"(?:status|container)[ _]?reason",
    "code": r"stop[ _]?code",
    "exit": r"exit[ _]?code",
}
_LABEL = lazy(
    r"(?i)(?<![\w-])(?:" + "|".join(f"(?P<{k}>{v})" for k, v in _LABELS.items()) + r")"
    r"(?:\s*[:|=]\s*|\t\s*|\s{2,}|\s*$)"
)
_LEAD_LABEL = lazy(r"(?i)^(?:reason|message|error)\s*[:|=]\s*")
# Markup round a line: quote marks, bullets, backticks, bold, and a code comment's markers ("# …", "// …").
_NOISE = lazy(r"^(?:[\s>*•·\-–—`'\"#]|//)+|[\s`*'\"…]+$")
GENERIC_REASONS = ("essential container in task exited", "task failed to start")


@dataclass
class Container:
    reason: str = ""
    exit_code: int | None = None


@dataclass
class Record:
    """One stopped task as the text describes it."""

    stopped_reason: str = ""
    stop_code: str = ""
    task_arn: str = ""
    containers: list[Container] = field(default_factory=list)

    def document(self) -> dict[str, object]:
        """The task as describe-tasks would print it, so the one task reader reads it."""
        doc: dict[str, object] = {"lastStatus": "STOPPED", "stoppedReason": self.stopped_reason}
        if self.stop_code:
            doc["stopCode"] = self.stop_code
        if self.task_arn:
            doc["taskArn"] = self.task_arn
        doc["containers"] = [
            {"name": "", "exitCode": c.exit_code, "reason": c.reason} for c in self.containers
        ]
        return doc


@dataclass
class Scan:
    """What the text held: stopped tasks, service events per service, and the lines that held nothing."""

    records: list[Record] = field(default_factory=list)
    events: dict[str, list[str]] = field(default_factory=dict)
    unread: int = 0

    @property
    def messages(self) -> int:
        return len(self.records) + sum(len(v) for v in self.events.values())


def clean(line: str) -> str:
    """A line without the markup around it: quote marks, bullets, backticks, bold."""
    return _NOISE.sub("", line.replace("`", "")).strip()


def anchor(text: str) -> int:
    """Where the first ECS message in `text` starts, or -1."""
    found = [m.start() for m in (_ANCHOR.search(text), _UPPER_ANCHOR.search(text)) if m is not None]
    return min(found) if found else -1


def is_ecs_message(text: str) -> bool:
    """True when `text` is (or holds) an ECS message: it has ECS structure, or a rule reads it specifically."""
    return anchor(text) >= 0 or _specific(text)


def _specific(text: str) -> bool:
    match = read_message(text)
    return match is not None and match.category != "other" and not match.secondary


# ECS's placement event is two sentences, and a console or terminal copy often breaks the line between them:
# "… met all of its requirements." then "The closest matching (container-instance …) …" or "Reason: …".
_PLACEMENT_END = "met all of its requirements."
_PLACEMENT_DETAIL = lazy(r"(?i)^(?:the closest matching\b|reason: )")
# A target health event ends with "due to (reason …)"; a wrapped copy puts that on the next line, before or
# after "due to": "… is unhealthy in (target-group …)" then "due to (reason Health checks failed)".
_HEALTH_REASON = lazy(r"(?i)^(?:due to\s*)?\(reason\b")
# ECS's newer placement event names its cause after "The reason for failure is …" (RunTask's "Reason: …" too); a
# hard-wrapped copy breaks the line right there, and the cause runs on until a sentence ends.
_CAUSE_CUT = lazy(r"(?i)(?:\bthe reason for failure is|\breason:)$")
_CAUSE_LINES = 3
# Another scheduler's own objects: Kubernetes' (pods, kubectl) and Nomad's. A text about them that has no ECS
# structure and never names ECS is theirs, not ECS's, even when a bare clause in it ("OOMKilled …", runc's "OCI
# runtime create failed …") reads like a stop cause: its lines are not offered to the rules.
_OTHER_SCHEDULER = lazy(
    r"(?i)\b(?:kubectl|kubelet|pods?|namespaces?|crashloopbackoff|imagepullbackoff|errimagepull|k8s|kubernetes"
    r"|nomad|alloc-status)\b"
)
_ECS_WORD = lazy(r"(?i)\b(?:ecs|fargate|task definitions?|taskdefinition)\b")


class _Reader:
    def __init__(self) -> None:
        self.scan = Scan()
        self.current: Record | None = None
        self.pending_arn = ""
        self.last = ""  # the last message read, and how to add a line that continues it
        self.grow: Callable[[str], None] | None = None
        self.task_lines: list[str] = []  # lines naming a task and nothing else of ECS (an agent's log)
        self.cause_lines = 0  # lines a cut-off "The reason for failure is" may still take

    def read(self, text: str, grow: Callable[[str], None]) -> None:
        self.last, self.grow = text, grow
        self.cause_lines = _CAUSE_LINES if _CAUSE_CUT.search(text.rstrip()) else 0

    def continues(self, line: str) -> bool:
        """A line that ends the last message (the detail of a placement event put on a line of its own, the
        cause a wrapped "The reason for failure is" left for the next lines): added to it, so the event is
        read whole."""
        if self.grow is None:
            return False
        last = self.last.lower()
        placement = last.endswith(_PLACEMENT_END) and _PLACEMENT_DETAIL.match(line)
        health = "is unhealthy in (" in last and "(reason" not in last and _HEALTH_REASON.match(line)
        cause = self.cause_lines > 0
        if not (placement or health or cause):
            return False
        self.grow(line)
        self.cause_lines = (
            self.cause_lines - 1 if cause and not line.rstrip().endswith((".", "!", "?")) else 0
        )
        self.last = line
        if not self.cause_lines:
            self.grow = None
        return True

    def new(self) -> Record:
        record = Record(task_arn=self.pending_arn)
        self.pending_arn = ""
        self.scan.records.append(record)
        self.current = record
        return record

    def open_record(self) -> Record:
        return self.current or self.new()

    def stopped(self, reason: str) -> Record:
        record = self.current
        if record is None or record.stopped_reason:
            record = self.new()
        record.stopped_reason = reason
        self.read(reason, lambda more: setattr(record, "stopped_reason", f"{record.stopped_reason} {more}"))
        return record

    def container_reason(self, reason: str) -> None:
        record = self.open_record()
        self.last, self.grow = reason, None  # a placement detail on the next line is not this reason's
        for c in record.containers:
            if not c.reason:
                c.reason = reason
                return
        record.containers.append(Container(reason=reason))

    def exit_code(self, code: int) -> None:
        record = self.open_record()
        for c in record.containers:
            if c.exit_code is None:
                c.exit_code = code
                return
        record.containers.append(Container(exit_code=code))

    def stop_code(self, word: str) -> None:
        code = STOP_CODES.get(word.strip().lower())
        if code is None:
            return
        record = self.current
        if record is None or record.stop_code:
            record = self.new()
        record.stop_code = code

    def message(self, text: str, line: str = "") -> None:
        """An anchored message: a service event (a deployment's failure is one, whoever reported it: a
        deploy tool's copy names no task), a stop reason, or the container reason of a generic stop."""
        lower = text.lower()
        if _SERVICE_EVENT.match(text) or any(w in lower for w in DEPLOYMENT_FAILURE_WORDS):
            name, arn = _SERVICE_NAME.search(text), _SERVICE_ARN.search(line or text)  # named before it
            service = (name.group(1) or name.group(2)) if name else arn.group(0) if arn else ""
            events = self.scan.events.setdefault(service, [])
            events.append(text)
            at = len(events) - 1
            self.read(text, lambda more: events.__setitem__(at, f"{events[at]} {more}"))
            return
        record = self.current
        generic = record is not None and record.stopped_reason.lower().rstrip(". ") in GENERIC_REASONS
        if record is not None and generic and not any(c.reason for c in record.containers):
            self.container_reason(text)
        elif (
            record is not None and not record.stopped_reason and not any(c.reason for c in record.containers)
        ):
            self.current = record
            self.stopped(text)
        else:
            self.stopped(text)

    def labelled(self, label: str, value: str) -> None:
        value = clean(value)
        if not value or value in ("-", "—", "N/A", "n/a"):
            return
        if label in ("stopped", "container"):
            exits = list(_EXIT.finditer(value))  # "… exited … Exit code 137": one column ran into the next
            reason = clean(value[: exits[0].start()]) if exits else value
            if reason:
                (self.stopped if label == "stopped" else self.container_reason)(reason)
            for m in exits:
                self.exit_code(int(m.group(1)))
        elif label == "code":
            if value.split()[0].strip().lower() in STOP_CODES:
                self.stop_code(value.split()[0])
            else:  # a word that only looks like the label ("Code: (service web) …"): its text is read
                self.free(value)
        elif label == "exit":
            number = re.match(r"-?\d{1,3}\b", value)
            if number:
                self.exit_code(int(number.group(0)))
            else:
                self.free(value)

    def free(self, text: str) -> bool:
        """Reads text outside any label; True when it held something of ECS."""
        text = _LEAD_LABEL.sub("", text)
        start = anchor(text)
        arn = _TASK_ARN.search(text)
        exits = list(_EXIT.finditer(text))
        codes = list(_STOP_CODE_WORD.finditer(text))
        if start >= 0:
            message = text[start:]
            cut = [m.start() for m in exits if m.start() > start] + [len(message) + start]
            self.message(clean(text[start : min(cut)]), text)
        elif codes:
            self.stop_code(codes[0].group(1))
        for m in exits:
            self.exit_code(int(m.group(1)))
        if arn:  # the task the line (or the one before) is about; else the one that follows
            if self.current is not None and not self.current.task_arn:
                self.current.task_arn = arn.group(0)
            else:
                self.pending_arn = arn.group(0)
            if start < 0 and not exits and not codes:
                self.task_lines.append(text)
        return start >= 0 or bool(exits) or bool(codes) or arn is not None


def _exit_codes_only(found: Scan) -> bool:
    """True when all the text held of ECS is exit codes: no reason, stop code, task or service event."""
    return (
        bool(found.records)
        and not found.events
        and all(
            not (r.stopped_reason or r.stop_code or r.task_arn or any(c.reason for c in r.containers))
            for r in found.records
        )
    )


def scan(text: str) -> Scan:
    """Every ECS message in `text`, grouped into tasks and service events; lines that held none counted."""
    reader = _Reader()
    unread_lines: list[str] = []
    pending_label = ""
    for raw in text.splitlines():
        line = clean(raw)
        if not line or not any(ch.isalnum() for ch in line):
            continue
        if pending_label:
            reader.labelled(pending_label, line)
            pending_label = ""
            continue
        labels = list(_LABEL.finditer(line))
        read = False
        head = line[: labels[0].start()] if labels else line
        if head.strip():
            read = reader.free(head)
        for i, m in enumerate(labels):
            label = next(k for k in _LABELS if m.group(k))
            value = line[m.end() : labels[i + 1].start() if i + 1 < len(labels) else len(line)]
            if value.strip():
                reader.labelled(label, value)
            else:
                pending_label = label
            read = True
        if not read and not reader.continues(line):
            unread_lines.append(line)
    result = reader.scan
    if _ECS_WORD.search(text) is None and (
        _OTHER_SCHEDULER.search(text) is not None or (unread_lines and _exit_codes_only(result))
    ):
        # An exit code is every process's: prose around one that never names ECS ("What is exit code 137?", a
        # CI job's "Exited with code 137", another scheduler's task events) is not an ECS task's stop.
        if _exit_codes_only(result):
            result.records.clear()
        result.unread = len(unread_lines)
        return result
    if result.messages == 0:
        # The ECS agent's log names the task, then the error in its own words ("Task engine [arn…]: error
        # transitioning container [web] to [RUNNING]: …"): the task is not the message, the error may be.
        for line in reader.task_lines:
            if _specific(line):
                reader.stopped(line)
    if result.messages == 0:
        kept = []
        for line in unread_lines:  # no ECS structure anywhere: a bare clause a rule reads specifically
            if _specific(line):
                reader.stopped(line)
            else:
                kept.append(line)
        unread_lines = kept
    result.unread = len(unread_lines)
    return result
