"""The guardrails' reasons as the clicker reads them: every code has its sentence, names the rule and the
change it is about, and what came from the settings or AWS is escaped before it meets mrkdwn."""

from __future__ import annotations

import pytest

from bot.guardrails.reasons import Reason, Why
from bot.remediation.executor import Expired, Refused
from handlers.refusals import guardrail_says, refusal


@pytest.mark.parametrize("why", list(Why))
def test_every_reason_has_its_own_sentence_naming_what_it_is_about(why: Why) -> None:
    said = guardrail_says(Reason(why, "prod-two", "rollback", "prod/web"))
    others = {guardrail_says(Reason(w, "prod-two", "rollback", "prod/web")) for w in Why if w is not why}
    assert said not in others
    if why not in (Why.NO_RULE, Why.OWN_REQUEST):  # the rule that decided is named
        assert "prod-two" in said
    if why in (Why.NO_RULE, Why.DENIED, Why.NEEDS_APPROVAL, Why.ALLOWED):  # the change asked for
        assert "rollback on prod/web" in said


def test_a_refusal_is_escaped_and_names_who_may_as_mentions() -> None:
    refused = Refused(Reason(Why.DENIED, "a&b", "rollback", "prod/<!channel>"), ("U9", "S0OPS"))
    assert refusal(refused) == (
        "🚫 guardrail rule a&amp;b denies rollback on prod/&lt;!channel&gt;; allowed: <@U9>, <!subteam^S0OPS>"
    )
    assert refusal(Refused(Reason(Why.NO_RULE, "default", "rollback", "prod/web"), ())).endswith(
        "allowed: nobody: no rule of ECS_WHY_GUARDRAILS (or ECS_WHY_OPERATORS) names anyone for it"
    )
    assert refusal(Expired("this button <expired>")) == "🚫 this button &lt;expired&gt;"
