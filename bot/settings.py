"""Runtime configuration, read from the environment with pydantic-settings.

Nothing is read at import time: `load_settings()` builds the object when a command starts, and turns
every validation problem into one line, so a bad deployment fails at start with a readable message.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AliasChoices, BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict, SettingsError

from bot.guardrails.rules import Rule, unique_names


class AccountConfig(BaseModel):
    """An AWS account reached by assuming a role; `alias` is what users type after `--account`."""

    alias: str
    role_arn: str | None = None
    regions: list[str] = Field(default_factory=list)
    external_id: str | None = None
    remediation_role_arn: str | None = None  # the role a change assumes in this account (else role_arn)


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


class Settings(BaseSettings):
    """Every setting ecs-why reads. Field descriptions feed docs/configuration.md."""

    model_config = SettingsConfigDict(env_prefix="ECS_WHY_", extra="ignore", populate_by_name=True)

    slack_bot_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("SLACK_BOT_TOKEN"),
        description="Bot token (xoxb-…) of the Slack app. Required by `serve` and `worker`.",
    )
    slack_signing_secret: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("SLACK_SIGNING_SECRET"),
        description="Signing secret of the Slack app; every request's signature is checked with it.",
    )
    slack_app_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("SLACK_APP_TOKEN"),
        description="App-level token (xapp-…), only for `serve --socket-mode`.",
    )
    slack_api_url: str = Field(
        default="https://slack.com/api/",
        validation_alias=AliasChoices("SLACK_API_URL"),
        description="Base URL of the Slack Web API (tests point it at a local fake).",
    )
    redis_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("REDIS_URL"),
        description="Redis holding subscriptions, pending actions, audit, history and grouping state. "
        "Unset: an in-process Redis for a single replica (state is lost on restart).",
    )
    aws_region: str | None = Field(
        default=None,
        validation_alias=AliasChoices("AWS_REGION", "AWS_DEFAULT_REGION"),
        description="Default AWS region, where neither `--region` nor the account's `regions` give one.",
    )
    aws_profile: str | None = Field(
        default=None, validation_alias=AliasChoices("AWS_PROFILE"), description="AWS profile to use."
    )
    clusters: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Clusters searched for a bare service name (comma-separated). Empty: every cluster.",
    )
    accounts: list[AccountConfig] = Field(
        default_factory=list,
        description='Accounts reached by role (JSON list of {"alias", "role_arn", "regions", "external_id", '
        '"remediation_role_arn"}). An account\'s first region comes before AWS_REGION.',
    )
    operators: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Deprecated, use ECS_WHY_GUARDRAILS: Slack user IDs (U…/W…) and user group IDs (S…) "
        "allowed to run every remediation action on every service (comma-separated), read as one allow rule.",
    )
    guardrails: list[Rule] = Field(
        default_factory=list,
        description='Who may apply which fix to which service: a JSON list of rules {"name", "mode": '
        '"allow"|"approve"|"deny", "actions", "accounts", "clusters", "services", "tags", "users", "groups", '
        '"approvers"} (docs/guardrails.md). A matching deny wins, then approve, then allow. Empty: nothing '
        "is allowed (but ECS_WHY_OPERATORS).",
    )
    approval_ttl_seconds: int = Field(
        default=3600,
        ge=60,
        le=7 * 86400,
        description="How long an approval request (guardrail mode approve) can be approved; later it is refused.",
    )
    remediation_role_arn: str | None = Field(
        default=None,
        description="Role a change in the bot's own account assumes (an account of ECS_WHY_ACCOUNTS uses its "
        "own roles), scoped by a session policy to that one change and named after the Slack user. "
        "Unset: the bot's own credentials make the change, unscoped.",
    )
    sqs_queue_url: str | None = Field(
        default=None, description="SQS queue fed by the EventBridge rule for ECS events."
    )
    poll_interval_seconds: int = Field(
        default=60, ge=10, le=3600, description="Poller interval where no queue is configured."
    )
    history_retention_days: int = Field(
        default=30, ge=1, le=400, description="How long stopped-task history is kept."
    )
    history_max_per_service: int = Field(
        default=5000, ge=100, description="Most history records kept per service."
    )
    group_window_minutes: int = Field(
        default=60, ge=1, le=1440, description="A cause's failures within this window share one thread."
    )
    alert_quiet_minutes: int = Field(
        default=10,
        ge=1,
        le=1440,
        description="An alert resolves itself when its service runs its desired tasks and no stop of its "
        "cause came for this long.",
    )
    escalate_usergroup: str | None = Field(
        default=None,
        pattern=r"^S[A-Z0-9]+$",
        description="Slack user group (S…) mentioned in the thread of an alert nobody acknowledged in time.",
    )
    escalate_after_minutes: int = Field(
        default=30,
        ge=1,
        le=1440,
        description="When an unacknowledged alert mentions ECS_WHY_ESCALATE_USERGROUP.",
    )
    iac_tags: dict[str, Literal["cloudformation", "cdk", "terraform"]] = Field(
        default_factory=dict,
        description='Tags that say which code manages a service: JSON {"KEY": tool} or {"KEY=VALUE": tool}, '
        'tool cloudformation, cdk or terraform, e.g. {"managed-by=terraform": "terraform", "tf-workspace": '
        '"terraform"} (a KEY rule names the owner by the tag\'s value).',
    )
    managed_services: Literal["warn", "code-only"] = Field(
        default="warn",
        description="A fix to a service that infrastructure code manages: `warn` offers the API change with "
        "the code to commit; `code-only` shows only the code to commit and makes no API change.",
    )
    daily_summary_hour: int | None = Field(
        default=None,
        ge=0,
        le=23,
        description="Hour (UTC, 0-23) after which each channel with subscriptions gets, once a day, the summary "
        "of the last 24 h of the services it follows. Unset: no daily summary.",
    )
    pending_action_ttl_seconds: int = Field(
        default=900, ge=60, le=86400, description="How long a remediation button stays valid."
    )
    since_default: str = Field(default="24h", description="Default look-back of a diagnosis.")
    log_lines: int = Field(default=20, ge=1, le=200, description="Log lines read from the failed container.")
    diagnosis_workers: int = Field(
        default=2,
        ge=0,
        le=32,
        description="Processes that run diagnoses for the Slack bot, so that acks never wait for them; "
        "0 runs them in the serving process.",
    )
    worker_nice: int = Field(
        default=10,
        ge=0,
        le=19,
        description="CPU niceness (as `nice`) of the diagnosis processes and of `ecs-why worker`, so that on "
        "shared cores the serving process's Slack acknowledgements (3 s deadline) get the CPU before them; "
        "0 runs them at the serving process's priority.",
    )
    job_threads: int = Field(
        default=4,
        ge=0,
        le=64,
        description="Threads of `serve` that run accepted Slack requests (jobs in Redis); 0: this process "
        "only accepts them and `ecs-why diagnosis-worker` runs them.",
    )
    job_claim_timeout_seconds: int = Field(
        default=30,
        ge=1,
        le=3600,
        description="A job whose worker has not reported for this long (it died) is run by another worker.",
    )
    shutdown_grace_seconds: int = Field(
        default=20,
        ge=0,
        le=3600,
        description="On SIGTERM, how long running requests may take to finish before they are handed to "
        "another worker; keep it below the pod's terminationGracePeriodSeconds.",
    )
    log_level: str = Field(default="INFO", description="Python logging level.")
    log_format: Literal["text", "json"] = Field(
        default="text", description="Log lines as text, or as JSON objects (one a line) for a log pipeline."
    )

    @field_validator("clusters", "operators", mode="before")
    @classmethod
    def _csv(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("operators")
    @classmethod
    def _operator_ids(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if v[:1] not in {"U", "W", "S"}]
        if bad:
            raise ValueError(f"not Slack user (U…/W…) or user group (S…) IDs: {', '.join(bad)}")
        return value

    @field_validator("guardrails")
    @classmethod
    def _unique_rules(cls, value: list[Rule]) -> list[Rule]:
        return unique_names(value)

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        value = value.upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return value


class ConfigError(Exception):
    """Configuration is unusable; `lines` holds one problem each."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


