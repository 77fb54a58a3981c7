"""collect_wave (rounds 3–4): exactly the evidence the candidate causes need, against moto in-process;
for what moto lacks, botocore's Stubber (cloudtrail:LookupEvents) and a stand-in policy evaluator
(iam:SimulatePrincipalPolicy, tests/fakes/iam_simulator.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from botocore.stub import ANY, Stubber

from diagnosis.checks import run_checks
from diagnosis.checks.network import check_network
from diagnosis.collect.aws import Aws
from diagnosis.collect.cause_evidence import collect_wave
from diagnosis.collect.service_tasks import Core, collect_core
from diagnosis.collect.target import TargetSpec
from tests.builders.moto_scenarios import core_of, elb_service, seed_oom
from tests.builders.moto_world import ACCOUNT, REGION, World, moto_session
from tests.fakes.iam_simulator import IamSimulator

ROLE = f"arn:aws:iam::{ACCOUNT}:role/ecsTaskExecutionRole"
REGISTRY = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"


@pytest.fixture
def world() -> Iterator[World]:
    with moto_session() as session:
        yield World(session)


def new_calls(aws: Aws, before: int) -> list[str]:
    return aws.log[before:]


def test_oom_fetches_logs_and_memory_and_no_network(world: World) -> None:
    arns = seed_oom(world, 3, [200, 300, 400, 505], running=False, log_every_stop=True)
    aws, core = core_of(world)
    before, rounds = len(aws.log), aws.rounds
    evidence = collect_wave(aws, core, ["oom"])
    assert sorted(new_calls(aws, before)) == ["cloudwatch:GetMetricData", "logs:GetLogEvents"]
    assert not any(c.startswith("ec2:") for c in aws.log)
    assert aws.rounds == rounds + 1
    assert aws.gaps == []
    latest = arns[-1].rsplit("/", 1)[-1]
    read = evidence.log_for("oom")
    assert read is not None and (read.group, read.stream) == (
        "/ecs/web",
        f"ecs/app/{latest}",
    )  # the latest stop
    assert [e["message"] for e in read.events or []][-1] == "java.lang.OutOfMemoryError: Java heap space"
    [m0] = [r for r in evidence.memory or [] if r["Id"] == "m0"]
    assert max(m0["Values"]) == 505
    outcomes = {(r.name, r.outcome) for r in run_checks(evidence, ["oom"])}
    assert ("memory_utilization", "confirms") in outcomes
    assert ("log_tail", "confirms") in outcomes


def test_the_log_of_a_revision_the_service_no_longer_runs_is_read(world: World) -> None:
    """A deployment rolled back: the service and its deployments name revision 1, the failed tasks ran 2."""
    cluster = world.cluster()
    steady = world.task_definition(log_group="/ecs/web")
    failed = world.task_definition(log_group="/ecs/web", image="nginx:1.28")
    world.service(cluster, "web", steady)
    arn = world.task(
        cluster, "web", failed, "EssentialContainerExited", "Essential container in task exited", None, 1
    )
    world.write_logs("/ecs/web", arn, "INFO start", "ModuleNotFoundError: No module named 'orjson'")
    aws, core = core_of(world)
    assert failed not in core.task_definitions  # rounds 1-2 read what the service names
    evidence = collect_wave(aws, core, ["app_error"])
    read = evidence.log_for("app_error")
    assert read is not None and read.stream == f"ecs/app/{arn.rsplit('/', 1)[-1]}"
    assert [e["message"] for e in read.events or []][-1] == "ModuleNotFoundError: No module named 'orjson'"
    assert aws.log.count("logs:GetLogEvents") == 1


def test_access_denied_on_the_logs_is_a_gap_and_the_rest_still_comes(world: World) -> None:
    seed_oom(world, 3, [500, 510], running=False, log_every_stop=True)
    aws, core = core_of(world)
    with Stubber(aws.client("logs")) as stub:
        stub.add_client_error(
            "get_log_events", service_error_code="AccessDeniedException", http_status_code=400
        )
        evidence = collect_wave(aws, core, ["oom"])
    assert evidence.log_events is None
    assert evidence.memory  # the memory still came
    [gap] = aws.gaps
    assert gap.iam_action == "logs:GetLogEvents"
    assert gap.what == "container logs"
    names = {r.name for r in run_checks(evidence, ["oom"])}
    # no log_tail: the log was denied; revision_diff says web:1 is the family's first (nothing to roll back to)
    assert names == {"memory_utilization", "task_definition", "revision_diff"}


def test_a_missing_log_stream_is_an_answer_not_a_gap(world: World) -> None:
    cluster = world.cluster()
    td = world.task_definition(log_group="/ecs/web")
    world.service(cluster, "web", td)
    world.oom_tasks(cluster, "web", td, 1)
    aws, core = core_of(world)
    evidence = collect_wave(aws, core, ["app_error"])
    assert evidence.log_events is None
    assert aws.gaps == []


def private_subnet_service(world: World) -> None:
    cluster = world.cluster()
    td = world.task_definition(image=f"{REGISTRY}/web:v1")
    world.service(cluster, "web", td)
    world.task(
        cluster,
        "web",
        td,
        "TaskFailedToStart",
        "CannotPullContainerError: ref pull has been retried 5 time(s): failed to copy: httpReadSeeker: "
        "failed open: failed to do request: Get https://prod-us-east-1-starport-layer-bucket.s3.amazonaws.com/:"
        " dial tcp 52.216.0.1:443: i/o timeout",
    )


def test_image_pull_network_reads_subnets_then_routes_and_endpoints(world: World) -> None:
    private_subnet_service(world)
    aws, core = core_of(world)
    before, rounds = len(aws.log), aws.rounds
    evidence = collect_wave(aws, core, ["image_pull_network"])
    calls = new_calls(aws, before)
    assert aws.rounds == rounds + 2
    third, fourth = set(calls[:2]), set(calls[2:])
    assert third == {"ec2:DescribeSubnets", "ec2:DescribeSecurityGroups"}
    assert fourth == {"ec2:DescribeRouteTables", "ec2:DescribeVpcEndpoints", "ec2:DescribeNetworkAcls"}
    assert not any(c.startswith(("logs:", "ecr:", "cloudwatch:")) for c in calls)
    assert evidence.subnet_ids == [world.subnet]
    assert evidence.network_read
    assert evidence.endpoints == []
    [result] = check_network(evidence, "image_pull_network")
    assert result.outcome == "confirms"
    assert world.subnet in result.detail
    assert "no NAT gateway or internet gateway route" in result.detail


def test_image_pull_network_with_a_nat_route_refutes(world: World) -> None:
    private_subnet_service(world)
    ec2 = world.ec2
    public = ec2.create_subnet(VpcId=world.vpc, CidrBlock="10.0.2.0/24")["Subnet"]["SubnetId"]
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=public, AllocationId=allocation)["NatGateway"]["NatGatewayId"]
    table = ec2.create_route_table(VpcId=world.vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
    ec2.associate_route_table(RouteTableId=table, SubnetId=world.subnet)
    aws, core = core_of(world)
    evidence = collect_wave(aws, core, ["image_pull_network"])
    [result] = check_network(evidence, "image_pull_network")
    assert result.outcome == "refutes"
    assert nat in result.detail


def test_endpoints_in_the_vpc_refute(world: World) -> None:
    private_subnet_service(world)
    for name in ("ecr.api", "ecr.dkr", "s3"):
        world.ec2.create_vpc_endpoint(
            VpcId=world.vpc,
            ServiceName=f"com.amazonaws.{REGION}.{name}",
            VpcEndpointType="Gateway" if name == "s3" else "Interface",
        )
    aws, core = core_of(world)
    evidence = collect_wave(aws, core, ["image_pull_network"])
    [result] = check_network(evidence, "image_pull_network")
    assert result.outcome == "refutes"


def test_elb_health_check_reads_the_target_group_and_the_head_of_the_log(world: World) -> None:
    tg = elb_service(world)
    aws, core = core_of(world)
    before, rounds = len(aws.log), aws.rounds
    with Stubber(aws.client("logs")) as stub:  # the head of the log: startFromHead, 100 lines
        stub.add_response(
            "get_log_events",
            {"events": [{"timestamp": 0, "message": "Started App in 95.0 seconds"}]},
            {"logGroupName": "/ecs/web", "logStreamName": ANY, "limit": 100, "startFromHead": True},
        )
        evidence = collect_wave(aws, core, ["elb_health_check"])
        stub.assert_no_pending_responses()
    assert aws.rounds == rounds + 1
    # (a stubbed call is answered before Aws counts it: logs:GetLogEvents is not in the log here)
    assert set(new_calls(aws, before)) == {
        "elasticloadbalancing:DescribeTargetGroups",
        "elasticloadbalancing:DescribeTargetHealth",
        "ec2:DescribeSecurityGroups",
    }
    assert evidence.target_groups[0]["TargetGroupArn"] == tg
    assert [g["GroupId"] for g in evidence.security_groups] == [world.sg]
    results = {r.name: r for r in run_checks(evidence, ["elb_health_check"])}
    assert results["target_group"].outcome == "confirms"
    assert results["target_group"].names["grace_period"] == "190"
    assert results["log_tail"].outcome == "inconclusive"  # the head read for the start time has no error
    assert "maps ports" in results["task_definition"].detail


def ecr_service(world: World, tags: list[str], asked: str, previous: str | None = None) -> None:
    ecr = world.session.client("ecr")
    ecr.create_repository(repositoryName="web")
    for tag in tags:
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"digest": f"sha256:{tag.encode().hex():0<64}"[:71], "size": 1},
            "layers": [],
        }
        ecr.put_image(repositoryName="web", imageManifest=json.dumps(manifest), imageTag=tag)
    cluster = world.cluster()
    if previous:
        world.task_definition(image=f"{REGISTRY}/web:{previous}")
    td = world.task_definition(image=f"{REGISTRY}/web:{asked}")
    world.service(cluster, "web", td)
    world.task(
        cluster,
        "web",
        td,
        "TaskFailedToStart",
        f"CannotPullContainerError: pull access denied for {REGISTRY}/web, repository does not exist or may "
        "require docker login",
    )


def test_image_tags_are_read_from_ecr(world: World) -> None:
    ecr_service(world, ["v1", "v2"], asked="v9")
    aws, core = core_of(world)
    before = len(aws.log)
    repository = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/web"
    iam = IamSimulator(aws.client("iam"), {ROLE: [("ecr:*", "*")]})  # moto has no SimulatePrincipalPolicy
    evidence = collect_wave(aws, core, ["image_pull_auth"])
    # ecr:GetAuthorizationToken takes no resource (read on "*"); the pull is read on the task's repository
    [request] = iam.requests
    assert request["ResourceArns"] == ["*", repository]
    assert request["ActionNames"] == [
        "ecr:BatchGetImage",
        "ecr:GetAuthorizationToken",
        "ecr:GetDownloadUrlForLayer",
    ]
    assert "ecr:DescribeImages" in new_calls(aws, before)  # (the stubbed IAM call is not counted)
    assert evidence.images == {"web": ["v9"]}
    assert sorted(evidence.ecr["web"] or []) == ["v1", "v2"]
    needed = {
        (ROLE, "ecr:GetAuthorizationToken", "*"),
        (ROLE, "ecr:BatchGetImage", repository),
        (ROLE, "ecr:GetDownloadUrlForLayer", repository),
    }
    assert {evidence.simulation[pair] for pair in needed} == {"allowed"}
    results = {r.name: r for r in run_checks(evidence, ["image_pull_auth"])}
    assert results["ecr_image"].recategorize == "image_not_found"
    assert "v1" in results["ecr_image"].detail
    assert results["execution_role"].outcome == "refutes"


def test_a_missing_repository_is_an_answer(world: World) -> None:
    cluster = world.cluster()
    td = world.task_definition(image=f"{REGISTRY}/nope:v1")
    world.service(cluster, "web", td)
    world.task(cluster, "web", td, "TaskFailedToStart", "CannotPullContainerError: not found")
    aws, core = core_of(world)
    evidence = collect_wave(aws, core, ["image_not_found"])
    assert evidence.ecr == {"nope": "RepositoryNotFoundException"}
    assert aws.gaps == []


def test_an_image_in_another_accounts_ecr_is_not_looked_up_here_and_says_whose_policy_decides(
    world: World,
) -> None:
    cluster = world.cluster()
    image = "210987654321.dkr.ecr.us-east-1.amazonaws.com/platform/quotes:3.2.0"
    td = world.task_definition(image=image)
    world.service(cluster, "web", td)
    world.task(cluster, "web", td, "TaskFailedToStart", "CannotPullContainerError: 403 Forbidden")
    aws, core = core_of(world)
    evidence = collect_wave(aws, core, ["image_pull_auth"])
    assert evidence.ecr == {}  # platform/quotes is not this account's repository: nothing to find here
    assert evidence.foreign_images == {image: "210987654321"}
    result = {r.name: r for r in run_checks(evidence, ["image_pull_auth"])}["ecr_image"]
    assert result.recategorize is None
    assert "another account's ECR (210987654321)" in result.detail
    assert "repository policy" in result.detail


def test_only_the_failing_revision_images_are_checked(world: World) -> None:
    ecr_service(world, ["v2"], asked="v2", previous="v1-deleted")
    aws, core = core_of(world)
    IamSimulator(aws.client("iam"), {})
    evidence = collect_wave(aws, core, ["image_pull_auth"])
    assert evidence.images == {"web": ["v2"]}
    assert not any(r.recategorize for r in run_checks(evidence, ["image_pull_auth"]))


def test_secrets_and_parameters_and_the_role_are_checked(world: World) -> None:
    sm = world.session.client("secretsmanager")
    key = world.session.client("kms").create_key(Description="orders secrets")["KeyMetadata"]["Arn"]
    present = sm.create_secret(Name="prod/api", SecretString="x", KmsKeyId=key)["ARN"]
    missing = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:prod/db-AbCdEf"
    world.session.client("ssm").put_parameter(Name="/prod/flag", Value="on", Type="String")
    flag = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/prod/flag"
    cluster = world.cluster()
    td = world.task_definition(
        secrets=[
            {"name": "DB_PASSWORD", "valueFrom": f"{missing}:password::"},
            {"name": "API_KEY", "valueFrom": present.rsplit("-", 1)[0]},  # a partial ARN, as often written
            {"name": "FLAG", "valueFrom": "/prod/flag"},  # a bare name
            {"name": "GONE", "valueFrom": "/prod/gone"},
        ]
    )
    world.service(cluster, "web", td)
    world.task(
        cluster,
        "web",
        td,
        "TaskFailedToStart",
        "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval "
        f"failed: unable to retrieve secret from asm: failed to fetch secret {missing}: ResourceNotFoundException",
    )
    aws, core = core_of(world)
    rounds = aws.rounds
    iam = IamSimulator(aws.client("iam"), {ROLE: [("ssm:GetParameters", "*"), ("kms:Decrypt", key)]})
    evidence = collect_wave(aws, core, ["secrets_retrieval"])
    assert aws.rounds == rounds + 2  # the simulation waits for the secrets' own ARNs and keys: round 4
    assert evidence.secrets == {
        missing: "ResourceNotFoundException",
        present.rsplit("-", 1)[0]: "exists",
        "/prod/flag": "exists",
        "/prod/gone": "ParameterNotFound",
    }
    assert evidence.kms_keys[key]["KeyManager"] == "CUSTOMER"  # type: ignore[index]
    [request] = iam.requests  # the missing ones are not simulated: secret_exists says they do not exist
    assert request["PolicySourceArn"] == ROLE
    assert request["ActionNames"] == ["kms:Decrypt", "secretsmanager:GetSecretValue", "ssm:GetParameters"]
    assert request["ResourceArns"] == sorted(
        [key, present, flag]
    )  # present: the full ARN DescribeSecret read
    assert aws.gaps == []
    results = {r.name: r for r in run_checks(evidence, ["secrets_retrieval"])}
    assert results["secret_exists"].outcome == "confirms"
    assert missing in results["secret_exists"].detail
    assert results["execution_role"].outcome == "confirms"
    assert (
        f"{ROLE} is not allowed secretsmanager:GetSecretValue on {present}"
        in results["execution_role"].detail
    )
    assert "kms:Decrypt" not in results["execution_role"].detail.split("is allowed")[0]
    assert f"customer-managed KMS key {key}: the execution role {ROLE} needs kms:Decrypt" in (
        results["secret_access"].detail
    )
    assert "network_path" in results  # the network is read for secrets too


def test_an_aws_managed_key_is_neither_described_nor_simulated(world: World) -> None:
    present = world.session.client("secretsmanager").create_secret(Name="prod/plain", SecretString="x")["ARN"]
    cluster = world.cluster()
    td = world.task_definition(secrets=[{"name": "PLAIN", "valueFrom": present}])
    world.service(cluster, "web", td)
    world.task(cluster, "web", td, "TaskFailedToStart", "ResourceInitializationError: unable to pull secrets")
    aws, core = core_of(world)
    iam = IamSimulator(aws.client("iam"), {ROLE: [("secretsmanager:GetSecretValue", "*")]})
    evidence = collect_wave(aws, core, ["secrets_retrieval"])
    assert "kms:DescribeKey" not in aws.log
    assert iam.asked() == {(ROLE, "secretsmanager:GetSecretValue", present)}
    [result] = [r for r in run_checks(evidence, ["secrets_retrieval"]) if r.name == "execution_role"]
    assert result.outcome == "refutes"


@pytest.mark.parametrize("error", ["AccessDenied", "Throttling"])
def test_an_unavailable_simulation_is_a_gap_that_names_the_role_and_the_actions(
    world: World, error: str
) -> None:
    aws, core = log_driver_core(world)
    IamSimulator(aws.client("iam"), {}, error=error)
    evidence = collect_wave(aws, core, ["log_driver_init"])
    [gap] = [g for g in aws.gaps if g.call == "iam:SimulatePrincipalPolicy"]
    assert f"whether the execution role {ROLE} may logs:CreateLogStream, logs:PutLogEvents on " in gap.what
    assert ":log-group:/ecs/missing:log-stream:ecs/app/" in gap.what
    assert evidence.simulation == {}
    [result] = [r for r in run_checks(evidence, ["log_driver_init"]) if r.name == "execution_role"]
    assert result.outcome == "inconclusive" and "check by hand" in result.detail
    assert result.names["execution_role_arn"] == ROLE


def log_driver_core(world: World) -> tuple[Aws, Core]:
    cluster = world.cluster()
    td = world.task_definition(log_group="/ecs/missing")
    world.session.client("logs").create_log_group(logGroupName="/ecs/missing-old")
    world.service(cluster, "web", td)
    world.task(
        cluster,
        "web",
        td,
        "TaskFailedToStart",
        "ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: "
        "failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist.",
    )
    return core_of(world)


def test_log_driver_init_reads_the_log_groups(world: World) -> None:
    aws, core = log_driver_core(world)
    IamSimulator(aws.client("iam"), {ROLE: [("logs:*", "*")]})
    evidence = collect_wave(aws, core, ["log_driver_init"])
    assert evidence.log_groups == ["/ecs/missing-old"]
    assert "logs:DescribeLogGroups" in aws.log


def test_log_driver_init_names_the_missing_log_group(world: World) -> None:
    aws, core = log_driver_core(world)
    IamSimulator(aws.client("iam"), {ROLE: [("logs:*", "*")]})
    evidence = collect_wave(aws, core, ["log_driver_init"])
    results = {r.name: r for r in run_checks(evidence, ["log_driver_init"])}
    assert results["log_group"].outcome == "confirms"
    assert "/ecs/missing" in results["log_group"].detail


def test_user_stopped_reads_cloudtrail(world: World) -> None:
    cluster = world.cluster()
    td = world.task_definition()
    world.service(cluster, "web", td)
    arn = world.task(cluster, "web", td, "UserInitiated", "Task stopped by user")
    aws, core = core_of(world)
    before = len(aws.log)
    with Stubber(aws.client("cloudtrail")) as stub:
        stub.add_response(
            "lookup_events",
            {
                "Events": [
                    {
                        "EventId": "1",
                        "EventName": "StopTask",
                        "Username": "alice",
                        "CloudTrailEvent": json.dumps({"requestParameters": {"task": arn}}),
                    }
                ]
            },
            {
                "LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "StopTask"}],
                "StartTime": ANY,
                "EndTime": ANY,  # around the task's stop
                "MaxResults": 50,
            },
        )
        evidence = collect_wave(aws, core, ["user_stopped"])
        stub.assert_no_pending_responses()
    assert not any(c.startswith(("ec2:", "ecr:", "cloudwatch:")) for c in new_calls(aws, before))
    [result] = run_checks(evidence, ["user_stopped"])
    assert result.outcome == "confirms"
    assert "alice" in result.detail


def test_cloudtrail_denied_is_a_gap(world: World) -> None:
    cluster = world.cluster()
    td = world.task_definition()
    world.service(cluster, "web", td)
    world.task(cluster, "web", td, "UserInitiated", "Task stopped by user")
    aws, core = core_of(world)
    with Stubber(aws.client("cloudtrail")) as stub:
        stub.add_client_error(
            "lookup_events", service_error_code="AccessDeniedException", http_status_code=400
        )
        evidence = collect_wave(aws, core, ["user_stopped"])
    assert evidence.trail is None
    assert [g.iam_action for g in aws.gaps] == ["cloudtrail:LookupEvents"]
    assert run_checks(evidence, ["user_stopped"]) == []


def test_a_task_target_gets_its_definition_in_the_same_wave(world: World) -> None:
    cluster = world.cluster()
    td = world.task_definition(log_group="/ecs/web")
    world.service(cluster, "web", td)
    [arn] = world.oom_tasks(cluster, "web", td, 1)
    aws = Aws(world.session)
    core = collect_core(aws, TargetSpec(cluster=cluster, task=arn.rsplit("/", 1)[-1]), cache={})
    rounds = aws.rounds
    evidence = collect_wave(aws, core, ["app_error"])
    assert td in evidence.task_definitions
    assert "ecs:DescribeTaskDefinition" in aws.log
    # its log configuration comes with the definition: the log is read in the round after it (it was not read)
    assert aws.rounds == rounds + 2
    read = evidence.log_for("app_error")
    assert read is not None and read.stream == f"ecs/app/{arn.rsplit('/', 1)[-1]}"


def test_no_candidates_no_calls(world: World) -> None:
    cluster = world.cluster()
    td = world.task_definition()
    world.service(cluster, "web", td)
    aws, core = core_of(world)
    calls, rounds = aws.calls, aws.rounds
    collect_wave(aws, core, [])
    assert (aws.calls, aws.rounds) == (calls, rounds)
