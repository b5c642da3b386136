"""Reading a request body in chunks, never holding more than max_body_bytes of it."""

from __future__ import annotations

import asyncio
import time

from starlette.types import Receive, Scope


class BodyTooLarge(Exception):
    pass


class BodyTooSlow(Exception):
    """The client did not send the whole body within the body timeout."""


class ClientGone(Exception):
    pass


def declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def read_body(scope: Scope, receive: Receive, limit: int, timeout: float | None = None) -> bytes:
    """The whole body, or BodyTooLarge as soon as it passes `limit` bytes, or BodyTooSlow when
    it has not all arrived `timeout` seconds after the first read began.

    Content-Length is checked first, so an honest oversized request is refused before any of
    its body is read; a chunked or lying one is refused at the first chunk past the limit.
    """
    length = declared_length(scope)
    if length is not None and length > limit:
        raise BodyTooLarge()
    deadline = None if timeout is None else time.monotonic() + timeout
    first = b""
    chunks: list[bytes] | None = None
    size = 0
    while True:
        if deadline is None:
            message = await receive()
        else:
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - time.monotonic()))
            except asyncio.TimeoutError:
                raise BodyTooSlow() from None
        if message["type"] == "http.disconnect":
            raise ClientGone()
        chunk = message.get("body", b"")
        if chunk:
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge()
            # The common case is one chunk: avoid a join and a copy.
            if not first and chunks is None:
                first = chunk
            else:
                if chunks is None:
                    chunks = [first]
                chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks) if chunks is not None else first
