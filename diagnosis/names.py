"""The names a finding speaks of — cluster, service, family:revision, container, image, repository and tag,
secret, target group, subnet, time window — gathered from the sightings, and the templates they fill.

A name nothing read stays visible as what to fill in: in a remediation it becomes a shell variable
(`$LOG_GROUP`) and the step says where to look it up (`HINTS`); titles drop it. Never a bare `<name>`."""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from diagnosis.classify import Sighting
from diagnosis.models import ServiceFacts, TaskFacts
from diagnosis.rules.exit import failed_container
from diagnosis.secret_reference import parse_reference

_DANGLING = re.compile(r"(:\s*|\(\s*\)|``)+$")
PLACEHOLDER = re.compile(r"\{(\w+)\}")


# Where to find each name a remediation template uses, said when nothing read it (tests hold every template
# placeholder to an entry here).
HINTS: dict[str, str] = {
    "cluster": "the cluster's name",
    "service": "the service's name",
    "task_def": "the family:revision the task ran (its taskDefinitionArn)",
    "previous_task_def": "the last family:revision that ran steadily (aws ecs list-task-definitions "
    "--family-prefix FAMILY --sort DESC)",
    "task_id": "the stopped task's ID (aws ecs list-tasks --desired-status STOPPED)",
    "container": "the failed container's name",
    "image": "the container's image (the task definition's containerDefinitions[].image)",
    "repository": "the ECR repository of the container's image",
    "execution_role": "the name of the task definition's executionRoleArn",
    "execution_role_arn": "the task definition's executionRoleArn",
    "role_name": "the name of the role the error names (else the task definition's executionRoleArn)",
    "secret": "the secret the container's secrets[].valueFrom names (an SSM parameter's name or ARN; a Secrets "
    "Manager secret's ARN without the :json-key:version-stage:version-id that may follow it)",
    "secret_arn": "the ARN of the container's secrets[].valueFrom or environmentFiles[].value (for an SSM "
    "parameter NAME: arn:PARTITION:ssm:REGION:ACCOUNT:parameter/NAME, PARTITION as in the task's ARN)",
    "secret_s3_url": "the s3://BUCKET/KEY of the container's environmentFiles[].value",
    "secret_json_key": "the JSON key in the secret's ARN:json-key:version-stage:version-id reference",
    "secret_version_stage": "the version stage in the secret's ARN:json-key:version-stage:version-id reference",
    "secret_version_id": "the version ID in the secret's ARN:json-key:version-stage:version-id reference",
    "secret_account": "the account in the secret's ARN",
    "denied_policy": "an IAM policy document allowing the refused action on its resource",
    "denied_policy_name": "a name for the inline policy no other policy of the role has",
    "denied_by": "what refused the action (an explicit deny, a permissions boundary, an SCP, a resource policy)",
    "log_group": "the awslogs-group in the container's logConfiguration",
    "log_stream": "awslogs-stream-prefix/CONTAINER/TASK_ID, from the container's logConfiguration",
    "since": "the time the task started (its startedAt), or a span such as 1h",
    "since_time": "an hour before the first stop (ISO 8601)",
    "now": "a few minutes after the last stop (ISO 8601)",
    "subnet": "a subnet of the service's awsvpcConfiguration",
    "vpc": "the VPC of the task's subnets (aws ec2 describe-subnets)",
    "security_group": "a security group of the service's awsvpcConfiguration",
    "efs": "the fileSystemId of the task definition's efsVolumeConfiguration",
    "target_group": "the target group ARN in the service's loadBalancers",
    "grace_period": "the seconds the application needs to start, with a margin",
    "instance": "the container instance the task ran on (the task's containerInstanceArn; none on Fargate)",
    "health_command": "the container's healthCheck command",
}


def variable(name: str) -> str:
    """`$LOG_GROUP`: a name nothing read, as a shell variable the user sets (the step says to what)."""
    return "$" + name.upper()


