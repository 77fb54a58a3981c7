"""Derived from diagnosis/prevent/rules by `python -m diagnosis.prevent.catch`: do not edit (catch.py)."""

LIVE_PROOFS: dict[str, tuple[tuple[str, str], ...]] = {
    "image_not_found": (
        ("ecr_image", "image_exists"),
    ),
    "image_platform_mismatch": (
        ("image_platform", "image_platform"),
    ),
    "secrets_retrieval": (
        ("secret_exists", "secret_exists"),
        ("secret_access", "secret_exists"),
        ("execution_role", "execution_role_allowed"),
        ("network_path", "network_path"),
    ),
    "image_pull_auth": (
        ("execution_role", "execution_role_allowed"),
    ),
    "log_driver_init": (
        ("execution_role", "execution_role_allowed"),
        ("log_group", "log_group_exists"),
        ("network_path", "network_path"),
    ),
    "image_pull_network": (
        ("network_path", "network_path"),
    ),
    "eni_or_subnet": (
        ("subnet_ips", "subnet_addresses"),
    ),
    "oom": (
        ("memory_utilization", "memory_headroom"),
    ),
    "elb_health_check": (
        ("target_group", "load_balancer_health"),
    ),
    "placement_insufficient_resources": (
        ("container_instances", "cluster_capacity"),
    ),
    "volume_mount": (
        ("efs_volume", "efs_volume"),
    ),
    "clean_exit": (
        ("task_definition", "foreground_command"),
    ),
    "container_health_check": (
        ("task_definition", "health_check_window"),
    ),
}
MAIN_RULES: dict[str, tuple[str, bool]] = {
    "image_not_found": ("image_exists", True),
    "image_platform_mismatch": ("image_platform", True),
    "secrets_retrieval": ("secret_exists", True),
    "image_pull_auth": ("execution_role_allowed", True),
    "log_driver_init": ("log_group_exists", True),
    "image_pull_network": ("network_path", True),
    "eni_or_subnet": ("subnet_addresses", True),
    "oom": ("memory_headroom", True),
    "elb_health_check": ("load_balancer_health", True),
    "placement_insufficient_resources": ("cluster_capacity", True),
    "volume_mount": ("efs_volume", True),
    "clean_exit": ("foreground_command", True),
    "container_health_check": ("health_check_window", True),
    "invalid_task_definition_or_parameter": ("fargate_task_size", False),
    "app_error": ("circuit_breaker", False),
    "spot_interruption": ("spot_base", False),
    "container_start_failure": ("readonly_root_filesystem", False),
    "sigkill_stop_timeout": ("stop_timeout", False),
}
