"""Layout definitions (定義体, 小郡市 spec (4) b): named regions and field types per document layout.

A definition is JSON that staff can export and import between towns (§(4) b イ)::

    {"key": "midori-tenshutsu", "name": "みどり町 転出証明書", "kind": "tenshutsu",
     "size": [1240, 877],
     "fields": [{"name": "name", "label": "氏名", "type": "text", "box": [0.18, 0.30, 0.40, 0.06]}, ...]}

``box`` is ``[left, top, width, height]`` as fractions of the page, so one definition reads a scan at
any resolution. ``kind`` is what the document is (``tenshutsu`` 転出証明書, ``zairyu`` 在留カード・特別永住者
証明書, ``menkyo`` 運転免許証, ``mynumber`` マイナンバーカード（券面）). Field types decide how the text read
is cleaned: ``text``, ``kana``, ``latin`` (a name in the alphabet), ``date`` (西暦 or 和暦 → ISO),
``sex`` (男/女), ``digits``, ``address``, ``card_number`` (在留カード番号: 2 letters, 8 digits, 2 letters).
Field names are those the counter knows for the kind (``KNOWN_FIELDS``); an import naming another is
refused, naming the field (``fields.3.name``).

Staff draw a new definition on a sample image in the console (様式の定義, ``console/js/pages/
counter-layouts.js``): the sample is straightened and its frame found by the same function the reader
uses (``civic.counter.ocr.reader.document_frame``), so a region drawn on the frame is cut from the
same place of every later scan.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DOC_KINDS: dict[str, str] = {"tenshutsu": "転出証明書", "zairyu": "在留カード・特別永住者証明書",
                             "menkyo": "運転免許証", "mynumber": "マイナンバーカード（券面）"}
FIELD_TYPES = ("text", "kana", "latin", "date", "sex", "digits", "address", "card_number")
TYPE_LABELS: dict[str, str] = {"text": "文字", "kana": "ふりがな", "latin": "ローマ字", "date": "日付（和暦・西暦）",
                               "sex": "性別（男・女）", "digits": "数字", "address": "住所",
                               "card_number": "在留カード番号（英2・数8・英2）"}
_MEMBER = (("name", "氏名", "text"), ("kana", "ふりがな", "kana"), ("birth_date", "生年月日", "date"),
           ("sex", "性別", "sex"), ("relationship", "続柄", "text"), ("resident_code", "住民票コード", "digits"))
#: A 転出証明書 lists every member moving: persons 2 … ``MAX_PERSONS`` have their own fields.
MAX_PERSONS = 8
#: The fields the counter knows, per kind of document (name, label, usual type): the 届書 screen puts each
#: where it belongs (``name2`` … ``name8``: the certificate's second to eighth person, members 1 … 7 of the
#: 届書). A definition names only these, so a region drawn or imported for a new town's 転出証明書 lands in
#: the 届書 (§(4) b イ).
KNOWN_FIELDS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "tenshutsu": (("issuer", "発行者（転出元の市区町村長）", "text"), ("head", "世帯主", "text"),
                  ("moved_on", "転出（予定）日", "date"), ("address", "住所（転出前）", "address"),
                  ("new_address", "転出先", "address"), *_MEMBER,
                  *((f"{n}{k}", f"{label}（{k}人目）", t) for k in range(2, MAX_PERSONS + 1) for n, label, t in _MEMBER)),
    "zairyu": (("name", "氏名（ローマ字）", "latin"), ("birth_date", "生年月日", "date"), ("sex", "性別", "sex"),
               ("nationality", "国籍・地域", "text"), ("address", "住居地", "address"),
               ("stay_status", "在留資格", "text"), ("stay_until", "在留期間の満了日", "date"),
               ("card_number", "在留カード番号", "card_number")),
    "menkyo": (("name", "氏名", "text"), ("birth_date", "生年月日", "date"), ("address", "住所", "address"),
               ("license_number", "免許証の番号", "digits")),
    "mynumber": (("name", "氏名", "text"), ("birth_date", "生年月日", "date"), ("sex", "性別", "sex"),
                 ("address", "住所", "address")),
}
_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,40}$")


class LayoutProblem(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


def known_label(kind: str, name: str) -> str:
    """The counter's label of a known field (「氏名（3人目）」), or the name itself."""
    return next((label for n, label, _ in KNOWN_FIELDS.get(kind, ()) if n == name), name)


