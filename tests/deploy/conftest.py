"""Fixtures for the shipping tests (Dockerfile, Helm chart, IAM documents)."""

from __future__ import annotations

import pytest
from helm_render_support import Renderer, helm_binary


@pytest.fixture(scope="session")
def helm(tmp_path_factory: pytest.TempPathFactory) -> Renderer:
    """The real Helm 4 (fails, never skips, when scripts/setup has not installed it)."""
    return Renderer(binary=helm_binary(), workdir=tmp_path_factory.mktemp("helm"))
