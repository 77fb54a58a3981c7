"""The demo sandbox: a realistic AWS account in moto, seeded with ECS services that fail in known ways.

`bot.demo.scenarios.seed` writes the account; `bot.demo.sandbox.start_sandbox` runs it behind a
loopback moto server so the real CLI can diagnose it with no AWS account. The same seeds serve the tests.
"""
