"""Attribute definitions and citizens' values: define, read, write (encrypting what is personal)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm.attributes import flag_modified
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.attributes.blind import BlindIndex, blind_index_of, month_code, normalize_text
from civic.attributes.errors import AttributeProblem, invalid, not_found
from civic.attributes.kinds import AttributeSpec, Choice, check_definition, normalize
from civic.attributes.models import (
    DATE,
    KINDS,
    MULTI,
    NUMBER,
    SINGLE,
    TEXT,
    AttributeDefinition,
    CitizenAttributeValue,
)
from civic.citizens.models import Citizen
from civic.database import Database
from civic.rows import pk, table_of

VALUE = table_of(CitizenAttributeValue)


# ---- definitions -----------------------------------------------------------------------------

async def definitions(s: AsyncSession, *, include_inactive: bool = False) -> list[AttributeSpec]:
    query = select(AttributeDefinition).order_by(col(AttributeDefinition.position), col(AttributeDefinition.id))
    if not include_inactive:
        query = query.where(AttributeDefinition.active == True)  # noqa: E712
    return [AttributeSpec.of(r) for r in (await s.exec(query)).all()]


async def definitions_by_key(s: AsyncSession) -> dict[str, AttributeSpec]:
    return {d.key: d for d in await definitions(s, include_inactive=True)}


async def get_row(s: AsyncSession, key: str) -> AttributeDefinition:
    row = (await s.exec(select(AttributeDefinition).where(AttributeDefinition.key == key))).first()
    if row is None:
        raise not_found("属性", key, "attribute")
    return row


async def get_spec(s: AsyncSession, key: str) -> AttributeSpec:
    return AttributeSpec.of(await get_row(s, key))


def _choices_json(choices: Iterable[Choice]) -> str:
    return json.dumps([{"value": c.value, "label": c.label} for c in choices], ensure_ascii=False)


async def create_definition(s: AsyncSession, now: datetime, *, key: str, label: str, kind: str,
                            choices: list[Choice] | None = None, category: str = "", description: str = "",
                            max_values: int = 1, min_number: float | None = None,
                            max_number: float | None = None, unit: str = "", position: int | None = None,
                            builtin: bool = False) -> AttributeDefinition:
    """Staff add attributes as needed (国富町 §9(2)(ア)⑤)."""
    if kind not in KINDS:
        raise invalid("kind", f"種類は {', '.join(KINDS)} のいずれかにしてください。", "kind")
    choices = list(choices or [])
    if kind == MULTI:
        max_values = 1
    check_definition(kind, choices, max_values, min_number, max_number)
    if (await s.exec(select(AttributeDefinition.id).where(AttributeDefinition.key == key))).first() is not None:
        raise AttributeProblem("conflict", "duplicate_key", f"キー「{key}」の属性はすでにあります。", "key")
    if position is None:
        position = ((await s.exec(select(sa.func.max(AttributeDefinition.position)))).one() or 0) + 10
    row = AttributeDefinition(key=key, label=label, kind=kind, choices=_choices_json(choices), category=category,
                              description=description, max_values=max_values, min_number=min_number,
                              max_number=max_number, unit=unit, position=position, builtin=builtin,
                              created_at=now, updated_at=now)
    s.add(row)
    await s.flush()
    return row


async def value_count(s: AsyncSession, attribute_id: int, *, choice: str | None = None) -> int:
    query = select(sa.func.count(sa.distinct(VALUE.c.citizen_id))).where(VALUE.c.attribute_id == attribute_id)
    if choice is not None:
        query = query.where(VALUE.c.choice == choice)
    return (await s.exec(query)).one()


async def update_definition(s: AsyncSession, now: datetime, key: str, changes: Mapping[str, Any]
                            ) -> AttributeDefinition:
    """Labels, choices, limits and order may change; the kind may not once citizens hold values.
    A choice still held by citizens cannot be removed (its label can be changed)."""
    row = await get_row(s, key)
    spec = AttributeSpec.of(row)
    kind = changes.get("kind", row.kind)
    if kind != row.kind:
        if await value_count(s, pk(row)) > 0:
            raise AttributeProblem("conflict", "kind_in_use",
                                   f"「{row.label}」はすでに回答があるため、種類を変更できません。", "kind")
        if kind not in KINDS:
            raise invalid("kind", f"種類は {', '.join(KINDS)} のいずれかにしてください。", "kind")
    choices = list(changes["choices"]) if changes.get("choices") is not None else list(spec.choices)
    removed = spec.choice_values() - {c.value for c in choices}
    for value in sorted(removed):
        held = await value_count(s, pk(row), choice=value)
        if held:
            raise AttributeProblem("conflict", "choice_in_use",
                                   f"選択肢「{spec.label_of(value)}」は{held}人が選んでいるため削除できません"
                                   "（表示名の変更はできます）。", "choices")
    max_values = changes.get("max_values", row.max_values) or 1
    min_number = changes.get("min_number", row.min_number)
    max_number = changes.get("max_number", row.max_number)
    check_definition(kind, choices if kind in (SINGLE, MULTI) else [], max_values, min_number, max_number)
    row.kind = kind
    row.choices = _choices_json(choices if kind in (SINGLE, MULTI) else [])
    row.max_values, row.min_number, row.max_number = max_values, min_number, max_number
    for name in ("label", "category", "description", "unit", "position", "active"):
        if changes.get(name) is not None:
            setattr(row, name, changes[name])
    row.updated_at = now
    s.add(row)
    await s.flush()
    return row


# ---- values ----------------------------------------------------------------------------------

def value_rows(spec: AttributeSpec, citizen_id: int, values: list[Any], now: datetime,
               blind: BlindIndex) -> list[dict[str, Any]]:
    """Table rows for normalized values (used by ``set_values`` and bulk loaders such as the bench).
    ``secret`` holds the plaintext; the ``EncryptedText`` column encrypts it on the way in."""
    rows = []
    for i, v in enumerate(values):
        row: dict[str, Any] = {"citizen_id": citizen_id, "attribute_id": spec.id, "position": i, "choice": None,
                               "number": None, "date_month": None, "digest": None, "secret": None,
                               "updated_at": now}
        if spec.kind in (SINGLE, MULTI):
            row["choice"] = v
        elif spec.kind == NUMBER:
            row["number"] = float(v)
        elif spec.kind == DATE:
            row.update(date_month=month_code(v), digest=blind.date(spec.id, v), secret=v.isoformat())
        elif spec.kind == TEXT:
            row.update(digest=blind.text(spec.id, v), secret=v)
        rows.append(row)
    return rows


def decode_value(spec: AttributeSpec, row: Any) -> Any:
    if spec.kind in (SINGLE, MULTI):
        return row.choice
    if spec.kind == NUMBER:
        return row.number
    if spec.kind == DATE:
        return date.fromisoformat(row.secret)
    return row.secret


async def citizen_values(s: AsyncSession, citizen_id: int,
                         specs: Mapping[str, AttributeSpec] | None = None) -> dict[str, list[Any]]:
    """Every attribute value of one citizen, decrypted, by attribute key (attributes without values omitted)."""
    specs = specs if specs is not None else await definitions_by_key(s)
    by_id = {spec.id: spec for spec in specs.values()}
    rows = (await s.exec(select(CitizenAttributeValue).where(CitizenAttributeValue.citizen_id == citizen_id)
                         .order_by(col(CitizenAttributeValue.attribute_id), col(CitizenAttributeValue.position))
                         )).all()
    out: dict[str, list[Any]] = {}
    for row in rows:
        spec = by_id.get(row.attribute_id)
        if spec is not None:
            out.setdefault(spec.key, []).append(decode_value(spec, row))
    return out


async def set_values(s: AsyncSession, now: datetime, citizen_id: int, answers: Mapping[str, Any],
                     specs: Mapping[str, AttributeSpec] | None = None) -> dict[str, list[Any]]:
    """Replace the given attributes' values (others untouched). Everything is checked first, so a
    bad answer changes nothing. Returns the normalized values written."""
    specs = specs if specs is not None else await definitions_by_key(s)
    normalized: dict[str, list[Any]] = {}
    for key, raw in answers.items():
        spec = specs.get(key)
        if spec is None:
            raise not_found("属性", key, key)
        normalized[key] = normalize(spec, raw)
    if not normalized:
        return normalized
    blind = blind_index_of(s)
    ids = [specs[k].id for k in normalized]
    await s.exec(sa.delete(VALUE).where(VALUE.c.citizen_id == citizen_id, VALUE.c.attribute_id.in_(ids)))
    rows = [r for key, values in normalized.items() for r in value_rows(specs[key], citizen_id, values, now, blind)]
    if rows:
        s.add_all([CitizenAttributeValue(**r) for r in rows])  # through the ORM: secrets get encrypted
        await s.flush()
    return normalized


async def citizen_by_user(s: AsyncSession, channel_user_id: str) -> Citizen | None:
    return (await s.exec(select(Citizen).where(Citizen.channel_user_id == channel_user_id))).first()


async def reindex_digests(db: Database, *, batch: int = 2000) -> int:
    """Recompute blind-index digests with the active key (run after rotating the data key)."""
    done = 0
    last = 0
    while True:
        async with db.write() as s:
            specs = {spec.id: spec for spec in await definitions(s, include_inactive=True)}
            blind = blind_index_of(s)
            rows = (await s.exec(select(CitizenAttributeValue).where(col(CitizenAttributeValue.id) > last,
                                                                     col(CitizenAttributeValue.secret).is_not(None))
                                 .order_by(col(CitizenAttributeValue.id)).limit(batch))).all()
            if not rows:
                return done
            for row in rows:
                spec = specs.get(row.attribute_id)
                if spec is None or row.secret is None:
                    continue
                if spec.kind == DATE:
                    row.digest = blind.date(spec.id, date.fromisoformat(row.secret))
                else:
                    row.digest = blind.text(spec.id, normalize_text(row.secret))
                flag_modified(row, "secret")  # re-encrypted with the active key as well
                s.add(row)
                done += 1
            last = pk(rows[-1])
