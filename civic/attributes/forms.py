"""Forms built from attributes (国富町 §9(2)(ア)①②④): as many as staff like — the first-use
questionnaire offered on follow, the settings form, surveys, forms only some citizens may answer.

A form only asks; what a citizen answers is stored as their attribute values, so segments see
it at once. ``submit`` checks every answer before writing any (a bad answer changes nothing).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.attributes import services
from civic.attributes.errors import AttributeProblem, invalid, not_found
from civic.attributes.kinds import AttributeSpec, normalize, to_json
from civic.attributes.models import Form, FormResponse
from civic.rows import table_of

VIAS = ("liff", "chat", "staff")


@dataclass(frozen=True)
class FormItem:
    attribute: str
    required: bool = False
    prompt: str = ""


@dataclass(frozen=True)
class FormSpec:
    id: int
    key: str
    title: str
    description: str
    items: tuple[FormItem, ...]
    on_follow: bool
    segment_id: int | None
    thanks: str
    active: bool
    position: int
    builtin: bool

    @classmethod
    def of(cls, row: Form) -> FormSpec:
        items = tuple(FormItem(str(i["attribute"]), bool(i.get("required", False)), str(i.get("prompt") or ""))
                      for i in json.loads(row.items or "[]"))
        return cls(row.id or 0, row.key, row.title, row.description, items, row.on_follow, row.segment_id,
                   row.thanks, row.active, row.position, row.builtin)


def _items_json(items: list[FormItem]) -> str:
    return json.dumps([{"attribute": i.attribute, "required": i.required, "prompt": i.prompt} for i in items],
                      ensure_ascii=False)


async def _check_items(s: AsyncSession, items: list[FormItem]) -> None:
    if not items:
        raise invalid("items_required", "フォームには質問（属性）が1つ以上必要です。", "items")
    specs = await services.definitions_by_key(s)
    seen: set[str] = set()
    for i, item in enumerate(items):
        if item.attribute not in specs:
            raise invalid("unknown_attribute", f"質問{i + 1}: 属性「{item.attribute}」はありません。",
                          f"items.{i}.attribute")
        if item.attribute in seen:
            raise invalid("duplicate_attribute", f"質問{i + 1}: 属性「{item.attribute}」が2回使われています。",
                          f"items.{i}.attribute")
        seen.add(item.attribute)


async def list_forms(s: AsyncSession, *, active_only: bool = False) -> list[FormSpec]:
    query = select(Form).order_by(col(Form.position), col(Form.id))
    if active_only:
        query = query.where(Form.active == True)  # noqa: E712
    return [FormSpec.of(r) for r in (await s.exec(query)).all()]


async def get_row(s: AsyncSession, key: str | int) -> Form:
    if isinstance(key, int):
        row = await s.get(Form, key)
    else:
        row = (await s.exec(select(Form).where(Form.key == key))).first()
    if row is None:
        raise not_found("フォーム", key, "form")
    return row


async def get_form(s: AsyncSession, key: str | int) -> FormSpec:
    return FormSpec.of(await get_row(s, key))


async def create_form(s: AsyncSession, now: datetime, *, key: str, title: str, items: list[FormItem],
                      description: str = "", on_follow: bool = False, segment_id: int | None = None,
                      thanks: str = "", position: int | None = None, builtin: bool = False) -> Form:
    await _check_items(s, items)
    if (await s.exec(select(Form.id).where(Form.key == key))).first() is not None:
        raise AttributeProblem("conflict", "duplicate_key", f"キー「{key}」のフォームはすでにあります。", "key")
    if position is None:
        position = ((await s.exec(select(sa.func.max(Form.position)))).one() or 0) + 10
    row = Form(key=key, title=title, description=description, items=_items_json(items), on_follow=on_follow,
               segment_id=segment_id, thanks=thanks, position=position, builtin=builtin, created_at=now,
               updated_at=now)
    s.add(row)
    await s.flush()
    return row


async def update_form(s: AsyncSession, now: datetime, key: str | int, changes: Mapping[str, Any]) -> Form:
    row = await get_row(s, key)
    if changes.get("items") is not None:
        items = list(changes["items"])
        await _check_items(s, items)
        row.items = _items_json(items)
    for name in ("title", "description", "on_follow", "thanks", "active", "position"):
        if changes.get(name) is not None:
            setattr(row, name, changes[name])
    if "segment_id" in changes:
        row.segment_id = changes["segment_id"]
    row.updated_at = now
    s.add(row)
    await s.flush()
    return row


async def delete_form(s: AsyncSession, key: str | int) -> None:
    row = await get_row(s, key)
    await s.delete(row)
    await s.flush()


@dataclass(frozen=True)
class Question:
    """One question of a form, as any channel renders it (LIFF page, chat, staff screen)."""

    index: int
    attribute: AttributeSpec
    required: bool
    prompt: str

    def view(self) -> dict[str, Any]:
        a = self.attribute
        return {"attribute": a.key, "label": a.label, "prompt": self.prompt or a.label, "kind": a.kind,
                "required": self.required, "many": a.many, "max_values": a.max_values,
                "choices": [{"value": c.value, "label": c.label} for c in a.choices],
                "min": a.min_number, "max": a.max_number, "unit": a.unit, "description": a.description}


async def questions(s: AsyncSession, form: FormSpec) -> list[Question]:
    specs = await services.definitions_by_key(s)
    return [Question(i, specs[item.attribute], item.required, item.prompt)
            for i, item in enumerate(form.items) if item.attribute in specs and specs[item.attribute].active]


async def current_answers(s: AsyncSession, form: FormSpec, citizen_id: int) -> dict[str, Any]:
    """What the citizen answered before, so the page opens filled in."""
    specs = await services.definitions_by_key(s)
    values = await services.citizen_values(s, citizen_id, specs)
    return {item.attribute: to_json(specs[item.attribute], values.get(item.attribute, []))
            for item in form.items if item.attribute in specs}


def check_answers(form: FormSpec, asked: list[Question], answers: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Normalize the answers to this form; unknown keys and missing required answers are refused."""
    by_key = {q.attribute.key: q for q in asked}
    for key in answers:
        if key not in by_key:
            raise invalid("not_in_form", f"「{key}」はこのフォームの質問ではありません。", key)
    out: dict[str, list[Any]] = {}
    for q in asked:
        if q.attribute.key not in answers:
            if q.required:
                raise invalid("required", f"「{q.prompt or q.attribute.label}」は必須です。", q.attribute.key)
            continue
        values = normalize(q.attribute, answers[q.attribute.key])
        if q.required and not values:
            raise invalid("required", f"「{q.prompt or q.attribute.label}」は必須です。", q.attribute.key)
        out[q.attribute.key] = values
    return out


