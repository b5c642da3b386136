"""Fixtures for engine tests; the builders live in engine_fixtures.py (importable by tests)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from engine_fixtures import RULES_MAIN, RULES_MORE, make_artifact  # noqa: E402


@pytest.fixture
def artifact():
    return make_artifact()


@pytest.fixture
def build():
    return make_artifact


@pytest.fixture
def rules_dir(tmp_path):
    """A tiny real rule set, compiled by the real compiler."""
    d = tmp_path / "rules"
    d.mkdir()
    (d / "main.rules").write_text(RULES_MAIN)
    (d / "more.rules").write_text(RULES_MORE)
    return d
