"""Deliveries against linesim through the real line-bot-sdk client (``bot.gateway.LineGateway``):
a production and a test channel, citizens who exist both in linesim and in the database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest_asyncio

from bot.gateway import LineGateway, RetryPolicy
from bot.settings import LineAccount
from civic.citizens.models import Citizen
from civic.database import Database
from linesim import ChannelConfig, SimConfig
from linesim.testing import LineSim, run_linesim
from tests.attributes.support import NOW

PROD_SECRET, PROD_TOKEN = "deliveries-prod-secret", "deliveries-prod-token"
TEST_SECRET, TEST_TOKEN = "deliveries-test-secret", "deliveries-test-token"


async def _no_sleep(_: float) -> None:
    return None


@dataclass
class Line:
    sim: LineSim  # the production channel
    test_sim: LineSim  # the test account's channel
    gateway: LineGateway

    async def citizens(self, db: Database, n: int, *, test: bool = False, friend: bool = True) -> list[str]:
        """``n`` citizens known to linesim (in the right channel) and to the database."""
        sim = self.test_sim if test else self.sim
        users = [sim.create_user(f"市民{i}") for i in range(n)]
        async with db.write() as s:
            s.add_all([Citizen(channel_user_id=u, is_test_account=test, is_friend=friend, followed_at=NOW,
                               created_at=NOW) for u in users])
        return users


@pytest_asyncio.fixture
async def line() -> AsyncIterator[Line]:
    config = SimConfig(channels=[ChannelConfig("production", PROD_SECRET, PROD_TOKEN),
                                 ChannelConfig("test", TEST_SECRET, TEST_TOKEN)])
    async with run_linesim(config) as sim:
        accounts = {"production": LineAccount("production", PROD_SECRET, PROD_TOKEN, sim.url, sim.url),
                    "test": LineAccount("test", TEST_SECRET, TEST_TOKEN, sim.url, sim.url)}
        gateway = LineGateway(accounts, retry=RetryPolicy(attempts=2, base_delay=0.01), sleep=_no_sleep)
        try:
            yield Line(sim, sim.for_channel("test"), gateway)
        finally:
            await gateway.close()
