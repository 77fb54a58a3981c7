"""collect/facts: container instances, image manifest lists and EFS read in rounds 3–4 against moto, then
the pure checks state the facts from what was read."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from diagnosis.checks import needs_of, run_checks
from diagnosis.checks.evidence import LiveEvidence
from diagnosis.collect.aws import Aws
from diagnosis.collect.cause_evidence import collect_wave, gather
from diagnosis.collect.plan import Plan
from diagnosis.collect.service_tasks import Core, collect_core
from diagnosis.collect.target import TargetSpec
from tests.builders.moto_world import ACCOUNT, REGION, World, moto_session

REGISTRY = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
INDEX = "application/vnd.oci.image.index.v1+json"


@pytest.fixture
def world() -> Iterator[World]:
    with moto_session() as session:
        yield World(session)


def two_rounds(aws: Aws, evidence: LiveEvidence, candidates: list[str], cluster: str) -> None:
    """Rounds 3 and 4 as the wave runs them, for the sources of these candidates' needs."""
    core = Core(
        spec=TargetSpec(cluster=cluster),
        service=evidence.service,
        tasks=evidence.tasks,
        task_definitions=evidence.task_definitions,
    )
    gather(aws, Plan(core, evidence, needs_of(candidates), candidates))


def ec2_evidence(world: World, cluster: str, memory: str) -> LiveEvidence:
    arn = world.ecs.register_task_definition(
        family="reports",
        requiresCompatibilities=["EC2"],
        networkMode="bridge",
        memory=memory,
        cpu="512",
        containerDefinitions=[{"name": "reports", "image": "busybox", "memory": int(memory)}],
    )["taskDefinition"]["taskDefinitionArn"]
    definition = world.ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
    service = {"clusterArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{cluster}", "taskDefinition": arn}
    return LiveEvidence(region=REGION, service=service, task_definitions={arn: definition})


def test_a_cluster_without_instances_is_read_in_one_call(world: World) -> None:
    cluster = world.cluster("batch-ec2")
    evidence = ec2_evidence(world, cluster, "2048")
    aws = Aws(world.session)
    two_rounds(aws, evidence, ["placement_insufficient_resources"], cluster)
    assert aws.log == ["ecs:ListContainerInstances"]
    assert evidence.container_instances == []
    [result] = [
        r
        for r in run_checks(evidence, ["placement_insufficient_resources"])
        if r.name == "container_instances"
    ]
    assert "no container instance is registered in the cluster batch-ec2" in result.detail


def test_no_instances_names_the_capacity_providers_group_that_cannot_grow(world: World) -> None:
    cluster = world.cluster("batch-ec2")
    ec2 = world.session.client("ec2", region_name=REGION)
    image = ec2.describe_images()["Images"][0]["ImageId"]
    ec2.create_launch_template(LaunchTemplateName="reports-lt", LaunchTemplateData={"ImageId": image})
    autoscaling = world.session.client("autoscaling", region_name=REGION)
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="reports-asg",
        LaunchTemplate={"LaunchTemplateName": "reports-lt", "Version": "$Latest"},
        MinSize=0,
        MaxSize=0,
        DesiredCapacity=0,
        AvailabilityZones=[f"{REGION}a"],
    )
    group = autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"][0]["AutoScalingGroupARN"]
    world.ecs.create_capacity_provider(
        name="reports-cp",
        autoScalingGroupProvider={"autoScalingGroupArn": group, "managedScaling": {"status": "ENABLED"}},
    )
    evidence = ec2_evidence(world, cluster, "2048")
    assert evidence.service is not None
    evidence.service["capacityProviderStrategy"] = [
        {"capacityProvider": "reports-cp", "weight": 1},
        {"capacityProvider": "FARGATE", "weight": 1},
    ]
    aws = Aws(world.session)
    two_rounds(aws, evidence, ["placement_constraint_or_no_instances"], cluster)
    assert sorted(aws.log) == [
        "autoscaling:DescribeAutoScalingGroups",
        "ecs:DescribeCapacityProviders",
        "ecs:ListContainerInstances",
    ]
    [result] = [
        r
        for r in run_checks(evidence, ["placement_constraint_or_no_instances"])
        if r.name == "container_instances"
    ]
    assert "no container instance is registered in the cluster batch-ec2" in result.detail
    assert "reports-asg's maximum size (MaxSize) is 0: reports-cp can launch no instance" in result.detail
    launches = (
        "capacity provider reports-cp (managed scaling on) launches into the Auto Scaling group reports-asg"
    )
    assert launches in result.detail
    assert "MinSize 0, MaxSize 0, DesiredCapacity 0, 0 instance(s)" in result.detail


def test_registered_instances_are_described_in_round_four(world: World) -> None:
    cluster = world.cluster("batch-ec2")
    ec2 = world.session.client("ec2")
    image = ec2.describe_images()["Images"][0]["ImageId"]
    instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    document = json.dumps({"instanceId": instance})
    world.ecs.register_container_instance(cluster=cluster, instanceIdentityDocument=document)
    backend_instance = next(iter(world.backend.container_instances[cluster].values()))
    for item in backend_instance.remaining_resources:
        if item["name"] == "MEMORY":
            item["integerValue"] = 1024  # other tasks reserve the rest
    evidence = ec2_evidence(world, cluster, "2048")
    aws = Aws(world.session)
    two_rounds(aws, evidence, ["placement_insufficient_resources"], cluster)
    assert aws.log == ["ecs:ListContainerInstances", "ecs:DescribeContainerInstances"]
    assert aws.rounds == 2
    [result] = [
        r
        for r in run_checks(evidence, ["placement_insufficient_resources"])
        if r.name == "container_instances"
    ]
    assert result.outcome == "confirms"
    assert "asks 2048 MiB, the largest container instance has 1024 MiB remaining" in result.detail
    assert instance in " ".join(item.fact for item in result.evidence)


