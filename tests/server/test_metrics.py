"""The /metrics text (as prometheus_client writes it) checked by a small, strict parser of the
Prometheus text format (0.0.4)."""

import math
import re
import threading

import pytest

from hrouter.server.metrics import RouterMetrics

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL_VALUE = r'"(?:[^"\\\n]|\\[\\n"])*"'
LABELS = rf"\{{(?:[a-zA-Z_][a-zA-Z0-9_]*={LABEL_VALUE}(?:,[a-zA-Z_][a-zA-Z0-9_]*={LABEL_VALUE})*)?\}}"
VALUE = r"(?:[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|[+-]Inf|NaN)"
SAMPLE = re.compile(rf"^({NAME})({LABELS})? ({VALUE})$")
HELP = re.compile(rf"^# HELP ({NAME}) (.*)$")
TYPE = re.compile(rf"^# TYPE ({NAME}) (counter|gauge|histogram|summary|untyped)$")
PAIR = re.compile(rf"([a-zA-Z_][a-zA-Z0-9_]*)=({LABEL_VALUE})")


def _unescape(quoted: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), quoted[1:-1])


def parse(text: str) -> dict:
    """family name -> {"type", "help", "samples": [(name, labels, value)]}; raises on any error."""
    assert text.endswith("\n"), "exposition ends with a newline"
    families: dict = {}
    current = None
    for number, line in enumerate(text.rstrip("\n").split("\n"), 1):
        if m := HELP.match(line):
            assert m.group(1) not in families, f"line {number}: second HELP for {m.group(1)}"
            current = families[m.group(1)] = {"help": m.group(2), "type": None, "samples": []}
            continue
        if m := TYPE.match(line):
            assert current is families.get(m.group(1)), f"line {number}: TYPE without its HELP"
            assert current["type"] is None and not current["samples"], f"line {number}: TYPE after samples"
            current["type"] = m.group(2)
            continue
        m = SAMPLE.match(line)
        assert m, f"line {number}: not a valid sample: {line!r}"
        name, labels, value = m.group(1), m.group(2) or "", m.group(3)
        assert current is not None and current["type"], f"line {number}: sample before HELP/TYPE"
        family = [k for k, v in families.items() if v is current][0]
        allowed = {family} if current["type"] != "histogram" else {f"{family}_bucket", f"{family}_sum", f"{family}_count"}
        assert name in allowed, f"line {number}: {name} outside its family {family}"
        parsed = {k: _unescape(v) for k, v in PAIR.findall(labels)}
        current["samples"].append((name, parsed, float(value.replace("Inf", "inf"))))
    for name, family in families.items():
        if family["type"] == "counter":
            assert name.endswith("_total")
            assert all(v >= 0 for _, _, v in family["samples"])
        if family["type"] == "histogram":
            _check_histogram(name, family["samples"])
    return families


def _check_histogram(name, samples):
    series: dict = {}
    for sample_name, labels, value in samples:
        key = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
        series.setdefault(key, {"buckets": [], "sum": None, "count": None})
        if sample_name.endswith("_bucket"):
            series[key]["buckets"].append((float(labels["le"].replace("Inf", "inf")), value))
        elif sample_name.endswith("_sum"):
            series[key]["sum"] = value
        else:
            series[key]["count"] = value
    for key, s in series.items():
        bounds = [b for b, _ in s["buckets"]]
        counts = [c for _, c in s["buckets"]]
        assert bounds == sorted(bounds) and math.isinf(bounds[-1]), f"{name}{key}: buckets end with +Inf"
        assert counts == sorted(counts), f"{name}{key}: buckets are cumulative"
        assert counts[-1] == s["count"], f"{name}{key}: +Inf bucket equals _count"
        assert s["sum"] is not None


def _value(families, family, sample=None, **labels):
    for name, lab, value in families[family]["samples"]:
        if name == (sample or family) and all(lab.get(k) == v for k, v in labels.items()):
            return value
    raise KeyError((family, sample, labels))


