"""Every remediation a diagnosis renders is filled from what was read: from a complete live evidence set no
step, command or button of any category keeps a `<name>` or `{name}` placeholder; from a partial one, a name
that was not read is a shell variable (`$LOG_GROUP`) and the step says what to set it to, in Slack too."""

from __future__ import annotations

import re

import pytest

from diagnosis.checks import run_checks
from diagnosis.checks.evidence import LiveEvidence
from diagnosis.checks.naming import names_read
from diagnosis.engine import diagnose
from diagnosis.knowledge import CATALOG
from diagnosis.models import Diagnosis, Finding, Target
from diagnosis.names import HINTS, PLACEHOLDER
from handlers.render.diagnosis import headline, thread
from tests.builders.live import How, Place, complete_evidence, observed, partial

LEFT = re.compile(r"<[\w\-]+>|\{\w+\}")
UNFILLED = re.compile(r"\$[A-Z][A-Z_]+\b")
EXEC = "EssentialContainerExited"
FAILED = "TaskFailedToStart"
PLACE_EVENT = (
    "(service {s}) was unable to place a task because no container instance met all of its requirements."
)

# How a task of each category really ends (wordings from the ECS developer guide and public issue trackers).
HOW: dict[str, How] = {
    "image_pull_auth": How(FAILED, "CannotPullContainerError: pull access denied for {image}, repository does "
                           "not exist or may require 'docker login': denied: User is not authorized", started=False),
    "image_not_found": How(FAILED, "CannotPullContainerError: ref pull has been retried 1 time(s): failed to "
                           "resolve reference {image}: not found", started=False),
    "image_pull_network": How(FAILED, "CannotPullContainerError: pull image manifest has been retried 5 time(s): "
                              "failed to resolve ref {image}: dial tcp 10.0.0.2:443: i/o timeout", started=False),
    "registry_rate_limit": How(FAILED, "CannotPullContainerError: toomanyrequests: You have reached your pull rate "
                               "limit. You may increase the limit by authenticating and upgrading", started=False),
    "image_platform_mismatch": How(FAILED, "CannotPullContainerError: image Manifest does not contain descriptor "
                                   "matching platform 'linux/arm64/v8'", started=False),
    "secrets_retrieval": How(FAILED, "ResourceInitializationError: unable to pull secrets or registry auth: "
                             "execution resource retrieval failed: unable to retrieve secret from asm: service "
                             "call has been retried 1 time(s): failed to fetch secret {secret} from secrets "
                             "manager: ResourceNotFoundException", started=False),
    "log_driver_init": How(FAILED, "ResourceInitializationError: failed to validate logger args: create stream "
                           "has been retried 1 times: failed to create Cloudwatch log stream: "
                           "ResourceNotFoundException: The specified log group does not exist.", started=False),
    "eni_or_subnet": How(FAILED, "Timeout waiting for network interface provisioning to complete.", started=False),
    "volume_mount": How(FAILED, "ResourceInitializationError: failed to invoke EFS utils commands to set up EFS "
                        "volumes: stderr: b'mount.nfs4: Connection timed out' : unsuccessful EFS utils command "
                        "execution; code: 32", started=False),
    "container_start_failure": How(FAILED, 'CannotStartContainerError: Error response from daemon: failed to '
                                   'create shim task: OCI runtime create failed: runc create failed: unable to '
                                   'start container process: exec: "/app/bin/start.sh": permission denied: '
                                   'unknown', started=False),
    "runtime_timeout": How(FAILED, "ContainerRuntimeTimeoutError: Could not transition to running; timed out "
                           "after waiting 4m0s", started=False),
    "invalid_task_definition_or_parameter": How(FAILED, "ECS was unable to assume the role "
                                                "'arn:aws:iam::210987654321:role/ledger-execution' that was "
                                                "provided for this task.", started=False),
    "oom": How(EXEC, "OutOfMemoryError: Container killed due to memory usage", exit_code=137,
               container_reason="OutOfMemoryError: Container killed due to memory usage"),
    "app_error": How(EXEC, "Essential container in task exited", exit_code=1),
    "command_not_found": How(EXEC, "Essential container in task exited", exit_code=127),
    "segfault": How(EXEC, "Essential container in task exited", exit_code=139),
    "sigkill_stop_timeout": How("ServiceSchedulerInitiated", "Scaling activity initiated by (deployment "
                                "ecs-svc/1234567890123456789)", exit_code=137),
    "graceful_sigterm": How(EXEC, "Essential container in task exited", exit_code=143),
    "clean_exit": How(EXEC, "Essential container in task exited", exit_code=0),
    "elb_health_check": How("ServiceSchedulerInitiated", "Task failed ELB health checks in (target-group "
                            "{target_group})"),
    "container_health_check": How("ServiceSchedulerInitiated", "Task failed container health checks"),
    "placement_insufficient_resources": How(event=PLACE_EVENT + " The closest matching (container-instance "
                                            "4d5e6f70) has insufficient memory available.", launch_type="EC2"),
    "placement_constraint_or_no_instances": How(event="(service {s}) was unable to place a task because no "
                                                "container instances were found in your cluster.",
                                                launch_type="EC2"),
    "fargate_capacity_or_quota": How(event="(service {s}) was unable to place a task. Reason: You've reached "
                                     "the limit on the number of tasks you can run concurrently."),
    "spot_interruption": How("SpotInterruption", "Your Spot Task was interrupted.", exit_code=143),
    "infra_maintenance": How("ServiceSchedulerInitiated", "ECS is performing maintenance on the underlying "
                             "infrastructure hosting the task"),
    "scaling_or_deployment": How("ServiceSchedulerInitiated", "Scaling activity initiated by (deployment "
                                 "ecs-svc/1234567890123456789)", exit_code=143),
    "user_stopped": How("UserInitiated", "Task stopped by user"),
    "instance_terminated_or_drained": How("TerminationNotice", "Host EC2 (instance i-0d1e2f) terminated.",
                                          launch_type="EC2"),
    "storage_exhausted": How(FAILED, "CannotPullContainerError: failed to register layer: write "
                             "/var/lib/docker/tmp/GetImageBlob1234: no space left on device", started=False),
    "agent_or_docker_daemon": How(FAILED, "DockerTimeoutError: Could not transition to started; timed out after "
                                  "waiting 8m0s", started=False, launch_type="EC2"),
    "other": How("EssentialContainerExited", "Essential container in task exited: the flux capacitor wobbled"),
}  # fmt: skip

