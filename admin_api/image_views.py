"""Images for deliveries (``/images``): staff upload a JPEG or PNG, the service hosts it (国富町
§9(2)(ア)③ 画像・イメージマップ). Also the public ``create_media_app`` (mounted at ``/media``) that
LINE fetches the images and their imagemap widths from (``civic.deliveries.images``).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from datetime import datetime

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import select

from admin_api.fields import Offset
from admin_api.routing import ApiRouter, Call
from civic.database import Database
from civic.deliveries import images
from civic.deliveries.models import DeliveryImage

READ, SEND = "deliveries.read", "deliveries.send"
MEDIA = "/media"


class UploadQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(default="", max_length=200, description="ファイル名（職員が見分けるため）")


class ImagesQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    limit: int = Field(default=50, ge=1, le=200)
    offset: Offset = 0


class ImageOut(BaseModel):
    id: int
    name: str
    content_type: str
    width: int
    height: int
    size: int = Field(description="ファイルサイズ（バイト）")
    url: str = Field(description="画像のURL（画像メッセージの originalContentUrl、イメージマップの baseUrl）")
    preview_url: str = Field(description=f"プレビュー用（縦横{images.PREVIEW_SIDE}ピクセル以内、previewImageUrl）")
    imagemap_widths: list[int] = Field(description="イメージマップ用に {url}/{幅} で取れる幅")
    created_by: str
    created_at: datetime


router = ApiRouter("images", description="配信に使う画像のアップロード（サービスが公開URLで配信）")


def out(call: Call, row: DeliveryImage) -> ImageOut:
    base = (call.ctx.public_base_url or str(call.request.url.origin())).rstrip("/")
    url = f"{base}{MEDIA}/{row.token}"
    return ImageOut(id=row.id or 0, name=row.name, content_type=row.content_type, width=row.width,
                    height=row.height, size=row.size, url=url, preview_url=f"{url}/preview",
                    imagemap_widths=list(images.IMAGEMAP_WIDTHS), created_by=row.created_by,
                    created_at=row.created_at)


@router.route("POST", "/images", summary="画像のアップロード（JPEG・PNG）", permission=SEND, query=UploadQuery,
              consumes=tuple(images.FORMATS.values()), response=ImageOut, status=201,
              errors={422: "形式・大きさが使えない画像"},
              description=(f"本文に画像ファイルそのもの（Content-Type: image/jpeg か image/png、"
                           f"{images.MAX_BYTES // 1024 // 1024}MBまで、縦横{images.MAX_SIDE}ピクセルまで）。"
                           "位置情報などのメタデータは取り除いて保存し、推測できないURLで公開します。"))
async def upload_image(call: Call) -> ImageOut:
    by = call.principal.login if call.principal else ""
    async with call.ctx.db.write() as s:
        row = await images.store(s, call.ctx.clock.now(), call.body, name=call.query.name, by=by)
        result = out(call, row)
        await call.audit(s, "images.upload", f"delivery_image:{row.id}", after={
            "name": row.name, "content_type": row.content_type, "width": row.width, "height": row.height,
            "size": row.size})
    return result


@router.route("GET", "/images", summary="アップロードした画像の一覧（新しい順）", permission=READ,
              query=ImagesQuery, response=list[ImageOut])
async def list_images(call: Call) -> list[ImageOut]:
    async with call.ctx.db.read() as s:
        rows = await images.recent(s, limit=call.query.limit, offset=call.query.offset)
    return [out(call, r) for r in rows]


def create_media_app(db: Database, *, cache_size: int = 64) -> web.Application:
    """``GET /{token}``, ``/{token}/preview``, ``/{token}/{1040|700|460|300|240}``: public, cached
    for good (an image never changes under its token)."""
    app = web.Application()
    cache: OrderedDict[tuple[str, str], tuple[bytes, str]] = OrderedDict()
    sizes = "|".join(str(w) for w in images.IMAGEMAP_WIDTHS)

    async def serve(request: web.Request) -> web.Response:
        token, size = request.match_info["token"], request.match_info.get("size", "")
        key = (token, size)
        if key in cache:
            cache.move_to_end(key)
            body, content_type = cache[key]
        else:
            async with db.read() as s:
                row = (await s.exec(select(DeliveryImage).where(DeliveryImage.token == token))).first()
            if row is None:
                return web.Response(status=404, text="画像が見つかりません。", content_type="text/plain", charset="utf-8")
            content_type = row.content_type
            body = await asyncio.to_thread(images.variant, row.data, content_type, size) if size else row.data
            if size:  # originals are read from the database each time; the made variants are kept
                cache[key] = (body, content_type)
                while len(cache) > cache_size:
                    cache.popitem(last=False)
        return web.Response(body=body, content_type=content_type, headers={
            "Cache-Control": "public, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff",
            "Access-Control-Allow-Origin": "*"})

    app.router.add_get("/{token:[A-Za-z0-9_-]{20,43}}", serve)
    app.router.add_get(f"/{{token:[A-Za-z0-9_-]{{20,43}}}}/{{size:preview|{sizes}}}", serve)
    return app
