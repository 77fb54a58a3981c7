"""Start failures: the task stopped before its containers ran."""

from __future__ import annotations

from dataclasses import replace

from diagnosis.knowledge.base import (
    CANNOT_PULL,
    DESCRIBE_TASK_DEF,
    DEV_GUIDE,
    EXEC_ROLE,
    RESOURCE_INIT,
    STOPPED_ERRORS,
    TASKDEF_PARAMS,
    CategoryInfo,
    Step,
)

# Where a secret lives decides how to look at it: the rule and `names.derive` say which store
# (`secret_store`: "ssm", "secretsmanager", "s3" for an environment file, or "" when nothing said), and only
# that store's steps are shown, once per secret the input names (`Step.per_secret`).
_EXISTS = {  # store: (what it is, how it must exist, the command that shows it)
    "ssm": (
        "an SSM parameter",
        "exists with the name or ARN the task definition uses (one in another region only by its ARN; "
        "this shows its metadata, not its value)",
        "aws ssm get-parameter --name {secret} --query 'Parameter.[Name,Type,Version,LastModifiedDate]'",
    ),
    "secretsmanager": (
        "a Secrets Manager secret",
        "exists with the ARN the task definition uses (the ARN without the :json-key:version-stage:version-id "
        "that may follow it)",
        "aws secretsmanager describe-secret --secret-id {secret}",
    ),
    "s3": (
        "an environment file in S3",
        "exists at the ARN the task definition's environmentFiles names",
        "aws s3 ls {secret_s3_url}",
    ),
}
_ENDPOINT = {
    "ssm": "an ssm interface VPC endpoint",
    "secretsmanager": "a secretsmanager interface VPC endpoint",
    "s3": "an s3 gateway VPC endpoint",
    "": "a secretsmanager / ssm interface VPC endpoint",
}
_VERSIONS = "aws secretsmanager describe-secret --secret-id {secret} --query VersionIdsToStages"
# What a reference may name of the version ECS reads (`…:version-stage:version-id`), and GetSecretValue's
# option for it: ECS passes both when both are named (amazon-ecs-agent getASMParametersFromInput).
_VERSION_OPTIONS = {"secret_version_stage": "--version-stage", "secret_version_id": "--version-id"}
_NAMED_VERSIONS = ((), ("secret_version_stage",), ("secret_version_id",), tuple(_VERSION_OPTIONS))


def _json_key_step(named: tuple[str, ...]) -> Step:
    """The JSON key's check when the reference names exactly these of the version names: it reads the
    version ECS reads (none named: AWSCURRENT, get-secret-value's default too)."""
    options = "".join(f" {_VERSION_OPTIONS[name]} {{{name}}}" for name in named)
    return Step(
        "Check that the value of the version ECS reads is a JSON object with the key {secret_json_key}, "
        "which the reference asks for (this prints true or false, never the value; it needs jq).",
        f"aws secretsmanager get-secret-value --secret-id {{secret}}{options} --query SecretString --output "
        "text | jq --arg key {secret_json_key} 'has($key)'",
        when=tuple((name, "") for name in _VERSION_OPTIONS if name not in named),
        needs=("secret_json_key", *named),
        per_secret=True,
    )


# What the reference asks of a Secrets Manager secret beyond the secret itself (`…:json-key:stage:id`).
_PART_STEPS = (
    *(_json_key_step(named) for named in _NAMED_VERSIONS),
    Step(
        "Check that a version of the secret carries the staging label {secret_version_stage}, which ECS asks "
        "for (version IDs and their labels; a secret created without a value has none: aws secretsmanager "
        "put-secret-value gives it one).",
        _VERSIONS,
        needs=("secret_version_stage",),
        per_secret=True,
    ),
    Step(
        "Check that the secret has the version {secret_version_id}, which the reference asks for (with the "
        "versions no staging label marks, which describe-secret does not list).",
        "aws secretsmanager list-secret-version-ids --secret-id {secret} --include-deprecated",
        needs=("secret_version_id",),
        per_secret=True,
    ),
)


