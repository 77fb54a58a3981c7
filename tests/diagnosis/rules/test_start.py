"""Start-failure rules: pull, secrets, logging, ENI, volumes, container start, invalid definitions.

Wordings follow the ECS developer guide's stopped-task error pages and the containerd / Docker errors that
tasks quote, varied on purpose (lower-cased error types, console truncation, account IDs and ARNs inside).
"""

from __future__ import annotations

import pytest

from diagnosis.rules import pull, read_message, start
from diagnosis.signals import Message

ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com"


def category(text: str) -> str | None:
    match = read_message(text)
    return match.category if match else None


# --- image pull ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "image"),
    [
        (
            "cannotpullcontainererror: pull image manifest has been retried 1 time(s): failed to resolve ref "
            "123456789012.dkr.ecr.eu-central-1.amazonaws.com/orders:2024-05-01: "
            "123456789012.dkr.ecr.eu-central-1.amazonaws.com/orders:2024-05-01: not found",
            "123456789012.dkr.ecr.eu-central-1.amazonaws.com/orders:2024-05-01",
        ),
        (
            "CannotPullContainerError: Error response from daemon: manifest for nginx:1.99.9 not found: "
            "manifest unknown: manifest unknown",
            "nginx:1.99.9",
        ),
        (
            f"CannotPullContainerError: Error response from daemon: repository {ECR}/app not found: name "
            "unknown: The repository with name 'app' does not exist in the registry with id '123456789012'",
            f"{ECR}/app",
        ),
        (
            f"CannotPullContainerError: API error (404): repository {ECR}/payments/ledger not found",
            f"{ECR}/payments/ledger",
        ),
    ],
)
def test_image_not_found(text: str, image: str) -> None:
    match = read_message(text)
    assert match is not None
    assert match.category == "image_not_found"
    assert match.names["image"] == image


@pytest.mark.parametrize(
    "text",
    [
        f"CannotPullContainerError: Error response from daemon: Get https://{ECR}/v2/web/manifests/v3: "
        "no basic auth credentials",
        "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref "
        "ghcr.io/acme/worker:v7: failed to authorize: failed to fetch anonymous token: unexpected status: "
        "401 Unauthorized",
        f"CannotPullContainerError: failed to resolve ref {ECR}/api@sha256:"
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08: pulling from host "
        f"{ECR} failed with status code [manifests sha256:9f86d081884c]: 403 Forbidden",
        "CannotPullContainerError: Error response from daemon: Get https://registry.gitlab.com/v2/acme/api/"
        "manifests/v3: unauthorized: HTTP Basic: Access denied",
    ],
)
def test_image_pull_auth(text: str) -> None:
    match = read_message(text)
    assert match is not None
    assert match.category == "image_pull_auth"
    assert match.confidence >= 0.8


def test_image_ref_with_digest_is_extracted() -> None:
    msg = Message(
        f"CannotPullContainerError: failed to resolve ref {ECR}/api@sha256:"
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08: 403 Forbidden"
    )
    assert msg.image == f"{ECR}/api@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


@pytest.mark.parametrize(
    ("text", "image"),
    [
        (
            "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref "
            "docker.io/myorg/private-api:1.4: pull access denied, repository does not exist or may require "
            "authorization: server message: insufficient_scope: authorization failed",
            "docker.io/myorg/private-api:1.4",
        ),
        (
            "CannotPullContainerError: Error response from daemon: pull access denied for "
            "acme/internal-tool, "
            "repository does not exist or may require 'docker login': denied: requested access to the "
            "resource is denied",
            "acme/internal-tool",
        ),
    ],
)
def test_pull_access_denied_is_auth_or_not_found(text: str, image: str) -> None:
    match = read_message(text)
    assert match is not None
    assert match.category == "image_pull_auth"
    assert "image_not_found" in match.alternatives
    assert match.confidence < 0.8
    assert match.names["image"] == image


