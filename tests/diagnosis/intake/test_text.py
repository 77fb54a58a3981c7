"""Plain text as people paste it: bare reasons, prose around them, console copies, service event lines."""

from __future__ import annotations

import pytest

from diagnosis.contract import to_json
from diagnosis.engine import diagnose
from diagnosis.intake import InputError, read_input
from diagnosis.models import Diagnosis

TASK = "arn:aws:ecs:us-east-1:123456789012:task/prod/0f1e2d3c4b5a69788796a5b4c3d2e1f0"
PULL_NOT_FOUND = (
    "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref "
    "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:v2: not found"
)
SECRET_DENIED = (
    "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval "
    "failed: unable to retrieve secret from asm: service call has been retried 5 time(s): failed to fetch "
    "secret arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf from secrets manager: "
    "AccessDeniedException: User is not authorized to perform: secretsmanager:GetSecretValue"
)
PLACEMENT = (
    "(service web-api) was unable to place a task because no container instance met all of its "
    "requirements. The closest matching (container-instance 5a1b2c3d) has insufficient memory available."
)


def explain(text: str) -> Diagnosis:
    intake = read_input(text)
    return diagnose(intake.observations, gaps=intake.gaps)


def categories(text: str) -> list[str]:
    return [f.category for f in explain(text).findings]


def test_a_bare_stopped_reason() -> None:
    result = explain(PULL_NOT_FOUND)
    assert result.findings[0].category == "image_not_found"
    assert result.stats.input_kind == "plain text (1 ECS message)"
    assert result.gaps == []
    assert "web:v2" in result.findings[0].title


def test_prose_before_the_reason_is_not_read_as_a_cause() -> None:
    text = f"this started after the deploy, we rolled back twice: {PULL_NOT_FOUND}\nany idea what's wrong?"
    result = explain(text)
    assert [f.category for f in result.findings] == ["image_not_found"]
    assert [g.reason for g in result.gaps] == ["1 line held no ECS message"]


def test_several_lines_each_explained() -> None:
    result = explain(f"{PULL_NOT_FOUND}\n\n{SECRET_DENIED}\n")
    assert sorted(f.category for f in result.findings) == ["image_not_found", "secrets_retrieval"]
    assert result.stats.input_kind == "plain text (2 ECS messages)"


def test_console_copy_with_tabs_reads_the_exit_code() -> None:
    text = "Stopped reason\tEssential container in task exited\nStop code\tEssentialContainerExited\nExit code\t139"
    result = explain(text)
    assert result.findings[0].category == "segfault"
    assert "stop code: EssentialContainerExited" in result.findings[0].evidence[0].fact


def test_console_copy_on_one_line() -> None:
    assert categories("Stopped reason  Essential container in task exited … Exit code 137")[0] == "oom"


def test_label_on_its_own_line_then_the_value() -> None:
    text = (
        "Status\nSTOPPED\nStopped reason\nTask failed ELB health checks in (target-group "
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0f1e2d3c4b5a6978)"
    )
    result = explain(text)
    assert result.findings[0].category == "elb_health_check"


def test_container_reason_after_a_generic_stop_reason() -> None:
    text = "Essential container in task exited\nOutOfMemoryError: Container killed due to memory usage\nExit code: 137"
    result = explain(text)
    assert result.findings[0].category == "oom"
    assert result.stats.tasks_stopped == 1


def test_service_event_line_names_the_service() -> None:
    result = explain(f"2026-04-19 10:59:00 +0000  {PLACEMENT}")
    assert result.findings[0].category == "placement_insufficient_resources"
    assert result.target.service == "web-api"


def test_task_arn_in_the_alert_gives_the_target() -> None:
    result = explain(f"Task {TASK} stopped\nStopped reason: {SECRET_DENIED}")
    assert result.target.cluster == "prod" and result.target.task == "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    assert result.findings[0].category == "secrets_retrieval"


def test_exit_code_phrases() -> None:
    assert categories("the app container exited with code 127 right after start")[0] == "command_not_found"


