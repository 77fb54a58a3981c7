"""The guardrail decision: allow / approve / deny by resource globs, tags, action kinds, users and groups;
deny wins, then approve, then allow; nothing matching is denied; ECS_WHY_OPERATORS allows everything."""

from __future__ import annotations

from typing import Any

import pytest

from bot.authz import GroupCache
from bot.guardrails.policy import DEFAULT_RULE, Policy, Request
from bot.guardrails.reasons import Reason, Why
from bot.guardrails.rules import Rule

ALICE, BOB, CAROL = "U0ALICE", "U0BOB", "U0CAROL"
SRE = "S0SRE"


def policy(
    *rules: dict[str, Any], operators: tuple[str, ...] = (), members: dict[str, set[str]] | None = None
) -> Policy:
    groups = GroupCache(lambda g: set((members or {}).get(g, set())))
    return Policy([Rule(**r) for r in rules], groups, operators)


def ask(
    user: str = ALICE,
    kind: str = "raise_grace_period",
    cluster: str = "prod",
    service: str = "web-api",
    tags: dict[str, str] | None = None,
    account: str | None = "111122223333",
    alias: str | None = None,
) -> Request:
    return Request(user, kind, cluster, service, account, alias, {} if tags is None else tags)


def test_nothing_is_allowed_without_rules() -> None:
    decision = policy().decide(ask())
    assert (decision.mode, decision.rule) == ("deny", DEFAULT_RULE)
    assert decision.reason == Reason(Why.NO_RULE, DEFAULT_RULE, "raise_grace_period", "prod/web-api")


def test_allow_names_the_rule_that_allowed() -> None:
    p = policy({"name": "web-team", "mode": "allow", "services": ["web-*"], "users": [ALICE]})
    decision = p.decide(ask())
    assert (decision.mode, decision.rule) == ("allow", "web-team")
    assert p.decide(ask(user=BOB)).mode == "deny", "a user the rule does not name"
    assert p.decide(ask(service="billing")).mode == "deny", "a service outside the glob"


def test_globs_cover_clusters_services_and_accounts_by_id_or_alias() -> None:
    p = policy(
        {"name": "staging", "mode": "allow", "accounts": ["staging"], "clusters": ["stg-?"], "users": ["*"]},
        {"name": "by-id", "mode": "allow", "accounts": ["2222*"], "services": ["api"], "users": ["*"]},
    )
    assert p.decide(ask(cluster="stg-1", alias="staging")).rule == "staging"
    assert p.decide(ask(cluster="stg-10", alias="staging")).mode == "deny", "? is one character"
    assert p.decide(ask(cluster="stg-1", alias="prod")).mode == "deny"
    assert p.decide(ask(service="api", account="222233334444")).rule == "by-id"
    assert p.decide(ask(service="API", account="222233334444")).mode == "deny", "globs are case-sensitive"


def test_action_kinds_are_part_of_the_rule() -> None:
    p = policy({"name": "restarts", "mode": "allow", "actions": ["force_new_deployment"], "users": [ALICE]})
    assert p.decide(ask(kind="force_new_deployment")).mode == "allow"
    assert p.decide(ask(kind="rollback")).mode == "deny"


def test_deny_wins_over_allow_whatever_the_order() -> None:
    allow = {"name": "everyone", "mode": "allow", "users": ["*"]}
    deny = {
        "name": "no-prod-rollback",
        "mode": "deny",
        "clusters": ["prod"],
        "actions": ["rollback"],
        "users": ["*"],
    }
    for rules in ((allow, deny), (deny, allow)):
        p = policy(*rules)
        decision = p.decide(ask(kind="rollback"))
        assert (decision.mode, decision.rule) == ("deny", "no-prod-rollback")
        assert decision.reason == Reason(Why.DENIED, "no-prod-rollback", "rollback", "prod/web-api")
        assert p.decide(ask(kind="rollback", cluster="dev")).rule == "everyone"


def test_approve_wins_over_allow_and_names_its_approvers() -> None:
    p = policy(
        {"name": "sre", "mode": "allow", "groups": [SRE]},
        {
            "name": "prod-needs-two",
            "mode": "approve",
            "clusters": ["prod"],
            "users": ["*"],
            "approvers": [SRE, CAROL],
        },
        members={SRE: {ALICE, BOB}},
    )
    decision = p.decide(ask(user=ALICE))
    assert (decision.mode, decision.rule, decision.approvers) == ("approve", "prod-needs-two", (SRE, CAROL))
    assert decision.reason.why is Why.NEEDS_APPROVAL and decision.reason.rule == "prod-needs-two"
    assert p.may_approve(BOB, decision) and p.may_approve(CAROL, decision)
    assert not p.may_approve("U0DAVE", decision)
    assert p.decide(ask(user=ALICE, cluster="dev")).rule == "sre"


def test_approvers_default_to_the_people_the_rule_names() -> None:
    p = policy({"name": "pair", "mode": "approve", "users": [ALICE, BOB]})
    decision = p.decide(ask(user=ALICE))
    assert decision.approvers == (ALICE, BOB)
    assert p.may_approve(BOB, decision)
    assert not p.may_approve(CAROL, decision)


def test_tags_must_all_be_on_the_service() -> None:
    p = policy(
        {
            "name": "managed",
            "mode": "allow",
            "tags": {"ecs-why:managed": "true", "team": "pay*"},
            "users": ["*"],
        }
    )
    assert p.needs_tags
    assert p.decide(ask(tags={"ecs-why:managed": "true", "team": "payments"})).rule == "managed"
    assert p.decide(ask(tags={"ecs-why:managed": "true", "team": "search"})).mode == "deny"
    assert p.decide(ask(tags={"team": "payments"})).mode == "deny"
    assert not policy({"name": "all", "mode": "allow", "users": ["*"]}).needs_tags


