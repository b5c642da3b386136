"""The proxy's HTTP/1.1 protocol: uvicorn's h11 one, with a header read timeout and its
protocol errors answered as JSON.

Connections that send their request headers too slowly are closed.

uvicorn bounds the idle time between requests (`timeout_keep_alive`) but not the time a client
takes to send one request's headers: a client trickling a byte a second holds its connection,
and its memory, forever. `GuardedH11Protocol` is uvicorn's h11 protocol with that timer: armed
when a connection opens and whenever it waits for the next request, disarmed when the
request's headers are complete. The body has its own timeout, in the app (body.py), because
only the app knows when it is reading one.

A request h11 cannot parse (a garbage request line, headers past h11's size limit) is answered
400 in the error shape like every other answer; uvicorn's own answer is plain text.

The timeout comes from the app's lifespan state (`HEADER_TIMEOUT_STATE`), so each app served
keeps its own configured value; uvicorn is given the class, or its import string for workers.
"""

from __future__ import annotations

import asyncio
import uuid

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from hrouter.server.errors import current_request_id, error_bytes

HEADER_TIMEOUT_STATE = "hrouter.header_timeout_seconds"
DEFAULT_HEADER_TIMEOUT = 10.0
PROTOCOL = "hrouter.server.slow_clients:GuardedH11Protocol"


class GuardedH11Protocol(H11Protocol):
    _header_timer: asyncio.TimerHandle | None = None

    def _arm(self) -> None:
        if self._header_timer is None:
            seconds = float(self.app_state.get(HEADER_TIMEOUT_STATE) or DEFAULT_HEADER_TIMEOUT)
            self._header_timer = self.loop.call_later(seconds, self._headers_too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE:
            self._arm()  # the first bytes of a next request on a kept-alive connection
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._disarm()  # the headers are in (h11 has left IDLE only with a whole request line and headers)

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.logger.info("closing a connection that sent no complete request headers in time")
            self.transport.close()

    def send_400_response(self, msg: str) -> None:
        request_id = uuid.uuid4().hex  # no request reached the app: this answer gets its own id
        token = current_request_id.set(request_id)
        try:
            body = error_bytes("The request is not valid HTTP/1.1.", "invalid_request_error")
        finally:
            current_request_id.reset(token)
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                   (b"connection", b"close"), (b"x-request-id", request_id.encode())]
        try:
            for event in (h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
                          h11.Data(data=body), h11.EndOfMessage()):
                self.transport.write(self.conn.send(event))
        except h11.LocalProtocolError:
            pass  # h11 has already answered or cannot: closing is all that is left
        self.transport.close()
