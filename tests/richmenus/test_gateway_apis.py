"""Publishing through the service's gateway clients (as the running service does)."""

from __future__ import annotations

import pytest
from linebot.v3.messaging import AsyncApiClient, AsyncMessagingApi, AsyncMessagingApiBlob, Configuration

from civic.database import Database
from richmenus import services
from richmenus.errors import RichMenuError
from richmenus.line_api import GatewayLineApis
from richmenus.models import RichMenuRelease
from richmenus.publish import RichMenuPublisher
from tests.richmenus.conftest import Line, make_tabs
from tests.richmenus.line_view import CHANNELS


class Gateway:
    """The shape of bot.gateway.LineGateway: one SDK client per configured account."""

    def __init__(self, url: str, accounts: list[str]) -> None:
        self.clients = {a: AsyncApiClient(Configuration(host=url, access_token=CHANNELS[a][1])) for a in accounts}

    @property
    def channels(self) -> list[str]:
        return list(self.clients)

    def messaging_api(self, channel: str) -> AsyncMessagingApi:
        return AsyncMessagingApi(self.clients[channel])

    def blob_api(self, channel: str) -> AsyncMessagingApiBlob:
        return AsyncMessagingApiBlob(self.clients[channel])

    async def close(self) -> None:
        for client in self.clients.values():
            await client.close()


async def test_the_gateways_clients_publish_and_a_missing_account_is_explained(db: Database, line: Line) -> None:
    gateway = Gateway(line.view.sim.url, ["production"])
    try:
        publisher = RichMenuPublisher(db, line.clock, GatewayLineApis(lambda: gateway), line.segments)
        main, _ = await make_tabs(db)
        async with db.write() as s:
            await services.set_targets(s, "production", default_menu_id=main, segments=[])
            await services.set_targets(s, "test", default_menu_id=main, segments=[])
        assert (await publisher.publish("production", "manager")).status == "applied"
        assert line.view.default("production") is not None
        with pytest.raises(RichMenuError) as exc:
            await publisher.publish("test", "editor")
        assert "LINE_TEST_CHANNEL_ACCESS_TOKEN" in exc.value.message
        async with db.read() as s:
            releases = await s.exec(services.select(RichMenuRelease).where(RichMenuRelease.account == "test"))
            assert [(r.status, "LINE_TEST_CHANNEL" in r.error) for r in releases] == [("failed", True)]
    finally:
        await gateway.close()
