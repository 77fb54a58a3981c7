"""Remediation: typed changes (kinds) and the executor that applies a confirmed one exactly once."""