def put_index(world: World, repository: str, tag: str, *archs: str) -> None:
    ecr = world.session.client("ecr")
    ecr.create_repository(repositoryName=repository)
    manifest = {
        "schemaVersion": 2,
        "mediaType": INDEX,
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": "sha256:" + f"{i + 1:x}" * 64,
                "size": 1200,
                "platform": {"os": "linux", "architecture": arch},
            }
            for i, arch in enumerate(archs)
        ],
    }
    ecr.put_image(
        repositoryName=repository,
        imageManifest=json.dumps(manifest),
        imageTag=tag,
        imageManifestMediaType=INDEX,
    )


def platform_evidence(world: World, image: str, arch: str) -> LiveEvidence:
    arn = world.ecs.register_task_definition(
        family="thumbs",
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        runtimePlatform={"cpuArchitecture": arch, "operatingSystemFamily": "LINUX"},
        containerDefinitions=[{"name": "thumbs", "image": image, "memory": 512}],
    )["taskDefinition"]["taskDefinitionArn"]
    definition = world.ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
    task = {"taskDefinitionArn": arn, "lastStatus": "STOPPED", "containers": [{"name": "thumbs"}]}
    return LiveEvidence(region=REGION, tasks=[task], task_definitions={arn: definition})


def test_manifest_list_platforms_against_runtime_platform(world: World) -> None:
    put_index(world, "thumbs", "3.2.0", "amd64")
    evidence = platform_evidence(world, f"{REGISTRY}/thumbs:3.2.0", "ARM64")
    aws = Aws(world.session)
    two_rounds(aws, evidence, ["image_platform_mismatch"], "prod")
    assert aws.log == ["ecr:BatchGetImage"]
    [result] = [r for r in run_checks(evidence, ["image_platform_mismatch"]) if r.name == "image_platform"]
    assert result.outcome == "confirms"
    assert "thumbs:3.2.0 lists linux/amd64 only; the task runs linux/arm64" in result.detail


def test_a_missing_repository_is_an_answer_not_a_crash(world: World) -> None:
    evidence = platform_evidence(world, f"{REGISTRY}/nothere:1", "ARM64")
    aws = Aws(world.session)
    two_rounds(aws, evidence, ["image_platform_mismatch"], "prod")
    assert evidence.image_manifests == {"nothere:1": "RepositoryNotFoundException"}
    assert aws.gaps == []


def efs_world(world: World, *, allow_nfs: bool) -> tuple[str, str]:
    efs = world.session.client("efs")
    fs = efs.create_file_system(CreationToken="uploads")["FileSystemId"]
    mount_sg = world.ec2.create_security_group(GroupName="efs", Description="efs", VpcId=world.vpc)["GroupId"]
    if allow_nfs:
        world.ec2.authorize_security_group_ingress(
            GroupId=mount_sg,
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": 2049,
                    "ToPort": 2049,
                    "UserIdGroupPairs": [{"GroupId": world.sg}],
                }
            ],
        )
    efs.create_mount_target(FileSystemId=fs, SubnetId=world.subnet, SecurityGroups=[mount_sg])
    return fs, mount_sg


def seed_volume_service(world: World, fs: str) -> None:
    cluster = world.cluster()
    td = world.task_definition(family="cms", image="nginx:1.27")
    definition = world.ecs.describe_task_definition(taskDefinition=td)["taskDefinition"]
    arn = world.ecs.register_task_definition(
        family="cms",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=definition["containerDefinitions"],
        volumes=[
            {
                "name": "uploads",
                "efsVolumeConfiguration": {"fileSystemId": fs, "transitEncryption": "ENABLED"},
            }
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    world.service(cluster, "cms", arn)
    reason = "ResourceInitializationError: failed to invoke EFS utils commands to set up EFS volumes"
    world.task(cluster, "cms", arn, "TaskFailedToStart", reason)


def collect_volume(world: World) -> tuple[Aws, LiveEvidence, Any]:
    aws = Aws(world.session)
    core = collect_core(aws, TargetSpec(cluster="prod", service="cms"), cache={})
    rounds = aws.rounds
    evidence = collect_wave(aws, core, ["volume_mount"])
    return aws, evidence, aws.rounds - rounds


def test_efs_mount_target_without_nfs_from_the_task(world: World) -> None:
    fs, mount_sg = efs_world(world, allow_nfs=False)
    seed_volume_service(world, fs)
    aws, evidence, rounds = collect_volume(world)
    assert rounds == 2
    assert aws.rounds <= 4
    assert evidence.mount_targets[fs]
    [result] = [r for r in run_checks(evidence, ["volume_mount"]) if r.name == "efs_volume"]
    assert result.outcome == "confirms"
    assert f"in {world.subnet} allows no NFS 2049 from {world.sg}" in result.detail
    assert mount_sg in result.detail


def test_efs_mount_target_that_admits_the_task(world: World) -> None:
    fs, _ = efs_world(world, allow_nfs=True)
    seed_volume_service(world, fs)
    _, evidence, _ = collect_volume(world)
    [result] = [r for r in run_checks(evidence, ["volume_mount"]) if r.name == "efs_volume"]
    assert result.outcome == "inconclusive"
    assert f"serves {world.subnet}" in result.detail
