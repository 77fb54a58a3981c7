"""What this build is: the installed distribution's version (one place for --version, logs and metrics)."""

from __future__ import annotations

from importlib import metadata


def _version() -> str:
    try:
        return metadata.version("ecs-why")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "0+unknown"


VERSION = _version()
