"""pytest plugin: a running linesim and a small async driver for the bot's tests.

Use it from the root ``conftest.py`` with ``pytest_plugins = ["linesim.testing"]`` (or import the
fixtures into a package conftest). Fixtures:

``linesim_webhook_url``
    Where the default config sends webhooks (None; or call ``line_sim.set_webhook_url`` later).
``linesim_config``
    The `SimConfig` to start with (one channel ``test``, demo places). Override it to change.
``line_sim``
    A `LineSim` driver for a linesim running on 127.0.0.1 (free port), stopped after the test.
``line_sim_factory``
    ``await line_sim_factory(config)`` starts further instances (all stopped after the test).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack

import pytest
import pytest_asyncio

from .config import SimConfig
from .driver import TEST_SECRET, TEST_TOKEN, LineSim, WebhookDeliveryError, default_config, run_linesim

__all__ = [
    "TEST_SECRET", "TEST_TOKEN", "LineSim", "WebhookDeliveryError", "default_config", "line_sim",
    "line_sim_factory", "linesim_config", "linesim_webhook_url", "run_linesim",
]


@pytest.fixture
def linesim_webhook_url() -> str | None:
    """Override to point the default channel at the bot under test."""
    return None


@pytest.fixture
def linesim_config(linesim_webhook_url: str | None) -> SimConfig:
    """Override to start ``line_sim`` with other channels, places or a frozen clock."""
    return default_config(linesim_webhook_url)


@pytest_asyncio.fixture
async def line_sim_factory() -> AsyncIterator[Callable[[SimConfig], Awaitable[LineSim]]]:
    async with AsyncExitStack() as stack:
        async def start(config: SimConfig) -> LineSim:
            return await stack.enter_async_context(run_linesim(config))

        yield start


@pytest_asyncio.fixture
async def line_sim(linesim_config: SimConfig) -> AsyncIterator[LineSim]:
    async with run_linesim(linesim_config) as sim:
        yield sim