def env_name(field_name: str) -> str:
    """The environment variable a settings field is read from."""
    info = Settings.model_fields[field_name]
    alias = info.validation_alias
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return f"ECS_WHY_{field_name.upper()}"


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = str(err["loc"][0]) if err["loc"] else "?"
            name = env_name(loc) if loc in Settings.model_fields else loc
            inner = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"][1:])
            lines.append(f"{name}{inner}: {err['msg']}")
        raise ConfigError(lines) from None
    except SettingsError as exc:  # e.g. ECS_WHY_ACCOUNTS that is not JSON
        field = str(exc).split('"')[1] if '"' in str(exc) else ""
        name = env_name(field) if field in Settings.model_fields else "a setting"
        example = _JSON_EXAMPLES.get(field, _JSON_EXAMPLES["accounts"])
        raise ConfigError([f"{name}: not valid JSON; expected e.g. {example}"]) from None


_JSON_EXAMPLES = {
    "accounts": '[{"alias": "prod", "role_arn": "arn:aws:iam::111122223333:role/ecs-why"}]',
    "guardrails": '[{"name": "sre", "mode": "allow", "clusters": ["prod"], "groups": ["S0SRE"]}]',
    "iac_tags": '{"tf-workspace": "terraform", "managed-by=terraform": "terraform"}',
}
