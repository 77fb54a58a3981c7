"""The confirmation of a fix to a service that code manages: who manages it, that its next deploy undoes the
API change, the code to commit next to the AWS call; with code-only, no submit button at all."""

from __future__ import annotations

import json
from typing import Any

from bot.remediation.iac import Owner, Ownership
from bot.remediation.kinds import Plan
from handlers.render.modal import confirm_view
from tests.builders.slack_messages import texts

GRACE = Plan(
    "raise_grace_period",
    "Raise the health check grace period of web",
    [("healthCheckGracePeriodSeconds", "10 s", "190 s")],
    "aws ecs update-service --cluster prod --service web --health-check-grace-period-seconds 190",
    "update_service",
    {"cluster": "prod", "service": "web", "healthCheckGracePeriodSeconds": 190},
)
STACK = Owner(
    "cloudformation", "web-stack", "its tag `aws:cloudformation:stack-name=web-stack`", "WebService"
)


def shown(view: dict[str, Any]) -> str:
    return "\n".join(t for block in view["blocks"] for t in texts(block))


def managed(plan: Plan, owner: Owner | None = STACK, unknown: str = "") -> Plan:
    return Plan(**{**plan.__dict__, "ownership": Ownership(owner, unknown)})


def test_a_managed_service_s_modal_says_the_stack_undoes_it_and_shows_the_template_change() -> None:
    view = confirm_view(managed(GRACE), "k", "C1", None, "low")
    text = shown(view)
    assert "*Managed by CloudFormation `web-stack`*" in text
    assert "The next update of CloudFormation stack `web-stack` will undo this API change" in text
    assert (
        "```Resources:\n  WebService:  # AWS::ECS::Service\n    Properties:\n"
        "      HealthCheckGracePeriodSeconds: 190```" in text
    )
    assert text.index("The code to commit") < text.index("*The AWS call*"), "the code, then the API change"
    assert view["submit"]["text"] == "Apply"


def test_code_only_shows_the_code_and_offers_no_api_change() -> None:
    view = confirm_view(managed(GRACE), "k", "C1", None, "low", code_only=True)
    assert "submit" not in view and view["close"]["text"] == "Close"
    assert "make this change in the code; I make no API change" in shown(view)


def test_code_only_still_lets_a_new_deployment_through() -> None:
    redeploy = Plan("force_new_deployment", "Start a new deployment of web", [], "aws ecs update-service",
                    "update_service", {"cluster": "prod", "service": "web", "forceNewDeployment": True})  # fmt: skip
    view = confirm_view(managed(redeploy), "k", "C1", None, "low", code_only=True)
    assert view["submit"]["text"] == "Apply"
    assert "changes nothing the code holds, so its next deploy keeps it" in shown(view)


def test_an_unmanaged_service_s_modal_says_nothing_of_code() -> None:
    assert "Managed" not in shown(confirm_view(GRACE, "k", "C1", None, "low"))


def test_what_could_not_be_read_is_said() -> None:
    view = confirm_view(
        managed(GRACE, None, "who created or last updated it in CloudTrail (AccessDenied)"),
        "k",
        "C1",
        None,
        "low",
    )
    assert (
        "I could not tell whether code manages this service: who created or last updated it in CloudTrail"
        in shown(view)
    )


def test_a_name_from_aws_cannot_become_markup() -> None:
    owner = Owner("terraform", "<!channel> `x`", "its tag `tf-workspace=<!channel>` (ECS_WHY_IAC_TAGS)")
    text = json.dumps(confirm_view(managed(GRACE, owner), "k", "C1", None, "low"))
    assert "<!channel>" not in text
