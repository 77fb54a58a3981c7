"""Guardrails: which Slack users may apply which fix to which service, directly, after a second person's
approval, or not at all (`ECS_WHY_GUARDRAILS`, docs/guardrails.md)."""
