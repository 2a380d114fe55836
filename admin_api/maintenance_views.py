"""``/maintenance``: the maintenance notice staff schedule (国富町 §5(イ), §8(4)(ア); ``civic.maintenance``).
Citizens see it on the LIFF pages and the web chat in advance (``GET /api/maintenance``), and during the
window the bot answers their messages with it (``bot.maintenance``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from admin_api.errors import ApiError
from admin_api.routing import ApiRouter, Call, JapanDateTime
from civic.maintenance.services import Notice, cancel, current, schedule

PERMISSION = "staff.manage"
HORIZON = timedelta(days=366)
router = ApiRouter("maintenance", description="メンテナンスのお知らせ（利用者への事前告知と期間中の自動応答）")


class NoticeIn(BaseModel):
    starts_at: JapanDateTime = Field(description="開始日時（時差の記載がなければ日本時間）")
    ends_at: JapanDateTime = Field(description="終了日時")
    message: str = Field(min_length=1, max_length=500, description="利用者に伝える文（例: 予約の受付を一時停止します）")


class NoticeOut(BaseModel):
    starts_at: datetime
    ends_at: datetime
    message: str
    active: bool = Field(description="いまメンテナンス中か")


def _out(notice: Notice, now: datetime) -> NoticeOut:
    return NoticeOut(starts_at=notice.starts_at, ends_at=notice.ends_at, message=notice.message,
                     active=notice.active(now))


@router.route("GET", "/maintenance", summary="予定しているメンテナンス（なければ null）", permission=PERMISSION,
              response=NoticeOut | None)
async def get_maintenance(call: Call) -> NoticeOut | None:
    async with call.ctx.db.read() as s:
        notice = await current(s)
    return None if notice is None else _out(notice, call.ctx.clock.now())


@router.route("PUT", "/maintenance", summary="メンテナンスの予定と利用者へのお知らせを設定", permission=PERMISSION,
              body=NoticeIn, response=NoticeOut)
async def put_maintenance(call: Call) -> NoticeOut:
    body: NoticeIn = call.body
    if body.ends_at <= body.starts_at:
        raise ApiError(422, "invalid", "終了日時は開始日時より後にしてください。", "ends_at")
    if not body.message.strip():
        raise ApiError(422, "invalid", "お知らせの文を入力してください。", "message")
    now = call.ctx.clock.now()
    if body.ends_at <= now:
        raise ApiError(422, "invalid", "終了日時が過ぎています。", "ends_at")
    for name, value in (("starts_at", body.starts_at), ("ends_at", body.ends_at)):
        if abs(value - now) > HORIZON:
            raise ApiError(422, "invalid", "メンテナンスの予定は前後1年以内の日時で設定してください。", name)
    notice = Notice(body.starts_at, body.ends_at, body.message.strip())
    async with call.ctx.db.write() as s:
        before = await current(s)
        await schedule(s, notice, by=call.principal.login if call.principal else "(unknown)", now=now)
        await call.audit(s, "maintenance.update", "maintenance", before=before and _out(before, now).model_dump(mode="json"),
                         after=_out(notice, now).model_dump(mode="json"))
    return _out(notice, now)


@router.route("DELETE", "/maintenance", summary="メンテナンスのお知らせを取り消す", permission=PERMISSION,
              errors={404: "予定がありません"})
async def delete_maintenance(call: Call) -> None:
    now = call.ctx.clock.now()
    async with call.ctx.db.write() as s:
        before = await current(s)
        if before is None:
            raise ApiError(404, "not_found", "予定しているメンテナンスはありません。")
        await cancel(s)
        await call.audit(s, "maintenance.cancel", "maintenance", before=_out(before, now).model_dump(mode="json"))
