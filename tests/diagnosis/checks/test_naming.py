"""naming: the names the live evidence holds for a cause, whichever checks ran."""

from __future__ import annotations

import pytest

from diagnosis.checks.naming import names_read
from diagnosis.engine import diagnose
from diagnosis.intake import read_input
from diagnosis.knowledge import info
from diagnosis.remedies import steps
from diagnosis.report import to_text
from tests.builders.live import How, Place, complete_evidence, partial
from tests.builders.secrets_evidence import stopped_for

PLACES = [Place(), Place(service="thumbs", cluster="batch", execution_role="ecsTaskExecutionRole",
                         log_group="/apps/thumbs", subnets=("subnet-9f8e",), vpc="vpc-77aa", revision=23)]  # fmt: skip


@pytest.mark.parametrize("place", PLACES, ids=lambda p: p.service)
def test_names_come_from_the_task_definition_the_task_and_the_network(place: Place) -> None:
    names = names_read(complete_evidence(How(exit_code=1), place), "app_error")
    assert names["task_def"] == f"{place.service}:{place.revision}"
    assert names["execution_role"] == place.execution_role
    assert names["execution_role_arn"].endswith(f":role/{place.execution_role}")
    assert names["log_group"] == place.log_group
    assert names["log_stream"] == f"ecs/{place.container}/{place.task_id}"
    assert names["subnet"] == place.subnets[0] and names["vpc"] == place.vpc
    assert names["security_group"] == place.security_group
    assert names["efs"] == place.efs
    assert names["since"].startswith(place.started.date().isoformat())


def test_the_secret_named_is_the_one_that_is_missing() -> None:
    place = Place()
    evidence = complete_evidence(How(), place)
    assert names_read(evidence, "secrets_retrieval")["secret"] == place.secret
    evidence.secrets[place.parameter] = "ParameterNotFound"
    assert names_read(evidence, "secrets_retrieval")["secret"] == place.parameter


def test_the_health_check_is_quoted_for_a_shell() -> None:
    names = names_read(complete_evidence(How(), Place(port=9000)), "container_health_check")
    assert names["health_command"] == "curl -fs http://localhost:9000/health || exit 1"
    commands = [r.command or "" for r in steps(info("container_health_check"), names, {})]
    assert any(" -c 'curl -fs http://localhost:9000/health || exit 1'" in c for c in commands), commands


def test_nothing_read_names_nothing_but_the_service_revision() -> None:
    evidence = partial(complete_evidence(How()), task_definitions={}, logs={}, subnet_ids=[], subnets=[])
    evidence.service = {}
    names = names_read(evidence, "app_error")
    assert not {"execution_role", "log_group", "secret", "efs", "vpc", "subnet"} & set(names)


def test_the_container_instance_of_an_ec2_task() -> None:
    place = Place(container_instance="0f" * 16)
    evidence = complete_evidence(How("TaskFailedToStart", "DockerTimeoutError", launch_type="EC2"), place)
    assert names_read(evidence, "agent_or_docker_daemon")["instance"] == "0f" * 16


DENIED = {
    "ssm": "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval "
    "failed: unable to retrieve secrets from ssm: service call has been retried 5 time(s): "
    "AccessDeniedException: User is not authorized to perform: ssm:GetParameters",
    "secretsmanager": "ResourceInitializationError: unable to pull secrets or registry auth: execution resource "
    "retrieval failed: unable to retrieve secret from asm: service call has been retried 5 time(s): "
    "AccessDeniedException: User is not authorized to perform: secretsmanager:GetSecretValue",
}


@pytest.mark.parametrize("store", ["ssm", "secretsmanager"])
def test_the_store_a_message_says_picks_the_secret_the_steps_act_on(store: str) -> None:
    """Both references exist (access was denied): the one in the store ECS named is the one to look at."""
    place = Place()
    evidence = complete_evidence(How(), place)
    intake = read_input(DENIED[store])
    result = diagnose(intake.observations, names_read=lambda category: names_read(evidence, category))
    fix = "\n".join(step.command or "" for step in result.findings[0].remediations)
    wanted, other = (place.parameter, place.secret) if store == "ssm" else (place.secret, place.parameter)
    assert wanted in fix and other not in fix
    denied = "ssm:GetParameters" if store == "ssm" else "secretsmanager:GetSecretValue"
    assert denied in fix


# The agent's words when the value lacks the key (amazon-ecs-agent agent/asm/asm.go): they name no secret.
NO_KEY = (
    "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval "
    "failed: unable to retrieve secret from asm: service call has been retried 1 time(s): retrieved secret "
    "from Secrets Manager did not contain json key {key}"
)
DB = "arn:aws:secretsmanager:ca-central-1:121212121212:secret:payroll/db-AbC123"
API = "arn:aws:secretsmanager:ca-central-1:121212121212:secret:payroll/api-Zx98Yw"


def test_a_missing_json_key_is_tied_to_the_reference_that_asks_for_it() -> None:
    ev = stopped_for(
        NO_KEY.format(key="token"), "/payroll/flag", f"{DB}:password::", f"{API}:token:AWSPREVIOUS:"
    )
    names = names_read(ev, "secrets_retrieval")
    assert names["secret"] == f"{API}:token:AWSPREVIOUS:"
    observations = read_input(NO_KEY.format(key="token")).observations
    fix = to_text(diagnose(observations, names_read=lambda _category: names))
    assert f"get-secret-value --secret-id {API} --version-stage AWSPREVIOUS --query SecretString" in fix
    assert DB not in fix and "/payroll/flag" not in fix and "aws ssm " not in fix


def test_a_json_key_several_references_ask_for_names_each_of_them() -> None:
    ev = stopped_for(NO_KEY.format(key="password"), "/payroll/flag", f"{DB}:password::", f"{API}:password::")
    names = names_read(ev, "secrets_retrieval")
    assert names["secrets"].split() == [f"{DB}:password::", f"{API}:password::"]
    observations = read_input(NO_KEY.format(key="password")).observations
    fix = to_text(diagnose(observations, names_read=lambda _category: names))
    for secret in (DB, API):
        assert f"For {secret}: check that the value of the version ECS reads is a JSON object" in fix
        assert f"get-secret-value --secret-id {secret} --query SecretString" in fix
