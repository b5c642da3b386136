import asyncio
import fcntl
import json
import multiprocessing
import os
import time
from pathlib import Path

import pytest

from hrouter.server.events import EventSink, JsonlAppender, RoutingEvent, log_decision

SECRET = "sk-live-Q1w2E3r4T5y6U7i8O9p0ZZ"
EMAIL = "ceo.private@example.org"
PROMPT = (
    f"Please rotate the key {SECRET} and email {EMAIL} the new credentials; "
    "then summarise the incident report for the board in plain language, "
    "covering timeline, impact, root cause and the follow-up actions we agreed on."
)

DECISION = {
    "selected_engine": "reasoning_local",
    "selected_target": "reasoning",
    "complexity_score": 61,
    "risk_score": 20,
    "confidence_score": 85,
    "requires_tools": False,
    "requires_freshness": False,
    "fired_rules": [{"id": "route.reasoning", "location": "main.rules:12"}],
    "artifact_hash": "abc123",
}


def _event(i: int = 0, capture: str = "off", prompt: str = PROMPT) -> RoutingEvent:
    return RoutingEvent.build(
        prompt=prompt,
        decision=DECISION,
        capture=capture,
        request_id=f"req-{i}",
        backend="local",
        status=200,
        route_seconds=0.00004,
        upstream_seconds=0.5,
        total_seconds=0.51,
    )


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_event_carries_the_required_fields():
    data = _event(capture="off").to_dict()
    for key in (
        "request_id", "time", "prompt_sha256", "prompt_chars", "estimated_tokens", "selected_engine",
        "selected_target", "scores", "fired_rules", "flags", "backend", "fallback_used", "status",
        "route_ms", "upstream_ms", "total_ms", "artifact_hash",
    ):
        assert key in data, key
    assert data["scores"] == {"complexity": 61, "risk": 20, "confidence": 85}
    assert data["fired_rules"] == ["route.reasoning"]
    assert data["flags"] == {"requires_tools": False, "requires_freshness": False}
    assert data["time"].endswith("Z")
    assert data["route_ms"] == pytest.approx(0.04)


@pytest.mark.parametrize("mode", ["off", "redacted_preview", "full"])
def test_privacy_of_each_capture_mode(tmp_path, mode, monkeypatch):
    monkeypatch.delenv("HROUTER_LOG_PROMPTS", raising=False)
    path = tmp_path / "events.jsonl"
    sink = EventSink(path, prompt_capture=mode)
    sink.emit(RoutingEvent.build(prompt=PROMPT, decision=DECISION, capture=sink.capture))
    sink.close()
    raw = path.read_text()
    (row,) = _lines(path)
    if mode == "full":
        assert row["prompt"] == PROMPT
        assert SECRET not in row["prompt_preview"]
        return
    assert PROMPT not in raw
    assert SECRET not in raw and EMAIL not in raw
    if mode == "off":
        assert "prompt_preview" not in row and "prompt" not in row
    else:
        assert "prompt" not in row
        # the sentence naming credentials is hidden whole; at most half the words are kept
        assert row["prompt_preview"].startswith("[…] covering timeline, impact")


def test_env_switch_turns_on_full_capture(tmp_path, monkeypatch):
    monkeypatch.setenv("HROUTER_LOG_PROMPTS", "1")
    sink = EventSink(tmp_path / "e.jsonl", prompt_capture="redacted_preview")
    assert sink.capture == "full"
    sink.close()
    off = EventSink(tmp_path / "e.jsonl", prompt_capture="off")
    assert off.capture == "off"  # an explicit off stays off (issue 14)
    off.close()


def test_rotation_keeps_n_backups_and_whole_lines(tmp_path):
    path = tmp_path / "events.jsonl"
    appender = JsonlAppender(path, max_bytes=2000, backups=2)
    line = (_event(capture="off").to_json() + "\n").encode()
    for _ in range(40):
        appender.append(line)
    appender.close()
    names = sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock"))
    assert names == ["events.jsonl", "events.jsonl.1", "events.jsonl.2"]
    per_file = 2000 // len(line)
    for name in names:
        rows = _lines(tmp_path / name)
        assert os.path.getsize(tmp_path / name) <= 2000
        assert 1 <= len(rows) <= per_file
    # the two backups are full; everything older was dropped by design
    assert len(_lines(tmp_path / "events.jsonl.1")) == per_file