def test_unknown_tags_fail_closed() -> None:
    """Tags that could not be read: a deny rule about tags applies, an allow rule about tags does not."""
    p = policy(
        {"name": "everyone", "mode": "allow", "users": ["*"]},
        {"name": "frozen", "mode": "deny", "tags": {"freeze": "*"}, "users": ["*"]},
        {"name": "managed", "mode": "allow", "tags": {"managed": "true"}, "users": [BOB]},
    )
    unknown = Request(ALICE, "rollback", "prod", "web", None, None, None)
    assert p.decide(unknown).rule == "frozen"
    unknown_bob = Request(BOB, "rollback", "prod", "web", None, None, None)
    assert p.decide(unknown_bob).rule == "frozen"


def test_unknown_tags_still_ask_for_the_second_person_an_approve_rule_on_tags_wants() -> None:
    """Tags unreadable at confirm (throttled, AccessDenied) must not turn a two-person rule into a broad allow."""
    p = policy(
        {"name": "sre", "mode": "allow", "users": [ALICE]},
        {"name": "prod-2p", "mode": "approve", "tags": {"env": "prod"}, "users": ["*"], "approvers": [BOB]},
    )
    assert p.decide(Request(ALICE, "rollback", "c", "s", None, None, {"env": "prod"})).mode == "approve"
    decided = p.decide(Request(ALICE, "rollback", "c", "s", None, None, None))
    assert (decided.mode, decided.rule) == ("approve", "prod-2p")
    assert p.decide(Request(ALICE, "rollback", "c", "s", None, None, {"env": "dev"})).mode == "allow"


def test_groups_are_read_through_the_cache_and_a_broken_lookup_names_nobody() -> None:
    calls: list[str] = []

    def members(group: str) -> set[str]:
        calls.append(group)
        if group == "S0BROKEN":
            raise RuntimeError("slack is down")
        return {ALICE}

    p = Policy([Rule(name="g", mode="allow", groups=[SRE, "S0BROKEN"])], GroupCache(members))
    assert p.decide(ask(user=ALICE)).mode == "allow"
    assert p.decide(ask(user=BOB)).mode == "deny"
    assert calls.count(SRE) == 1, "membership is cached"


def test_operators_keep_working_as_allow_everything() -> None:
    p = policy(operators=(ALICE, SRE), members={SRE: {BOB}})
    for user in (ALICE, BOB):
        decision = p.decide(ask(user=user, kind="rollback", cluster="any", service="thing"))
        assert (decision.mode, decision.rule) == ("allow", "ECS_WHY_OPERATORS")
    assert p.decide(ask(user=CAROL)).mode == "deny"


def test_a_deny_rule_still_binds_operators() -> None:
    p = policy(
        {"name": "freeze", "mode": "deny", "services": ["web-api"], "users": ["*"]}, operators=(ALICE,)
    )
    assert p.decide(ask(user=ALICE)).rule == "freeze"
    assert p.decide(ask(user=ALICE, service="other")).rule == "ECS_WHY_OPERATORS"


def test_a_refusal_says_who_may() -> None:
    p = policy(
        {"name": "web", "mode": "allow", "services": ["web-*"], "users": [BOB], "groups": [SRE]},
        {"name": "other", "mode": "allow", "services": ["billing"], "users": [CAROL]},
    )
    assert p.who_may(ask(user=ALICE)) == (BOB, SRE)
    assert p.who_may(ask(service="nothing")) == (), "no rule covers it: nobody may"


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"name": "x", "mode": "allow"}, "names nobody"),
        ({"name": "x", "mode": "maybe", "users": ["*"]}, "allow"),
        ({"name": "x", "mode": "allow", "users": ["alice"]}, "not Slack user IDs"),
        ({"name": "x", "mode": "allow", "groups": ["U1AB"]}, "user group IDs"),
        (
            {"name": "x", "mode": "allow", "users": ["*"], "actions": ["reboot"]},
            "unknown action kinds reboot",
        ),
        ({"name": "x", "mode": "allow", "users": ["*"], "approvers": ["U1AB"]}, "only mean something"),
        ({"name": "x", "mode": "allow", "users": ["*"], "servics": ["web"]}, "Extra inputs"),
        ({"name": "has space", "mode": "allow", "users": ["*"]}, "pattern"),
    ],
)
def test_bad_rules_are_refused_with_what_is_wrong(rule: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Rule(**rule)


def test_who_may_mute_a_services_alerts_is_who_may_fix_it() -> None:
    p = policy(
        {"name": "web", "mode": "approve", "services": ["web-*"], "actions": ["rollback"], "users": [ALICE]},
        {"name": "tagged", "mode": "allow", "tags": {"team": "web"}, "users": [BOB]},
        {"name": "no-one", "mode": "deny", "users": [CAROL]},
        operators=("U0OPS",),
    )
    assert p.may_fix(ALICE, "prod", "web-api"), "any kind of fix, in allow or approve mode"
    assert not p.may_fix(ALICE, "prod", "billing")
    assert not p.may_fix(BOB, "prod", "web-api"), (
        "tags are not read for a mute: a rule about tags does not count"
    )
    assert not p.may_fix(CAROL, "prod", "web-api")
    assert p.may_fix("U0OPS", "prod", "billing")
