# syntax=docker/dockerfile:1
# ecs-why container image.
#
#   docker build --build-arg VERSION=0.1.0 --build-arg REVISION="$(git rev-parse HEAD)" -t ecs-why .
#   docker run --read-only --tmpfs /tmp -p 3000:3000 -e SLACK_BOT_TOKEN=... -e SLACK_SIGNING_SECRET=... ecs-why
#   docker run --read-only --tmpfs /tmp -e HEALTHCHECK_PORT=9090 ... ecs-why worker
#   docker run --rm ecs-why --version
#
# Both stages use the same base image, so the virtual environment built in the first one runs unchanged
# in the second. The final image holds the venv and nothing else of the build: no pip cache, no compiler,
# no source tree.

# Pinned by digest, so a rebuild gets the same base; to move it, take the digest that
# `docker buildx imagetools inspect python:3.11-slim-bookworm` prints and put it here.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm@sha256:2e32f7d302adc1c37428355c1e646897c0c53f4fd60b6a551245fb90ee129f91

# ---- builder: the locked dependencies and the application, installed into /opt/venv ----------------------
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src
COPY requirements/build.txt requirements/runtime.txt requirements/
COPY pyproject.toml README.md ./
COPY diagnosis/ diagnosis/
COPY bot/ bot/
COPY handlers/ handlers/

# pip and setuptools pinned, then the runtime lock (no [demo], no [dev]) with every hash checked, then the
# project itself without dependencies or build isolation (nothing unhashed is fetched); a non-editable
# install, so the venv does not point back at /src. pip compiles the bytecode now: the image's root
# filesystem is read-only at run time. setuptools is removed again: nothing imports it at run time.
RUN pip install --no-cache-dir --require-hashes -r requirements/build.txt \
    && pip install --no-cache-dir --require-hashes -r requirements/runtime.txt \
    && pip install --no-cache-dir --no-deps --no-build-isolation . \
    && pip uninstall --yes setuptools \
    && ecs-why --version

# ---- runtime ---------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE}

ARG VERSION=0.1.0
ARG REVISION=unknown
ARG SOURCE=https://github.com/ecs-why/ecs-why
LABEL org.opencontainers.image.title="ecs-why" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}" \
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

# `docker run IMAGE worker`, `docker run IMAGE diagnose …`: the arguments are an ecs-why command.
ENTRYPOINT ["ecs-why"]
CMD ["serve", "--host", "0.0.0.0", "--port", "3000"]
