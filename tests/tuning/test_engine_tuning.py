"""Replay and diff end to end: the real compiler and engine, real files, the real CLI."""

import json
import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from hrouter.engine.router import ModelRouter
from hrouter.server.events import EventSink, RoutingEvent

DATA = Path(__file__).parent / "data"
CATALOG = str(DATA / "catalog.yaml")
OLD, NEW = str(DATA / "rules_old"), str(DATA / "rules_new")

# (id, prompt, label or None); routed under the old rules when logged
TRAFFIC = [
    ("r1", "hello", "fast_local"),
    ("r2", "refactor the retry logic in our repo", "code_agent"),  # old: balanced_local, new: fixed
    ("r3", "drop the prod database", "human_confirm"),
    ("r4", "hello, any news today?", "web_research"),  # old right, new routes it to fast_local
    ("r5", "what is the latest news", None),
    ("r6", "fix this python bug", "code_agent"),
    ("r7", [{"role": "user", "content": "clean up the repository layout"}], None),  # balanced -> coding
]


class _Sections(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.svgs, self.external = [], 0, []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section":
            self.ids.append(a["id"])
        self.svgs += tag == "svg"
        self.external += [a[k] for k in ("src", "href") if a.get(k)]


def _cli(*args, home):
    env = dict(os.environ, HROUTER_HOME=str(home))
    env.pop("HROUTER_LOG_PROMPTS", None)
    return subprocess.run([sys.executable, "-m", "hrouter.cli", *args], capture_output=True, text=True, env=env)


@pytest.fixture()
def logged(tmp_path, monkeypatch):
    """An events log written by the sink as the proxy writes it: full capture, plus one redacted row."""
    monkeypatch.delenv("HROUTER_LOG_PROMPTS", raising=False)
    home = tmp_path / "home"
    events = home / "logs" / "routing-events.jsonl"
    router = ModelRouter.from_config(CATALOG, rules=OLD)
    full = EventSink(events, prompt_capture="full")
    for i, (rid, prompt, _) in enumerate(TRAFFIC):
        decision = router.route(prompt)
        full.emit(RoutingEvent.build(
            prompt=prompt, decision=decision, capture=full.capture, request_id=rid, backend="local",
            status=409 if decision.selected_engine == "human_confirm" else 200,
            route_seconds=0.00002 * (i + 1), upstream_seconds=0.1 * (i + 1), total_seconds=0.1 * (i + 1) + 0.001,
        ))
    full.close()
    redacted = EventSink(events, prompt_capture="redacted_preview")
    prompt = "refactor stuff, token=abc123SECRETVALUE"
    redacted.emit(RoutingEvent.build(prompt=prompt, decision=router.route(prompt), capture=redacted.capture,
                                     request_id="r8", status=200, total_seconds=2.0))
    redacted.close()
    assert "abc123SECRETVALUE" not in events.read_text()
    for rid, _, label in TRAFFIC:
        if label:
            done = _cli("feedback", rid, label, "--config", CATALOG, home=home)
            assert done.returncode == 0, done.stderr
    done = _cli("feedback", "r8", "code_agent", "--config", CATALOG, "--notes", "repo work", home=home)
    assert done.returncode == 0, done.stderr
    return home


def test_replay_under_new_rules(logged, tmp_path):
    html_path = tmp_path / "replay.html"
    done = _cli("replay", "--rules", NEW, "--config", CATALOG, "--json", "--html", str(html_path), home=logged)
    assert done.returncode == 0, done.stderr
    r = json.loads(done.stdout)
    assert r["rows"] == 8 and r["replayed"] == 7 and r["without_prompt"] == 1
    assert r["labels"] == 6 and r["labels_not_in_log"] == 0
    assert (r["agreement"]["correct"], r["agreement"]["labelled"]) == (4, 5)
    assert r["agreement"]["accuracy"] == pytest.approx(0.8)
    assert (r["logged_agreement"]["correct"], r["logged_agreement"]["labelled"]) == (4, 6)
    classes = {c["label"]: c for c in r["agreement"]["classes"]}
    assert classes["web_research"]["recall"] == 0.0
    assert classes["fast_local"]["precision"] == pytest.approx(0.5)  # r1 right, r4 wrongly here
    assert r["changed"] == 3
    assert [(g["old"], g["new"], g["count"]) for g in r["changes"]] == [
        ("balanced_local", "code_agent", 2),
        ("web_research", "fast_local", 1),
    ]
    assert r["distribution_logged"]["balanced_local"] == 3
    assert sum(r["distribution_logged"].values()) == 8
    assert r["latency_ms"]["total_ms"]["count"] == 8
    assert r["latency_ms"]["upstream_ms"]["p50"] == pytest.approx(400.0)
    assert [(m["request_id"], m["replayed"]) for m in r["misroutes"]] == [("r4", "fast_local"), ("r8", None)]

    class Page(HTMLParser):
        ids, svgs = [], 0

        def handle_starttag(self, tag, attrs):
            if tag == "section":
                self.ids.append(dict(attrs)["id"])
            self.svgs += tag == "svg"

    page = Page()
    page.feed(html_path.read_text())
    assert page.ids == ["summary", "distribution", "confusion", "changes", "latency", "misroutes"]
    assert page.svgs == 3


def test_replay_text_and_under_the_logged_rules(logged):
    same = _cli("replay", "--rules", OLD, "--config", CATALOG, home=logged)
    assert same.returncode == 0, same.stderr
    assert "decisions changed vs logged: 0 of 7 replayed" in same.stdout
    assert "agreement with labels (replayed): 80.0% (4/5 labelled)" in same.stdout
    assert "abc123SECRETVALUE" not in same.stdout


def test_replay_errors_are_one_line(logged, tmp_path):
    missing = _cli("replay", "--events", str(tmp_path / "nope.jsonl"), home=logged)
    assert missing.returncode == 2 and "no events log" in missing.stderr
    bad_rules = tmp_path / "bad"
    bad_rules.mkdir()
    (bad_rules / "main.rules").write_text("targets simple\nroute x: -> simple\n")
    broken = _cli("replay", "--rules", str(bad_rules), "--config", CATALOG, home=logged)
    assert broken.returncode == 2 and "Traceback" not in broken.stderr
    assert "main.rules:2" in broken.stderr
    no_rules = _cli("replay", "--rules", str(tmp_path / "none"), home=logged)
    assert no_rules.returncode == 2 and "rules not found" in no_rules.stderr


def _corpus(path, with_regression_label=True):
    rows = []
    for rid, prompt, label in TRAFFIC:
        row = {"id": rid, "prompt": prompt}
        if label and (with_regression_label or rid != "r4"):
            row["expected"] = label
        rows.append(row)
    rows.append({"id": "t1", "prompt": "fix the stack trace in this function", "expected": "coding"})  # a target label
    rows.append({"id": "nop", "expected": "coding"})  # no prompt: skipped
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_diff_reports_changes_and_fails_on_regression(tmp_path):
    corpus = _corpus(tmp_path / "corpus.jsonl")
    html_path = tmp_path / "diff.html"
    artifact = tmp_path / "old.json"
    compiled = _cli("compile", OLD, "-o", str(artifact), home=tmp_path)
    assert compiled.returncode == 0, compiled.stderr
    done = _cli("diff", str(artifact), NEW, "--corpus", str(corpus), "--config", CATALOG, "--json",
                "--html", str(html_path), home=tmp_path)
    assert done.returncode == 1, done.stderr
    r = json.loads(done.stdout)
    assert r["prompts"] == 8 and r["skipped"] == 1 and r["labelled"] == 6
    assert r["changed"] == 3
    assert [(g["old"], g["new"], g["count"]) for g in r["groups"]] == [
        ("balanced -> balanced_local", "coding -> code_agent", 2),
        ("research -> web_research", "simple -> fast_local", 1),
    ]
    assert (r["old"]["correct"], r["new"]["correct"]) == (5, 5)
    assert [x["id"] for x in r["regressions"]] == ["r4"]
    assert [x["id"] for x in r["fixes"]] == ["r2"]
    assert r["has_regressions"] is True
    assert [(c["id"], c["new"]) for c in r["changes"]] == [
        ("r2", "coding -> code_agent"), ("r4", "simple -> fast_local"), ("r7", "coding -> code_agent"),
    ]
    page = html_path.read_text()
    parsed = _Sections()
    parsed.feed(page)
    assert parsed.ids == ["summary", "changes", "regressions", "distribution"]
    assert parsed.svgs == 2 and parsed.external == []
    assert page.count("clean up the repository layout") == 2  # its group's example and the full list


def test_diff_passes_without_regressions(tmp_path):
    corpus = _corpus(tmp_path / "corpus.jsonl", with_regression_label=False)
    done = _cli("diff", OLD, NEW, "--corpus", str(corpus), "--config", CATALOG, home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "accuracy: old 80.0% (4/5)  new 100.0% (5/5)" in done.stdout
    assert "balanced -> balanced_local  =>  coding -> code_agent: 2" in done.stdout
    same = _cli("diff", OLD, OLD, "--corpus", str(corpus), "--config", CATALOG, home=tmp_path)
    assert same.returncode == 0 and "no decision changed" in same.stdout
    missing = _cli("diff", OLD, NEW, "--corpus", str(tmp_path / "none.jsonl"), home=tmp_path)
    assert missing.returncode == 2 and "no corpus" in missing.stderr


@pytest.mark.parametrize("content", ["", "\n\n", "not json\n{broken\n", '{"id": "x"}\n'])
def test_diff_exits_2_on_a_corpus_with_nothing_to_compare(tmp_path, content):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(content)
    done = _cli("diff", OLD, NEW, "--corpus", str(corpus), "--config", CATALOG, home=tmp_path)
    assert done.returncode == 2, done.stdout
    assert "has no usable prompt" in done.stderr and "Traceback" not in done.stderr


def test_diff_exits_2_on_a_corpus_it_cannot_read(tmp_path):
    folder = tmp_path / "corpus.jsonl"
    folder.mkdir()  # not a file: unreadable even for root
    binary = tmp_path / "binary.jsonl"
    binary.write_bytes(b"\xff\xfe\x00garbage\n")
    for corpus in (folder, binary):
        done = _cli("diff", OLD, NEW, "--corpus", str(corpus), "--config", CATALOG, home=tmp_path)
        assert done.returncode == 2, (corpus, done.stdout)
        assert "Traceback" not in done.stderr
