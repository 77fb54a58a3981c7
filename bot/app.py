"""The composition root of the Slack bot: builds the services, the Bolt app with every listener, the job
workers that run accepted requests, and the web app that serves Slack (POST /slack/events) beside
/healthz, /readyz and /metrics."""

from __future__ import annotations

import io
import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any
from urllib.parse import parse_qsl

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.request.internals import build_context
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot import metrics
from bot.authz import GroupCache, Operators
from bot.aws_session import remediation_session_for
from bot.diagnoser import Diagnoser
from bot.events.config import EventsConfig
from bot.events.daily import DailySummary
from bot.events.lifecycle import Lifecycle, LifecycleConfig
from bot.events.pipeline import Pipeline
from bot.events.runner import build_source, start_in_background
from bot.events.steady import ecs_task_counts
from bot.guardrails.policy import Policy
from bot.jobs import DurableLazyRunner, JobWorkers
from bot.logs import record as log_record
from bot.remediation.approvals import Approvals
from bot.remediation.executor import Remediator
from bot.services import Services
from bot.settings import ConfigError, Settings
from bot.slack_guard import MAX_BODY, TOO_LARGE, Refusal, RefusalLog, check_payload, check_signature
from bot.store import Store
from handlers import register_all
from handlers.notifier import SlackNotifier
from handlers.unanswered import tell_unanswered

log = logging.getLogger(__name__)
StartResponse = Callable[[str, list[tuple[str, str]]], Any]


