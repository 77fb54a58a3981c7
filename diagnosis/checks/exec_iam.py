"""ECS Exec's IAM checks: the task role (not the execution role) must be allowed the four ssmmessages actions,
and, when the cluster's executeCommandConfiguration sets them, kms:Decrypt on its key and the logging
actions on its log group and bucket. Decisions come from iam:SimulatePrincipalPolicy; `simulations` says
which to ask for, so the collector and the checks agree on them."""

from __future__ import annotations

import shlex
from typing import Any

from diagnosis.checks import needs
from diagnosis.checks.evidence import LiveEvidence
from diagnosis.checks.exec import ExecCheck, ExecFacts, Outcome
from diagnosis.checks.task_role import role_name
from diagnosis.policy import allow_policy

CHANNELS = (
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
)
LOG_ACTIONS = (
    "logs:DescribeLogGroups",
    "logs:CreateLogStream",
    "logs:DescribeLogStreams",
    "logs:PutLogEvents",
)
SIMULATED = (needs.EXEC_SIMULATION, needs.CLUSTER, needs.TASK_DEFINITIONS, needs.SERVICE)

Simulation = tuple[str, tuple[str, ...], tuple[str, ...]]  # (principal ARN, actions, resource ARNs)


def exec_configuration(cluster: dict[str, Any] | None) -> dict[str, Any]:
    return dict(((cluster or {}).get("configuration") or {}).get("executeCommandConfiguration") or {})


def arn_parts(evidence: LiveEvidence) -> tuple[str, str]:
    """(partition, account) of the service, from its ARN."""
    parts = str((evidence.service or {}).get("serviceArn", "")).split(":")
    return (parts[1], parts[4]) if len(parts) > 5 else ("aws", "")


def key_arn(key: str, evidence: LiveEvidence) -> str:
    """The KMS key as an ARN (an ID or an alias is in the service's account and region)."""
    if key.startswith("arn:"):
        return key
    partition, account = arn_parts(evidence)
    return (
        f"arn:{partition}:kms:{evidence.region}:{account}:{key if key.startswith('alias/') else 'key/' + key}"
    )


def simulations(facts: ExecFacts) -> dict[str, Simulation]:
    """Purpose -> what to simulate: the task role's channels (and the execution role's, to say when they are
    on the wrong role); kms:Decrypt on the cluster's key; the logging actions on its group and bucket."""
    evidence = facts.evidence
    role = facts.task_role()
    execution = str((facts.definition()[1] or {}).get("executionRoleArn") or "")
    if not role:
        return {}  # the task role check fails on that alone
    wanted: dict[str, Simulation] = {"channels": (role, CHANNELS, ())}
    if execution and execution != role:
        wanted["execution_channels"] = (execution, CHANNELS, ())  # to say they are on the wrong role
    config = exec_configuration(evidence.cluster)
    partition, account = arn_parts(evidence)
    if config.get("kmsKeyId"):
        wanted["kms"] = (role, ("kms:Decrypt",), (key_arn(str(config["kmsKeyId"]), evidence),))
    if config.get("logging") == "OVERRIDE":
        log = config.get("logConfiguration") or {}
        group = log.get("cloudWatchLogGroupName")
        if group:
            arn = f"arn:{partition}:logs:{evidence.region}:{account}:log-group:{group}:*"
            wanted["logs"] = (role, LOG_ACTIONS, (arn,))
        bucket = log.get("s3BucketName")
        if bucket:
            objects = f"arn:{partition}:s3:::{bucket}/{log.get('s3KeyPrefix') or ''}*"
            wanted["s3"] = (role, ("s3:PutObject",), (objects,))
            if log.get("s3EncryptionEnabled"):
                wanted["s3_encryption"] = (
                    role,
                    ("s3:GetEncryptionConfiguration",),
                    (f"arn:{partition}:s3:::{bucket}",),
                )
    return wanted


def _put_policy(role: str, name: str, actions: list[str], resource: str = "*") -> str:
    return (
        f"aws iam put-role-policy --role-name {shlex.quote(role_name(role))} --policy-name {name} "
        f"--policy-document {shlex.quote(allow_policy((action, resource) for action in actions))}"
    )


def _decisions(facts: ExecFacts, purpose: str) -> dict[str, str] | Outcome:
    read = facts.evidence.exec_simulations.get(purpose)
    if read is None:
        return facts.missing("iam:SimulatePrincipalPolicy", "the task role's permissions (simulation)")
    return read


def _denied(decisions: dict[str, str], actions: tuple[str, ...]) -> list[str]:
    return [f"{a} ({decisions.get(a) or 'not evaluated'})" for a in actions if decisions.get(a) != "allowed"]


