"""Slow clients: headers or bodies trickled a byte at a time are cut off at the configured
limits, and twelve of them at once do not delay anyone else."""

from __future__ import annotations

import json
import select
import socket
import statistics
import threading
import time

import httpx
import pytest


from .conftest import proxy_data, serving

LIMIT = 1.0  # seconds, for both header and body reads in this test's proxy
SLACK = 1.5  # scheduling noise allowed past the limit on a shared CI machine


@pytest.fixture(scope="module")
def slow_proxy(standins):
    data = proxy_data({n: u for n, (u, _) in standins.items()}, header_timeout_seconds=LIMIT,
                      body_timeout_seconds=LIMIT)
    with serving(data) as server:
        yield server


def trickle(url: str, head: bytes, drip: bytes, result: dict) -> None:
    """Send `head`, then `drip` a byte every 50 ms until the server closes; record when and what."""
    host, port = url.removeprefix("http://").split(":")
    started = time.monotonic()
    answer = b""
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(head)
        for i in range(200):  # 10 s at most
            readable, _, _ = select.select([s], [], [], 0.05)
            if readable:
                try:
                    chunk = s.recv(65536)
                except OSError:  # a reset: the server closed with our unread bytes pending
                    break
                if not chunk:
                    break
                answer += chunk
                continue
            try:
                s.sendall(drip[i % len(drip):i % len(drip) + 1])
            except OSError:
                break
    result["open_for"] = time.monotonic() - started
    result["answer"] = answer


def test_twelve_slow_clients_are_cut_off_and_delay_no_one(slow_proxy, behaviours):
    slow_headers = b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    slow_body = (b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 60000\r\n\r\n")
    results = [{} for _ in range(12)]
    threads = [threading.Thread(target=trickle, args=(slow_proxy.url, slow_headers if i % 2 else slow_body,
                                                        b"x-slow-header: " if i % 2 else b'{"a":1} ', results[i]))
               for i in range(12)]
    request = {"model": "hrouter", "messages": [{"role": "user", "content": "hello"}]}
    with httpx.Client(base_url=slow_proxy.url, timeout=10) as c:
        baseline = []
        for _ in range(20):
            t = time.perf_counter()
            assert c.post("/v1/chat/completions", json=request).status_code == 200
            baseline.append(time.perf_counter() - t)
        for t in threads:
            t.start()
        during = []
        while any(t.is_alive() for t in threads):
            t = time.perf_counter()
            assert c.post("/v1/chat/completions", json=request).status_code == 200
            during.append(time.perf_counter() - t)
            time.sleep(0.02)
    for t in threads:
        t.join()
    for i, result in enumerate(results):
        assert result["open_for"] < LIMIT + SLACK, (i, result)
    for result in results[0::2]:  # slow bodies are answered 408 in the error shape
        head, _, rest = result["answer"].partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408"), head
        assert json.loads(rest)["error"]["type"] == "request_timeout"
    for result in results[1::2]:  # slow headers get no request to answer: the connection closes
        assert result["open_for"] >= LIMIT * 0.9
    # Nobody waited on the slow ones: the others kept their usual latency (generous for CI).
    assert len(during) >= 10
    assert statistics.median(during) < max(0.1, 5 * statistics.median(baseline)), (baseline, during)
    assert max(during) < 0.5, during


def test_a_kept_alive_connection_still_gets_the_header_timeout(slow_proxy):
    """The timer re-arms for the next request on the same connection (after one fast request)."""
    host, port = slow_proxy.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(b"GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        first = s.recv(65536)
        assert first.startswith(b"HTTP/1.1 200")
        started = time.monotonic()
        s.sendall(b"GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        s.settimeout(LIMIT + SLACK + 5)
        while s.recv(65536):
            pass
        assert time.monotonic() - started < LIMIT + SLACK
