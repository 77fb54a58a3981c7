"""Services whose diagnosis is only worth something with the facts an expert states: the image's platforms,
the EFS mount target's security group, the container instances' free memory, the command, the health check
timing and the capacity provider strategy. Each `prepare` creates what the service needs in the account.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from bot.demo.spec import Revision, Scenario, Stop, Tasks, ago
from bot.demo.world import World

INDEX = "application/vnd.oci.image.index.v1+json"


def _platform_index(world: World) -> None:
    """thumbnailer:2.9.0 is a multi-platform index that holds linux/amd64 only (plus a build attestation)."""
    entries = [("linux", "amd64"), ("unknown", "unknown")]
    manifest = {
        "schemaVersion": 2,
        "mediaType": INDEX,
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": "sha256:" + hashlib.sha256(f"thumbnailer {arch}".encode()).hexdigest(),
                "size": 1734,
                "platform": {"os": os_name, "architecture": arch},
            }
            for os_name, arch in entries
        ],
    }
    image = world.ecr.put_image(
        repositoryName="thumbnailer",
        imageManifest=json.dumps(manifest),
        imageTag="2.9.0",
        imageManifestMediaType=INDEX,
    )["image"]
    world.digests["thumbnailer:2.9.0"] = image["imageId"]["imageDigest"]


THUMBNAILER = Scenario(
    service="thumbnailer",
    pushed=("2.8.4",),
    prepare=_platform_index,
    revisions=(
        Revision(
            "2.9.0",
            rollout="IN_PROGRESS",
            deployed=ago(minutes=44),
            updated=ago(minutes=7),
            cpu="1024",
            memory="2048",
            definition={"runtimePlatform": {"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"}},
        ),
    ),
    desired=1,
    tasks=(
        Tasks(
            3,
            first=ago(minutes=43),
            every=timedelta(minutes=13),
            stop=Stop(
                "TaskFailedToStart",
                "CannotPullContainerError: pull image manifest has been retried 1 time(s): image Manifest "
                "does not contain descriptor matching platform 'linux/arm64/v8'",
                after=31,
                reason_on_container=True,
            ),
        ),
    ),
    category="image_platform_mismatch",
    facts=("ARM64",),
    conclusions=("lists linux/amd64 only; the task runs linux/arm64",),
    story="moved to Graviton (runtimePlatform ARM64), but thumbnailer:2.9.0 was built for linux/amd64 only",
)


def _file_system(world: World) -> None:
    """media's EFS file system: mount targets in both private subnets, their group admits NFS from web only."""
    efs = world.session.client("efs", region_name=world.region, endpoint_url=world.endpoint_url)
    fs = efs.create_file_system(CreationToken="media-uploads", Encrypted=True)["FileSystemId"]
    group = world.ec2.create_security_group(
        GroupName="media-efs",
        Description="media EFS mount targets: NFS from the web tasks",
        VpcId=world.ids["vpc"],
    )["GroupId"]
    world.ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 2049,
                "ToPort": 2049,
                "UserIdGroupPairs": [{"GroupId": world.ids["sg_web"]}],  # the web tasks', not media's
            }
        ],
    )
    for key in ("subnet_private_a", "subnet_private_b"):
        efs.create_mount_target(FileSystemId=fs, SubnetId=world.ids[key], SecurityGroups=[group])
    world.ids["efs_media"], world.ids["sg_media_efs"] = fs, group


MEDIA = Scenario(
    service="media",
    pushed=("4.1.0",),
    prepare=_file_system,
    revisions=(
        Revision(
            "4.1.0",
            rollout="IN_PROGRESS",
            deployed=ago(minutes=27),
            updated=ago(minutes=5),
            port=8080,
            definition={
                "volumes": [
                    {
                        "name": "uploads",
                        "efsVolumeConfiguration": {
                            "fileSystemId": "{efs_media}",
                            "transitEncryption": "ENABLED",
                        },
                    }
                ]
            },
            container={"mountPoints": [{"sourceVolume": "uploads", "containerPath": "/srv/uploads"}]},
        ),
    ),
    tasks=(
        Tasks(
            4,
            first=ago(minutes=26),
            every=timedelta(minutes=6),
            stop=Stop(
                "TaskFailedToStart",
                "ResourceInitializationError: failed to invoke EFS utils commands to set up EFS volumes: "
                "stderr: b'mount.nfs4: Connection timed out' : unsuccessful EFS utils command execution; "
                "code: 32",
                after=95,
            ),
        ),
    ),
    category="volume_mount",
    facts=("{efs_media}",),
    conclusions=("allows no NFS 2049 from {sg_app}", "{sg_media_efs}"),
    story="the EFS mount targets' security group admits NFS from the web tasks' group, not from media's",
)


def _container_instances(world: World) -> None:
    """Two m5.large container instances in the cluster, most of their memory taken by other tasks."""
    image = world.ec2.describe_images()["Images"][0]["ImageId"]
    instances = world.ec2.run_instances(
        ImageId=image, MinCount=2, MaxCount=2, InstanceType="m5.large", SubnetId=world.ids["subnet_private_a"]
    )["Instances"]
    left = ((1536, 1024), (980, 512))  # (memory MiB, cpu units) remaining on each
    for n, (instance, (memory, cpu)) in enumerate(zip(instances, left, strict=True)):
        document = json.dumps({"instanceId": instance["InstanceId"], "instanceType": "m5.large"})
        arn = world.ecs.register_container_instance(cluster=world.cluster, instanceIdentityDocument=document)[
            "containerInstance"
        ]["containerInstanceArn"]
        backend = world.ecs_backend.container_instances[world.cluster][arn.rsplit("/", 1)[-1]]
        backend.attributes["ecs.instance-type"] = "m5.large"
        for item in backend.registered_resources:
            item["integerValue"] = {"CPU": 2048, "MEMORY": 7680}.get(item["name"], item["integerValue"])
        for item in backend.remaining_resources:
            item["integerValue"] = {"CPU": cpu, "MEMORY": memory}.get(item["name"], item["integerValue"])
        backend.running_tasks_count = 3 + n
        world.ids[f"container_instance_{n}"] = arn.rsplit("/", 1)[-1]


