"""Staff API for the garbage dictionary's categories and collection areas, as forms (issue #16; 酒田市 第5章1(6):
staff keep the garbage dictionary current themselves). Categories are 5374's ``description.csv`` rows
(name, 補足, how to put it out); areas and their days are 5374's ``area_days.csv``, kept as that file
(``civic.content.garbage_areas``) so export gives it back as towns publish it. Every change bumps the
garbage content version: the bot answers the new day within seconds, in every process
(``bot.content_reload``). Included in ``garbage_views.router``. Permissions: ``garbage.read``, ``garbage.edit``.
"""

from __future__ import annotations

from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import BaseModel, Field, field_validator
from sqlmodel import col, select, update

from admin_api.errors import ApiError
from admin_api.faq_entry_views import changed
from admin_api.routing import ApiRouter, Call
from civic.content import garbage, garbage_areas
from civic.content.garbage_areas import AreaTable, DaysError
from civic.content.models import GARBAGE, GarbageCategoryRow, GarbageItemRow
from civic.content.versions import bump
from civic.stats.csvfile import FORMULA_STARTS

router = ApiRouter("garbage")
CATEGORY = "/garbage/categories/{label}"
AREA = "/garbage/areas/{name}"
Rules = Annotated[str, Field(max_length=300)]
DAYS_HELP = ("分別ごとの収集日（5374 の area_days.csv と同じ書き方）: 曜日「月 木」、第何週「水1 水3」、日付「20270114」、"
             "月の限定「金1:4 5 6」。空にするとその分別は収集なし。")


def _plain(value: str, what: str) -> str:
    value = value.strip()
    if value[:1] in FORMULA_STARTS:
        raise ValueError(f"{what}は記号（= + - @ など）以外の文字で始めてください。")
    if any(c in value for c in "/,\"") or any(ord(c) < 32 for c in value):
        raise ValueError(f"{what}に「/」「,」「\"」や改行は使えません。")
    return value


class CategoryIn(BaseModel):
    label: str = Field(min_length=1, max_length=100, description="分別の名前（例 燃やすごみ）")
    sublabel: str = Field(default="", max_length=200, description="補足（例 生ごみ・紙くずなど）")
    description: str = Field(default="", max_length=2000, description="出し方（袋・時間など、住民への説明）")

    @field_validator("label")
    @classmethod
    def _label(cls, v: str) -> str:
        return _plain(v, "分別の名前")


class CategoryPatch(BaseModel):
    label: str | None = Field(default=None, min_length=1, max_length=100, description="新しい名前（品目・収集日も付け替え）")
    sublabel: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=2000)

    @field_validator("label")
    @classmethod
    def _label(cls, v: str | None) -> str | None:
        return None if v is None else _plain(v, "分別の名前")


class CategoryOut(BaseModel):
    label: str
    sublabel: str
    description: str
    items: int


class AreaIn(BaseModel):
    name: str = Field(min_length=1, max_length=100, description="地区の名前（例 本町）")
    center: str = Field(default="", max_length=100, description="センター（center.csv の休止期間に使う名前）")
    days: dict[str, Rules] = Field(default_factory=dict, max_length=50, description=DAYS_HELP)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return _plain(v, "地区の名前")

    @field_validator("center")
    @classmethod
    def _center(cls, v: str) -> str:
        return _plain(v, "センター") if v.strip() else ""


class AreaPatch(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    center: str | None = Field(default=None, max_length=100)
    days: dict[str, Rules] | None = Field(default=None, max_length=50,
                                        description="変える分別だけでかまいません。" + DAYS_HELP)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str | None) -> str | None:
        return None if v is None else _plain(v, "地区の名前")

    @field_validator("center")
    @classmethod
    def _center(cls, v: str | None) -> str | None:
        return _plain(v, "センター") if v and v.strip() else v


class AreaDay(BaseModel):
    category: str
    rules: str = Field(description="収集日の書き方（例 月 木）")
    meaning: str = Field(description="読み方（例 毎週 月・木曜日）")


class AreaOut(BaseModel):
    name: str
    center: str
    days: list[AreaDay]


class AreasOut(BaseModel):
    categories: list[str] = Field(description="収集日を決められる分別（description.csv と area_days.csv の列）")
    areas: list[AreaOut]


def _area_out(area: garbage_areas.Area, table: AreaTable) -> AreaOut:
    return AreaOut(name=area.name, center=area.center,
                   days=[AreaDay(category=c, rules=area.days[c], meaning=garbage_areas.describe(area.days[c]))
                         for c in table.categories if area.days.get(c)])


