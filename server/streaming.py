"""Relaying a backend's server-sent events to the client as they arrive."""

from __future__ import annotations

import logging
from typing import AsyncIterator

import httpx

from hrouter.server.errors import sse_error_event

log = logging.getLogger("hrouter.proxy")


async def relay(response: httpx.Response, backend: str, request_id: str) -> AsyncIterator[bytes]:
    """Chunks as the network delivers them; nothing is buffered to the end.

    If the client goes away, Starlette cancels this generator and `finally` closes the upstream
    response, which cancels the upstream request. If the upstream dies mid-stream, the client
    gets one final SSE error event and a properly terminated response instead of a cut.
    """
    try:
        async for chunk in response.aiter_raw():
            yield chunk
    except httpx.TimeoutException:
        log.warning("request=%s backend=%s stream stalled past its timeout", request_id, backend)
        yield sse_error_event(f"Backend {backend!r} stopped sending mid-stream (timeout).", "upstream_timeout")
    except httpx.HTTPError as exc:
        log.warning("request=%s backend=%s stream broke: %s", request_id, backend, type(exc).__name__)
        yield sse_error_event(f"Backend {backend!r} failed mid-stream: {type(exc).__name__}.", "upstream_stream_error")
    finally:
        await response.aclose()