def test_router_metrics_exposition_parses_and_counts():
    m = RouterMetrics()
    m.observe_request("fast_local", "local", 200, route_seconds=0.00003, upstream_seconds=0.8)
    m.observe_request("fast_local", "local", 200, route_seconds=0.0002, upstream_seconds=3.0)
    m.observe_request("code_agent", "cloud", 200, route_seconds=0.0001, upstream_seconds=12.0, fallback=True)
    m.observe_request("human_confirm", None, 409, route_seconds=0.00005)
    m.observe_request("fast_local", "local", 502, route_seconds=0.0001, upstream_seconds=0.01)
    m.observe_reload(True)
    m.observe_reload(False)
    m.observe_reload(True)
    fams = parse(m.render())

    assert _value(fams, "hrouter_requests_total", engine="fast_local", backend="local", status="200") == 2
    assert _value(fams, "hrouter_requests_total", engine="human_confirm", backend="none", status="409") == 1
    assert _value(fams, "hrouter_requests_total", status="502") == 1
    assert _value(fams, "hrouter_confirmation_required_total") == 1
    assert _value(fams, "hrouter_fallbacks_total", backend="cloud") == 1
    assert _value(fams, "hrouter_reloads_total", result="success") == 2
    assert _value(fams, "hrouter_reloads_total", result="failure") == 1

    route = "hrouter_routing_latency_seconds"
    assert fams[route]["type"] == "histogram"
    assert _value(fams, route, f"{route}_count") == 5
    assert _value(fams, route, f"{route}_bucket", le="5e-05") == 2
    assert _value(fams, route, f"{route}_sum") == pytest.approx(0.00048)
    up = "hrouter_upstream_latency_seconds"
    assert _value(fams, up, f"{up}_count", backend="local") == 3
    assert _value(fams, up, f"{up}_bucket", backend="local", le="1.0") == 2
    assert _value(fams, up, f"{up}_bucket", backend="cloud", le="10.0") == 0
    assert _value(fams, up, f"{up}_bucket", backend="cloud", le="+Inf") == 1


def test_empty_metrics_still_parse():
    fams = parse(RouterMetrics().render())
    assert _value(fams, "hrouter_confirmation_required_total") == 0
    assert _value(fams, "hrouter_routing_latency_seconds", "hrouter_routing_latency_seconds_count") == 0
    assert fams["hrouter_requests_total"]["samples"] == []


def test_label_values_are_escaped():
    m = RouterMetrics()
    m.observe_request('we"ird\\name\nx', "local", 200)
    fams = parse(m.render())
    assert _value(fams, "hrouter_requests_total", backend="local") == 1
    assert fams["hrouter_requests_total"]["samples"][0][1]["engine"] == 'we"ird\\name\nx'


def test_created_series_are_not_exposed():
    """prometheus_client adds a `_created` gauge per series unless told not to; the proxy's
    exposition never had them."""
    m = RouterMetrics()
    m.observe_request("fast_local", "local", 200, route_seconds=0.001)
    text = m.render()
    assert "_created" not in text
    assert set(parse(text)) == {
        "hrouter_requests_total", "hrouter_confirmation_required_total", "hrouter_confirmations_total",
        "hrouter_tool_hook_decisions_total", "hrouter_fallbacks_total", "hrouter_routing_latency_seconds",
        "hrouter_upstream_latency_seconds", "hrouter_reloads_total", "hrouter_routing_events_dropped_total",
        "hrouter_http_responses_total",
    }


def test_two_instances_count_separately():
    """Each app in a process (the in-process tests build many) has a registry of its own."""
    a, b = RouterMetrics(), RouterMetrics()
    a.observe_response("/health", 200)
    a.observe_response("/health", 200)
    b.observe_response("/health", 200)
    assert _value(parse(a.render()), "hrouter_http_responses_total", route="/health", status="200") == 2
    assert _value(parse(b.render()), "hrouter_http_responses_total", route="/health", status="200") == 1


def test_counting_is_thread_safe():
    m = RouterMetrics()

    def work():
        for _ in range(5000):
            m.observe_request("fast_local", "local", 200, route_seconds=0.0002, upstream_seconds=0.5)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    fams = parse(m.render())
    assert _value(fams, "hrouter_requests_total", engine="fast_local", status="200") == 20000
    up = "hrouter_upstream_latency_seconds"
    assert _value(fams, up, f"{up}_bucket", backend="local", le="1.0") == 20000
    assert _value(fams, up, f"{up}_bucket", backend="local", le="0.25") == 0


def test_events_dropped_counter_follows_the_sink_total():
    m = RouterMetrics()
    m.set_events_dropped(3)
    m.set_events_dropped(3)
    m.set_events_dropped(5)
    assert _value(parse(m.render()), "hrouter_routing_events_dropped_total") == 5


# -- a real server on loopback: the integration surface the proxy uses ------------------------


