"""One place that talks to AWS: clients from one boto3 Session, adaptive retries, call counting, rounds of
concurrent calls, and failures turned into `Gap`s instead of exceptions.

A diagnosis is a few *rounds*; inside a round every call runs at once (they do not depend on each other),
so wall time is about rounds × latency, whatever the number of calls.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from diagnosis.models import Gap

DENIED = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnauthorizedException",
    "AuthorizationError",
    "NotAuthorized",
}
THROTTLED = {
    "Throttling",
    "ThrottlingException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "Throttled",
}
# IAM action prefixes whose API signing name differs.
IAM_PREFIX = {"monitoring": "cloudwatch", "elasticloadbalancing": "elasticloadbalancing"}
# Calls one round runs at once: the largest round is round 2 of a crash loop (1,000 stopped tasks are 10
# describe-tasks batches, beside the running tasks' batch and the task definitions) or an evidence wave of
# about 20 calls. A smaller pool would run a round in several waves, each one more latency.
AT_ONCE = 32


@dataclass(frozen=True, slots=True)
class Outcome:
    """A call's result: `data` when it answered, else the error code (e.g. ResourceNotFoundException)."""

    data: dict[str, Any] | None = None
    error: str | None = None
    # what this call could not read (also in `Aws.gaps`, unless held); not part of the answer
    gaps: tuple[Gap, ...] = field(default=(), compare=False)
    source: str = field(default="", compare=False)  # the call that answered, e.g. secretsmanager:DescribeSecret

    @property
    def ok(self) -> bool:
        return self.data is not None


@dataclass(frozen=True, slots=True)
class Call:
    """One API call of a round: service, operation (snake_case method), parameters, and what it is for."""

    service: str
    operation: str
    params: Mapping[str, Any] = field(default_factory=dict)
    what: str = ""
    expect: frozenset[str] = frozenset()  # error codes that are an answer (e.g. ResourceNotFoundException)
    max_items: int = 0  # > 0: follow the pages (botocore's paginator) up to this many items, merged
    region: str = ""  # "" the diagnosis's region; else where the resource is (a secret in another region)


class Aws:
    """Clients of one session, shared by the threads of a round (boto3 clients are thread-safe)."""

    def __init__(
        self,
        session: boto3.Session,
        region: str | None = None,
        max_workers: int = AT_ONCE,
        on_round: Callable[[int, list[str]], None] | None = None,
    ) -> None:
        self._session = session
        self._on_round = on_round  # (round number, its operations): a progress line on a terminal
        self.region = region or session.region_name or "us-east-1"
        self._config = Config(
            retries={"mode": "adaptive", "max_attempts": 4},
            connect_timeout=5,
            read_timeout=20,
            max_pool_connections=max_workers,  # per client: a round's calls may all go to one service
        )
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="aws")
        self.calls = 0
        self.rounds = 0
        self.gaps: list[Gap] = []
        self.log: list[str] = []  # "service:Operation" per call, for the IAM policy test and the benchmark

    def client(self, service: str, region: str = "") -> Any:
        key = f"{service}@{region}" if region and region != self.region else service
        with self._lock:
            if key not in self._clients:
                client = self._session.client(service, region_name=region or self.region, config=self._config)  # type: ignore[call-overload]
                client.meta.events.register("before-call", self._count)
                self._clients[key] = client
            return self._clients[key]

    def _count(self, model: Any = None, **_: Any) -> None:
        with self._lock:
            self.calls += 1
            if model is not None:
                self.log.append(f"{iam_prefix(model.service_model)}:{model.name}")

    def round(self, calls: Mapping[str, Call], hold_gaps: bool = False) -> dict[str, Outcome]:
        """Run independent calls at once; one round however many calls. Keys name the results.
        `hold_gaps`: a failure's gap stays in its outcome only (calls made ahead of knowing they are needed:
        the caller adds the gaps of those it uses)."""
        if not calls:
            return {}
        for call in calls.values():  # create clients here, not in the worker threads
            self.client(call.service, call.region)
        self.rounds += 1
        if self._on_round is not None:
            self._on_round(self.rounds, [call.operation for call in calls.values()])
        futures = {key: self._pool.submit(self.call, call, hold_gaps) for key, call in calls.items()}
        return {key: future.result() for key, future in futures.items()}

    def submit(self, call: Call) -> Future[Outcome]:
        """One call in the background, outside any round (a page's tasks described as the pages arrive)."""
        self.client(call.service, call.region)
        return self._pool.submit(self.call, call)

    def waited_for(self, rounds: int) -> None:
        """The caller has waited for a chain of `rounds` dependent calls that ran beside its own rounds:
        the diagnosis took at least that many sequential rounds."""
        self.rounds = max(self.rounds, rounds)

    def call(self, call: Call, hold_gaps: bool = False) -> Outcome:
        outcome = self._call(call)
        if outcome.gaps and not hold_gaps:
            with self._lock:
                self.gaps.extend(outcome.gaps)
        return outcome

    def keep_gaps(self, outcome: Outcome) -> None:
        """Add the held gaps of an outcome the diagnosis uses (see `round(hold_gaps=True)`)."""
        with self._lock:
            self.gaps.extend(outcome.gaps)

    def _call(self, call: Call) -> Outcome:
        client = self.client(call.service, call.region)
        operation = getattr(client, call.operation)
        action = (
            f"{iam_prefix(client.meta.service_model)}:{client.meta.method_to_api_mapping[call.operation]}"
        )
        try:
            if call.max_items and client.can_paginate(call.operation):
                pages = client.get_paginator(call.operation).paginate(
                    **call.params, PaginationConfig={"MaxItems": call.max_items}
                )
                return Outcome(data=pages.build_full_result(), source=action)
            return Outcome(data=operation(**call.params), source=action)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", "Error"))
            if code in DENIED:
                return _failed(call, f"AccessDenied: the role lacks {action}", action, action, code)
            if code in THROTTLED:
                return _failed(call, f"throttled by AWS after retries ({action})", None, action, code)
            if code not in call.expect:
                return _failed(call, f"{action} failed ({code})", None, action, code)
            return Outcome(error=code, source=action)
        except NoCredentialsError:
            return _failed(
                call,
                "no AWS credentials (set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)",
                action,
                action,
                "NoCredentialsError",
            )
        except (BotoCoreError, OSError) as exc:
            name = type(exc).__name__
            return _failed(call, f"{action} did not answer ({name})", None, action, name)
        except Exception as exc:
            name = type(exc).__name__
            return _failed(call, f"{action} gave no usable answer ({name})", None, action, name)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _failed(call: Call, reason: str, iam_action: str | None, action: str, code: str) -> Outcome:
    gap = Gap(
        what=call.what or call.operation, reason=reason, iam_action=iam_action, call=action, error_code=code
    )
    return Outcome(error=code, gaps=(gap,), source=action)


def iam_prefix(service_model: Any) -> str:
    name = service_model.metadata.get("signingName") or service_model.endpoint_prefix
    return str(IAM_PREFIX.get(name, name))


def first(outcome: Outcome, key: str) -> list[dict[str, Any]]:
    """The list under `key` of an answered call, or [] (a gap already says why)."""
    if outcome.data is None:
        return []
    value = outcome.data.get(key) or []
    return list(value) if isinstance(value, list) else []
