"""Relaying a backend's server-sent events to the client as they arrive."""

from __future__ import annotations

import logging
from typing import AsyncIterator, Callable

from hrouter.server.errors import sse_error_event
from hrouter.server.upstream import Response, UpstreamError

log = logging.getLogger("hrouter.proxy")


async def relay(response: Response, backend: str, request_id: str,
                finished: Callable[[], None] | None = None,
                error_event: Callable[[str, str], bytes] = sse_error_event) -> AsyncIterator[bytes]:
    """Chunks as the network delivers them; nothing is buffered to the end.

    If the client goes away, Starlette cancels this generator and `finally` closes the upstream
    response, which cancels the upstream request. If the upstream dies mid-stream, the client
    gets one final SSE error event (`error_event`, in the API's own shape) and a properly
    terminated response instead of a cut.
    """
    try:
        async for chunk in response.aiter_raw():
            yield chunk
    except UpstreamError as exc:
        log.warning("request=%s backend=%s stream broke: %s", request_id, backend, exc.detail)
        if exc.kind == "timeout":
            yield error_event(f"Backend {backend!r} stopped sending mid-stream (timeout).", "upstream_timeout")
        else:
            yield error_event(f"Backend {backend!r} failed mid-stream: {exc.detail}.", "upstream_stream_error")
    finally:
        await response.aclose()
        if finished is not None:
            finished()
