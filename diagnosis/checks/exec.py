"""ECS Exec readiness: will `aws ecs execute-command` open a shell in this service's tasks?

The checks of AWS's amazon-ecs-exec-checker and the ECS developer guide's ECS Exec pages, as records
(`ExecCheck`): each names what it proves, the evidence it needs (the collector plans its rounds from them)
and a pure function that reads the collected `ExecFacts` and says pass, fail or could not check, with the
fact it read. The IAM checks live in `exec_iam.py`; `diagnosis.exec_check.EXEC` lists them all, in the order
shown.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from diagnosis.checks import needs
from diagnosis.checks.evidence import LiveEvidence, task_id
from diagnosis.checks.needs import Need
from diagnosis.checks.network import network_path

Status = Literal["pass", "fail", "unknown"]
AGENT = "ExecuteCommandAgent"
FARGATE_LINUX, FARGATE_WINDOWS, EC2_AGENT = (1, 4, 0), (1, 0, 0), (1, 50, 2)


@dataclass(frozen=True)
class ExecFacts:
    """What the collector read for one service: the evidence, and the calls that failed (IAM action → why)."""

    evidence: LiveEvidence
    cluster: str
    unread: Mapping[str, str] = field(default_factory=dict)

    @property
    def service(self) -> dict[str, Any]:
        return self.evidence.service or {}

    @property
    def name(self) -> str:
        return str(self.service.get("serviceName", ""))

    @property
    def running(self) -> list[dict[str, Any]]:
        return [t for t in self.evidence.tasks if t.get("lastStatus") == "RUNNING"]

    def definition(self) -> tuple[str, dict[str, Any] | None]:
        """The task definition the running tasks run (else the service's), and its revision name."""
        arn = next(
            (str(t.get("taskDefinitionArn")) for t in self.running if t.get("taskDefinitionArn")),
            str(self.service.get("taskDefinition", "")),
        )
        return arn.rsplit("/", 1)[-1], self.evidence.task_definitions.get(arn)

    def task_role(self) -> str:
        """The role the SSM agent in the task uses: a running task's override, else the task definition's."""
        for task in self.running:
            override = (task.get("overrides") or {}).get("taskRoleArn")
            if override:
                return str(override)
        return str((self.definition()[1] or {}).get("taskRoleArn") or "")

    def missing(self, action: str, what: str) -> Outcome:
        """Could not check, because the call behind `action` failed (or gave nothing)."""
        reason = self.unread.get(action)
        return Outcome("unknown", f"could not read {what}: {reason or 'AWS did not return it'}", action)


@dataclass(frozen=True)
class Outcome:
    status: Status
    fact: str
    iam_action: str | None = None  # could not check: the action whose call failed
    fix: str | None = None  # the command (or policy) that fixes a failure


@dataclass(frozen=True)
class ExecCheck:
    """One readiness check: its name, what passing means, what it reads, the pure function."""

    name: str
    title: str
    needs: tuple[Need, ...]
    run: Callable[[ExecFacts], Outcome]

    @property
    def iam_actions(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(a for need in self.needs for a in need.iam_actions))


def enable_cli(facts: ExecFacts) -> str:
    return (
        f"aws ecs update-service --cluster {shlex.quote(facts.cluster)} --service {shlex.quote(facts.name)} "
        "--enable-execute-command --force-new-deployment"
    )


def check_service(facts: ExecFacts) -> Outcome:
    if not facts.evidence.service:
        return facts.missing("ecs:DescribeServices", "the service")
    if facts.service.get("enableExecuteCommand") is True:
        return Outcome("pass", f"enableExecuteCommand is true on {facts.name}")
    return Outcome(
        "fail",
        f"enableExecuteCommand is false on {facts.name}: its tasks start without the SSM agent that ECS Exec "
        "connects to",
        fix=enable_cli(facts),
    )


def check_tasks(facts: ExecFacts) -> Outcome:
    tasks = facts.running
    if not tasks:
        if "ecs:DescribeTasks" in facts.unread:
            return facts.missing("ecs:DescribeTasks", "the running tasks")
        desired = facts.service.get("desiredCount", 0)
        return Outcome("unknown", f"{facts.name} has no running task to connect to (desired count {desired})")
    off = [task_id(t) for t in tasks if t.get("enableExecuteCommand") is not True]
    if not off:
        return Outcome("pass", f"all {len(tasks)} running tasks started with enableExecuteCommand=true")
    service_on = facts.service.get("enableExecuteCommand") is True
    return Outcome(
        "fail",
        f"{len(off)} of {len(tasks)} running tasks started without ECS Exec ({', '.join(off[:5])}): a task "
        "takes the setting when it starts, so only a new deployment's tasks have it",
        fix=(
            f"aws ecs update-service --cluster {shlex.quote(facts.cluster)} --service "
            f"{shlex.quote(facts.name)} --force-new-deployment"
            if service_on
            else enable_cli(facts)
        ),
    )


def version(text: str) -> tuple[int, ...] | None:
    parts = text.strip().lstrip("v").split(".")
    return tuple(int(p) for p in parts) if parts and all(p.isdigit() for p in parts) else None


def _fargate(task: Mapping[str, Any]) -> bool:
    """A task (or a service, by its launch type or capacity provider strategy) on Fargate."""
    providers = [
        task.get("capacityProviderName"),
        *(s.get("capacityProvider") for s in task.get("capacityProviderStrategy") or []),
    ]
    return task.get("launchType") == "FARGATE" or any(str(p or "").startswith("FARGATE") for p in providers)


def check_platform(facts: ExecFacts) -> Outcome:
    """Fargate platform version 1.4.0 or later (1.0.0 on Windows); on EC2, ECS agent 1.50.2 or later."""
    tasks = facts.running or ([facts.service] if facts.evidence.service else [])
    if not tasks:
        return facts.missing("ecs:DescribeServices", "the service")
    passed: list[str] = []
    for task in tasks:
        label = f"task {task_id(task)}" if task.get("taskArn") else facts.name
        if _fargate(task):
            pv = str(task.get("platformVersion") or "LATEST")
            windows = "WINDOWS" in str(task.get("platformFamily", "")).upper()
            needed = FARGATE_WINDOWS if windows else FARGATE_LINUX
            shown = ".".join(map(str, needed))
            found = version(pv)
            if pv != "LATEST" and found is not None and found < needed:
                return Outcome(
                    "fail",
                    f"{label} runs on Fargate platform version {pv}; ECS Exec needs {shown} or later",
                    fix=f"aws ecs update-service --cluster {shlex.quote(facts.cluster)} --service "
                    f"{shlex.quote(facts.name)} --platform-version LATEST --force-new-deployment",
                )
            passed.append(f"Fargate platform version {pv} (ECS Exec needs {shown} or later)")
            continue
        instance_arn = task.get("containerInstanceArn")
        if not instance_arn:  # no running task: which instance, and which agent, is not known yet
            return Outcome(
                "unknown", f"{label} runs on EC2: the ECS agent version is read from a running task"
            )
        instances = facts.evidence.container_instances
        if instances is None:
            return facts.missing("ecs:DescribeContainerInstances", "the container instance's ECS agent")
        instance = next((i for i in instances if i.get("containerInstanceArn") == instance_arn), None)
        agent = str(((instance or {}).get("versionInfo") or {}).get("agentVersion", ""))
        found = version(agent)
        if found is None:
            return Outcome(
                "unknown", f"the ECS agent version of {instance_arn.rsplit('/', 1)[-1]} is not known"
            )
        if found < EC2_AGENT:
            ident = instance_arn.rsplit("/", 1)[-1]
            return Outcome(
                "fail",
                f"{label} runs on container instance {ident} with ECS agent {agent}; ECS Exec needs 1.50.2 or "
                "later",
                fix=f"aws ecs update-container-agent --cluster {shlex.quote(facts.cluster)} "
                f"--container-instance {ident}",
            )
        passed.append(f"ECS agent {agent} (ECS Exec needs 1.50.2 or later)")
    return Outcome("pass", "; ".join(dict.fromkeys(passed)))


def check_agent(facts: ExecFacts) -> Outcome:
    """The managed agent in each container of the running tasks that have ECS Exec on."""
    tasks = [t for t in facts.running if t.get("enableExecuteCommand") is True]
    if not tasks:
        return Outcome(
            "unknown",
            "no running task has ECS Exec on: the ExecuteCommandAgent starts with such a task",
        )
    broken: list[str] = []
    pending: list[str] = []
    running = 0
    for task in tasks:
        for container in task.get("containers") or []:
            where = f"{container.get('name', '?')} in task {task_id(task)}"
            agent = next((a for a in container.get("managedAgents") or [] if a.get("name") == AGENT), None)
            status = str((agent or {}).get("lastStatus", ""))
            if agent is None:
                broken.append(f"{where} has no {AGENT}")
            elif status == "RUNNING":
                running += 1
            elif status == "STOPPED":
                reason = agent.get("reason")
                broken.append(f"{AGENT} STOPPED in {where}" + (f" ({reason})" if reason else ""))
            else:
                pending.append(f"{AGENT} {status or 'not reported'} in {where}")
    if broken:
        return Outcome("fail", "; ".join(broken[:5]))
    if pending:
        return Outcome("unknown", "; ".join(pending[:5]) + ": it is still starting, check again in a minute")
    return Outcome("pass", f"{AGENT} RUNNING in {running} containers of {len(tasks)} tasks")


def check_root_filesystem(facts: ExecFacts) -> Outcome:
    """The SSM agent writes its files into the container: a read-only root filesystem is not supported."""
    revision, definition = facts.definition()
    if definition is None:
        return facts.missing("ecs:DescribeTaskDefinition", "the task definition")
    read_only = [
        str(c.get("name"))
        for c in definition.get("containerDefinitions") or []
        if c.get("readonlyRootFilesystem")
    ]
    if read_only:
        return Outcome(
            "fail",
            f"{', '.join(read_only)} in {revision} set readonlyRootFilesystem: the SSM agent cannot write its "
            "files there, so ECS Exec cannot connect to them",
            fix="register a revision with readonlyRootFilesystem false for the containers to exec into",
        )
    return Outcome("pass", f"no container in {revision} has a read-only root filesystem")


def check_network(facts: ExecFacts) -> Outcome:
    """ssmmessages reachable from the tasks' subnets: NAT, a public address, or the ssmmessages endpoint."""
    revision, definition = facts.definition()
    mode = (definition or {}).get("networkMode") or "bridge"
    if definition is not None and mode != "awsvpc":
        return Outcome(
            "unknown",
            f"{revision} uses {mode} networking: the tasks reach ssmmessages through their container "
            "instance's network, which is not checked",
        )
    evidence = facts.evidence
    if not evidence.subnets:
        if "ec2:DescribeSubnets" in facts.unread:
            return facts.missing("ec2:DescribeSubnets", "the tasks' subnets")
        return Outcome(
            "unknown", "the tasks' subnets are not known (no running task, no awsvpc configuration)"
        )
    if not evidence.network_read:
        return facts.missing("ec2:DescribeRouteTables", "the subnets' route tables")
    blocked, reachable = network_path(evidence, ("ssmmessages",))
    if blocked:
        vpc = evidence.subnets[0].get("VpcId", "")
        subnets = " ".join(str(s.get("SubnetId")) for s in evidence.subnets)
        routed = any(b.startswith("the task runs in") for b in blocked)
        return Outcome(
            "fail",
            "; ".join(blocked),
            fix=(
                f"aws ec2 create-vpc-endpoint --vpc-id {vpc} --vpc-endpoint-type Interface --service-name "
                f"com.amazonaws.{evidence.region}.ssmmessages --subnet-ids {subnets} --private-dns-enabled"
                if routed
                else None
            ),
        )
    return Outcome("pass", "; ".join(reachable))


def exec_command(facts: ExecFacts) -> str | None:
    """The `aws ecs execute-command` line for a task that should accept it (exec on, agent running first)."""

    def ready(container: Mapping[str, Any]) -> bool:
        return any(
            a.get("name") == AGENT and a.get("lastStatus") == "RUNNING"
            for a in container.get("managedAgents") or []
        )

    tasks = sorted(
        facts.running,
        key=lambda t: (
            t.get("enableExecuteCommand") is not True,
            not any(map(ready, t.get("containers") or [])),
        ),
    )
    if not tasks:
        return None
    task = tasks[0]
    containers = task.get("containers") or []
    definition = facts.evidence.task_definitions.get(str(task.get("taskDefinitionArn", ""))) or {}
    essential = {
        c.get("name") for c in definition.get("containerDefinitions") or [] if c.get("essential", True)
    }
    chosen = sorted(containers, key=lambda c: (not ready(c), c.get("name") not in essential))
    container = str(chosen[0].get("name", "")) if chosen else ""
    line = f"aws ecs execute-command --cluster {shlex.quote(facts.cluster)} --task {task_id(task)}"
    if container:
        line += f" --container {shlex.quote(container)}"
    return line + ' --interactive --command "/bin/sh"' + f" --region {facts.evidence.region}"


SERVICE = ExecCheck(
    "service_enabled", "ECS Exec is turned on for the service", (needs.SERVICE,), check_service
)
TASKS = ExecCheck(
    "tasks_enabled", "The running tasks started with ECS Exec on", (needs.SERVICE,), check_tasks
)
PLATFORM = ExecCheck(
    "platform_version",
    "Fargate platform version 1.4.0 or later (EC2: ECS agent 1.50.2 or later)",
    (needs.SERVICE, needs.TASK_INSTANCES),
    check_platform,
)
AGENT_STATUS = ExecCheck(
    "managed_agent", "The ExecuteCommandAgent runs in the tasks' containers", (needs.SERVICE,), check_agent
)
ROOT_FILESYSTEM = ExecCheck(
    "root_filesystem",
    "The containers' root filesystems are writable (the SSM agent writes there)",
    (needs.TASK_DEFINITIONS,),
    check_root_filesystem,
)
NETWORK = ExecCheck(
    "network_path",
    "The tasks' subnets reach ssmmessages (NAT, a public address, or the ssmmessages VPC endpoint)",
    (needs.SUBNETS, needs.ROUTES, needs.SECURITY_GROUPS, needs.SERVICE),
    check_network,
)
