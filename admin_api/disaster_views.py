"""防災モード for staff (issue #22): the town's mode with its history, the switch (confirmed, with a reason,
audited), the menus prepared per mode, and shelters' state and count.

``PUT /disaster-mode`` needs ``confirm: true`` and a reason: the switch changes what every citizen
sees at once (menus, greeting, answers). It records who, when and why, commits, then relinks every
citizen's rich menu to the menus prepared for the mode (``richmenus.modes``)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from admin_api.downloads import csv_response
from admin_api.errors import ApiError
from admin_api.routing import ApiRouter, Call
from civic.disaster import services as disaster
from civic.disaster import shelter_import
from civic.disaster.models import (
    KIND_LABELS,
    MODE_LABELS,
    STATE_LABELS,
    DisasterModeChange,
    Shelter,
)
from richmenus import services as menus
from richmenus.errors import RichMenuError
from richmenus.modes import DisasterSwitch, ModeMenus

READ, MANAGE, SHELTERS = "disaster.read", "disaster.manage", "disaster.shelters"
Mode = Literal["normal", "alert", "disaster"]
router = ApiRouter("disaster")


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ChangeOut(BaseModel):
    id: int
    mode: str
    mode_label: str
    previous: str
    reason: str
    changed_by: str
    changed_at: datetime
    menus: str = Field(description="applied（メニュー切り替え済み）/ none（切り替えるメニューなし）/ failed / pending")
    error: str | None


class ModeOut(BaseModel):
    mode: str
    mode_label: str = Field(description="通常 / 警戒 / 災害")
    since: datetime | None
    history: list[ChangeOut]


class ModeIn(_In):
    mode: Mode
    reason: str = Field(min_length=1, max_length=500, description="切り替えの理由（操作ログと履歴に残ります）")
    confirm: bool = Field(default=False, description="true で確定（全員のメニューと応答が切り替わります）")


class ModeMenusIn(_In):
    default_menu_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    segments: list[tuple[str, int]] = Field(default_factory=list, max_length=50)


class ShelterIn(_In):
    state: Literal["not_open", "open", "crowded", "full", "closed"] | None = None
    capacity: int | None = Field(default=None, ge=0, le=100000)
    occupancy: int | None = Field(default=None, ge=0, le=100000)
    kinds: list[Literal["designated", "welfare", "pets"]] | None = Field(default=None, max_length=3)


class ShelterOut(BaseModel):
    facility_id: int
    name: str
    address: str
    latitude: float | None
    longitude: float | None
    state: str
    state_label: str
    capacity: int
    occupancy: int
    kinds: list[str]
    kind_labels: list[str]
    updated_at: datetime
    updated_by: str


def _change_out(row: DisasterModeChange) -> ChangeOut:
    assert row.id is not None
    return ChangeOut(id=row.id, mode=row.mode, mode_label=MODE_LABELS[row.mode], previous=row.previous,
                     reason=row.reason, changed_by=row.changed_by, changed_at=row.changed_at, menus=row.menus,
                     error=row.error)


def _shelter_out(v: disaster.ShelterView) -> ShelterOut:
    f, sh = v.facility, v.shelter
    assert f.id is not None
    return ShelterOut(facility_id=f.id, name=f.name, address=f.address, latitude=f.latitude, longitude=f.longitude,
                      state=sh.state, state_label=STATE_LABELS[sh.state], capacity=sh.capacity,
                      occupancy=sh.occupancy, kinds=v.kinds, kind_labels=[KIND_LABELS[k] for k in v.kinds],
                      updated_at=sh.updated_at, updated_by=sh.updated_by)


def _refused(exc: disaster.DisasterError) -> ApiError:
    return ApiError(404 if exc.kind == "not_found" else 422, exc.kind, exc.message)


async def _mode_out(call: Call) -> ModeOut:
    async with call.ctx.db.read() as s:
        rows = await disaster.history(s)
    mode = rows[0].mode if rows else "normal"
    return ModeOut(mode=mode, mode_label=MODE_LABELS[mode], since=rows[0].changed_at if rows else None,
                   history=[_change_out(r) for r in rows])


@router.route("GET", "/disaster-mode", summary="防災モードの現在の状態と切り替え履歴", permission=None,
              response=ModeOut, description="管理画面のヘッダーとダッシュボードに表示します（ログイン中の職員はだれでも見られます）。")
async def get_mode(call: Call) -> ModeOut:
    return await _mode_out(call)


@router.route("PUT", "/disaster-mode", summary="防災モードの切り替え（確認と理由が必要）", permission=MANAGE,
              body=ModeIn, response=ModeOut,
              description="confirm: true と理由が必要です。切り替えると、すべての利用者のリッチメニュー（既定・セグメント別）、"
                          "あいさつと応答が切り替わります。")
async def put_mode(call: Call) -> ModeOut:
    body: ModeIn = call.body
    if not body.confirm:
        raise ApiError(409, "confirmation_required",
                       f"防災モードを「{MODE_LABELS[body.mode]}」に切り替えると、すべての利用者のメニューと応答が変わります。"
                       "よろしければ confirm: true を付けてもう一度送ってください。", "confirm")
    ctx = call.ctx
    switch = DisasterSwitch(ctx.db, ctx.clock, ModeMenus(ctx.publisher) if ctx.publisher is not None else None)
    by = call.principal.login if call.principal is not None else "system"

    async def record(s: object, change: DisasterModeChange) -> None:
        await call.audit(s, "disaster.switch", f"disaster_mode:{change.id}",
                         before={"mode": change.previous}, after={"mode": change.mode, "reason": change.reason})

    try:
        await switch.switch(body.mode, by=by, reason=body.reason, record=record)
    except disaster.DisasterError as exc:
        raise _refused(exc) from exc
    call.audited = True  # unchanged mode: nothing to log
    return await _mode_out(call)


@router.route("PUT", "/disaster-mode/menus/{mode:alert|disaster}/{account:production|test}",
              summary="防災モードで表示するリッチメニューの設定（事前準備）", permission="richmenus.publish",
              body=ModeMenusIn, response=ModeMenusIn,
              description="設定したメニューは次の公開で LINE に登録され、切り替えのときは割り当てだけが変わります。")
async def put_mode_menus(call: Call) -> ModeMenusIn:
    body: ModeMenusIn = call.body
    mode, account = call.request.match_info["mode"], call.request.match_info["account"]
    async with call.ctx.db.write() as s:
        before = [{"segment_id": r.segment_id, "menu_id": r.menu_id}
                  for r in await menus.mode_targets_of(s, account, mode)]
        try:
            await menus.set_mode_targets(s, mode, account, default_menu_id=body.default_menu_id,
                                         segments=list(body.segments))
        except RichMenuError as exc:
            raise ApiError(404 if exc.kind == "not_found" else 422, exc.code, exc.message, exc.field) from exc
        await call.audit(s, "disaster.menus", f"disaster_menus:{mode}:{account}", before={"targets": before},
                         after=body.model_dump(mode="json"))
    return body


@router.route("GET", "/shelters", summary="避難所の一覧（状態・収容人数・現在の人数）", permission=READ,
              response=list[ShelterOut])
async def list_shelters(call: Call) -> list[ShelterOut]:
    async with call.ctx.db.read() as s:
        return [_shelter_out(v) for v in await disaster.shelters(s)]


@router.route("PUT", "/shelters/{facility_id:\\d+}", summary="避難所の状態・人数の更新", permission=SHELTERS,
              body=ShelterIn, response=ShelterOut)
async def update_shelter(call: Call) -> ShelterOut:
    body: ShelterIn = call.body
    facility_id = call.path_int("facility_id")
    by = call.principal.login if call.principal is not None else "system"
    async with call.ctx.db.write() as s:
        old = await s.get(Shelter, facility_id)
        before = {"state": old.state, "occupancy": old.occupancy, "capacity": old.capacity} if old else {}
        try:
            view = await disaster.update_shelter(s, call.ctx.clock.now(), facility_id, by=by, state=body.state,
                                                 capacity=body.capacity, occupancy=body.occupancy,
                                                 kinds=list(body.kinds) if body.kinds is not None else None)
        except disaster.DisasterError as exc:
            raise _refused(exc) from exc
        out = _shelter_out(view)
        await call.audit(s, "shelters.update", f"shelter:{facility_id}", before=before,
                         after=body.model_dump(mode="json", exclude_none=True))
    return out


# ---- shelters from a CSV file ------------------------------------------------------------------
class ShelterImportOut(BaseModel):
    rows: int
    created: int
    updated: int


@router.route("POST", "/shelters/import", summary="避難所の CSV 一括登録・更新", permission=SHELTERS,
              consumes=("text/csv", "application/octet-stream"), response=ShelterImportOut,
              errors={422: "取り込めない行がありました（何も保存していません）"},
              description=shelter_import.__doc__ or "")
async def import_shelters(call: Call) -> ShelterImportOut:
    by = call.principal.login if call.principal is not None else "system"
    async with call.ctx.db.write() as s:
        result = await shelter_import.import_shelters(s, call.ctx.clock.now(), call.body, by=by)
        if result.problems or not result.rows:
            listed = "／".join(f"{p.line}行目 {p.column}：{p.message}" for p in result.problems[:5])
            raise ApiError(422, "invalid_rows", f"{len(result.problems)}件の問題があったため、何も保存していません。"
                           f"{listed}" if result.problems else "取り込む行がありません。", "file")
        out = ShelterImportOut(rows=result.rows, created=result.created, updated=result.updated)
        await call.audit(s, "shelters.import", "shelters:csv",
                         after={"rows": result.rows, "created": result.created, "updated": result.updated})
    return out


@router.route("GET", "/shelters/import/template.csv", summary="避難所 CSV のひな形", permission=READ,
              response=str, produces="text/csv")
async def shelter_template(call: Call) -> web.Response:
    return csv_response("shelters-template.csv", ("\ufeff" + shelter_import.TEMPLATE).encode("utf-8"))
