"""Run the rules over the subjects: results redacted, ranked (errors first), minus what the team accepted."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

from diagnosis.prevent.inputs import read_subjects
from diagnosis.prevent.inputs.locate import line_of
from diagnosis.prevent.model import CheckReport, CheckStats, Fix, FixOut, RuleResult, Subject, Violation
from diagnosis.prevent.rules import ALL, OFFLINE
from diagnosis.prevent.rules.base import Rule
from diagnosis.redact import redact


class IgnoreError(ValueError):
    """An ignore entry that names no rule: it would silently have no effect."""


def check_files(documents: Iterable[tuple[str, str]], ignore: Iterable[str] = ()) -> CheckReport:
    """Run the offline rules over (file name, text) pairs; an unreadable one raises InputError."""
    subjects = [s for file, text in documents for s in read_subjects(text, file)]
    return check_subjects(subjects, OFFLINE, ignore)


def check_subjects(
    subjects: Sequence[Subject], rules: Sequence[Rule], ignore: Iterable[str] = ()
) -> CheckReport:
    started = time.perf_counter()
    accepted = parse_ignores(ignore)
    results: list[RuleResult] = []
    ignored = 0
    for subject in subjects:
        for rule in rules:
            for violation in rule.run(subject):
                if (rule.id, "") in accepted or (rule.id, subject.name) in accepted:
                    ignored += 1
                    continue
                results.append(result_of(rule, subject, violation))
    results.sort(key=lambda r: (r.severity != "error", r.file or "", r.line or 0, r.subject))
    return CheckReport(
        subjects=[s.name for s in subjects],
        results=results,
        ignored=ignored,
        stats=CheckStats(
            subjects=len(subjects), rules_run=len(rules), elapsed_ms=(time.perf_counter() - started) * 1000
        ),
    )


def result_of(rule: Rule, subject: Subject, violation: Violation) -> RuleResult:
    """One result, every text from the input redacted (the only way a result is built)."""
    line = subject.line
    if violation.resource and subject.lines:
        line = line_of(subject.lines, violation.resource) or subject.line
    elif violation.container and subject.lines:
        line = line_of(subject.lines, violation.container, subject.line) or subject.line
    fix = violation.fix
    if subject.kind == "CloudFormation":  # the fix in the language the input is written in
        fix = Fix(cli=fix.cli, cloudformation=fix.cloudformation)
    elif subject.kind == "Terraform":
        fix = Fix(cli=fix.cli, terraform=fix.terraform)
    return RuleResult(
        rule=rule.id,
        severity=violation.severity or rule.severity,
        title=rule.title,
        fact=redact(violation.fact),
        subject=subject.name,
        file=subject.file or None,
        line=line or None,
        fix=FixOut(
            cli=redact(fix.cli) if fix.cli else None,
            cloudformation=redact(fix.cloudformation) if fix.cloudformation else None,
            terraform=redact(fix.terraform) if fix.terraform else None,
        ),
        action=violation.action,
        docs=list(rule.links),
        prevents=list(rule.prevents),
    )


def parse_ignores(entries: Iterable[str]) -> set[tuple[str, str]]:
    """`rule-id` (everywhere) or `rule-id:subject` (one task definition, logical ID, address or service).
    Any rule counts, offline or live: one ignore list serves files and services alike."""
    known = {rule.id for rule in ALL}
    accepted: set[tuple[str, str]] = set()
    for entry in entries:
        rule, _, subject = entry.strip().partition(":")
        if not rule:
            continue
        if rule not in known:
            raise IgnoreError(
                f"--ignore {entry}: no rule {rule!r}; the rules are: {', '.join(sorted(known))}"
            )
        accepted.add((rule, subject))
    return accepted
