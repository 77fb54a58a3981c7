from __future__ import annotations

from tests.builders.prevent import container, results, rule_ids, taskdef


def test_nginx_with_a_read_only_root_and_no_cache_volume_is_an_error() -> None:
    [found] = results(
        taskdef(container(image="nginx:1.25", readonlyRootFilesystem=True)), "readonly_root_filesystem"
    )
    assert found.severity == "error" and "/var/cache/nginx" in found.fact
    assert '"containerPath": "/var/cache/nginx"' in (found.fix.cli or "")


def test_nginx_with_its_paths_mounted_passes() -> None:
    mounts = [
        {"sourceVolume": "cache", "containerPath": "/var/cache/nginx"},
        {"sourceVolume": "run", "containerPath": "/var/run"},
    ]
    definition = taskdef(
        container(image="nginx:1.25", readonlyRootFilesystem=True, mountPoints=mounts),
        volumes=[{"name": "cache"}, {"name": "run"}],
    )
    assert not {"readonly_root_filesystem", "mount_volume"} & rule_ids(definition)


def test_any_other_image_without_a_writable_volume_is_a_warning() -> None:
    [found] = results(taskdef(container(readonlyRootFilesystem=True)), "readonly_root_filesystem")
    assert found.severity == "warning" and "/tmp" in found.fact


def test_a_mount_point_of_an_undeclared_volume_is_an_error() -> None:
    definition = taskdef(container(mountPoints=[{"sourceVolume": "data", "containerPath": "/data"}]))
    [found] = results(definition, "mount_volume")
    assert found.severity == "error" and "data" in found.fact