def test_pull_access_denied_names_the_missing_ecr_action() -> None:
    match = read_message(
        f"CannotPullContainerError: Error response from daemon: pull access denied for {ECR}/billing, "
        "repository does not exist or may require 'docker login': denied: User: "
        "arn:aws:sts::123456789012:assumed-role/ecsTaskExecutionRole/5f2 is not authorized to perform: "
        "ecr:BatchGetImage on resource"
    )
    assert match is not None
    assert match.category == "image_pull_auth"
    assert match.names["iam_action"] == "ecr:BatchGetImage"
    assert match.names["image"] == f"{ECR}/billing"


@pytest.mark.parametrize(
    "text",
    [
        f"CannotPullContainerError: Error response from daemon: Get https://{ECR}/v2/: net/http: request "
        "canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)",
        "CannotPullContainerError: ref pull has been retried 1 time(s): failed to copy: httpReadSeeker: "
        'failed open: failed to do request: Get "https://prod-us-east-1-starport-layer-bucket.s3.us-east-1.'
        'amazonaws.com/4a2b-123456789012-9c1d/abc": dial tcp 52.216.1.2:443: i/o timeout',
        "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref "
        'public.ecr.aws/nginx/nginx:stable: failed to do request: Head "https://public.ecr.aws/v2/nginx/'
        'nginx/manifests/stable": dial tcp 99.83.145.10:443: connect: connection timed out',
        # the credentials for ECR could not be fetched: a network problem, not a secret one
        "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval "
        "failed: unable to retrieve ecr registry auth: service call has been retried 3 time(s): "
        'RequestError: send request failed caused by: Post "https://api.ecr.us-east-1.amazonaws.com/": '
        "dial tcp 10.0.0.12:443: i/o timeout",
    ],
)
def test_image_pull_network(text: str) -> None:
    assert category(text) == "image_pull_network"


def test_docker_hub_timeout_mentions_rate_limit_as_alternative() -> None:
    match = read_message(
        'CannotPullContainerError: Error response from daemon: Get "https://registry-1.docker.io/v2/": '
        "net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting "
        "headers)"
    )
    assert match is not None
    assert match.category == "image_pull_network"
    assert "registry_rate_limit" in match.alternatives


def test_truncated_pull_keeps_every_pull_cause_open() -> None:
    match = read_message(
        "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref "
        f"{ECR}/app:v1: pulling from host {ECR[:30]}..."
    )
    assert match is not None
    assert match.category in ("image_not_found", "image_pull_network", "image_pull_auth")
    assert match.confidence <= 0.6
    assert len(match.alternatives) >= 2
    assert match.names["image"] == f"{ECR}/app:v1"


def test_truncated_ecr_registry_auth_is_not_image_not_found() -> None:
    assert category(
        "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval "
        "failed: unable to retrieve ecr registry auth: service call has been retried 3 time(s): Reque..."
    ) in ("image_pull_network", "image_pull_auth")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            f"CannotPullContainerError: Error response from daemon: Get https://{ECR}/v2/: net/http: "
            "request canceled while waiting for connection",
            "",
        ),
        (
            f"CannotPullContainerError: Error response from daemon: Get https://{ECR}/v2/web/manifests/v3: "
            "no basic auth credentials",
            "",
        ),
    ],
)
def test_registry_api_url_is_not_an_image(text: str, expected: str) -> None:
    image = Message(text).image
    assert "/v2/" not in image
    assert image in (expected, f"{ECR}/web:v3")


# --- rate limit and platform ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "CannotPullContainerError: inspect image has been retried 5 time(s): httpReaderSeeker: failed open: "
        "unexpected status code https://registry-1.docker.io/v2/library/nginx/manifests/sha256:0d17b565c3: "
        "429 Too Many Requests - Server message: toomanyrequests: You have reached your pull rate limit.",
        "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref "
        "docker.io/library/redis:7: unexpected status from HEAD request to https://registry-1.docker.io/v2/"
        "library/redis/manifests/7: 429 Too Many Requests",
        "Error response from daemon: TOOMANYREQUESTS: You have reached your pull rate limit",
    ],
)
def test_registry_rate_limit(text: str) -> None:
    assert category(text) == "registry_rate_limit"


