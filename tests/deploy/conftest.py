"""Fixtures for the shipping tests (Dockerfile, Helm chart, IAM documents)."""

from __future__ import annotations

import pytest
from helm_render_support import Renderer, build_renderer


@pytest.fixture(scope="session")
def helm(tmp_path_factory: pytest.TempPathFactory) -> Renderer:
    """The chart renderer, compiled once per session (fails, never skips, without the Go toolchain)."""
    out = tmp_path_factory.mktemp("helmrender")
    return Renderer(binary=build_renderer(out), workdir=out)
