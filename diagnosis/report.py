"""Platform-neutral renderings of a diagnosis: plain text for terminals and Markdown for tickets.

Slack has its own renderer (handlers/), built from the same `Diagnosis`. The text renderer takes a
`style` callback so a terminal can add colour without a second layout (the callback must also escape).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from diagnosis.models import Action, Diagnosis, EvidenceItem, Finding
from diagnosis.prevent.catch import sentence
from diagnosis.when import when_line

Style = Callable[
    [str, str], str
]  # (role, text) -> styled text; roles: title, heading, dim, command, bad, ok, warn


def plain(_role: str, text: str) -> str:
    return text


def to_text(diagnosis: Diagnosis, style: Style = plain, verbose: bool = True) -> str:
    lines = [style("title", _headline(diagnosis)), ""]
    if (
        not diagnosis.findings
    ):  # nothing could be read is unknown, not healthy: never in the colour of success
        seen = diagnosis.stats.tasks_seen or diagnosis.stats.services_seen
        lines.append(style("warn" if diagnosis.gaps and not seen else "ok", diagnosis.summary))
    for index, finding in enumerate(diagnosis.findings):
        if index == 0:
            lines.extend(_finding_text(finding, style, full=True, when=when_line(diagnosis.timeline)))
        elif verbose:
            if index == 1:
                lines += ["", style("heading", "Other findings")]
            lines.extend(_finding_text(finding, style, full=False, number=index + 1))
    if diagnosis.gaps:
        lines += ["", style("heading", "Could not check")]
        lines += [f"  - {style('dim', g.what)}: {style('dim', g.reason)}" for g in diagnosis.gaps]
    return "\n".join(lines).rstrip() + "\n"


def _headline(diagnosis: Diagnosis) -> str:
    """The answer in one line, from the top finding's fields (the summary's wording of it, not cut out
    of the summary's text, which a title with a full stop would break)."""
    top = diagnosis.top
    if top is None:
        return diagnosis.summary.rstrip(".")
    return f"{diagnosis.target.label()}: {top.title} ({top.category}, {top.verdict}, confidence {top.confidence:.0%})"


def _finding_text(finding: Finding, style: Style, full: bool, number: int = 1, when: str = "") -> list[str]:
    role = "bad" if finding.failure else "ok"
    head = f"{finding.category} · {finding.verdict} · confidence {finding.confidence:.0%}" + (
        f" · {finding.task_count} task(s)" if finding.task_count else ""
    )
    if not full:
        return [
            f"  {number}. {style('title', finding.title)}",
            f"     {style(role, head)}",
            f"     {style('dim', finding.summary)}",
        ]
    lines = [
        style("title", finding.title),
        "  " + style(role, head),
        *(["  " + style("dim", when)] if when else []),
        "",
        style("heading", "What happened"),
        "  " + style("plain", finding.summary),
        "",
        style("heading", "Why"),
        "  " + style("plain", finding.why),
    ]
    if finding.facts:
        lines += ["", style("heading", "Evidence")]
        for item in finding.facts:
            where = f" (task {item.task})" if item.task else ""
            lines.append(
                f"  - [{style('dim', item.source)}] {style('plain', item.fact)}{style('dim', where)}"
            )
    if finding.log_lines:
        lines += ["", style("heading", "Log lines")]
        for source, logged in by_source(finding.log_lines):
            lines.append(f"  [{style('dim', source)}]")
            lines += [f"    {style('plain', line)}" for line in logged]
    if finding.steps:
        lines += ["", style("heading", "Fix")]
        for n, step in enumerate(finding.steps, start=1):
            lines.append(f"  {n}. {style('plain', step.step)}")
            if step.command:
                lines.append(f"     $ {style('command', step.command)}")
    if finding.actions:  # the buttons Slack shows with the answer, each applied after a confirmation
        lines += ["", style("heading", "Fixes offered")]
        lines += [f"  - {style('plain', offered(action))}" for action in finding.actions]
    if finding.checks:
        lines += ["", style("heading", "Live checks that would confirm it")]
        for check in finding.checks:
            outcome = "" if check.outcome == "not_run" else f" → {check.outcome}"
            detail = f": {check.detail}" if check.detail else ""
            lines.append(f"  - {style('plain', check.description)}{style('dim', outcome + detail)}")
    if finding.prevention:
        lines += ["", style("heading", "Prevention"), f"  {sentence(finding.prevention)}"]
    if finding.docs:
        lines += ["", style("heading", "Docs")] + [f"  {style('dim', url)}" for url in finding.docs]
    return lines