def test_rate_limit_without_a_pull_is_not_registry_rate_limit() -> None:
    assert pull.rate_limit(Message("ThrottlingException: Rate exceeded while describing services")) is None


def test_secrets_manager_throttling_is_a_secrets_failure() -> None:
    assert (
        category(
            "ResourceInitializationError: unable to pull secrets or registry auth: execution resource "
            "retrieval"
            " failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to "
            "fetch secret arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf from secrets "
            "manager: ThrottlingException: Rate exceeded"
        )
        == "secrets_retrieval"
    )


@pytest.mark.parametrize(
    ("text", "platform"),
    [
        (
            "CannotPullContainerError: image Manifest does not contain descriptor matching platform "
            "'linux/arm64'",
            "linux/arm64",
        ),
        (
            "CannotPullContainerError: Error response from daemon: no matching manifest for linux/amd64 in "
            "the "
            "manifest list entries",
            "linux/amd64",
        ),
        ("exec /usr/local/bin/docker-entrypoint.sh: exec format error", ""),
        ("standard_init_linux.go:228: exec user process caused: exec format error", ""),
    ],
)
def test_image_platform_mismatch(text: str, platform: str) -> None:
    match = read_message(text)
    assert match is not None
    assert match.category == "image_platform_mismatch"
    if platform:
        assert match.names["platform"] == platform


def test_platform_is_not_taken_for_an_image() -> None:
    assert Message("no matching manifest for linux/amd64 in the manifest list entries").image == ""


def test_containerd_no_match_for_platform() -> None:
    assert (
        category(
            "CannotPullContainerError: ref pull has been retried 1 time(s): failed to unpack image on "
            "snapshotter overlayfs: no match for platform in manifest: not found"
        )
        == "image_platform_mismatch"
    )


# --- ResourceInitializationError: secrets, env files, logging ------------------------------------------


def test_secret_access_denied_names_secret_and_action() -> None:
    secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf"
    match = read_message(
        "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval "
        "failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to "
        "fetch "
        f"secret {secret} from secrets manager: AccessDeniedException: User: arn:aws:sts::123456789012:"
        "assumed-role/ecsTaskExecutionRole/ab12 is not authorized to perform: secretsmanager:GetSecretValue "
        f"on resource: {secret}"
    )
    assert match is not None
    assert match.category == "secrets_retrieval"
    assert match.names["secret"] == secret
    assert match.names["iam_action"] == "secretsmanager:GetSecretValue"
    assert "AccessDenied" in match.clue


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (
            "ResourceInitializationError: unable to pull secrets or registry auth: execution resource "
            "retrieval failed: unable to retrieve secrets from ssm: service call has been retried 1 time(s): "
            "invalid parameters: /prod/api/DB_PASSWORD",
            "/prod/api/DB_PASSWORD",  # the parameter, by the name the task definition gave it
        ),
        (
            "ResourceInitializationError: unable to pull secrets or registry auth: execution resource "
            "retrieval failed: unable to retrieve secrets from ssm: service call has been retried 1 time(s): "
            "AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/exec-role/1a2b is not "
            "authorized to perform: ssm:GetParameters on resource: "
            "arn:aws:ssm:us-east-1:123456789012:parameter/prod/api/key",
            "arn:aws:ssm:us-east-1:123456789012:parameter/prod/api/key",
        ),
        (
            "ResourceInitializationError: failed to download env files: file download command: non empty "
            "error stream: failed to download env file arn:aws:s3:::my-config-bucket/prod.env: NoSuchKey: "
            "The specified key does not exist.",
            "arn:aws:s3:::my-config-bucket/prod.env",
        ),
        (
            "ResourceInitializationError: failed to download env files: file download command: non empty "
            "error stream: service call has been retried 5 time(s): AccessDenied: Access Denied",
            "",
        ),
        (
            "resourceinitializationerror: unable to pull secrets or registry auth: execution resource "
            "retrieval failed: unable to retrieve secrets from ssm: service call has been retried 5 time(s): "
            "RequestCanceled: request context canceled caused by: context deadline exceeded",
            "",
        ),
    ],
)
def test_secrets_retrieval(text: str, secret: str) -> None:
    match = read_message(text)
    assert match is not None
    assert match.category == "secrets_retrieval"
    assert match.names.get("secret", "") == secret


