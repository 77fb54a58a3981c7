"""handlers.register_all through Bolt's public path: each request Slack sends (the slash command, the
shortcut, every button, the modal's submit, a mention, a DM) reaches its listener, is acked at once and
leaves its work to one lazy function, which runs with the services when a job worker dispatches it again
by name (bot/jobs.py), as after a restart."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from operator import attrgetter
from typing import Any
from unittest.mock import MagicMock

import pytest
from slack_bolt import App, BoltRequest
from slack_bolt.lazy_listener import LazyListenerRunner
from slack_sdk import WebClient

from bot.jobs import job_from_request, request_from_job
from handlers import register_all
from handlers.grammar import USAGE
from tests.builders.alert_notice import FP
from tests.builders.listener_mocks import services
from tests.fakes import slack_requests as sr
from tests.fakes.slack_api import FakeSlackApi


class Queue(LazyListenerRunner):
    """Keeps what Bolt hands to lazy listeners instead of running it, as DurableLazyRunner queues jobs."""

    def __init__(self) -> None:
        self.logger = logging.getLogger(__name__)
        self.started: list[BoltRequest] = []

    def start(self, function: Callable[..., None], request: BoltRequest) -> None:
        self.started.append(request)


@pytest.fixture
def bolt() -> Iterator[tuple[App, Queue, MagicMock]]:
    svc = services()
    svc.store.get_approval.return_value = None
    with FakeSlackApi() as api:
        app = App(
            client=WebClient(token="xoxb-test", base_url=api.url),
            signing_secret="unused",
            request_verification_enabled=False,
            token_verification_enabled=False,
            process_before_response=True,
        )
        register_all(app, svc)
        queue = Queue()
        app.listener_runner.lazy_listener_runner = queue
        yield app, queue, svc


def dispatch(app: App, request: sr.SlackRequest) -> Any:
    return app.dispatch(
        BoltRequest(body=request.body.decode(), headers={"content-type": [request.content_type]})
    )


MENTION = {"type": "app_mention", "text": "<@U0BOT> logs prod/web-api", "channel": "C1", "user": "U1",
           "ts": "1700000000.000900"}  # fmt: skip
DM = {"type": "message", "channel_type": "im", "text": "logs prod/web-api", "channel": "D1", "user": "U1",
      "ts": "1700000000.000900"}  # fmt: skip
CONFIRMED = json.dumps({"channel": "C1", "thread_ts": "1700000000.000100", "key": "key0"})
REQUESTS = {
    "slash command": (sr.slash_command("web-api --cluster prod"), "run_command", "diagnoser.run"),
    "shortcut": (sr.message_shortcut("prod/web-api keeps stopping"), "answer", "diagnoser.run"),
    "re-run": (sr.block_action("ecs_why_rerun", "prod/web-api"), "rerun", "diagnoser.run"),
    "pick": (sr.block_action("ecs_why_pick", "staging/web-api"), "rerun", "diagnoser.run"),
    "more logs": (sr.block_action("ecs_why_more_logs", "prod/web-api"), "more_logs", "diagnoser.run"),
    "fix": (sr.block_action("ecs_why_fix:0", "key0"), "open_fix", "remediator.plan"),
    "approve": (sr.block_action("ecs_why_approve", "a1"), "approve", "approvals.decide"),
    "reject": (sr.block_action("ecs_why_reject", "a1"), "reject", "approvals.decide"),
    "mute": (sr.block_action("ecs_why_mute", FP), "mute", "store.mute"),
    "acknowledge": (sr.block_action("ecs_why_ack", FP), "acknowledge", "store.alert_get"),
    "confirm": (sr.view_submission("ecs_why_confirm", CONFIRMED), "apply", "remediator.apply"),
    "mention": (sr.event_callback(MENTION), "on_mention", "diagnoser.run"),
    "direct message": (sr.event_callback(DM), "on_message", "diagnoser.run"),
}


@pytest.mark.parametrize(("request_", "lazy", "service"), REQUESTS.values(), ids=list(REQUESTS))
def test_each_request_is_acked_and_its_work_runs_from_the_job_queue(
    bolt: tuple[App, Queue, MagicMock], request_: sr.SlackRequest, lazy: str, service: str
) -> None:
    app, queue, svc = bolt
    response = dispatch(app, request_)
    assert response.status == 200
    assert [r.lazy_function_name for r in queue.started] == [lazy]
    assert not attrgetter(service)(svc).called, "the ack does no work"
    worker = app.dispatch(request_from_job(job_from_request(queue.started[0])))
    assert worker.status == 200
    assert attrgetter(service)(svc).called, f"{lazy} ran with the services"


def test_help_and_a_typo_are_answered_in_the_ack(bolt: tuple[App, Queue, MagicMock]) -> None:
    app, _queue, _svc = bolt
    assert dispatch(app, sr.slash_command("help")).body == USAGE
    typo = dispatch(app, sr.slash_command("web --clutser prod")).body
    assert "unknown option --clutser" in typo and USAGE in typo


def test_a_request_no_listener_takes_is_not_acked(bolt: tuple[App, Queue, MagicMock]) -> None:
    app, queue, _svc = bolt
    assert dispatch(app, sr.block_action("someone_elses_button", "x")).status == 404
    assert queue.started == []
