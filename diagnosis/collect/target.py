"""What the user asked about: `web-api`, `prod/web-api`, a service or task ARN, a task ID; found in AWS."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import boto3

from diagnosis.collect.aws import Aws, Call, first

TASK_ID = re.compile(r"^[0-9a-f]{32}$|^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")


class TargetError(Exception):
    """The target cannot be used; the message says why and what to type instead."""

    def __init__(self, message: str, candidates: list[str] | None = None) -> None:
        super().__init__(message)
        self.candidates = candidates or []

    def __reduce__(self) -> tuple[type[TargetError], tuple[str, list[str]]]:
        return (type(self), (str(self), self.candidates))  # survives the trip from a diagnosis process


class AmbiguousTarget(TargetError):
    pass


class UnknownTarget(TargetError):
    pass


@dataclass(frozen=True, slots=True)
class TargetSpec:
    cluster: str | None = None
    service: str | None = None
    task: str | None = None
    region: str | None = None
    account: str | None = None


def parse_target(text: str, cluster: str | None = None, region: str | None = None) -> TargetSpec:
    """Read the forms people type; say what is accepted when it is none of them."""
    text = text.strip()
    if text.startswith("arn:"):
        parts = text.split(":", 5)
        if len(parts) != 6 or parts[2] != "ecs":
            raise TargetError(f"{text!r} is not an ECS service or task ARN")
        resource = parts[5].split("/")
        arn_region, account = parts[3], parts[4]
        if resource[0] == "service" and len(resource) in (2, 3):
            return TargetSpec(
                cluster=resource[1] if len(resource) == 3 else cluster,
                service=resource[-1],
                region=arn_region,
                account=account,
            )
        if resource[0] == "task" and len(resource) in (2, 3):
            return TargetSpec(
                cluster=resource[1] if len(resource) == 3 else cluster,
                task=resource[-1],
                region=arn_region,
                account=account,
            )
        raise TargetError(f"{text!r} is an ECS ARN but not of a service or a task")
    if "/" in text:
        cluster_part, _, service = text.partition("/")
        if NAME.match(cluster_part) and NAME.match(service):
            return TargetSpec(cluster=cluster_part, service=service, region=region)
    if TASK_ID.match(text):
        return TargetSpec(cluster=cluster, task=text, region=region)
    if NAME.match(text):
        return TargetSpec(cluster=cluster, service=text, region=region)
    raise TargetError(
        f"{text!r} is not a target; use a service name (web-api), cluster/service (prod/web-api), "
        "a service or task ARN, or a task ID"
    )


def resolve(aws: Aws, spec: TargetSpec, default_clusters: list[str], suggest: bool = True) -> TargetSpec:
    """Fill in the cluster of a bare service name or task ID by looking in the clusters; an unknown
    service gets the closest names (one more round) when `suggest`."""
    if spec.cluster:
        return spec
    clusters = list(default_clusters) or list_clusters(aws)
    if not clusters and aws.gaps:  # not "no cluster": we could not ask (credentials, permissions, network)
        raise TargetError(f"could not list the ECS clusters in {aws.region}: {aws.gaps[-1].reason}")
    if not clusters:
        raise UnknownTarget(f"no ECS cluster found in {aws.region}; pass --cluster or --region")
    if spec.task:
        found = aws.round(
            {
                c: Call("ecs", "describe_tasks", {"cluster": c, "tasks": [spec.task]}, "tasks")
                for c in clusters
            }
        )
        hits = [c for c, outcome in found.items() if first(outcome, "tasks")]
        if not hits:
            raise task_not_found(spec.task, clusters)
        arns = [str(t.get("taskArn", "")) for t in first(found[hits[0]], "tasks")]
        return replace(spec, cluster=hits[0], account=spec.account or _account(arns))
    service = spec.service or ""
    found = aws.round(
        {
            c: Call("ecs", "describe_services", {"cluster": c, "services": [service]}, "services")
            for c in clusters
        }
    )
    hits = [
        c
        for c, outcome in found.items()
        if any(s.get("status") != "INACTIVE" for s in first(outcome, "services"))
    ]
    if len(hits) == 1:
        arns = [str(s.get("serviceArn", "")) for s in first(found[hits[0]], "services")]
        return replace(spec, cluster=hits[0], account=spec.account or _account(arns))
    if len(hits) > 1:
        raise AmbiguousTarget(
            f"service {service} exists in {len(hits)} clusters: {', '.join(hits)}; pass --cluster or "
            f"type cluster/service",
            [f"{c}/{service}" for c in hits],
        )
    if not suggest:
        raise UnknownTarget(f"no service named {service} in {', '.join(clusters)}")
    raise unknown_service(aws, service, clusters)


def locate(
    regions: Mapping[str, Aws], spec: TargetSpec, default_clusters: list[str]
) -> tuple[str, TargetSpec]:
    """A target typed without a region, looked for in each of the account's regions at once: the rounds of
    one lookup, not one lookup per region. Found in one region: that one; in several: a choice of service
    ARNs (they carry the region); in none: what each region said."""
    results = _everywhere(regions, spec, default_clusters, suggest=False)
    found = {region: hit for region, hit in results.items() if isinstance(hit, TargetSpec)}
    if len(found) == 1:
        [(region, hit)] = found.items()
        return region, replace(hit, region=region)
    what = f"service {spec.service}" if spec.service else f"task {spec.task}"
    if found:
        raise AmbiguousTarget(
            f"{what} exists in {len(found)} regions: "
            + ", ".join(f"{region} ({hit.cluster})" for region, hit in found.items())
            + "; pass --region",
            [_arn(region, hit) for region, hit in found.items()],
        )
    if spec.service and all(isinstance(e, UnknownTarget) for e in results.values()):
        results = _everywhere(regions, spec, default_clusters, suggest=True)  # now the closest names
    errors = {region: e for region, e in results.items() if isinstance(e, TargetError)}
    ambiguous = [e for e in errors.values() if isinstance(e, AmbiguousTarget)]
    if len(ambiguous) == 1:
        raise ambiguous[0]
    message = "; ".join(f"{region}: {error}" for region, error in errors.items())
    candidates = [c for e in errors.values() for c in e.candidates]
    if all(isinstance(e, UnknownTarget) for e in errors.values()):
        raise UnknownTarget(message, candidates)
    raise TargetError(message, candidates)


def _everywhere(
    regions: Mapping[str, Aws], spec: TargetSpec, default_clusters: list[str], suggest: bool
) -> dict[str, TargetSpec | TargetError]:
    """Resolve in every region at once. A typed cluster is looked in, not trusted: it may be in one only."""

    def one(aws: Aws) -> TargetSpec | TargetError:
        try:
            if spec.cluster:
                return resolve(aws, replace(spec, cluster=None), [spec.cluster], suggest)
            return resolve(aws, spec, default_clusters, suggest)
        except TargetError as exc:
            return exc

    with ThreadPoolExecutor(len(regions), thread_name_prefix="locate") as pool:
        futures = {region: pool.submit(one, aws) for region, aws in regions.items()}
        return {region: future.result() for region, future in futures.items()}


def _account(arns: list[str]) -> str | None:
    parts = next((a.split(":") for a in arns if a.startswith("arn:")), [])
    return parts[4] if len(parts) > 5 and parts[4] else None


def _arn(region: str, spec: TargetSpec) -> str:
    """A choice that keeps its region; cluster/name where the account is not known."""
    kind, name = ("service", spec.service) if spec.service else ("task", spec.task)
    if not spec.account:
        return f"{spec.cluster}/{name}"
    return f"arn:aws:ecs:{region}:{spec.account}:{kind}/{spec.cluster}/{name}"


def task_not_found(task: str, clusters: list[str]) -> UnknownTarget:
    """A task ECS does not return (a typed ID or ARN alike): it forgets stopped tasks after about an hour."""
    return UnknownTarget(
        f"task {task} was not found in {', '.join(clusters)} (ECS forgets stopped tasks after about an "
        "hour; `ecs-why history` keeps them)"
    )


def unknown_service(aws: Aws, service: str, clusters: list[str]) -> UnknownTarget:
    names = service_names(aws, clusters)
    close = difflib.get_close_matches(service, [n.split("/", 1)[1] for n in names], n=5, cutoff=0.5)
    suggestions = [n for n in names if n.split("/", 1)[1] in close]
    hint = f"; closest: {', '.join(suggestions)}" if suggestions else ""
    where = ", ".join(clusters)
    return UnknownTarget(f"no service named {service} in {where}{hint}", suggestions)


def list_clusters(aws: Aws) -> list[str]:
    arns: list[str] = []
    token: str | None = None
    while True:
        params = {"nextToken": token} if token else {}
        outcome = aws.round({"c": Call("ecs", "list_clusters", params, "clusters")})["c"]
        arns += [a for a in (outcome.data or {}).get("clusterArns", [])]
        token = (outcome.data or {}).get("nextToken")
        if not token or len(arns) > 1000:
            break
    return [a.rsplit("/", 1)[-1] for a in arns]


def service_names(aws: Aws, clusters: list[str]) -> list[str]:
    found = aws.round(
        {c: Call("ecs", "list_services", {"cluster": c, "maxResults": 100}, "services") for c in clusters}
    )
    return [
        f"{c}/{arn.rsplit('/', 1)[-1]}"
        for c, outcome in found.items()
        for arn in (outcome.data or {}).get("serviceArns", [])
    ]


def find(
    session: boto3.Session,
    spec: TargetSpec,
    region: str | None,
    regions: Sequence[str],
    default_clusters: list[str],
    progress: Callable[[int, list[str]], None] | None,
) -> tuple[Aws, TargetSpec, tuple[int, int]]:
    """The target's cluster (and region, when several `regions` are searched), the Aws of its region (the
    caller closes it), and the calls and extra rounds spent in the other regions (asked in the same rounds,
    so rounds add only past it)."""
    search = list(dict.fromkeys(regions)) if spec.region is None and len(set(regions)) > 1 else []
    if not search:
        aws = Aws(session, spec.region or region, on_round=progress)
        try:
            return aws, resolve(aws, spec, default_clusters), (0, 0)
        except BaseException:
            aws.close()
            raise
    everywhere = {r: Aws(session, r, on_round=progress) for r in search}
    try:
        found, spec = locate(everywhere, spec, default_clusters)
    except BaseException:
        for each in everywhere.values():
            each.close()
        raise
    aws = everywhere.pop(found)
    for each in everywhere.values():  # their gaps say where the target is not: not this diagnosis's
        each.close()
    calls = sum(each.calls for each in everywhere.values())
    rounds = max([each.rounds for each in everywhere.values()], default=0) - aws.rounds
    return aws, spec, (calls, max(rounds, 0))
