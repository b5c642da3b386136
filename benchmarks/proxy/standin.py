"""A minimal OpenAI-compatible stand-in model server on raw asyncio, for benchmarks only.

Precomputed answers, no framework: it must cost as little as possible so that the time measured
through a proxy is the proxy's. Run: python -m benchmarks.proxy.standin --port 18700
"""

from __future__ import annotations

import argparse
import asyncio
import json

MODEL = "bench-model"


def _response(status: str, body: bytes, content_type: bytes = b"application/json") -> bytes:
    return (b"HTTP/1.1 " + status.encode() + b"\r\ncontent-type: " + content_type +
            b"\r\ncontent-length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


COMPLETION = _response("200 OK", json.dumps({
    "id": "chatcmpl-bench", "object": "chat.completion", "created": 0, "model": MODEL,
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok, this is the stand-in answering."},
                 "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 8, "completion_tokens": 7, "total_tokens": 15},
}, separators=(",", ":")).encode())
MODELS = _response("200 OK", json.dumps({"object": "list", "data": [{"id": MODEL, "object": "model"}]}).encode())
NOT_FOUND = _response("404 Not Found", b'{"error":"not found"}')


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def _event(delta: dict, finish: str | None = None) -> bytes:
    return b"data: " + json.dumps({"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 0,
                                   "model": MODEL, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]},
                                  separators=(",", ":")).encode() + b"\n\n"


STREAM_HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
STREAM_EVENTS = [_event({"role": "assistant", "content": ""})] + [_event({"content": w + " "}) for w in
                                                                  "ok this is the stand-in streaming".split()] + [
    _event({}, "stop"), b"data: [DONE]\n\n"]


class StandIn(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
        self.buffer = b""

    def data_received(self, data):
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].decode("latin-1")
            length = 0
            for line in head.split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            if len(self.buffer) < end + 4 + length:
                return
            body = self.buffer[end + 4:end + 4 + length]
            self.buffer = self.buffer[end + 4 + length:]
            method, path = head.split(" ", 2)[:2]
            if path.endswith("/chat/completions") and method == "POST":
                if b'"stream":true' in body.replace(b" ", b""):
                    asyncio.ensure_future(self.stream())
                else:
                    self.transport.write(COMPLETION)
            elif path.endswith("/models"):
                self.transport.write(MODELS)
            else:
                self.transport.write(NOT_FOUND)

    async def stream(self):
        # Headers and the first event at once, the rest one loop turn apart: like a fast model.
        self.transport.write(STREAM_HEAD + _chunk(STREAM_EVENTS[0]))
        for event in STREAM_EVENTS[1:]:
            await asyncio.sleep(0)
            if self.transport.is_closing():
                return
            self.transport.write(_chunk(event))
        self.transport.write(b"0\r\n\r\n")


async def serve(host: str, port: int) -> None:
    server = await asyncio.get_running_loop().create_server(StandIn, host, port, backlog=1024)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    try:
        asyncio.run(serve(args.host, args.port))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
