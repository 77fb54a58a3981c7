"""ecs-why's engine: from what was read (a pasted text, a document, a live collection) to a `Diagnosis`.

Rules, checks and knowledge are pure; only `diagnosis.collect.aws` talks to AWS (rounds of concurrent
read calls, failures turned into gaps), and nothing here knows Slack.

Glossary (the words the modules use, each with one meaning):
- observation: what one input showed, in the shape the rules read (`models.Observations`: tasks, services,
  service actions).
- match: a rule's verdict on one message or task: a category, a confidence and the clue (`rules.base.Match`).
- clue: the words that decided a match, as a user reads them ("the registry said `not found`").
- sighting: one piece of input that points at a cause, with its match, source and quote (`classify.Sighting`).
- names: what a finding speaks of (cluster, service, family:revision, container, image…), read from the
  sightings and live facts; they fill the `{name}` templates of knowledge (`names.py`).
- check: a live test that confirms or refutes a cause, declared once as a `checks.LiveCheck`
  (name, description, IAM action, the evidence it needs); its outcome is a `models.Check` on the finding.
- gap: evidence that could not be read, and why; AccessDenied names the missing IAM action (`models.Gap`).
- finding: one cause with its evidence, remediations, checks and prevention (`models.Finding`).
- fingerprint: account:region:cluster:service:category; it groups alerts and history (`findings.fingerprint`).
"""
