"""The words that mark each kind of start failure, shared by the rules that read them.

Bare HTTP status codes are not words here: `Message.status(404)` reads them only where they stand alone,
never inside an account ID, a digest or a tag."""

from __future__ import annotations

NETWORK_WORDS = (
    "i/o timeout",
    "dial tcp",
    "context canceled",
    "request canceled",
    "requestcanceled",
    "context deadline exceeded",
    "deadline exceeded",
    "timed out",
    "timeout",
    "connection refused",
    "connection reset",
    "no such host",
    "network is unreachable",
    "no route to host",
    "tls handshake",
    "temporary failure in name resolution",
    "failed to do request",
    "send request failed",
    "requesterror",
    "unable to connect",
    "could not connect",
    "could not reach",
    "unable to reach",
    "cannot reach",
    "unreachable",
    "eof",
)

AUTH_WORDS = (
    "no basic auth credentials",
    "access denied",
    "accessdenied",
    "not authorized",
    "unauthorized",
    "forbidden",
    "status: 403",
    "403 forbidden",
    "authentication required",
    "denied: ",
    "requested access to the resource is denied",
    "incorrect username or password",
    "invalid username/password",
    "authorization token",
    "getauthorizationtoken",
    "failed to authorize",
    "anonymous token",
    "batchgetimage",
    "getdownloadurlforlayer",
    "invalid credentials",
    "expired",
)

NOT_FOUND_WORDS = (
    "not found",
    "manifest unknown",
    "does not exist",
    "name unknown",
    "no such image",
    "repositorynotfound",
    "imagenotfound",
    "unknown manifest",
    "invalid reference format",
)

SECRET_WORDS = (
    "from asm",
    "secrets manager",
    "secretsmanager",
    "from ssm",
    "ssm parameter",
    "parameter store",
    "getparameters",
    "getsecretvalue",
    "env file",
    "envfile",
    "environment file",
    "kms",
    "fetch secret",
    "retrieve secret",
    "parameternotfound",
    "invalid parameters",
)

PULL_WORDS = (
    "cannotpull",
    "pull image",
    "pulling image",
    "image pull",
    "failed to resolve ref",
    "pull access denied",
    "manifest unknown",
    "registry auth",
    "inspect image",
    "docker login",
    "manifest for",
    "pull layer",
    "failed to copy",
    "failed to pull",
    "ref pull",
    "registry endpoint",  # the Docker daemon's pull: "Could not reach any registry endpoint"
    # Last, and alone not a pull cause (rules/pull.py): the ECS agent's log wrapper "Error while pulling
    # container …: <the daemon's error>", whose tail says why.
    "while pulling",
)
