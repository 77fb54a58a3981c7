"""Prevention: the checks that prove a cause after a stop, run before one (`ecs-why check`).

Offline rules read a task definition and what a template or plan says around it (`rules/`); live rules run
the diagnosis engine's own checks on the service's current task definition (`live`). Results carry the
rule, severity, the fact, the fix three ways and the doc link (`model`), as text, JSON or SARIF.
"""

from __future__ import annotations

from collections.abc import Iterable

from diagnosis.prevent.inputs import read_subjects
from diagnosis.prevent.model import CheckReport
from diagnosis.prevent.rules import OFFLINE
from diagnosis.prevent.run import check_subjects


def check_files(documents: Iterable[tuple[str, str]], ignore: Iterable[str] = ()) -> CheckReport:
    """Run the offline rules over (file name, text) pairs; an unreadable one raises InputError."""
    subjects = [s for file, text in documents for s in read_subjects(text, file)]
    return check_subjects(subjects, OFFLINE, ignore)


__all__ = ["OFFLINE", "CheckReport", "check_files"]
