"""Fixtures for linesim's own tests: the plugin's fixtures, a settable clock, SDK clients, images."""

from __future__ import annotations

import io
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import pytest_asyncio
from linebot.v3.messaging import AsyncApiClient, AsyncMessagingApi, AsyncMessagingApiBlob, Configuration
from PIL import Image, ImageDraw

from linesim import ChannelConfig, SimConfig
from linesim.config import DEMO_PLACES
from linesim.testing import TEST_SECRET, TEST_TOKEN, LineSim, line_sim, line_sim_factory  # noqa: F401

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


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def linesim_config(clock: ManualClock) -> SimConfig:
    return SimConfig(
        channels=[
            ChannelConfig("test", TEST_SECRET, TEST_TOKEN),
            ChannelConfig("second", SECOND_SECRET, SECOND_TOKEN),
        ],
        places=DEMO_PLACES,
        clock=clock,
    )


@dataclass
class Sdk:
    """The real line-bot-sdk async clients, pointed at linesim."""

    client: AsyncApiClient
    api: AsyncMessagingApi
    blob: AsyncMessagingApiBlob


async def open_sdk(sim: LineSim, token: str | None = None) -> Sdk:
    client = AsyncApiClient(Configuration(host=sim.url, access_token=token or sim.access_token))
    return Sdk(client, AsyncMessagingApi(client), AsyncMessagingApiBlob(client))


@pytest_asyncio.fixture
async def sdk(line_sim: LineSim) -> AsyncIterator[Sdk]:  # noqa: F811
    bundle = await open_sdk(line_sim)
    yield bundle
    await bundle.client.close()


def make_image(width: int, height: int, fmt: str = "PNG", *, noise: bool = False) -> bytes:
    """An image made with Pillow; ``noise`` makes it incompressible (for the size limit)."""
    if noise:
        import os

        image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    else:
        image = Image.new("RGB", (width, height), (6, 199, 85))
        draw = ImageDraw.Draw(image)
        for x in range(0, width, 100):
            draw.line([(x, 0), (x, height)], fill=(255, 255, 255), width=4)
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()
