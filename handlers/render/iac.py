"""The confirmation's word on infrastructure code: who manages the service, that its next deploy undoes an
API change, and the code to commit instead (or as well)."""

from __future__ import annotations

from slack_sdk.models.blocks import SectionBlock

from bot.remediation.as_code import code_change
from bot.remediation.kinds import Plan
from handlers.render.text import block_code, code, cut, escape


def managed_blocks(plan: Plan, code_only: bool) -> list[SectionBlock]:
    """Nothing when no code manages the service; a sentence when it was not possible to tell."""
    owner = plan.ownership.owner
    if owner is None:
        if not plan.ownership.unknown:
            return []
        return [
            SectionBlock(
                text=f"I could not tell whether code manages this service: "
                f"{escape(plan.ownership.unknown)} was not readable."
            )
        ]
    service = str(plan.params.get("service", ""))
    who = f"*Managed by {owner.label}{' ' + code(owner.name) if owner.name else ''}* ({escape(owner.how)})."
    snippet = code_change(plan, owner, service)
    if not snippet:
        return [
            SectionBlock(
                text=cut(f"{who} This fix changes nothing the code holds, so its next deploy keeps it.")
            )
        ]
    if code_only:
        then = "ECS_WHY_MANAGED_SERVICES=code-only: make this change in the code; I make no API change."
    else:
        then = f"⚠️ {owner.undo(code)}. Commit this as well:"
    return [
        SectionBlock(text=cut(f"{who} {then}\n*The code to commit ({owner.label})*\n{block_code(snippet)}"))
    ]
