"""What a 届書 holds, and the checks on it (小郡市 spec (4) a, (5) a–c, m, n).

A 届書 is a plain JSON document (``kind``, ``household``, ``members``) so that the screen, the API and
the export read the same thing. ``normalise`` checks what is typed: formats, check digits, dates, and
fields that belong to the other kind of resident (a Japanese member has no 在留カード, a foreign member
no 本籍; §(5) c) — a problem there refuses the request, naming the field. ``missing`` lists what a
finished 届書 still lacks: it does not stop saving a draft, it stops 確認待ち and 完了 (§(5) b).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

from civic.counter.checks import (
    CheckProblem,
    birth_text,
    individual_number,
    iso_date,
    resident_code,
    stay_period,
)

KINDS: dict[str, str] = {
    "tennyu": "転入",
    "tokurei_tennyu": "特例転入",
    "kokugai_tennyu": "国外転入",
    "tenkyo": "転居",
    "tenshutsu": "転出",
    "setai_henko": "世帯変更",
    "shokken": "職権記載",
}
DRAFTING, REVIEW, RETURNED, HELD, DONE = "drafting", "review", "returned", "held", "done"
STATUSES: dict[str, str] = {DRAFTING: "作成中", REVIEW: "確認待ち", RETURNED: "差戻", HELD: "保留", DONE: "完了"}
#: Which state may follow which (工程管理, §(5) p).
NEXT: dict[str, tuple[str, ...]] = {
    DRAFTING: (REVIEW, HELD),
    REVIEW: (DONE, RETURNED, HELD),
    RETURNED: (DRAFTING, REVIEW, HELD),
    HELD: (DRAFTING, REVIEW),
    DONE: (),
}
SEXES = ("男", "女")
JAPAN = "日本"
MOVING = ("tennyu", "tokurei_tennyu", "kokugai_tennyu", "tenkyo", "tenshutsu")
#: Fields only a foreign resident has (在留カード・特別永住者証明書), and only a Japanese one (戸籍).
FOREIGN_ONLY = ("stay_status", "stay_period", "stay_until", "card_number", "alias")
JAPANESE_ONLY = ("honseki", "hittousha")
MEMBER_FIELDS = ("name", "kana", "birth_date", "sex", "relationship", "nationality", "resident_code",
                 "individual_number", *JAPANESE_ONLY, *FOREIGN_ONLY)
HOUSEHOLD_FIELDS = ("head", "moved_on", "origin", "remarks", "confirmation", "memo", "phone")
ADDRESS_FIELDS = ("new_address", "old_address")


@dataclass(frozen=True)
class FormProblem(ValueError):
    """A value the counter refuses: ``field`` is its path (``members.0.individual_number``)."""

    field: str
    code: str
    message: str

    def __str__(self) -> str:
        return self.message


def _text(value: Any, path: str, limit: int = 200) -> str:
    if value is None:
        return ""
    if not isinstance(value, str | int):
        raise FormProblem(path, "invalid", "文字列で入力してください。")
    text = unicodedata.normalize("NFC", str(value)).strip()
    if len(text) > limit:
        raise FormProblem(path, "too_long", f"{limit}文字以内で入力してください。")
    return text


def is_foreign(member: dict[str, str]) -> bool:
    return bool(member.get("nationality")) and member.get("nationality") != JAPAN


def _member(raw: Any, i: int) -> dict[str, str]:
    path = f"members.{i}"
    if not isinstance(raw, dict):
        raise FormProblem(path, "invalid", "世帯員はオブジェクトで指定してください。")
    unknown = sorted(set(raw) - set(MEMBER_FIELDS))
    if unknown:
        raise FormProblem(f"{path}.{unknown[0]}", "unknown", "この項目は指定できません。")
    m = {k: _text(raw.get(k), f"{path}.{k}") for k in MEMBER_FIELDS}
    checks = {"resident_code": resident_code, "individual_number": individual_number, "stay_period": stay_period}
    for key, check in checks.items():
        if m[key]:
            try:
                value = check(m[key])
            except CheckProblem as exc:
                raise FormProblem(f"{path}.{key}", exc.code, exc.message) from None
            m[key] = value.split(" ")[0]  # the code itself; the words are shown, not stored
    for key in ("birth_date", "stay_until"):
        if m[key]:
            try:
                m[key] = iso_date(m[key])
            except CheckProblem as exc:
                raise FormProblem(f"{path}.{key}", exc.code, exc.message) from None
    if m["sex"] and m["sex"] not in SEXES:
        raise FormProblem(f"{path}.sex", "invalid", "性別は「男」か「女」で入力してください。")
    for key in JAPANESE_ONLY if is_foreign(m) else FOREIGN_ONLY:
        if m[key]:
            who = "外国人" if is_foreign(m) else "日本人"
            raise FormProblem(f"{path}.{key}", "not_for_this_member",
                              f"{who}の世帯員には入力できない項目です（国籍: {m['nationality'] or JAPAN}）。")
    return m


def _address(raw: Any, path: str) -> dict[str, str]:
    if raw is None:
        return {"postal_code": "", "text": ""}
    if not isinstance(raw, dict):
        raise FormProblem(path, "invalid", "住所はオブジェクト（postal_code, text）で指定してください。")
    postal = _text(raw.get("postal_code"), f"{path}.postal_code").replace("-", "").replace("－", "")
    postal = unicodedata.normalize("NFKC", postal)
    if postal and not (postal.isdigit() and len(postal) == 7):
        raise FormProblem(f"{path}.postal_code", "invalid", f"郵便番号は7桁の数字です（入力: {postal}）。")
    return {"postal_code": postal, "text": _text(raw.get("text"), f"{path}.text")}


def normalise(kind: Any, household: Any, members: Any) -> dict[str, Any]:
    """The 届書's JSON, checked and normalised; ``FormProblem`` names the first field refused."""
    if kind not in KINDS:
        raise FormProblem("kind", "invalid", f"届出の種類は次のいずれかです: {', '.join(KINDS)}")
    if household is None:
        household = {}
    if not isinstance(household, dict):
        raise FormProblem("household", "invalid", "世帯はオブジェクトで指定してください。")
    unknown = sorted(set(household) - set(HOUSEHOLD_FIELDS) - set(ADDRESS_FIELDS))
    if unknown:
        raise FormProblem(f"household.{unknown[0]}", "unknown", "この項目は指定できません。")
    h: dict[str, Any] = {k: _text(household.get(k), f"household.{k}", 1000 if k == "remarks" else 200)
                         for k in HOUSEHOLD_FIELDS}
    for key in ADDRESS_FIELDS:
        h[key] = _address(household.get(key), f"household.{key}")
    if h["moved_on"]:
        try:
            h["moved_on"] = iso_date(h["moved_on"])
        except CheckProblem as exc:
            raise FormProblem("household.moved_on", exc.code, exc.message) from None
    if not isinstance(members, list):
        raise FormProblem("members", "invalid", "世帯員は配列で指定してください。")
    if len(members) > 30:
        raise FormProblem("members", "too_long", "世帯員は30人までです。")
    return {"kind": kind, "household": h, "members": [_member(m, i) for i, m in enumerate(members)]}