def test_a_bare_clause_without_an_error_type() -> None:
    text = "pull access denied for foo/bar, repository does not exist or may require 'docker login'"
    assert categories(text)[0] in ("image_pull_auth", "image_not_found")


def test_informational_service_events_are_read_but_name_no_cause() -> None:
    result = explain("(service web-api) has reached a steady state.")
    assert result.findings == [] and result.gaps == []
    assert result.stats.services_seen == 1


@pytest.mark.parametrize(
    "text",
    ["", "   \n", "hello world", "the deploy went fine, thanks!", "Error: something broke", "```\n```"],
)
def test_nothing_about_ecs_is_refused_in_one_line_saying_what_is_accepted(text: str) -> None:
    with pytest.raises(InputError) as info:
        read_input(text)
    message = str(info.value)
    assert "\n" not in message and "stopped reason" in message and "describe-tasks" in message


def test_reasons_are_redacted_in_the_evidence() -> None:
    text = "CannotPullContainerError: docker login -u AWS -p s3cr3tT0kenValue123 failed: 401 Unauthorized"
    result = explain(text)
    assert "s3cr3tT0kenValue123" not in to_json(result)


@pytest.mark.parametrize(
    ("copy", "category"),
    [
        (  # the developer guide's event, its two sentences on two lines (a console copy)
            "service web-api was unable to place a task because no container instance met all of its "
            "requirements.\nThe closest matching container-instance 0f3e5a7c is missing an attribute required "
            "by your task.",
            "placement_constraint_or_no_instances",
        ),
        (
            "(service web-api) was unable to place a task because no container instance met all of its "
            "requirements.\n\nReason: No Container Instances were found in your cluster.",
            "placement_constraint_or_no_instances",
        ),
        (
            "service web-api was unable to place a task because no container instance met all of its "
            "requirements.\nThe closest matching container-instance 0f3e5a7c has insufficient memory available.",
            "placement_insufficient_resources",
        ),
    ],
)
def test_a_placement_event_broken_over_two_lines_is_read_whole(copy: str, category: str) -> None:
    assert categories(copy)[0] == category
    assert not explain(copy).gaps, "no line is left unread"


def test_only_a_placement_event_s_own_detail_continues_it() -> None:
    copy = PULL_NOT_FOUND + "\nThe closest matching container-instance 0f3e5a7c is missing an attribute."
    assert categories(copy) == ["image_not_found"]


# A target health event ends "due to (reason …)", and copies wrap it before or after "due to" (public write-ups:
# stored index files 57373037252 and 58841766827, ids elided by their authors).
HEALTH_WRAPPED = (
    "(task d977478a...) (port 8000) is unhealthy in (target-group ...-blue)\n"
    "                   due to (reason Health checks failed)",
    "(task xxx) is unhealthy in (target-group ...)\ndue to (reason Request timed out).",
    "(task xxx) is unhealthy in (target-group ...) due to\n(reason Request timed out).",
)


@pytest.mark.parametrize("copy", HEALTH_WRAPPED)
@pytest.mark.parametrize("marker", ["", "# ", "  #   ", "// ", "> ", " * "])  # a code comment, a quote
def test_a_target_health_event_wrapped_over_two_lines_is_read_whole(copy: str, marker: str) -> None:
    text = "\n".join(marker + line for line in copy.splitlines())
    result = explain(text)
    assert [f.category for f in result.findings] == ["elb_health_check"]
    assert not result.gaps, "the wrapped reason is read as the event's"
    assert "(reason" in " ".join(e.fact for e in result.findings[0].evidence)


def test_only_a_target_health_event_s_own_reason_continues_it() -> None:
    copy = PULL_NOT_FOUND + "\ndue to (reason Health checks failed)"
    assert categories(copy) == ["image_not_found"]


