"""The inline IAM policy that grants what a role was refused: one statement per resource, its actions, as
compact JSON for `aws iam put-role-policy --policy-document '…'`, and the name it is put under."""

from __future__ import annotations

import json
from collections.abc import Iterable


def allow_policy(refused: Iterable[tuple[str, str]]) -> str:
    """A policy document allowing each (action, resource) pair ("" when there is none)."""
    by_resource: dict[str, list[str]] = {}
    for action, resource in refused:
        if action and resource and action not in by_resource.setdefault(resource, []):
            by_resource[resource].append(action)
    if not by_resource:
        return ""
    statements = [
        {"Effect": "Allow", "Action": actions[0] if len(actions) == 1 else actions, "Resource": resource}
        for resource, actions in by_resource.items()
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, separators=(",", ":"))


def grant_names(refused: Iterable[tuple[str, str]]) -> dict[str, str]:
    """`denied_policy` and `denied_policy_name` for the fix's put-role-policy ({} when nothing is refused).
    The name is the document's own (a short hash): put-role-policy replaces a policy of the same name, so a
    second grant must not remove the first, while the same grant again replaces itself."""
    document = allow_policy(refused)
    if not document:
        return {}
    import hashlib  # its OpenSSL costs every start (tens of ms); only a refused read needs it

    digest = hashlib.sha256(document.encode()).hexdigest()[:12]
    return {"denied_policy": document, "denied_policy_name": f"ecs-secrets-access-{digest}"}
