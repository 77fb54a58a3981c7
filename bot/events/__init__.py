"""Live failure events: ECS events (SQS fed by EventBridge, or a poller) → diagnosis → grouped, deduped
notifications for subscribed channels, and stored history.

`ingest` reads a message, `triage` decides what a stop means (once per stop shape), `pipeline`
processes one event, `grouping` keeps one message per cause, `worker` consumes the queue, `poller` replaces
it where no queue exists, `runner` runs either. Slack is reached only through the `notifier.Notifier`
protocol (implemented in handlers/notifier.py), so this package stays free of Slack code.
"""
