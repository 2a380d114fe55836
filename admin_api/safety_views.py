"""安否確認 for staff (issue #22): send a safety check to everyone or a segment (an urgent delivery, ahead
of every other), see the answers tallied by district, list those who need help with where they are,
export the answers as CSV, and close the check.

Tallies count people and hold nothing personal; the list and the CSV name citizens, where they are
and what they wrote (``personal=``: every read is recorded; without ``personal.view`` the names,
places and notes are withheld)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from admin_api.downloads import stream_csv
from admin_api.errors import ApiError
from admin_api.routing import ApiRouter, Call
from civic.clock import tokyo
from civic.deliveries.errors import DeliveryProblem
from civic.deliveries.services import DeliveryInput
from civic.disaster import safety
from civic.disaster.models import ANSWER_LABELS, ANSWERS, SafetyCheck
from civic.disaster.services import DisasterError
from dialogues.safety_check import question_messages

READ, MANAGE = "disaster.read", "disaster.manage"
WITHHELD = "（個人情報の閲覧権限がないため表示しません）"
router = ApiRouter("safety")


class CheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=100, description="例：大雨による避難指示（6月9日）")
    question: str = Field(min_length=1, max_length=1000, description="利用者への問いかけ")
    target: Literal["all", "segment"] = "all"
    segment_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class StatusCount(BaseModel):
    status: str
    label: str = Field(description="無事 / 支援が必要 / 避難中")
    count: int


class DistrictTally(BaseModel):
    district: str
    total: int
    counts: list[StatusCount]


class CheckOut(BaseModel):
    id: int
    title: str
    question: str
    target: str
    segment_id: int | None
    delivery_id: int | None
    status: str = Field(description="open（受付中）/ closed（終了）")
    created_by: str
    created_at: datetime
    closed_at: datetime | None
    answered: int
    counts: list[StatusCount]


class CheckDetail(CheckOut):
    districts: list[DistrictTally]


class AnswersQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["safe", "need_help", "evacuating"] | None = None
    limit: int = Field(default=100, ge=1, le=500)
    offset: int = Field(default=0, ge=0)


class AnswerOut(BaseModel):
    citizen_id: int
    user: str
    display_name: str | None
    district: str
    status: str
    status_label: str
    place: str | None
    latitude: float | None
    longitude: float | None
    map_url: str | None
    note: str | None
    answered_at: datetime
    updated_at: datetime


class AnswersPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[AnswerOut]


def _counts(by_status: dict[str, int]) -> list[StatusCount]:
    return [StatusCount(status=s, label=ANSWER_LABELS[s], count=by_status.get(s, 0)) for s in ANSWERS]


def _check_out(row: SafetyCheck, tallies: safety.Tallies) -> dict[str, Any]:
    assert row.id is not None
    return dict(id=row.id, title=row.title, question=row.question, target=row.target, segment_id=row.segment_id,
                delivery_id=row.delivery_id, status=row.status, created_by=row.created_by, created_at=row.created_at,
                closed_at=row.closed_at, answered=tallies.total, counts=_counts(tallies.by_status))


def _answer_out(call: Call, row: safety.AnswerRow) -> AnswerOut:
    a, see = row.answer, call.personal
    lat = lon = None
    if a.location and see:
        lat, lon = (float(x) for x in a.location.split(","))
    return AnswerOut(citizen_id=a.citizen_id, user=row.channel_user_id if see else f"citizen-{a.citizen_id}",
                     display_name=row.display_name if see else None, district=row.district, status=a.status,
                     status_label=ANSWER_LABELS[a.status], place=(a.place if see else WITHHELD) if a.place else None,
                     latitude=lat, longitude=lon,
                     map_url=f"https://maps.gsi.go.jp/#17/{lat:.6f}/{lon:.6f}/" if lat is not None else None,
                     note=(a.note if see else WITHHELD) if a.note else None, answered_at=a.answered_at,
                     updated_at=a.updated_at)


def _refused(exc: DisasterError) -> ApiError:
    return ApiError(404 if exc.kind == "not_found" else 422, exc.kind, exc.message)


def _by(call: Call) -> str:
    return call.principal.login if call.principal is not None else "system"


@router.route("GET", "/safety-checks", summary="安否確認の一覧（回答数つき）", permission=READ, response=list[CheckOut])
async def list_checks(call: Call) -> list[CheckOut]:
    async with call.ctx.db.read() as s:
        return [CheckOut(**_check_out(row, await safety.tallies(s, row.id or 0))) for row in await safety.checks(s)]


@router.route("POST", "/safety-checks", summary="安否確認を送る（緊急配信）", permission=MANAGE, body=CheckIn,
              response=CheckDetail, status=201,
              description="問いかけに「無事／支援が必要／避難中」のボタンを付けて、全員またはセグメントに緊急配信"
                          "（ほかのすべての配信より先）で送ります。")
async def create_check(call: Call) -> CheckDetail:
    body: CheckIn = call.body
    now = call.ctx.clock.now()
    async with call.ctx.db.write() as s:
        try:
            row = await safety.create_check(s, now, title=body.title, question=body.question, target=body.target,
                                            segment_id=body.segment_id, by=_by(call))
            delivery = await call.ctx.desk.create(s, now, DeliveryInput(
                title=f"安否確認：{row.title}"[:100], messages=question_messages(row), target=body.target,
                segment_id=body.segment_id, urgent=True), by=_by(call), source="safety", source_ref=f"safety:{row.id}")
        except DisasterError as exc:
            raise _refused(exc) from exc
        except DeliveryProblem as exc:
            raise ApiError(404 if exc.kind == "not_found" else 422, exc.code, exc.message, exc.field) from exc
        row.delivery_id = delivery.id
        s.add(row)
        out = CheckDetail(**_check_out(row, safety.Tallies()), districts=[])
        await call.audit(s, "safety.create", f"safety_check:{row.id}",
                         after=body.model_dump(mode="json") | {"delivery_id": delivery.id})
    if call.ctx.wake_deliveries is not None:
        call.ctx.wake_deliveries()  # urgent: sent at once, ahead of everything else
    return out


@router.route("GET", "/safety-checks/{check_id:\\d+}", summary="安否確認の集計（地区別）", permission=READ,
              response=CheckDetail)
async def get_check(call: Call) -> CheckDetail:
    async with call.ctx.db.read() as s:
        try:
            row = await safety.get_check(s, call.path_int("check_id"))
        except DisasterError as exc:
            raise _refused(exc) from exc
        tallies = await safety.tallies(s, call.path_int("check_id"))
    return CheckDetail(**_check_out(row, tallies), districts=[
        DistrictTally(district=d, total=sum(c.values()), counts=_counts(c)) for d, c in tallies.districts.items()])


@router.route("GET", "/safety-checks/{check_id:\\d+}/answers", personal="safety_answers",
              summary="安否確認の回答（支援が必要な人の場所など、個人ごと）", permission=READ, query=AnswersQuery,
              response=AnswersPage, description="status=need_help で支援が必要な人だけを、新しい回答から順に返します。")
async def list_answers(call: Call) -> AnswersPage:
    q: AnswersQuery = call.query
    async with call.ctx.db.read() as s:
        try:
            await safety.get_check(s, call.path_int("check_id"))
        except DisasterError as exc:
            raise _refused(exc) from exc
        total, rows = await safety.answers(s, call.path_int("check_id"), status=q.status, limit=q.limit,
                                           offset=q.offset)
    return AnswersPage(total=total, limit=q.limit, offset=q.offset, items=[_answer_out(call, r) for r in rows])


@router.route("GET", "/safety-checks/{check_id:\\d+}/answers.csv", personal="safety_answers",
              summary="安否確認の回答の CSV 出力（Excel 用）", permission=READ, response=str, produces="text/csv",
              description="UTF-8（BOM つき）・改行 CRLF。personal.view がなければ利用者は仮名、場所と内容は伏せます。")
async def export_answers(call: Call) -> Any:
    check_id = call.path_int("check_id")
    async with call.ctx.db.read() as s:
        try:
            check = await safety.get_check(s, check_id)
        except DisasterError as exc:
            raise _refused(exc) from exc

    async def rows() -> Any:
        async for row in safety.every_answer(call.ctx.db, check_id):
            out = _answer_out(call, row)
            yield [f"{tokyo(row.answer.updated_at):%Y-%m-%d %H:%M}", out.user, out.display_name or "", out.district,
                   out.status_label, out.place or "", "" if out.latitude is None else f"{out.latitude:.6f}",
                   "" if out.longitude is None else f"{out.longitude:.6f}", out.note or ""]

    name = f"safety-check-{check.id}-{tokyo(call.ctx.clock.now()):%Y%m%d-%H%M}.csv"
    return await stream_csv(call.request, name, ["回答日時", "利用者", "表示名", "地区", "状況", "場所", "緯度", "経度",
                                                 "伝えたいこと"], rows())


@router.route("POST", "/safety-checks/{check_id:\\d+}/close", summary="安否確認の受付を終了", permission=MANAGE,
              response=CheckDetail)
async def close_check(call: Call) -> CheckDetail:
    check_id = call.path_int("check_id")
    async with call.ctx.db.write() as s:
        try:
            before = (await safety.get_check(s, check_id)).status
            row = await safety.close_check(s, call.ctx.clock.now(), check_id)
        except DisasterError as exc:
            raise _refused(exc) from exc
        tallies = await safety.tallies(s, check_id)
        await call.audit(s, "safety.close", f"safety_check:{check_id}", before={"status": before},
                         after={"status": row.status})
    return CheckDetail(**_check_out(row, tallies), districts=[
        DistrictTally(district=d, total=sum(c.values()), counts=_counts(c)) for d, c in tallies.districts.items()])