def check_task_role(facts: ExecFacts) -> Outcome:
    revision, definition = facts.definition()
    if definition is None:
        return facts.missing("ecs:DescribeTaskDefinition", "the task definition")
    role = facts.task_role()
    if not role:
        return Outcome(
            "fail",
            f"{revision} has no task role: the SSM agent in the task opens its channels with the task role "
            "(the execution role does not count)",
            fix="register a revision with a taskRoleArn whose role allows " + ", ".join(CHANNELS),
        )
    decisions = _decisions(facts, "channels")
    if isinstance(decisions, Outcome):
        return decisions
    denied = _denied(decisions, CHANNELS)
    if not denied:
        return Outcome(
            "pass", f"the task role {role_name(role)} is allowed the four ssmmessages actions (simulated)"
        )
    fact = f"the task role {role_name(role)} is denied {', '.join(denied)}"
    execution = facts.evidence.exec_simulations.get("execution_channels")
    if execution and not _denied(execution, CHANNELS):
        fact += " (they are allowed on the execution role, which ECS Exec does not use)"
    return Outcome("fail", fact, fix=_put_policy(role, "ecs-exec", list(CHANNELS)))


def check_kms(facts: ExecFacts) -> Outcome:
    if facts.evidence.cluster is None:
        return facts.missing("ecs:DescribeClusters", "the cluster's executeCommandConfiguration")
    key = exec_configuration(facts.evidence.cluster).get("kmsKeyId")
    if not key:
        return Outcome(
            "pass", "no KMS key in the cluster's executeCommandConfiguration: sessions use TLS only"
        )
    role = facts.task_role()
    if not role:
        return Outcome(
            "fail",
            f"the cluster encrypts sessions with KMS key {key}, and there is no task role to decrypt with",
        )
    decisions = _decisions(facts, "kms")
    if isinstance(decisions, Outcome):
        return decisions
    if decisions.get("kms:Decrypt") != "allowed":
        return Outcome(
            "fail",
            f"the task role {role_name(role)} is denied kms:Decrypt "
            f"({decisions.get('kms:Decrypt') or 'not evaluated'}) on {key}, the cluster's ECS Exec key",
            fix=_put_policy(role, "ecs-exec-kms", ["kms:Decrypt"], key_arn(str(key), facts.evidence)),
        )
    return Outcome(
        "pass",
        f"the task role {role_name(role)} may kms:Decrypt with {key} (simulated); whoever runs execute-command "
        "needs kms:GenerateDataKey on it",
    )


def check_logging(facts: ExecFacts) -> Outcome:
    cluster = facts.evidence.cluster
    if cluster is None:
        return facts.missing("ecs:DescribeClusters", "the cluster's executeCommandConfiguration")
    config = exec_configuration(cluster)
    logging = str(config.get("logging") or "DEFAULT")
    if logging == "NONE":
        return Outcome("pass", "logging=NONE: session output is not logged")
    if logging != "OVERRIDE":
        groups = [
            str(((c.get("logConfiguration") or {}).get("options") or {}).get("awslogs-group"))
            for c in (facts.definition()[1] or {}).get("containerDefinitions") or []
            if (c.get("logConfiguration") or {}).get("logDriver") == "awslogs"
        ]
        if not groups:
            return Outcome(
                "pass", f"logging={logging}: no container uses awslogs, so session output is not logged"
            )
        shown = ", ".join(dict.fromkeys(groups))
        return Outcome(
            "pass", f"logging={logging}: session output goes to the containers' awslogs group {shown}"
        )
    log = config.get("logConfiguration") or {}
    targets = [t for t in (log.get("cloudWatchLogGroupName"), log.get("s3BucketName")) if t]
    if not targets:
        return Outcome("fail", "logging=OVERRIDE without a log group or bucket in logConfiguration")
    role = facts.task_role()
    if not role:
        return Outcome(
            "fail", f"logging=OVERRIDE to {', '.join(targets)}, and there is no task role to write with"
        )
    denied: list[str] = []
    fixes: list[str] = []
    checked = (
        ("logs", LOG_ACTIONS, log.get("cloudWatchLogGroupName")),
        ("s3", ("s3:PutObject",), log.get("s3BucketName")),
        (
            "s3_encryption",
            ("s3:GetEncryptionConfiguration",),
            log.get("s3BucketName") if log.get("s3EncryptionEnabled") else None,
        ),
    )
    wanted = simulations(facts)
    for purpose, actions, target in checked:
        if not target:
            continue
        decisions = _decisions(facts, purpose)
        if isinstance(decisions, Outcome):
            return decisions
        missing = _denied(decisions, actions)
        if missing:
            denied.append(f"{', '.join(missing)} on {target}")
            fixes.append(
                _put_policy(
                    role, f"ecs-exec-{purpose.replace('_', '-')}", list(actions), wanted[purpose][2][0]
                )
            )
    if denied:
        return Outcome(
            "fail", f"the task role {role_name(role)} is denied {'; '.join(denied)}", fix=" && ".join(fixes)
        )
    return Outcome(
        "pass",
        f"logging=OVERRIDE to {', '.join(targets)}: the task role {role_name(role)} may write there (simulated)",
    )


TASK_ROLE = ExecCheck(
    "task_role",
    "The task role (not the execution role) may open the SSM channels (ssmmessages)",
    SIMULATED,
    check_task_role,
)
KMS = ExecCheck(
    "kms_key", "The task role may use the cluster's ECS Exec KMS key, when one is set", SIMULATED, check_kms
)
LOGGING = ExecCheck(
    "session_logging",
    "The task role may write session logs where the cluster's executeCommandConfiguration sends them",
    SIMULATED,
    check_logging,
)
