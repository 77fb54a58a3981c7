"""The `ecs-why` command line: the composition root for terminals and CI.

Every command turns bad input into one line on standard error and exit status 2, never a traceback.
Each command imports what it uses inside its body: `--help` starts in a blink because it never loads
boto3, Slack, Redis or the settings (tests/bot/test_cli_imports.py guards it). The console entry point
(bot/cli_start.py) runs `explain` itself, without typer, from the grammar this app declares for it.
"""

from __future__ import annotations

import copy
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from typer.main import get_command_name

from bot.cli_audit import register as register_audit
from bot.cli_aws import load
from bot.cli_check import register as register_check
from bot.cli_exec import register as register_exec
from bot.cli_start import (
    EXPLAIN,
    FORMAT_FLAGS,
    STDIN,
    Format,
    explain_input,
    fail,
    needs_values,
    no_pydantic_plugins,
)

if TYPE_CHECKING:
    from diagnosis.models import Diagnosis

T = TypeVar("T")

app = typer.Typer(
    name="ecs-why",
    help="Why did my ECS task stop? Diagnoses stopped Amazon ECS tasks and services.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,  # plain help: rich would add 80 ms to every --help (tests/bot/test_cli_imports.py)
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},  # inherited by every command
)
register_check(app)
register_exec(app)
register_audit(app)


def _print_version(value: bool) -> None:
    if value:
        from bot.build import VERSION

        typer.echo(f"ecs-why {VERSION}")
        raise typer.Exit(0)


@app.callback()
def _options(
    version: Annotated[
        bool, typer.Option("--version", is_eager=True, callback=_print_version, help="Print the version.")
    ] = False,
) -> None:
    """Why did my ECS task stop? Diagnoses stopped Amazon ECS tasks and services."""


FormatOption = Annotated[Format, typer.Option(*FORMAT_FLAGS, help="text, json or markdown.")]


@app.command(EXPLAIN, short_help="Explain stopped tasks from what you paste (no AWS).")
def explain(
    file: Annotated[str, typer.Argument(help="A file (text or JSON), or - for standard input.")] = STDIN,
    output_format: FormatOption = Format.text,
) -> None:
    """Explain stopped tasks from what you paste: a stopped reason or service event (bare, in prose, console
    copy, an alert), describe-tasks / describe-services output or any part of it, an ECS event.

    Needs no AWS access. Exit status 0 when it diagnosed, 2 when nothing in the input is about ECS.
    """
    explain_input(file, output_format.value)  # `ecs-why explain` runs it without typer (bot/cli_start.py)


@app.command(short_help="Diagnose a service or task live, from the account.")
def diagnose(
    target: Annotated[
        str, typer.Argument(help="Service name, cluster/service, service or task ARN, or task ID.")
    ],
    cluster: Annotated[
        str | None, typer.Option(help="Cluster (default: search ECS_WHY_CLUSTERS or all).")
    ] = None,
    region: Annotated[str | None, typer.Option(help="AWS region.")] = None,
    profile: Annotated[str | None, typer.Option(help="AWS profile.")] = None,
    account: Annotated[str | None, typer.Option(help="Account alias from ECS_WHY_ACCOUNTS.")] = None,
    since: Annotated[
        str | None,
        typer.Option(help="How far back service events count: 30m, 24h, 7d (ECS_WHY_SINCE_DEFAULT)."),
    ] = None,
    output_format: FormatOption = Format.text,
) -> None:
    """Diagnose a service or task live: reads ECS, logs, metrics, the load balancer, the network and IAM.

    Exit status 0 when no failure was found, 1 when one was (for pipelines), 2 on unusable input.
    """
    from bot.cli_aws import aws_errors, terminal_diagnoser
    from bot.inquiry import Asked
    from bot.terminal import Progress, print_diagnosis

    needs_values(cluster=cluster, region=region, profile=profile, account=account, since=since)
    settings = load()
    store = None
    if settings.redis_url:  # a shared store holds history beyond ECS's hour
        from bot.store import Store

        try:
            store = Store.from_url(settings.redis_url)
        except ValueError as exc:  # redis-py's word on a URL it cannot use (no scheme, bad port)
            fail(f"REDIS_URL: {exc}; use redis://HOST:6379/0, or unset it to diagnose without stored history")
    diagnoser = terminal_diagnoser(settings, profile, store)
    progress = Progress()
    with aws_errors(ValueError):
        try:
            result = diagnoser.run(Asked(target, cluster, region, account, since), progress=progress)
        finally:
            progress.clear()
    print_diagnosis(result, output_format.value)
    stats = result.stats
    if not result.findings and not (stats.tasks_seen or stats.services_seen) and result.gaps:
        fail(f"could not read {result.target.label()}: {result.gaps[0].reason}")  # not "healthy": unknown
    raise typer.Exit(1 if result.has_failure else 0)


