"""Fixtures for linesim's own tests: the plugin's fixtures, a settable clock, SDK clients."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from linesim_support import SECOND_SECRET, SECOND_TOKEN, ManualClock, Sdk, open_sdk

from linesim import ChannelConfig, SimConfig
from linesim.config import DEMO_PLACES
from linesim.testing import TEST_SECRET, TEST_TOKEN, LineSim, line_sim, line_sim_factory  # noqa: F401


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


@pytest_asyncio.fixture
async def sdk(line_sim: LineSim) -> AsyncIterator[Sdk]:  # noqa: F811
    bundle = await open_sdk(line_sim)
    yield bundle
    await bundle.client.close()
