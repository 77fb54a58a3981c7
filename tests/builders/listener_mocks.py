"""Mocks a listener is called with: the services it is bound to (a diagnoser answering one diagnosis, a
remediator handing out keys), a Slack client whose posts get increasing timestamps, and Slack's errors."""

from __future__ import annotations

from typing import Any
from unittest.mock import MagicMock

from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from tests.builders.diagnoses import build


def services(diagnosis: Any = None, error: Exception | None = None) -> MagicMock:
    svc = MagicMock()
    svc.settings.accounts = []
    if error is not None:
        svc.diagnoser.run.side_effect = error
    else:
        svc.diagnoser.run.return_value = diagnosis if diagnosis is not None else build("elb_health_check")
    keys = iter(f"key{i}" for i in range(100))
    svc.remediator.offer.side_effect = lambda pending: next(keys)
    return svc


def client() -> MagicMock:
    c = MagicMock()
    counter = iter(range(1, 1000))
    c.chat_postMessage.side_effect = lambda **kw: {"ok": True, "ts": f"1700000000.{next(counter):06d}"}
    return c


def slack_error(error: str, method: str = "chat.postMessage") -> SlackApiError:
    """What slack_sdk raises when Slack answers `{"ok": false, "error": error}`."""
    response = SlackResponse(
        client=None, http_verb="POST", api_url=f"http://x/api/{method}", req_args={},
        data={"ok": False, "error": error}, headers={}, status_code=200,
    )  # fmt: skip
    return SlackApiError(error, response)
