"""Fault and abuse suite: hostile probes against a real proxy with the packaged rules, while an
ordinary client keeps sending small chat requests.

Figures (printed, and asserted):
- probes tried;
- answers that were not well-formed JSON in the error shape (target 0);
- small requests delayed by an abusive one: latency above the quiet baseline's median by more
  than 100 ms during the probes (target 0), and the worst such delay, each with the probes
  that were in flight; against the same count in quiet control periods of the same client, as
  long as the abuse (noise on a shared CI machine affects both alike);
- bytes the app read past any body limit (measured by counting what the app receives).

Also issue 9 item 8: a 1 MB risky body (routed to a refusal) must not stall other requests; nor
must 1 MB of distinct sentences, which takes seconds to route (in the routing worker process).
"""

from __future__ import annotations

import json
import random
import socket
import statistics
import threading
import time

import httpx
import pytest

from hrouter.server.app import create_app
from hrouter.server.config import config_from_data
from hrouter.server.threaded import ThreadedServer

from .conftest import proxy_data

LIMIT = 2 * 1024 * 1024
TIMEOUT = 1.0
CHAT = "/v1/chat/completions"
#: the target: an abusive request delays no other request by more than this
DELAY = 0.1


class ReadCounter:
    """Measurement only: the bytes of body each request delivered to the app."""

    def __init__(self, app):
        self.app = app
        self.state = app.state
        self.read: list[tuple[str, int]] = []

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        entry = [scope["path"], 0]

        async def counting():
            message = await receive()
            entry[1] += len(message.get("body", b""))
            return message

        try:
            await self.app(scope, counting, send)
        finally:
            self.read.append(tuple(entry))


@pytest.fixture(scope="module")
def abused(standins, tmp_path_factory):
    data = proxy_data({n: u for n, (u, _) in standins.items()}, max_body_bytes=LIMIT,
                      header_timeout_seconds=TIMEOUT, body_timeout_seconds=TIMEOUT)
    del data["rules"]  # the packaged rules: the ones a 1 MB prompt is slow to judge
    data["observability"] = {"enabled": True, "log_path": str(tmp_path_factory.mktemp("log") / "events.jsonl")}
    counter = ReadCounter(create_app(config_from_data(data, "abuse")))
    with ThreadedServer(counter) as server:
        yield server, counter


