"""``GET /citizens/search``: finding the citizen a deletion request is about (the console's
個人データ削除 screen, before ``DELETE /citizens/{id}``; ``admin_api.citizen_views``).

By number (the citizen's id), by LINE user id (exact), or by part of the LINE display name (spaces
and character widths ignored). Display names are stored encrypted, so a name search decrypts them in
the application; it stops at ``LIMIT`` matches. Every search is recorded in the operation log: it
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
from civic.citizens.models import Citizen
from civic.rows import table_of

LIMIT = 20
router = ApiRouter("citizen-search", description="利用者の検索（本人からの個人データ削除の求めに応じるため）")


class SearchQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    q: str = Field(min_length=1, max_length=64,
                   description="利用者番号、LINE ユーザーID（U から始まる33文字）、または LINE の表示名の一部")


class CitizenFound(BaseModel):
    id: int = Field(description="利用者番号")
    display_name: str | None = Field(description="LINE の表示名")
    channel_user_id: str = Field(description="LINE ユーザーID")
    is_friend: bool = Field(description="友だちか（ブロック中なら false）")
    followed_at: datetime | None
    created_at: datetime


class SearchOut(BaseModel):
    items: list[CitizenFound]
    more: bool = Field(description=f"{LIMIT}件を超えて見つかった（条件を絞ってください）")


def _folded(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


def _found(row: sa.Row[Any]) -> CitizenFound:
    return CitizenFound(id=row.id, display_name=row.display_name, channel_user_id=row.channel_user_id,
                        is_friend=row.is_friend, followed_at=row.followed_at, created_at=row.created_at)


@router.route("GET", "/citizens/search", summary="利用者を探す（番号・LINE ユーザーID・表示名）", permission=ERASE,
              query=SearchQuery, response=SearchOut, personal="citizens", personal_always=True)
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
            return SearchOut(items=[_found(r) for r in exact], more=False)
        wanted = _folded(q)
        found: list[CitizenFound] = []
        rows = await conn.stream(sa.select(*columns).where(citizen.c.display_name.is_not(None))
                                 .order_by(citizen.c.id.desc()).execution_options(yield_per=2000))
        async for row in rows:
            if wanted in _folded(row.display_name or ""):
                if len(found) == LIMIT:
                    await rows.close()
                    return SearchOut(items=found, more=True)
                found.append(_found(row))
    return SearchOut(items=found, more=False)
