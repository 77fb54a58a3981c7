"""What the task asks for, checked against what exists: image tags in ECR, secrets and parameters, the log
group, and who called StopTask (the execution role's permissions: `role.py`)."""

from __future__ import annotations

import json

from diagnosis.checks.evidence import CheckResult, LiveEvidence, log_stream
from diagnosis.checks.role import secret_references
from diagnosis.checks.taskdef import definition_of
from diagnosis.models import EvidenceItem


def check_images(evidence: LiveEvidence, category: str) -> list[CheckResult]:
    results = [_foreign_image(image, account, category) for image, account in evidence.foreign_images.items()]
    for repository, asked in evidence.images.items():
        existing = evidence.ecr.get(repository)
        if existing is None:
            continue
        if existing == "RepositoryNotFoundException":
            detail = f"the ECR repository {repository} does not exist in {evidence.region}"
            results.append(
                CheckResult(
                    category,
                    "ecr_image",
                    "confirms",
                    detail,
                    (EvidenceItem(source="ecr:DescribeImages", fact=detail),),
                    {"repository": repository},
                    recategorize="image_not_found",
                )
            )
            continue
        if not isinstance(existing, list):
            continue
        missing = sorted({tag for tag in asked if tag not in existing})
        recent = ", ".join(existing[-5:]) or "none"
        if missing:
            detail = f"ECR repository {repository} has no tag {', '.join(missing)}; tags that exist: {recent}"
            results.append(
                CheckResult(
                    category,
                    "ecr_image",
                    "confirms" if category == "image_not_found" else "inconclusive",
                    detail,
                    (EvidenceItem(source="ecr:DescribeImages", fact=detail),),
                    {"repository": repository, "tag": missing[0]},
                    recategorize="image_not_found" if category != "image_not_found" else None,
                )
            )
        else:
            detail = f"ECR repository {repository} has the tag(s) {', '.join(sorted(set(asked)))}"
            results.append(
                CheckResult(
                    category,
                    "ecr_image",
                    "refutes" if category == "image_not_found" else "inconclusive",
                    detail,
                    (EvidenceItem(source="ecr:DescribeImages", fact=detail),),
                    {"repository": repository},
                )
            )
    return results


def _foreign_image(image: str, account: str, category: str) -> CheckResult:
    """An image in another account's ECR: that account's repository policy decides who may pull it."""
    detail = (
        f"the image {image} is in another account's ECR ({account}): its repository policy must allow this "
        "account's execution role ecr:BatchGetImage, ecr:GetDownloadUrlForLayer and "
        "ecr:BatchCheckLayerAvailability (and the role's own policy those actions on it); that policy is "
        f"account {account}'s to read and change"
    )
    return CheckResult(
        category,
        "ecr_image",
        "confirms" if category == "image_pull_auth" else "inconclusive",
        detail,
        (EvidenceItem(source="task definition image", fact=detail),),
        {"repository": image.split("/", 1)[-1].split(":", 1)[0].split("@", 1)[0], "account": account},
    )


def check_secrets(evidence: LiveEvidence, category: str) -> list[CheckResult]:
    missing = [
        ref
        for ref, state in evidence.secrets.items()
        if state in ("ResourceNotFoundException", "ParameterNotFound")
    ]
    present = [ref for ref, state in evidence.secrets.items() if state == "exists"]
    if missing:
        detail = "the task definition references secrets that do not exist: " + ", ".join(missing)
        return [
            CheckResult(
                category,
                "secret_exists",
                "confirms",
                detail,
                tuple(
                    EvidenceItem(source=evidence.secret_sources.get(ref, ""), fact=f"{ref} does not exist")
                    for ref in missing
                ),
                {"secret": missing[0], "secrets": " ".join(missing)},
            )
        ]
    if present:
        # a reference not asked about (a diagnosis asks about so many; a gap says so) is not said to exist
        _, definition = definition_of(evidence, category)
        unread = [r for r in secret_references(definition, category) if r not in evidence.secrets]
        said = "every referenced secret exists: " if not unread else "the referenced secrets read exist: "
        return [
            CheckResult(
                category,
                "secret_exists",
                "inconclusive",
                said + ", ".join(present) + (f" (not read: {', '.join(unread)})" if unread else ""),
            )  # which to look at, the references as written say (checks/naming.py: with their JSON key)
        ]
    return []


def log_group_of(evidence: LiveEvidence, category: str) -> str:
    """The awslogs group of the task this cause explains (from its task definition), or the one given."""
    task = evidence.task_for(category)
    stream = log_stream(task, evidence.task_definitions) if task is not None else None
    if stream is not None:
        return stream[0]
    return evidence.log_stream[0] if evidence.log_stream else ""


def check_log_group(evidence: LiveEvidence, category: str) -> list[CheckResult]:
    group = log_group_of(evidence, category)
    if evidence.log_groups is None or not group:
        return []
    if group in evidence.log_groups:
        return [
            CheckResult(
                category, "log_group", "refutes", f"the log group {group} exists", names={"log_group": group}
            )
        ]
    detail = f"the log group {group} does not exist (and the task cannot create it)"
    return [
        CheckResult(
            category,
            "log_group",
            "confirms",
            detail,
            (EvidenceItem(source="logs:DescribeLogGroups", fact=detail),),
            {"log_group": group},
        )
    ]


def check_trail(evidence: LiveEvidence, category: str) -> list[CheckResult]:
    if not evidence.trail:
        return []
    task = evidence.task_for(category)
    task_id = str((task or {}).get("taskArn", "")).rsplit("/", 1)[-1]
    for event in evidence.trail:
        raw = str(event.get("CloudTrailEvent", ""))
        if task_id and task_id not in raw:
            continue
        who = event.get("Username") or _caller(raw)
        detail = f"StopTask was called by {who} at {event.get('EventTime')}"
        return [
            CheckResult(
                category,
                "cloudtrail_stoptask",
                "confirms",
                detail,
                (EvidenceItem(source="cloudtrail:LookupEvents", fact=detail),),
            )
        ]
    return [
        CheckResult(
            category,
            "cloudtrail_stoptask",
            "inconclusive",
            "no StopTask call for this task in CloudTrail around its stop (CloudFormation, CodeDeploy or the "
            "service scheduler may have stopped it)",
        )
    ]


def _caller(raw: str) -> str:
    try:
        identity = json.loads(raw).get("userIdentity", {})
    except (ValueError, AttributeError):
        return "an unknown caller"
    return str(identity.get("arn") or identity.get("principalId") or "an unknown caller")