def exchange(url: str, request: bytes, trickle: float = 0.0, timeout: float = 10.0, prefix: int = 20) -> bytes:
    """Send raw bytes (a byte per `trickle` seconds after the first `prefix` when set); read to close."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        try:
            if trickle:
                s.sendall(request[:prefix])
                for i in range(prefix, len(request)):
                    s.sendall(request[i:i + 1])
                    time.sleep(trickle)
            else:
                s.sendall(request)
        except OSError:
            pass  # the server closed first: what it answered is still read below
        data = b""
        try:
            while chunk := s.recv(65536):
                data += chunk
        except OSError:
            pass
        return data


def http(method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None,
         content_type: str | None = "application/json") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    if content_type:
        lines.append(f"Content-Type: {content_type}")
    hdrs = {"Content-Length": str(len(body)), **(headers or {})}
    lines += [f"{k}: {v}" for k, v in hdrs.items() if v is not None]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def chat_body(text: str = "hello", **extra) -> bytes:
    return json.dumps({"model": "hrouter", "messages": [{"role": "user", "content": text}], **extra}).encode()


RISKY_1MB = ("please delete all the production databases now. " * 21000)[: 1024 * 1024]
RISKY_SENTENCE = "Then delete all the production databases now."


def varied_text(size: int = 1024 * 1024, seed: int = 14) -> str:
    """A pasted document's worth of distinct sentences (each word a made-up "zq..." no rule
    knows) with one risky order in the middle: every clause is new to the scan, the costly case,
    and the order must still be found."""
    rnd = random.Random(seed)
    words = ["zq" + "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rnd.randint(2, 8)))
             for _ in range(5000)]
    sentences, n = [], 0
    while n < size:
        sentence = " ".join(rnd.choice(words) for _ in range(rnd.randint(6, 14))).capitalize() + "."
        sentences.append(sentence)
        n += len(sentence) + 1
    sentences.insert(len(sentences) // 2, RISKY_SENTENCE)
    return " ".join(sentences)[:size]


VARIED_1MB = varied_text()
PROBES = {
    "text/plain body": lambda: http("POST", CHAT, chat_body(), content_type="text/plain"),
    "form body": lambda: http("POST", CHAT, b"a=1", content_type="application/x-www-form-urlencoded"),
    "no content type": lambda: http("POST", CHAT, chat_body(), content_type=None),
    "web page origin": lambda: http("POST", CHAT, chat_body(), {"Origin": "https://evil.example"}),
    "rebinding host": lambda: http("POST", CHAT, chat_body()).replace(b"Host: 127.0.0.1", b"Host: evil.example"),
    "NaN": lambda: http("POST", CHAT, chat_body().replace(b'"hello"}]', b'"hello"}],"temperature":NaN')),
    "Infinity": lambda: http("POST", CHAT, chat_body().replace(b'"hello"}]', b'"hello"}],"top_p":-Infinity')),
    "1e400": lambda: http("POST", CHAT, chat_body().replace(b'"hello"}]', b'"hello"}],"temperature":1e400')),
    "nested 100k deep": lambda: http("POST", CHAT, b'{"messages":' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
    "lone surrogate": lambda: http("POST", CHAT, chat_body().replace(b"hello", b"hel\\ud800lo")),
    "lone surrogate in a refusal": lambda: http("POST", CHAT, chat_body("delete all production data \\udfff")
                                                .replace(b"\\\\udfff", b"\\udfff")),
    "stream as a string": lambda: http("POST", CHAT, chat_body(stream="true")),
    "n huge": lambda: http("POST", CHAT, chat_body(n=1_000_000)),
    "max_tokens huge": lambda: http("POST", CHAT, chat_body(max_tokens=10**15)),
    "invalid JSON": lambda: http("POST", CHAT, b"{not json"),
    "empty body": lambda: http("POST", CHAT, b""),
    "JSON array": lambda: http("POST", CHAT, b"[1,2]"),
    "invalid UTF-8": lambda: http("POST", CHAT, b'{"messages":"\xff\xfe"}'),
    "unknown path": lambda: http("GET", "/admin"),
    "wrong method": lambda: http("DELETE", CHAT),
    "Content-Length and chunked": lambda: http("POST", CHAT, b"5\r\nhello\r\n0\r\n\r\n",
                                              {"Transfer-Encoding": "chunked", "Content-Length": "5"}),
    "declared oversized": lambda: http("POST", CHAT, b"x" * (LIMIT + 4096)),
    "chunked oversized": lambda: http("POST", CHAT, b"".join(b"%x\r\n" % 65536 + b"x" * 65536 + b"\r\n"
                                                             for _ in range(LIMIT // 65536 + 4)) + b"0\r\n\r\n",
                                      {"Transfer-Encoding": "chunked", "Content-Length": None}),
    "lying content length": lambda: http("POST", CHAT, b'{"a":1}', {"Content-Length": "3"}),
    "garbage request line": lambda: b"HELLO WORLD\r\n\r\n",
    "header too large": lambda: http("GET", "/v1/models", headers={"X-Big": "a" * 70_000}),
    "1 MB risky body": lambda: http("POST", CHAT, chat_body(RISKY_1MB)),
    "1 MB varied body": lambda: http("POST", CHAT, chat_body(VARIED_1MB)),
}
SLOW_BODY = http("POST", CHAT, chat_body("x" * 2000))
TRICKLED = {  # (request, seconds per byte, bytes sent at once first)
    "slow headers": lambda: (b"GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 400, 0.01, 20),
    "slow body": lambda: (SLOW_BODY, 0.01, SLOW_BODY.index(b"\r\n\r\n") + 4),
}


def well_formed_error(answer: bytes) -> bool:
    head, _, body = answer.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 4") and not head.startswith(b"HTTP/1.1 5"):
        return True  # a success is the backend's answer, or a closed connection (slow headers)
    try:
        error = json.loads(body)["error"]
        return isinstance(error["message"], str) and isinstance(error["request_id"], str)
    except (ValueError, KeyError, TypeError):
        return False


class SmallClient(threading.Thread):
    """Small chat requests back to back; latencies by the time they started."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url, self.samples, self.stop = url, [], threading.Event()

    def run(self) -> None:
        body = {"model": "hrouter", "messages": [{"role": "user", "content": "what is a linked list"}]}
        with httpx.Client(base_url=self.url, timeout=30) as c:
            while not self.stop.is_set():
                started = time.perf_counter()
                assert c.post(CHAT, json=body).status_code == 200
                self.samples.append((started, time.perf_counter() - started))
                time.sleep(0.005)


