"""Helpers for linesim's tests: a settable clock, the real SDK clients, Pillow images."""

from __future__ import annotations

import io
import os
import time
from dataclasses import dataclass

from linebot.v3.messaging import AsyncApiClient, AsyncMessagingApi, AsyncMessagingApiBlob, Configuration
from PIL import Image, ImageDraw

from linesim.testing import LineSim

SECOND_TOKEN = "linesim-second-access-token"
SECOND_SECRET = "linesim-second-channel-secret"


class ManualClock:
    """Epoch seconds that move only when a test says so."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Sdk:
    """The real line-bot-sdk async clients, pointed at linesim."""

    client: AsyncApiClient
    api: AsyncMessagingApi
    blob: AsyncMessagingApiBlob


async def open_sdk(sim: LineSim, token: str | None = None) -> Sdk:
    client = AsyncApiClient(Configuration(host=sim.url, access_token=token or sim.access_token))
    return Sdk(client, AsyncMessagingApi(client), AsyncMessagingApiBlob(client))


def make_image(width: int, height: int, fmt: str = "PNG", *, noise: bool = False) -> bytes:
    """An image made with Pillow; ``noise`` makes it incompressible (for the size limit)."""
    if noise:
        image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    else:
        image = Image.new("RGB", (width, height), (6, 199, 85))
        draw = ImageDraw.Draw(image)
        for x in range(0, width, 100):
            draw.line([(x, 0), (x, height)], fill=(255, 255, 255), width=4)
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()
