"""Drawing the sealed text as QR codes a phone screen shows reliably, and reading them back.

Error correction M (15 %) survives screen glare and scratches on a printed sheet; codes up to
version 25 (117×117 modules) scan well from a phone held up to a counter camera. A payload that
would need a bigger code is split into two or more codes (see :func:`civic.procedures.payload.split_text`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import qrcode
import qrcode.image.svg
from qrcode.constants import ERROR_CORRECT_M

from civic.procedures.payload import split_text

MAX_VERSION = 25


@dataclass(frozen=True)
class QrCode:
    text: str
    version: int
    modules: int  # modules per side
    svg: str


def _make(text: str, version: int | None = None) -> qrcode.QRCode:
    code = qrcode.QRCode(version=version, error_correction=ERROR_CORRECT_M, border=4)
    code.add_data(text, optimize=0)  # one alphanumeric segment: base45 is all QR-alphanumeric
    code.make(fit=version is None)
    return code


def version_for(text: str) -> int:
    return _make(text).version


def to_svg(code: qrcode.QRCode) -> str:
    image = code.make_image(image_factory=qrcode.image.svg.SvgPathImage)
    svg = image.to_string(encoding="unicode")
    return svg if isinstance(svg, str) else svg.decode("utf-8")


def render(sealed: str, *, max_version: int = MAX_VERSION) -> list[QrCode]:
    """One code if it fits within ``max_version``; otherwise the fewest parts that each fit."""
    for parts in range(1, 9):
        texts = split_text(sealed, parts)
        codes = [_make(t) for t in texts]
        if all(c.version <= max_version for c in codes):
            return [QrCode(t, c.version, c.modules_count, to_svg(c)) for t, c in zip(texts, codes, strict=True)]
    raise ValueError("payload too large for eight QR codes")


def png_bytes(text: str, *, box_size: int = 6) -> bytes:
    code = _make(text)
    code.box_size = box_size
    buffer = io.BytesIO()
    code.make_image().save(buffer, format="PNG")
    return buffer.getvalue()


def read_image(data: bytes) -> list[str]:
    """The texts of the QR codes in a photo or screenshot (zxing-cpp); empty when none is found."""
    import zxingcpp  # binary wheel from PyPI; imported here so the rest works without it
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, ValueError):
        return []
    gray = image.convert("L")
    return [r.text for r in zxingcpp.read_barcodes(gray) if r.text]
