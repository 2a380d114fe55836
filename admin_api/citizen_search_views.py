"""``GET /citizens/search``: finding the citizen a deletion request is about (the console's
個人データ削除 screen, before ``DELETE /citizens/{id}``; ``admin_api.citizen_views``).

By number (the citizen's id), by LINE user id (exact), by part of the LINE display name, or by the
name or phone number in their booking profile (施設予約の予約者情報; spaces and character widths
ignored). Names and numbers are stored encrypted, so a search decrypts them in the application; it
stops after ``LIMIT`` matches. Every search is recorded in the operation log: it
shows names and LINE user ids to whoever may erase."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from admin_api.citizen_views import ERASE
from admin_api.routing import ApiRouter, Call
from civic.booking.models import BookerProfile
from civic.citizens.models import Citizen
from civic.rows import table_of

LIMIT = 20
router = ApiRouter("citizen-search", description="利用者の検索（本人からの個人データ削除の求めに応じるため）")


class SearchQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    q: str = Field(min_length=1, max_length=64,
                   description="利用者番号、LINE ユーザーID（U から始まる33文字）、LINE の表示名や予約者の氏名の一部、"
                               "または予約者の電話番号")


class CitizenFound(BaseModel):
    id: int = Field(description="利用者番号")
    display_name: str | None = Field(description="LINE の表示名")
    channel_user_id: str = Field(description="LINE ユーザーID")
    is_friend: bool = Field(description="友だちか（ブロック中なら false）")
    followed_at: datetime | None
    created_at: datetime
    matched: str = Field(description="何が一致したか（番号、LINE ユーザーID、LINE の表示名、予約者の氏名、予約者の電話番号）")


class SearchOut(BaseModel):
    items: list[CitizenFound]
    more: bool = Field(description=f"{LIMIT}件を超えて見つかった（条件を絞ってください）")


def _folded(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


def _found(row: sa.Row[Any], matched: str) -> CitizenFound:
    return CitizenFound(id=row.id, display_name=row.display_name, channel_user_id=row.channel_user_id,
                        is_friend=row.is_friend, followed_at=row.followed_at, created_at=row.created_at,
                        matched=matched)


def _digits(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKC", text) if c.isdigit())


async def _by_booker(conn: Any, q: str) -> dict[str, str]:
    """LINE user ids of booker profiles (施設予約の予約者情報) whose name — or phone number, when ``q``
    is one — matches: the name staff hear from the citizen is often only there."""
    booker = table_of(BookerProfile)
    wanted = _folded(q)
    looks_like_phone = len(_digits(q)) >= 6 and not wanted.strip("0123456789-()")
    phone = _digits(q) if looks_like_phone else ""
    found: dict[str, str] = {}
    rows = await conn.stream(sa.select(booker.c.channel_user_id, booker.c.name, booker.c.phone)
                             .where(booker.c.channel_user_id.is_not(None)).execution_options(yield_per=2000))
    async for row in rows:
        if phone and phone == _digits(row.phone or ""):
            found[row.channel_user_id] = "予約者の電話番号"
        elif not phone and wanted in _folded(row.name or ""):
            found[row.channel_user_id] = "予約者の氏名"
        if len(found) > LIMIT:
            await rows.close()
            break
    return found


@router.route("GET", "/citizens/search", summary="利用者を探す（番号・LINE ユーザーID・表示名・予約者の氏名や電話番号）",
              permission=ERASE, query=SearchQuery, response=SearchOut, personal="citizens", personal_always=True)
async def search_citizens(call: Call) -> SearchOut:
    q = call.query.q.strip()
    citizen = table_of(Citizen)
    columns = [citizen.c.id, citizen.c.display_name, citizen.c.channel_user_id, citizen.c.is_friend,
               citizen.c.followed_at, citizen.c.created_at]
    async with call.ctx.db.read() as s:
        conn = await s.connection()
        exact: Sequence[sa.Row[Any]] = ()
        if q.isascii() and q.isdigit() and len(q) <= 9:
            exact = (await conn.execute(sa.select(*columns).where(citizen.c.id == int(q)))).all()
        elif q.isascii() and q.startswith("U") and len(q) > 8:
            exact = (await conn.execute(sa.select(*columns).where(citizen.c.channel_user_id == q))).all()
        if exact:
            return SearchOut(items=[_found(r, "番号" if q.isdigit() else "LINE ユーザーID") for r in exact], more=False)
        found: dict[int, CitizenFound] = {}
        bookers = await _by_booker(conn, q)
        if bookers:
            for row in (await conn.execute(sa.select(*columns).where(citizen.c.channel_user_id.in_(list(bookers)))
                                           .order_by(citizen.c.id.desc()))).all():
                found[row.id] = _found(row, bookers[row.channel_user_id])
        wanted = _folded(q)
        rows = await conn.stream(sa.select(*columns).where(citizen.c.display_name.is_not(None))
                                 .order_by(citizen.c.id.desc()).execution_options(yield_per=2000))
        async for row in rows:
            if len(found) > LIMIT:
                await rows.close()
                break
            if row.id not in found and wanted in _folded(row.display_name or ""):
                found[row.id] = _found(row, "LINE の表示名")
    items = sorted(found.values(), key=lambda c: -c.id)
    return SearchOut(items=items[:LIMIT], more=len(items) > LIMIT)
