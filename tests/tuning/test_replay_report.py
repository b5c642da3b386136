"""Replay arithmetic, text, JSON and HTML on a synthetic log; the real engine is in test_replay_engine."""

import io
import json
from html.parser import HTMLParser

import pytest

from hrouter.tuning.feedback import Label
from hrouter.tuning.html import replay_html
from hrouter.tuning.jsonl import StderrProgress, iter_jsonl, ReadStats
from hrouter.tuning.render import replay_text, to_json
from hrouter.tuning.replay import replay
from hrouter.tuning.routing import Routed


def keyword_route(router, prompt, hints):
    """A deterministic stand-in router for the arithmetic: code words -> coder, else small."""
    text = prompt if isinstance(prompt, str) else prompt[-1]["content"]
    return Routed("coder" if "code" in text or "bug" in text else "small", None)


def _row(i, engine, prompt=None, total=None, preview=None):
    row = {"event": "route", "request_id": f"r{i}", "selected_engine": engine, "route_ms": 0.05, "total_ms": total}
    if prompt is not None:
        row["prompt"] = prompt
    if preview is not None:
        row["prompt_preview"] = preview
    return row


@pytest.fixture()
def log(tmp_path):
    rows = [
        _row(1, "small", "fix this bug <script>alert(1)</script>", 120.0, "fix this bug <script>alert(1)</script>"),
        _row(2, "coder", "write code for a parser", 900.0),
        _row(3, "small", "hello there", 80.0),
        _row(4, "small", "what is the weather", 100.0),
        _row(5, "coder", None, 1500.0),  # no prompt captured
        _row(6, "small", None, 90.0),
        _row(7, "coder", "review this code", 1100.0),
    ]
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + "{torn line\n")
    return path


LABELS = {
    "r1": Label("r1", "coder", "t"),
    "r3": Label("r3", "coder", "t", notes="needs tools"),
    "r5": Label("r5", "coder", "t"),
    "r6": Label("r6", "coder", "t"),
    "r9": Label("r9", "small", "t"),  # not in the log
}


def test_replay_figures(log):
    r = replay(log, object(), LABELS, route=keyword_route)
    assert r.rows == 7 and r.bad_lines == 1
    assert r.replayed == 5 and r.without_prompt == 2
    assert r.labels == 5 and r.labels_not_in_log == 1
    # replayed vs labels: r1 coder->coder (right), r3 small vs coder (wrong)
    assert r.agreement.labelled == 2 and r.agreement.correct == 1
    # logged vs labels: r1 small (wrong), r3 small (wrong), r5 coder (right), r6 small (wrong)
    assert r.logged_agreement.labelled == 4 and r.logged_agreement.correct == 1
    assert r.logged_agreement.labels == ("coder", "small")
    assert r.logged_agreement.matrix == ((1, 3), (0, 0))
    by = {c.label: c for c in r.logged_agreement.classes}
    assert by["coder"].recall == pytest.approx(0.25) and by["coder"].precision == 1.0
    # only r1 changed: small -> coder
    assert r.changed == 1
    assert [(g.old, g.new, g.count) for g in r.changes] == [("small", "coder", 1)]
    assert r.distribution_logged == {"small": 4, "coder": 3}
    assert r.distribution_replayed == {"coder": 3, "small": 2}
    assert r.latency_ms["total_ms"]["count"] == 7
    assert r.latency_ms["total_ms"]["p50"] == 120.0
    assert r.latency_ms["upstream_ms"]["count"] == 0
    # misroutes: r3 (replayed small), r6 (not replayed, logged small)
    assert [(m.request_id, m.replayed) for m in r.misroutes] == [("r3", "small"), ("r6", None)]


def test_replay_without_rerouting_summarises(log):
    r = replay(log, None, LABELS)
    assert r.replayed == 0 and r.changed == 0 and r.distribution_replayed == {}
    assert r.logged_agreement.correct == 1


def test_text_and_json(log):
    r = replay(log, object(), LABELS, route=keyword_route)
    text = replay_text(r)
    assert "agreement with labels (replayed): 50.0% (1/2 labelled)" in text
    assert "small -> coder: 1" in text
    data = json.loads(to_json(r))
    assert data["agreement"]["accuracy"] == 0.5
    assert data["changes"][0]["examples"][0]["request_id"] == "r1"


class Sections(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.tags, self.scripts, self.external = [], [], 0, []
        self.text = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if tag == "section":
            self.ids.append(a.get("id"))
        if tag == "script":
            self.scripts += 1
        for key in ("src", "href"):
            if a.get(key):
                self.external.append(a[key])

    def handle_data(self, data):
        self.text.append(data)


def test_html_page_is_self_contained_and_escaped(log):
    page = replay_html(replay(log, object(), LABELS, route=keyword_route))
    p = Sections()
    p.feed(page)
    assert p.ids == ["summary", "distribution", "confusion", "changes", "latency", "misroutes"]
    assert p.scripts == 0 and p.external == []  # the one <script> in a preview is text, not markup
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    assert p.tags.count("svg") >= 3  # two distributions and the latency histogram
    assert p.tags.count("rect") >= 4
    assert "needs tools" in "".join(p.text)


def test_progress_reports_on_large_files(tmp_path):
    path = tmp_path / "big.jsonl"
    line = json.dumps(_row(0, "small", "x" * 900)) + "\n"
    path.write_text(line * 4000)  # ~3.7 MB
    out = io.StringIO()
    progress = StderrProgress("replay big.jsonl", stream=out, step_bytes=1 << 20, every_s=999)
    stats = ReadStats()
    assert sum(1 for _ in iter_jsonl(path, stats, progress)) == 4000
    lines = out.getvalue().splitlines()
    assert len(lines) >= 3 and lines[-1].endswith("(100%)")
    quiet = io.StringIO()
    small = tmp_path / "small.jsonl"
    small.write_text(line * 3)
    list(iter_jsonl(small, None, StderrProgress("x", stream=quiet)))
    assert quiet.getvalue() == ""


def test_latency_histogram_has_axis_titles_and_a_count_scale():
    import re

    from hrouter.tuning.html import latency_svg
    from hrouter.tuning.replay import LatencyHistogram

    svg = latency_svg(LatencyHistogram("route_ms", (0.1, 1.0, 10.0), (3, 7)))
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert "route_ms (ms, bin edges)" in texts  # x axis
    assert "requests per bin" in texts  # y axis
    assert {"0", "7"} <= set(texts)  # the y scale: zero and the tallest bin
    assert "0.1 ms" in texts and "10 ms" in texts
