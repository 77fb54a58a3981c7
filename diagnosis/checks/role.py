"""The execution role, simulated on what the failing task's own start needs — never on every action of every
candidate cause, and never on "*" where the action takes a resource.

What a cause needs of the role follows from the task definition of the task it explains: the ECR
repositories of its images (`ecr:GetAuthorizationToken` alone is on "*"), the secrets and parameters it
references (container `secrets`, log `secretOptions`, `repositoryCredentials`), the customer-managed KMS keys
that encrypt them, and its awslogs log streams. The collector plans its `iam:SimulatePrincipalPolicy` calls
from `needed` and the check reads the answers back with the same function, so the two cannot drift.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from diagnosis.checks.evidence import CheckResult, LiveEvidence, Outcome, secret_refs
from diagnosis.checks.secrets import MISSING, customer_managed, key_manager
from diagnosis.checks.taskdef import definition_of
from diagnosis.models import EvidenceItem
from diagnosis.policy import grant_names
from diagnosis.secret_reference import parse_reference

SOURCE = "iam:SimulatePrincipalPolicy"
ECR_IMAGE = re.compile(r"^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?/([^:@]+)")
KEY_ID = re.compile(r"^(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$")
# The references each cause involves; a cause not listed involves every secret and parameter.
SECRET_KINDS: dict[str, tuple[str, ...]] = {
    "image_pull_auth": ("repositoryCredentials",),
    "log_driver_init": (),
}


@dataclass(frozen=True, slots=True)
class Permission:
    """One action the start needs of the execution role, on one resource, and what in the task needs it."""

    action: str
    resource: str
    needed_for: str


@dataclass(frozen=True, slots=True)
class Where:
    partition: str
    region: str
    account: str

    def arn(self, service: str, resource: str, region: str | None = None) -> str:
        return f"arn:{self.partition}:{service}:{self.region if region is None else region}:{self.account}:{resource}"


def execution_role(evidence: LiveEvidence, category: str) -> tuple[str, str, dict[str, Any]]:
    """(role ARN or "", family:revision, definition) of the task this cause explains."""
    revision, definition = definition_of(evidence, category)
    return str(definition.get("executionRoleArn") or ""), revision, definition


def role_names(role: str) -> dict[str, str]:
    """The template names of a role: its ARN and its name (`--role-name` takes the name)."""
    name = role.rsplit("/", 1)[-1]
    return {"execution_role_arn": role, "execution_role": name, "role_name": name}


def secret_references(definition: dict[str, Any], category: str = "") -> list[str]:
    """The secrets and parameters this cause involves in the definition (see `SECRET_KINDS`)."""
    kinds = SECRET_KINDS.get(category)
    if kinds is None:
        return secret_refs({"": definition})
    refs: list[str] = []
    if "repositoryCredentials" in kinds:
        for container in definition.get("containerDefinitions", []):
            ref = str((container.get("repositoryCredentials") or {}).get("credentialsParameter") or "")
            if ref and ref not in refs:
                refs.append(ref)
    return refs


def needed(evidence: LiveEvidence, category: str) -> list[Permission]:
    """What the start of the task this cause explains needs of its execution role (empty: nothing)."""
    _, _, definition = execution_role(evidence, category)
    if not definition:
        return []
    where = task_place(evidence, category)
    found: list[Permission] = []
    if category == "image_pull_auth":
        found += _images(definition, where)
    if category == "log_driver_init":
        found += _log_streams(evidence, category, definition, where)
    for ref in secret_references(definition, category):
        found += _secret(evidence, ref, where)
    return list(dict.fromkeys(found))


def task_place(evidence: LiveEvidence, category: str) -> Where:
    """Partition, region and account of the task (from its ARNs), for the ARNs built from bare names."""
    task = evidence.task_for(category) or {}
    _, definition = definition_of(evidence, category)
    for arn in (task.get("taskDefinitionArn"), task.get("taskArn"), definition.get("taskDefinitionArn")):
        parts = str(arn or "").split(":")
        if len(parts) > 5 and parts[0] == "arn" and parts[4]:
            return Where(parts[1], parts[3] or evidence.region, parts[4])
    role = str(definition.get("executionRoleArn") or "").split(":")
    return Where(role[1] if len(role) > 5 else "aws", evidence.region, role[4] if len(role) > 5 else "")


def _images(definition: dict[str, Any], where: Where) -> Iterator[Permission]:
    for container in definition.get("containerDefinitions", []):
        image = str(container.get("image", ""))
        match = ECR_IMAGE.match(image)
        if not match:
            continue
        account, region, china, repository = match.groups()
        partition = "aws-cn" if china else where.partition
        yield Permission("ecr:GetAuthorizationToken", "*", f"image {image}")
        arn = f"arn:{partition}:ecr:{region}:{account}:repository/{repository}"
        for action in ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"):
            yield Permission(action, arn, f"image {image}")


def _log_streams(
    evidence: LiveEvidence, category: str, definition: dict[str, Any], where: Where
) -> Iterator[Permission]:
    """The log stream each awslogs container writes to (what CreateLogStream and PutLogEvents act on)."""
    task = evidence.task_for(category) or {}
    task_id = str(task.get("taskArn", "")).rsplit("/", 1)[-1] or "TASK_ID"
    for container in definition.get("containerDefinitions", []):
        config = container.get("logConfiguration") or {}
        options = config.get("options") or {}
        group = options.get("awslogs-group")
        if config.get("logDriver") != "awslogs" or not group:
            continue
        prefix = options.get("awslogs-stream-prefix")
        stream = f"{prefix}/{container.get('name')}/{task_id}" if prefix else task_id
        arn = where.arn("logs", f"log-group:{group}:log-stream:{stream}", options.get("awslogs-region"))
        for action in ("logs:CreateLogStream", "logs:PutLogEvents"):
            yield Permission(action, arn, f"log group {group}")


def _secret(evidence: LiveEvidence, ref: str, where: Where) -> list[Permission]:
    state = evidence.secrets.get(ref)
    if state in MISSING:
        return []  # secret_exists says so: there is nothing to be allowed to read
    details = evidence.secret_details.get(ref) or {}
    if ":secretsmanager:" in ref:
        arn = str(details.get("ARN") or ref)
        found = [Permission("secretsmanager:GetSecretValue", arn, f"secret {ref}")]
    else:
        arn = parse_reference(ref).arn(where.region, where.account, where.partition) or ref
        found = [Permission("ssm:GetParameters", arn, f"parameter {ref}")]
    key = str(details.get("KmsKeyId") or details.get("KeyId") or "")
    parts = arn.split(":")
    owner = Where(parts[1], parts[3], parts[4]) if len(parts) > 5 else where
    if customer_managed(key) and key_manager(evidence, key) != "AWS":
        found.append(Permission("kms:Decrypt", key_arn(evidence, key, owner), f"KMS key {key} of {ref}"))
    return found


def key_arn(evidence: LiveEvidence, key: str, owner: Where) -> str:
    """The ARN of the key kms:Decrypt acts on: the key's own, from a key ARN or ID, else as DescribeKey read
    it (an alias has no ARN to simulate on until the key is read)."""
    if ":key/" in key:
        return key
    if KEY_ID.match(key):
        return owner.arn("kms", f"key/{key}")
    read = evidence.kms_keys.get(key)
    return str(read.get("Arn") or key) if isinstance(read, dict) else key


def simulated(evidence: LiveEvidence, role: str, permission: Permission) -> str | None:
    """allowed | explicitDeny | implicitDeny, or None when it was not simulated."""
    return evidence.simulation.get((role, permission.action, permission.resource))


def check_role(evidence: LiveEvidence, category: str) -> list[CheckResult]:
    role, revision, definition = execution_role(evidence, category)
    if not definition:
        return []
    wanted = needed(evidence, category)
    if not role:
        return _no_role(evidence, category, revision, definition, wanted)
    names = role_names(role)
    if not wanted:
        detail = f"task definition {revision} gives the execution role {role} nothing to fetch for this start"
        return [CheckResult(category, "execution_role", "inconclusive", detail, names=names)]
    decided = [(p, simulated(evidence, role, p)) for p in wanted]
    denied = [(p, d) for p, d in decided if d is not None and d != "allowed"]
    allowed = [p for p, d in decided if d == "allowed"]
    unknown = [p for p, d in decided if d is None]
    lines = [
        f"the execution role {role} is not allowed {p.action} on {p.resource} ({p.needed_for}: {d})"
        + (
            " — unless the key policy grants it to the role"
            if p.action == "kms:Decrypt" and d == "implicitDeny"
            else ""
        )
        for p, d in denied
    ]
    if allowed:
        lines.append(f"the execution role {role} is allowed {listed(allowed)}")
    if unknown:
        lines.append(f"not simulated (check by hand that the execution role {role} may): {listed(unknown)}")
    # The inline policy that grants what no policy allows (an explicit Deny is not undone by an Allow): the
    # secrets steps show it (the ECR steps attach the managed policy instead).
    grant = grant_names((p.action, p.resource) for p, d in denied if d == "implicitDeny")
    if grant and category == "secrets_retrieval":
        names = {**names, **grant}
    # Only the role's policies were simulated: a key policy can grant kms:Decrypt without them.
    proven = [d for p, d in denied if d == "explicitDeny" or p.action != "kms:Decrypt"]
    outcome: Outcome = "confirms" if proven else "inconclusive" if denied or unknown else "refutes"
    return [
        CheckResult(
            category,
            "execution_role",
            outcome,
            "; ".join(lines),
            tuple(EvidenceItem(source=SOURCE, fact=line) for line in lines[: len(denied)]),
            names,
        )
    ]


def _no_role(
    evidence: LiveEvidence, category: str, revision: str, definition: dict[str, Any], wanted: list[Permission]
) -> list[CheckResult]:
    """No executionRoleArn: on Fargate (and for secrets anywhere) nothing may fetch what the start needs; on
    EC2 the container instance's role pulls from ECR and writes logs, and that role is not simulated."""
    if not wanted:
        return []
    what = listed(wanted)
    if not instance_role_acts(evidence, definition, wanted):
        detail = f"task definition {revision} has no execution role, so nothing may {what}"
        item = EvidenceItem(source="ecs:DescribeTaskDefinition", fact=detail)
        return [CheckResult(category, "execution_role", "confirms", detail, (item,))]
    detail = (
        f"task definition {revision} has no execution role: the container instance role acts for it "
        f"(not simulated; check by hand that it may {what})"
    )
    return [CheckResult(category, "execution_role", "inconclusive", detail)]


def instance_role_acts(evidence: LiveEvidence, definition: dict[str, Any], wanted: list[Permission]) -> bool:
    """Without an execution role, the EC2 container instance's role pulls from ECR and writes awslogs; on
    Fargate nothing does, and secrets need the execution role everywhere."""
    fargate = any(t.get("launchType") == "FARGATE" for t in evidence.tasks) or "FARGATE" in (
        definition.get("requiresCompatibilities") or []
    )
    return not fargate and not any(p.action.startswith(("secretsmanager:", "ssm:", "kms:")) for p in wanted)


def listed(permissions: list[Permission]) -> str:
    """`a, b on R1; c on R2`: the actions grouped by resource, in the order they were needed."""
    by_resource: dict[str, list[str]] = {}
    for p in permissions:
        by_resource.setdefault(p.resource, []).append(p.action)
    return "; ".join(f"{', '.join(actions)} on {resource}" for resource, actions in by_resource.items())