@app.command(short_help="Run the Slack bot (HTTP or Socket Mode).")
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "0.0.0.0",  # noqa: S104 - a container's port
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="Port for /slack/events, /healthz, /readyz and /metrics.")
    ] = 3000,
    socket_mode: Annotated[
        bool, typer.Option("--socket-mode", help="Connect to Slack over Socket Mode.")
    ] = False,
) -> None:
    """Run the Slack bot: HTTP mode (one request URL, POST /slack/events) or Socket Mode (no ingress).

    On SIGTERM it drains: /readyz 503, requests still accepted, running ones finish or are handed back."""
    from bot.app import build_web_app, check_serve_settings
    from bot.logs import setup_logging
    from bot.serving import GracefulServer

    settings = load(lambda s: check_serve_settings(s, socket_mode))
    setup_logging(settings.log_level, settings.log_format)
    if not settings.diagnosis_workers:  # diagnoses run in this process: acks must not wait long behind them
        sys.setswitchinterval(0.001)  # (in worker processes they do not: Python's 5 ms costs acks less CPU)
    web = build_web_app(settings)
    if socket_mode:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        token = settings.slack_app_token.get_secret_value() if settings.slack_app_token else ""
        SocketModeHandler(web.slack.app, token).connect()  # type: ignore[no-untyped-call]
    server = listening(lambda: GracefulServer(web, host, port, settings.shutdown_grace_seconds), host, port)
    typer.echo(
        f"ecs-why: serving on http://{host}:{port} ({'Socket Mode' if socket_mode else 'HTTP mode'})",
        err=True,
    )
    server.run()


def listening(bind: Callable[[], T], host: str, port: int) -> T:
    """The server `bind` opens on host:port, or one line saying why it cannot (port taken, unknown host)."""
    try:
        return bind()
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}; pick a free --port or another --host")
    except ValueError as exc:  # waitress: "Invalid host/port specified."
        fail(
            f"cannot listen on {host}:{port}: {str(exc).rstrip('.')}; --host must be an address or name of this machine"
        )


@app.command("diagnosis-worker", short_help="Run the Slack requests queued in Redis.")
def diagnosis_worker(
    host: Annotated[str, typer.Option(help="Address of /healthz, /readyz and /metrics.")] = "0.0.0.0",  # noqa: S104 - a container's port
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="Port of /healthz, /readyz and /metrics.")
    ] = 9091,
    threads: Annotated[int, typer.Option(min=1, max=64, help="Requests run at once.")] = 4,
) -> None:
    """Run accepted Slack requests (diagnoses, fixes) from the Redis job stream, apart from `serve`.

    Scale these apart from the web pods, which then set ECS_WHY_JOB_THREADS=0 (only accept). Needs REDIS_URL.
    """
    from bot.app import build_web_app
    from bot.logs import setup_logging
    from bot.serving import GracefulServer

    settings = load()
    if not settings.redis_url:
        fail(
            "REDIS_URL is not set: the diagnosis worker takes its jobs from the Redis `ecs-why serve` "
            "queues them in; without one, `ecs-why serve` runs them itself"
        )
    if not settings.slack_bot_token:
        fail("SLACK_BOT_TOKEN: required (the bot token, xoxb-…) to post the answers")
    setup_logging(settings.log_level)
    web = build_web_app(settings.model_copy(update={"job_threads": threads}), slack=False)
    server = listening(lambda: GracefulServer(web, host, port, settings.shutdown_grace_seconds), host, port)
    typer.echo(f"ecs-why diagnosis-worker: probes on http://{host}:{port}", err=True)
    server.run()


