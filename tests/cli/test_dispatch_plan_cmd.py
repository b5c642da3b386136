import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine"))
from engine_fixtures import make_artifact  # noqa: E402

from hrouter.cli.main import main  # noqa: E402
from hrouter.engine.artifact_io import write_artifact  # noqa: E402


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("HROUTER_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture
def art(tmp_path):
    path = tmp_path / "a.json"
    write_artifact(make_artifact(), path)
    return str(path)


def test_plan_describes_the_adapter_and_executes_nothing(capsys, art):
    assert main(["dispatch-plan", "--json", "--rules", art, "fix the repo and run tests"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["dry_run"] is True and plan["executes"] == "nothing"
    assert (plan["engine"], plan["adapter"], plan["provider"], plan["model"]) == ("code_agent", "local_code", "local", "local-code-agent")
    assert plan["requires_confirmation"] is False and "alternatives" not in plan


def test_confirmation_plan_stops(capsys, art):
    assert main(["dispatch-plan", "--rules", art, "drop the production database"]) == 0
    out = capsys.readouterr().out
    assert "executes nothing" in out and "human_confirm" in out and "wait for a human" in out


def test_alternatives_only_on_request(capsys, art):
    assert main(["dispatch-plan", "--json", "--include-alternatives", "--rules", art, "rewrite this text"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["engine"] == "fast_local" and plan["alternatives"]
    assert all(set(a) == {"engine", "rank_score"} for a in plan["alternatives"])


def test_config_error_exit_code(capsys, art, tmp_path):
    assert main(["dispatch-plan", "--config", str(tmp_path / "x.yaml"), "--rules", art, "hi"]) == 1
    assert "x.yaml: file not found" in capsys.readouterr().err
