"""The town's attributes and forms as content (``content/<town>/attributes.yml``).

``install`` adds the attributes and forms the database does not have yet and leaves existing
ones alone, so staff edits survive a restart and running it twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.attributes import forms, services
from civic.attributes.errors import invalid
from civic.attributes.kinds import Choice
from civic.attributes.models import AttributeDefinition, Form

FILENAME = "attributes.yml"


@dataclass(frozen=True)
class Installed:
    attributes: int
    forms: int


def read(path: str | Path) -> dict[str, Any]:
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    if not isinstance(raw, dict):
        raise invalid("catalogue", f"{path}: attributes と forms を持つ YAML にしてください。")
    return raw


async def install(s: AsyncSession, now: datetime, raw: dict[str, Any]) -> Installed:
    have = set((await s.exec(select(AttributeDefinition.key))).all())
    added_attributes = 0
    for position, item in enumerate(raw.get("attributes") or [], start=1):
        if item["key"] in have:
            continue
        await services.create_definition(
            s, now, key=item["key"], label=item["label"], kind=item["kind"],
            choices=[Choice(str(c["value"]), str(c["label"])) for c in item.get("choices") or []],
            category=item.get("category", ""), description=item.get("description", ""),
            max_values=int(item.get("max_values", 1)), min_number=item.get("min_number"),
            max_number=item.get("max_number"), unit=item.get("unit", ""), position=position * 10, builtin=True)
        added_attributes += 1
    have_forms = set((await s.exec(select(Form.key))).all())
    added_forms = 0
    for position, item in enumerate(raw.get("forms") or [], start=1):
        if item["key"] in have_forms:
            continue
        items = [forms.FormItem(i["attribute"], bool(i.get("required", False)), i.get("prompt", ""))
                 for i in item.get("items") or []]
        await forms.create_form(s, now, key=item["key"], title=item["title"], items=items,
                                description=item.get("description", ""), on_follow=bool(item.get("on_follow")),
                                thanks=item.get("thanks", ""), position=position * 10, builtin=True)
        added_forms += 1
    return Installed(added_attributes, added_forms)


async def install_town(s: AsyncSession, now: datetime, town_dir: str | Path) -> Installed:
    path = Path(town_dir) / FILENAME
    if not path.exists():
        return Installed(0, 0)
    return await install(s, now, read(path))