def slack_client(settings: Settings) -> WebClient:
    """The Web API client: Slack's 429s (Retry-After), 5xx answers and connection resets are retried with
    backoff (slack_sdk's handlers), not lost; what still fails is told to the user by the caller."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    client = WebClient(token=token, base_url=settings.slack_api_url, timeout=15)
    client.retry_handlers.extend(
        [
            RateLimitErrorRetryHandler(max_retry_count=5),
            ServerErrorRetryHandler(max_retry_count=3),
            ConnectionErrorRetryHandler(max_retry_count=3),
        ]
    )
    return client


def check_serve_settings(settings: Settings, socket_mode: bool) -> None:
    problems = []
    if not settings.slack_bot_token:
        problems.append("SLACK_BOT_TOKEN: required (the bot token, xoxb-…)")
    if socket_mode and not settings.slack_app_token:
        problems.append("SLACK_APP_TOKEN: required for --socket-mode (an app-level token, xapp-…)")
    if not socket_mode and not settings.slack_signing_secret:
        problems.append("SLACK_SIGNING_SECRET: required in HTTP mode (the app's signing secret)")
    if problems:
        raise ConfigError(problems)


def build_services(settings: Settings, client: WebClient, store: Store | None = None) -> Services:
    store = store or Store.from_url(settings.redis_url)

    def group_members(group: str) -> set[str]:
        return set(client.usergroups_users_list(usergroup=group).get("users", []))

    groups = GroupCache(group_members)
    operators = Operators(settings.operators, groups)
    remediator = Remediator(
        store,
        operators,
        partial(remediation_session_for, settings),
        settings.pending_action_ttl_seconds,
        policy=guardrails(settings, groups),
        iac_tags=settings.iac_tags,
        code_only=settings.managed_services == "code-only",
    )
    return Services(
        settings=settings,
        store=store,
        diagnoser=Diagnoser(
            settings,
            cache=store.optional_task_definitions(),
            store=store,
            workers=settings.diagnosis_workers,
        ),
        remediator=remediator,
        approvals=Approvals(store, remediator, settings.approval_ttl_seconds),
    )


def guardrails(settings: Settings, groups: GroupCache) -> Policy:
    """The guardrail policy, said once at start; the deprecated operators list becomes one allow rule."""
    policy = Policy(settings.guardrails, groups, settings.operators)
    if settings.operators:
        log.warning(
            "ECS_WHY_OPERATORS is deprecated: read as the guardrail rule ECS_WHY_OPERATORS, which allows "
            "every fix on every service for its %d users and groups; write ECS_WHY_GUARDRAILS rules instead "
            "(docs/guardrails.md)",
            len(settings.operators),
        )
    modes = ", ".join(f"{r.name}={r.mode}" for r in policy.rules) or "none: every fix is refused"
    log.info("guardrails: %s", modes)
    return policy


def build_bolt_app(settings: Settings, services: Services, client: WebClient) -> App:
    """The ack runs in the request thread and answers at once; the slow work (diagnoses, AWS changes) is
    in lazy listeners, which `DurableLazyRunner` turns into jobs in Redis before the ack returns.

    Bolt's own signature check is off: `WebApp` checks every HTTP request's signature over the raw bytes
    first (see bot.slack_guard), and jobs, run later from Redis, carry requests older than its 5 minutes.
    """
    local = ThreadPoolExecutor(max_workers=4, thread_name_prefix="slack-work")
    app = LoggedApp(
        client=client,
        signing_secret="verified-by-WebApp",  # noqa: S106 - not a secret: Bolt needs a value
        process_before_response=True,
        listener_executor=local,
        token_verification_enabled=False,
        request_verification_enabled=False,
    )
    DurableLazyRunner(services.store, local, services.wake).install(app)
    register_all(app, services)
    return app


class LoggedApp(App):
    """Bolt's app, which says each Slack request once it is acknowledged (HTTP and Socket Mode alike).

    Bolt's middleware runs before the listeners (its `next()` only lets the chain go on), so a middleware
    cannot see the ack; `dispatch` returns it. A job (the request again, run for its lazy listener) is not
    a second request: its diagnosis or change has its own line."""

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        read_form_again(req)
        if req.lazy_only:
            return super().dispatch(req)
        started = time.perf_counter()
        try:
            return super().dispatch(req)
        finally:
            seconds = time.perf_counter() - started
            metrics.ACK_SECONDS.observe(seconds)
            log_request(req.body, seconds)


def read_form_again(req: BoltRequest) -> None:
    """slack-bolt 1.30 reads a form body whose text merely holds the word "payload" as a `payload` field
    (`/ecs-why payload-api`, a channel named payload-team) and, finding none, as {}: no listener matched
    and the user got no answer. Such a form is read as its fields, with the context Bolt builds from them.
    Every request passes here, a job re-run from Redis (its raw body) too."""
    if req.mode != "http" or req.body or "payload" not in req.raw_body or req.raw_body.startswith("{"):
        return
    if req.content_type == "application/json":
        return
    fields = dict(parse_qsl(req.raw_body, keep_blank_values=True))
    if "payload" not in fields:  # else Bolt read the payload as it should
        req.body = fields
        req.context = build_context(BoltContext(), fields)


def log_request(body: dict[str, Any], seconds: float) -> None:
    """One log line per Slack request: kind, user, channel, target, action, ack time."""
    user = body.get("user_id") or (body.get("user") or {}).get("id")
    channel = body.get("channel_id") or (body.get("channel") or {}).get("id")
    actions = body.get("actions") or [{}]
    view = body.get("view") or {}
    log_record(
        "request",
        kind=_request_kind(body),
        user=user,
        channel=channel,
        target=(body.get("text") or "").strip()[:200] or None,
        action=actions[0].get("action_id") or view.get("callback_id") or body.get("callback_id"),
        ack_ms=round(seconds * 1000, 1),
    )


def _request_kind(body: dict[str, Any]) -> str:
    kinds = {
        "block_actions": "action",
        "view_submission": "view",
        "view_closed": "view",
        "shortcut": "shortcut",
        "message_action": "shortcut",
        "event_callback": "event",
    }
    if "command" in body:
        return "command"
    return kinds.get(str(body.get("type")), str(body.get("type") or "other"))


class WebApp:
    """WSGI: Slack on /slack/events (Bolt verifies signatures and timestamps), probes and metrics beside."""

    def __init__(
        self,
        bolt: App,
        services: Services,
        client: WebClient,
        workers: JobWorkers | None = None,
        accepts_slack: bool = True,
    ) -> None:
        self.slack = SlackRequestHandler(bolt)
        self.accepts_slack = accepts_slack
        self.services = services
        self.client = client
        self.workers = workers
        self.draining = threading.Event()
        self.refusals = RefusalLog()
        secret = services.settings.slack_signing_secret
        self._secret = secret.get_secret_value() if secret else ""
        self._token_ok: bool | None = None

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
        if path == "/slack/events" and method == "POST" and self.accepts_slack:
            return self.slack_request(environ, start_response)
        if path == "/healthz":
            return _reply(start_response, "200 OK", b"ok\n")
        if path == "/readyz":
            problems = self.readiness()
            if problems:
                return _reply(
                    start_response, "503 Service Unavailable", ("\n".join(problems) + "\n").encode()
                )
            return _reply(start_response, "200 OK", b"ready\n")
        if path == "/metrics":
            return _reply(start_response, "200 OK", generate_latest(metrics.REGISTRY), CONTENT_TYPE_LATEST)
        return _reply(start_response, "404 Not Found", b"not found\n")

    def close(self) -> None:
        """Stop this process's job workers and diagnosis processes (the end of `serve`, tests)."""
        if self.workers is not None:
            self.workers.stop()
        self.services.diagnoser.close()

    def slack_request(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Signature (bytes, before any parsing), then shape, then Bolt; refusals are 4xx and one log line."""
        refusal = self._refusal(environ)
        if refusal is not None:
            self.refusals.refused(refusal)
            return _reply(start_response, refusal.status, (refusal.reason + "\n").encode())
        return self.slack(environ, start_response)  # type: ignore[arg-type]

    def _refusal(self, environ: dict[str, Any]) -> Refusal | None:
        length = str(environ.get("CONTENT_LENGTH") or "0")
        if not length.isdigit() or int(length) > MAX_BODY:
            return TOO_LARGE
        body = environ["wsgi.input"].read(int(length)) if int(length) else b""
        environ["wsgi.input"] = io.BytesIO(body)
        headers = {
            "x-slack-request-timestamp": str(environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")),
            "x-slack-signature": str(environ.get("HTTP_X_SLACK_SIGNATURE", "")),
        }
        return check_signature(headers, body, self._secret) or check_payload(
            str(environ.get("CONTENT_TYPE", "")), body
        )

    def readiness(self) -> list[str]:
        problems = ["shutting down: finishing accepted requests"] if self.draining.is_set() else []
        if not self.services.store.ping():
            problems.append("redis: unreachable")
        if not self._token_ok:
            try:
                self.client.auth_test()
                self._token_ok = True
            except SlackApiError as exc:
                problems.append(f"slack: the bot token does not work ({exc.response.get('error')})")
            except Exception as exc:
                problems.append(f"slack: unreachable ({type(exc).__name__})")
        return problems


def _reply(
    start_response: StartResponse, status: str, body: bytes, content_type: str = "text/plain"
) -> list[bytes]:
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


def build_event_pipeline(settings: Settings, store: Store, client: WebClient) -> Pipeline:
    """ECS events → grouped Slack notifications (used by `ecs-why worker`, and by `serve` below)."""
    aliases = {
        a.role_arn.split(":")[4]: a.alias
        for a in settings.accounts
        if a.role_arn and a.role_arn.count(":") >= 5
    }
    notifier = SlackNotifier(client, aliases)
    lifecycle = Lifecycle(store, notifier, ecs_task_counts(settings), LifecycleConfig.from_settings(settings))
    hour = settings.daily_summary_hour
    daily = DailySummary(store, notifier, hour) if hour is not None else None
    return Pipeline(store, notifier, EventsConfig.from_settings(settings), lifecycle, daily)


def build_job_workers(settings: Settings, services: Services, bolt: App, threads: int) -> JobWorkers:
    return JobWorkers(
        bolt,
        services.store,
        threads,
        settings.job_claim_timeout_seconds,
        wake=services.wake,
        tell=tell_unanswered,
    )


def build_web_app(
    settings: Settings, store: Store | None = None, start_workers: bool = True, slack: bool = True
) -> WebApp:
    """`start_workers`: run `ECS_WHY_JOB_THREADS` job workers in this process (tests may run none);
    `slack=False` (the diagnosis worker): no /slack/events, only the probes and /metrics."""
    client = slack_client(settings)
    services = build_services(settings, client, store)
    if services.store.in_process:  # no shared Redis: no separate worker can see our state, so consume here
        source = build_source(
            settings, services.store, build_event_pipeline(settings, services.store, client)
        )
        start_in_background(source)
        services.extras = {**(services.extras or {}), "events": source}
    bolt = build_bolt_app(settings, services, client)
    workers = None
    if start_workers and settings.job_threads:
        workers = build_job_workers(settings, services, bolt, settings.job_threads)
        workers.start()
    return WebApp(bolt, services, client, workers, accepts_slack=slack)
