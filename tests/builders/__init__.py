"""Builders shared by the tests: realistic AWS API shapes, varied by parameters, never tuned to one case.

The rule: a test module (`test_*.py`) never imports another test module (tests/test_architecture.py
checks it). What more than one test module needs lives in one of three places:
- here, one module per concept, named for what it builds (`moto_world`, `ecs_service`, `diagnoses`,
  `served_bot`, …): inputs, seeded worlds, constants and small readers of what a test checks;
- tests/fakes/: stand-ins for an outside service (the Slack Web API and socket, the IAM simulator);
- the nearest conftest.py: pytest fixtures (the moto ECS service of tests/bot/remediation, the served bot
  of tests/e2e, Redis in tests/conftest.py).
Helper modules that predate this package and serve one test package stay beside it, under the same rule
(not test modules): tests/bot/events/shapes.py,
tests/handlers/golden_files.py, tests/diagnosis/heldout.py, and tests/deploy/helm_render_support.py
(tests/deploy is not a package: its modules import it by its bare name).
"""
