"""おすすめ for staff (``/recommendations``): rules shown on citizens' my-pages, each a segment
filter over registered attributes. Staff see how many citizens each rule reaches, never who."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from admin_api.routing import ApiRouter, Call
from admin_api.segment_views import EDIT, FILTER_DOC, READ
from civic.recommendations import services as recommendations
from civic.recommendations.models import RecommendationRule
from civic.rows import pk
from civic.segments import services as segments
from civic.segments.services import today_in_tokyo

URL_PATTERN = r"^(https?://\S+)?$"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RuleIn(_In):
    title: str = Field(min_length=1, max_length=100, description="見出し（例: 1歳6か月児健康診査のご案内）")
    body: str = Field(default="", max_length=2000, description="説明")
    link_url: str = Field(default="", max_length=500, pattern=URL_PATTERN, description="詳しい案内のURL（任意）")
    filter: dict[str, Any] = Field(description="表示する人の条件（セグメントと同じ書き方）。" + FILTER_DOC)
    date_label: str = Field(default="", max_length=60,
                            description="年齢の条件に達した日に添える言葉（例: お子さまが1歳6か月になった日）。空欄は日付を出さない")
    active: bool = True
    starts_on: date | None = Field(default=None, description="掲載開始日（任意）")
    ends_on: date | None = Field(default=None, description="掲載終了日（任意）")
    position: int = Field(default=0, ge=0, le=10000, description="表示順（小さいほど上）")


class RuleUpdate(_In):
    title: str | None = Field(default=None, min_length=1, max_length=100)
    body: str | None = Field(default=None, max_length=2000)
    link_url: str | None = Field(default=None, max_length=500, pattern=URL_PATTERN)
    filter: dict[str, Any] | None = Field(default=None, description=FILTER_DOC)
    date_label: str | None = Field(default=None, max_length=60)
    active: bool | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    position: int | None = Field(default=None, ge=0, le=10000)


class RuleOut(BaseModel):
    id: int
    title: str
    body: str
    link_url: str
    filter: dict[str, Any]
    date_label: str
    active: bool
    starts_on: date | None
    ends_on: date | None
    position: int
    created_by: str
    created_at: datetime
    updated_at: datetime


class PreviewIn(_In):
    filter: dict[str, Any] = Field(description=FILTER_DOC)


class Count(BaseModel):
    count: int = Field(description="いま条件に当てはまる友だちの人数（テスト用アカウント・ブロック中を除く）")
    counted_at: datetime


class RuleCount(BaseModel):
    id: int
    count: int = Field(description="いま条件に当てはまる友だちの人数（掲載期間・有効かどうかによらない）")
    shown: bool = Field(description="いま表示中か（有効で掲載期間内）")


class Counts(BaseModel):
    rules: list[RuleCount]
    counted_at: datetime


router = ApiRouter("recommendations", description="おすすめ（マイページに表示するサービスの案内）")


def _out(row: RecommendationRule) -> RuleOut:
    return RuleOut(id=row.id, title=row.title, body=row.body, link_url=row.link_url, filter=json.loads(row.filter),
                   date_label=row.date_label, active=row.active, starts_on=row.starts_on, ends_on=row.ends_on,
                   position=row.position, created_by=row.created_by, created_at=row.created_at,
                   updated_at=row.updated_at)


@router.route("GET", "/recommendations", summary="おすすめの一覧", permission=READ, response=list[RuleOut])
async def list_rules(call: Call) -> list[RuleOut]:
    async with call.ctx.db.read() as s:
        return [_out(row) for row in await recommendations.list_rules(s)]


@router.route("GET", "/recommendations/counts", summary="おすすめごとの該当人数（人数のみ）", permission=READ,
              response=Counts)
async def count_rules(call: Call) -> Counts:
    now = call.ctx.clock.now()
    today = today_in_tokyo(now)
    async with call.ctx.db.read() as s:
        rows = await recommendations.list_rules(s)
        found = await recommendations.counts(s, rows, today)
    return Counts(counted_at=now, rules=[RuleCount(id=pk(r), count=found[pk(r)], shown=recommendations.in_period(r, today))
                                         for r in rows])


@router.route("POST", "/recommendations/preview", summary="条件の該当人数（保存せずに確認、人数のみ）", permission=READ,
              body=PreviewIn, response=Count)
async def preview_rule(call: Call) -> Count:
    call.audited = True  # a preview changes nothing: no operation-log entry
    now = call.ctx.clock.now()
    async with call.ctx.db.read() as s:
        node = await segments.checked(s, call.body.filter)
        return Count(count=await recommendations.count(s, node, today_in_tokyo(now)), counted_at=now)


@router.route("POST", "/recommendations", summary="おすすめの作成", permission=EDIT, body=RuleIn, response=RuleOut,
              status=201)
async def create_rule(call: Call) -> RuleOut:
    b: RuleIn = call.body
    async with call.ctx.db.write() as s:
        row = await recommendations.create_rule(s, call.ctx.clock.now(), filter_data=b.filter,
                                                by=call.principal.login if call.principal else "",
                                                **b.model_dump(exclude={"filter"}))
        out = _out(row)
        await call.audit(s, "recommendations.create", f"recommendation:{row.id}", after=out.model_dump(mode="json"))
    return out


@router.route("GET", "/recommendations/{rule_id:\\d+}", summary="おすすめ", permission=READ, response=RuleOut)
async def get_rule(call: Call) -> RuleOut:
    async with call.ctx.db.read() as s:
        return _out(await recommendations.get_rule(s, call.path_int("rule_id")))


@router.route("PATCH", "/recommendations/{rule_id:\\d+}", summary="おすすめの変更", permission=EDIT, body=RuleUpdate,
              response=RuleOut)
async def update_rule(call: Call) -> RuleOut:
    b: RuleUpdate = call.body
    rule_id = call.path_int("rule_id")
    async with call.ctx.db.write() as s:
        before = _out(await recommendations.get_rule(s, rule_id))
        row = await recommendations.update_rule(s, call.ctx.clock.now(), rule_id, filter_data=b.filter,
                                                **b.model_dump(exclude={"filter"}, exclude_unset=True))
        out = _out(row)
        await call.audit(s, "recommendations.update", f"recommendation:{rule_id}",
                         before=before.model_dump(mode="json"), after=out.model_dump(mode="json"))
    return out


@router.route("DELETE", "/recommendations/{rule_id:\\d+}", summary="おすすめの削除", permission=EDIT)
async def delete_rule(call: Call) -> None:
    rule_id = call.path_int("rule_id")
    async with call.ctx.db.write() as s:
        before = _out(await recommendations.get_rule(s, rule_id))
        await recommendations.delete_rule(s, rule_id)
        await call.audit(s, "recommendations.delete", f"recommendation:{rule_id}", before=before.model_dump(mode="json"))
