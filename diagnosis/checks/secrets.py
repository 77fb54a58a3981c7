"""Secrets: for each secret or parameter the failing task references, whether it exists (or is scheduled for
deletion), which role fetches it, through which network path, and whether a customer-managed KMS key
encrypts it (then the role needs kms:Decrypt on that key); for a Secrets Manager reference
`ARN:json-key:version-stage:version-id`, whether the version it asks for exists (DescribeSecret's version
labels; the JSON key would need the value, which is never read); for one in another account, what that
needs (a resource policy, and a customer-managed key: the AWS managed key decrypts in its own account only)."""

from __future__ import annotations

from typing import Any

from diagnosis.checks.evidence import OTHER_ACCOUNT, CheckResult, LiveEvidence, Outcome, references_of
from diagnosis.checks.network import _default_route, _endpoint_services, _route_table
from diagnosis.checks.taskdef import definition_of, reasons
from diagnosis.models import EvidenceItem
from diagnosis.secret_reference import SecretReference, missing_json_key, parse_reference

AWS_MANAGED = ("alias/aws/", "aws/")
MISSING = ("ResourceNotFoundException", "ParameterNotFound")  # what DescribeSecret / DescribeParameters said
TASK_DEFINITION = "ecs:DescribeTaskDefinition"  # where the references (and their ARNs' parts) were read
DESCRIBE_KEY = "kms:DescribeKey"  # what `LiveEvidence.kms_keys` holds
Said = tuple[str, str]  # (the call that read it, the fact): each fact carries its own source


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
    uses = references_of({revision: definition})
    if not uses:
        return []
    role = str(definition.get("executionRoleArn") or "")
    account = _task_account(evidence, category, definition)
    problems: list[Said] = []
    facts: list[Said] = []
    names: dict[str, str] = {}
    if role:
        facts.append((TASK_DEFINITION, f"the execution role {role} fetches them"))
        names["execution_role_arn"] = role
        names["role_name"] = names["execution_role"] = role.rsplit("/", 1)[-1]
    else:
        problems.append(
            (
                TASK_DEFINITION,
                f"task definition {revision} has no execution role, which ECS needs to fetch secrets",
            )
        )
    # the references a problem is about, as written (the missing ones first, which secret_exists states):
    # the steps look at those
    wrong = [use.reference for use in uses if evidence.secrets.get(use.secret_id) in MISSING]
    for secret in dict.fromkeys(use.secret_id for use in uses):
        problems_, facts_ = _secret(evidence, secret, role, account)
        problems += problems_
        facts += facts_
        wrong += [use.reference for use in uses if use.secret_id == secret and problems_]
    for use in uses:
        problem = _version(evidence, use)
        problems += [problem] if problem else []
        wrong += [use.reference] if problem else []
        unlabelled = _unlabelled(evidence, use)
        facts += [unlabelled] if unlabelled else []
        wrong += [use.reference] if unlabelled else []
        if use.json_key and evidence.secrets.get(use.secret_id) == "exists":
            facts.append(
                (
                    TASK_DEFINITION,
                    f"{use.reference} asks for the JSON key {use.json_key} of the secret's value, which is not "
                    "read (ecs-why never reads a secret's value): whether it holds the key is not checked",
                )
            )
    key = missing_json_key(reasons(evidence, category))
    asking = [use.reference for use in uses if key and use.json_key == key]
    if len(asking) > 1:  # checks/naming.py names each of them to the steps
        facts.append(
            (
                TASK_DEFINITION,
                f"the stopped reason names the JSON key {key} but no secret: {', '.join(asking)} ask for it, so "
                "any of them may lack it",
            )
        )
    if wrong:
        names["secret"], names["secrets"] = wrong[0], " ".join(dict.fromkeys(wrong))
    refs = [use.reference for use in uses]
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
            "; ".join(fact for _, fact in lines),
            tuple(EvidenceItem(source=source, fact=fact) for source, fact in lines),
            names,
        )
    ]


def _task_account(evidence: LiveEvidence, category: str, definition: dict[str, Any]) -> str:
    """The account the task runs in, from its ARN or its task definition's."""
    task = evidence.task_for(category) or {}
    for arn in (task.get("taskArn"), task.get("taskDefinitionArn"), definition.get("taskDefinitionArn")):
        parts = str(arn or "").split(":")
        if len(parts) > 5 and parts[4]:
            return parts[4]
    return ""


def _version(evidence: LiveEvidence, use: SecretReference) -> Said | None:
    """The version a reference asks for (`…:version-stage:version-id`; neither: AWSCURRENT, the secret's
    current value), when the secret's versions were read and none is it. A described secret without
    VersionIdsToStages has no version at all (created without a value)."""
    details = evidence.secret_details.get(use.secret_id) or {}
    versions = details.get("VersionIdsToStages", {} if details.get("ARN") else None)
    if not isinstance(versions, dict):
        return None
    stage = use.version_stage or ("" if use.version_id else "AWSCURRENT")
    labels = sorted({str(label) for stages in versions.values() for label in stages or []})
    if stage and stage not in labels:
        asks = f"which {use.reference} asks for" if use.version_stage else "the version ECS reads by default"
        carry = (
            f"its versions carry {', '.join(labels)}" if labels else "it has no version: it never had a value"
        )
        return _read_by(evidence, use.secret_id), (
            f"the secret {use.secret_id} has no version labelled {stage}, {asks} ({carry})"
        )
    return None


