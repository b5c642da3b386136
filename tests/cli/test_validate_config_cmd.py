import json
from pathlib import Path

import yaml

from engine_fixtures import make_artifact

from hrouter.cli.main import main

DEFAULT = Path(__file__).resolve().parents[2] / "configs" / "model_router.yaml"


def test_default_catalog_is_valid(capsys, art):
    assert main(["validate-config", "--rules", art]) == 0
    out = capsys.readouterr().out
    assert out.startswith("config OK") and "coding            -> code_agent" in out


def test_every_error_with_its_key_path_and_exit_1(capsys, art, tmp_path):
    data = yaml.safe_load(DEFAULT.read_text())
    data["engines"]["code_agent"]["fallback"] = "ghost"
    data["engines"]["fast_local"]["enabled"] = "sometimes"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data))
    assert main(["validate-config", "--config", str(bad), "--rules", art]) == 1
    err = capsys.readouterr().err.splitlines()
    assert f"hrouter validate-config: {bad}: $.engines.code_agent.fallback: unknown engine 'ghost'" in err
    assert any("$.engines.fast_local.enabled: expected true or false" in line for line in err)
    assert main(["validate-config", "--json", "--config", str(bad), "--rules", art]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is False and len(report["errors"]) == 2


def test_json_report(capsys, art):
    assert main(["validate-config", "--json", "--rules", art]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] and report["routing_targets"]["confirmation"] == "human_confirm"
    assert report["engines"]["human_confirm"]["available"] is True
    assert report["rules"]["patterns"] == len(make_artifact().patterns)


def test_rules_that_need_an_unmapped_target(capsys, art, tmp_path):
    data = yaml.safe_load(DEFAULT.read_text())
    del data["routing_targets"]["vision"]
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump(data))
    assert main(["validate-config", "--config", str(cfg), "--rules", art]) == 1
    assert "no engine for the rules' target vision" in capsys.readouterr().err
