"""Server-sent events both ways: reading a backend's stream piece by piece, writing events."""

from __future__ import annotations

import json
from typing import Any


def event(name: str | None, data: Any) -> bytes:
    """One event; `name` None writes a data-only event (the OpenAI chat style)."""
    body = b"data: " + json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode() + b"\n\n"
    return b"event: " + name.encode() + b"\n" + body if name else body


class Reader:
    """Feed it the bytes as they arrive; it gives back each complete event's (name, data text).

    Events may be split across network pieces anywhere, and lines may end in CRLF."""

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, piece: bytes) -> list[tuple[str | None, str]]:
        self._buffer = (self._buffer + piece).replace(b"\r\n", b"\n")  # a CRLF may be split
        out: list[tuple[str | None, str]] = []
        while (end := self._buffer.find(b"\n\n")) >= 0:
            block, self._buffer = self._buffer[:end], self._buffer[end + 2:]
            name: str | None = None
            data: list[str] = []
            for line in block.decode("utf-8", "replace").split("\n"):
                field, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if field == "event":
                    name = value
                elif field == "data":
                    data.append(value)
            if data:
                out.append((name, "\n".join(data)))
        return out
