"""Fixtures for the setup assistant: the fake home, and hardware facts for a small and a large
computer."""

from __future__ import annotations

from pathlib import Path

import pytest

from hrouter.advisor.hardware import Hardware

from .fake_machine import build_fake_home, sparse  # noqa: F401  (re-exported for tests)


@pytest.fixture
def fake_home(tmp_path: Path) -> Path:
    return build_fake_home(tmp_path / "home")


@pytest.fixture
def small_machine() -> Hardware:
    return Hardware(os="Linux", arch="x86_64", cpu_cores=4, ram_total_gb=8.0, ram_available_gb=5.0, disk_path="/models", disk_free_gb=100.0)


@pytest.fixture
def large_machine() -> Hardware:
    return Hardware(os="Darwin", arch="arm64", cpu_cores=16, ram_total_gb=128.0, ram_available_gb=100.0, apple_silicon=True, disk_path="/models", disk_free_gb=2000.0)
