"""Fixtures for engine tests; the builders live in engine_fixtures.py (importable by tests)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from engine_fixtures import make_artifact  # noqa: E402


@pytest.fixture
def artifact():
    return make_artifact()


@pytest.fixture
def build():
    return make_artifact