# A secret of another account than the task's (secrets-envvar-secrets-manager.html: by its full ARN).
_OTHER_ACCOUNT = {
    "secretsmanager": Step(
        "It is in account {secret_account}, not the task's: ECS reads it only when its resource policy lets the "
        "execution role read it and a customer-managed KMS key whose key policy lets the role decrypt encrypts "
        "it (the AWS managed key decrypts only in its own account). Run this in that account.",
        "aws secretsmanager get-resource-policy --secret-id {secret}",
        needs=("secret_account",),
        per_secret=True,
    ),
    "ssm": Step(
        "It is in account {secret_account}, not the task's: the execution role reads it only if that account "
        "shares it with the task's account (AWS RAM shares advanced-tier parameters) and the task definition "
        "names it by its full ARN.",
        needs=("secret_account",),
        per_secret=True,
    ),
}


# The agent's "did not contain json key K" names no secret (diagnosis/secret_reference.py): when nothing else
# said which, the task definition does: the valueFrom whose 8th ':' part is K (its first 7 are the secret's ARN).
_WHICH_ASKS = Step(
    "Find the secret that lacks the key {secret_json_key} (the error does not name it): it is the one whose "
    "valueFrom in the task definition asks for that key. This prints that secret's ARN: set $SECRET to it for "
    "the steps below.",
    "aws ecs describe-task-definition --task-definition {task_def} --query "
    "'taskDefinition.containerDefinitions[].secrets[].valueFrom' --output json | jq -r --arg key "
    '{secret_json_key} \'.[] | split(":") | select(.[7] == $key) | .[:7] | join(":")\'',
    when=(("secret_store", "secretsmanager"), ("secret", "")),
    needs=("secret_json_key",),
)


def _secret_steps(store: str, read: str) -> tuple[Step, ...]:
    """The steps for a secret in `store` ("" when the input does not say: both secret stores' ways)."""
    when = (("secret_store", store),)
    if store:
        what, how, command = _EXISTS[store]
        exists: tuple[Step, ...] = (Step(f"Check that {what} {how}.", command, when, per_secret=True),)
    else:
        exists = tuple(
            Step(f"If it is {what}: check it {how}.", cmd, when, per_secret=True)
            for what, how, cmd in (_EXISTS["ssm"], _EXISTS["secretsmanager"])
        )
    return (
        *((_WHICH_ASKS,) if store == "secretsmanager" else ()),
        *exists,
        *(_PART_STEPS if store == "secretsmanager" else ()),
        *((replace(_OTHER_ACCOUNT[store], when=when),) if store in _OTHER_ACCOUNT else ()),
        Step(
            "Check the execution role may read it (and decrypt it with its KMS key).",
            "aws iam simulate-principal-policy --policy-source-arn {execution_role_arn} --action-names "
            f"{read} kms:Decrypt --resource-arns {{secret_arn}}",
            when,
            per_secret=True,
        ),
        Step(
            f"On a timeout: give the subnets a NAT route or {_ENDPOINT[store]}.", when=when, per_secret=True
        ),
    )