def fill(
    template: str,
    names: Mapping[str, str],
    drop_empty: bool = False,
    as_variable: bool = False,
    quoted: bool = False,
) -> str:
    """Fill `{name}` placeholders. An unknown name vanishes from a title (`drop_empty`), becomes a shell
    variable in a remediation (`as_variable`), else `<name>` (which `ecs-why check` treats as unfilled).
    `quoted`: a shell command's template, each value one shell word (a pasted `$(rm …)` stays text; a plain
    name prints as it is)."""

    def repl(m: re.Match[str]) -> str:
        value = names.get(m.group(1), "")
        if value:
            return shlex.quote(value) if quoted else value
        return "" if drop_empty else variable(m.group(1)) if as_variable else f"<{m.group(1)}>"

    text = PLACEHOLDER.sub(repl, template)
    if drop_empty:
        text = _DANGLING.sub("", text.replace("``", "the container")).strip()
    return text


def names_for(group: Sequence[Sighting], context: Mapping[str, str]) -> dict[str, str]:
    names: dict[str, str] = {}
    secrets: dict[str, None] = {}  # every secret the sightings name, in order (one task's, another's)
    for sighting in group:
        for key, value in sighting.match.names.items():
            names.setdefault(key, value)
        said = sighting.match.names
        secrets.update(
            dict.fromkeys(_secrets_only((said.get("secrets") or said.get("secret") or "").split()))
        )
        if sighting.task is not None:
            _task_names(sighting.task, names)
        if sighting.service is not None:
            _service_names(sighting.service, names)
    if len(secrets) > 1:
        names["secrets"] = " ".join(secrets)
    if names.get("role"):  # the role an error names is the one to look at
        names.setdefault("role_name", names["role"].rsplit("/", 1)[-1])
    _keep_first(names, **context)
    return names


def _keep_first(names: dict[str, str], **found: str) -> None:
    """Names already known win: the first sighting that names a thing names it."""
    for key, value in found.items():
        if value:
            names.setdefault(key, value)


def _task_names(task: TaskFacts, names: dict[str, str]) -> None:
    container = failed_container(task)
    _keep_first(
        names,
        cluster=task.cluster,
        service=task.service,
        task_def=task.family_revision,
        region=task.region,
        account=task.account,
        subnet=task.subnet_ids[0] if task.subnet_ids else "",
        container=container.name if container else "",
        image=container.image if container else "",
    )
    own_names(task, names)


# The names each task has of its own (its ID, its times); every other name repeats across the tasks that
# stopped the same way, which is what lets diagnosis/recurring.py build their finding once.
OWN_NAMES = frozenset({"task_id", "since", "since_time", "now"})


def own_names(task: TaskFacts, names: dict[str, str]) -> None:
    """Adds the task's own names (OWN_NAMES) to those of the tasks read before it."""
    _keep_first(names, task_id=task.task_id)
    if task.started_at or task.created_at:
        # the newest failed task's log, from its start (the task whose stream the live evidence names)
        names["since"] = max(names.get("since", ""), task.started_at or task.created_at)
    if task.stopped_at:
        # the metric window around the stops: from an hour before the first to a few minutes after the last
        names["since_time"] = min(names.get("since_time", task.stopped_at), _shift(task.stopped_at, -3600))
        names["now"] = max(names.get("now", ""), _shift(task.stopped_at, 300))


