"""`hrouter decide` through the real entry point, on a tiny real rule set and the default catalog."""

import json
import subprocess
import sys

import pytest

from engine_fixtures import make_artifact, write_rules

from hrouter.cli.main import main
from hrouter.engine.artifact_io import write_artifact


@pytest.fixture
def rules(tmp_path):
    return str(write_rules(tmp_path / "rules"))


@pytest.fixture
def fixture_artifact(tmp_path):
    path = tmp_path / "fixture.json"
    write_artifact(make_artifact(), path)
    return str(path)


def run(capsys, *argv):
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_readable_output(capsys, rules):
    rc, out, err = run(capsys, "decide", "--rules", rules, "drop the production database")
    assert rc == 0 and err == ""
    assert "engine:       human_confirm" in out
    assert "destructive (main.rules:6)" in out


def test_json_receipt(capsys, rules):
    rc, out, _ = run(capsys, "decide", "--json", "--rules", rules, "rewrite this text")
    data = json.loads(out)
    assert rc == 0 and data["selected_engine"] == "fast_local" and data["selected_target"] == "simple"
    assert data["fired_rules"] == [{"rule": "simple", "loc": "main.rules:8"}]
    assert "rewrite this text" not in out


def test_hint_flags(capsys, fixture_artifact):
    rc, out, _ = run(capsys, "decide", "--json", "--rules", fixture_artifact, "--attachment", "image", "what is this?")
    assert json.loads(out)["selected_engine"] == "multimodal_vision"
    rc, out, _ = run(capsys, "decide", "--json", "--rules", fixture_artifact, "--force-engine", "code_agent",
                     "drop the production database")
    data = json.loads(out)
    assert data["selected_engine"] == "human_confirm"
    assert "force_engine code_agent ignored: confirmation required" in data["reasons"]
    rc, out, _ = run(capsys, "decide", "--json", "--rules", fixture_artifact, "--max-latency-tier", "low",
                     "--latency-sensitive", "--max-cost-tier", "free", "design a distributed system")
    assert json.loads(out)["selected_engine"] == "human_confirm"
    rc, out, _ = run(capsys, "decide", "--json", "--rules", fixture_artifact, "--force-engine", "nope", "hi")
    assert json.loads(out)["selected_engine"] == "human_confirm"


def test_bad_flag_values_are_usage_errors(capsys, rules):
    with pytest.raises(SystemExit) as info:
        main(["decide", "--rules", rules, "--attachment", "video", "hi"])
    assert info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_explain_flag(capsys, fixture_artifact):
    rc, out, _ = run(capsys, "decide", "--explain", "--rules", fixture_artifact, "please drop the database")
    assert "patterns that fired:" in out and "features.rules:1" in out
    assert "risk       +80" in out and "scoring.rules:60" in out
    rc, out, _ = run(capsys, "decide", "--json", "--explain", "--rules", fixture_artifact, "drop the database")
    assert json.loads(out)["explain"]["decided_by"] == {"rule": "destructive", "loc": "safety.rules:11", "target": "confirmation"}


def test_config_errors_are_one_line_on_stderr(capsys, rules, tmp_path):
    rc, out, err = run(capsys, "decide", "--config", str(tmp_path / "none.yaml"), "--rules", rules, "hi")
    assert rc == 1 and out == ""
    assert err.strip().count("\n") == 0 and "none.yaml: file not found" in err
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "main.rules").write_text("route x: -> \n")
    rc, out, err = run(capsys, "decide", "--rules", str(bad), "hi")
    assert rc == 1 and "main.rules:1" in err and "Traceback" not in err


def test_stdin_prompt_and_real_process(rules):
    proc = subprocess.run([sys.executable, "-m", "hrouter.cli", "decide", "--json", "--rules", rules, "-"],
                          input="please wipe the database\n", capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["selected_engine"] == "human_confirm"


def test_log_appends_an_event_without_the_raw_prompt(capsys, rules, tmp_path):
    log = tmp_path / "events.jsonl"
    secret = "rewrite this text for alice@example.com"
    for _ in range(2):
        rc, _, err = run(capsys, "decide", "--rules", rules, "--events", str(log), secret)
        assert rc == 0 and err == ""
    lines = log.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    event = json.loads(lines[0])
    assert event["selected_engine"] == "fast_local"
    assert "alice@example.com" not in lines[0] and secret not in lines[0]


def test_log_full_capture_keeps_the_prompt_for_replay(capsys, rules, tmp_path):
    log = tmp_path / "events.jsonl"
    rc, _, _ = run(capsys, "decide", "--rules", rules, "--events", str(log), "--prompt-capture", "full",
                   "rewrite this text")
    assert rc == 0
    assert "rewrite this text" in log.read_text(encoding="utf-8")


def test_log_to_an_unwritable_place_warns_but_still_decides(capsys, rules, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    rc, out, err = run(capsys, "decide", "--rules", rules, "--events", str(blocker / "events.jsonl"), "rewrite this text")
    assert rc == 0 and "engine:       fast_local" in out
    assert "could not write the routing event" in err


def test_log_is_a_flag_that_never_takes_the_prompt(capsys, rules, private_home):
    rc, out, _ = run(capsys, "decide", "--rules", rules, "--log", "rewrite this text")
    assert rc == 0 and "engine:       fast_local" in out
    event = json.loads((private_home / "logs" / "routing-events.jsonl").read_text(encoding="utf-8"))
    assert event["selected_engine"] == "fast_local" and event["prompt_chars"] == len("rewrite this text")


def test_help_wraps_to_the_terminal_width(monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "50")
    with pytest.raises(SystemExit):
        main(["decide", "--help"])
    out = capsys.readouterr().out
    long_lines = [line for line in out.splitlines() if len(line) > 50]
    # argparse cannot break "{off,redacted_preview,full}"; everything else wraps
    assert "--max-cost-tier" in out and len(long_lines) == 1 and "{off,redacted_preview,full}" in long_lines[0]


def test_a_one_prompt_command_leaves_the_collector_as_it_found_it(capsys, rules):
    import gc

    assert gc.isenabled()
    rc, _, _ = run(capsys, "decide", "--rules", rules, "rewrite this text")
    assert rc == 0 and gc.isenabled()
