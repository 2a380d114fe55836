"""The household's pre-entry (§8(6) u): the four facts (氏名・住所・生年月日・性別) of the head of
household and each member, checked before anything is kept, so nothing is written at the counter.

Input comes from a page or a dialogue as plain data; the answer is either a :class:`Household` or a
list of :class:`EntryProblem`, each naming the field (``people.1.birth_date``) and the reason in
polite Japanese.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from civic.procedures.dates import DateProblem, parse_date
from civic.procedures.kana import is_katakana, normalize_kana
from civic.procedures.postal import PostalDirectory, normalize_postal_code
from civic.procedures.tree import AddressRule, HouseholdSpec, Town

SEXES = {"男": 1, "女": 2}
NAME_MAX = 40
ADDRESS_MAX = 120


@dataclass(frozen=True)
class EntryProblem:
    field: str
    message: str


@dataclass(frozen=True)
class Person:
    name: str
    kana: str
    birth_date: date
    sex: str  # 男 | 女
    relationship: str  # 続柄: 世帯主, 妻, 子…


@dataclass(frozen=True)
class Address:
    role: str
    postal_code: str  # 7 digits, "" when abroad
    region: str  # 都道府県・市区町村・町域 (filled from the postal code)
    detail: str  # 番地・建物名・部屋番号
    country: str = ""  # abroad only

    @property
    def text(self) -> str:
        if self.country:
            return f"{self.country} {self.detail}".strip()
        return f"{self.region}{self.detail}"


@dataclass(frozen=True)
class Household:
    people: tuple[Person, ...]
    addresses: tuple[Address, ...] = field(default_factory=tuple)

    def address(self, role: str) -> Address | None:
        return next((a for a in self.addresses if a.role == role), None)


def _clean(value: Any) -> str:
    return unicodedata.normalize("NFKC", str(value or "")).strip() if not isinstance(value, (dict, list)) else ""


def _name(value: Any) -> str:
    # NFKC would turn full-width spaces into half-width; names keep one full-width space.
    return " ".join(_clean(value).split()).replace(" ", "\u3000")


def check_person(raw: Any, where: str, today: date, relationships: tuple[str, ...]
                 ) -> tuple[Person | None, list[EntryProblem]]:
    problems: list[EntryProblem] = []
    if not isinstance(raw, Mapping):
        return None, [EntryProblem(where, "入力内容が正しくありません。")]
    name = _name(raw.get("name"))
    if not name:
        problems.append(EntryProblem(f"{where}.name", "氏名を入力してください。"))
    elif len(name) > NAME_MAX:
        problems.append(EntryProblem(f"{where}.name", f"氏名は{NAME_MAX}文字以内で入力してください。"))
    kana = normalize_kana(str(raw.get("kana") or ""))
    if not kana:
        problems.append(EntryProblem(f"{where}.kana", "氏名のフリガナを入力してください。"))
    elif not is_katakana(kana) or len(kana) > NAME_MAX * 2:
        problems.append(EntryProblem(f"{where}.kana", "フリガナはカタカナで入力してください。"))
    birth: date | None = None
    try:
        birth = parse_date(str(raw.get("birth_date") or ""))
    except DateProblem as exc:
        message = "生年月日を入力してください。" if not raw.get("birth_date") else f"生年月日: {exc}"
        problems.append(EntryProblem(f"{where}.birth_date", message))
    if birth is not None:
        if birth > today:
            problems.append(EntryProblem(f"{where}.birth_date", "生年月日が未来の日付になっています。"))
        elif today.year - birth.year > 125:
            problems.append(EntryProblem(f"{where}.birth_date", "生年月日をご確認ください（125歳を超えています）。"))
    sex = _clean(raw.get("sex"))
    sex = {"male": "男", "female": "女", "1": "男", "2": "女", "男性": "男", "女性": "女"}.get(sex, sex)
    if sex not in SEXES:
        problems.append(EntryProblem(f"{where}.sex", "性別を選んでください。"))
    relationship = _clean(raw.get("relationship"))
    if not relationship:
        problems.append(EntryProblem(f"{where}.relationship", "続柄を選んでください。"))
    elif relationship not in relationships:
        problems.append(EntryProblem(f"{where}.relationship", "続柄は一覧から選んでください。"))
    if problems or birth is None:  # a missing birth date is always a problem above
        return None, problems
    return Person(name, kana, birth, sex, relationship), []


def check_address(raw: Any, rule: AddressRule, abroad: bool, postal: PostalDirectory, town: Town
                  ) -> tuple[Address | None, list[EntryProblem]]:
    where = f"addresses.{rule.role}"
    if not isinstance(raw, Mapping):
        return None, [EntryProblem(where, f"{rule.label}を入力してください。")]
    detail = _clean(raw.get("detail"))
    if len(detail) > ADDRESS_MAX:
        return None, [EntryProblem(f"{where}.detail", f"番地・建物名は{ADDRESS_MAX}文字以内で入力してください。")]
    if abroad:
        country = _clean(raw.get("country"))
        if not country:
            return None, [EntryProblem(f"{where}.country", f"{rule.label}: 国名を入力してください。")]
        return Address(rule.role, "", "", detail, country[:40]), []
    code = normalize_postal_code(str(raw.get("postal_code") or ""))
    if len(code) != 7:
        return None, [EntryProblem(f"{where}.postal_code", f"{rule.label}: 郵便番号を7桁の数字で入力してください。")]
    found = postal.lookup(code)
    if found is None:
        return None, [EntryProblem(f"{where}.postal_code",
                                   f"{rule.label}: 郵便番号 {code[:3]}-{code[3:]} が見つかりません。ご確認ください。")]
    region = _clean(raw.get("region")) or found.region
    if not region.startswith(f"{found.prefecture}{found.city}"):
        return None, [EntryProblem(f"{where}.region", f"{rule.label}: 郵便番号と住所が合っていません。")]
    if not detail:
        return None, [EntryProblem(f"{where}.detail", f"{rule.label}: 番地を入力してください。")]
    in_town = found.in_town and postal.is_in_town(region)
    default = f"{town.name}の住所" + ("ではありません。" if rule.in_town == "required" else "です。")
    if rule.in_town == "required" and not in_town:
        return None, [EntryProblem(f"{where}.postal_code", rule.message or f"{rule.label}: {default}")]
    if rule.in_town == "forbidden" and in_town:
        return None, [EntryProblem(f"{where}.postal_code", rule.message or f"{rule.label}: {default}")]
    return Address(rule.role, code, region, detail), []


def check_household(spec: HouseholdSpec, raw: Any, *, answers: Mapping[str, str], town: Town,
                    postal: PostalDirectory, today: date, relationships: tuple[str, ...]
                    ) -> Household | list[EntryProblem]:
    """Every problem at once, so the resident fixes the form in one go (§8(6) q)."""
    if not isinstance(raw, Mapping):
        return [EntryProblem("", "入力内容が正しくありません。")]
    problems: list[EntryProblem] = []
    people_raw = raw.get("people")
    if not isinstance(people_raw, list) or not people_raw:
        problems.append(EntryProblem("people", "1人以上の方の情報を入力してください。"))
        people_raw = []
    elif len(people_raw) > spec.max_people:
        problems.append(EntryProblem("people", f"入力できるのは{spec.max_people}人までです。"))
        people_raw = []
    people = []
    for i, p in enumerate(people_raw):
        person, found = check_person(p, f"people.{i}", today, relationships)
        problems.extend(found)
        if person:
            people.append(person)
    addresses = []
    given = raw.get("addresses")
    raw_addresses: Mapping[str, Any] = given if isinstance(given, Mapping) else {}
    for rule in spec.addresses:
        abroad = rule.abroad_when is not None and rule.abroad_when.holds(answers)
        address, found = check_address(raw_addresses.get(rule.role), rule, abroad, postal, town)
        problems.extend(found)
        if address:
            addresses.append(address)
    if problems:
        return problems
    return Household(tuple(people), tuple(addresses))


def household_to_dict(household: Household) -> dict[str, Any]:
    """Plain data (dates as ISO text), the form the page and the draft store use."""
    return {
        "people": [{"name": p.name, "kana": p.kana, "birth_date": p.birth_date.isoformat(), "sex": p.sex,
                    "relationship": p.relationship} for p in household.people],
        "addresses": {a.role: {"postal_code": a.postal_code, "region": a.region, "detail": a.detail,
                               "country": a.country} for a in household.addresses},
    }