def test_a_deploy_tool_s_tasks_failed_to_start_is_read_not_refused() -> None:
    # a runbook's deploy log line (stored index file 31593980613): the plural of ECS's "task failed to start",
    # which names no cause: read as `other`, not refused
    assert categories("[ERROR] Deployment failed: tasks failed to start") == ["other"]


# The ECS agent logs a failed pull in its own words (agent/engine/task_manager.go), then the daemon's error;
# each version worded it differently. The daemon's error, not the agent's wrapper, says why.
ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com"


@pytest.mark.parametrize(
    ("log", "category"),
    [
        (  # agent 1.17+: "Managed task [%s]: Error while pulling container %s, will try to run anyway: %v"
            f"2018-04-01T16:21:13Z [ERROR] Managed task [{TASK}]: Error while pulling container web, will try "
            f"to run anyway: API error (404): repository {ECR}/web not found",
            "image_not_found",
        ),
        (  # "Managed task [%s]: error while pulling container %s and image %s, will try to run anyway: %v"
            f"2019-06-14T21:30:50Z [ERROR] Managed task [{TASK}]: error while pulling container web and image "
            f"{ECR}/web:v2, will try to run anyway: CannotPullContainerError: Error response from daemon: Get "
            f"https://{ECR}/v2/: net/http: request canceled while waiting for connection",
            "image_pull_network",
        ),
        (  # agent 1.14: "Error while pulling container %v for task %v, will try to run anyway: %v"
            f"2017-08-18T06:12:41Z [ERROR] Error while pulling container web({ECR}/web:latest) (NONE->RUNNING) "
            f"for task web:4 {TASK}, Status: (NONE->RUNNING), will try to run anyway: CannotPullContainerError: "
            "failed to register layer: ApplyLayer exit status 1 stdout:  stderr: write /usr/lib/x.so: no space "
            "left on device",
            "storage_exhausted",
        ),
        (  # agent 1.0-1.13 (key-value): Error while pulling container; will try to run anyways … err="…"
            "2016-05-10T10:00:00Z [INFO] Error while pulling container; will try to run anyways module="
            f'"TaskEngine" task="web:3 {TASK}, Status: (NONE->RUNNING)" err="Error: image library/web:v9 not '
            'found"',
            "image_not_found",
        ),
        (  # structured logging: msg="Error while pulling image; will try to run anyway" … error="…"
            'level=error time=2023-03-13T15:08:12Z msg="Error while pulling image; will try to run anyway" '
            f'image="{ECR}/web:latest" container="web" error="AccessDeniedException: User: '
            "arn:aws:sts::123456789012:assumed-role/ecsTaskExecutionRole/8ff4fbc2 is not authorized to perform: "
            "ecr:GetAuthorizationToken on resource: * because no VPC endpoint policy allows the "
            'ecr:GetAuthorizationToken action" task="8ff4fbc265ee40bba57f8f709c43fef3"',
            "image_pull_auth",
        ),
    ],
)
def test_an_ecs_agent_log_line_of_a_failed_pull_reads_as_the_pull_error(log: str, category: str) -> None:
    result = explain(f"{log}\n2018-04-01T16:21:13Z [INFO] Managed task [{TASK}]: Cgroup resource set up")
    assert [f.category for f in result.findings] == [category]
    assert result.target.task == "0f1e2d3c4b5a69788796a5b4c3d2e1f0", "the agent's lines name the task"


def test_an_agent_line_of_a_pull_under_way_claims_no_failure() -> None:
    progress = (
        f'2016-03-11T17:07:54Z [DEBUG] Pulling image module="TaskEngine" image="{ECR}/web:9ce7d67" '
        'status="Downloading [=====>] 157.3 MB/157.3 MB"'
    )
    with pytest.raises(InputError):
        read_input(progress)


