"""Prevention: the checks that prove a cause after a stop, run before one (`ecs-why check`).

Offline rules read a task definition and what a template or plan says around it (`rules/`); live rules run
the diagnosis engine's own checks on the service's current task definition (`live`). Results carry the
rule, severity, the fact, the fix three ways and the doc link (`model`), as text, JSON or SARIF; `run`
checks files. The package itself loads nothing: every diagnosis names its rule through `catch`, which
must not pay for the rules, the input readers and YAML.
"""
