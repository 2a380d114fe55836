"""LINE's rules for rich-menu objects and their images."""

from __future__ import annotations

import io
from typing import Any

from linebot.v3.messaging import models as sdk
from PIL import Image, UnidentifiedImageError

from .errors import Detail, LineApiError
from .validation import check_action, sdk_details, utf16_len

MAX_AREAS = 20
MIN_WIDTH, MAX_WIDTH, MIN_HEIGHT = 800, 2500, 250
MIN_RATIO = 1.45
MAX_IMAGE_BYTES = 1024 * 1024
IMAGE_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG"}


def _size_problems(width: Any, height: Any, prop: str) -> list[Detail]:
    if not isinstance(width, int) or not isinstance(height, int):
        return [Detail("Must be integers", prop)]
    out = []
    if not MIN_WIDTH <= width <= MAX_WIDTH:
        out.append(Detail(f"Must be between {MIN_WIDTH} and {MAX_WIDTH}", f"{prop}.width"))
    if height < MIN_HEIGHT:
        out.append(Detail(f"Must be {MIN_HEIGHT} or more", f"{prop}.height"))
    if height > 0 and width / height < MIN_RATIO:
        out.append(Detail(f"Aspect ratio (width / height) must be {MIN_RATIO} or more", prop))
    return out


def check_rich_menu(body: Any) -> list[Detail]:
    """Problems with a rich-menu object (empty when it is fine)."""
    if not isinstance(body, dict):
        return [Detail("Must be a JSON object", "body")]
    out: list[Detail] = []
    size = body.get("size")
    if not isinstance(size, dict):
        out.append(Detail("May not be null", "size"))
        size = {}
    else:
        out += _size_problems(size.get("width"), size.get("height"), "size")
    if not isinstance(body.get("selected"), bool):
        out.append(Detail("May not be null", "selected"))
    name = body.get("name")
    if not isinstance(name, str) or not name:
        out.append(Detail("May not be empty", "name"))
    elif utf16_len(name) > 300:
        out.append(Detail("Length must be between 1 and 300", "name"))
    chat_bar = body.get("chatBarText")
    if not isinstance(chat_bar, str) or not chat_bar:
        out.append(Detail("May not be empty", "chatBarText"))
    elif utf16_len(chat_bar) > 14:
        out.append(Detail("Length must be between 1 and 14", "chatBarText"))
    areas = body.get("areas")
    if not isinstance(areas, list):
        out.append(Detail("May not be null", "areas"))
        areas = []
    elif len(areas) > MAX_AREAS:
        out.append(Detail(f"Size must be between 0 and {MAX_AREAS}", "areas"))
    width, height = size.get("width"), size.get("height")
    for i, area in enumerate(areas):
        prop = f"areas[{i}]"
        if not isinstance(area, dict):
            out.append(Detail("Must be an object", prop))
            continue
        out += _bounds_problems(area.get("bounds"), width, height, f"{prop}.bounds")
        if area.get("action") is None:
            out.append(Detail("May not be null", f"{prop}.action"))
        else:
            out += check_action(area["action"], f"{prop}.action")
    if not out:
        out = sdk_details(lambda: sdk.RichMenuRequest.from_dict(body), "")
    return out


def _bounds_problems(bounds: Any, width: Any, height: Any, prop: str) -> list[Detail]:
    if not isinstance(bounds, dict):
        return [Detail("May not be null", prop)]
    values = [bounds.get(k) for k in ("x", "y", "width", "height")]
    if not all(isinstance(v, int) for v in values):
        return [Detail("x, y, width and height must be integers", prop)]
    x, y, w, h = values
    if x < 0 or y < 0 or w < 1 or h < 1:
        return [Detail("Must have x, y >= 0 and width, height >= 1", prop)]
    if isinstance(width, int) and isinstance(height, int) and (x + w > width or y + h > height):
        return [Detail("The area must be inside the rich menu image", prop)]
    return []


def check_rich_menu_image(data: bytes, content_type: str, menu_size: dict[str, int]) -> str:
    """Check an uploaded image; return its content type or raise LINE's error."""
    if len(data) > MAX_IMAGE_BYTES:
        raise LineApiError(413, "Request Entity Too Large: the rich menu image must be 1 MB or smaller")
    content_type = content_type.split(";")[0].strip().lower()
    if content_type not in IMAGE_TYPES:
        raise LineApiError(415, "Unsupported Media Type: the rich menu image must be image/jpeg or image/png")
    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt, (width, height) = image.format, image.size
    except (UnidentifiedImageError, OSError) as exc:
        raise LineApiError(400, "The image could not be read as JPEG or PNG") from exc
    if fmt != IMAGE_TYPES[content_type]:
        raise LineApiError(400, f"The image is {fmt}, but Content-Type says {content_type}")
    problems = _size_problems(width, height, "image")
    if problems:
        raise LineApiError(400, f"Invalid rich menu image size {width}x{height}", problems)
    if (width, height) != (menu_size.get("width"), menu_size.get("height")):
        raise LineApiError(
            400,
            f"The image size {width}x{height} does not match the rich menu size "
            f"{menu_size.get('width')}x{menu_size.get('height')}",
        )
    return content_type