@app.command(short_help="Post ECS failures to subscribed channels.")
def worker(
    host: Annotated[str, typer.Option(help="Address of /healthz, /readyz and /metrics.")] = "0.0.0.0",  # noqa: S104 - a container's port
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="Port of /healthz, /readyz and /metrics.")
    ] = 9090,
) -> None:
    """Post ECS failures to subscribed channels: consume ECS_WHY_SQS_QUEUE_URL, or poll ECS without one.

    Needs the REDIS_URL the Slack bot uses; without it, `ecs-why serve` consumes the events itself.
    """
    from bot.app import build_event_pipeline, slack_client
    from bot.events.runner import IN_PROCESS_REFUSAL, Probes, build_source, run_worker
    from bot.logs import setup_logging
    from bot.store import Store

    settings = load()
    store = Store.from_url(settings.redis_url)
    if store.in_process:
        fail(IN_PROCESS_REFUSAL)
    if not settings.slack_bot_token:
        fail("SLACK_BOT_TOKEN: required (the bot token, xoxb-…) to post to subscribed channels")
    setup_logging(settings.log_level, settings.log_format)
    source = build_source(settings, store, build_event_pipeline(settings, store, slack_client(settings)))
    mode = (
        f"queue {settings.sqs_queue_url}" if settings.sqs_queue_url else "polling (no ECS_WHY_SQS_QUEUE_URL)"
    )
    typer.echo(f"ecs-why worker: {mode}; probes on http://{host}:{port}", err=True)
    # /healthz fails when the loop has not gone round for a while; a slow poller goes round less often
    probes = Probes(store, host, port, stale_after=max(300, 3 * settings.poll_interval_seconds))
    run_worker(source, probes, nice=settings.worker_nice)


@app.command(short_help="Diagnose a sandbox account (moto); no AWS needed.")
def demo(
    service: Annotated[str | None, typer.Option(help="Print the full report of one sandbox service.")] = None,
    output_format: FormatOption = Format.text,
) -> None:
    """Diagnose a sandbox AWS account (moto on 127.0.0.1) where each service fails differently. No AWS needed.

    --format json prints JSON Lines: one diagnosis a line.
    """
    try:
        from bot.demo.sandbox import forget_the_users_aws, running_sandbox, sandbox_diagnoser, sandbox_env
        from diagnosis.contract import to_json
    except ImportError as exc:  # the runtime image carries no moto: the sandbox is the [demo] extra
        missing = (exc.name or "moto").split(".")[0]
        fail(f"the demo needs the [demo] extra ({missing} is missing): pip install 'ecs-why[demo]'")
    from bot.cli_aws import aws_errors
    from bot.inquiry import Asked
    from bot.terminal import print_diagnosis

    typer.echo("ecs-why demo: starting a sandbox AWS account (moto on 127.0.0.1)…", err=True)
    forget_the_users_aws()
    with running_sandbox() as sandbox:
        os.environ.update(sandbox_env(sandbox.endpoint_url))
        names = [service] if service else sandbox.sandbox.services
        if service and service not in sandbox.sandbox.services:
            fail(f"no sandbox service {service}; the sandbox has: {', '.join(sandbox.sandbox.services)}")
        diagnoser = sandbox_diagnoser(sandbox)  # the path Slack and `diagnose` take, on the sandbox
        for name in names:
            with aws_errors(ValueError):
                result = diagnoser.run(Asked(name, cluster=sandbox.sandbox.cluster))
            if output_format is Format.json:  # JSON Lines: one diagnosis a line, as it finishes
                typer.echo(to_json(result))
            elif service or output_format is not Format.text:
                print_diagnosis(result, output_format.value)
            else:
                typer.echo(one_line(name, result))
    if not service and output_format is Format.text:
        typer.echo(
            "\nThe full report of one service: ecs-why demo --service web   (also --format json|markdown)"
        )
        typer.echo(
            "Your own account: ecs-why diagnose SERVICE --cluster CLUSTER   (read-only AWS credentials)"
        )


def one_line(name: str, result: Diagnosis) -> str:
    top = result.findings[0] if result.findings else None
    if top is None:
        return f"  {name:<10} healthy — {result.summary.split(': ', 1)[-1]}"
    return f"  {name:<10} {top.category:<22} {top.confidence:>4.0%}  {top.title}\n  {'':<10} {top.summary}\n"


def for_command(args: list[str]) -> typer.Typer:
    """The app holding only the command the arguments start with, when they name one: typer builds every
    parameter of every command it holds before it runs one (about a tenth of `ecs-why explain`). Anything
    else (--help, --version, a mistyped command) gets the whole app, to list and suggest every command."""
    wanted = args[0] if args else ""
    chosen = [
        command
        for command in app.registered_commands
        if wanted == (command.name or get_command_name(getattr(command.callback, "__name__", "")))
    ]
    if not chosen:
        return app
    only = copy.copy(app)
    only.registered_commands = chosen
    return only


def main() -> None:
    """Every command line through typer (`python -m bot.cli`); the console script starts at bot/cli_start.py."""
    no_pydantic_plugins()
    for_command(sys.argv[1:])()


if __name__ == "__main__":
    main()
