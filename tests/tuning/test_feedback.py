import json
from pathlib import Path
import subprocess
import sys

import pytest

from hrouter.tuning.feedback import FeedbackError, catalog_engines, find_event, load_labels, record_label

CATALOG = (Path(__file__).parent / "data" / "catalog.yaml").read_text()


@pytest.fixture()
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("HROUTER_HOME", str(tmp_path / "home"))
    (tmp_path / "catalog.yaml").write_text(CATALOG)
    events = tmp_path / "home" / "logs" / "routing-events.jsonl"
    events.parent.mkdir(parents=True)
    rows = [{"request_id": f"req-{i}", "selected_engine": "fast_local"} for i in range(5)]
    events.write_text("".join(json.dumps(r) + "\n" for r in rows))
    # an older id only in a rotated backup
    (events.parent / "routing-events.jsonl.1").write_text(json.dumps({"request_id": "req-old"}) + "\n")
    return tmp_path


def _cli(*args, env_home):
    import os

    env = dict(os.environ, HROUTER_HOME=str(env_home))
    return subprocess.run([sys.executable, "-m", "hrouter.cli", "feedback", *args], capture_output=True, text=True, env=env)


def test_catalog_engines_include_human_confirm(home):
    assert catalog_engines(home / "catalog.yaml") == (
        "balanced_local", "code_agent", "fast_local", "human_confirm", "web_research"
    )
    with pytest.raises(FeedbackError, match="missing.yaml: file not found"):
        catalog_engines(home / "missing.yaml")
    (home / "bad.yaml").write_text("routing_targets: {}\nengines: [1, 2]\n")
    with pytest.raises(FeedbackError, match=r"\$\.engines"):
        catalog_engines(home / "bad.yaml")


def test_find_event_searches_backups(home):
    events = home / "home" / "logs" / "routing-events.jsonl"
    assert find_event(events, "req-3")["selected_engine"] == "fast_local"
    assert find_event(events, "req-old") == {"request_id": "req-old"}
    assert find_event(events, "req-3x") is None
    assert find_event(events, "req") is None  # a prefix of an id is not the id


def test_record_validates_and_later_labels_win(home):
    engines = catalog_engines(home / "catalog.yaml")
    record_label("req-1", "fast_local", engines=engines)
    record_label("req-1", "code_agent", engines=engines, notes="repo prompt routed too small")
    labels = load_labels(home / "home" / "logs" / "routing-feedback.jsonl")
    assert labels["req-1"].expected_engine == "code_agent"
    assert labels["req-1"].notes == "repo prompt routed too small"
    with pytest.raises(FeedbackError, match="unknown engine 'gpt9'"):
        record_label("req-1", "gpt9", engines=engines)
    with pytest.raises(FeedbackError, match="not in"):
        record_label("req-404", "fast_local", engines=engines)
    forced = record_label("req-404", "fast_local", engines=engines, force=True)
    assert forced.forced
    assert load_labels(home / "home" / "logs" / "routing-feedback.jsonl")["req-404"].expected_engine == "fast_local"


def test_feedback_cli(home):
    cat = str(home / "catalog.yaml")
    ok = _cli("req-2", "code_agent", "--notes", "needs tools", "--config", cat, env_home=home / "home")
    assert ok.returncode == 0, ok.stderr
    assert "labelled req-2 -> code_agent" in ok.stdout
    row = json.loads((home / "home" / "logs" / "routing-feedback.jsonl").read_text().splitlines()[-1])
    assert row["request_id"] == "req-2" and row["expected_engine"] == "code_agent" and row["notes"] == "needs tools"
    assert row["time"].endswith("Z")

    bad = _cli("req-2", "nope", "--config", cat, env_home=home / "home")
    assert bad.returncode == 2 and "unknown engine 'nope'" in bad.stderr and "Traceback" not in bad.stderr
    missing = _cli("req-999", "fast_local", "--config", cat, env_home=home / "home")
    assert missing.returncode == 2 and "--force" in missing.stderr
    forced = _cli("req-999", "fast_local", "--config", cat, "--force", env_home=home / "home")
    assert forced.returncode == 0
    other = home / "labels.jsonl"
    explicit = _cli(
        "req-0", "human_confirm", "--config", cat, "--events", str(home / "home" / "logs" / "routing-events.jsonl"),
        "--feedback", str(other), env_home=home / "elsewhere",
    )
    assert explicit.returncode == 0, explicit.stderr
    assert json.loads(other.read_text())["expected_engine"] == "human_confirm"
    no_log = _cli("req-0", "fast_local", "--config", cat, env_home=home / "empty")
    assert no_log.returncode == 2 and "no events log" in no_log.stderr