async def _table(s: Any) -> AreaTable:
    return garbage_areas.parse(await garbage.file_text(s, garbage.AREA_DAYS))


async def _save(s: Any, call: Call, table: AreaTable) -> None:
    await garbage.put_file(s, garbage.AREA_DAYS, garbage_areas.write(table))
    await bump(s, GARBAGE, call.ctx.clock.now())


def _path(call: Call, name: str) -> str:
    return call.request.match_info[name].strip()


# -- categories ---------------------------------------------------------------------------------------


async def _category(s: Any, call: Call) -> GarbageCategoryRow:
    row = await s.get(GarbageCategoryRow, _path(call, "label"))
    if row is None:
        raise ApiError(404, "not_found", "分別が見つかりません。", "label")
    return row


async def _items_of(s: Any, label: str) -> int:
    return int((await s.exec(select(sa.func.count()).select_from(GarbageItemRow)
                             .where(GarbageItemRow.category == label))).one())


async def _category_out(s: Any, row: GarbageCategoryRow) -> CategoryOut:
    return CategoryOut(label=row.label, sublabel=row.sublabel, description=row.description,
                       items=await _items_of(s, row.label))


@router.route("POST", "/garbage/categories", summary="分別の追加", permission="garbage.edit", body=CategoryIn,
              response=CategoryOut, status=201, errors={409: "同じ名前の分別がある"})
async def create_garbage_category(call: Call) -> CategoryOut:
    body: CategoryIn = call.body
    async with call.ctx.db.write() as s:
        if await s.get(GarbageCategoryRow, body.label) is not None:
            raise ApiError(409, "conflict", f"分別「{body.label}」はすでにあります。", "label")
        await garbage.ensure_category(s, body.label)
        row = await s.get(GarbageCategoryRow, body.label)
        assert row is not None  # just added
        row.sublabel, row.description = body.sublabel, body.description
        s.add(row)
        await bump(s, GARBAGE, call.ctx.clock.now())
        out = await _category_out(s, row)
        await call.audit(s, "garbage.category.create", f"garbage-category:{row.label}", after=out)
    changed(call)
    return out


@router.route("PATCH", CATEGORY, summary="分別の変更（名前を変えると品目・収集日も付け替え）", permission="garbage.edit",
              body=CategoryPatch, response=CategoryOut, errors={409: "新しい名前の分別がすでにある"})
async def update_garbage_category(call: Call) -> CategoryOut:
    body: CategoryPatch = call.body
    async with call.ctx.db.write() as s:
        row = await _category(s, call)
        before = await _category_out(s, row)
        if body.sublabel is not None:
            row.sublabel = body.sublabel
        if body.description is not None:
            row.description = body.description
        s.add(row)
        if body.label is not None and body.label != row.label:
            row = await _rename(s, call, row, body.label)
        await bump(s, GARBAGE, call.ctx.clock.now())
        out = await _category_out(s, row)
        await call.audit(s, "garbage.category.update", f"garbage-category:{before.label}", before=before, after=out)
    changed(call)
    return out


async def _rename(s: Any, call: Call, row: GarbageCategoryRow, label: str) -> GarbageCategoryRow:
    if await s.get(GarbageCategoryRow, label) is not None:
        raise ApiError(409, "conflict", f"分別「{label}」はすでにあります。", "label")
    renamed = GarbageCategoryRow(label=label, sublabel=row.sublabel, description=row.description, styles=row.styles,
                                 bgcolor=row.bgcolor, position=row.position)
    old = row.label
    await s.delete(row)
    await s.flush()
    s.add(renamed)
    await s.exec(update(GarbageItemRow).where(col(GarbageItemRow.category) == old).values(category=label))
    table = await _table(s)
    if old in table.categories:
        table.categories[table.categories.index(old)] = label
        for area in table.areas:
            if old in area.days:
                area.days[label] = area.days.pop(old)
        await _save(s, call, table)
    await s.flush()
    return renamed


@router.route("DELETE", CATEGORY, summary="分別の削除（品目のない分別だけ）", permission="garbage.edit",
              errors={409: "この分別の品目がある"})
