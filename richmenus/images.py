"""Checking uploaded rich-menu images against LINE's rules (JPEG/PNG, size, ratio, ≤ 1 MB)."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from richmenus.errors import RichMenuError
from richmenus.spec import size_problems

MAX_BYTES = 1024 * 1024
_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg"}


@dataclass(frozen=True)
class ImageInfo:
    content_type: str
    width: int
    height: int


def check_image(data: bytes) -> ImageInfo:
    if len(data) > MAX_BYTES:
        raise RichMenuError("invalid", "image_too_large",
                            f"画像のファイルサイズは1MB以下にしてください（いまは{len(data) / 1024 / 1024:.2f}MB）。"
                            "PNGで大きい場合はJPEGで保存し直すと小さくなります。", "image")
    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt, (width, height) = image.format, image.size
            if width * height > 2500 * 2500:
                raise RichMenuError("invalid", "image_size", f"画像が大きすぎます（{width}×{height}ピクセル）。", "image")
            image.verify()
    except RichMenuError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise RichMenuError("invalid", "image_unreadable",
                            "画像を読み込めませんでした。JPEG または PNG の画像ファイルを選んでください。", "image") from None
    if fmt not in _FORMATS:
        raise RichMenuError("invalid", "image_format",
                            f"画像の形式（{fmt}）は使えません。JPEG または PNG にしてください。", "image")
    bad = size_problems(width, height)
    if bad:
        raise RichMenuError("invalid", "image_size", "画像の大きさ: " + bad[0].message, "image")
    return ImageInfo(_FORMATS[fmt], width, height)