def to_markdown(diagnosis: Diagnosis) -> str:
    """Markdown for a ticket or a pull request; AWS text is shown in code spans so it cannot format."""
    out = [f"## ecs-why: {_md(diagnosis.target.label())}", "", _md(diagnosis.summary), ""]
    when = when_line(diagnosis.timeline)
    if diagnosis.findings and when:
        out += [f"**When**: {when}", ""]
    for index, finding in enumerate(diagnosis.findings, start=1):
        out += [
            f"### {index}. {_md(finding.title)}",
            "",
            f"`{finding.category}` · {finding.verdict} · confidence {finding.confidence:.0%}"
            + (f" · {finding.task_count} task(s)" if finding.task_count else ""),
            "",
            _md(finding.summary),
            "",
            f"**Why.** {_md(finding.why)}",
            "",
        ]
        if finding.facts:
            out += ["**Evidence**", ""]
            out += [
                f"- {_md(e.source)}: {_code(e.fact)}" + (f" (task `{e.task}`)" if e.task else "")
                for e in finding.facts
            ]
            out.append("")
        if finding.log_lines:
            out += ["**Log lines**", ""]
            for source, logged in by_source(finding.log_lines):
                out += [f"From {_code(source)}:", "", *_fenced(logged), ""]
        if finding.steps:
            out += ["**Fix**", ""]
            for n, step in enumerate(finding.steps, start=1):
                out.append(f"{n}. {_md(step.step)}")
                if step.command:
                    out += ["", "   ```sh", f"   {step.command}", "   ```"]
            out.append("")
        if finding.actions:
            out += ["**Fixes offered**: " + " · ".join(_md(offered(a)) for a in finding.actions), ""]
        if any(c.outcome != "not_run" for c in finding.checks):  # diagnose ran them: what each found
            out += ["**Live checks**", ""]
            out += [
                f"- {_md(c.description)}"
                + ("" if c.outcome == "not_run" else f" → {c.outcome}")
                + (f": {_md(c.detail)}" if c.detail else "")
                for c in finding.checks
            ]
            out.append("")
        elif finding.checks:  # explain: the checks diagnose would run
            out += ["**Live checks**: " + ", ".join(f"`{c.name}`" for c in finding.checks), ""]
        if finding.prevention:
            out += [f"**Prevention**: {sentence(finding.prevention)}", ""]
        if finding.docs:
            out += ["**Docs**: " + " · ".join(finding.docs), ""]
    if diagnosis.gaps:
        out += (
            ["### Could not check", ""] + [f"- {_md(g.what)}: {_md(g.reason)}" for g in diagnosis.gaps] + [""]
        )
    return "\n".join(out).rstrip() + "\n"


def fix_label(action: Action) -> str:
    """What a fix's button says."""
    return action.label or action.kind.replace("_", " ").capitalize()


def offered(action: Action) -> str:
    """A fix the bot offers, as its button says it, with the risk its confirmation states."""
    return f"{fix_label(action)} (risk: {action.risk})"


def by_source(items: list[EvidenceItem]) -> list[tuple[str, list[str]]]:
    """Log lines grouped by the stream they were read from, in the order read (every renderer shows them
    so: the stream names the task whose log it is)."""
    groups: dict[str, list[str]] = {}
    for item in items:
        groups.setdefault(item.source, []).append(item.fact)
    return list(groups.items())


def _fenced(lines: list[str]) -> list[str]:
    """A code block no line can close early: its fence is longer than any run of backticks in the lines."""
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + "text", *lines, fence]


_QUOTED = re.compile(r"`([^`\n]+)`")  # a name the engine's wording quotes: `checkout`, `memory`


def _md(text: str) -> str:
    """Free text (the engine's wording with AWS's words in it): what it quotes in backticks is inline code,
    everything else escaped, so neither can format (a code span shows its content as it is)."""
    parts: list[str] = []
    last = 0
    for quoted in _QUOTED.finditer(text):
        parts += [_escaped(text[last : quoted.start()]), _code(quoted.group(1))]
        last = quoted.end()
    return "".join([*parts, _escaped(text[last:])])


def _escaped(text: str) -> str:
    """Escape the characters Markdown would interpret in free text from AWS."""
    for ch in "\\`*_[]<>#|":
        text = text.replace(ch, "\\" + ch)
    return text


def _code(text: str) -> str:
    """A code span no backtick in the text can close early: its fence is longer than any run in it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    return f"{fence}{text}{fence}" if not longest else f"{fence} {text} {fence}"
