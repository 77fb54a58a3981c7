"""Start failures besides the image pull: secrets, logging, network interfaces, volumes, the start itself,
invalid definitions."""

from __future__ import annotations

import re

from diagnosis.policy import grant_names
from diagnosis.rules.base import Match, execution_role_names, found
from diagnosis.rules.words import NETWORK_WORDS, SECRET_WORDS
from diagnosis.secret_reference import missing_json_key, parse_reference
from diagnosis.signals import Message

# A secret's store named is no failure ("Rotated secret arn:…:secretsmanager:… successfully", a template's
# AWS::SecretsManager::Secret): a fetch that failed says so, in an error type or one of these.
_SECRET_FAILED = (
    "fail",
    "unable",
    "error",
    "denied",
    "not authorized",
    "notfound",
    "not found",
    "invalid",
    "could not",
    "cannot",
    "retried",
    "timeout",
    "timed out",
    "does not exist",
    "did not contain",
    "throttl",
    "no such",
)


# Words that mean "the network never answered", whatever component said it.
def resource_initialization(msg: Message) -> Match | None:
    """ResourceInitializationError: what ECS fetches or sets up before containers start."""
    typed = msg.typed("resourceinitializationerror")
    if msg.has(*SECRET_WORDS) and (typed or msg.error_types or msg.has(*_SECRET_FAILED)):
        return found("secrets_retrieval", 0.9, _secret_clue(msg), msg, names=_secret_names(msg))
    if msg.has("ecr registry auth", "registry auth token", "registry credentials", "getauthorizationtoken"):
        return None  # fetching ECR credentials: a pull problem, read by image_pull
    if msg.has("unable to pull secrets"):
        return found(
            "secrets_retrieval",
            0.55,
            _secret_clue(msg),
            msg,
            ("image_pull_auth", "image_pull_network"),
            names=_secret_names(msg),
        )
    logging = msg.has(
        "logger",
        "log group",
        "log stream",
        "logstream",
        "loggroup",
        "awslogs",
        "cloudwatch log",
        "firelens",
        "fluent",
        "logs:createlogstream",
        "log driver",
        "logging driver",
    )
    if logging and (typed or msg.has("failed to initialize logging", "log driver", "logger")):
        return found(
            "log_driver_init", 0.9, "the log driver could not start (logger arguments rejected)", msg
        )
    if not typed or msg.error_types[0] != "resourceinitializationerror":
        return None  # e.g. CannotStartContainerError: ResourceInitializationError: …: read by container_start
    if msg.has("oci runtime", "failed to create shim", "unable to start container process", "exec:"):
        return None  # the runtime could not start the process: read by container_start
    if msg.has(
        "failed to configure eni",
        " eni",
        "eni:",
        "netplugin",
        "network interface",
        "cni plugin",
        "ip address",
    ):
        return found("eni_or_subnet", 0.85, "ECS could not set up the task's network interface (ENI)", msg)
    if msg.has("efs", "volume", "mount"):
        return found("volume_mount", 0.8, "a volume could not be mounted", msg)
    return found(
        "other", 0.4, "ECS failed to initialise a resource for the task; the reason is not one we know", msg
    )


# Which store the message says the secret is in: ECS words it "from ssm" / "from asm" (Secrets Manager),
# "Fetching secret data from SSM Parameter Store", "failed to download env files" (S3), or names the ARN or
# the API action.
_SSM_SAYS = ("from ssm", "ssm parameter", "parameter store", "arn:aws:ssm:", "ssm:getparameter")
_ASM_SAYS = (
    "from asm",
    "arn:aws:secretsmanager:",
    "secretsmanager:getsecretvalue",
    "secrets manager",
    "json key",
    "staging label",
)
_S3_SAYS = ("env file", "environment file", "arn:aws:s3:::", "s3:getobject")
# The secrets a message names: every Secrets Manager, SSM or S3 ARN (the ECS agent joins the errors of several
# secrets with ";"), and the parameter names of "invalid ssm parameters: /a,/b" (the agent joins them with
# ","; a name or an ARN, further ones after a comma, or after a space when they start with "/").
_REFERENCE = re.compile(r"\barn:aws[\w-]*:(?:secretsmanager|ssm|s3):[^\s\"',;)\]]+")
_PARAMETERS = re.compile(r"(?i)invalid (?:ssm )?parameters?: ?([^\s,;]+(?:(?:\s*,\s*|\s+(?=/))[^\s,;]+)*)")
_DENIED_ON = re.compile(r"perform:?\s+([a-z0-9-]+:[A-Za-z]+)\s+on resource:?\s+([^\s\"',;)\]]+)")
# What refused it, when the message says (IAM's wording): only "no identity-based policy allows" (or no reason)
# is mended by an Allow; an explicit Deny, a permissions boundary, an SCP or a resource policy is not.
_BLOCKED_BY = re.compile(
    r"(?:with an (explicit deny) in an?|because no) (identity-based policy|permissions boundary|service control "
    r"policy|resource-based policy|session policy|VPC endpoint policy)"
)
_VERSION = re.compile(r"secret value for (staging label|VersionId): ?([\w.-]+)")


