"""A lean HTTP/1.1 client for the forwarding hot path: keep-alive connections per backend on
asyncio streams, one write per request, bodies read without copies where possible.

Why not httpx here: on a 2-core machine httpx spends about 1.5 ms of CPU per request, more than
the proxy's whole overhead budget (see docs/proxy.md, Performance). httpx still serves the
health checks and `hrouter doctor`, where a millisecond does not matter.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import AsyncIterator, Callable
from urllib.parse import urlsplit

_CHUNK_READ = 65536


class UpstreamError(Exception):
    """A request that got no usable answer. kind: unreachable, timeout or protocol."""

    def __init__(self, kind: str, detail: str):
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


class _Stale(Exception):
    """A reused keep-alive connection the server had already closed: safe to retry once."""


class Response:
    def __init__(self, pool: "Pool", conn, status: int, headers: dict[str, str], keep_alive: bool):
        self._pool = pool
        self._conn = conn
        self.status_code = status
        self.headers = headers
        self._keep_alive = keep_alive
        self.content = b""
        self.is_closed = False
        #: called once when the body has been read or dropped (a stream's end, for tracing)
        self.on_close: Callable[[tuple[str, str] | None], None] | None = None
        #: (kind, detail) of an UpstreamError that broke the body off
        self.failure: tuple[str, str] | None = None

    def _framing(self) -> tuple[bool, int | None]:
        chunked = "chunked" in self.headers.get("transfer-encoding", "").lower()
        length = self.headers.get("content-length")
        if chunked or length is None:
            return chunked, None
        try:
            return False, int(length)
        except ValueError:
            raise UpstreamError("protocol", f"bad content-length {length!r}") from None

    async def _pieces(self) -> AsyncIterator[bytes]:
        reader = self._conn[0]
        if self.status_code in (204, 304):
            return
        chunked, length = self._framing()
        if chunked:
            while True:
                line = await reader.readuntil(b"\r\n")
                try:
                    size = int(line.split(b";", 1)[0], 16)
                except ValueError:
                    raise UpstreamError("protocol", "bad chunk size") from None
                if size == 0:
                    while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers
                        pass
                    return
                data = await reader.readexactly(size + 2)
                yield data[:-2]
        elif length is not None:
            remaining = length
            while remaining:
                data = await reader.read(min(remaining, _CHUNK_READ))
                if not data:
                    raise asyncio.IncompleteReadError(b"", remaining)
                remaining -= len(data)
                yield data
        else:  # no framing: the body ends when the server closes
            self._keep_alive = False
            while data := await reader.read(_CHUNK_READ):
                yield data

    async def read_all(self) -> None:
        """Read the whole body (non-streaming requests), then free the connection."""
        reader = self._conn[0]
        chunked, length = self._framing()
        if length is not None and self.status_code not in (204, 304):
            self.content = await reader.readexactly(length)
        else:
            self.content = b"".join([piece async for piece in self._pieces()])
        self._finish()

    async def aiter_raw(self) -> AsyncIterator[bytes]:
        """Body pieces as the network delivers them; each read bounded by the backend timeout."""
        pieces = self._pieces()
        timeout = self._pool.timeout
        try:
            while True:
                try:
                    async with asyncio.timeout(timeout):
                        piece = await pieces.__anext__()
                except StopAsyncIteration:
                    break
                yield piece
        except TimeoutError:
            self.failure = ("timeout", f"no data for {timeout:g}s")
            raise UpstreamError(*self.failure) from None
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
            self.failure = ("protocol", f"{type(exc).__name__}")
            raise UpstreamError(*self.failure) from None
        self._finish()

    def _finish(self) -> None:
        if not self.is_closed:
            self.is_closed = True
            self._pool._release(self._conn, self._keep_alive)
            self._closed()

    def _closed(self) -> None:
        if self.on_close is not None:
            hook, self.on_close = self.on_close, None
            hook(self.failure)

    async def aread(self) -> bytes:
        if not self.is_closed:
            await self.read_all()
        return self.content

    async def aclose(self) -> None:
        """Drop an unfinished response: closing its connection cancels the upstream request."""
        if not self.is_closed:
            self.is_closed = True
            self._pool._release(self._conn, False)
            self._closed()


class Pool:
    """Keep-alive connections to one backend."""

    def __init__(self, base_url: str, headers: dict[str, str], timeout: float, connect_timeout: float,
                 max_idle: int = 64):
        parts = urlsplit(base_url)
        self.scheme = parts.scheme
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.base_path = parts.path.rstrip("/")
        self.ssl = ssl.create_default_context() if parts.scheme == "https" else None
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.max_idle = max_idle
        default_port = 443 if parts.scheme == "https" else 80
        host_header = self.host if self.port == default_port else f"{self.host}:{self.port}"
        if ":" in self.host:
            host_header = f"[{self.host}]" if self.port == default_port else f"[{self.host}]:{self.port}"
        lines = [f"host: {host_header}"] + [f"{k}: {v}" for k, v in headers.items() if k.lower() != "host"]
        # Built once: each request only appends its own few headers.
        self._static = ("\r\n".join(lines) + "\r\n").encode("latin-1")
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self._closed = False

    def url(self, suffix: str) -> str:
        return self.base_path + suffix

    async def _connect(self):
        try:
            async with asyncio.timeout(self.connect_timeout):
                return await asyncio.open_connection(self.host, self.port, ssl=self.ssl,
                                                     limit=1 << 20)
        except TimeoutError:
            raise UpstreamError("timeout", f"connect to {self.host}:{self.port} took over {self.connect_timeout:g}s") from None
        except (OSError, ssl.SSLError) as exc:
            raise UpstreamError("unreachable", f"cannot connect to {self.host}:{self.port}: "
                                               f"{exc.strerror or exc}") from None

    def _release(self, conn, reusable: bool) -> None:
        reader, writer = conn
        if reusable and not self._closed and len(self._idle) < self.max_idle and not reader.at_eof() \
                and not writer.is_closing():
            self._idle.append(conn)
        else:
            writer.close()

    async def request(self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None,
                      stream: bool = False) -> Response:
        head = f"{method} {self.base_path}{path} HTTP/1.1\r\n".encode("latin-1") + self._static
        if headers:
            head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()).encode("latin-1")
        message = head + b"content-length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        while self._idle:
            conn = self._idle.pop()
            if conn[0].at_eof() or conn[1].is_closing():
                conn[1].close()
                continue
            try:
                return await self._exchange(conn, message, stream, reused=True)
            except _Stale:
                continue
        return await self._exchange(await self._connect(), message, stream, reused=False)

    async def _exchange(self, conn, message: bytes, stream: bool, reused: bool) -> Response:
        reader, writer = conn
        try:
            async with asyncio.timeout(self.timeout):
                writer.write(message)
                try:
                    status, headers, keep_alive = await self._read_head(reader)
                except (asyncio.IncompleteReadError, ConnectionError) as exc:
                    if reused and (not isinstance(exc, asyncio.IncompleteReadError) or not exc.partial):
                        writer.close()
                        raise _Stale() from None
                    raise
                response = Response(self, conn, status, headers, keep_alive)
                if not stream:
                    await response.read_all()
                return response
        except _Stale:
            raise
        except TimeoutError:
            writer.close()
            raise UpstreamError("timeout", f"no answer within {self.timeout:g}s") from None
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, IndexError) as exc:
            writer.close()
            raise UpstreamError("protocol", f"bad or cut answer: {type(exc).__name__}") from None

    @staticmethod
    async def _read_head(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bool]:
        while True:
            raw = await reader.readuntil(b"\r\n\r\n")
            lines = raw[:-4].decode("latin-1").split("\r\n")
            version, status_text = lines[0].split(" ", 2)[:2]
            status = int(status_text)
            if 100 <= status < 200 and status != 101:
                continue  # 100 Continue and friends: the real answer follows
            headers: dict[str, str] = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            connection = headers.get("connection", "").lower()
            keep_alive = ("close" not in connection) if version == "HTTP/1.1" else ("keep-alive" in connection)
            return status, headers, keep_alive

    async def aclose(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        for _, writer in idle:
            writer.close()