async def submit(s: AsyncSession, now: datetime, form: FormSpec, citizen_id: int, answers: Mapping[str, Any],
                 *, via: str, staff_login: str | None = None) -> dict[str, list[Any]]:
    """Store a citizen's answers (LIFF page, chat, or staff on their behalf — §9(2)(ア)⑦)."""
    if not form.active and via != "staff":
        raise AttributeProblem("forbidden", "form_closed", "このフォームは現在受け付けていません。")
    asked = await questions(s, form)
    normalized = check_answers(form, asked, answers)
    specs = {q.attribute.key: q.attribute for q in asked}
    await services.set_values(s, now, citizen_id, normalized, specs)
    s.add(FormResponse(form_id=form.id, citizen_id=citizen_id, via=via, staff_login=staff_login, submitted_at=now))
    await s.flush()
    return normalized


async def follow_forms(s: AsyncSession) -> list[FormSpec]:
    """Forms to offer a new friend (the first-use questionnaire)."""
    return [f for f in await list_forms(s, active_only=True) if f.on_follow]


async def response_counts(s: AsyncSession) -> dict[int, int]:
    table = table_of(FormResponse)
    rows = (await s.exec(select(table.c.form_id, sa.func.count(sa.distinct(table.c.citizen_id)))
                         .group_by(table.c.form_id))).all()
    return {int(f): int(n) for f, n in rows}
