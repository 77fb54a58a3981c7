"""Image pull failures: CannotPullContainerError and friends, told apart by the clause that says why
(wrong platform, rate limit, credentials refused, not found, no network path)."""

from __future__ import annotations

from diagnosis.lazy_regex import lazy
from diagnosis.rules.base import Match, execution_role_names, found
from diagnosis.rules.words import AUTH_WORDS, NETWORK_WORDS, NOT_FOUND_WORDS, PULL_WORDS, SECRET_WORDS
from diagnosis.signals import Message

# An image index holds one manifest descriptor per platform; a runtime that finds none for the task's says
# so in its own words: docker's "no matching manifest for", Fargate's "failed to find a descriptor for ..."
# (wordings_more.jsonl h043), containerd's "Manifest does not contain descriptor matching platform".
_NO_VARIANT = lazy(
    r"(?i)\b(?:no|not|failed to find|does not contain)\b[^.;]{0,40}?\b(?:descriptor|manifest)s?\b"
    r"[^.;]{0,30}?\bplatform"
)


# containerd's words for a manifest whose layers are not an image: an index's attestation (provenance, SBOM)
# manifest, platform "unknown/unknown", taken for the image ("… application/vnd.in-toto+json: no processor
# for media-type: unknown").
UNPACKABLE_MEDIA = ("no processor for media-type", "vnd.in-toto", "unsupported media type application/vnd")


def platform_mismatch(msg: Message) -> Match | None:
    """The image was built for another CPU architecture or OS than the task runs on."""
    if msg.has(*UNPACKABLE_MEDIA):
        return found(
            "image_platform_mismatch",
            0.75,
            "the runtime took a manifest that is not an image (an attestation, platform unknown/unknown) for "
            "the task's: push the image for the task's platform without attestations "
            "(docker build --provenance=false --platform …)",
            msg,
            ("other",),
        )
    if msg.has("exec format error"):
        return found(
            "image_platform_mismatch", 0.9, "the kernel refused the binary: `exec format error`", msg
        )
    if msg.has(
        "no matching manifest for",
        "does not match the detected host platform",
        "no match for platform",
        "image platform",
        "image's platform",
        "platform mismatch",
    ) or (msg.has("platform") and _NO_VARIANT.search(msg.text)):
        return found("image_platform_mismatch", 0.92, "the image has no variant for the task's platform", msg)
    return None


def rate_limit(msg: Message) -> Match | None:
    """`toomanyrequests` is the registry API's own error code; "rate limit" needs a pull around it."""
    if msg.has(*SECRET_WORDS):
        return None  # Secrets Manager / SSM throttling is a secrets failure
    if msg.has("toomanyrequests") or (
        msg.has("rate limit", "too many requests", "ratelimit", "rate exceeded")
        and (msg.has(*PULL_WORDS) or msg.has("docker.io", "registry", "manifest", "layer", "pull"))
    ):
        return found(
            "registry_rate_limit", 0.9, "the registry answered `toomanyrequests` (pull rate limit)", msg
        )
    return None


# A pull in the runtime's own log shapes: the ECS agent's failed transition to PULLED ("Error transitioning
# container … nextState=\"PULLED\" error=…") and the Docker daemon's call to a registry's API root
# (`Get "https://HOST/v2/": …`, the first request of every pull).
_PULL_SHAPES = lazy(r'(?i)\bnextstate=\\*"?pulled\b|\bget \\*"?https?://[^\s"\\/]+/v2/\\*"?:')


def image_pull(msg: Message) -> Match | None:
    """CannotPullContainerError and friends, told apart by the clause that says why."""
    shaped = bool(_PULL_SHAPES.search(msg.text))
    if not (msg.typed("cannotpullcontainererror") or msg.has(*PULL_WORDS) or shaped):
        return None
    auth = msg.has(*AUTH_WORDS) or msg.status(401, 403)
    not_found = msg.has(*NOT_FOUND_WORDS) or msg.status(404)
    if msg.has("registry auth") and not auth:
        # Fetching ECR credentials is a call to the ECR API: retried until it gave up means no answer.
        sure = msg.has(*NETWORK_WORDS)
        return found(
            "image_pull_network",
            0.85 if sure else 0.55,
            "ECS could not reach ECR to get the registry credentials"
            + (" (timed out)" if sure else " (the call was retried until it gave up)"),
            msg,
            ("image_pull_auth",),
        )
    ambiguous_denied = msg.has("pull access denied") and msg.has("does not exist", "may require")
    if ambiguous_denied:
        return found(
            "image_pull_auth",
            0.6,
            "the registry refused the pull: the repository does not exist or needs credentials",
            msg,
            ("image_not_found",),
        )
    if auth and not msg.has("manifest unknown", ": not found"):
        return found(
            "image_pull_auth",
            0.88,
            "the registry refused the credentials (access denied)",
            msg,
            names=execution_role_names(msg),
        )
    if msg.has("unexpected status code") and not not_found:
        return found(
            "image_pull_auth",
            0.55,
            "the registry or its layer storage (S3) answered an HTTP error: usually no access to the image",
            msg,
            ("image_pull_network", "image_not_found"),
        )
    if not_found:
        return found(
            "image_not_found", 0.9, "the registry says the image or tag does not exist (not found)", msg
        )
    if msg.has(*NETWORK_WORDS):
        return found(
            "image_pull_network",
            0.88,
            "the registry did not answer (network timeout): no route from the task to the registry",
            msg,
            ("registry_rate_limit",) if msg.has("docker.io") else (),
        )
    if not (msg.error_types or msg.has("fail", "error", "retried", "unable", "cannot", "could not")):
        return None  # a pull under way (the agent's "Pulling image … Downloading"), not a failed one
    if not (msg.typed("cannotpullcontainererror") or shaped or msg.has(*PULL_WORDS[:-1])):
        return (
            None  # only the agent's "Error while pulling container X: …" wrapper: its tail says no pull cause
        )
    return found(
        "image_not_found",
        0.5,
        "the pull failed while resolving the image reference, and the reason was cut off",
        msg,
        ("image_pull_network", "image_pull_auth"),
    )
