# syntax=docker/dockerfile:1
# ecs-why container image.
#
#   docker build -t ecs-why .
#   docker run --read-only --tmpfs /tmp -p 3000:3000 -e SLACK_BOT_TOKEN=... -e SLACK_SIGNING_SECRET=... ecs-why
#   docker run --read-only --tmpfs /tmp -e HEALTHCHECK_PORT=9090 ... ecs-why ecs-why worker --port 9090
#
# Both stages use the same base image, so the virtual environment built in the first one runs unchanged
# in the second. The final image holds the venv and nothing else of the build: no pip cache, no compiler,
# no source tree.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---- builder: the locked dependencies and the application, installed into /opt/venv ----------------------
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src
COPY pyproject.toml requirements.lock README.md ./
COPY diagnosis/ diagnosis/
COPY bot/ bot/
COPY handlers/ handlers/

# Runtime dependencies only (no [dev] extra), every version pinned by requirements.lock; a non-editable
# install, so the venv does not point back at /src. pip compiles the bytecode now: the image's root
# filesystem is read-only at run time.
RUN pip install --no-cache-dir -c requirements.lock . \
    && ecs-why --help > /dev/null

# ---- runtime ---------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE}

LABEL org.opencontainers.image.title="ecs-why" \
      org.opencontainers.image.description="Tells you why your Amazon ECS tasks stopped, in Slack, a terminal or CI." \
      org.opencontainers.image.licenses="Apache-2.0"

# A fixed numeric UID/GID, so Kubernetes can check runAsNonRoot without a passwd lookup.
RUN groupadd --system --gid 10001 ecswhy \
    && useradd --system --no-log-init --uid 10001 --gid 10001 --home-dir /tmp \
       --no-create-home --shell /usr/sbin/nologin ecswhy

COPY --from=builder /opt/venv /opt/venv

# Nothing is written outside /tmp: no bytecode files, HOME and TMPDIR on /tmp (a tmpfs or an emptyDir).
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    TMPDIR=/tmp \
    HEALTHCHECK_PORT=3000

USER 10001:10001
WORKDIR /tmp
EXPOSE 3000 9090

# Python, not curl (slim has no curl). The worker listens on 9090: run it with HEALTHCHECK_PORT=9090.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('HEALTHCHECK_PORT', '3000') + '/healthz', timeout=4)"]

CMD ["ecs-why", "serve", "--host", "0.0.0.0", "--port", "3000"]
