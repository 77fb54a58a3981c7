"""What a secret reference (a container's `secrets[].valueFrom`, a log `secretOptions` entry, an
`environmentFiles` value, or a name a stopped reason quotes) points at: its store, the ID to describe it by,
and the part of the secret it asks for.

ECS accepts, per the developer guide (specifying-sensitive-data, secrets-envvar-secrets-manager):
- a Secrets Manager secret by its ARN, optionally followed by `:json-key:version-stage:version-id` (any of
  the three may be empty: `…:secret:db-AbCdEf:password::`); the secret itself is the ARN without them,
- an SSM parameter by its name (task's own region and account) or by its ARN (required in another region),
- an environment file by its S3 object ARN (`arn:aws:s3:::bucket/key`).
Pure string work: a stopped reason quotes the same forms (its trailing `::` sometimes cut off).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The agent's words when a secret's value lacks the JSON key a reference asks for (amazon-ecs-agent
# agent/asm/asm.go: "retrieved secret from Secrets Manager did not contain json key %s"): they name no secret.
_MISSING_JSON_KEY = re.compile(r"did not contain json key (\S+?)[.;,]?(?:\s|$)")
# arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME-AbCdEf — the parts up to the secret's own ID
_SECRET_PARTS = 7


@dataclass(frozen=True, slots=True)
class SecretReference:
    reference: str  # as written
    store: str  # "secretsmanager", "ssm" or "s3"
    secret_id: str  # what to describe and simulate on: the ARN without a JSON key or version, or the name
    json_key: str = ""
    version_stage: str = ""
    version_id: str = ""
    partition: str = ""  # "" likewise (below): the task's own (another one's secret cannot be read at all)
    region: str = ""  # "" for an SSM parameter named without its ARN: the task's own region
    account: str = ""  # "" likewise: the task's own account

    @property
    def parameter_name(self) -> str:
        """An SSM parameter's name (`/prod/db`), whether it was written as a name or an ARN."""
        if self.store != "ssm":
            return ""
        if self.secret_id.startswith("arn:"):
            return "/" + self.secret_id.split(":parameter/", 1)[-1].lstrip("/")
        return self.secret_id

    def arn(self, region: str = "", account: str = "", partition: str = "") -> str:
        """The ARN IAM acts on (an SSM parameter named without its ARN: in the task's region and account, and
        the partition of that region unless the task's ARN said it); "" when the name alone does not say it
        and no region or account is given."""
        if self.secret_id.startswith("arn:"):
            return self.secret_id
        if self.store == "ssm" and region and account:
            where = partition or partition_of(region)
            return f"arn:{where}:ssm:{region}:{account}:parameter/{self.secret_id.lstrip('/')}"
        return ""


# The partitions whose regions do not name them "aws", by their regions' prefix (botocore's partitions.json
# regionRegex; tests hold this to botocore's own answer, which explain does not load botocore to ask).
_PARTITIONS = (
    ("cn-", "aws-cn"),
    ("us-gov-", "aws-us-gov"),
    ("us-iso-", "aws-iso"),
    ("us-isob-", "aws-iso-b"),
    ("us-isof-", "aws-iso-f"),
    ("eu-isoe-", "aws-iso-e"),
    ("eusc-", "aws-eusc"),
)


def partition_of(region: str) -> str:
    """The partition a region is in (`aws-cn` for cn-north-1): the second part of the ARNs made there."""
    return next((partition for prefix, partition in _PARTITIONS if region.startswith(prefix)), "aws")


def missing_json_key(text: str) -> str:
    """The JSON key a stopped reason says a secret's value lacks ("" when it says none)."""
    found = _MISSING_JSON_KEY.search(text)
    return found.group(1) if found else ""


def parse_reference(reference: str) -> SecretReference:
    """The parts of one reference (see the module docstring); a bare name is an SSM parameter's."""
    text = reference.strip()
    if not text.startswith("arn:") or text.count(":") < 5:
        return SecretReference(text, "ssm", text)
    parts = text.split(":")
    partition, service, region, account = parts[1], parts[2], parts[3], parts[4]
    if service == "secretsmanager":
        extra = [*parts[_SECRET_PARTS:], "", "", ""]
        return SecretReference(
            text,
            service,
            ":".join(parts[:_SECRET_PARTS]),
            json_key=extra[0],
            version_stage=extra[1],
            version_id=extra[2],
            partition=partition,
            region=region,
            account=account,
        )
    return SecretReference(text, service, text, partition=partition, region=region, account=account)
