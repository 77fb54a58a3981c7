"""Hypothesis strategies for what a user might paste: any JSON, its keys biased to the fields ECS documents
carry so the generated values reach the parser's branches."""

from __future__ import annotations

from hypothesis import strategies as st

TEXT = st.text(st.characters(blacklist_categories=("Cs", "No")), max_size=40)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    TEXT,
    st.sampled_from(
        [
            "STOPPED",
            "service:web-api",
            "Essential container in task exited",
            "OutOfMemoryError: Container killed due to memory usage",
            "arn:aws:ecs:us-east-1:123456789012:task/prod/0f1e2d3c4b5a69788796a5b4c3d2e1f0",
            "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3",
            "ECS Task State Change",
        ]
    ),
)
KEYS = st.one_of(
    TEXT,
    st.sampled_from(
        [
            "taskArn",
            "clusterArn",
            "group",
            "taskDefinitionArn",
            "lastStatus",
            "desiredStatus",
            "stopCode",
            "stoppedReason",
            "containers",
            "exitCode",
            "reason",
            "name",
            "essential",
            "attachments",
            "details",
            "tasks",
            "services",
            "serviceName",
            "serviceArn",
            "events",
            "message",
            "deployments",
            "rolloutState",
            "detail-type",
            "detail",
            "resources",
            "eventName",
            "createdAt",
            "stoppedAt",
            "healthCheckGracePeriodSeconds",
            "loadBalancers",
            "targetGroupArn",
            "deploymentConfiguration",
        ]
    ),
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=6),
    max_leaves=30,
)