def test_secret_timeout_clue_says_network() -> None:
    match = read_message(
        "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval "
        "failed: unable to retrieve secrets from ssm: service call has been retried 5 time(s): "
        "RequestError: send request failed caused by: dial tcp 10.0.3.4:443: i/o timeout"
    )
    assert match is not None
    assert match.category == "secrets_retrieval"
    assert "timed out" in match.clue or "endpoint" in match.clue


def test_registry_credentials_from_secrets_manager() -> None:
    """Private-registry credentials kept in Secrets Manager: a secret failure, with the secret named."""
    match = read_message(
        "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval "
        "failed: unable to get registry auth from asm: service call has been retried 1 time(s): asm fetching "
        "secret from the service for arn:aws:secretsmanager:eu-west-1:123456789012:secret:dockerhub-creds-"
        "Xy12Ab: ResourceNotFoundException: Secrets Manager can't find the specified secret."
    )
    assert match is not None
    assert match.category in ("secrets_retrieval", "image_pull_auth")
    assert (
        match.names["secret"] == "arn:aws:secretsmanager:eu-west-1:123456789012:secret:dockerhub-creds-Xy12Ab"
    )


def test_unable_to_pull_secrets_without_detail_is_ambiguous() -> None:
    match = read_message(
        "ResourceInitializationError: unable to pull secrets or registry auth: pull command failed: : "
        "signal: killed"
    )
    assert match is not None
    assert match.category == "secrets_retrieval"
    assert set(match.alternatives) >= {"image_pull_auth", "image_pull_network"}
    assert match.confidence < 0.7


@pytest.mark.parametrize(
    "text",
    [
        "ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times:"
        " failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not"
        " exist. : exit status 1",
        "ResourceInitializationError: failed to validate logger args: : signal: killed",
        "ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times:"
        ' failed to create Cloudwatch log stream: RequestError: send request failed caused by: Post "https://'
        'logs.eu-west-1.amazonaws.com/": dial tcp 10.1.2.3:443: i/o timeout : exit status 1',
        "CannotStartContainerError: Error response from daemon: failed to initialize logging driver: failed "
        "to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist.",
    ],
)
def test_log_driver_init(text: str) -> None:
    assert category(text) == "log_driver_init"


def test_log_driver_access_denied_names_action() -> None:
    match = read_message(
        "CannotStartContainerError: Error response from daemon: failed to initialize logging driver: failed "
        "to create Cloudwatch log stream: AccessDeniedException: User: "
        "arn:aws:sts::123456789012:assumed-role/"
        "ecsTaskExecutionRole/x is not authorized to perform: logs:CreateLogStream"
    )
    assert match is not None
    assert match.category == "log_driver_init"
    assert match.names["iam_action"] == "logs:CreateLogStream"


# --- ENI, volumes ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "subnet"),
    [
        (
            "ResourceInitializationError: failed to configure ENI: failed to setup regular eni: netplugin "
            "failed "
            "with no error message",
            "",
        ),
        ("Timeout waiting for network interface provisioning to complete.", ""),
        (
            "(service worker) failed to launch a task with (error ECS was unable to create network "
            "interface in "
            "subnet-0a1b2c3d4e5f67890: The subnet has insufficient free IP addresses).",
            "subnet-0a1b2c3d4e5f67890",
        ),
        (
            "ResourceInitializationError: failed to configure ENI: netplugin failed: \"failed to get eni's "
            'subnet: subnet does not have any free IP addresses"',
            "",
        ),
    ],
)
def test_eni_or_subnet(text: str, subnet: str) -> None:
    match = read_message(text)
    assert match is not None
    assert match.category == "eni_or_subnet"
    assert match.names.get("subnet", "") == subnet


