"""iam:SimulatePrincipalPolicy for tests, which moto does not implement.

A stand-in policy evaluator on a botocore client (the hooks botocore's Stubber uses, but answering by what
is asked rather than in a fixed order, since a round runs its calls concurrently): each role allows
`(action, resource glob)` pairs and may deny some explicitly; the answer has AWS's current shape (one
result per action, the decision on each resource in ResourceSpecificResults). Every request is kept.
"""

from __future__ import annotations

import threading
from fnmatch import fnmatchcase
from typing import Any

Grants = dict[str, list[tuple[str, str]]]  # role ARN -> (action, resource glob)


class IamSimulator:
    def __init__(
        self, client: Any, allow: Grants, deny: Grants | None = None, error: str | None = None
    ) -> None:
        self.allow, self.deny, self.error = allow, deny or {}, error
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        client.meta.events.register("before-parameter-build.iam.SimulatePrincipalPolicy", self._keep)
        client.meta.events.register("before-call.iam.SimulatePrincipalPolicy", self._answer)

    def _keep(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["simulated"] = dict(params)
        with self._lock:
            self.requests.append(dict(params))

    def _answer(self, context: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]]:
        if self.error:
            status = 429 if "Throttl" in self.error else 403
            return _Http(status), {"Error": {"Code": self.error, "Message": self.error}}
        params = context["simulated"]
        role = params["PolicySourceArn"]
        resources = params.get("ResourceArns") or ["*"]
        results = []
        for action in params["ActionNames"]:
            decisions = [(r, self.decide(role, action, r)) for r in resources]
            worst = next(
                (d for d in ("explicitDeny", "implicitDeny") if d in {x for _, x in decisions}), "allowed"
            )
            results.append(
                {
                    "EvalActionName": action,
                    "EvalResourceName": resources[0],
                    "EvalDecision": worst,
                    "ResourceSpecificResults": [
                        {"EvalResourceName": r, "EvalResourceDecision": d} for r, d in decisions
                    ],
                }
            )
        return _Http(200), {"EvaluationResults": results, "IsTruncated": False}

    def decide(self, role: str, action: str, resource: str) -> str:
        def matches(grants: Grants) -> bool:
            return any(fnmatchcase(action, a) and fnmatchcase(resource, r) for a, r in grants.get(role, []))

        if matches(self.deny):
            return "explicitDeny"
        return "allowed" if matches(self.allow) else "implicitDeny"

    def asked(self) -> set[tuple[str, str, str]]:
        """(role, action, resource) of every pair simulated."""
        return {
            (p["PolicySourceArn"], a, r)
            for p in self.requests
            for a in p["ActionNames"]
            for r in p.get("ResourceArns") or ["*"]
        }


class _Http:
    def __init__(self, status: int) -> None:
        self.status_code = status
        self.headers: dict[str, str] = {}
        self.raw = None
        self.content = b""
