"""Redaction against real-looking credentials built from a secrets scanner's patterns (Yelp/detect-secrets
plugins: aws.py, aws_secret_access_key.py, slack, github_token, stripe, jwt, private_key, basic_auth,
twilio, sendgrid, pypi_token, npm, openai, gitlab_token, telegram_token, azure_storage_key), in the places
ECS texts and logs carry them. Each generated secret must be gone from the output."""

from __future__ import annotations

import math
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diagnosis.redact import redact

B64 = string.ascii_letters + string.digits + "+/"
ALNUM = string.ascii_letters + string.digits


def bits(value: str) -> float:
    counts = {c: value.count(c) for c in set(value)}
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def real_looking(alphabet: str, size: int) -> st.SearchStrategy[str]:
    """Random keys as AWS and vendors issue them: every character class mixed, high entropy."""
    floor = min(4.0, math.log2(len(set(alphabet))) - 0.5)
    classes = [str.isdigit, str.isupper, str.islower]
    present = [c for c in classes if any(c(ch) for ch in alphabet)]
    return st.text(alphabet, min_size=size, max_size=size).filter(
        lambda s: bits(s) >= floor and all(any(c(ch) for ch in s) for c in present)
    )


# detect-secrets aws.py: aws.{0,20}?(?:key|pwd|pw|password|pass|token).{0,20}?\b([0-9a-zA-Z/+]{40})\b,
# aws_secret_access_key.py: a 40-character [A-Za-z0-9/+=] string on a line with aws, secret or access;
# and the IAM console's and `aws configure`'s own labels.
AWS_SECRET_CONTEXTS = [
    "aws_secret_access_key = {s}",
    'AWS_SECRET_ACCESS_KEY="{s}"',
    "export AWS_SECRET_KEY={s}",
    "aws.secretKey: {s}",
    "awsToken {s}",
    "aws_pass={s}",
    "Secret access key: {s}",
    "Secret access key  {s}",
    "AWS secret key: {s}",
    "AWS Secret Access Key [None]: {s}",
    "the secret {s} leaked",
    "secret: {s}",
    "secret access key is {s}",
    "Access key ID,Secret access key\nAKIAQWERTYUIOP123456,{s}",
    "access {s}",
    "credentials for aws: {s}",
    '{{"SecretAccessKey": "{s}"}}',
    "Error: could not auth with secret={s} (retrying)",
]


def words_between_slashes(value: str) -> bool:
    """Team/BackendService/Worker1 is a path the redactor keeps (a 40-character name is no key)."""
    parts = [p for p in value.split("/") if p]
    return len(parts) >= 2 and sum(1 for p in parts if p.isalpha() and len(p) >= 3) >= len(parts) - 1


@settings(max_examples=300, deadline=None)
@given(
    real_looking(B64, 40).filter(lambda s: not words_between_slashes(s)), st.sampled_from(AWS_SECRET_CONTEXTS)
)
def test_aws_secret_access_keys_are_hidden(secret: str, context: str) -> None:
    assert secret not in redact(context.format(s=secret))


VENDOR = [
    # (context, alphabet, size) from the plugins' denylist regexes
    ("token xoxb-{s}", string.digits + "-", 24),  # slack.py xox[baprs]-...
    ("GITHUB_TOKEN=ghp_{s}", ALNUM, 36),  # github_token.py (gh[pousr]_[A-Za-z0-9]{36})
    ("stripe key sk_live_{s}", ALNUM, 24),  # stripe.py
    ("auth SK{s}", string.digits + "abcdef", 32),  # twilio.py SK[a-z0-9]{32}
    ("SENDGRID_API_KEY=SG.{s}", ALNUM + "_-", 22),  # sendgrid.py SG\.[\w-]{22}\.[\w-]{43}
    ("pip password pypi-AgEIcHlwaS5vcmc{s}", ALNUM + "-_", 70),  # pypi_token.py
    ("//registry.npmjs.org/:_authToken={s}", ALNUM + "-", 36),  # npm.py
    ("OPENAI_API_KEY=sk-{s}", ALNUM, 48),  # openai.py
    ("gitlab glpat-{s}", ALNUM + "_-", 20),  # gitlab_token.py
    ("bot 123456789:{s}", ALNUM + "_-", 35),  # telegram_token.py \d{8,10}:[0-9A-Za-z_-]{35}
    ("DefaultEndpointsProtocol=https;AccountName=x;AccountKey={s}", B64, 86),  # azure_storage_key.py
    ("https://deploy:{s}@git.example.com/repo.git", ALNUM, 20),  # basic_auth.py
]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(VENDOR), st.data())
def test_vendor_tokens_are_hidden(vendor: tuple[str, str, int], data: st.DataObject) -> None:
    context, alphabet, size = vendor
    secret = data.draw(real_looking(alphabet, size))
    assert secret not in redact(context.format(s=secret))


@pytest.mark.parametrize(
    "kept",
    [
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-credentials-AbCdEf",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/web@sha256:" + "a1b2c3d4" * 8,
        "task 0f1e2d3c4b5a69788796a5b4c3d2e1f0 stopped",
        "unable to retrieve secret from asm: service call has been retried 5 time(s)",
        "Secret access key rotation is overdue for the deploy user",
        "image 123456789012.dkr.ecr.us-east-1.amazonaws.com/awsSecretManagerCacheAgent:v1.2.3",
    ],
)
def test_what_users_need_is_kept(kept: str) -> None:
    assert redact(kept) == kept


EXAMPLE_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"  # AWS documentation's example secret key


@pytest.mark.parametrize(
    "text",
    [
        f"the job failed with secret {EXAMPLE_SECRET} in its env",
        f"Secret access key: {EXAMPLE_SECRET}",
        f"AWS secret key: {EXAMPLE_SECRET}",
        f"aws_secret_access_key={EXAMPLE_SECRET}",
    ],
)
def test_the_documented_example_key_after_each_label(text: str) -> None:
    out = redact(text)
    assert EXAMPLE_SECRET not in out and "[REDACTED]" in out


def test_ordinary_stopped_reasons_take_the_fast_path() -> None:
    reason = "CannotPullContainerError: pull image manifest has been retried 5 time(s): not found"
    assert redact(reason) is reason