PLACEMENT = (
    "(service reports) was unable to place a task because no container instance met all of its requirements. "
    "The closest matching (container-instance {container_instance_0}) has insufficient memory available. For "
    "more information, see the Troubleshooting section of the Amazon ECS Developer Guide."
)
REPORTS = Scenario(
    service="reports",
    pushed=("2026.11.2",),
    prepare=_container_instances,
    launch_type="EC2",
    revisions=(
        Revision(
            "2026.11.2",
            rollout="IN_PROGRESS",
            deployed=ago(minutes=22),
            updated=ago(minutes=22),
            cpu="1024",
            memory="3072",
            definition={"requiresCompatibilities": ["EC2"]},
        ),
    ),
    desired=1,
    tasks=(),
    events=tuple((ago(minutes=minutes), PLACEMENT) for minutes in (2, 9, 16)),
    category="placement_insufficient_resources",
    facts=("insufficient memory",),
    conclusions=("asks 3072 MiB, the largest container instance has 1536 MiB remaining",),
    story="asks 3072 MiB on EC2; the two container instances have 1536 and 980 MiB left",
)

RELAY = Scenario(
    service="relay",
    pushed=("0.7.2",),
    revisions=(
        Revision(
            "0.7.2",
            rollout="IN_PROGRESS",
            deployed=ago(minutes=33),
            updated=ago(minutes=4),
            command=("sh", "-c", "python -m relay.worker --queue outbound & echo relay started"),
            environment={"RELAY_QUEUE": "outbound"},
        ),
    ),
    desired=1,
    tasks=(
        Tasks(
            5,
            first=ago(minutes=32),
            every=timedelta(minutes=6),
            stop=Stop(
                "EssentialContainerExited", "Essential container in task exited", after=2.5, exit_code=0
            ),
            logs=[(0.2, "relay started")],
        ),
    ),
    category="clean_exit",
    facts=("relay.worker",),
    conclusions=("puts the main process in the background",),
    story="the command starts the worker with `&`, so the shell exits 0 at once and the task with it",
)

LEDGER = Scenario(
    service="ledger",
    pushed=("3.4.1",),
    revisions=(
        Revision(
            "3.4.1",
            rollout="IN_PROGRESS",
            deployed=ago(minutes=40),
            updated=ago(minutes=3),
            cpu="512",
            memory="1024",
            port=8443,
            container={
                "healthCheck": {
                    "command": ["CMD-SHELL", "curl -fs http://localhost:8443/health || exit 1"],
                    "interval": 10,
                    "timeout": 4,
                    "retries": 3,
                    "startPeriod": 15,
                }
            },
        ),
    ),
    desired=1,
    tasks=(
        Tasks(
            4,
            first=ago(minutes=39),
            every=timedelta(minutes=9),
            stop=Stop("ServiceSchedulerInitiated", "Task failed container health checks", after=61),
            logs=[
                (0.4, "Starting LedgerApplication v3.4.1"),
                (6.0, "warming the ledger cache (1.2M entries)"),
                (57.3, "Started LedgerApplication in 57.3 seconds (process running for 58.1)"),
            ],
        ),
    ),
    category="container_health_check",
    facts=("startPeriod",),
    conclusions=(
        "every 10 s, timeout 4 s, 3 retries, startPeriod 15 s",
        "needs 57 s to start, but the health check gives up after about 45 s",
    ),
    story="a 15 s startPeriod and 3 × 10 s retries (45 s) for an app that takes 57 s to start",
)

SYNC = Scenario(
    service="sync",
    pushed=("1.3.0",),
    capacity_providers=(
        {"capacityProvider": "FARGATE", "base": 1, "weight": 1},
        {"capacityProvider": "FARGATE_SPOT", "base": 0, "weight": 4},
    ),
    revisions=(Revision("1.3.0", rollout="COMPLETED", deployed=ago(days=6), updated=ago(days=6)),),
    desired=3,
    steady=(ago(days=6), ago(minutes=12)),
    tasks=(
        Tasks(
            2,
            first=ago(minutes=50),
            every=timedelta(minutes=14),
            capacity_provider="FARGATE_SPOT",
            stop=Stop("SpotInterruption", "Your Spot Task was interrupted.", after=1500, exit_code=143),
            logs=[(0.5, "sync 1.3.0 ready"), (1499.0, "SIGTERM received, checkpointing")],
        ),
        Tasks(
            3,
            first=ago(minutes=20),
            every=timedelta(minutes=2),
            capacity_provider="FARGATE_SPOT",
            logs=[(0.5, "sync 1.3.0 ready")],
        ),
    ),
    category="spot_interruption",
    facts=("FARGATE_SPOT",),
    conclusions=(
        "Spot interruptions are part of this design",
        "FARGATE base 1 weight 1, FARGATE_SPOT weight 4",
    ),
    story="Spot reclaimed two tasks; the strategy keeps one on FARGATE and four of five above it on Spot",
)

EXPERT = (THUMBNAILER, MEDIA, REPORTS, RELAY, LEDGER, SYNC)
