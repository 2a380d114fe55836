"""Segments for staff (``/segments``): save filter trees, count and sample before sending.

The sample shows pseudonyms unless the staff member may see personal data (``personal.view``).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import select

from admin_api.errors import ApiError
from admin_api.routing import ApiRouter, Call
from civic.deliveries.models import Delivery, MailRule
from civic.rows import pk
from civic.segments import services as segments
from civic.segments.models import Segment
from civic.staff.privacy import PERSONAL_PERMISSION
from richmenus.models import RichMenuTarget

READ, EDIT = "segments.read", "segments.edit"
FILTER_DOC = ("条件の木（JSON）。葉: choice / has / number / date / age / text / friend_days / all、"
              "組み合わせ: and / or / not。例: {\"type\": \"and\", \"items\": [{\"type\": \"choice\", "
              "\"attribute\": \"area\", \"values\": [\"honmachi\"]}, {\"type\": \"age\", \"attribute\": "
              "\"children_birth_dates\", \"unit\": \"months\", \"min\": 3, \"max\": 4}]}")


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SegmentIn(_In):
    name: str = Field(min_length=1, max_length=80)
    description: str = Field(default="", max_length=1000)
    filter: dict[str, Any] = Field(description=FILTER_DOC)


class SegmentUpdate(_In):
    name: str | None = Field(default=None, min_length=1, max_length=80)
    description: str | None = Field(default=None, max_length=1000)
    filter: dict[str, Any] | None = Field(default=None, description=FILTER_DOC)


class PreviewIn(_In):
    filter: dict[str, Any] = Field(description=FILTER_DOC)
    sample: int = Field(default=10, ge=0, le=50)


class SampleCitizen(BaseModel):
    citizen_id: int
    user: str = Field(description="LINE ユーザーID（personal.view がなければ仮名）")
    display_name: str | None


class Preview(BaseModel):
    count: int = Field(description="いま該当する友だちの人数（テスト用アカウント・ブロック中を除く）")
    test_accounts: int = Field(description="該当するテスト用アカウントの数")
    sample: list[SampleCitizen]
    counted_at: datetime


class SegmentOut(BaseModel):
    id: int
    name: str
    description: str
    filter: dict[str, Any]
    created_by: str
    created_at: datetime
    updated_at: datetime
    deliveries: int = Field(description="このセグメントを使う配信・メール転送ルール・リッチメニューの数")


router = ApiRouter("segments", description="セグメント（配信先の条件）")


async def _uses(s: Any, segment_id: int) -> int:
    """Deliveries, mail rules and rich-menu targets that name the segment."""
    found = len((await s.exec(select(Delivery.id).where(Delivery.segment_id == segment_id))).all())
    found += len((await s.exec(select(MailRule.id).where(MailRule.segment_id == segment_id))).all())
    found += len((await s.exec(select(RichMenuTarget.id).where(RichMenuTarget.segment_id == str(segment_id)))).all())
    return found


async def _out(s: Any, row: Segment) -> SegmentOut:
    return SegmentOut(id=row.id, name=row.name, description=row.description, filter=json.loads(row.filter),
                      created_by=row.created_by, created_at=row.created_at, updated_at=row.updated_at,
                      deliveries=await _uses(s, pk(row)))


async def _preview(call: Call, data: dict[str, Any], sample: int) -> Preview:
    now = call.ctx.clock.now()
    today = segments.today_in_tokyo(now)
    see = call.principal is not None and call.principal.can(PERSONAL_PERMISSION)
    async with call.ctx.db.read() as s:
        node = await segments.checked(s, data)
        found = await segments.preview(s, node, today, limit=sample)
    return Preview(count=found.count, test_accounts=found.test_accounts, counted_at=now, sample=[
        SampleCitizen(citizen_id=c.id, user=c.channel_user_id if see else call.ctx.pseudonym(c.channel_user_id),
                      display_name=c.display_name if see else None) for c in found.sample])


@router.route("GET", "/segments", summary="セグメント一覧", permission=READ, response=list[SegmentOut])
async def list_segments(call: Call) -> list[SegmentOut]:
    async with call.ctx.db.read() as s:
        return [await _out(s, row) for row in await segments.list_segments(s)]


@router.route("POST", "/segments/preview", summary="条件の人数と例（保存せずに確認）", permission=READ,
              body=PreviewIn, response=Preview)
async def preview_segment(call: Call) -> Preview:
    call.audited = True  # a preview changes nothing: no operation-log entry
    return await _preview(call, call.body.filter, call.body.sample)


@router.route("POST", "/segments", summary="セグメントの作成", permission=EDIT, body=SegmentIn,
              response=SegmentOut, status=201)
async def create_segment(call: Call) -> SegmentOut:
    b: SegmentIn = call.body
    async with call.ctx.db.write() as s:
        row = await segments.create_segment(s, call.ctx.clock.now(), name=b.name, filter_data=b.filter,
                                            description=b.description,
                                            by=call.principal.login if call.principal else "")
        out = await _out(s, row)
        await call.audit(s, "segments.create", f"segment:{row.id}", after=out.model_dump(mode="json"))
    return out


@router.route("GET", "/segments/{segment_id:\\d+}", summary="セグメント", permission=READ, response=SegmentOut)
async def get_segment(call: Call) -> SegmentOut:
    async with call.ctx.db.read() as s:
        return await _out(s, await segments.get_segment(s, call.path_int("segment_id")))


@router.route("GET", "/segments/{segment_id:\\d+}/count", personal="segment_sample", summary="セグメントの人数と例", permission=READ,
              response=Preview)
async def count_segment(call: Call) -> Preview:
    async with call.ctx.db.read() as s:
        row = await segments.get_segment(s, call.path_int("segment_id"))
    return await _preview(call, json.loads(row.filter), 10)


@router.route("PATCH", "/segments/{segment_id:\\d+}", summary="セグメントの変更", permission=EDIT,
              body=SegmentUpdate, response=SegmentOut)
async def update_segment(call: Call) -> SegmentOut:
    b: SegmentUpdate = call.body
    segment_id = call.path_int("segment_id")
    async with call.ctx.db.write() as s:
        before = await _out(s, await segments.get_segment(s, segment_id))
        row = await segments.update_segment(s, call.ctx.clock.now(), segment_id, name=b.name, description=b.description,
                                            filter_data=b.filter)
        out = await _out(s, row)
        await call.audit(s, "segments.update", f"segment:{segment_id}", before=before.model_dump(mode="json"),
                         after=out.model_dump(mode="json"))
    return out


@router.route("DELETE", "/segments/{segment_id:\\d+}", summary="セグメントの削除", permission=EDIT,
              errors={409: "配信で使われている"})
async def delete_segment(call: Call) -> None:
    segment_id = call.path_int("segment_id")
    async with call.ctx.db.write() as s:
        before = await _out(s, await segments.get_segment(s, segment_id))
        if before.deliveries:
            raise ApiError(409, "in_use", f"このセグメントは{before.deliveries}件の配信・メール転送ルール・"
                           "リッチメニューで使われているため削除できません。", "segment_id")
        await segments.delete_segment(s, segment_id)
        await call.audit(s, "segments.delete", f"segment:{segment_id}", before=before.model_dump(mode="json"))

