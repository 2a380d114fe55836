"""The webhook reads the whole body however it arrives, and refuses an oversized one early.

A raw socket sends the request the way a slow carrier or an early-flushing proxy does: headers and
half the body, then the rest once the server has started reading. A test middleware holds the
handler until the first half is in the server's buffer and tells the test when the handler runs,
so the second half certainly arrives after the handler's first read (no timing luck involved).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.appkeys import DISPATCHER
from bot.service import create_app
from tests.bot.helpers import body_of, make_settings, sign, text_event
from tests.bot.test_webhook import Silent, _inbox


def _request_head(port: int, signature: str, *, length: int | None = None, chunked: bool = False) -> bytes:
    lines = ["POST /callback HTTP/1.1", f"Host: 127.0.0.1:{port}", "Content-Type: application/json",
             f"X-Line-Signature: {signature}", "Connection: close"]
    if chunked:
        lines.append("Transfer-Encoding: chunked")
    else:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def _status_of(reader: asyncio.StreamReader) -> int:
    async with asyncio.timeout(10):  # a guard against a hang, not a timing assumption
        status_line = await reader.readline()
    return int(status_line.split()[1])


async def _server(sqlite_db, handler: Silent, middleware=None, **overrides) -> TestServer:
    app = create_app(make_settings(sqlite_db.url, **overrides), handler_factory=lambda app: handler)
    if middleware is not None:
        app.middlewares.append(middleware)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return server


async def test_a_body_in_two_segments_is_read_whole_and_stored(sqlite_db) -> None:
    body = body_of(text_event("U1", "二つに分かれて届いた本文です。" * 200))
    half = len(body) // 2
    reading = asyncio.Event()

    @web.middleware
    async def after_first_half(request: web.Request,
                               handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
        while request.content.total_bytes < half:  # the first segment is in the buffer …
            await asyncio.sleep(0.001)
        reading.set()  # … and the handler reads it before the test can send the rest
        return await handler(request)

    handler = Silent()
    server = await _server(sqlite_db, handler, after_first_half)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(_request_head(server.port, sign(body), length=len(body)) + body[:half])
        await writer.drain()
        await reading.wait()
        writer.write(body[half:])
        await writer.drain()
        assert await _status_of(reader) == 200
        writer.close()
        await server.app[DISPATCHER].wait_idle()
        assert handler.seen == ["二つに分かれて届いた本文です。" * 200]
        assert [r.status for r in await _inbox_of(server)] == ["done"]
    finally:
        await server.close()


async def test_an_oversized_chunked_body_is_refused_without_reading_it_all(sqlite_db) -> None:
    handler = Silent()
    server = await _server(sqlite_db, handler, max_webhook_body=4096)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(_request_head(server.port, "c2lnbmF0dXJl", chunked=True))
        for _ in range(5):  # 5,000 bytes in chunks, and the body never ends (no final chunk)
            writer.write(b"3e8\r\n" + b"a" * 1000 + b"\r\n")
        await writer.drain()
        assert await _status_of(reader) == 413
        writer.close()
        assert await _inbox_of(server) == []
        assert handler.seen == []
    finally:
        await server.close()


async def _inbox_of(server: TestServer):
    class Client:  # the shape tests.bot.test_webhook._inbox reads
        app = server.app

    return await _inbox(Client)
