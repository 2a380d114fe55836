"""linesim answers LINE's follower insight from its own state, through the SDK's insight client."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from linebot.v3.insight import AsyncApiClient, AsyncInsight, Configuration
from linebot.v3.insight.exceptions import ApiException

from linesim.testing import LineSim


def _day(offset: int = 0) -> str:
    return f"{datetime.now(ZoneInfo('Asia/Tokyo')).date() + timedelta(days=offset):%Y%m%d}"


async def test_followers_are_counted_from_the_recorded_state(line_sim: LineSim) -> None:
    stays = line_sim.create_user("山田花子")
    leaves = line_sim.create_user("佐藤一郎")
    await line_sim.unfollow(leaves)
    async with AsyncApiClient(Configuration(host=line_sim.url, access_token=line_sim.access_token)) as client:
        insight = AsyncInsight(client)
        answer = await insight.get_number_of_followers(var_date=_day())
        assert (answer.status, answer.followers, answer.targeted_reaches, answer.blocks) == ("ready", 2, 1, 1)
        assert stays != leaves
        with pytest.raises(ApiException) as before:  # nothing recorded before linesim started
            await insight.get_number_of_followers(var_date=_day(-30))
        assert before.value.status == 404
        with pytest.raises(ApiException) as bad:
            await insight.get_number_of_followers(var_date="20261341")
        assert bad.value.status == 400
