"""Staff API for scenarios: author trees (JSON or YAML), keep a draft, publish, export.

Permissions: ``scenarios.read``, ``scenarios.edit`` (drafts, import), ``scenarios.publish``.
Test accounts (the town's test LINE channel) see drafts, so a scenario can be tried before it is
published.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, Field
from sqlmodel import col, select

from admin_api.errors import ApiError
from admin_api.routing import ApiRouter, Call
from civic.scenarios.models import Scenario
from civic.scenarios.services import (
    ScenarioError,
    create,
    export_yaml,
    import_yaml,
    publish,
    unpublish,
    update_draft,
)


class OptionIn(BaseModel):
    label: str = Field(min_length=1, max_length=20, description="ボタンの文字")
    next: str | None = Field(default=None, description="次のノード名")
    faq: str | None = Field(default=None, description="FAQ の ID")
    url: str | None = Field(default=None, description="ホームページなどの URL")
    flow: str | None = Field(default=None, description="garbage / facility / report / faq / booking / procedure")


class NodeIn(BaseModel):
    messages: list[str] = Field(min_length=1, max_length=3)
    options: list[OptionIn] = Field(default_factory=list, max_length=12)


class ScenarioIn(BaseModel):
    key: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9_-]*$", description="英小文字のキー")
    title: str = Field(min_length=1, max_length=100)
    keywords: list[str] = Field(default_factory=list, max_length=20)
    start: str = Field(min_length=1, max_length=40)
    nodes: dict[str, NodeIn]


class ScenarioUpdate(BaseModel):
    title: str = Field(min_length=1, max_length=100)
    keywords: list[str] = Field(default_factory=list, max_length=20)
    start: str = Field(min_length=1, max_length=40)
    nodes: dict[str, NodeIn]


class YamlIn(BaseModel):
    yaml: str = Field(min_length=1, max_length=200_000, description="シナリオの YAML")


class ScenarioSummary(BaseModel):
    id: int
    key: str
    title: str
    keywords: list[str]
    draft_version: int
    published_version: int | None
    published_at: datetime | None
    unpublished_changes: bool
    updated_at: datetime
    updated_by: str


class ScenarioDetail(ScenarioSummary):
    draft: dict[str, Any]
    published: dict[str, Any] | None
    created: bool = False


class ExportQuery(BaseModel):
    version: Literal["draft", "published"] = "draft"


router = ApiRouter("scenarios")


def known_faq(call: Call) -> Iterable[str] | None:
    """The FAQ entries a scenario may point to (``None``: not checked)."""
    return call.ctx.faq_ids


def summary(row: Scenario) -> ScenarioSummary:
    assert row.id is not None
    return ScenarioSummary(id=row.id, key=row.key, title=row.title, keywords=list(row.draft.get("keywords") or []),
                           draft_version=row.draft_version, published_version=row.published_version,
                           published_at=row.published_at,
                           unpublished_changes=row.published_version != row.draft_version,
                           updated_at=row.updated_at, updated_by=row.updated_by)


def detail(row: Scenario, created: bool = False) -> ScenarioDetail:
    return ScenarioDetail(**summary(row).model_dump(), draft=row.draft, published=row.published, created=created)


def problem(exc: ScenarioError) -> ApiError:
    first = exc.problems[0]
    status = 409 if exc.code == "duplicate_key" else 422
    more = f"（ほか{len(exc.problems) - 1}件）" if len(exc.problems) > 1 else ""
    return ApiError(status, exc.code, first.message + more, first.field or None)


async def load(session: Any, call: Call) -> Scenario:
    row = await session.get(Scenario, call.path_int("id"))
    if row is None:
        raise ApiError(404, "not_found", "シナリオが見つかりません。", "id")
    return row


def who(call: Call) -> str:
    return call.principal.display_name if call.principal else ""


@router.route("GET", "/scenarios", summary="シナリオの一覧", permission="scenarios.read",
              response=list[ScenarioSummary])
async def list_scenarios(call: Call) -> list[ScenarioSummary]:
    async with call.ctx.db.read() as s:
        rows = (await s.exec(select(Scenario).order_by(col(Scenario.id)))).all()
    return [summary(r) for r in rows]


@router.route("POST", "/scenarios", summary="シナリオの作成（下書き）", permission="scenarios.edit",
              body=ScenarioIn, response=ScenarioDetail, status=201)
async def create_scenario(call: Call) -> ScenarioDetail:
    try:
        async with call.ctx.db.write() as s:
            row = await create(s, call.body.model_dump(exclude_none=True), staff=who(call), now=call.ctx.clock.now(),
                               faq_ids=known_faq(call))
            out = detail(row, True)
            await call.audit(s, "scenarios.create", f"scenario:{row.id}", after=out)
            return out
    except ScenarioError as exc:
        raise problem(exc) from None


@router.route("GET", r"/scenarios/{id:\d+}", summary="シナリオ（下書きと公開版）", permission="scenarios.read",
              response=ScenarioDetail)
async def get_scenario(call: Call) -> ScenarioDetail:
    async with call.ctx.db.read() as s:
        return detail(await load(s, call))


async def change(call: Call, action: str, work: Callable[[Any, Scenario], Awaitable[Scenario]]) -> ScenarioDetail:
    """Change one scenario in one transaction with its operation-log entry (before/after); a refused
    change (``ScenarioError``) answers with the field at fault and logs nothing."""
    try:
        async with call.ctx.db.write() as s:
            row = await load(s, call)
            before = detail(row).model_dump(mode="json")
            out = detail(await work(s, row))
            await call.audit(s, action, f"scenario:{out.id}", before=before, after=out)
            return out
    except ScenarioError as exc:
        raise problem(exc) from None


@router.route("PUT", r"/scenarios/{id:\d+}", summary="下書きの更新", permission="scenarios.edit",
              body=ScenarioUpdate, response=ScenarioDetail)
async def update_scenario(call: Call) -> ScenarioDetail:
    return await change(call, "scenarios.update", lambda s, row: update_draft(
        s, row, call.body.model_dump(exclude_none=True), staff=who(call), now=call.ctx.clock.now(),
        faq_ids=known_faq(call)))


@router.route("POST", r"/scenarios/{id:\d+}/publish", summary="下書きを公開", permission="scenarios.publish",
              response=ScenarioDetail)
async def publish_scenario(call: Call) -> ScenarioDetail:
    return await change(call, "scenarios.publish", lambda s, row: publish(
        s, row, staff=who(call), now=call.ctx.clock.now(), faq_ids=known_faq(call)))


@router.route("POST", r"/scenarios/{id:\d+}/unpublish", summary="公開をやめる", permission="scenarios.publish",
              response=ScenarioDetail)
async def unpublish_scenario(call: Call) -> ScenarioDetail:
    return await change(call, "scenarios.unpublish", unpublish)


@router.route("DELETE", r"/scenarios/{id:\d+}", summary="シナリオの削除", permission="scenarios.publish")
async def delete_scenario(call: Call) -> None:
    async with call.ctx.db.write() as s:
        row = await load(s, call)
        before = detail(row).model_dump(mode="json")
        await s.delete(row)
        await call.audit(s, "scenarios.delete", f"scenario:{row.id}", before=before)


@router.route("GET", r"/scenarios/{id:\d+}/export", summary="YAML で書き出し", permission="scenarios.read",
              query=ExportQuery, response=str, produces="application/yaml")
async def export_scenario(call: Call) -> web.Response:
    async with call.ctx.db.read() as s:
        row = await load(s, call)
    try:
        text = export_yaml(row, version=call.query.version)
    except ScenarioError as exc:
        raise ApiError(404, exc.code, exc.problems[0].message, "version") from None
    return web.Response(text=text, content_type="application/yaml", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{row.key}.yml"'})


@router.route("POST", "/scenarios/import", summary="YAML の取り込み（同じキーは下書きを置き換え）",
              permission="scenarios.edit", body=YamlIn, response=ScenarioDetail)
async def import_scenario(call: Call) -> ScenarioDetail:
    try:
        async with call.ctx.db.write() as s:
            row, created = await import_yaml(s, call.body.yaml, staff=who(call), now=call.ctx.clock.now(),
                                             faq_ids=known_faq(call))
            out = detail(row, created)
            await call.audit(s, "scenarios.import", f"scenario:{row.id}", after=out)
            return out
    except ScenarioError as exc:
        raise problem(exc) from None