def _secret_names(msg: Message) -> dict[str, str]:
    """The execution role, the store the secret is in, and every secret the message names (`secrets`, the
    first also as `secret`), with the JSON key a message says the value lacks."""
    names = execution_role_names(msg)
    said = [
        store
        for store, words in (("ssm", _SSM_SAYS), ("secretsmanager", _ASM_SAYS), ("s3", _S3_SAYS))
        if msg.has(*words)
    ]
    if len(said) == 1:
        names["secret_store"] = said[0]
    secrets = _named_secrets(msg)
    if secrets:
        names["secret"], names["secrets"] = secrets[0], " ".join(secrets)
    denied = _DENIED_ON.search(msg.text) if "perform" in msg.text else None
    if denied:
        blocked = _BLOCKED_BY.search(msg.text, denied.end())
        if blocked is None or (blocked.group(1) is None and blocked.group(2) == "identity-based policy"):
            names |= grant_names([(denied.group(1), denied.group(2))])
        else:
            why = "an explicit deny" if blocked.group(1) else "no Allow"
            article = "an" if blocked.group(2)[0] in "aeiou" else "a"
            names["denied_by"] = f"{why} in {article} {blocked.group(2)}"
    if (
        len(secrets) < 2 and ";" not in msg.text
    ):  # which secret lacks the key or version: the one named, alone
        key = missing_json_key(msg.text) if "json key" in msg.lower else ""
        version = _VERSION.search(msg.text) if "secret value for" in msg.text else None
        if key:
            names["secret_json_key"] = key
        if version:
            label = version.group(1) == "staging label"
            names["secret_version_stage" if label else "secret_version_id"] = version.group(2)
    return names


def _named_secrets(msg: Message) -> list[str]:
    """The references the message names, in order, each secret once (by its ID: an ARN quoted twice, or with
    and without its JSON key, is one secret)."""
    found: list[tuple[int, str]] = []
    if "arn:aws" in msg.text:
        found += [(m.start(), m.group(0).rstrip(".:")) for m in _REFERENCE.finditer(msg.text)]
    if "parameter" in msg.lower:
        for listed in _PARAMETERS.finditer(msg.text):
            names = re.split(r"\s*,\s*|\s+", listed.group(1))
            found += [(listed.start(1), name.rstrip(".")) for name in names if name.rstrip(".")]
    secrets: dict[str, str] = {}
    for _, reference in sorted(found, key=lambda item: item[0]):
        secrets.setdefault(parse_reference(reference).secret_id, reference)
    return list(secrets.values())


def _secret_clue(msg: Message) -> str:
    if msg.has(*NETWORK_WORDS):
        return "ECS could not reach Secrets Manager / SSM to fetch a secret (timed out): no route or endpoint"
    role = msg.acting_role.rsplit("/", 1)[-1]
    who = f"the execution role {role}" if role else "the execution role"
    denied = _DENIED_ON.search(msg.text) if "perform" in msg.text else None
    if denied:
        return f"{who} is not allowed {denied.group(1)} on {denied.group(2)} (AccessDenied)"
    if msg.has("access to kms is not allowed", "kmsaccessdenied", "kms:decrypt"):
        return f"{who} may not decrypt the secret with its KMS key (kms:Decrypt: AccessDenied)"
    if msg.has("accessdenied", "access denied", "not authorized"):
        return f"{who} may not read a referenced secret (AccessDenied)"
    key = missing_json_key(msg.text) if "json key" in msg.lower else ""
    if key:
        return f"the secret's value has no JSON key {key}, which the reference asks for"
    version = _VERSION.search(msg.text) if "secret value for" in msg.text else None
    if version and version.group(2) == "AWSCURRENT":
        return "the secret has no current value (no version labelled AWSCURRENT, which ECS reads by default)"
    if version:
        what = "labelled" if version.group(1) == "staging label" else "with the ID"
        return f"the secret has no version {what} {version.group(2)}, which the reference asks for"
    if msg.has("not found", "does not exist", "invalid", "parameternotfound", "resourcenotfound"):
        return "a referenced secret or parameter does not exist"
    return "ECS could not fetch the secrets or environment files the task definition references"


