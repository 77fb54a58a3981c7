"""`ecs-why audit`: the audit log of fixes in a terminal, from the Redis the bot uses (REDIS_URL).

Registered on the CLI's typer app by `register(app)`; Redis and the settings load when the command runs.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from bot.audit import Entry


def audit(
    service: Annotated[
        str, typer.Argument(help="Only this service: a name or cluster/name (default: all).")
    ] = "",
    since: Annotated[str, typer.Option(help="How far back: 30m, 24h, 7d, 2w.")] = "7d",
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON record a line (JSON Lines), newest first.")
    ] = False,
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="At most this many records.")] = 1000,
) -> None:
    """Who asked for which fix, who approved it, what changed, the AWS request ID and the outcome.

    Reads the audit stream in REDIS_URL, newest first. Exit status 2 on unusable input or no Redis.
    """
    from bot.audit import AuditQueryError, entry, read
    from bot.cli_aws import load
    from bot.cli_start import fail
    from bot.store import Store, StoreUnavailable
    from diagnosis.live import parse_since

    settings = load()
    if not settings.redis_url:
        fail(
            "REDIS_URL is not set: the audit log lives in the Redis `ecs-why serve` uses; point REDIS_URL at it"
        )
    try:
        window = parse_since(since)
        records = read(Store.from_url(settings.redis_url), window, service, limit)
    except (ValueError, AuditQueryError) as exc:
        fail(str(exc))
    except StoreUnavailable as exc:
        fail(f"cannot read the audit log: {exc}")
    if as_json:
        for record in records:
            typer.echo(json.dumps(record, sort_keys=True, ensure_ascii=False))
        return
    if not records:
        typer.echo(f"no audit records{f' about {service}' if service else ''} in the last {since}")
        return
    for record in records:
        typer.echo(line(entry(record)))


def line(e: Entry) -> str:
    """One record as a line: when, the outcome, what and where, who asked and approved, the changes, the
    deciding rule, the AWS request ID, and why it failed or was refused."""
    parts = [
        e.at.replace("T", " ")[:19],
        f"{e.outcome:<18}",
        e.kind or "-",
        e.target or "-",
        f"asked by {e.asked_by}",
    ]
    if e.approved_by:
        parts.append(f"approved by {e.approved_by}")
    if e.changes:
        parts.append("; ".join(f"{what} {before} → {after}" for what, before, after in e.changes))
    if e.rule:
        parts.append(f"rule {e.rule}")
    if e.aws_request_id:
        parts.append(f"request {e.aws_request_id}")
    if e.detail:
        parts.append(e.detail)
    return "  ".join(parts)


def register(app: typer.Typer) -> None:
    app.command("audit")(audit)
