"""A light asyncio HTTP/1.1 load generator: keep-alive connections on raw streams, no client
library in the way, so it is not the bottleneck it measures."""

from __future__ import annotations

import asyncio
import time

import attrs

RESPONSE_TIMEOUT = 15.0


@attrs.define
class Sample:
    total: float
    first_byte: float  # seconds to the first body byte (for a stream, the first event)
    status: int


def build_request(host: str, port: int, path: str, body: bytes, extra: bytes = b"") -> bytes:
    return (b"POST " + path.encode() + b" HTTP/1.1\r\nhost: " + f"{host}:{port}".encode() +
            b"\r\ncontent-type: application/json\r\ncontent-length: " + str(len(body)).encode() +
            b"\r\n" + extra + b"\r\n" + body)


async def _read_response(reader: asyncio.StreamReader, started: float) -> Sample:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length, chunked = None, False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    first = None
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if first is None:
                first = time.perf_counter()
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            await reader.readexactly(size + 2)
    else:
        if length:
            await reader.readexactly(length)
        first = time.perf_counter()
    end = time.perf_counter()
    return Sample(end - started, first - started, status)


async def _connection(host, port, request, stop_at, limit, samples, errors):
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < stop_at and (limit is None or len(samples) < limit):
            started = time.perf_counter()
            writer.write(request)
            try:
                sample = await asyncio.wait_for(_read_response(reader, started), RESPONSE_TIMEOUT)
            except (asyncio.IncompleteReadError, ConnectionError):
                errors.append("connection closed")
                return
            except asyncio.TimeoutError:
                errors.append(f"no response within {RESPONSE_TIMEOUT}s")
                return
            samples.append(sample)
            if sample.status != 200:
                errors.append(f"HTTP {sample.status}")
    finally:
        writer.close()


async def run_load(host: str, port: int, request: bytes, *, concurrency: int, duration: float | None = None,
                   requests: int | None = None, warmup: int = 50) -> tuple[list[Sample], list[str], float]:
    """(samples, errors, elapsed seconds) after a short warm-up on the same connections' server."""
    if warmup:
        await _connection(host, port, request, time.perf_counter() + 30, warmup, [], [])
    samples: list[Sample] = []
    errors: list[str] = []
    stop_at = time.perf_counter() + (duration or 3600)
    started = time.perf_counter()
    await asyncio.gather(*(_connection(host, port, request, stop_at, requests, samples, errors)
                           for _ in range(concurrency)))
    return samples, errors, time.perf_counter() - started
