"""The lean forwarding client against raw loopback servers: keep-alive reuse, a stale idle
connection retried once, chunked and unframed bodies, 100 Continue, timeouts, cut answers."""

from __future__ import annotations

import asyncio

import pytest

from hrouter.server.upstream import Pool, UpstreamError

OK = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"


async def serve(handler):
    """A raw server; handler(reader, writer, n) handles one connection (n counts connections)."""
    count = {"n": 0}

    async def on_conn(reader, writer):
        count["n"] += 1
        try:
            await handler(reader, writer, count["n"])
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(on_conn, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1], count


async def read_request(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    length = int(next(l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")))
    return head, await reader.readexactly(length)


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 20))


def test_keep_alive_reuses_one_connection_and_sends_headers():
    seen = []

    async def handler(reader, writer, n):
        while True:
            head, body = await read_request(reader)
            seen.append((head, body))
            writer.write(OK)

    async def main():
        server, port, count = await serve(handler)
        pool = Pool(f"http://127.0.0.1:{port}/v1", {"authorization": "Bearer k", "x-team": "a"}, 5, 5)
        for i in range(5):
            r = await pool.request("POST", "/chat/completions", b'{"a":%d}' % i, {"x-request-id": f"r{i}"})
            assert (r.status_code, r.content, r.headers["content-type"]) == (200, b"{}", "application/json")
        await pool.aclose()
        server.close()
        return count["n"]

    assert run(main()) == 1
    head, body = seen[4]
    assert head.startswith(b"POST /v1/chat/completions HTTP/1.1\r\n")
    assert b"host: 127.0.0.1:" in head and b"authorization: Bearer k" in head and b"x-request-id: r4" in head
    assert body == b'{"a":4}'


def test_a_stale_idle_connection_is_retried_on_a_new_one():
    async def handler(reader, writer, n):
        await read_request(reader)
        writer.write(OK)
        await writer.drain()
        # then close the idle connection, as servers do after their keep-alive timeout

    async def main():
        server, port, count = await serve(handler)
        pool = Pool(f"http://127.0.0.1:{port}", {}, 5, 5)
        assert (await pool.request("GET", "/models")).status_code == 200
        await asyncio.sleep(0.1)
        assert (await pool.request("GET", "/models")).status_code == 200
        await pool.aclose()
        server.close()
        return count["n"]

    assert run(main()) == 2


def test_chunked_stream_pieces_arrive_one_by_one_and_100_continue_is_skipped():
    async def handler(reader, writer, n):
        await read_request(reader)
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
        for piece in (b"data: one\n\n", b"data: two\n\n"):
            writer.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            await writer.drain()
            await asyncio.sleep(0.2)
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        await reader.read()

    async def main():
        server, port, _ = await serve(handler)
        pool = Pool(f"http://127.0.0.1:{port}", {}, 5, 5)
        response = await pool.request("POST", "/x", b"{}", stream=True)
        loop = asyncio.get_running_loop()
        got = [(piece, loop.time()) async for piece in response.aiter_raw()]
        assert response.is_closed and len(pool._idle) == 1  # finished: back in the pool
        await pool.aclose()
        server.close()
        return got

    got = run(main())
    assert [p for p, _ in got] == [b"data: one\n\n", b"data: two\n\n"]
    assert got[1][1] - got[0][1] > 0.1  # relayed as produced, not at the end


def test_unframed_body_reads_to_close_and_is_not_reused():
    async def handler(reader, writer, n):
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nuntil the end")
        await writer.drain()

    async def main():
        server, port, _ = await serve(handler)
        pool = Pool(f"http://127.0.0.1:{port}", {}, 5, 5)
        r = await pool.request("POST", "/x", b"{}")
        idle = len(pool._idle)
        server.close()
        return r.content, idle

    assert run(main()) == (b"until the end", 0)


def test_timeout_refused_and_cut_answers_are_upstream_errors():
    async def slow(reader, writer, n):
        await read_request(reader)
        await asyncio.sleep(3)

    async def cut(reader, writer, n):
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly part")
        await writer.drain()

    async def main():
        kinds = []
        server, port, _ = await serve(slow)
        with pytest.raises(UpstreamError) as info:
            await Pool(f"http://127.0.0.1:{port}", {}, 0.3, 1).request("POST", "/x", b"{}")
        kinds.append(info.value.kind)
        server.close()
        server, port, _ = await serve(cut)
        with pytest.raises(UpstreamError) as info:
            await Pool(f"http://127.0.0.1:{port}", {}, 2, 1).request("POST", "/x", b"{}")
        kinds.append(info.value.kind)
        server.close()
        await server.wait_closed()
        with pytest.raises(UpstreamError) as info:
            await Pool(f"http://127.0.0.1:{port}", {}, 2, 1).request("POST", "/x", b"{}")
        kinds.append(info.value.kind)
        return kinds

    assert run(main()) == ["timeout", "protocol", "unreachable"]


def test_closing_an_unfinished_stream_closes_its_connection():
    async def main():
        done = asyncio.Event()

        async def handler(reader, writer, n):
            await read_request(reader)
            writer.write(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n")
            await writer.drain()
            await reader.read()  # returns when the client closes
            done.set()

        server, port, _ = await serve(handler)
        pool = Pool(f"http://127.0.0.1:{port}", {}, 5, 5)
        response = await pool.request("POST", "/x", b"{}", stream=True)
        pieces = response.aiter_raw()
        assert await pieces.__anext__() == b"hello"
        await pieces.aclose()
        await response.aclose()
        await asyncio.wait_for(done.wait(), 5)
        server.close()
        return len(pool._idle)

    assert run(main()) == 0