def _write_many(path: str, worker: int, count: int) -> None:
    appender = JsonlAppender(path, max_bytes=20_000, backups=1000)
    for i in range(count):
        payload = {"request_id": f"w{worker}-{i}", "pad": "x" * (i % 97)}
        appender.append((json.dumps(payload) + "\n").encode())
    appender.close()


def test_concurrent_writer_processes_never_interleave_or_lose_lines(tmp_path):
    path = tmp_path / "events.jsonl"
    workers, count = 4, 600
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_write_many, args=(str(path), w, count)) for w in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    files = [p for p in tmp_path.iterdir() if p.name.startswith("events.jsonl") and not p.name.endswith(".lock")]
    assert len(files) > 3  # rotation really happened while all four were writing
    seen = []
    for f in files:
        for line in f.read_text().splitlines():
            seen.append(json.loads(line)["request_id"])  # a torn line would not parse
    assert len(seen) == workers * count
    assert set(seen) == {f"w{w}-{i}" for w in range(workers) for i in range(count)}


def test_emit_never_blocks_while_the_writer_is_stuck(tmp_path):
    path = tmp_path / "events.jsonl"
    sink = EventSink(path, prompt_capture="off")
    sink.emit(_event(0))
    assert sink.flush()
    # Hold the rotation lock exclusively: the background writer now waits on it.
    lock_fd = os.open(str(path) + ".lock", os.O_RDWR)
    fcntl.flock(lock_fd, fcntl.LOCK_EX)
    try:
        started = time.perf_counter()
        for i in range(1, 501):
            assert sink.emit(_event(i))
        elapsed = time.perf_counter() - started
        assert elapsed < 0.5
        assert len(_lines(path)) == 1  # nothing got through while the writer was blocked
    finally:
        fcntl.flock(lock_fd, fcntl.LOCK_UN)
        os.close(lock_fd)
    sink.close()
    assert len(_lines(path)) == 501


def test_events_queued_at_shutdown_are_flushed(tmp_path):
    path = tmp_path / "events.jsonl"
    sink = EventSink(path, prompt_capture="off", max_bytes=0)
    for i in range(3000):
        sink.emit(_event(i))
    sink.close()
    ids = [row["request_id"] for row in _lines(path)]
    assert ids == [f"req-{i}" for i in range(3000)]
    assert sink.status()["written"] == 3000
    assert not sink.emit(_event(1))  # closed sinks drop quietly


def test_unwritable_path_degrades_to_a_warning(tmp_path):
    blocker = tmp_path / "not_a_dir"
    blocker.write_text("")
    sink = EventSink(blocker / "events.jsonl", prompt_capture="off")
    for i in range(3):
        assert sink.emit(_event(i))
    assert sink.flush()
    status = sink.status()
    assert status["ok"] is False
    assert "not_a_dir" in status["warning"] and "3 event(s) dropped" in status["warning"]
    assert status["dropped"] == 3
    sink.close()


def test_full_disk_degrades_to_a_warning_and_recovers(tmp_path):
    path = tmp_path / "events.jsonl"
    path.symlink_to("/dev/full")
    sink = EventSink(path, prompt_capture="off")
    sink.emit(_event(1))
    assert sink.flush()
    assert sink.status()["ok"] is False
    assert "No space left" in sink.status()["warning"]
    path.unlink()  # space is back
    sink.emit(_event(2))
    sink.close()
    assert sink.status()["ok"] is True
    assert [r["request_id"] for r in _lines(path)] == ["req-2"]
    assert sink.status()["dropped"] == 1


def test_disabled_sink_writes_nothing(tmp_path):
    sink = EventSink.from_config({"enabled": False, "log_path": str(tmp_path / "e.jsonl")})
    assert not sink.emit(_event())
    sink.close()
    assert not (tmp_path / "e.jsonl").exists()
    assert sink.status()["ok"] is True


def test_from_config_reads_an_attrs_section(tmp_path):
    import attrs

    @attrs.frozen
    class Obs:
        enabled: bool = True
        log_path: str = str(tmp_path / "x.jsonl")
        max_bytes: int = 123
        backups: int = 2
        prompt_capture: str = "off"

    sink = EventSink.from_config(Obs())
    assert sink.enabled and sink.capture == "off" and sink.path == tmp_path / "x.jsonl"
    assert sink._appender.max_bytes == 123 and sink._appender.backups == 2
    sink.close()


