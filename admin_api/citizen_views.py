"""Erasure of one citizen on request (``DELETE /citizens/{id}``; 国富町 仕様書 §9(4)(キ), the Act on
the Protection of Personal Information's deletion requests). See ``civic.citizens.erasure``.

Two calls: the first (without ``confirm``) changes nothing and answers 428 with what would be
erased per feature and a confirmation token bound to the citizen and the staff member, valid for a
few minutes; the second, with the token, erases and is written to the operation log once, in the
erasure's transaction, with row counts only (no personal data).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from admin_api.errors import ApiError
from admin_api.routing import ApiRouter, Call, in_japan_time
from civic.citizens import erasure
from civic.clock import Clock
from civic.database import Database

log = logging.getLogger(__name__)

ERASE = "citizens.erase"
#: How long a confirmation token is valid.
CONFIRM_FOR = timedelta(minutes=5)

#: Erases a user id's events from the inbox store (``apply=False``: counts them); returns the count.
InboxEraser = Callable[[str, bool], Awaitable[int]]
#: Removes the rich menu linked to a user id at LINE, for an account.
MenuUnlinker = Callable[[str, str], Awaitable[None]]


class ConfirmQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    confirm: str | None = Field(default=None, max_length=200,
                                description="1回目の呼び出しで返された確認トークン（5分間有効）")


class FeatureRows(BaseModel):
    feature: str = Field(description="機能（トークログ、施設予約など）")
    table: str
    action: str = Field(description="delete（削除）または anonymise（個人を特定できない形に変更）")
    rows: int


class ErasureOut(BaseModel):
    citizen_id: int
    erased: list[FeatureRows]
    line_rich_menu: str = Field(description="LINE 側のリッチメニューの解除: done / failed / none（割り当てなし）")


def _rows(counts: dict[str, dict[str, int]], inbox_events: int) -> list[FeatureRows]:
    rows = [FeatureRows(feature=erasure.FEATURES.get(table, table), table=table, action=action, rows=n)
            for table, per in counts.items() for action, n in per.items()]
    if inbox_events:
        rows.append(FeatureRows(feature=erasure.FEATURES["webhook_event"], table="webhook_event",
                                action=erasure.DELETE, rows=inbox_events))
    return rows


class _Tokens:
    """Confirmation tokens: ``<expiry>.<HMAC of citizen, their user id, staff member, expiry>``; the
    key lives in this process only (a restart asks for a new confirmation)."""

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)

    def _mac(self, citizen_id: int, user_id: str, staff_id: int, expires: int) -> str:
        text = f"{citizen_id}|{user_id}|{staff_id}|{expires}".encode()
        return hmac.new(self._key, text, hashlib.sha256).hexdigest()[:32]

    def issue(self, citizen_id: int, user_id: str, staff_id: int, now: datetime) -> tuple[str, datetime]:
        expires = now + CONFIRM_FOR
        stamp = int(expires.timestamp())
        return f"{stamp}.{self._mac(citizen_id, user_id, staff_id, stamp)}", expires

    def valid(self, token: str, citizen_id: int, user_id: str, staff_id: int, now: datetime) -> bool:
        stamp_text, _, mac = token.partition(".")
        if not (stamp_text.isascii() and stamp_text.isdigit()) or int(stamp_text) < now.timestamp():
            return False
        return hmac.compare_digest(mac, self._mac(citizen_id, user_id, staff_id, int(stamp_text)))


def citizen_router(db: Database, clock: Clock, *, erase_inbox: InboxEraser, unlink: MenuUnlinker | None) -> ApiRouter:
    router = ApiRouter("citizens", description="利用者（友だち）の個人データ")
    tokens = _Tokens()

    async def _unlink(links: list[tuple[str, str]]) -> str:
        if not links:
            return "none"
        if unlink is None:
            return "failed"
        try:
            for account, user_id in links:
                await unlink(account, user_id)
        except Exception as exc:  # LINE unreachable: the erasure goes on; the link dies with the friendship
            log.warning("rich menu unlink at LINE failed during an erasure: %s", type(exc).__name__)
            return "failed"
        return "done"

    async def _confirmation(call: Call, citizen_id: int, user_id: str, preview: erasure.Erasure,
                            now: datetime) -> web.Response:
        assert call.principal is not None
        token, expires = tokens.issue(citizen_id, user_id, call.principal.staff_id, now)
        rows = _rows(preview.counts, await erase_inbox(user_id, False))
        call.audited = True  # nothing changed; the erasure itself is logged
        message = ("確認の有効期限が切れたか、別の利用者のものです。内容を確かめて、もう一度確認してください。"
                   if call.query.confirm else
                   "次の個人データを削除します。よろしければ confirm を付けてもう一度呼び出してください。")
        return web.json_response({
            "error": {"code": "confirmation_required", "message": message, "field": "confirm"},
            "citizen_id": citizen_id, "erased": [r.model_dump() for r in rows],
            "line_rich_menu_links": len(preview.line_unlinks),
            "confirm": token, "expires_at": in_japan_time(expires).isoformat(),
        }, status=428, dumps=lambda o: json.dumps(o, ensure_ascii=False))

    @router.route("DELETE", "/citizens/{citizen_id:\\d+}", summary="利用者の個人データを削除する（本人からの求め）",
                  permission=ERASE, query=ConfirmQuery, response=ErasureOut,
                  errors={404: "利用者がいない（削除済みを含む）",
                          428: "確認が必要: 削除される内容と確認トークン（confirm）を返します。何も変わりません"},
                  description="1回目は削除せず、機能ごとの件数と確認トークンを 428 で返します。"
                              "5分以内に ?confirm=<トークン> を付けてもう一度呼ぶと削除します。"
                              "予約は枠を残したまま氏名・電話番号・ユーザーIDを消し、通報は写真と本文を消して場所と種類を残します。")
    async def erase_citizen(call: Call) -> ErasureOut | web.Response:
        citizen_id = call.path_int("citizen_id")
        assert call.principal is not None
        staff_id, now = call.principal.staff_id, clock.now()
        try:
            async with db.read() as s:
                user_id = await erasure.user_id_of(s, citizen_id)
                preview = await erasure.preview_erasure(s, citizen_id, now)
            if not (call.query.confirm and tokens.valid(call.query.confirm, citizen_id, user_id, staff_id, now)):
                return await _confirmation(call, citizen_id, user_id, preview, now)
            # The inbox store may be another database, and LINE is outside: both first (idempotent),
            # then the main database in one transaction with its operation-log entry.
            inbox_events = await erase_inbox(user_id, True)
            outcome = await _unlink(preview.line_unlinks)
            async with db.write() as s:
                done = await erasure.erase_citizen(s, citizen_id, now)
                await call.audit(s, "citizen.erase", f"citizen:{citizen_id}",
                                 after={"rows": done.counts, "inbox_events": inbox_events, "line_rich_menu": outcome})
        except erasure.CitizenNotFound:
            raise ApiError(404, "not_found", "この利用者はいません（すでに削除されている場合もあります）。") from None
        return ErasureOut(citizen_id=citizen_id, erased=_rows(done.counts, inbox_events), line_rich_menu=outcome)

    return router
