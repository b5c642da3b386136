"""OpenTelemetry traces through the real proxy, exported over OTLP/HTTP to an in-process
collector on loopback: one server span per request with its routing decision, one client span
per upstream attempt, refusals marked, and never a prompt, a message or a key on any span."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import anthropic
import httpx
import openai
import pytest
import yaml

from hrouter.server.config import ProxyConfigError, TelemetryConfig, config_from_data
from hrouter.server.telemetry import SCHEMA_URL, SEMCONV_VERSION, export_for, telemetry_problem
from hrouter.server.threaded import ThreadedServer

from .collector import KIND_CLIENT, KIND_SERVER, STATUS_ERROR, Collector
from .conftest import proxy_data, serving, standin_server, with_native
from .standins import messages_standin

PROXY_KEY = "proxy-key-7f3a9c1e"
BACKEND_KEY = "backend-key-51d0be2a"
#: in every prompt sent here, so a span carrying any part of one is found
MARKER = "quokkamarker"


@pytest.fixture(scope="module", autouse=True)
def _clean_environment():
    """The OTEL_* variables of whoever runs the tests must not steer these proxies."""
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("OTEL_")}
    os.environ["HROUTER_TEST_BACKEND_KEY"] = BACKEND_KEY
    yield
    os.environ.pop("HROUTER_TEST_BACKEND_KEY", None)
    os.environ.update(saved)


@pytest.fixture(scope="module")
def collector():
    c = Collector()
    with ThreadedServer(c.app) as server:
        c.url = server.url
        yield c


def traced(data: dict, collector: Collector, **telemetry) -> dict:
    data["telemetry"] = {"otlp_endpoint": collector.url, "export_delay_seconds": 0.05, **telemetry}
    return data


@pytest.fixture(scope="module")
def tproxy(standins, collector):
    data = traced(proxy_data({n: u for n, (u, _) in standins.items()}, api_key=PROXY_KEY), collector)
    data["backends"]["code"]["api_key_env"] = "HROUTER_TEST_BACKEND_KEY"
    data["backends"]["balanced"]["apis"] = ["chat", "embeddings", "completions"]
    with serving(data) as server:
        yield server


@pytest.fixture
def oai(tproxy, behaviours):
    with openai.OpenAI(base_url=f"{tproxy.url}/v1", api_key=PROXY_KEY, max_retries=0, timeout=10) as c:
        yield c


def user(text):
    return [{"role": "user", "content": f"{text} {MARKER}"}]


def chat(oai, text, **options):
    raw = oai.chat.completions.with_raw_response.create(model="hrouter", messages=user(text), **options)
    return raw, raw.headers["x-request-id"]


def test_a_routed_request_is_one_server_span_with_its_decision(oai, collector, standins):
    raw, rid = chat(oai, "fix the bug in this function")
    assert raw.headers["x-routed-backend"] == "code"
    server, clients = collector.trace_of(rid, clients=1)

    assert server.kind == KIND_SERVER and server.name == "chat hrouter"
    a = server.attributes
    assert a["gen_ai.operation.name"] == "chat" and a["gen_ai.provider.name"] == "openai"
    assert a["gen_ai.request.model"] == "hrouter"
    assert (a["hrouter.route"], a["hrouter.engine"], a["hrouter.backend"]) == ("coding", "code_agent", "code")
    assert a["hrouter.backend.model"] == "coder-model"
    assert a["hrouter.fired_rules"] == ["coding"]
    assert a["hrouter.refused"] is False and a["hrouter.fallback"] is False
    assert a["http.request.method"] == "POST" and a["http.route"] == "/v1/chat/completions"
    assert a["http.response.status_code"] == 200 and "error.type" not in a
    assert server.status_code != STATUS_ERROR
    assert server.schema_url == SCHEMA_URL and SEMCONV_VERSION in SCHEMA_URL
    assert server.resource["service.name"] == "hrouter" and len(server.resource["service.instance.id"]) == 36

    (client,) = clients
    assert client.kind == KIND_CLIENT and client.name == "chat coder-model"
    assert client.trace_id == server.trace_id
    c = client.attributes
    port = int(standins["code"][0].rsplit(":", 1)[1].split("/")[0])
    assert (c["server.address"], c["server.port"]) == ("127.0.0.1", port)
    assert c["url.full"] == f"http://127.0.0.1:{port}/v1/chat/completions"
    assert (c["gen_ai.operation.name"], c["gen_ai.provider.name"], c["gen_ai.request.model"]) == \
        ("chat", "openai", "coder-model")
    assert c["http.response.status_code"] == 200 and "error.type" not in c and client.status_code != STATUS_ERROR
    assert (c["hrouter.backend"], c["hrouter.attempt"]) == ("code", 0)
    assert server.start_ns <= client.start_ns <= client.end_ns <= server.end_ns


def test_a_fallback_after_a_5xx_is_one_client_span_per_attempt(oai, collector, behaviours):
    behaviours["code"].status = 503  # code falls back to reasoning
    raw, rid = chat(oai, "fix the bug in this function")
    assert raw.headers["x-routed-backend"] == "reasoning"
    server, clients = collector.trace_of(rid, clients=2)
    assert len(clients) == 2
    assert server.attributes["hrouter.backend"] == "reasoning" and server.attributes["hrouter.fallback"] is True
    failed, answered = clients
    assert failed.name == "chat coder-model" and failed.attributes["hrouter.backend"] == "code"
    assert failed.attributes["http.response.status_code"] == 503 and failed.attributes["error.type"] == "503"
    assert failed.status_code == STATUS_ERROR
    assert answered.name == "chat thinker-model" and answered.attributes["hrouter.attempt"] == 1
    assert answered.attributes["http.response.status_code"] == 200 and answered.status_code != STATUS_ERROR
    assert failed.end_ns <= answered.start_ns


def test_an_unreachable_backend_is_a_failed_attempt_span(tproxy, collector, behaviours):
    # vision's backend is down (nothing listens), so balanced answers
    content = [{"type": "text", "text": f"what is in this picture {MARKER}"},
               {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]
    r = httpx.post(f"{tproxy.url}/v1/chat/completions", headers={"authorization": f"Bearer {PROXY_KEY}"},
                   json={"model": "hrouter", "messages": [{"role": "user", "content": content}]}, timeout=10)
    assert r.status_code == 200
    server, (down, balanced) = collector.trace_of(r.headers["x-request-id"], clients=2)
    assert server.attributes["hrouter.engine"] == "multimodal_vision"
    assert down.attributes["hrouter.backend"] == "down" and down.attributes["error.type"] == "unreachable"
    assert down.status_code == STATUS_ERROR and "http.response.status_code" not in down.attributes
    assert "cannot connect" in down.status_message
    assert balanced.attributes["hrouter.backend"] == "balanced" and balanced.attributes["http.response.status_code"] == 200


def test_a_refused_request_says_so_and_is_never_forwarded(oai, collector, behaviours):
    with pytest.raises(openai.ConflictError) as refused:
        oai.chat.completions.create(model="hrouter", messages=user("please delete the staging logs"))
    error = refused.value.body  # the SDK hands over the `error` object
    rid = refused.value.response.headers["x-request-id"]
    server, clients = collector.trace_of(rid)
    a = server.attributes
    assert a["hrouter.refused"] is True and a["hrouter.engine"] == "human_confirm"
    assert a["http.response.status_code"] == 409 and server.status_code != STATUS_ERROR  # not the proxy's fault
    assert a["hrouter.fired_rules"] == error["fired_rules"] == ["destructive"]
    assert a["hrouter.confirmation.id"] == error["confirmation"]["id"]
    assert "hrouter.backend" not in a and clients == []
    assert not any(b.received for b in behaviours.values())


def test_an_approved_resend_names_the_approval_it_redeemed(oai, collector, behaviours):
    messages = user("please delete the staging logs")
    with pytest.raises(openai.ConflictError) as refused:
        oai.chat.completions.create(model="hrouter", messages=messages)
    confirmation = refused.value.body["confirmation"]
    approved = httpx.post(confirmation["approve_url"], json={}, headers={"authorization": f"Bearer {PROXY_KEY}"})
    assert approved.status_code == 200
    raw = oai.chat.completions.with_raw_response.create(
        model="hrouter", messages=messages, extra_headers={"X-Hrouter-Confirmation": confirmation["id"]})
    server, (attempt,) = collector.trace_of(raw.headers["x-request-id"], clients=1)
    a = server.attributes
    assert a["hrouter.confirmation.id"] == confirmation["id"] and a["hrouter.refused"] is False
    assert a["hrouter.engine"] != "human_confirm" and a["hrouter.backend"] == attempt.attributes["hrouter.backend"]
    assert a["http.response.status_code"] == 200


def test_an_ordinary_request_is_not_refused(oai, collector):
    _, rid = chat(oai, "hello there")
    server, _ = collector.trace_of(rid, clients=1)
    assert server.attributes["hrouter.refused"] is False and server.attributes["hrouter.engine"] == "fast_local"


def test_a_stream_attempt_span_lasts_until_the_stream_ends(oai, collector, behaviours):
    behaviours["code"].chunk_delay = 0.1
    raw, rid = chat(oai, "fix the failing tests", stream=True)
    assert len([c for c in raw.parse() if c.choices]) >= 3
    server, (client,) = collector.trace_of(rid, clients=1)
    assert client.end_ns - client.start_ns >= 250_000_000  # three chunks 0.1 s apart, not the headers alone
    assert client.attributes["http.response.status_code"] == 200 and client.status_code != STATUS_ERROR
    assert server.end_ns >= client.end_ns


def test_a_stream_cut_off_marks_its_attempt_failed(oai, collector, behaviours):
    behaviours["code"].die_after = 1
    raw, rid = chat(oai, "fix the failing tests", stream=True)
    with pytest.raises(openai.APIError):
        for _ in raw.parse():
            pass
    _, (client,) = collector.trace_of(rid, clients=1)
    assert client.attributes["error.type"] == "protocol" and client.status_code == STATUS_ERROR


def test_embeddings_and_completions_are_their_own_operations(oai, collector):
    raw = oai.embeddings.with_raw_response.create(model="hrouter", input=f"index this {MARKER}")
    server, (attempt,) = collector.trace_of(raw.headers["x-request-id"], clients=1)
    assert server.name == "embeddings hrouter" and server.attributes["gen_ai.operation.name"] == "embeddings"
    assert (server.attributes["hrouter.engine"], server.attributes["hrouter.backend"]) == ("embeddings", "balanced")
    assert "hrouter.route" not in server.attributes
    assert attempt.name == "embeddings mid-model" and attempt.attributes["gen_ai.operation.name"] == "embeddings"

    raw = oai.completions.with_raw_response.create(model="hrouter", prompt=f"what should I cook tonight {MARKER}")
    server, (attempt,) = collector.trace_of(raw.headers["x-request-id"], clients=1)
    assert server.name == "text_completion hrouter" and server.attributes["hrouter.backend"] == "balanced"
    assert attempt.name == "text_completion mid-model" and attempt.attributes["url.full"].endswith("/v1/completions")


def test_no_span_carries_a_prompt_a_message_or_a_key(tproxy, oai, collector, behaviours):
    ids = []
    ids.append(chat(oai, "fix the bug in this function")[1])  # backend code sends BACKEND_KEY
    ids.append(oai.chat.completions.with_raw_response.create(model="hrouter", messages=[
        {"role": "system", "content": f"you are terse {MARKER}"},
        {"role": "user", "content": f"what should I cook tonight {MARKER}"},
        {"role": "assistant", "content": f"pasta {MARKER}"},
        {"role": "user", "content": f"and for dessert {MARKER}"}]).headers["x-request-id"])
    with pytest.raises(openai.ConflictError) as refused:
        oai.chat.completions.create(model="hrouter", messages=user("please delete the staging logs"))
    ids.append(refused.value.response.headers["x-request-id"])
    r = httpx.post(f"{tproxy.url}/v1/chat/completions", headers={"authorization": f"Bearer {PROXY_KEY}",
                                                                 "content-type": "application/json"},
                   content=b'{"model": "hrouter", "messages": [{"role": "user", "content": "' + MARKER.encode() + b'"')
    assert r.status_code == 400
    ids.append(r.headers["x-request-id"])
    for rid in ids:
        collector.trace_of(rid)
    assert behaviours["code"].received[0]["messages"][0]["content"].endswith(MARKER)  # the backend did get it

    assert collector.spans
    for span in collector.spans:
        for text in span.texts():
            assert MARKER not in text and PROXY_KEY not in text and BACKEND_KEY not in text, (span.name, text)
        assert not [k for k in span.attributes if "message" in k or "prompt" in k or "content" in k], span.name


def test_only_model_api_requests_are_traced(tproxy, oai, collector):
    health = httpx.get(f"{tproxy.url}/health", headers={"x-request-id": "health-probe-1"}, timeout=10)
    models = httpx.get(f"{tproxy.url}/v1/models", headers={"authorization": f"Bearer {PROXY_KEY}",
                                                         "x-request-id": "models-probe-1"}, timeout=10)
    assert health.status_code == models.status_code == 200
    _, rid = chat(oai, "hello there")
    collector.trace_of(rid, clients=1)  # exported after the probes, which would have come first
    assert not [s for s in collector.spans if s.attributes.get("hrouter.request.id") in ("health-probe-1", "models-probe-1")]


def test_an_agents_trace_context_is_the_parent_and_reaches_the_backend(standins, collector):
    """The Messages API: provider anthropic on both spans, traceparent in and out."""
    parent_trace, parent_span = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    with standin_server(messages_standin) as (native_url, native):
        with serving(traced(with_native(standins, native_url, ["messages"]), collector)) as server:
            client = anthropic.Anthropic(base_url=server.url, api_key="unused", max_retries=0, timeout=10)
            raw = client.messages.with_raw_response.create(
                model="claude-sonnet-4-5", max_tokens=64,
                messages=[{"role": "user", "content": f"fix the bug in this function {MARKER}"}],
                extra_headers={"traceparent": f"00-{parent_trace}-{parent_span}-01"})
            assert raw.headers["x-routed-backend"] == "native"
            server_span, (attempt,) = collector.trace_of(raw.headers["x-request-id"], clients=1)
    assert server_span.trace_id == parent_trace and server_span.parent_id == parent_span
    assert server_span.name == "chat claude-sonnet-4-5"
    assert server_span.attributes["gen_ai.provider.name"] == "anthropic"
    assert server_span.attributes["http.route"] == "/v1/messages"
    assert attempt.name == "chat native-model" and attempt.attributes["gen_ai.provider.name"] == "anthropic"
    assert attempt.attributes["url.full"].endswith("/v1/messages")
    sent = native.received[0]["_headers"]["traceparent"]
    assert sent == f"00-{parent_trace}-{attempt.span_id}-01"


def test_the_standard_environment_variables_turn_it_on(standins, collector, monkeypatch):
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.url + "/")
    monkeypatch.setenv("OTEL_SERVICE_NAME", "hrouter-fleet-a")
    data = proxy_data({n: u for n, (u, _) in standins.items()})
    data["telemetry"] = {"export_delay_seconds": 0.05}  # no endpoint in the file
    with serving(data) as server:
        r = httpx.post(f"{server.url}/v1/chat/completions", timeout=10,
                       json={"model": "hrouter", "messages": user("hello there")})
        assert r.status_code == 200
        span, _ = collector.trace_of(r.headers["x-request-id"], clients=1)
    assert span.resource["service.name"] == "hrouter-fleet-a"


def test_where_traces_go():
    assert export_for(TelemetryConfig(), {}) is None  # off by default
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}
    assert export_for(TelemetryConfig(), env).traces_url == "http://collector:4318/v1/traces"
    only_traces = {**env, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://other:4318/custom"}
    assert export_for(TelemetryConfig(), only_traces).traces_url == "http://other:4318/custom"
    configured = export_for(TelemetryConfig(otlp_endpoint="https://c.example:4318/v1/traces"), only_traces)
    assert (configured.traces_url, configured.source) == ("https://c.example:4318/v1/traces", "$.telemetry.otlp_endpoint")
    assert export_for(TelemetryConfig(otlp_endpoint="http://c:4318"), {"OTEL_SDK_DISABLED": "true"}) is None
    assert "not an http(s) URL" in telemetry_problem(TelemetryConfig(), {"OTEL_EXPORTER_OTLP_ENDPOINT": "c:4318"})
    assert telemetry_problem(TelemetryConfig(otlp_endpoint="http://c:4318"), {}) is None  # the extra is installed


def test_the_config_keys_are_checked(standins):
    data = proxy_data({n: u for n, (u, _) in standins.items()})
    with pytest.raises(ProxyConfigError) as bad:
        config_from_data({**data, "telemetry": {"otlp_endpoint": "collector:4318", "export_delay_seconds": 0}})
    assert any(p.startswith("$.telemetry.otlp_endpoint:") for p in bad.value.problems)
    assert any(p.startswith("$.telemetry.export_delay_seconds:") for p in bad.value.problems)
    with pytest.raises(ProxyConfigError) as unknown:
        config_from_data({**data, "telemetry": {"endpoint": "http://collector:4318"}})
    assert "endpoint" in str(unknown.value) and "telemetry" in str(unknown.value)


def _without_otel_environment(tmp_path) -> dict[str, str]:
    """An environment where `import opentelemetry` fails, as without the otel extra."""
    shadow = tmp_path / "shadow" / "opentelemetry"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('simulated: the otel extra is not installed')\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env["PYTHONPATH"] = os.pathsep.join([str(shadow.parent), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def test_without_the_extra_an_endpoint_is_refused_with_a_sentence(standins, tmp_path):
    data = proxy_data({n: u for n, (u, _) in standins.items()})
    data["telemetry"] = {"otlp_endpoint": "http://127.0.0.1:4318"}
    config = tmp_path / "routing_proxy.yaml"
    config.write_text(yaml.safe_dump(data))
    env = _without_otel_environment(tmp_path)
    cli = [sys.executable, "-m", "hrouter.cli"]

    served = subprocess.run([*cli, "serve", "--config", str(config), "--port", "0"], env=env, capture_output=True,
                            text=True, timeout=60)
    assert served.returncode == 2, served.stderr
    assert "$.telemetry.otlp_endpoint asks for OpenTelemetry traces" in served.stderr
    assert "pip install 'hrouter[otel]'" in served.stderr and "Traceback" not in served.stderr

    checked = subprocess.run([*cli, "validate-proxy-config", "--config", str(config)], env=env, capture_output=True,
                             text=True, timeout=120)
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert "the otel extra is not installed" in checked.stderr and "Traceback" not in checked.stderr

    # The same file without the endpoint serves no telemetry and needs no extra.
    data.pop("telemetry")
    config.write_text(yaml.safe_dump(data))
    fine = subprocess.run([*cli, "validate-proxy-config", "--config", str(config)], env=env, capture_output=True,
                          text=True, timeout=120)
    assert fine.returncode == 0, fine.stderr
    assert "traces off" in fine.stdout


def test_off_by_default_the_proxy_loads_no_opentelemetry(standins, tmp_path):
    data = proxy_data({n: u for n, (u, _) in standins.items()})
    script = textwrap.dedent(f"""
        import sys
        from hrouter.server.app import create_app
        from hrouter.server.config import config_from_data
        app = create_app(config_from_data({data!r}), router=object())
        assert app.state.proxy.tracing is None
        assert not [m for m in sys.modules if m.startswith("opentelemetry")], sorted(sys.modules)
        assert "hrouter.server.tracing" not in sys.modules
        print("no telemetry")
    """)
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    ran = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert ran.returncode == 0 and ran.stdout.strip() == "no telemetry", ran.stderr
