"""Documents a user would paste (`ecs-why diagnose -`, the Slack modal), built from a gathered wording."""

from __future__ import annotations


def as_document(entry: dict) -> dict:
    """The wording inside the document a user would paste: a stopped task, or a service with that event."""
    if entry["kind"] == "service_event":
        return {
            "serviceName": "web",
            "clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/prod",
            "status": "ACTIVE",
            "desiredCount": 2,
            "runningCount": 0,
            "events": [{"id": "e1", "createdAt": "2026-04-19T10:59:00Z", "message": entry["event_message"]}],
        }
    container: dict = {"name": "app", "lastStatus": "STOPPED"}
    if entry.get("exit_code") is not None:
        container["exitCode"] = entry["exit_code"]
    if entry.get("container_reason"):
        container["reason"] = entry["container_reason"]
    return {
        "taskArn": "arn:aws:ecs:us-east-1:123456789012:task/prod/0f1e2d3c4b5a69788796a5b4c3d2e1f0",
        "group": "service:web",
        "lastStatus": "STOPPED",
        "desiredStatus": "STOPPED",
        "stopCode": entry.get("stop_code", ""),
        "stoppedReason": entry.get("stopped_reason", ""),
        "containers": [container],
    }
