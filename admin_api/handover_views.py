"""Staff API for hand-overs (有人チャット, issue #17): the inbox of open conversations, taking one,
replying (a LINE push through the outbox, its own retry key: delivered exactly once), internal
notes, closing (the citizen is told and may rate it 満足 / 不満).

Contract (issue #17): ``GET /handovers?status=open|closed`` lists ``id``, ``citizen``, ``status``,
``assignee``, ``waiting_since``; ``POST /handovers/{id}/assign``; ``POST /handovers/{id}/messages``
with ``{"text": "…"}``; ``POST /handovers/{id}/close``. Every change is in the operation log.

Permission: ``handovers.answer`` (a role can answer without being able to send deliveries). Staff
answering must read what the citizen wrote, so message texts are shown as written; the citizen's
LINE user id is a pseudonym without ``personal.view``.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, Field
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from admin_api import handover_stream, handover_work_views
from admin_api.errors import ApiError
from admin_api.routing import ApiRouter, Call
from civic.attributes import services as attributes
from civic.attributes.kinds import display
from civic.attributes.models import DATE, TEXT
from civic.handover import services as handovers
from civic.handover.models import Handover, HandoverMessage
from civic.staff.privacy import MASK, mask_value
from civic.talklog.models import TalkEntry

PERMISSION = "handovers.answer"
router = ApiRouter("handovers", description="有人チャット（職員が LINE で直接お答えする）")


class HandoverQuery(BaseModel):
    status: Literal["open", "closed"] | None = Field(default=None, description="open（対応中・待ち）/ closed（終了）")


class HandoverOut(BaseModel):
    id: int
    citizen: str = Field(description="利用者（personal.view がなければ仮名）")
    status: Literal["open", "closed"]
    assignee: str | None = Field(description="担当の職員（未割り当てなら null）")
    assignee_id: int | None
    waiting_since: datetime
    waiting_seconds: int = Field(description="待ち始めてからの秒数（終了したものは終了まで）")
    queued: bool = Field(description="受付時間外に受け付けた")
    reason: str
    first_reply_at: datetime | None
    closed_at: datetime | None
    rating: str = Field(description="good（満足）/ bad（不満）/ ''（未評価）")
    last_message_id: int = Field(description="最新のメッセージの id（新着の確認用）")
    department: str = Field(default="", description="引き継がれた部署（'' なし）")


class MessageOut(BaseModel):
    id: int
    author: Literal["citizen", "staff", "note"]
    kind: str
    text: str
    staff_name: str
    has_image: bool = Field(description="画像あり（GET /handovers/{id}/messages/{message_id}/image）")
    at: datetime


class TalkOut(BaseModel):
    direction: Literal["in", "out"]
    kind: str
    text: str
    intent: str | None
    at: datetime


class AttributeLine(BaseModel):
    key: str
    label: str
    text: str = Field(description="表示用（personal.view がなければ日付・テキストは伏せ字）")


class HandoverDetail(HandoverOut):
    messages: list[MessageOut]
    history: list[TalkOut] = Field(description="有人チャットの前のボットとのやりとり（直近20件）")
    display_name: str | None = Field(default=None, description="LINE の表示名（personal.view がなければ伏せ字）")
    attributes: list[AttributeLine] = Field(default_factory=list,
                                            description="利用者の属性（personal.view がなければ日付・テキストは伏せ字）")


class MessagesQuery(BaseModel):
    after: int = Field(default=0, ge=0, le=2**31 - 1, description="この id より後のメッセージだけ（新着の取得）")


class MessageIn(BaseModel):
    text: str = Field(min_length=1, max_length=2000, description="利用者に LINE で送る文")
    note: bool = Field(default=False, description="true: 職員用のメモ（利用者には送りません）")


def _staff(call: Call) -> handovers.Staff:
    p = call.principal
    return handovers.Staff(p.staff_id if p else None, p.display_name if p else "")


def _out(call: Call, row: Handover, last: int) -> HandoverOut:
    assert row.id is not None
    end = row.closed_at or call.ctx.clock.now()
    citizen = row.channel_user_id if call.personal else (call.ctx.pseudonym(row.channel_user_id) or "")
    return HandoverOut(id=row.id, citizen=citizen, status=row.status,
                       assignee=row.assignee_name or None, assignee_id=row.assignee_id,
                       waiting_since=row.waiting_since,
                       waiting_seconds=max(0, int((end - row.waiting_since).total_seconds())), queued=row.queued,
                       reason=row.reason, first_reply_at=row.first_reply_at, closed_at=row.closed_at,
                       rating=row.rating, last_message_id=last, department=row.department)


def _message(row: HandoverMessage) -> MessageOut:
    assert row.id is not None
    return MessageOut(id=row.id, author=row.author, kind=row.kind, text=row.text,
                      staff_name=row.staff_name, has_image=row.image is not None, at=row.at)


def _fail(exc: handovers.HandoverError) -> ApiError:
    return ApiError(exc.status, exc.code, exc.message, "id")


async def _detail(call: Call, handover_id: int) -> HandoverDetail:
    async with call.ctx.db.read() as s:
        try:
            row = await handovers.load(s, handover_id)
        except handovers.HandoverError as exc:
            raise _fail(exc) from exc
        messages = await handovers.messages_of(s, handover_id)
        talk = list((await s.exec(select(TalkEntry).where(TalkEntry.channel_user_id == row.channel_user_id,
                                                          col(TalkEntry.at) <= row.waiting_since)
                                  .order_by(col(TalkEntry.id).desc()).limit(20))).all())
        name, attributes = await _citizen(call, s, row.channel_user_id)
    head = _out(call, row, messages[-1].id or 0 if messages else 0)
    return HandoverDetail(**head.model_dump(), messages=[_message(m) for m in messages],
                          display_name=name, attributes=attributes,
                          history=[TalkOut(direction=t.direction, kind=t.kind, text=t.text or "",
                                           intent=t.intent, at=t.at) for t in reversed(talk)])


async def _citizen(call: Call, s: AsyncSession, user: str) -> tuple[str | None, list[AttributeLine]]:
    """The citizen's display name and attributes as the caller may see them (masked without
    ``personal.view``: dates and free text, as the attribute views do)."""
    citizen = await attributes.citizen_by_user(s, user)
    if citizen is None or citizen.id is None:
        return None, []
    specs = await attributes.definitions_by_key(s)
    values = await attributes.citizen_values(s, citizen.id, specs)
    lines = [AttributeLine(key=spec.key, label=spec.label,
                           text=MASK if spec.kind in (DATE, TEXT) and not call.personal else display(spec, got))
             for spec in specs.values() if spec.active and (got := values.get(spec.key, []))]
    return (citizen.display_name if call.personal else mask_value(citizen.display_name)), lines


@router.route("GET", "/handovers", summary="有人チャットの一覧（待ちの長い順）", permission=PERMISSION,
              query=HandoverQuery, response=list[HandoverOut])
async def list_handovers(call: Call) -> list[HandoverOut]:
    q: HandoverQuery = call.query
    async with call.ctx.db.read() as s:
        rows = await handovers.listing(s, q.status)
        lasts = await handovers.last_message_ids(s, [r.id for r in rows if r.id is not None])
    return [_out(call, r, lasts.get(r.id or 0, 0)) for r in rows]


class FiguresQuery(BaseModel):
    since: date = Field(description="この日から（日本時間）")
    until: date = Field(description="この日まで（日本時間、この日を含む）")


class DayFiguresOut(BaseModel):
    day: date
    handovers: int = Field(description="受け付けた件数")
    answered: int = Field(description="職員が返信した件数")
    first_reply_p50: float | None = Field(description="最初の返信までの待ち時間の中央値（秒）")
    first_reply_p90: float | None = Field(description="最初の返信までの待ち時間の90パーセンタイル（秒）")
    satisfied: int
    dissatisfied: int
    handled_by: dict[str, int] = Field(description="職員ごとの担当件数")


@router.route("GET", "/handovers/figures", summary="有人チャットの統計（日ごと：件数・待ち時間・満足度・担当者）",
              permission=PERMISSION, query=FiguresQuery, response=list[DayFiguresOut])
async def handover_figures(call: Call) -> list[DayFiguresOut]:
    q = _range(call)
    async with call.ctx.db.read() as s:
        days = await handovers.figures(s, q.since, q.until)
    return [DayFiguresOut(**vars(d)) for d in days]


@router.route("GET", "/handovers/figures/total", summary="有人チャットの統計（期間全体：件数・待ち時間の中央値と90パーセンタイル・満足度・担当者）",
              permission=PERMISSION, query=FiguresQuery, response=DayFiguresOut)
async def handover_figures_total(call: Call) -> DayFiguresOut:
    q: FiguresQuery = _range(call)
    async with call.ctx.db.read() as s:
        return DayFiguresOut(**vars(await handovers.period_figures(s, q.since, q.until)))


def _range(call: Call) -> FiguresQuery:
    q: FiguresQuery = call.query
    if q.until < q.since or (q.until - q.since).days > 366:
        raise ApiError(422, "invalid_range", "期間は since から until まで、1年以内で指定してください。", "until")
    return q


# Staff answering see what the citizen wrote as it is (they need it to answer): every opening of a
# conversation and of a photo is recorded (小郡市 8(2)c コ). The 3-second polling of new messages in an
# open conversation is not: its opening is.
@router.route("GET", r"/handovers/{id:\d+}", summary="有人チャットの内容（メッセージとボットとのやりとり）",
              permission=PERMISSION, response=HandoverDetail, personal="handover_chat", personal_always=True)
async def get_handover(call: Call) -> HandoverDetail:
    return await _detail(call, call.path_int("id"))


@router.route("GET", r"/handovers/{id:\d+}/messages", summary="有人チャットのメッセージ（after より後の新着）",
              permission=PERMISSION, query=MessagesQuery, response=list[MessageOut])
async def list_handover_messages(call: Call) -> list[MessageOut]:
    handover_id = call.path_int("id")
    async with call.ctx.db.read() as s:
        if await s.get(Handover, handover_id) is None:
            raise ApiError(404, "not_found", f"ハンドオーバー {handover_id} はありません。", "id")
        return [_message(m) for m in await handovers.messages_of(s, handover_id, after=call.query.after)]


@router.route("GET", r"/handovers/{id:\d+}/messages/{message_id:\d+}/image", summary="利用者が送った画像（JPEG、位置情報などは削除済み）",
              permission=PERMISSION, response=bytes, produces="image/jpeg", personal="handover_photo",
              personal_always=True)
async def get_handover_image(call: Call) -> web.Response:
    async with call.ctx.db.read() as s:
        row = await s.get(HandoverMessage, call.path_int("message_id"))
    if row is None or row.handover_id != call.path_int("id") or row.image is None:
        raise ApiError(404, "not_found", "この画像はありません。", "message_id")
    return web.Response(body=base64.b64decode(row.image), content_type="image/jpeg",
                        headers={"Cache-Control": "private, no-store"})


@router.route("POST", r"/handovers/{id:\d+}/assign", summary="担当する（ほかの職員が担当中なら 409）",
              permission=PERMISSION, response=HandoverDetail, errors={409: "ほかの職員が担当中、または終了済み"})
async def assign_handover(call: Call) -> HandoverDetail:
    async def take(s: AsyncSession, handover_id: int) -> dict[str, Any]:
        return {"assignee": (await handovers.assign(s, handover_id, _staff(call))).assignee_name}

    return await _change(call, "handover.assign", take)


@router.route("POST", r"/handovers/{id:\d+}/messages", summary="利用者へ返信（LINE のプッシュ、再送キー付き）・職員メモ",
              permission=PERMISSION, body=MessageIn, response=MessageOut, status=201,
              errors={409: "ほかの職員が担当中、または終了済み"})
async def post_handover_message(call: Call) -> MessageOut:
    body: MessageIn = call.body
    handover_id = call.path_int("id")
    notifier = call.ctx.need(call.ctx.handover_notices, "有人チャットの返信")
    now = call.ctx.clock.now()
    async with call.ctx.db.write() as s:
        try:
            if body.note:
                message = await handovers.note(s, handover_id, _staff(call), body.text, now=now)
            else:
                message = await handovers.reply(s, handover_id, _staff(call), body.text, now=now, notifier=notifier)
        except handovers.HandoverError as exc:
            raise _fail(exc) from exc
        await call.audit(s, "handover.note" if body.note else "handover.reply", f"handover:{handover_id}",
                         after={"message_id": message.id})
        out = _message(message)
    call.ctx.handover_feed.poke()  # live views on this process see it at once (others: NOTIFY / the next look)
    return out


@router.route("POST", r"/handovers/{id:\d+}/close", summary="終了する（利用者にお知らせし、満足／不満をうかがいます）",
              permission=PERMISSION, response=HandoverDetail, errors={409: "終了済み"})
async def close_handover(call: Call) -> HandoverDetail:
    async def end(s: AsyncSession, handover_id: int) -> dict[str, Any]:
        row = await handovers.close(s, handover_id, by="staff", now=call.ctx.clock.now(),
                                    notifier=call.ctx.handover_notices)
        return {"status": row.status}

    return await _change(call, "handover.close", end)


async def _change(call: Call, action: str,
                  change: Callable[[AsyncSession, int], Awaitable[dict[str, Any]]]) -> HandoverDetail:
    """One state change of the hand-over in the path, audited in its transaction; its detail after."""
    handover_id = call.path_int("id")
    async with call.ctx.db.write() as s:
        try:
            after = await change(s, handover_id)
        except handovers.HandoverError as exc:
            raise _fail(exc) from exc
        await call.audit(s, action, f"handover:{handover_id}", after=after)
    call.ctx.handover_feed.poke()
    return await _detail(call, handover_id)


# Served with the rest of the hand-over API: the live view (SSE), transfers and reply templates.
router.include(handover_stream.router)
router.include(handover_work_views.router)