def test_aclose_flushes_from_inside_an_event_loop(tmp_path):
    path = tmp_path / "events.jsonl"

    async def main():
        sink = EventSink(path, prompt_capture="off")
        sink.start()
        for i in range(50):
            sink.emit(_event(i))
        await sink.aclose()

    asyncio.run(main())
    assert len(_lines(path)) == 50


def test_log_decision_for_the_cli(tmp_path):
    path = tmp_path / "cli.jsonl"
    assert log_decision(path, PROMPT, DECISION, prompt_capture="redacted_preview", route_seconds=0.0001) is None
    (row,) = _lines(path)
    assert row["source"] == "cli" and row["selected_engine"] == "reasoning_local"
    assert SECRET not in path.read_text()
    warning = log_decision(tmp_path / "cli.jsonl" / "nested", PROMPT, DECISION)
    assert warning and warning.startswith("hrouter: could not write")


def test_record_builds_the_event_on_the_writer_thread_from_the_router(tmp_path):
    from hrouter.engine.router import ModelRouter

    data = Path(__file__).parents[1] / "tuning" / "data"
    router = ModelRouter.from_config(str(data / "catalog.yaml"), rules=str(data / "rules_old"))
    messages = [{"role": "user", "content": f"fix this python bug, my key is {SECRET}"}]
    engine = router.route_fast(messages)

    class Broken:
        def route(self, *args, **kwargs):
            raise RuntimeError("no receipt today")

    path = tmp_path / "events.jsonl"
    sink = EventSink(path, prompt_capture="redacted_preview")
    assert sink.record(prompt=messages, router=router, engine=engine, request_id="a", backend="local", status=200,
                       route_seconds=0.00001)
    assert sink.record(prompt=messages, router=Broken(), engine="fast_local", request_id="b", status=200)
    class BadReceipt:
        def to_dict(self):
            raise ValueError("damaged")

    assert sink.record(prompt=messages, decision=BadReceipt(), request_id="c")
    sink.close()
    rows = {r["request_id"]: r for r in _lines(path)}
    a = rows["a"]
    assert a["selected_engine"] == engine == "code_agent" and a["selected_target"] == "coding"
    assert a["fired_rules"] == ["coding"] and set(a["scores"]) == {"complexity", "risk", "confidence"}
    assert len(a["artifact_hash"]) >= 12 and a["flags"]["requires_confirmation"] is False
    assert rows["b"]["selected_engine"] == "fast_local" and rows["b"]["scores"] == {}
    assert SECRET not in path.read_text()
    # an event whose fields cannot be serialised is dropped alone, the rest of its batch is kept
    assert "c" not in rows and sink.status()["dropped"] == 1 and sink.status()["written"] == 2
    assert "could not be serialised" in sink.status()["warning"]


def test_rotation_without_backups_starts_a_fresh_file(tmp_path):
    path = tmp_path / "events.jsonl"
    appender = JsonlAppender(path, max_bytes=1000, backups=0)
    line = (json.dumps({"request_id": "x", "pad": "y" * 200}) + "\n").encode()
    for _ in range(12):
        appender.append(line)
    appender.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events.jsonl", "events.jsonl.lock"]
    assert 1 <= len(_lines(path)) <= 1000 // len(line)


def test_log_file_is_private(tmp_path):
    path = tmp_path / "events.jsonl"
    sink = EventSink(path, prompt_capture="off")
    sink.emit(_event())
    sink.close()
    assert path.stat().st_mode & 0o077 == 0


def _child_emits(sink, worker, count):
    for i in range(count):
        sink.emit(_event(f"{worker}-{i}"))
    sink.close()
    os._exit(0 if sink.status()["written"] == count else 3)


def test_a_sink_built_before_fork_works_in_every_worker(tmp_path):
    path = tmp_path / "events.jsonl"
    sink = EventSink(path, prompt_capture="off", max_bytes=30_000, backups=100)
    sink.emit(_event("parent"))
    assert sink.flush()  # the parent's thread and descriptors exist before the fork
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_child_emits, args=(sink, w, 300)) for w in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    sink.close()
    files = [p for p in tmp_path.iterdir() if not p.name.endswith(".lock")]
    assert len(files) > 3
    ids = [json.loads(line)["request_id"] for f in files for line in f.read_text().splitlines()]
    assert sorted(ids) == sorted(["req-parent"] + [f"req-{w}-{i}" for w in range(3) for i in range(300)])