@pytest.mark.parametrize("tail", ["hello", "the daemon said nothing useful", "Exit Code 137"])
def test_the_agent_s_pull_wrapper_alone_claims_no_missing_image(tail: str) -> None:
    """The wrapper says a pull failed, not why: a tail no pull rule reads is no evidence of a missing image."""
    log = f"2018-04-01T16:21:13Z [ERROR] Managed task [{TASK}]: Error while pulling container web: {tail}"
    try:
        found = categories(log)
    except InputError:
        return  # refused as not read: also no false cause
    assert "image_not_found" not in found
    assert "image_pull_auth" not in found and "image_pull_network" not in found


# A script's or a bot's one-line summary in key=value form puts the reason under `reason=`, after the codes
# (a Step Functions failure summary, stored index file 56802145928; AWS Batch's, 61373620955; ecs-cli relaying
# a RunTask failure, aws/amazon-ecs-cli#184).
@pytest.mark.parametrize(
    ("line", "category", "reason"),
    [
        (
            "error=States.TaskFailed task=portfolio-pipeline-demo-ibkr exitCode=1 "
            "reason=Essential container in task exited",
            "app_error",
            "Essential container in task exited",
        ),
        (
            "attempt 1: exit=1  reason=OutOfMemoryError: container killed due to memory usage",
            "oom",
            "OutOfMemoryError: container killed due to memory usage",
        ),
        (
            "Couldn't run containers. reason=RESOURCE:MEMORY",
            "placement_insufficient_resources",
            "RESOURCE:MEMORY",
        ),
    ],
)
def test_a_key_value_line_s_reason_is_read_and_quoted(line: str, category: str, reason: str) -> None:
    result = explain(line)
    assert result.findings[0].category == category
    assert reason in " ".join(e.fact for e in result.findings[0].evidence)


def test_a_placement_event_s_own_reason_stays_the_event_s() -> None:
    event = (
        "(service web) was unable to place a task because no container instance met all of its requirements. "
        "Reason: No Container Instances were found in your cluster."
    )
    assert categories(event) == ["placement_constraint_or_no_instances"]
    assert explain(event).stats.input_kind == "plain text (1 ECS message)"


# The ECS agent's task engine logs a failed transition as "Task engine [%s]: error transitioning container
# [%s] to [%s]: %v" and a container it did not know of as "Task engine [%s]: found container potentially
# created while we were down: %s" (agent/engine/docker_task_engine.go, stored index file 3972558163): the task
# ARN is no message, the daemon's error after it is (here the logging driver's of wordings.jsonl w055).
AGENT_UNKNOWN_CONTAINER = (
    f"2020-03-04T19:52:06Z [DEBUG] Task engine [{TASK}]: found container potentially created while we were down: "
    "ecs-worker-3-app-b2c4e8f0a1d3c5e7f901"
)


def test_an_agent_line_naming_the_task_reads_the_error_it_logs() -> None:
    log = (
        f"2020-03-04T19:52:05Z [ERROR] Task engine [{TASK}]: error transitioning container [app] to [CREATED]: "
        "Error response from daemon: failed to initialize logging driver: CredentialsEndpointError: failed to load "
        "credentials caused by: RequestError: send request failed caused by: Get http://169.254.170.2/v2/credentials/\n"
        + AGENT_UNKNOWN_CONTAINER
    )
    result = explain(log)
    assert [f.category for f in result.findings] == ["log_driver_init"]
    assert result.target.task == "0f1e2d3c4b5a69788796a5b4c3d2e1f0"


def test_an_agent_line_naming_a_task_and_no_error_is_still_refused() -> None:
    with pytest.raises(InputError):
        read_input(AGENT_UNKNOWN_CONTAINER)


def test_the_agent_s_oom_event_line_is_read_as_oom() -> None:
    """The agent logs the daemon's OOM event (aws/amazon-ecs-agent#448, wordings_more.jsonl h039)."""
    line = (
        "2016-07-12T23:25:08Z [INFO] process within container "
        "7fb0ade6e5e85cd8b47a9daf9261055aae30c93b044a6367a1db9bed0da37ca1 died due to OOM"
    )
    assert categories(line) == ["oom"]