PLACES = [
    Place(),
    Place(account="333344445555", region="ap-south-1", cluster="batch", service="thumbs", container="worker",
          revision=23, tag="2026.11.2", task_id="0123456789abcdef" * 2, subnets=("subnet-9f8e",),
          vpc="vpc-77aa", security_group="sg-1234abcd", execution_role="ecsTaskExecutionRole",
          log_group="/apps/thumbs/worker", efs="fs-5566aa", port=9000, memory=3072, cpu=1024),
]  # fmt: skip


def how_for(category: str, place: Place) -> How:
    how = HOW[category]
    fill = {
        "image": place.image,
        "secret": place.secret,
        "target_group": place.target_group,
        "s": place.service,
    }

    def filled(text: str) -> str:
        return re.sub(r"\{(\w+)\}", lambda m: fill[m.group(1)], text)

    return How(
        how.stop_code, filled(how.reason), how.exit_code, filled(how.container_reason), filled(how.event),
        how.started, how.launch_type, how.log, how.extra,
    )  # fmt: skip


def live_diagnosis(evidence: LiveEvidence, place: Place) -> Diagnosis:
    """What `diagnose_live` does after reading: classify, run the candidates' checks, conclude."""
    obs = observed(evidence, place)
    target = Target(account=place.account, region=place.region, cluster=place.cluster, service=place.service)
    preliminary = diagnose(obs, target)
    evidence.explained = {f.category: f.tasks for f in preliminary.findings}
    results = run_checks(evidence, [f.category for f in preliminary.findings])
    return diagnose(obs, target, checks=results, names_read=lambda c: names_read(evidence, c))


