"""Secrets and what fetches them: an execution role wherever ECS pulls or fetches on the task's behalf,
secrets in the task's own partition, account and region, and the role's permission to read them."""

from __future__ import annotations

from collections.abc import Iterator

from diagnosis.knowledge.base import EXEC_ROLE
from diagnosis.prevent.inputs.roles import grants
from diagnosis.prevent.model import Fix, Subject, Violation
from diagnosis.prevent.rules.base import Rule
from diagnosis.prevent.rules.fixes import task_fix
from diagnosis.prevent.rules.images import parse_image
from diagnosis.prevent.rules.logging import awslogs
from diagnosis.prevent.values import as_str
from diagnosis.secret_reference import parse_reference


def secret_refs(subject: Subject) -> Iterator[tuple[str, str]]:
    """(container, valueFrom) of every secret, also of log driver secretOptions."""
    for container in subject.containers:
        name = str(container.get("name", ""))
        config = container.get("logConfiguration") or {}
        options = config.get("secretOptions") if isinstance(config, dict) else None
        for secret in [*(container.get("secrets") or []), *(options or [])]:
            ref = as_str(secret.get("valueFrom")) if isinstance(secret, dict) else None
            if ref:
                yield name, ref


def execution_role(subject: Subject) -> Iterator[Violation]:
    if subject.task_definition.get("executionRoleArn"):
        return
    needs = []
    if any(True for _ in secret_refs(subject)):
        needs.append("fetch its secrets")
    if any(c.get("repositoryCredentials") for c in subject.containers):
        needs.append("log in to its private registry")
    if subject.fargate:
        if any(parse_image(as_str(c.get("image")) or "").ecr for c in subject.containers):
            needs.append("pull its ECR images")
        if any(True for _ in awslogs(subject)):
            needs.append("send its awslogs")
    if needs:
        account = subject.account or "ACCOUNT_ID"
        role = f"arn:{subject.partition or 'aws'}:iam::{account}:role/ecsTaskExecutionRole"
        yield Violation(
            f"the task definition has no executionRoleArn, but ECS needs one to {' and '.join(needs)}",
            task_fix(subject, ("executionRoleArn", role)),
        )


def location(subject: Subject) -> Iterator[Violation]:
    for container, ref in secret_refs(subject):
        parsed = parse_reference(ref)
        if not parsed.partition:  # an SSM parameter by its name: in the task's own region and account
            continue
        if subject.partition and parsed.partition != subject.partition:
            yield Violation(
                f"container {container} reads {ref} from partition {parsed.partition}, but the task runs in "
                f"{subject.partition}: no role reads across partitions, so the secret must be in the task's",
                container=container,
                severity="error",
            )
            continue
        away = []
        if subject.region and parsed.region and parsed.region != subject.region:
            away.append(f"region {parsed.region} (the task runs in {subject.region})")
        if subject.account and parsed.account and parsed.account != subject.account:
            away.append(f"account {parsed.account} (the task runs in {subject.account})")
        if away:
            yield Violation(
                f"container {container} reads {ref} from another {' and '.join(away)}: it needs a resource "
                "policy that lets the execution role read it, a customer managed KMS key for another "
                "account, and a way out to that region (this region's VPC endpoints do not reach it)",
                Fix(
                    cli=f"aws secretsmanager get-resource-policy --secret-id {parsed.secret_id}"
                    if parsed.store == "secretsmanager"
                    else None
                ),
                container=container,
            )


def permission(subject: Subject) -> Iterator[Violation]:
    actions = (subject.role_actions or {}).get("execution")
    if actions is None:
        return
    for container, ref in secret_refs(subject):
        action = "secretsmanager:GetSecretValue" if ":secretsmanager:" in ref else "ssm:GetParameters"
        if not grants(actions, action):
            secret = parse_reference(ref).secret_id  # IAM acts on the secret, not on its :json-key:stage:id
            yield Violation(
                f"container {container} reads {ref}, but the execution role is not allowed {action}",
                Fix(
                    cloudformation=f"ExecutionRole: Policies: allow {action} on {secret}",
                    terraform="aws_iam_role_policy for the execution role: "
                    f'Action = ["{action}"], Resource = "{secret}"',
                ),
                container=container,
            )


RULES = (
    Rule(
        "execution_role",
        "No execution role where ECS needs one",
        "error",
        "ECS fetches secrets, logs in to private registries, and on Fargate pulls ECR images and sends "
        "awslogs with the task execution role; without one the task stops before its containers start.",
        ("secrets_retrieval", "image_pull_auth", "log_driver_init"),
        execution_role,
        (EXEC_ROLE,),
    ),
    Rule(
        "secret_location",
        "Secret in another region or account",
        "warning",
        "A secret or parameter of another account or region is readable only with a resource policy, a "
        "customer managed KMS key (another account) and a network path to that region's endpoint; one of "
        "another partition (aws-cn, aws-us-gov, …) not at all.",
        ("secrets_retrieval",),
        location,
    ),
    Rule(
        "secret_permission",
        "Execution role may not read a secret",
        "error",
        "The execution role reads the task's secrets (secretsmanager:GetSecretValue, ssm:GetParameters) "
        "before the containers start; without that permission the task stops with ResourceInitializationError.",
        ("secrets_retrieval",),
        permission,
        (EXEC_ROLE,),
    ),
)