def _unlabelled(evidence: LiveEvidence, use: SecretReference) -> Said | None:
    """A version ID DescribeSecret does not list: it lists only versions with a staging label, so an
    unlabelled one may still exist (list-secret-version-ids --include-deprecated shows it): said, not proof."""
    versions = (evidence.secret_details.get(use.secret_id) or {}).get("VersionIdsToStages")
    if not use.version_id or not isinstance(versions, dict) or use.version_id in versions:
        return None
    return _read_by(evidence, use.secret_id), (
        f"the secret {use.secret_id} has no labelled version {use.version_id}, which {use.reference} asks for "
        f"({len(versions)} labelled version(s); an unlabelled version is not listed, so it may still exist)"
    )


def _read_by(evidence: LiveEvidence, ref: str) -> str:
    """The call that read a reference's state and metadata, as the collector recorded it."""
    return evidence.secret_sources.get(ref, "")


def _secret(evidence: LiveEvidence, ref: str, role: str, account: str) -> tuple[list[Said], list[Said]]:
    kind = "secret" if ":secretsmanager:" in ref else "parameter"
    state = evidence.secrets.get(ref)
    details = evidence.secret_details.get(ref) or {}
    parsed = parse_reference(ref)
    where = parsed.region or evidence.region
    other = parsed.account if parsed.account and account and parsed.account != account else ""
    read_by = _read_by(evidence, ref)
    facts: list[Said] = []
    problems: list[Said] = []
    if state in MISSING:
        return problems, facts  # secret_exists says so; this check says how the others are reached
    if state == OTHER_ACCOUNT:
        return problems, [
            (
                TASK_DEFINITION,
                f"the parameter {ref} is in account {other}, the task in {account}: not read (DescribeParameters "
                "lists only this account's parameters)",
            )
        ]
    if state is None:  # not asked
        return problems, [(TASK_DEFINITION, f"{kind} {ref} (not read)")]
    if state != "exists":
        if other and kind == "secret":
            return problems, [
                (
                    read_by,
                    f"the secret {ref} is in account {other}, the task in {account} (not read: {state})",
                )
            ]
        return problems, [(read_by, f"{kind} {ref} (not read: {state})")]
    if details.get("DeletedDate"):
        problems.append(
            (
                read_by,
                f"the {kind} {ref} is scheduled for deletion ({details['DeletedDate']}): it cannot be read",
            )
        )
    key = str(details.get("KmsKeyId") or details.get("KeyId") or "")
    # what is said of its key: the key as the secret names it, and kms:DescribeKey's answer when it was asked
    keyed = ", ".join(
        dict.fromkeys(s for s in (read_by, DESCRIBE_KEY if key in evidence.kms_keys else "") if s)
    )
    fact, problem = _encryption(evidence, f"{kind} {ref}", key, role)
    facts += [(keyed, fact)] if fact else []
    problems += [(keyed, problem)] if problem else []
    if other and kind == "secret" and not problem:
        if customer_managed(key) and key_manager(evidence, key) != "AWS":
            facts.append(
                (
                    keyed,
                    f"the secret is in account {other}, the task in {account}: its resource policy must let the "
                    f"execution role read it, and the key policy of {key} let the role decrypt",
                )
            )
        else:
            problems.append(
                (
                    keyed,
                    f"the secret {ref} is in account {other}, the task in {account}, and is encrypted with the "
                    "AWS managed key, which no other account can decrypt with: encrypt it with a customer-managed "
                    "KMS key whose key policy lets the execution role decrypt",
                )
            )
    if where and evidence.region and where != evidence.region:
        facts.append((TASK_DEFINITION, f"the {kind} is in {where}, the task in {evidence.region}"))
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


def network_path(evidence: LiveEvidence, service: str) -> Said | None:
    """How the task's first subnet reaches the service's endpoint: a VPC endpoint, a NAT, or nothing."""
    if not evidence.subnets or not evidence.network_read:
        return None
    subnet = evidence.subnets[0]
    subnet_id = subnet.get("SubnetId", "")
    if service in _endpoint_services(evidence.endpoints or [], evidence.region):
        return (
            "ec2:DescribeVpcEndpoints",
            f"{subnet_id} reaches {service} through its VPC endpoint (private DNS)",
        )
    route = _default_route(_route_table(subnet, evidence.route_tables))
    if route.startswith("nat-"):
        return "ec2:DescribeRouteTables", f"{subnet_id} reaches {service} through the NAT gateway {route}"
    if route:
        return "ec2:DescribeRouteTables", f"{subnet_id} reaches {service} through {route}"
    return (
        "ec2:DescribeRouteTables, ec2:DescribeVpcEndpoints",
        f"{subnet_id} has no route to {service}: no {service} VPC endpoint and no NAT",
    )
