"""The shape of a collector: a `Source` plans the calls for one need and absorbs their answers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from diagnosis.checks import needs
from diagnosis.checks.evidence import LiveEvidence
from diagnosis.collect.aws import Call, Outcome
from diagnosis.collect.service_tasks import Core


@dataclass
class Plan:
    """What a source plans from: the core read, the evidence so far, and which candidates want which need."""

    core: Core
    evidence: LiveEvidence
    wanted: Mapping[str, set[str]]  # need name -> the candidate categories whose checks need it
    candidates: list[str] = field(default_factory=list)
    log_lines: int = 50

    @property
    def cluster(self) -> str:
        return self.core.spec.cluster or "default"

    def wants(self, need: needs.Need) -> bool:
        return need.name in self.wanted


Absorb = Callable[[LiveEvidence, Mapping[str, Outcome]], None]


@dataclass(frozen=True)
class Source:
    plan: Callable[[Plan], dict[str, Call]]
    absorb: Absorb
    round: int = 3  # 4: plans from what round 3 read
    requires: tuple[needs.Need, ...] = ()


def nothing(_plan: Plan) -> dict[str, Call]:
    return {}


def ignore(_evidence: LiveEvidence, _results: Mapping[str, Outcome]) -> None:
    return None
