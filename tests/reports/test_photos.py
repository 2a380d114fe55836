"""Photos are checked and re-encoded without metadata before they are stored."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from civic.reports.photos import PhotoPolicy, PhotoRejected, sanitize
from tests.dialogues.conftest import photo


def test_exif_is_stripped_and_orientation_applied() -> None:
    raw = photo(800, 600, exif_gps=True)
    assert Image.open(io.BytesIO(raw)).getexif().get(0x8825) is not None  # the original has GPS
    clean = sanitize(raw)
    image = Image.open(io.BytesIO(clean.jpeg))
    assert image.format == "JPEG" and not image.getexif() and not image.info.get("exif")
    assert (clean.width, clean.height) == image.size == (600, 800)
    assert b"PhoneModel" not in clean.jpeg


@pytest.mark.parametrize(("data", "code"), [
    (b"", "empty"),
    (b"GIF89a not really", "not_image"),
    (b"%PDF-1.7 a document", "not_image"),
    (photo(100, 80), "too_small"),
])
def test_bad_input_is_refused_with_a_reason(data: bytes, code: str) -> None:
    with pytest.raises(PhotoRejected) as refused:
        sanitize(data)
    assert refused.value.code == code


def test_limits() -> None:
    with pytest.raises(PhotoRejected) as big:
        sanitize(photo(800, 600), PhotoPolicy(max_bytes=1000))
    assert big.value.code == "too_large"
    with pytest.raises(PhotoRejected) as many:
        sanitize(photo(800, 600), PhotoPolicy(max_pixels=100_000))
    assert many.value.code == "too_many_pixels"
    clean = sanitize(photo(3000, 1000, fmt="PNG"), PhotoPolicy(max_side=1200))
    assert (clean.width, clean.height) == (1200, 400)


def test_truncated_file_is_refused() -> None:
    with pytest.raises(PhotoRejected) as cut:
        sanitize(photo(800, 600)[:1500])
    assert cut.value.code == "not_image"