# The console's newer placement event names its cause after "The reason for failure is" (a public Terraform comment
# quotes it whole: stored index file 38575765192, tuning wording h049); a terminal or a timeline copy wraps the line
# there, with a time column and a hanging indent.
NEWER_PLACEMENT = (
    "service app-service was unable to place a task because no container instance met all of its requirements. "
    "The reason for failure is",
    "No Container Instances were found in your cluster. For more information, see the Troubleshooting",
    "section of the Amazon ECS Developer Guide",
)


@pytest.mark.parametrize("column", ["", "18:59:51  ", "  "])
def test_a_cause_wrapped_after_the_reason_for_failure_is_is_read_whole(column: str) -> None:
    indent = " " * len(column)
    text = "\n".join([column + NEWER_PLACEMENT[0], *(indent + line for line in NEWER_PLACEMENT[1:])])
    result = explain(text)
    assert [f.category for f in result.findings] == ["placement_constraint_or_no_instances"]
    assert "No Container Instances were found" in " ".join(e.fact for e in result.findings[0].evidence)
    assert not result.gaps, "the wrapped cause is read as the event's"


def test_a_wrapped_cause_stops_where_its_sentence_ends() -> None:
    text = "\n".join(
        [NEWER_PLACEMENT[0], "No Container Instances were found in your cluster.", "we rolled back at 19:05"]
    )
    result = explain(text)
    assert [f.category for f in result.findings] == ["placement_constraint_or_no_instances"]
    assert [g.reason for g in result.gaps] == ["1 line held no ECS message"]


def test_only_a_cut_cause_takes_the_next_line() -> None:
    result = explain(PULL_NOT_FOUND + "\nNo route to the registry, the NAT was deleted")
    assert [f.category for f in result.findings] == ["image_not_found"]
    assert [g.reason for g in result.gaps] == ["1 line held no ECS message"]


# The ECS agent's own reason for a secret it could not fetch (tuning wording h050, a public walkthrough's
# describe-tasks | jq output: stored index file 7939201186) is an ECS message wherever it stands in a paste.
AGENT_SECRET = (
    "Fetching secret data from SSM Parameter Store in eu-west-1: invalid parameters: /demo/dev/MY_INVALID_PARAMETER"
)


def test_the_agent_s_secret_fetch_reason_is_read_beside_other_messages() -> None:
    text = f"first deploy:\n{PULL_NOT_FOUND}\n\nsecond deploy, stopped reason was\n{AGENT_SECRET}"
    assert sorted(categories(text)) == ["image_not_found", "secrets_retrieval"]


# Kubernetes' texts (public incident fixtures of Kubernetes tools: stored index files 56968434144, 56884627694) name
# pods, kubectl and OOMKilled; with no ECS structure and no word of ECS they are not ECS's to explain.
KUBERNETES = (
    "OOMKilled observed on report-worker pods during peak load window.\n"
    "Worker pods are terminated by the kernel due to memory exhaustion, causing job delays and retries.",
    "OOMKilled indicates the container exceeded its memory allocation.\nkubectl edit deployment <deployment-name>",
)


@pytest.mark.parametrize("text", KUBERNETES)
def test_a_kubernetes_text_is_refused(text: str) -> None:
    with pytest.raises(InputError, match="nothing in the input is about ECS"):
        read_input(text)


def test_an_ecs_message_among_kubernetes_words_is_still_read() -> None:
    text = "the pods on EKS are fine, but the ECS task stopped:\nOutOfMemoryError: Container killed due to memory usage"
    assert categories(text) == ["oom"]
    assert categories("OOMKilled on the ECS task after the deploy") == ["oom"]


SERVICE_ARN = "arn:aws:ecs:us-east-1:123456789012:service/prod/web"
BREAKER = "Error occurred during operation 'ECS Deployment Circuit Breaker was triggered'."