@pytest.mark.parametrize(
    ("text", "efs"),
    [
        (
            "ResourceInitializationError: failed to invoke EFS utils commands to set up EFS volumes: stderr: "
            'Failed to resolve "fs-0123456789abcdef0.efs.us-east-1.amazonaws.com" - check that your file '
            "system "
            "ID is correct",
            "fs-0123456789abcdef0",
        ),
        (
            "ResourceInitializationError: failed to invoke EFS utils commands to set up EFS volumes: stderr: "
            "mount.nfs4: Connection timed out : unsuccessful EFS utils command execution; code: 32",
            "",
        ),
        (
            "CannotCreateVolumeError: create volume failed: Error response from daemon: error while mounting "
            "volume: mount failed: exit status 32",
            "",
        ),
    ],
)
def test_volume_mount(text: str, efs: str) -> None:
    match = read_message(text)
    assert match is not None
    assert match.category == "volume_mount"
    assert match.names.get("efs", "") == efs


# --- container start, runtime timeout --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "path", "alternatives"),
    [
        (
            "CannotStartContainerError: Error response from daemon: OCI runtime create failed: "
            "container_linux."
            'go:349: starting container process caused "exec: \\"/docker-entrypoint.sh\\": permission '
            'denied": '
            "unknown",
            "/docker-entrypoint.sh",
            ("command_not_found",),
        ),
        (
            "CannotStartContainerError: ResourceInitializationError: failed to create new container "
            "runtime task:"
            " failed to create shim task: OCI runtime create failed: runc create failed: unable to start "
            'container process: exec: "gunicorn": executable file not found in $PATH: unknown',
            "gunicorn",
            ("command_not_found",),
        ),
        (
            "CannotStartContainerError: Error response from daemon: unable to find user appuser: no matching "
            "entries in passwd file",
            "",
            (),
        ),
    ],
)
def test_container_start_failure(text: str, path: str, alternatives: tuple[str, ...]) -> None:
    match = read_message(text)
    assert match is not None
    assert match.category == "container_start_failure"
    assert match.names.get("path", "") == path
    assert match.alternatives == alternatives


def test_container_start_detail_says_which_problem() -> None:
    match = read_message(
        "CannotStartContainerError: Error response from daemon: unable to find user appuser: no matching "
        "entries in passwd file"
    )
    assert match is not None
    assert "user" in match.clue


def test_resource_initialization_wrapping_an_oci_exec_failure() -> None:
    assert category(
        "ResourceInitializationError: failed to create new container runtime task: failed to create shim "
        "task: OCI runtime create failed: runc create failed: unable to start container process: exec: "
        '"./entrypoint.sh": stat ./entrypoint.sh: no such file or directory: unknown'
    ) in ("container_start_failure", "command_not_found")


@pytest.mark.parametrize(
    "text",
    [
        "ContainerRuntimeTimeoutError: Could not transition to running; timed out after waiting 3m0s",
        "Containerruntimetimeouterror: Could not transition to created; timed out after waiting 4m0s",
        "CannotStartContainerError: context deadline exceeded",
    ],
)
def test_runtime_timeout(text: str) -> None:
    assert category(text) == "runtime_timeout"


def test_cannot_create_container_conflict_is_the_runtime() -> None:
    match = read_message(
        'CannotCreateContainerError: Error response from daemon: Conflict. The container name "/ecs-web-12-'
        'app-d4c2" is already in use by container "6b1f"'
    )
    assert match is not None
    assert match.category == "agent_or_docker_daemon"
    assert "container_start_failure" in match.alternatives


# --- invalid task definition or parameter ---------------------------------------------------------------


def test_role_ecs_cannot_assume_is_named() -> None:
    match = read_message(
        "(service web-api) failed to launch a task with (error ECS was unable to assume the role "
        "'arn:aws:iam::123456789012:role/ecsTaskExecutionRole' that was provided for this task. Please "
        "verify "
        "that the role being passed has the proper trust relationship and permissions and that your IAM user "
        "has permissions to pass this role.)."
    )
    assert match is not None
    assert match.category == "invalid_task_definition_or_parameter"
    assert match.names["role"] == "arn:aws:iam::123456789012:role/ecsTaskExecutionRole"