def missing(doc: dict[str, Any]) -> list[FormProblem]:
    """What must be filled before 確認待ち (§(5) b), each naming its field."""
    out: list[FormProblem] = []
    h, members = doc["household"], doc["members"]
    if not members:
        out.append(FormProblem("members", "required", "届出の対象となる世帯員を1人以上入力してください。"))
    if not h["head"]:
        out.append(FormProblem("household.head", "required", "世帯主の氏名を入力してください。"))
    if doc["kind"] in MOVING:
        if not h["moved_on"]:
            out.append(FormProblem("household.moved_on", "required", "異動日を入力してください。"))
        if not h["new_address"]["text"]:
            out.append(FormProblem("household.new_address.text", "required", "新しい住所を入力してください。"))
        if not h["old_address"]["text"]:
            out.append(FormProblem("household.old_address.text", "required", "前の住所（国外転入は転入前の国名）を入力してください。"))
    labels = {"name": "氏名", "kana": "ふりがな", "birth_date": "生年月日", "sex": "性別", "relationship": "続柄"}
    for i, m in enumerate(members):
        for key, label in labels.items():
            if not m[key]:
                out.append(FormProblem(f"members.{i}.{key}", "required", f"{label}を入力してください。"))
        if is_foreign(m) and doc["kind"] == "kokugai_tennyu":
            for key, label in (("card_number", "在留カード等の番号"), ("stay_status", "在留資格"), ("stay_period", "在留期間")):
                if not m[key]:
                    out.append(FormProblem(f"members.{i}.{key}", "required", f"{label}を入力してください。"))
    return out


def household_type(members: list[dict[str, str]]) -> str:
    """``japanese``, ``foreign`` or ``mixed`` (混合世帯)."""
    foreign = {is_foreign(m) for m in members}
    if foreign == {True}:
        return "foreign"
    return "mixed" if foreign == {True, False} else "japanese"


def shown(doc: dict[str, Any], today: date) -> dict[str, Any]:
    """Display helpers beside the data: 「令和4年12月1日(2022年)(1歳)」 and 「0500000 (5年)」 (§(5) m, n)."""
    members = []
    for m in doc["members"]:
        extra = {"birth_text": birth_text(date.fromisoformat(m["birth_date"]), today) if m["birth_date"] else "",
                 "stay_period_text": stay_period(m["stay_period"]) if m["stay_period"] else "",
                 "foreign": is_foreign(m)}
        members.append(extra)
    return {"kind_label": KINDS[doc["kind"]], "household_type": household_type(doc["members"]), "members": members}


def search_text(doc: dict[str, Any]) -> str:
    """What a search matches: names, kana, head, addresses, origin (NFKC, one line)."""
    h = doc["household"]
    parts = [h["head"], h["origin"], h["new_address"]["text"], h["old_address"]["text"], h["confirmation"]]
    for m in doc["members"]:
        parts += [m["name"], m["kana"], m["alias"]]
    return fold(" ".join(p for p in parts if p))


def fold(text: str) -> str:
    """NFKC, katakana as hiragana, no spaces: 「ヤマダ タロウ」 finds 「やまだたろう」."""
    norm = unicodedata.normalize("NFKC", text).lower()
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in norm).replace(" ", "").replace("　", "")
