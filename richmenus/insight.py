"""LINE's own statistics beside ours (国富町 §9(2)(ウ)⑦): followers and blocks as LINE counts them, and
clicks per area of the published menus. LINE computes them a day late and hides small numbers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

import aiohttp
from linebot.v3.insight.exceptions import ApiException as InsightApiException
from sqlmodel import col, select

from civic.database import Database
from richmenus.errors import RichMenuError
from richmenus.line_api import ACCOUNT_NAMES, LineApiFactory, line_message
from richmenus.line_objects import line_request
from richmenus.models import RichMenuRelease, RichMenuUpload
from richmenus.spec import MenuSpec


@dataclass(frozen=True)
class LineFollowers:
    day: date
    status: str | None  # ready | unready (not computed yet) | out_of_service
    followers: int | None  # friends ever added (LINE does not subtract blocks)
    targeted_reaches: int | None
    blocks: int | None


@dataclass(frozen=True)
class LineAreaClicks:
    menu_id: int
    menu_name: str
    area_index: int | None
    label: str | None
    clicks: int
    unique_users: int


def _unavailable(account: str, exc: Exception) -> RichMenuError:
    return RichMenuError("unavailable", "line_insight_unavailable",
                         f"{ACCOUNT_NAMES.get(account, account)}の LINE 統計を取得できませんでした（{line_message(exc)}）。"
                         "LINE の統計は前日分までで、人数が少ないと表示されないことがあります。")


async def line_followers(apis: LineApiFactory, account: str, day: date) -> LineFollowers:
    try:
        async with apis(account) as line:
            if line.insight is None:
                raise RichMenuError("unavailable", "line_insight_unavailable", "LINE の統計はこの環境では使えません。")
            answer = await line.insight.get_number_of_followers(var_date=f"{day:%Y%m%d}")
    except (InsightApiException, aiohttp.ClientError, TimeoutError) as exc:
        raise _unavailable(account, exc) from exc
    return LineFollowers(day, answer.status, answer.followers, answer.targeted_reaches, answer.blocks)


async def line_richmenu_clicks(apis: LineApiFactory, db: Database, account: str, since: date,
                               until: date) -> list[LineAreaClicks]:
    """Clicks per area of each menu of the account's current release, labelled with our area names."""
    async with db.read() as s:
        release = (await s.exec(select(RichMenuRelease).where(RichMenuRelease.account == account,
                                                              RichMenuRelease.status == "applied")
                                .order_by(col(RichMenuRelease.number).desc()))).first()
        uploads = {u.content_hash: u.line_rich_menu_id for u in (await s.exec(
            select(RichMenuUpload).where(RichMenuUpload.account == account))).all()}
    if release is None:
        return []
    out: list[LineAreaClicks] = []
    try:
        async with apis(account) as line:
            if line.insight is None:
                raise RichMenuError("unavailable", "line_insight_unavailable", "LINE の統計はこの環境では使えません。")
            for menu_id, entry in json.loads(release.snapshot)["menus"].items():
                line_id = uploads.get(line_request(entry)[1])
                if line_id is None:
                    continue
                summary = await line.insight.get_rich_menu_insight_summary(line_id, f"{since:%Y%m%d}", f"{until:%Y%m%d}")
                spec = MenuSpec.model_validate(entry["spec"])
                where = {(a.bounds.x, a.bounds.y, a.bounds.width, a.bounds.height): i for i, a in enumerate(spec.areas)}
                for click in summary.clicks or []:
                    b = click.bounds
                    index = where.get((b.x, b.y, b.width, b.height))
                    out.append(LineAreaClicks(int(menu_id), entry["name"], index,
                                              spec.areas[index].label if index is not None else None,
                                              click.metrics.count, click.metrics.unique_users))
    except (InsightApiException, aiohttp.ClientError, TimeoutError) as exc:
        raise _unavailable(account, exc) from exc
    return out
