"""Images staff upload for deliveries (国富町 §9(2)(ア)③: 画像・イメージマップ), hosted by the service.

An upload is checked (JPEG or PNG, at most ``MAX_BYTES``, at most ``MAX_SIDE`` pixels a side),
turned upright and written again without its metadata (a photo's EXIF can hold where it was
taken), and kept in the database: every instance serves it, on SQLite and PostgreSQL alike. It is
public at an unguessable URL, ``{base}/media/{token}``, because LINE fetches it from there:

* ``/media/{token}`` — the image (an image message's ``originalContentUrl``, an imagemap's
  ``baseUrl``),
* ``/media/{token}/preview`` — at most ``PREVIEW_SIDE`` pixels a side (``previewImageUrl``, ≤ 1 MB),
* ``/media/{token}/1040`` … ``/240`` — the widths LINE asks an imagemap for.

Variants are made on request from the stored image (they are cheap, and cached by clients
forever: a token's image never changes).
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from datetime import datetime

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.deliveries.errors import DeliveryProblem
from civic.deliveries.models import DeliveryImage

MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE = 4096
PREVIEW_SIDE = 480
IMAGEMAP_WIDTHS = (1040, 700, 460, 300, 240)
FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg"}
_SAVE = {"image/png": "PNG", "image/jpeg": "JPEG"}


def _invalid(code: str, message: str) -> DeliveryProblem:
    return DeliveryProblem("invalid", code, message, "image")


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    content_type: str
    width: int
    height: int


def _encode(image: Image.Image, content_type: str) -> bytes:
    out = io.BytesIO()
    if content_type == "image/jpeg":
        image.convert("RGB").save(out, "JPEG", quality=88, optimize=True)
    else:
        image.save(out, "PNG", optimize=True)
    return out.getvalue()


def clean(data: bytes) -> CleanImage:
    """The upload checked, upright and without metadata, or a problem in plain Japanese."""
    if len(data) > MAX_BYTES:
        raise _invalid("image_too_large", f"画像のファイルサイズは{MAX_BYTES // 1024 // 1024}MB以下にしてください"
                       f"（いまは{len(data) / 1024 / 1024:.1f}MB）。")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt, (width, height) = probe.format, probe.size
            if fmt not in FORMATS:
                raise _invalid("image_format", f"画像の形式（{fmt}）は使えません。JPEG または PNG にしてください。")
            if width > MAX_SIDE or height > MAX_SIDE:
                raise _invalid("image_dimensions", f"画像が大きすぎます（{width}×{height}ピクセル）。"
                               f"縦横{MAX_SIDE}ピクセル以下にしてください。")
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            upright = ImageOps.exif_transpose(image)
    except DeliveryProblem:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise _invalid("image_unreadable", "画像を読み込めませんでした。JPEG または PNG の画像ファイルを選んでください。") from None
    content_type = FORMATS[fmt]
    if upright.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        upright = upright.convert("RGBA" if content_type == "image/png" else "RGB")
    return CleanImage(_encode(upright, content_type), content_type, upright.width, upright.height)


async def store(s: AsyncSession, now: datetime, data: bytes, *, name: str, by: str) -> DeliveryImage:
    image = clean(data)
    row = DeliveryImage(token=secrets.token_urlsafe(24), name=(name.strip() or "画像")[:200],
                        content_type=image.content_type, width=image.width, height=image.height,
                        size=len(image.data), data=image.data, created_by=by[:64], created_at=now)
    s.add(row)
    await s.flush()
    return row


async def recent(s: AsyncSession, *, limit: int, offset: int) -> list[DeliveryImage]:
    query = select(DeliveryImage).order_by(col(DeliveryImage.id).desc()).offset(offset).limit(limit)
    return list((await s.exec(query)).all())


def variant(data: bytes, content_type: str, size: str) -> bytes:
    """``size``: "" (the image), "preview", or one of ``IMAGEMAP_WIDTHS`` as text."""
    if not size:
        return data
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        if size == "preview":
            image.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE))
            return _encode(image, content_type)
        width = int(size)
        height = max(1, round(image.height * width / image.width))
        return _encode(image.resize((width, height), Image.Resampling.LANCZOS), content_type)