CATEGORIES = (
    CategoryInfo(
        "image_pull_auth",
        "start",
        True,
        "Image pull refused: {image}",
        "The registry refused to hand out the image. For ECR this means the task execution role lacks "
        "ecr:GetAuthorizationToken, ecr:BatchGetImage or ecr:GetDownloadUrlForLayer, the repository policy "
        "denies the account, or the image lives in another account or region; for a private registry the "
        "repositoryCredentials secret is wrong. \"pull access denied … may require 'docker login'\" is also "
        "what a registry says for a repository that does not exist, so check the name too.",
        (
            Step(
                "Check the image name and that the repository exists in that account and region.",
                "aws ecr describe-repositories --repository-names {repository}",
            ),
            Step(
                "Give the task execution role the AmazonECSTaskExecutionRolePolicy managed policy (ECR pull "
                "permissions), or the private-registry secret read permission.",
                "aws iam attach-role-policy --role-name {execution_role} --policy-arn "
                "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
            ),
            Step(
                "For a cross-account ECR repository, allow this account in the repository policy.",
                "aws ecr get-repository-policy --repository-name {repository}",
            ),
            Step(
                "Start a new deployment once the permissions are fixed.",
                "aws ecs update-service --cluster {cluster} --service {service} --force-new-deployment",
            ),
        ),
        (CANNOT_PULL, EXEC_ROLE),
        ("force_new_deployment",),
    ),
    CategoryInfo(
        "image_not_found",
        "start",
        True,
        "Image not found: {image}",
        "The task definition names an image, tag or digest that the registry does not have: the tag was "
        "never pushed, was pushed to another repository or region, was deleted by a lifecycle policy, or "
        "the pipeline registered the task definition before the push finished.",
        (
            Step(
                "List the tags that exist in the repository and compare with the one the task asks for.",
                "aws ecr describe-images --repository-name {repository} --query "
                "'sort_by(imageDetails,&imagePushedAt)[-5:].imageTags'",
            ),
            Step(
                "Push the missing tag, or point the service back at the last revision whose image exists.",
                "aws ecs update-service --cluster {cluster} --service {service} --task-definition {previous_task_def}",
            ),
            Step(
                "Prefer immutable tags or digests, and check ECR lifecycle rules do not expire tags in use."
            ),
        ),
        (CANNOT_PULL,),
        ("rollback",),
    ),
    CategoryInfo(
        "image_pull_network",
        "start",
        True,
        "Image pull timed out: no network path to the registry",
        "The task could not reach the registry at all (i/o timeout, dial tcp, context canceled). A task in "
        "a private subnet needs a route to a NAT gateway, or VPC endpoints for ecr.api, ecr.dkr and an S3 "
        "gateway endpoint (ECR layers live in S3); a task in a public subnet needs assignPublicIp ENABLED; "
        "security groups and network ACLs must allow outbound HTTPS (443), and DNS must resolve.",
        (
            Step(
                "Check the route table of the task's subnets: 0.0.0.0/0 must go to a NAT gateway (private "
                "subnet) or an internet gateway with assignPublicIp ENABLED (public subnet).",
                "aws ec2 describe-route-tables --filters Name=association.subnet-id,Values={subnet}",
            ),
            Step(
                "Without NAT, create the VPC endpoints ecr.api, ecr.dkr (interface, private DNS on) and s3 "
                "(gateway), plus logs and secretsmanager if the task uses them.",
                "aws ec2 describe-vpc-endpoints --filters Name=vpc-id,Values={vpc}",
            ),
            Step(
                "Check the task's security group allows outbound TCP 443, and the network ACL allows the "
                "return traffic.",
                "aws ec2 describe-security-groups --group-ids {security_group}",
            ),
            Step(
                "Then start a new deployment.",
                "aws ecs update-service --cluster {cluster} --service {service} --force-new-deployment",
            ),
        ),
        (CANNOT_PULL, DEV_GUIDE + "verify-connectivity.html"),
        ("force_new_deployment",),
    ),
    CategoryInfo(
        "registry_rate_limit",
        "start",
        True,
        "Registry pull rate limit reached: {image}",
        "The registry (usually Docker Hub) refused the pull because anonymous or free-tier pulls from the "
        "shared NAT or Fargate addresses hit its rate limit (toomanyrequests).",
        (
            Step(
                "Copy the image into ECR, or use an ECR pull-through cache rule for Docker Hub (its Docker Hub "
                "user and access token in a Secrets Manager secret named ecr-pullthroughcache/docker-hub), "
                "and point the task definition at it.",
                "aws ecr create-pull-through-cache-rule --ecr-repository-prefix docker-hub "
                "--upstream-registry-url registry-1.docker.io --credential-arn $(aws secretsmanager "
                "describe-secret --secret-id ecr-pullthroughcache/docker-hub --query ARN --output text)",
            ),
            Step(
                "Or pull as an authenticated Docker Hub user (repositoryCredentials with a Secrets Manager "
                "secret)."
            ),
            Step("Use Amazon ECR Public for official images (public.ecr.aws/docker/library/…)."),
        ),
        (CANNOT_PULL, "https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache.html"),
    ),
    CategoryInfo(
        "image_platform_mismatch",
        "start",
        True,
        "Image built for another CPU architecture",
        "The image has no variant for the platform the task runs on: an amd64-only image on ARM64 "
        "(Graviton) tasks or the reverse, or a Windows/Linux mix. The kernel then refuses the binary with "
        "`exec format error`, or the pull fails with `no matching manifest`. Set runtimePlatform."
        "cpuArchitecture to match the image (X86_64 or ARM64), or build a multi-arch image (docker buildx "
        "--platform linux/amd64,linux/arm64).",
        (
            Step("See which architectures the image was built for.", "docker manifest inspect {image}"),
            Step(
                "Align the task definition's runtimePlatform.cpuArchitecture with the image, or rebuild "
                "the image for the task's platform (multi-arch with buildx).",
                DESCRIBE_TASK_DEF + " --query taskDefinition.runtimePlatform",
            ),
        ),
        (DEV_GUIDE + "ecs-arm64.html", CANNOT_PULL),
        ("rollback",),
    ),
    CategoryInfo(
        "secrets_retrieval",
        "start",
        True,
        "Secrets could not be fetched before start",
        "Before starting containers ECS fetches every `secrets` entry (Secrets Manager or SSM Parameter "
        "Store) and `environmentFiles` from S3 with the task execution role. This fails when the secret or "
        "parameter does not exist (wrong ARN, region, version or JSON key), the execution role lacks "
        "secretsmanager:GetSecretValue / ssm:GetParameters / kms:Decrypt / s3:GetObject, or the task has no "
        "network path to the endpoint (private subnet without NAT or a secretsmanager / ssm VPC endpoint).",
        (
            *_secret_steps("ssm", "ssm:GetParameters"),
            *_secret_steps("secretsmanager", "secretsmanager:GetSecretValue"),
            *_secret_steps("s3", "s3:GetObject"),
            *_secret_steps("", "secretsmanager:GetSecretValue ssm:GetParameters"),
            Step(
                "Allow the execution role what it was refused (an inline policy; a customer-managed KMS key's "
                "key policy must also let the role decrypt).",
                "aws iam put-role-policy --role-name {execution_role} --policy-name {denied_policy_name} "
                "--policy-document {denied_policy}",
                needs=("denied_policy",),
            ),
            Step(
                "The refusal comes from {denied_by}, which an Allow in the execution role's own policies "
                "cannot override: change that policy (or boundary) to let the role read the secret.",
                needs=("denied_by",),
            ),
            Step(
                "Then start a new deployment.",
                "aws ecs update-service --cluster {cluster} --service {service} --force-new-deployment",
            ),
        ),
        (RESOURCE_INIT, DEV_GUIDE + "specifying-sensitive-data.html", EXEC_ROLE),
        ("force_new_deployment",),
    ),
    CategoryInfo(
        "log_driver_init",
        "start",
        True,
        "The log driver could not start",
        "ECS sets up the container's log driver before the container starts. With awslogs it fails when "
        "the log group does not exist (and awslogs-create-group is not true), the execution role lacks "
        "logs:CreateLogStream / logs:PutLogEvents (or logs:CreateLogGroup), or the task cannot reach the "
        "CloudWatch Logs endpoint (no NAT or logs VPC endpoint). FireLens fails when its router container "
        "or configuration is wrong.",
        (
            Step(
                "Create the log group the task definition names (or set awslogs-create-group to true and "
                "allow logs:CreateLogGroup).",
                "aws logs create-log-group --log-group-name {log_group}",
            ),
            Step("Give the execution role logs:CreateLogStream and logs:PutLogEvents on that log group."),
            Step("In a private subnet without NAT, add a logs interface VPC endpoint."),
        ),
        (RESOURCE_INIT, DEV_GUIDE + "using_awslogs.html"),
        ("force_new_deployment",),
    ),
    CategoryInfo(
        "eni_or_subnet",
        "start",
        True,
        "No network interface for the task",
        "awsvpc tasks each need an elastic network interface (ENI) and a private IP in one of the service's "
        "subnets. This fails when the subnets have no free IP addresses, the account or instance reached "
        "its ENI limit (EC2: enable ENI trunking), or the subnet / security group no longer exists.",
        (
            Step(
                "Count the free addresses in the task's subnets.",
                "aws ec2 describe-subnets --subnet-ids {subnet} --query "
                "'Subnets[].[SubnetId,AvailableIpAddressCount]'",
            ),
            Step(
                "Add larger or more subnets to the service's network configuration, or clean up unused ENIs."
            ),
            Step(
                "On EC2 launch type, turn on awsvpcTrunking to raise the ENI limit per instance.",
                "aws ecs put-account-setting --name awsvpcTrunking --value enabled",
            ),
        ),
        (RESOURCE_INIT, DEV_GUIDE + "container-instance-eni.html"),
    ),
    CategoryInfo(
        "volume_mount",
        "start",
        True,
        "A volume could not be mounted",
        "The task's volume (usually EFS) could not be created or mounted: no EFS mount target in the "
        "task's Availability Zone or subnet, the mount target's security group does not allow NFS (TCP "
        "2049) from the task, DNS resolution of the file system name fails (enableDnsHostnames / "
        "enableDnsSupport off), the access point or IAM authorization denies the task role, or Fargate "
        "platform version below 1.4.0.",
        (
            Step(
                "Check the file system has a mount target in every subnet/AZ the task uses.",
                "aws efs describe-mount-targets --file-system-id {efs}",
            ),
            Step(
                "Allow inbound TCP 2049 on the mount target's security group from the task's security group."
            ),
            Step(
                "Check the VPC has DNS hostnames and DNS support enabled, and the task role may mount "
                "(elasticfilesystem:ClientMount) when IAM authorization is on."
            ),
        ),
        (DEV_GUIDE + "efs-volumes.html", STOPPED_ERRORS),
    ),
    CategoryInfo(
        "container_start_failure",
        "start",
        True,
        "The container could not be started: {path}",
        "The runtime created the container but could not start its process: the entryPoint or command "
        "points at a file that does not exist or is not executable (permission denied: add `chmod +x` in "
        "the Dockerfile), the `user` does not exist in the image, the process writes to a read-only root "
        "filesystem, or a linuxParameters / ulimit setting is not supported.",
        (
            Step(
                "Check the entryPoint and command in the task definition against the image.",
                DESCRIBE_TASK_DEF
                + " --query 'taskDefinition.containerDefinitions[].[name,entryPoint,command,user]'",
            ),
            Step(
                "Run the image locally with the same command to reproduce: docker run --rm --entrypoint … {image}"
            ),
            Step(
                "Roll back to the previous revision while you fix the image.",
                "aws ecs update-service --cluster {cluster} --service {service} --task-definition {previous_task_def}",
            ),
        ),
        (STOPPED_ERRORS, TASKDEF_PARAMS),
        ("rollback",),
    ),
    CategoryInfo(
        "runtime_timeout",
        "start",
        True,
        "The container runtime timed out starting the container",
        "Creating or starting the container took longer than the runtime allowed (context deadline "
        "exceeded): often a very large image or many layers on slow storage, an overloaded host (EC2), "
        "EFS or another volume slow to attach, or a transient Fargate platform problem.",
        (
            Step(
                "Retry: if it was transient, a new deployment starts clean tasks.",
                "aws ecs update-service --cluster {cluster} --service {service} --force-new-deployment",
            ),
            Step("Shrink the image (multi-stage builds, fewer layers) and check volume mounts."),
            Step("On EC2, check the instance's disk I/O and the ECS agent / containerd logs."),
        ),
        (STOPPED_ERRORS,),
        ("force_new_deployment",),
    ),
    CategoryInfo(
        "invalid_task_definition_or_parameter",
        "start",
        True,
        "ECS rejected the task definition or service settings",
        "A parameter is invalid for the launch: an unsupported CPU/memory combination, container memory "
        "adding up to more than the task memory, a task or execution role ECS cannot assume (its trust "
        "policy must allow ecs-tasks.amazonaws.com, and the caller needs iam:PassRole), or a deployment "
        "configuration that forbids the rollout.",
        (
            Step(
                "Read the exact parameter the error names and compare with the task definition.",
                DESCRIBE_TASK_DEF,
            ),
            Step(
                "For a role error: check the role's trust policy allows ecs-tasks.amazonaws.com.",
                "aws iam get-role --role-name {role_name} --query Role.AssumeRolePolicyDocument",
            ),
            Step("Register a corrected revision and update the service to it."),
        ),
        (TASKDEF_PARAMS, DEV_GUIDE + "task-cpu-memory-error.html"),
        ("rollback",),
    ),
)