@pytest.mark.parametrize(
    ("text", "service"),
    [
        # a deploy tool's log repeats the failure (the resource line, then the stack's summary): one deployment
        (
            f"Web | 3/12 | UPDATE_FAILED | AWS::ECS::Service | Service {BREAKER}\n❌ Web failed: Error: {BREAKER}",
            "",
        ),
        (
            f"Error: waiting for ECS Service ({SERVICE_ARN}) create: timeout while waiting for state to become "
            "'tfSTABLE' (last state: 'tfPENDING', timeout: 20m0s)",
            "prod/web",
        ),
        (
            f"Embedded stack was not successfully updated. Service {SERVICE_ARN} did not stabilize.",
            "prod/web",
        ),
    ],
    ids=["cloudformation-circuit-breaker", "terraform-never-stable", "cloudformation-did-not-stabilize"],
)
def test_a_deploy_tools_word_that_a_deployment_failed_is_the_services_not_a_stopped_task(
    text: str, service: str
) -> None:
    result = explain(text)
    (finding,) = result.findings
    assert result.stats.tasks_stopped == 0 and finding.task_count == 0  # no task was counted
    assert finding.title.startswith("A deployment failed")  # known, not "a reason ecs-why does not recognise"
    assert result.target.label().startswith(service or "the input")
    commands = " ".join(step.command or "" for step in finding.remediations)
    assert "list-tasks" in commands and "--desired-status STOPPED" in commands
    if service:
        assert "--cluster prod --service-name web" in commands


def test_a_service_event_line_states_no_task_counts() -> None:
    result = explain("(service web) (deployment ecs-svc/123) deployment failed: tasks failed to start.")
    assert (result.timeline.running, result.timeline.desired) == (None, None)  # it said nothing of counts
    assert '"running":0' not in to_json(result).replace(" ", "")


@pytest.mark.parametrize("label", ["EXITCODE: ", "Exit code:\n", "Stop code - "])
def test_a_label_whose_value_is_a_message_reads_the_message(label: str) -> None:
    """Found by Hypothesis: a word that looks like a label ("EXITCODE:") before a service event refused it."""
    event = PLACEMENT
    assert explain(f"{label}{event}\n").findings[0].category == explain(event).findings[0].category


# An exit code is every process's. Prose around one that never names ECS, and another scheduler's own output, are not an
# ECS task's stop (public texts: hashicorp/nomad-driver-podman#14, hashicorp/nomad#2203, and two stored index files of
# the code corpus, 22494964920 a Python test's comment and 54516494760 a release report).
NOT_ECS_EXITS = (
    "This is much much better now. I've simulated OOM and got a nice and clear `Terminated | Exit Code: 137` message "
    'without "Unknown allocation" side effects. Thanks!\n\nPlease feel free to close this issue unless error message '
    'can be improved to mention "OOM" as a reason for termination.',
    "    # TODO fix 'Process finished with exit code 139 (interrupted by signal 11:SIGSEGV)'\n"
    "    def test_query_select_dwithin(self, db, namespace, index, rtree_index_and_items):",
    "### 3. Benchmark Binary Broken\n"
    "`./zig-out/bin/bench-math` returns exit code 139 without any output. Cannot verify:\n"
    "- JIT VSA performance\n- Trinity speedup metrics",
    '$ nomad run oom-killed.nomad\n==> Monitoring evaluation "f0daaffe"\n    Evaluation triggered by job "oom-killed"\n'
    '    Allocation "73b69aa3" created: node "36e9d87f", group "oom-killed"',
)


@pytest.mark.parametrize("text", NOT_ECS_EXITS)
def test_an_exit_code_in_a_text_that_never_names_ecs_is_refused(text: str) -> None:
    with pytest.raises(InputError, match="nothing in the input is about ECS"):
        read_input(text)


def test_an_exit_code_alone_or_beside_ecs_words_is_still_read() -> None:
    assert categories("Exit Code 137") != []
    assert categories("our Fargate task keeps dying, exit code 139\nno idea why") == ["segfault"]
    assert categories("Stopped reason: Essential container in task exited\nExit Code 139\nsee logs") == ["segfault"]