@pytest.mark.parametrize(
    "text",
    [
        "ClientException: Fargate requires task definition to have execution role ARN to support ECR images.",
        "InvalidParameterException: No Fargate configuration exists for given values: 512 CPU, 8192 memory",
        "ClientException: Invalid 'cpu' setting for task.",
        "clientexception: TaskDefinition is inactive",
    ],
)
def test_invalid_task_definition(text: str) -> None:
    assert category(text) == "invalid_task_definition_or_parameter"


def test_start_rules_ignore_other_families() -> None:
    for rule in (pull.image_pull, start.volume, start.network_interface, start.container_start):
        assert rule(Message("OutOfMemoryError: Container killed due to memory usage")) is None
        assert rule(Message("Task failed ELB health checks")) is None


def test_truncated_ecr_registry_auth_is_a_pull_problem() -> None:
    """The credential fetch for ECR was cut off before its cause: the image was never looked up."""
    match = read_message(
        "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval "
        "failed: unable to retrieve ecr registry auth: service call has been retried 3 time(s): Reque..."
    )
    assert match is not None
    assert match.category in ("image_pull_network", "image_pull_auth")
    assert match.confidence < 0.7


# --- the role a refusal names --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "role_arn"),
    [
        (
            "ResourceInitializationError: unable to pull secrets or registry auth: execution resource "
            "retrieval failed: unable to retrieve secret from asm: failed to fetch secret "
            "arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db-AbCdEf from secrets manager: "
            "AccessDeniedException: User: arn:aws:sts::111122223333:assumed-role/orders-exec/8f2a is not "
            "authorized to perform: secretsmanager:GetSecretValue",
            "arn:aws:iam::111122223333:role/orders-exec",
        ),
        (
            "ResourceInitializationError: unable to pull secrets or registry auth: unable to retrieve "
            "secrets from ssm: AccessDeniedException: User: "
            "arn:aws-cn:sts::222233334444:assumed-role/Billing.Exec@prod/ecs-task is not authorized to "
            "perform: ssm:GetParameters on resource: arn:aws-cn:ssm:cn-north-1:222233334444:parameter/db",
            "arn:aws-cn:iam::222233334444:role/Billing.Exec@prod",
        ),
        (
            f"CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve "
            f"ref {ECR}/web:1.4: pulling from host {ECR} failed with status code [manifests 1.4]: 403 "
            "Forbidden User: arn:aws:sts::123456789012:assumed-role/web-task-exec/9f1 is not authorized to "
            "perform: ecr:BatchGetImage",
            "arn:aws:iam::123456789012:role/web-task-exec",
        ),
    ],
)
def test_a_refused_start_names_the_execution_role_that_made_the_call(text: str, role_arn: str) -> None:
    match = read_message(text)
    assert match is not None and match.category in ("secrets_retrieval", "image_pull_auth")
    assert match.names["execution_role_arn"] == role_arn
    assert match.names["execution_role"] == role_arn.rsplit("/", 1)[-1]


def test_the_service_linked_role_of_a_refused_network_interface_is_no_execution_role() -> None:
    text = (
        "ResourceInitializationError: failed to configure ENI: User: "
        "arn:aws:sts::123456789012:assumed-role/AWSServiceRoleForECS/ecs-service-scheduler is not "
        "authorized to perform: ec2:CreateNetworkInterface"
    )
    match = read_message(text)
    assert match is not None and match.category == "eni_or_subnet"
    assert "execution_role_arn" not in match.names
    assert Message(text).role == "arn:aws:iam::123456789012:role/AWSServiceRoleForECS"


@pytest.mark.parametrize(
    "reason",
    [
        # the ECS volume plugin (amazon-ecs-init#301), before and after it added the mount's stderr
        "Error response from daemon: create efsvolume0: VolumeDriver.Create: mounting volume failed: exit status 32",
        "Error response from daemon: create efsvolume0: VolumeDriver.Create: mounting volume failed: mount.nfs4: "
        "Connection reset by peer",
    ],
)
def test_a_docker_volume_plugin_s_error_is_a_volume_failure(reason: str) -> None:
    assert category(reason) == "volume_mount"