def _shift(iso: str, seconds: int) -> str:
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
        return (moment + timedelta(seconds=seconds)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (ValueError, OverflowError):  # not a time, or one at the calendar's edge (year 1, year 9999)
        return iso


def _service_names(service: ServiceFacts, names: dict[str, str]) -> None:
    _keep_first(
        names,
        cluster=service.cluster,
        service=service.name,
        region=service.region,
        account=service.account,
        task_def=service.task_definition_arn.rsplit("/", 1)[-1],
        target_group=service.target_group_arns[0] if service.target_group_arns else "",
    )
    if service.health_check_grace_period is not None:
        names.setdefault("current_grace_period", str(service.health_check_grace_period))
    if service.circuit_breaker_enabled is False:
        names.setdefault("circuit_breaker", "off")


def derive(names: dict[str, str]) -> None:
    """Names computed from others: repository and tag from the image, the previous revision, …"""
    image = names.get("image", "")
    if image:
        path = image.split("/", 1)[1] if "/" in image and "." in image.split("/", 1)[0] else image
        repository, _, tag = path.partition("@")[0].rpartition(":") if ":" in path else (path, "", "")
        names.setdefault("repository", repository or path)
        if tag:
            names.setdefault("tag", tag)
    task_def = names.get("task_def", "")
    family, _, revision = task_def.rpartition(":")
    if family and revision.isascii() and revision.isdigit() and len(revision) < 10:
        names.setdefault("family", family)
        if int(revision) > 1:
            names.setdefault("previous_task_def", f"{family}:{int(revision) - 1}")
    _secret_names(names)
    current = int(names.get("current_grace_period", "0") or 0)
    names.setdefault("grace_period", str(min(max(120, current * 2), 7200)))


def secret_store_of(reference: str) -> str:
    """The store a secret reference is in: Secrets Manager references are ARNs, SSM ones an ARN or a
    parameter name (as in secrets[].valueFrom), environment files S3 object ARNs ("s3")."""
    return parse_reference(reference).store


# Names that say what kind of message was read (`Match.names`), never filled into a command: a step or a
# category's wording (`Reading`) is chosen by them.
KIND_NAMES = frozenset({"reading"})

# The names of one secret (`secret_names`): each secret the input names fills the steps said once per secret
# (`Step.per_secret`) with its own.
SECRET_NAMES = frozenset(
    {
        "secret",
        "secret_store",
        "secret_arn",
        "secret_s3_url",
        "secret_json_key",
        "secret_version_stage",
        "secret_version_id",
        "secret_account",
    }
)


def secret_names(reference: str, names: Mapping[str, str]) -> dict[str, str]:
    """The names of the secret `reference`: the ID its store knows it by (a Secrets Manager ARN without
    `:json-key:version-stage:version-id`), its store, the ARN IAM acts on (an SSM parameter named without
    its ARN: in the task's region and account), and the JSON key or version the reference asks for."""
    ref = parse_reference(reference)
    found = {
        "secret": ref.secret_id,
        "secret_store": ref.store if ref.store in ("ssm", "secretsmanager", "s3") else "",
        "secret_arn": ref.arn(names.get("region", ""), names.get("account", "")),
        "secret_json_key": ref.json_key,
        "secret_version_stage": ref.version_stage,
        "secret_version_id": ref.version_id,
        # another account than the task's (known when the task's account is)
        "secret_account": ref.account if ref.account != names.get("account", ref.account) else "",
    }
    if ref.store == "s3" and ":::" in reference:  # an environment file: arn:aws:s3:::BUCKET/KEY
        found["secret_s3_url"] = "s3://" + reference.split(":::", 1)[1]
    return {key: value for key, value in found.items() if value}


def each_secret(names: Mapping[str, str]) -> list[Mapping[str, str]]:
    """The names once per secret the input names (`secrets`, the first being `secret`), each with only its
    own secret's names; the names as they are when it names one or none."""
    listed = names.get("secrets", "").split()
    if len(listed) < 2:
        return [names]
    shared = {key: value for key, value in names.items() if key not in SECRET_NAMES}
    return [{**shared, **secret_names(reference, shared)} for reference in listed]


def _secrets_only(references: Sequence[str]) -> list[str]:
    """The references that are secrets ECS fetches (an SSM parameter, a Secrets Manager secret, an environment
    file): a message's other ARNs (its KMS key) are not looked up as secrets."""
    return [r for r in references if parse_reference(r).store in ("ssm", "secretsmanager", "s3")]


def _secret_names(names: dict[str, str]) -> None:
    """Which secret the steps act on, its store and its ARN. The store a message said picks among the task
    definition's references (`secret_in_<store>`, read live); then the reference decides the store, since
    the steps act on that reference (an environment file: an S3 object ARN). `secrets` lists every secret
    named, that one first."""
    if names.get("secret") and not _secrets_only([names["secret"]]):  # a KMS key's ARN is not a secret
        del names["secret"]
    secret = names.get("secret", "")
    said = names.get("secret_store", "")
    if said and secret and secret_store_of(secret) != said and names.get(f"secret_in_{said}"):
        secret = names["secret"] = names[f"secret_in_{said}"]
    if not secret:
        return
    own = secret_names(secret, names)
    listed, ids = [secret], {own["secret"]}
    for other in _secrets_only(
        names.get("secrets", "").split()
    ):  # as written: a JSON key or version is the secret's own
        other_id = parse_reference(other).secret_id
        if other_id not in ids:
            listed.append(other)
            ids.add(other_id)
    names["secrets"] = " ".join(listed)
    for key, value in own.items():
        names[key] = value if key in ("secret", "secret_store") else names.get(key) or value
