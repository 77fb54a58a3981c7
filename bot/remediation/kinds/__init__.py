"""The planner of each fix button: what it will change (before → after, the AWS call) before it changes anything,
and the same change as infrastructure code. One module per kind, one registry line each (as k8sgpt's
analyzers); each planner takes its kind's typed parameters, the model the diagnosis offered the button with
(diagnosis/actions.py).

`plan` reads the current state (read-only calls); applying makes the one write call the plan names
(bot/remediation/executor.py).
"""

from __future__ import annotations

from typing import Any

from bot.remediation.kinds import circuit_breaker, deployment, exec_command, grace, memory, rollback
from bot.remediation.kinds.base import CodeProp, Plan, PlanError, Planner

# Each kind of diagnosis.actions.KINDS, in its order (tests/bot/remediation/test_kinds.py).
PLANNERS: dict[str, Planner[Any]] = {
    "raise_grace_period": grace.PLANNER,
    "force_new_deployment": deployment.PLANNER,
    "increase_memory": memory.PLANNER,
    "rollback": rollback.PLANNER,
    "enable_circuit_breaker": circuit_breaker.PLANNER,
    "enable_execute_command": exec_command.PLANNER,
}
READS: dict[str, tuple[str, ...]] = {
    kind: planner.reads for kind, planner in PLANNERS.items() if planner.reads
}

__all__ = ["PLANNERS", "READS", "CodeProp", "Plan", "PlanError", "Planner"]