def _tiny_proxy(log_path):
    """A minimal app wired exactly as docs/tuning.md tells the proxy to wire events and metrics."""
    import contextlib
    import time as _time

    from starlette.applications import Starlette
    from starlette.responses import JSONResponse, PlainTextResponse
    from starlette.routing import Route

    from hrouter.server.events import EventSink
    from hrouter.server.metrics import CONTENT_TYPE

    from pathlib import Path

    from hrouter.engine.router import ModelRouter

    data = Path(__file__).parents[1] / "tuning" / "data"
    router = ModelRouter.from_config(str(data / "catalog.yaml"), rules=str(data / "rules_old"))
    sink = EventSink.from_config(
        {"enabled": True, "log_path": str(log_path), "max_bytes": 4000, "backups": 50, "prompt_capture": "redacted_preview"}
    )
    metrics = RouterMetrics()

    async def chat(request):
        started = _time.perf_counter()
        body = await request.json()
        messages = body["messages"]
        engine = router.route_fast(messages)
        route_s = _time.perf_counter() - started
        status, backend = (409, None) if engine == "human_confirm" else (200, "local")
        upstream_s = 0.002 if backend else None
        sink.record(
            prompt=messages, router=router, engine=engine, request_id=body["id"], backend=backend, status=status,
            route_seconds=route_s, upstream_seconds=upstream_s, total_seconds=_time.perf_counter() - started,
        )
        metrics.observe_request(engine, backend, status, route_s, upstream_s, fallback=False)
        return JSONResponse({"engine": engine}, status_code=status)

    async def metrics_endpoint(request):
        metrics.set_events_dropped(sink.status()["dropped"])
        return PlainTextResponse(metrics.render(), media_type=CONTENT_TYPE)

    async def health(request):
        return JSONResponse({"events": sink.status()})

    @contextlib.asynccontextmanager
    async def lifespan(app):
        sink.start()
        yield
        await sink.aclose()

    return Starlette(
        routes=[Route("/v1/chat/completions", chat, methods=["POST"]), Route("/metrics", metrics_endpoint),
                Route("/health", health)],
        lifespan=lifespan,
    )


def test_real_server_on_loopback_writes_events_and_serves_metrics(tmp_path):
    import asyncio
    import json
    import threading
    import time

    import httpx
    import uvicorn

    log = tmp_path / "events.jsonl"
    server = uvicorn.Server(uvicorn.Config(_tiny_proxy(log), host="127.0.0.1", port=0, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    port = server.servers[0].sockets[0].getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    secret = "password=Hunter2Hunter2 and mail boss@corp.example"
    try:
        async def traffic():
            async with httpx.AsyncClient(base_url=base, timeout=10) as client:
                async def one(i):
                    text = f"delete the old backups {i} {secret}" if i % 5 == 0 else f"say hello {i} {secret}"
                    # rules_old: deleting backups needs confirmation, a greeting goes to fast_local
                    msgs = [{"role": "user", "content": text}]
                    return (await client.post("/v1/chat/completions", json={"id": f"req-{i}", "messages": msgs})).status_code
                return await asyncio.gather(*(one(i) for i in range(100)))

        statuses = asyncio.run(traffic())
        assert statuses.count(409) == 20 and statuses.count(200) == 80
        fams = parse(httpx.get(f"{base}/metrics").text)
        assert _value(fams, "hrouter_confirmation_required_total") == 20
        assert _value(fams, "hrouter_requests_total", engine="fast_local", backend="local", status="200") == 80
        assert _value(fams, "hrouter_routing_latency_seconds", "hrouter_routing_latency_seconds_count") == 100
        assert httpx.get(f"{base}/health").json()["events"]["ok"] is True
    finally:
        server.should_exit = True
        thread.join(10)
    # shutdown flushed every queued event; rotation kept whole lines across files
    files = sorted(p for p in tmp_path.iterdir() if p.name.startswith("events.jsonl") and not p.name.endswith(".lock"))
    assert len(files) > 1
    rows = [json.loads(line) for f in files for line in f.read_text().splitlines()]
    assert sorted(r["request_id"] for r in rows) == sorted(f"req-{i}" for i in range(100))
    raw = "".join(f.read_text() for f in files)
    assert "Hunter2Hunter2" not in raw and "boss@corp.example" not in raw
    assert all("prompt" not in r and r["prompt_preview"] for r in rows)
    confirmed = [r for r in rows if r["status"] == 409]
    assert len(confirmed) == 20
    assert all(r["selected_target"] == "confirmation" and r["fired_rules"] == ["destroy"] for r in confirmed)
