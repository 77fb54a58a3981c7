"""Redaction: every credential shape we know of is hidden, and what users need to act is kept intact."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diagnosis.redact import REDACTED, is_secret_key, redact, redact_environment, redact_json

# Sample credentials (AWS's documented examples and made-up tokens; none of them is real)
AKID = "AKIAIOSFODNN7EXAMPLE"
ASID = "ASIAY34FZKBOKMUTVV7A"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SESSION_TOKEN = (
    "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJGMEQCIBxyzR7JhC3g1mQ0xJQkzK3cXhWn2w"
    "9H5c0QKZq7pT0PAiB8o9mJXg3EXAMPLEtokenAAAAAAAAAAAAAAAA=="
)
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkphbmUifQ"
    ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
SLACK_BOT = "xoxb-2048163902-5012345678901-q8RcTgJvZkXyWbNmLpAsDfGh"
GITHUB_PAT = "ghp_R2d9Kx7LmQ4vZt8Wn3Yp6Bs1Hc5Jf0Ga9Ee2"
GITHUB_FINE = "github_pat_11ABCDEFG0a1b2c3d4e5f6_g7h8i9j0k1l2m3n4o5p6q7r8s9t0u1v2w3x4y5z6A7B8C9D0E1F2G3"


def assert_hidden(out: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in out, f"{secret!r} leaked in {out!r}"
    assert REDACTED in out, out


# ---------------------------------------------------------------------------------------------------
# Things that must be hidden: (input, fragments that must disappear, fragments that must survive)
# ---------------------------------------------------------------------------------------------------

POSITIVE: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [
    # passwords in URLs (the password itself contains an @)
    (
        "Connecting to postgres://app:s3cr3tP@ss@db.internal:5432/app",
        ("s3cr3tP", "P@ss"),
        ("postgres://app:", "@db.internal:5432/app"),
    ),
    ("redis://:p4ssw0rd@cache.internal:6379/0", ("p4ssw0rd",), ("redis://:", "@cache.internal:6379/0")),
    (
        "pymongo.errors.OperationFailure: Authentication failed., full "
        "error: mongodb+srv://admin:Tr0ub4dor@cl0.x.mongodb.net/prod",
        ("Tr0ub4dor",),
        ("mongodb+srv://admin:", "@cl0.x.mongodb.net/prod", "Authentication failed."),
    ),
    ("DATABASE_URL=mysql://root:hunter2@10.0.3.17:3306/shop", ("hunter2",), ("mysql://root:", "@10.0.3.17")),
    # Java stack traces with JDBC URLs
    (
        "Caused by: org.postgresql.util.PSQLException: connection to jdbc:postgresql://db.internal:5432/app"
        "?user=app&password=Sup3rS3cret!&ssl=true refused\n\tat "
        "org.postgresql.Driver.connect(Driver.java:285)",
        ("Sup3rS3cret",),
        ("user=app", "password=[REDACTED]", "&ssl=true", "Driver.java:285"),
    ),
    # a client's password on its own command line, in an application's log
    (
        "Essential container in task exited; app log: mysql -usvc -pMyS3cretPw -h db",
        ("MyS3cretPw",),
        ("mysql -usvc -p[REDACTED] -h db",),
    ),
    ("entrypoint: redis-cli -a RedisAuth_42 ping", ("RedisAuth_42",), ("redis-cli -a [REDACTED] ping",)),
    (
        "healthcheck: curl -u admin:CurlPass_88 https://internal/api",
        ("CurlPass_88",),
        ("curl -u admin:[REDACTED]",),
    ),
    (
        "npm ERR! 401 with token npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
        ("AbCdEfGhIjKlMnOp",),
        ("npm ERR! 401",),
    ),
    # a , ; or & inside a bare value is part of it unless the next key= or a space follows
    (
        'exec: "/app/start --password=Tr0ub4dor&3 --db-pass=a;b,c --port 80": executable file not found',
        ("Tr0ub4dor", "&3", "a;b", ",c"),
        ("--password=[REDACTED] --db-pass=[REDACTED] --port 80", "executable file not found"),
    ),
    ("login failed: password=hunter2, retrying", ("hunter2",), ("password=[REDACTED], retrying",)),
    (
        "java.sql.SQLRecoverableException: IO Error: jdbc:oracle:thin:scott/tiger@//db.internal:1521/ORCL",
        ("tiger",),
        ("jdbc:oracle:thin:scott/", "@//db.internal:1521/ORCL"),
    ),
    (
        "HikariConfig{jdbcUrl=jdbc:mysql://db:3306/app, username=app, password=Pa55w0rd}",
        ("Pa55w0rd",),
        ("username=app", "password=[REDACTED]}"),
    ),
    (
        "Server=tcp:sql.internal,1433;Database=app;User Id=app;Password=Xy9#kLm2;Encrypt=True;",
        ("Xy9#kLm2",),
        ("Database=app;", "Password=[REDACTED];", "Encrypt=True"),
    ),
    # AWS access keys, secret keys, session tokens
    (
        "botocore.exceptions.ClientError: An error occurred (SignatureDoesNotMatch) when calling the "
        f"GetObject operation: ... X-Amz-Credential={AKID}%2F20240101%2Fus-east-1%2Fs3%2Faws4_request",
        (AKID, "IOSFODNN7"),
        ("SignatureDoesNotMatch", "GetObject", "X-Amz-Credential="),
    ),
    (f"found {AKID} in ~/.aws/config", (AKID,), ("AKIA…[REDACTED] in",)),
    (f"temporary credentials {ASID} expired", (ASID,), ("ASIA…[REDACTED]", "expired")),
    (f"{AKID},{AWS_SECRET}", (AKID, AWS_SECRET, "bPxRfiCY"), ()),
    (f"{AKID} {AWS_SECRET}", (AKID, AWS_SECRET), ()),
    (
        f"[default]\naws_access_key_id = {AKID}\naws_secret_access_key = {AWS_SECRET}\n",
        (AKID, AWS_SECRET),
        ("[default]", "aws_secret_access_key = [REDACTED]"),
    ),
    (f"AWS_SECRET_ACCESS_KEY={AWS_SECRET}", (AWS_SECRET,), ("AWS_SECRET_ACCESS_KEY=[REDACTED]",)),
    (
        f'{{"AccessKeyId": "{ASID}", "SecretAccessKey": "{AWS_SECRET}"}}',
        (ASID, AWS_SECRET),
        ('"SecretAccessKey"',),
    ),
    (f"secret={AWS_SECRET}", (AWS_SECRET,), ("secret=[REDACTED]",)),
    (f"aws_session_token={SESSION_TOKEN}", (SESSION_TOKEN, "IQoJb3JpZ2luX2VjEJr"), ("aws_session_token=",)),
    (f"X-Amz-Security-Token: {SESSION_TOKEN}", (SESSION_TOKEN, "wEaCXVzLWVhc3Qt"), ("X-Amz-Security-Token",)),
    (f"token in log line {SESSION_TOKEN} end", ("wEaCXVzLWVhc3Qt",), ("IQoJ…[REDACTED]", "end")),
    (f"FQoGZXIvYXdzEBYaDM{'a1B2c3D4' * 10} oops", ("a1B2c3D4a1B2",), ("FQoG…[REDACTED] oops",)),
    # signed URLs
    (
        "download failed: "
        "https://my-bucket.s3.us-east-1.amazonaws.com/builds/app.zip?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        f"&X-Amz-Credential={ASID}%2F20240101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20240101T000000Z"
        f"&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz"
        f"-Security-Token={SESSION_TOKEN.replace('/', '%2F')}"
        "&X-Amz-Signature=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 (403)",
        (ASID, "9f86d081884c7d65", "wEaCXVzLWVhc3Qt"),
        (
            "https://my-bucket.s3.us-east-1.amazonaws.com/builds/app.zip?X-Amz-Algorithm=AWS4-HMAC-SHA256",
            "X-Amz-Date=20240101T000000Z",
            "X-Amz-SignedHeaders=host",
            "X-Amz-Signature=[REDACTED] (403)",
        ),
    ),
    (
        f"GET https://bucket.s3.amazonaws.com/a.txt?AWSAccessKeyId={AKID}&Expires=1700000000"
        "&Signature=vjbyPxybdZaNmGa%2ByT272YEAiv4%3D",
        (AKID, "vjbyPxybdZaNmGa"),
        ("Expires=1700000000", "AWSAccessKeyId=[REDACTED]", "Signature=[REDACTED]"),
    ),
    (
        "https://acct.blob.core.windows.net/c/f?sv=2022-11-02&se=2024-01-01&sp=r&sig=Zm9vYmFyYmF6cXV4%3D",
        ("Zm9vYmFyYmF6cXV4",),
        ("sv=2022-11-02", "sig=[REDACTED]"),
    ),
    (
        "callback https://hooks.internal/notify?id=42&token=8f14e45fceea167a5a36",
        ("8f14e45fceea167a5a36",),
        ("id=42",),
    ),
    (
        "Authorization: AWS4-HMAC-SHA256 "
        "Credential=AKIAIOSFODNN7EXAMPLE/20240101/us-east-1/ecs/aws4_request, "
        "SignedHeaders=host;x-amz-date, "
        "Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024",
        (AKID, "fe5f80f77d5fa3be"),
        ("SignedHeaders=host;x-amz-date",),
    ),
    # HTTP auth headers, JWTs
    (
        f"Authorization: Bearer {JWT}",
        (JWT, "SflKxwRJSMeKKF2QT4fw", "eyJzdWIiOiIx"),
        ("Authorization: Bearer",),
    ),
    ("curl -H 'Authorization: Basic YXBwOnMzY3IzdFBhc3M=' http://api", ("YXBwOnMzY3IzdFBhc3M",), ("Basic",)),
    ("authorization: bearer 3f9a7c2e91b44d0f8e6a", ("3f9a7c2e91b44d0f8e6a",), ()),
    (f"rejected id_token {JWT} for user", (JWT, "eyJzdWIiOiIx"), ("for user",)),
    (
        f'{{"level":"warn","msg":"bad jwt","jwt":"{JWT}"}}',
        ("eyJzdWIiOiIx",),
        ('"level":"warn"', '"msg":"bad jwt"'),
    ),
    # JSON logs and key=value pairs
    (
        '{"level":"info","ts":"2024-01-01T00:00:00Z","user":"app","password":"hunter2","msg":"login ok"}',
        ("hunter2",),
        ('"password":"[REDACTED]"', '"user":"app"', '"msg":"login ok"'),
    ),
    ('{"db": {"host": "db.internal", "passwd": "pa$$w0rd"}}', ("pa$$w0rd",), ('"host": "db.internal"',)),
    (
        '{"message":"{\\"api_key\\":\\"sk_test_4eC39HqLyjWDarjtT1zdp7dc\\"}"}',
        ("4eC39HqLyjWDarjtT1zdp7dc",),
        (),
    ),
    (
        'level=error msg="auth failed" user=bob api_key=4eC39HqLyjWDarjtT1zdp7dc',
        ("4eC39HqLyjWDarjtT1zdp7dc",),
        ("user=bob",),
    ),
    ("client_secret='Zq3!xv9_LmN2'", ("Zq3!xv9_LmN2",), ("client_secret='[REDACTED]'",)),
    (
        "X-Api-Key: 9c1185a5c5e9fc54612808977ee8f548b2258d31",
        ("9c1185a5c5e9fc54612808977ee8f548b2258d31",),
        (),
    ),
    ("DB_PASS=correct-horse-battery", ("correct-horse-battery",), ("DB_PASS=[REDACTED]",)),
    ("PGPASSWORD=hunter22 psql -h db", ("hunter22",), ("psql -h db",)),
    ("private_key: MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", ("MIIEvQIBADANBgkq",), ("private_key:",)),
    ("Cookie: sessionid=38afes7a8; csrftoken=abc", ("38afes7a8",), ()),
    ("Set-Cookie: session=1f2e3d4c5b6a; Path=/; HttpOnly", ("1f2e3d4c5b6a",), ("Path=/", "HttpOnly")),
    ("SENTRY_DSN=https://f00dfeed@o1.ingest.sentry.io/42", ("f00dfeed",), ("SENTRY_DSN=",)),
    (
        "connection_string=Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKey=abcDEF123=",
        ("abcDEF123",),
        (),
    ),
    ("app.db.password: s3cr3t", ("s3cr3t",), ("app.db.password:",)),
    ("--password=letmein", ("letmein",), ("--password=",)),
    ("mysql --user root --password Hunter2x db", ("Hunter2x",), ("--user root", "db")),
    ("'password' => 'hunter2'", ("hunter2",), ("'password' => ",)),
    ('{"name": "DB_PASSWORD", "value": "hunter2"}', ("hunter2",), ('"name": "DB_PASSWORD"',)),
    # docker login errors
    (
        "docker login -u AWS -p eyJwYXlsb2FkIjoiSmVyN0dXb0lJZ0pOQ1lDL2hDa3h2 "
        "https://123456789012.dkr.ecr.us-east-1.amazonaws.com\nWARNING! "
        "Using --password via the CLI is insecure.",
        ("eyJwYXlsb2FkIjoiSmVyN0dX",),
        ("https://123456789012.dkr.ecr.us-east-1.amazonaws.com", "Using --password via the CLI is insecure."),
    ),
    (
        "Error response from daemon: Get https://AWS:c2VjcmV0cGFzc3dvcmQxMjM@123456789012.dkr.ecr.us-east-1"
        ".amazonaws.com/v2/: unauthorized",
        ("c2VjcmV0cGFzc3dvcmQxMjM",),
        ("123456789012.dkr.ecr.us-east-1.amazonaws.com/v2/: unauthorized",),
    ),
    # vendor tokens
    (f"slack: posting with {SLACK_BOT}", (SLACK_BOT, "q8RcTgJvZkXyWbNm"), ("xoxb-…[REDACTED]",)),
    ("app token xapp-1-A0123456789-1234567890123-abcdef0123456789", ("abcdef0123456789",), ("xapp-",)),
    ("xoxp-1234567890-1234567890-1234567890-0123456789abcdef0123456789abcdef", ("0123456789abcdef01",), ()),
    (f"git clone https://x:{GITHUB_PAT}@github.com/org/repo", (GITHUB_PAT,), ("github.com/org/repo",)),
    (f"using {GITHUB_PAT} for the API", (GITHUB_PAT, "R2d9Kx7LmQ4v"), ("ghp_…[REDACTED] for the API",)),
    (f"GH={GITHUB_FINE}", (GITHUB_FINE, "a1b2c3d4e5f6"), ()),
    # private keys
    (
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n"
        "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n-----END "
        "RSA PRIVATE KEY-----\nnext line",
        ("MIIEowIBAAKCAQEA", "VTLw7onLRnrq0"),
        ("-----BEGIN RSA PRIVATE KEY-----", "-----END RSA PRIVATE KEY-----", "next line"),
    ),
    (
        '{"key": "-----BEGIN PRIVATE '
        'KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n-----END PRIVATE KEY-----\\n"}',
        ("MIIEvQIBADANBgkq",),
        (),
    ),
    ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA (truncated", ("b3BlbnNzaC1rZXkt",), ()),
    # high-entropy strings after secret / token words
    ("using secret token Zx8Kq2LmN4pR7tV1wY3bC5dF", ("Zx8Kq2LmN4pR7tV1wY3bC5dF",), ("using secret token",)),
    (
        "the api key is 4f3c2b1a0d9e8f7a6b5c4d3e2f1a0b9c",
        ("4f3c2b1a0d9e8f7a6b5c4d3e2f1a0b9c",),
        ("the api key is",),
    ),
]


@pytest.mark.parametrize(("text", "hidden", "kept"), POSITIVE, ids=[p[0][:50] for p in POSITIVE])
def test_secrets_are_hidden(text: str, hidden: tuple[str, ...], kept: tuple[str, ...]) -> None:
    out = redact(text)
    assert_hidden(out, *hidden)
    for fragment in kept:
        assert fragment in out, f"{fragment!r} lost from {out!r}"
    assert redact(out) == out


# ---------------------------------------------------------------------------------------------------
# Things that must come back unchanged
# ---------------------------------------------------------------------------------------------------

NEGATIVE = [
    "Essential container in task exited",
    "Task stopped by user",
    "OutOfMemoryError: Container killed due to memory usage",
    "Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:us-east-1:123456789012:"
    "targetgroup/web-tg/0123456789abcdef)",
    "Task failed container health checks",
    "Scaling activity initiated by (deployment ecs-svc/1234567890123456789)",
    "Timeout waiting for network interface provisioning to complete.",
    "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref "
    "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v1: "
    "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v1: not found",
    "CannotPullContainerError: failed to resolve ref "
    "123456789012.dkr.ecr.us-east-1.amazonaws.com/auth:v1.2.3",
    "CannotPullContainerError: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/token-service@sha256:"
    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08: not found",
    "image ghcr.io/acme/secret-scanner:2024.01.15 and public.ecr.aws/nginx/nginx:1.25-alpine",
    "CannotPullContainerError: pull access denied for session-api, repository does not exist or may require "
    "'docker login': denied: requested access to the resource is denied",
    "ResourceInitializationError: unable to pull secrets or "
    "registry auth: execution resource retrieval failed: "
    "unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret "
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-Ab12Cd from secrets manager: "
    "AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/ecsTaskExecutionRole/"
    "0123456789abcdef0123456789abcdef is not authorized to "
    "perform: secretsmanager:GetSecretValue on resource: "
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-Ab12Cd "
    "because no identity-based policy allows "
    "the secretsmanager:GetSecretValue action",
    "ResourceInitializationError: unable to pull secrets or "
    "registry auth: execution resource retrieval failed: "
    "unable to retrieve ecr registry auth: service call has "
    "been retried 3 time(s): RequestError: send request "
    'failed caused by: Post "https://api.ecr.us-east-1.amazonaws.com/": dial tcp 52.46.1.1:443: i/o timeout',
    "ResourceInitializationError: unable to pull secrets or "
    "registry auth: unable to retrieve secrets from ssm: "
    "service call has been retried 1 time(s): secrets: failed to fetch ssm parameter "
    "arn:aws:ssm:us-east-1:123456789012:parameter/prod/api/token: ParameterNotFound",
    "ResourceInitializationError: unable to retrieve secret "
    "from asm: retrieved secret from Secrets Manager did "
    "not contain json key DB_PASSWORD",
    "secret arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/my-service/database-credentials-AbC123",
    "secret=arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-Ab12Cd",
    '{"name": "DB_PASSWORD", "valueFrom": '
    '"arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-Ab12Cd"}',
    "ResourceInitializationError: failed to validate logger "
    "args: create stream has been retried 1 times: failed "
    "to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist. : "
    "exit status 1",
    "awslogs-group=/ecs/prod/auth-service awslogs-stream-prefix=ecs/token-api",
    "task 0123456789abcdef0123456789abcdef on "
    "arn:aws:ecs:us-east-1:123456789012:task/prod/0123456789abcdef0123456789abcdef",
    "request id: 5f2c7a1e-8d3b-4c6f-9e0a-1b2c3d4e5f60",
    "failed to fetch secret from secrets manager, the token was rejected and the password is wrong",
    'password authentication failed for user "app"',
    'FATAL:  password authentication failed for user "app"',
    "Access denied for user 'app'@'10.0.1.23' (using password: YES)",
    "invalid token: signature has expired",
    "failed to refresh token: connection refused",
    "Bearer token expired, re-authenticating",
    "basic configuration loaded from /etc/app/config.yaml",
    "Error response from daemon: Get "
    "https://123456789012.dkr.ecr.us-east-1.amazonaws.com/v2/: no basic auth credentials",
    "Error saving credentials: error storing credentials - err: exit status 1",
    "docker run -p 8080:80 -e PORT=8080 app:latest",
    "connecting to http://auth.internal:8080/health and https://user@example.com/x",
    "GET /api/v1/sessions/42 200 12ms",
    "principal arn:aws:iam::123456789012:role/app-task-role assumed role session app-session",
    "keys: 3, tokens used: 1200, max_tokens=4096, token_type=bearer",
    "password=${DB_PASSWORD} token=****",
    "",
    "plain text with nothing in it",
    "mysql -u root -p -h db asked for a password",  # a bare -p prompts: no password on the line
    "docker run -p 8080:80 web; curl -u admin https://x",  # a port; curl's user without a password
]


@pytest.mark.parametrize("text", NEGATIVE, ids=[t[:50] for t in NEGATIVE])
def test_ordinary_text_is_unchanged(text: str) -> None:
    assert redact(text) == text


def test_unchanged_text_is_the_same_object() -> None:
    text = "Essential container in task exited"
    assert redact(text) is text


def test_marker_keeps_a_hint() -> None:
    assert redact(f"key {AKID}") == "key AKIA…[REDACTED]"
    assert redact("db password=hunter2 ok") == "db password=[REDACTED] ok"
    assert redact("postgres://app:pw@db/app") == "postgres://app:[REDACTED]@db/app"


@pytest.mark.parametrize(
    ("key", "secret"),
    [
        ("password", True),
        ("DB_PASSWORD", True),
        ("db.passwd", True),
        ("Pwd", True),
        ("apiKey", True),
        ("x-api-key", True),
        ("SecretAccessKey", True),
        ("aws_session_token", True),
        ("client-secret", True),
        ("Authorization", True),
        ("X-Amz-Credential", True),
        ("cookie", True),
        ("SENTRY_DSN", True),
        ("connectionString", True),
        ("MYSQL_PASS", True),
        ("secretArn", False),
        ("secret_name", False),
        ("token_type", False),
        ("max_tokens", False),
        ("password_file", False),
        ("bypass", False),
        ("author", False),
        ("valueFrom", False),
        ("image", False),
    ],
)
def test_is_secret_key(key: str, secret: bool) -> None:
    assert is_secret_key(key) is secret


# ---------------------------------------------------------------------------------------------------
# Structured data
# ---------------------------------------------------------------------------------------------------


def test_redact_environment_list_keeps_names_hides_every_value() -> None:
    env = [
        {"name": "DB_HOST", "value": "db.internal"},
        {"name": "LOG_LEVEL", "value": "debug"},
        {"name": "DB_PASSWORD", "value": "hunter2"},
    ]
    before = copy.deepcopy(env)
    out = redact_environment(env)
    assert out == [
        {"name": "DB_HOST", "value": REDACTED},
        {"name": "LOG_LEVEL", "value": REDACTED},
        {"name": "DB_PASSWORD", "value": REDACTED},
    ]
    assert env == before  # not mutated


def test_redact_environment_mapping() -> None:
    out = redact_environment({"DB_HOST": "db.internal", "PORT": 8080, "Variables": {"TOKEN": "abc"}})
    assert out == {"DB_HOST": REDACTED, "PORT": REDACTED, "Variables": {"TOKEN": REDACTED}}


def test_redact_json_task_definition() -> None:
    secret_arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-Ab12Cd"
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:" + "ab" * 32
    doc = {
        "taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/app:43",
        "containerDefinitions": [
            {
                "name": "app",
                "image": image,
                "environment": [
                    {"name": "DB_HOST", "value": "db.internal"},
                    {"name": "FEATURE_X", "value": "on"},
                ],
                "secrets": [{"name": "DB_PASSWORD", "valueFrom": secret_arn}],
                "command": ["sh", "-c", "curl -H 'Authorization: Bearer 3f9a7c2e91b44d0f8e6a' http://x"],
                "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/prod/app"}},
            }
        ],
        "overrides": {"containerOverrides": [{"name": "app", "environment": [{"name": "A", "value": "1"}]}]},
        "credentials": {"accessKeyId": ASID, "secretAccessKey": AWS_SECRET, "sessionToken": SESSION_TOKEN},
        "password": "hunter2",
        "apiKey": 87654321,
        "authEnabled": True,
        "secret": secret_arn,
        "settings": [
            {"name": "DB_PASSWORD", "value": "hunter2"},
            {"name": "containerInsights", "value": "enabled"},
        ],
        "stoppedReason": f"saw {AKID} in postgres://app:s3cret@db/app",
    }
    before = copy.deepcopy(doc)
    out = redact_json(doc)
    assert doc == before
    dumped = json.dumps(out)
    for secret in (
        "db.internal",
        '"on"',
        "3f9a7c2e91b44d0f8e6a",
        ASID,
        AWS_SECRET,
        "hunter2",
        "87654321",
        AKID,
        "s3cret",
    ):
        assert secret not in dumped, secret
    container = out["containerDefinitions"][0]
    assert container["image"] == image
    assert container["environment"] == [
        {"name": "DB_HOST", "value": REDACTED},
        {"name": "FEATURE_X", "value": REDACTED},
    ]
    assert container["secrets"] == [{"name": "DB_PASSWORD", "valueFrom": secret_arn}]
    assert container["logConfiguration"] == {
        "logDriver": "awslogs",
        "options": {"awslogs-group": "/ecs/prod/app"},
    }
    assert out["overrides"]["containerOverrides"][0] == {
        "name": "app",
        "environment": [{"name": "A", "value": REDACTED}],
    }
    assert out["taskDefinitionArn"] == doc["taskDefinitionArn"]
    assert out["authEnabled"] is True
    assert out["secret"] == secret_arn
    assert out["settings"][1] == {"name": "containerInsights", "value": "enabled"}
    assert out["stoppedReason"] == "saw AKIA…[REDACTED] in postgres://app:[REDACTED]@db/app"
    assert redact_json(out) == out


def test_redact_json_scalars() -> None:
    assert redact_json(None) is None
    assert redact_json(3) == 3
    assert redact_json([f"k {AKID}", 1, None]) == ["k AKIA…[REDACTED]", 1, None]


# ---------------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------------

_fragments = st.sampled_from(
    [
        "password", "=", ":", " ", '"', "'", "\\", "://", "@", "/", "?", "&", "token", "secret", "AKIA", AKID,
        AWS_SECRET, "Bearer ", "Basic ", "eyJ", JWT, "xoxb-", SLACK_BOT, "ghp_", GITHUB_PAT, "IQoJ",
        SESSION_TOKEN, "-----BEGIN RSA PRIVATE KEY-----", "-----END RSA PRIVATE KEY-----",
        "arn:aws:secretsmanager:", "[REDACTED]",
        "…", "{", "}", "]", "[", ",", ";", "\n", "api_key", "Cookie", "--password ", "login -p ", "hunter2",
        "X-Amz-Signature=", '{"name": "DB_PASSWORD", "value": "', "jdbc:oracle:thin:", "postgres://u:p@h",
    ]
)  # fmt: skip
_texts = st.one_of(st.text(), st.lists(st.one_of(_fragments, st.text(max_size=8)), max_size=12).map("".join))


@settings(max_examples=800, deadline=None)
@given(_texts)
def test_redact_is_idempotent_and_never_raises(text: str) -> None:
    once = redact(text)
    assert isinstance(once, str)
    assert redact(once) == once


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | _texts,
        lambda c: st.lists(c) | st.dictionaries(st.one_of(_fragments, st.text(max_size=10)), c),
        max_leaves=20,
    )
)
def test_redact_json_is_idempotent(doc: object) -> None:
    once = redact_json(doc)
    assert redact_json(once) == once


def _every_triggered_rule(text: str) -> str:
    """Redaction as the rules define it: every rule whose trigger is in the text, rounds until stable."""
    from diagnosis.redact import _MAX_ROUNDS, _RULES

    for _ in range(_MAX_ROUNDS):
        lowered, before = text.lower(), text
        for triggers, rule in _RULES:
            if any(t in lowered for t in triggers):
                text = rule(text)
        if text == before:
            break
    return text


_near_misses = st.sampled_from(
    ["_", "-", ".", "DB_PASS", "pass_word", "Api-Key", "web-api", "api key ", "secrets manager", "auth",
     "registry auth: ", "session", "Token", "sig", "conn_str", "\t", "aws ", "A" * 20, "x9Z/" * 10]
)  # fmt: skip
_keyish_texts = st.lists(st.one_of(_fragments, _near_misses, st.text(max_size=6)), max_size=14).map("".join)


@settings(max_examples=1500, deadline=None)
@given(st.one_of(_texts, _keyish_texts))
def test_the_quick_paths_hide_what_every_rule_hides(text: str) -> None:
    """The one-scan trigger search and the prechecks skip only rules that would have changed nothing."""
    assert redact(text) == _every_triggered_rule(text)


@pytest.mark.parametrize("lone", [chr(0xDCFF), chr(0xD800), chr(0xDFFF)])
def test_a_text_holding_a_lone_surrogate_is_still_redacted(lone: str) -> None:
    """json.loads keeps a lone surrogate ("\\udcff" in a Slack body, an SQS event, a log line): redaction
    neither raises on it nor lets the secret beside it through."""
    plain = f"CannotPullContainerError {lone} pull access denied"
    assert redact(plain) is plain
    leaked = redact(f"{lone} password=hunter2-very-secret {lone}")
    assert "hunter2" not in leaked and leaked.startswith(lone) and leaked.endswith(lone)
