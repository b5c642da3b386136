import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine"))
from engine_fixtures import make_artifact  # noqa: E402

from hrouter.engine.artifact_io import write_artifact  # noqa: E402


@pytest.fixture
def art(tmp_path):
    """The engine tests' fixture rules, compiled to an artifact file."""
    path = tmp_path / "a.json"
    write_artifact(make_artifact(), path)
    return str(path)
