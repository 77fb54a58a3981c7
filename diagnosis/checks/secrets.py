"""Secrets: for each secret or parameter the failing task references, whether it exists (or is scheduled for
deletion), which role fetches it, through which network path, and whether a customer-managed KMS key
encrypts it (then the role needs kms:Decrypt on that key)."""

from __future__ import annotations

from diagnosis.checks.evidence import CheckResult, LiveEvidence, Outcome, secret_refs
from diagnosis.checks.network import _default_route, _endpoint_services, _route_table
from diagnosis.checks.taskdef import definition_of
from diagnosis.models import EvidenceItem

AWS_MANAGED = ("alias/aws/", "aws/")


def customer_managed(key: str | None) -> bool:
    """A KMS key named by the secret or parameter that is not the AWS managed default."""
    if not key:
        return False
    alias = key.split(":alias/", 1)[-1] if ":alias/" in key else key
    return not alias.startswith(AWS_MANAGED) and not alias.startswith("aws/")


def check_secret_access(evidence: LiveEvidence, category: str) -> list[CheckResult]:
    revision, definition = definition_of(evidence, category)
    if not definition:
        return []
    refs = secret_refs({revision: definition})
    if not refs:
        return []
    role = str(definition.get("executionRoleArn") or "")
    problems: list[str] = []
    facts: list[str] = []
    names: dict[str, str] = {}
    if role:
        facts.append(f"the execution role {role} fetches them")
        names["execution_role_arn"] = role
        names["role_name"] = names["execution_role"] = role.rsplit("/", 1)[-1]
    else:
        problems.append(f"task definition {revision} has no execution role, which ECS needs to fetch secrets")
    for ref in refs:
        problems_, facts_ = _secret(evidence, ref, role)
        problems += problems_
        facts += facts_
    path = network_path(evidence, "secretsmanager" if any(":secretsmanager:" in r for r in refs) else "ssm")
    if path:
        facts.append(path)
    outcome: Outcome = "confirms" if problems else "inconclusive"
    lines = [*problems, *facts]
    return [
        CheckResult(
            category,
            "secret_access",
            outcome,
            "; ".join(lines),
            tuple(EvidenceItem(source=_source(refs[0]), fact=line) for line in lines),
            names,
        )
    ]


def _secret(evidence: LiveEvidence, ref: str, role: str) -> tuple[list[str], list[str]]:
    kind = "secret" if ":secretsmanager:" in ref else "parameter"
    state = evidence.secrets.get(ref)
    details = evidence.secret_details.get(ref) or {}
    where = ref.split(":")[3] if ref.startswith("arn:") and len(ref.split(":")) > 3 else evidence.region
    facts: list[str] = []
    problems: list[str] = []
    if state in ("ResourceNotFoundException", "ParameterNotFound"):
        return problems, facts  # secret_exists says so; this check says how the others are reached
    if state != "exists":
        return problems, [f"{kind} {ref} (not read)"]
    if details.get("DeletedDate"):
        problems.append(
            f"the {kind} {ref} is scheduled for deletion ({details['DeletedDate']}): it cannot be read"
        )
    key = str(details.get("KmsKeyId") or details.get("KeyId") or "")
    fact, problem = _encryption(evidence, f"{kind} {ref}", key, role)
    facts += [fact] if fact else []
    problems += [problem] if problem else []
    if where and evidence.region and where != evidence.region:
        facts.append(f"the {kind} is in {where}, the task in {evidence.region}")
    return problems, facts


def key_manager(evidence: LiveEvidence, key: str) -> str:
    """CUSTOMER or AWS, as kms:DescribeKey read the key ("" when it was not read)."""
    read = evidence.kms_keys.get(key)
    return str(read.get("KeyManager") or "") if isinstance(read, dict) else ""


def _encryption(evidence: LiveEvidence, what: str, key: str, role: str) -> tuple[str, str]:
    """(fact, problem) of the key that encrypts a secret or parameter: who manages it (kms:DescribeKey), so
    whether the execution role needs kms:Decrypt on it, and whether it can decrypt at all."""
    manager, read = key_manager(evidence, key), evidence.kms_keys.get(key)
    if not key or manager == "AWS" or (not manager and not customer_managed(key)):
        return f"the {what} exists, encrypted with the AWS managed key", ""
    who = f"the execution role {role}" if role else "the execution role"
    if isinstance(read, str):  # DescribeKey answered with an error code
        if read == "NotFoundException":
            return "", f"the KMS key {key} that encrypts the {what} does not exist: nothing can decrypt it"
        return f"the {what} exists, encrypted with the KMS key {key} (not described: {read})", ""
    arn = str((read or {}).get("Arn") or "")
    named = f"{key} ({arn})" if arn and arn != key else key
    state = str((read or {}).get("KeyState") or "Enabled")
    problem = (
        f"the KMS key {named} that encrypts the {what} is {state}: it cannot decrypt"
        if state != "Enabled"
        else ""
    )
    return (
        f"the {what} exists, encrypted with the customer-managed KMS key {named}: {who} needs kms:Decrypt on it",
        problem,
    )


def network_path(evidence: LiveEvidence, service: str) -> str:
    """How the task's first subnet reaches the service's endpoint: a VPC endpoint, a NAT, or nothing."""
    if not evidence.subnets or not evidence.network_read:
        return ""
    subnet = evidence.subnets[0]
    subnet_id = subnet.get("SubnetId", "")
    if service in _endpoint_services(evidence.endpoints or [], evidence.region):
        return f"{subnet_id} reaches {service} through its VPC endpoint (private DNS)"
    route = _default_route(_route_table(subnet, evidence.route_tables))
    if route.startswith("nat-"):
        return f"{subnet_id} reaches {service} through the NAT gateway {route}"
    if route:
        return f"{subnet_id} reaches {service} through {route}"
    return f"{subnet_id} has no route to {service}: no {service} VPC endpoint and no NAT"


def _source(ref: str) -> str:
    return "secretsmanager:DescribeSecret" if ":secretsmanager:" in ref else "ssm:DescribeParameters"