def network_interface(msg: Message) -> Match | None:
    if msg.has(
        "free ip",
        "free addresses",
        "enough free",
        "ip addresses available",
        "insufficientfreeaddresses",
        "eni attachment",
        "maximum number of network interfaces",
        "networkinterfacelimitexceeded",
        "resource:eni",
        "failed to configure eni",
        "failed to set up eni",
        "failed to setup eni",
        "trunk",
        "no available eni",
        "network interface provisioning",
        "eni plugin",
        "network namespace",
        "cni setup",
        "eni provisioning",
        "attach network interface",  # "Unable to attach network interface to unused device index."
    ):
        return found("eni_or_subnet", 0.88, "no network interface (ENI) or free IP address for the task", msg)
    return None


def volume(msg: Message) -> Match | None:
    if msg.typed("cannotcreatevolumeerror") or msg.has(
        "efs utils",
        "efs mount",
        "amazon-efs-mount",
        "mount.nfs",
        "efs access point",
        "failed to mount",
        "ebs volume",
        "volume attachment",
        # a Docker volume plugin (the ECS volume plugin for EFS, a third-party driver) failing to create it
        "volumedriver.create",
        "volume-plugin",
        "mounting volume failed",
    ):
        return found("volume_mount", 0.9, "the task's volume could not be created or mounted", msg)
    return None


def container_start(msg: Message) -> Match | None:
    """CannotStartContainerError / CannotCreateContainerError / runtime timeouts."""
    timeout = msg.has("context deadline exceeded", "timeout", "timed out")
    if msg.typed("containerruntimetimeouterror"):
        return found(
            "runtime_timeout", 0.92, "the container runtime did not start the container in time", msg
        )
    if msg.typed("cannotstartcontainererror"):
        if timeout and not msg.has("exec:", "permission denied"):
            return found(
                "runtime_timeout", 0.85, "starting the container timed out (context deadline exceeded)", msg
            )
        exec_problem = msg.has(
            "executable file not found",
            "no such file or directory",
            "permission denied",
            "exec:",
            "not found in $path",
        )
        return found(
            "container_start_failure",
            0.88,
            "the container runtime could not start the process: " + _start_detail(msg),
            msg,
            ("command_not_found",) if exec_problem else (),
        )
    if msg.typed("cannotcreatecontainererror"):
        if timeout:
            return found(
                "runtime_timeout", 0.8, "creating the container timed out", msg, ("agent_or_docker_daemon",)
            )
        return found(
            "agent_or_docker_daemon",
            0.65,
            "the container runtime could not create the container",
            msg,
            ("container_start_failure",),
        )
    if msg.has("oci runtime create failed", "failed to create shim", "unable to start container process"):
        return found(
            "container_start_failure",
            0.8,
            "the runtime could not start the process: " + _start_detail(msg),
            msg,
            ("command_not_found",),
        )
    return None


def _start_detail(msg: Message) -> str:
    if msg.has("executable file not found", "not found in $path"):
        return "the entryPoint/command executable is not in the image's PATH"
    if msg.has("permission denied"):
        return "the entryPoint/command is not executable (permission denied)"
    if msg.has("no such file or directory"):
        return "a file the entryPoint/command needs does not exist in the image"
    if msg.has("unable to find user", "no matching entries in passwd"):
        return "the `user` in the container definition does not exist in the image"
    if msg.has("read-only file system"):
        return "the process writes to a read-only root filesystem"
    return "see the quoted runtime error"


def invalid_definition(msg: Message) -> Match | None:
    if msg.has("image reference", "reference format") and msg.has("normalize", "invalid", "parse"):
        return found(
            "invalid_task_definition_or_parameter",
            0.75,
            "the container's `image` in the task definition is not a valid image reference",
            msg,
            ("image_not_found",),
        )
    if msg.has(
        "unable to assume",
        "trust relationship",
        "cannot assume role",
        "iam:passrole",
        "service linked role",
        "service-linked role",
    ):
        return found(
            "invalid_task_definition_or_parameter",
            0.88,
            "ECS cannot assume a role the task definition names (trust relationship or iam:PassRole)",
            msg,
        )
    if msg.typed("invalidparameterexception", "clientexception") or msg.has(
        "invalid cpu or memory",
        "invalid 'cpu' setting",
        "invalid setting for container",
        "no container definitions",
        "is not a valid",
        "must be greater than",
        "must be less than",
        "is inactive",
        "not supported with",
        "does not support",
        "task definition does not",
        "exceeds the memory",
        "memory reservation",
        "invalid parameter",
        "deployment configuration",
        "minimumhealthypercent",
        "maximumpercent",
    ):
        return found(
            "invalid_task_definition_or_parameter",
            0.8,
            "ECS rejected a parameter of the task definition or the service",
            msg,
        )
    return None
