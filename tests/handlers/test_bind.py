"""handlers/bind.py: a bound listener shows Bolt only the arguments Bolt injects, under its own name (the
name a queued job is run by); a listener that does not take the services first cannot be bound."""

from __future__ import annotations

from typing import Any
from unittest.mock import MagicMock

import pytest
from slack_bolt.util.utils import get_arg_names_of_callable, get_name_for_callable

from bot.services import Services
from handlers.bind import bind


def more_logs(services: Services, body: dict[str, Any], client: Any) -> None:
    services.diagnoser.run(body["value"], client)


def test_bolt_sees_its_own_arguments_and_the_listeners_name() -> None:
    svc = MagicMock()
    bound = bind(more_logs, svc)
    assert get_arg_names_of_callable(bound) == ["body", "client"]
    assert get_name_for_callable(bound) == "more_logs"
    bound(body={"value": "prod/web"}, client="the client")
    svc.diagnoser.run.assert_called_once_with("prod/web", "the client")


def test_a_listener_without_the_services_first_is_refused() -> None:
    def answer(body: dict[str, Any], services: Services) -> None: ...

    with pytest.raises(TypeError, match="answer must take `services` first to be bound, not 'body'"):
        bind(answer, MagicMock())