def test_fault_and_abuse_suite(abused, behaviours, capsys):
    server, counter = abused
    started = time.monotonic()
    client = SmallClient(server.url)
    client.start()
    time.sleep(2.0)  # the baseline: the client alone
    quiet_until = time.perf_counter()
    answers: dict[str, bytes] = {}
    windows: list[tuple[str, float, float]] = []  # (probe, sent, answered)
    for name, probe in PROBES.items():
        request, sent = probe(), time.perf_counter()
        answers[name] = exchange(server.url, request)
        windows.append((name, sent, time.perf_counter()))
    for name, probe in TRICKLED.items():
        (request, pace, prefix), sent = probe(), time.perf_counter()
        answers[name] = exchange(server.url, request, trickle=pace, prefix=prefix)
        windows.append((name, sent, time.perf_counter()))
    abuse_until = time.perf_counter()
    # The control: the client alone again, as long as the abuse lasted, so the machine's own
    # noise (a shared CI box) gets the same chance to show in it.
    time.sleep(min(abuse_until - quiet_until, 15.0))
    client.stop.set()
    client.join()

    before = [s for t, s in client.samples if t < quiet_until]
    during = [(t, s) for t, s in client.samples if quiet_until <= t < abuse_until]
    control = [s for t, s in client.samples if t >= abuse_until]
    baseline = statistics.median(before)
    delayed = sorted(((s - baseline, t) for t, s in during if s - baseline > DELAY), reverse=True)
    control_delayed = [s for s in before + control if s - baseline > DELAY]
    worst = max(s for _, s in during) - baseline
    worst_control = max(before + control) - baseline
    not_json = sorted(name for name, answer in answers.items() if not well_formed_error(answer))
    past_limit = max((n - LIMIT for _, n in counter.read if n > LIMIT), default=0)
    statuses = {name: answer.split(b"\r\n", 1)[0].decode(errors="replace") for name, answer in answers.items()}
    elapsed = time.monotonic() - started

    def culprits(at: float, took: float) -> str:
        return ", ".join(n for n, a, b in windows if a < at + took and b > at) or "none"

    with capsys.disabled():
        print(f"\nabuse suite: {len(answers)} probes tried; {len(not_json)} answers not well-formed JSON {not_json}; "
              f"{len(during)} small requests during the abuse, {len(delayed)} delayed over {DELAY * 1000:.0f} ms, "
              f"worst delay {worst * 1000:.0f} ms (control: {len(control_delayed)} of {len(before) + len(control)} "
              f"alone, worst {worst_control * 1000:.0f} ms; baseline median {baseline * 1000:.1f} ms); "
              f"bytes read past a limit: {past_limit}; {elapsed:.1f} s")
        for delay, at in delayed:
            print(f"  delayed {delay * 1000:.0f} ms while: {culprits(at, delay + baseline)}")
        for name, status in statuses.items():
            print(f"  {name:30} {status}")

    assert not_json == []
    # At most what arrived with the chunk that crossed the limit: uvicorn hands the app all it has
    # buffered, one transport read (256 KiB) past its 64 KiB high-water mark at most.
    assert past_limit <= 320 * 1024, past_limit
    assert statuses["1 MB risky body"].startswith("HTTP/1.1 409")
    assert statuses["1 MB varied body"].startswith("HTTP/1.1 409")  # its one order, mid-text
    for name in ("nested 100k deep", "lone surrogate", "lone surrogate in a refusal", "NaN", "1e400",
                 "Content-Length and chunked", "stream as a string", "garbage request line"):
        assert statuses[name].startswith("HTTP/1.1 400"), (name, statuses[name])
    assert statuses["slow body"].startswith("HTTP/1.1 408") and answers["slow headers"] == b""
    assert all(b.received == [] for b in behaviours.values() if b is not behaviours["balanced"])
    assert len(during) >= 20
    # The target: no small request waits over 100 ms longer than usual because of an abuser.
    # The margin, for a shared machine only: as many such requests as the same client saw in
    # the control periods alone (normally none), and none held over 250 ms (the 1 MB risky
    # body once held every request for over 10 s, and then up to 160 ms).
    assert len(delayed) <= len(control_delayed), [(round(d * 1000), culprits(t, d + baseline)) for d, t in delayed]
    assert worst < 0.25, (round(worst * 1000), culprits(*max((s, t) for t, s in during)[::-1]))
    assert elapsed < 120
