"""Who manages a service: CloudFormation (or CDK, which deploys through it), Terraform, or nobody.

A fix made through the API to a service that code manages is undone by the next deploy of that code, so
before offering it the bot finds out, from (in order): the `aws:cloudformation:stack-name` tag and the
stack's resources (CDK when the resource carries `aws:cdk:path`), the tags the team declares
(ECS_WHY_IAC_TAGS), and the user agent of the CloudTrail events that created or last updated the service.
The parsing here is pure; `who_manages` makes the (at most four) AWS calls and never raises.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

TOOLS = ("cloudformation", "cdk", "terraform")
STACK_TAG = "aws:cloudformation:stack-name"
# What a tool's user agent says (CloudTrail's userAgent of CreateService / UpdateService).
AGENTS = (
    ("terraform", ("terraform/", "terraform-provider-aws", "hashicorp")),
    ("cdk", ("aws-cdk", "cdk/")),
    ("cloudformation", ("cloudformation.amazonaws.com", "aws cloudformation", "cloudformation")),
)
DEPLOY = {
    "cloudformation": "the next update of CloudFormation stack {name}",
    "cdk": "the next `cdk deploy` of stack {name}",
    "terraform": "the next `terraform apply` of {name}",
}
LABEL = {"cloudformation": "CloudFormation", "cdk": "AWS CDK", "terraform": "Terraform"}


@dataclass(frozen=True)
class Owner:
    """The code that owns a service; `how` is the evidence, said to the user."""

    tool: str
    name: str  # stack, workspace or project; "" when the evidence does not say
    how: str
    logical_id: str = ""  # CloudFormation: the service's logical ID in the stack
    task_logical_id: str = ""  # CloudFormation: its task definition's

    @property
    def label(self) -> str:
        return LABEL[self.tool]

    def undo(self, quote: Callable[[str], str] = str) -> str:
        """ "The next `terraform apply` of payments will undo this API change", said plainly in the modal;
        `quote` marks up the name (it comes from AWS)."""
        where = (
            DEPLOY[self.tool].format(name=quote(self.name)) if self.name else f"the next {self.label} deploy"
        )
        return f"{where[0].upper()}{where[1:]} will undo this API change"


@dataclass(frozen=True)
class Ownership:
    owner: Owner | None = None
    unknown: str = ""  # what could not be read, so that "not managed" is never a guess presented as fact


def _spanned(value: str) -> str:
    """A value from AWS (a tag, a user agent) made safe inside a `code span` of `how`: a backtick in it
    would end the span early in every renderer (Slack, Markdown), so it is shown as a quote."""
    return value.replace("`", "'")


def parse_declared(declared: Mapping[str, str]) -> list[tuple[str, str | None, str]]:
    """ECS_WHY_IAC_TAGS {"KEY": tool} or {"KEY=VALUE": tool} as (key, value or None, tool)."""
    rules = []
    for spec, tool in declared.items():
        key, sep, value = spec.partition("=")
        rules.append((key.strip(), value.strip() if sep else None, tool))
    return rules


def owner_from_tags(tags: Mapping[str, str], declared: Mapping[str, str]) -> Owner | None:
    """The team's declared tags; a KEY rule names the owner by the tag's value (a workspace, a project)."""
    for key, value, tool in parse_declared(declared):
        if key in tags and (value is None or tags[key] == value):
            name = tags[key] if value is None else ""
            return Owner(tool, name, f"its tag `{_spanned(f'{key}={tags[key]}')}` (ECS_WHY_IAC_TAGS)")
    return None


def owner_from_agent(user_agent: str, event: str, when: str) -> Owner | None:
    agent = user_agent.lower()
    for tool, needles in AGENTS:
        if any(n in agent for n in needles):
            return Owner(tool, "", f"CloudTrail: {event} {when} came from `{_spanned(user_agent[:80])}`")
    return None


def stack_owner(stack: str, resources: list[dict[str, Any]], service_arn: str, task_arn: str) -> Owner:
    """The stack's resources: the service's and its task definition's logical IDs; CDK by its metadata."""
    logical = next(
        (str(r["LogicalResourceId"]) for r in resources if r.get("PhysicalResourceId") == service_arn), ""
    )
    task = next(
        (str(r["LogicalResourceId"]) for r in resources if r.get("PhysicalResourceId") == task_arn), ""
    )
    cdk = any(r.get("LogicalResourceId") == "CDKMetadata" for r in resources)
    how = f"its tag `{_spanned(f'{STACK_TAG}={stack}')}`" + (" and the stack's CDKMetadata" if cdk else "")
    return Owner("cdk" if cdk else "cloudformation", stack, how, logical, task)


def who_manages(
    ecs: Any, cloudformation: Any, cloudtrail: Any, cluster: str, service: str, declared: Mapping[str, str]
) -> Ownership:
    """Tags first (one call), the stack's resources when tagged by CloudFormation, else CloudTrail."""
    try:
        found = ecs.describe_services(cluster=cluster, services=[service], include=["TAGS"])["services"]
    except Exception as exc:  # AccessDenied, throttling, the network: say so, never guess
        return Ownership(unknown=f"the service's tags ({_why(exc)})")
    if not found:
        return Ownership(unknown="the service")
    tags = {str(t.get("key")): str(t.get("value", "")) for t in found[0].get("tags") or []}
    arn, task = str(found[0].get("serviceArn", "")), str(found[0].get("taskDefinition", ""))
    stack = tags.get(STACK_TAG)
    if stack:
        try:
            resources = cloudformation.describe_stack_resources(StackName=stack)["StackResources"]
        except Exception as exc:
            tagged = Owner("cloudformation", stack, f"its tag `{_spanned(f'{STACK_TAG}={stack}')}`")
            return Ownership(tagged, unknown=f"the resources of stack {stack} ({_why(exc)})")
        return Ownership(stack_owner(stack, resources, arn, task))
    declared_owner = owner_from_tags(tags, declared)
    if declared_owner is not None:
        return Ownership(declared_owner)
    return _from_cloudtrail(cloudtrail, arn)


def _from_cloudtrail(cloudtrail: Any, arn: str) -> Ownership:
    try:
        events = cloudtrail.lookup_events(
            LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": arn}], MaxResults=50
        )["Events"]
    except Exception as exc:
        return Ownership(unknown=f"who created or last updated it in CloudTrail ({_why(exc)})")
    for event in events:  # newest first
        if event.get("EventName") not in ("CreateService", "UpdateService"):
            continue
        try:
            detail = json.loads(event.get("CloudTrailEvent") or "{}")
        except ValueError:
            continue
        owner = owner_from_agent(str(detail.get("userAgent", "")), str(event["EventName"]), _when(event))
        if owner is not None:  # the newest change a tool made: a person's later click does not disown it
            return Ownership(owner)
    return Ownership()


def _when(event: dict[str, Any]) -> str:
    at = event.get("EventTime")
    return f"on {at:%Y-%m-%d %H:%M} UTC" if hasattr(at, "strftime") else ""


def _why(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", type(exc).__name__))
    return type(exc).__name__
