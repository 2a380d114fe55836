"""Photos from citizens: checked, stripped of metadata, re-encoded before anything is stored.

A photo from a phone carries EXIF metadata (GPS position, device, time) the town must not keep.
Re-encoding the pixels into a fresh JPEG drops every metadata block (EXIF, XMP, ICC comments);
the EXIF orientation is applied first so the picture stays upright. Large photos are scaled down.
Pillow's decompression-bomb guard is enforced; anything that is not a readable image is refused
with a reason the citizen can act on.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

#: Formats phones send (and LINE delivers). GIF/WebP are accepted too; all become JPEG.
ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "GIF", "MPO", "HEIF", "BMP"})


@dataclass(frozen=True)
class PhotoPolicy:
    max_bytes: int = 10 * 1024 * 1024
    min_side: int = 120
    max_side: int = 1600
    max_pixels: int = 40_000_000
    quality: int = 85


@dataclass(frozen=True)
class CleanPhoto:
    jpeg: bytes
    width: int
    height: int


class PhotoRejected(ValueError):
    """``code`` is one of: empty, too_large, not_image, too_small, too_many_pixels."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code


def sanitize(data: bytes | None, policy: PhotoPolicy | None = None) -> CleanPhoto:
    policy = policy or PhotoPolicy()
    if not data:
        raise PhotoRejected("empty")
    if len(data) > policy.max_bytes:
        raise PhotoRejected("too_large", f"{len(data)} bytes")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                fmt = probe.format or ""
                width, height = probe.size
                if width * height > policy.max_pixels:
                    raise PhotoRejected("too_many_pixels", f"{width}x{height}")
                probe.verify()  # truncated / corrupt files fail here
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                upright = ImageOps.exif_transpose(image) or image
                rgb = upright.convert("RGB")
    except PhotoRejected:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning) as exc:
        raise PhotoRejected("not_image", type(exc).__name__) from None
    if fmt not in ACCEPTED_FORMATS:
        raise PhotoRejected("not_image", fmt or "unknown")
    if min(rgb.size) < policy.min_side:
        raise PhotoRejected("too_small", f"{rgb.size[0]}x{rgb.size[1]}")
    if max(rgb.size) > policy.max_side:
        rgb.thumbnail((policy.max_side, policy.max_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    # A fresh image with no info dict: nothing but pixels is written.
    clean = Image.new("RGB", rgb.size)
    clean.paste(rgb)
    clean.save(out, "JPEG", quality=policy.quality, optimize=True)
    return CleanPhoto(out.getvalue(), clean.size[0], clean.size[1])
