"""What the seeded account is and what a correct diagnosis of each of its services says."""

from __future__ import annotations

from dataclasses import dataclass, field

CLUSTER = "demo"
DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"

# Categories that describe a normal lifecycle stop, not a failure (taxonomy.md, failure = no).
NON_FAILURE_CATEGORIES = frozenset(
    {
        "graceful_sigterm",
        "spot_interruption",
        "infra_maintenance",
        "scaling_or_deployment",
        "user_stopped",
        "instance_terminated_or_drained",
    }
)


@dataclass(frozen=True)
class Expectation:
    """What a correct diagnosis of one seeded service says."""

    service: str
    category: str | None  # the taxonomy ID of findings[0]; None for a healthy service
    facts: tuple[str, ...] = ()  # what AWS shows and a diagnosis must name (compared case-insensitively)
    conclusions: tuple[str, ...] = ()  # what a diagnosis must work out and name (AWS shows no such string)
    absent: tuple[str, ...] = ()  # strings that must never appear (secrets a diagnosis must redact)
    story: str = ""

    @property
    def failing(self) -> bool:
        return self.category is not None

    @property
    def named(self) -> tuple[str, ...]:
        """Everything the diagnosis's output must contain."""
        return self.facts + self.conclusions


@dataclass
class Sandbox:
    """The seeded account: where it is, what each service should be diagnosed as, the IDs it holds."""

    cluster: str
    region: str
    account: str
    expectations: dict[str, Expectation] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)  # vpc, subnets, groups, target groups, secrets…
    stopped_tasks: dict[str, list[str]] = field(default_factory=dict)  # service -> task IDs
    running_tasks: dict[str, list[str]] = field(default_factory=dict)

    @property
    def services(self) -> list[str]:
        return list(self.expectations)

    @property
    def failing(self) -> list[str]:
        return [name for name, exp in self.expectations.items() if exp.failing]

    @property
    def healthy(self) -> list[str]:
        return [name for name, exp in self.expectations.items() if not exp.failing]

    def expected(self, service: str) -> Expectation:
        return self.expectations[service]

    def record_task(self, service: str, task_id: str, *, stopped: bool) -> None:
        target = self.stopped_tasks if stopped else self.running_tasks
        target.setdefault(service, []).append(task_id)