def rendered(finding: Finding) -> list[str]:
    texts = [finding.title]
    for remediation in finding.remediations:
        texts += [remediation.step, remediation.command or ""]
        if remediation.action is not None:
            texts.append(remediation.action.label)
    return texts


def test_every_category_has_a_way_to_end() -> None:
    assert set(HOW) == set(CATALOG)


@pytest.mark.parametrize("place", PLACES, ids=lambda p: p.service)
@pytest.mark.parametrize("category", sorted(CATALOG))
def test_a_complete_evidence_set_fills_every_template(category: str, place: Place) -> None:
    evidence = complete_evidence(how_for(category, place), place)
    diagnosis = live_diagnosis(evidence, place)
    findings = {f.category: f for f in diagnosis.findings}
    assert category in findings, f"{category} not diagnosed: {sorted(findings)}"
    for finding in diagnosis.findings:
        for text in rendered(finding):
            assert not LEFT.search(text), f"{finding.category}: placeholder left in {text!r}"
            assert not UNFILLED.search(text), f"{finding.category}: a name read is asked for: {text!r}"


def test_every_template_placeholder_says_where_to_find_it() -> None:
    """Titles drop a name they lack; a step or command says what to fill in, so every name it uses has a hint."""
    used = {
        name
        for info in CATALOG.values()
        for step in info.steps
        for name in PLACEHOLDER.findall(step.text + (step.command or ""))
    }
    assert used - set(HINTS) == set()


UNREAD = {
    "task_definitions": {},  # describe-task-definition denied: no role, log group, secret, EFS, command
    "logs": {},
    "subnets": [],
    "subnet_ids": [],
}


@pytest.mark.parametrize("category", ["app_error", "secrets_retrieval", "image_pull_network", "volume_mount",
                                      "image_pull_auth", "log_driver_init", "container_health_check"])  # fmt: skip
def test_a_name_not_read_says_what_to_fill_in(category: str) -> None:
    place = Place(service="billing", cluster="prod", task_id="d" * 32)
    evidence = partial(complete_evidence(how_for(category, place), place), **UNREAD)
    evidence.service = {**(evidence.service or {}), "networkConfiguration": {}}
    diagnosis = live_diagnosis(evidence, place)
    finding = next(f for f in diagnosis.findings if f.category == category)
    asked = 0
    for remediation in finding.remediations:
        for text in (remediation.step, remediation.command or ""):
            assert not LEFT.search(text), f"raw placeholder in {text!r}"
        for var in set(UNFILLED.findall(f"{remediation.step} {remediation.command or ''}")):
            asked += 1
            assert f"set {var} to " in remediation.step, f"{var} asked for without saying what it is"
    assert asked, "nothing was missing: the partial evidence should leave a name unread"
    slack = str([m.blocks for m in (headline(diagnosis, "/ecs-why billing", []), *thread(diagnosis))])
    assert not re.search(r"&lt;[a-z_]+&gt;|<[a-z_]+>", slack)
    assert "Not read: set $" in slack


@pytest.mark.parametrize("role", ["deploy-tasks-role", "svc/team-a/orders-exec"])
def test_the_role_an_error_names_is_the_one_to_check(role: str) -> None:
    place = Place(service="orders", execution_role="orders-execution")
    reason = f"ECS was unable to assume the role 'arn:aws:iam::{place.account}:role/{role}' that was provided"
    evidence = complete_evidence(How(FAILED, reason + " for this task.", started=False), place)
    finding = live_diagnosis(evidence, place).findings[0]
    assert finding.category == "invalid_task_definition_or_parameter"
    commands = " ".join(r.command or "" for r in finding.remediations)
    assert f"--role-name {role.rsplit('/', 1)[-1]} " in commands
    assert "orders-execution" not in commands
