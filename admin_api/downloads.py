"""File answers: CSV (Excel-friendly, streamed in chunks) and images."""

from __future__ import annotations

from collections.abc import AsyncIterable, Sequence
from typing import Any

from aiohttp import web

from civic.stats.csvfile import BOM, csv_line


def _disposition(filename: str) -> str:
    return f'attachment; filename="{filename}"'


async def stream_csv(request: web.Request, filename: str, headers: Sequence[str],
                     rows: AsyncIterable[Sequence[Any]], *, chunk_rows: int = 200) -> web.StreamResponse:
    response = web.StreamResponse(headers={
        "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": _disposition(filename),
        "Cache-Control": "no-store",
    })
    await response.prepare(request)
    await response.write((BOM + csv_line(headers)).encode("utf-8"))
    buffer: list[str] = []
    async for row in rows:
        buffer.append(csv_line(row))
        if len(buffer) >= chunk_rows:
            await response.write("".join(buffer).encode("utf-8"))
            buffer.clear()
    if buffer:
        await response.write("".join(buffer).encode("utf-8"))
    await response.write_eof()
    return response


def csv_response(filename: str, data: bytes) -> web.Response:
    return web.Response(body=data, headers={
        "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": _disposition(filename),
        "Cache-Control": "no-store",
    })


def image_response(data: bytes, content_type: str = "image/png", *, filename: str | None = None) -> web.Response:
    headers = {"Content-Type": content_type, "Cache-Control": "no-store"}
    if filename:
        headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return web.Response(body=data, headers=headers)
