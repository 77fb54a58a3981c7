"""`ecs-why check` as text: errors first, each with the fact that triggered it, the fix and the doc link."""

from __future__ import annotations

from diagnosis.prevent.model import CheckReport, RuleResult
from diagnosis.report import Style, plain


def summary(report: CheckReport, label: str = "") -> str:
    """`ecs-why check [LABEL]: 1 error, 0 warnings in 1 task definition` (Slack names what was checked)."""
    count = len(report.subjects)
    checked = f"{count} task definition{'s' if count != 1 else ''}"
    errors, warnings = len(report.errors), len(report.warnings)
    head = f"{errors} error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''}"
    extra = f" ({report.ignored} ignored)" if report.ignored else ""
    return f"ecs-why check{' ' + label if label else ''}: {head} in {checked}{extra}"


def to_text(report: CheckReport, style: Style = plain) -> str:
    lines = [style("title", summary(report)), ""]
    for result in report.results:
        lines += _result(result, style)
    if not report.results:
        lines.append(style("ok", "Nothing found that would stop these tasks."))
    if report.gaps:
        lines += [style("heading", "Could not check"), ""]
        lines += [f"  - {style('dim', g.what)}: {style('dim', g.reason)}" for g in report.gaps]
    return "\n".join(lines).rstrip() + "\n"


def _result(result: RuleResult, style: Style) -> list[str]:
    where = f"{result.file}:{result.line}" if result.file and result.line else result.file or ""
    role = "bad" if result.severity == "error" else "warn"
    lines = [
        f"{style(role, result.severity.upper())} {style('title', result.rule)} · {result.subject}"
        + (f" ({where})" if where else ""),
        f"  {result.fact}",
    ]
    fix = result.fix
    for label, text in (
        ("fix", fix.cli),
        ("CloudFormation", fix.cloudformation),
        ("Terraform", fix.terraform),
    ):
        if text:
            lines.append(f"  {label}: {style('command', text)}")
    if result.docs:
        lines.append(f"  docs: {style('dim', result.docs[0])}")
    return [*lines, ""]
