"""担当課: which section of the town hall handles each kind of 届出 and each related application form,
for the operations report by department (小郡市 spec (4) j: 「担当課別」).

A 届書 at the counter concerns the 課 that handles its kind (a 転入 → 市民課) and every 課 whose related
form was made from it (国民健康保険 資格取得届 → 保険年金課, 児童手当 → 子育て支援課): the report counts,
per 課, the 届書 that concerned it, the 届出 and related forms it received, and the mean reception time
of those 届書. The town configures it in ``content/<town>/counter/departments.json``::

    {"departments": {"市民課": {"kinds": ["tennyu", …], "related": ["juminhyo", …]},
                     "保険年金課": {"related": ["kokuho-shutoku", …]}}}

A kind or form may belong to one 課 only; what is not named is reported under 「（担当課未設定）」.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from civic.counter.forms import KINDS

UNSET = "（担当課未設定）"


class DepartmentsProblem(ValueError):
    pass


@dataclass(frozen=True)
class Departments:
    #: 届出 kind → 課, related form key → 課 (in the order the town lists its 課).
    kinds: dict[str, str] = field(default_factory=dict)
    related: dict[str, str] = field(default_factory=dict)
    order: tuple[str, ...] = ()

    def of_kind(self, kind: str) -> str:
        return self.kinds.get(kind, UNSET)

    def of_related(self, key: str | None) -> str:
        return self.related.get(key or "", UNSET)


def parse_departments(raw: Any, related_keys: set[str] | None = None) -> Departments:
    """Checked entry by entry; ``DepartmentsProblem`` names the 課 and the key that is wrong."""
    table = raw.get("departments") if isinstance(raw, dict) else None
    if not isinstance(table, dict):
        raise DepartmentsProblem("departments: 課の名前 → {kinds, related} のオブジェクトです。")
    kinds: dict[str, str] = {}
    related: dict[str, str] = {}
    for name, entry in table.items():
        if not isinstance(name, str) or not name.strip() or len(name) > 40:
            raise DepartmentsProblem(f"departments: 課の名前 {name!r} は1〜40文字です。")
        if not isinstance(entry, dict) or set(entry) - {"kinds", "related"}:
            raise DepartmentsProblem(f"departments.{name}: kinds と related だけを書きます。")
        for part, known, taken in (("kinds", set(KINDS), kinds), ("related", related_keys, related)):
            keys = entry.get(part, [])
            if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
                raise DepartmentsProblem(f"departments.{name}.{part}: 文字列のリストです。")
            for key in keys:
                if known is not None and key not in known:
                    raise DepartmentsProblem(f"departments.{name}.{part}: {key} はありません"
                                             f"（使えるもの: {', '.join(sorted(known))}）。")
                if key in taken:
                    raise DepartmentsProblem(f"departments.{name}.{part}: {key} は {taken[key]} にもあります"
                                             "（1つの課だけに書いてください）。")
                taken[key] = name
    return Departments(kinds, related, tuple(table))


def load_departments(path: Path, related_keys: set[str] | None = None) -> Departments:
    if not path.is_file():
        return Departments()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise DepartmentsProblem(f"{path}: JSON として読めません（{exc}）。") from None
    try:
        return parse_departments(raw, related_keys)
    except DepartmentsProblem as exc:
        raise DepartmentsProblem(f"{path}: {exc}") from None