def _listed(kind: str) -> str:
    """The known field names, persons 2 … 8 said once (not 48 names)."""
    names = [n for n, _, _ in KNOWN_FIELDS[kind]]
    first = [n for n in names if not n[-1].isdigit()]
    more = "" if len(first) == len(names) else f"。2〜{MAX_PERSONS}人目は name2・kana3 のように末尾に番号"
    return ", ".join(sorted(first)) + more


@dataclass(frozen=True)
class Region:
    name: str
    label: str
    type: str
    box: tuple[float, float, float, float]


@dataclass(frozen=True)
class Layout:
    key: str
    name: str
    kind: str
    size: tuple[int, int]
    fields: tuple[Region, ...]

    def as_json(self) -> dict[str, Any]:
        return {"key": self.key, "name": self.name, "kind": self.kind, "size": list(self.size),
                "fields": [{"name": r.name, "label": r.label, "type": r.type, "box": list(r.box)} for r in self.fields]}


def parse_layout(raw: Any) -> Layout:
    """A definition checked field by field (``LayoutProblem`` names what is wrong)."""
    if not isinstance(raw, dict):
        raise LayoutProblem("", "定義体は JSON のオブジェクトです。")
    key = raw.get("key")
    if not isinstance(key, str) or not _KEY.match(key):
        raise LayoutProblem("key", "key は英小文字・数字・-・_ の64文字以内です。")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        raise LayoutProblem("name", "名前（100文字以内）を入力してください。")
    kind = raw.get("kind")
    if kind not in DOC_KINDS:
        raise LayoutProblem("kind", f"kind は次のいずれかです: {', '.join(DOC_KINDS)}")
    size = raw.get("size", [1000, 1000])
    if not (isinstance(size, list) and len(size) == 2 and all(isinstance(v, int) and 10 <= v <= 20000 for v in size)):
        raise LayoutProblem("size", "size は見本画像の [幅, 高さ]（画素）です。")
    fields = raw.get("fields")
    if not isinstance(fields, list) or not 1 <= len(fields) <= 80:
        raise LayoutProblem("fields", "fields は1〜80個の領域です。")
    regions, seen = [], set()
    for i, f in enumerate(fields):
        path = f"fields.{i}"
        if not isinstance(f, dict):
            raise LayoutProblem(path, "領域はオブジェクトです。")
        fname, ftype, box = f.get("name"), f.get("type", "text"), f.get("box")
        if not isinstance(fname, str) or not _NAME.match(fname):
            raise LayoutProblem(f"{path}.name", "項目名は英小文字で始まる英数字・_ です（例: birth_date）。")
        known = {n for n, _, _ in KNOWN_FIELDS[kind]}
        if fname not in known:
            raise LayoutProblem(f"{path}.name", f"項目名 {fname} は{DOC_KINDS[kind]}の項目にありません"
                                                f"（使える項目: {_listed(kind)}）。")
        if fname in seen:
            raise LayoutProblem(f"{path}.name", f"項目名 {fname} が重複しています。")
        seen.add(fname)
        if ftype not in FIELD_TYPES:
            raise LayoutProblem(f"{path}.type", f"type は次のいずれかです: {', '.join(FIELD_TYPES)}")
        if not (isinstance(box, list) and len(box) == 4 and all(isinstance(v, int | float) for v in box)):
            raise LayoutProblem(f"{path}.box", "box は [左, 上, 幅, 高さ]（0〜1 の割合）です。")
        left, top, width, height = (float(v) for v in box)
        if not (0 <= left < 1 and 0 <= top < 1 and 0 < width <= 1 - left + 1e-9 and 0 < height <= 1 - top + 1e-9):
            raise LayoutProblem(f"{path}.box", "box が画像の外にはみ出しています。")
        if width < 0.01 or height < 0.01:
            raise LayoutProblem(f"{path}.box", "box が小さすぎます（幅・高さとも枠の1%以上にしてください）。")
        label = f.get("label") or known_label(kind, fname)
        regions.append(Region(fname, str(label)[:40], ftype, (left, top, width, height)))
    return Layout(key, name.strip(), kind, (size[0], size[1]), tuple(regions))


def load_dir(directory: Path) -> dict[str, Layout]:
    """The definitions shipped with a town (``content/<town>/counter/layouts/*.json``)."""
    out: dict[str, Layout] = {}
    if directory.is_dir():
        for path in sorted(directory.glob("*.json")):
            layout = parse_layout(json.loads(path.read_text(encoding="utf-8")))
            out[layout.key] = layout
    return out