async def delete_garbage_category(call: Call) -> None:
    async with call.ctx.db.write() as s:
        row = await _category(s, call)
        before = await _category_out(s, row)
        if before.items:
            raise ApiError(409, "in_use", f"分別「{row.label}」の品目が{before.items}件あります。"
                                          "品目を別の分別に移すか削除してから、分別を削除してください。", "label")
        await s.delete(row)
        table = await _table(s)
        if row.label in table.categories:
            table.categories.remove(row.label)
            for area in table.areas:
                area.days.pop(row.label, None)
            await _save(s, call, table)
        await bump(s, GARBAGE, call.ctx.clock.now())
        await call.audit(s, "garbage.category.delete", f"garbage-category:{row.label}", before=before)
    changed(call)


# -- collection areas and days ------------------------------------------------------------------------


async def _checked_days(s: Any, table: AreaTable, days: dict[str, str]) -> dict[str, str]:
    """The rules as the file keeps them; 422 naming the category (``days.<分別>``) and the reason."""
    known = {c.label for c in await garbage.categories(s)} | set(table.categories)
    out = {}
    for category, spec in days.items():
        if category not in known:
            raise ApiError(422, "invalid", f"分別「{category}」はありません。先に分別を追加してください。",
                           f"days.{category}")
        try:
            out[category] = garbage_areas.check_days(category, spec)
        except DaysError as exc:
            raise ApiError(422, "invalid", f"{category}の収集日: {exc.reason}", exc.field) from exc
        if out[category] and category not in table.categories:
            table.categories.append(category)
    return out


def _set_days(area: garbage_areas.Area, days: dict[str, str]) -> None:
    for category, spec in days.items():
        if spec:
            area.days[category] = spec
        else:
            area.days.pop(category, None)


async def _area(s: Any, call: Call) -> tuple[AreaTable, garbage_areas.Area]:
    table = await _table(s)
    area = table.find(_path(call, "name"))
    if area is None:
        raise ApiError(404, "not_found", "地区が見つかりません。", "name")
    return table, area


@router.route("GET", "/garbage/areas", summary="収集地区と分別ごとの収集日", permission="garbage.read", response=AreasOut)
async def list_garbage_areas(call: Call) -> AreasOut:
    async with call.ctx.db.read() as s:
        table = await _table(s)
        labels = [c.label for c in await garbage.categories(s)]
    categories = [*table.categories, *(c for c in labels if c not in table.categories)]
    return AreasOut(categories=categories, areas=[_area_out(a, table) for a in table.areas])


@router.route("POST", "/garbage/areas", summary="収集地区の追加", permission="garbage.edit", body=AreaIn,
              response=AreaOut, status=201, errors={409: "同じ名前の地区がある", 422: "収集日の書き方の誤り（field: days.<分別>）"})
async def create_garbage_area(call: Call) -> AreaOut:
    body: AreaIn = call.body
    async with call.ctx.db.write() as s:
        table = await _table(s)
        if table.find(body.name) is not None:
            raise ApiError(409, "conflict", f"地区「{body.name}」はすでにあります。", "name")
        area = garbage_areas.Area(body.name, body.center.strip())
        _set_days(area, await _checked_days(s, table, body.days))
        table.areas.append(area)
        await _save(s, call, table)
        out = _area_out(area, table)
        await call.audit(s, "garbage.area.create", f"garbage-area:{area.name}", after=out)
    changed(call)
    return out


@router.route("PATCH", AREA, summary="収集地区・収集日の変更", permission="garbage.edit", body=AreaPatch,
              response=AreaOut, errors={409: "新しい名前の地区がすでにある", 422: "収集日の書き方の誤り（field: days.<分別>）"})
async def update_garbage_area(call: Call) -> AreaOut:
    body: AreaPatch = call.body
    async with call.ctx.db.write() as s:
        table, area = await _area(s, call)
        before = _area_out(area, table)
        if body.name is not None and body.name != area.name:
            if table.find(body.name) is not None:
                raise ApiError(409, "conflict", f"地区「{body.name}」はすでにあります。", "name")
            area.name = body.name
        if body.center is not None:
            area.center = body.center.strip()
        if body.days is not None:
            _set_days(area, await _checked_days(s, table, body.days))
        await _save(s, call, table)
        out = _area_out(area, table)
        await call.audit(s, "garbage.area.update", f"garbage-area:{before.name}", before=before, after=out)
    changed(call)
    return out


@router.route("DELETE", AREA, summary="収集地区の削除", permission="garbage.edit")
async def delete_garbage_area(call: Call) -> None:
    async with call.ctx.db.write() as s:
        table, area = await _area(s, call)
        before = _area_out(area, table)
        table.areas.remove(area)
        await _save(s, call, table)
        await call.audit(s, "garbage.area.delete", f"garbage-area:{area.name}", before=before)
    changed(call)
