"""Local fakes for tests that must not touch the internet (Slack Web API, signed Slack requests)."""
