"""The fix buttons' typed definitions: the JSON a button's action is written as (the output contract and the
pending action the bot stores), read back as the same typed model, each kind with its own parameters."""

from __future__ import annotations

from dataclasses import fields
from typing import get_args

import pytest
from pydantic import ValidationError

from diagnosis.actions import (
    KINDS,
    ActionKind,
    EnableExecuteCommand,
    GraceParams,
    RaiseGracePeriod,
    Rollback,
    RollbackParams,
    ServiceParams,
    parse,
    service_of,
)
from diagnosis.contract import to_python
from diagnosis.output import OutOfBounds

WHERE = {"cluster": "prod", "service": "web"}


def test_the_registry_lists_every_kind_once_with_its_own_model() -> None:
    assert list(KINDS) == list(get_args(ActionKind))
    assert len({cls for cls in KINDS.values()}) == len(KINDS)
    for kind, cls in KINDS.items():
        assert next(f.default for f in fields(cls) if f.name == "kind") == kind
        assert cls.RISK in ("low", "medium", "high")


def test_an_offer_writes_the_json_of_kind_params_risk_label() -> None:
    action = RaiseGracePeriod.offer(GraceParams(**WHERE, seconds=190))
    assert to_python(action, mode="json") == {
        "kind": "raise_grace_period",
        "params": {"cluster": "prod", "service": "web", "seconds": 190},
        "risk": "low",
        "label": "Raise the health check grace period to 190 s",
    }
    assert parse(to_python(action, mode="json")) == action


def test_a_rollback_without_a_named_target_leaves_it_out() -> None:
    offered = Rollback.offer(RollbackParams(**WHERE, from_task_definition="web:3"))
    assert to_python(offered, mode="json") == {
        "kind": "rollback",
        "params": {"cluster": "prod", "service": "web", "from_task_definition": "web:3"},
        "risk": "medium",
        "label": "Roll back to web:2",
    }
    named = Rollback.offer(RollbackParams(**WHERE, from_task_definition="web:3", to_task_definition="web:1"))
    assert named.label == "Roll back to web:1"
    assert to_python(named, mode="json")["params"]["to_task_definition"] == "web:1"
    assert parse(to_python(offered, mode="json")) == offered


def test_each_kind_validates_its_own_parameters() -> None:
    exec_on = to_python(EnableExecuteCommand.offer(ServiceParams(**WHERE)), mode="json")
    assert exec_on["risk"] == "medium" and exec_on["label"] == "Enable ECS Exec"
    with pytest.raises(ValidationError, match="seconds"):
        parse({**exec_on, "kind": "raise_grace_period"})  # a grace period needs its seconds
    with pytest.raises(ValidationError, match="task_definition"):
        parse({**exec_on, "kind": "increase_memory"})
    with pytest.raises(ValidationError):
        parse({**exec_on, "kind": "delete_service"})  # no such button
    with pytest.raises(OutOfBounds, match="cluster"):  # built by code, as read from JSON
        ServiceParams(cluster="", service="web")


def test_no_button_for_a_service_ecs_could_not_have() -> None:
    assert service_of("prod", "web") == ServiceParams(**WHERE)
    assert service_of("prod", "w" * 256) is None  # ECS names are at most 255 characters
    assert service_of("", "web") is None and service_of("prod", None) is None
