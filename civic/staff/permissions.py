"""Permission names, the built-in roles, and pattern matching.

A permission is ``<feature>.<action>``. Convention: ``<feature>.read`` only looks, so the 閲覧者
role can be ``*.read``; anything that shows personal data or the operation log uses another verb
(``personal.view``, ``audit.view``, ``talklog.view``) so that ``*.read`` never reaches it.
A role holds patterns: an exact name, ``feature.*``, ``*.read`` or ``*`` (everything).
``personal.view`` unmasks citizens' names, phone numbers, LINE user ids and free text wherever the
staff API shows them (``civic.staff.privacy``); 管理者 and 施設担当 hold it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase

#: Permissions of the features this package serves, with the label staff see.
CATALOGUE: dict[str, str] = {
    "staff.manage": "職員アカウント・ロールの管理",
    "audit.view": "操作ログの閲覧・出力",
    "talklog.view": "トークログの閲覧・出力",
    "personal.view": "個人情報（ユーザーID・発言内容など）の閲覧",
    "stats.read": "統計の閲覧・出力",
    # Only administrators (``*``) hold it: no built-in role below lists it (国富町 §9(4)(キ)).
    "citizens.erase": "利用者の個人データの削除（本人からの削除の求め）",
    "richmenus.read": "リッチメニューの閲覧",
    "richmenus.edit": "リッチメニューの作成・編集・テスト用アカウントへの公開",
    "richmenus.publish": "リッチメニューの本番アカウントへの公開・ロールバック",
    # Other features declare theirs on their routes; these are the names the built-in roles expect.
    "bookings.read": "施設予約の閲覧",
    "bookings.manage": "施設予約の管理（代行予約・変更・取消）",
    "facilities.read": "施設情報の閲覧",
    "facilities.edit": "施設情報・料金・休館日の編集",
    "deliveries.read": "配信の閲覧",
    "deliveries.send": "メッセージ配信（作成・予約・送信）",
    "deliveries.approve": "承認が必要な配信（メール転送など）の承認",
    "segments.read": "セグメント・利用者属性の閲覧",
    "segments.edit": "セグメント・利用者属性の編集",
    "faq.read": "FAQ の閲覧",
    "faq.edit": "FAQ の編集・公開",
    "garbage.read": "ごみ分別辞書の閲覧",
    "garbage.edit": "ごみ分別辞書の編集・取り込み",
    "nlu.read": "NLU の例文・再学習の履歴の閲覧",
    "nlu.edit": "NLU の例文の編集・取り込み・再学習",
    "procedures.read": "手続きナビの閲覧",
    "procedures.edit": "手続きナビの編集",
    "procedures.stats": "手続きナビの利用件数の閲覧",
    "procedures.counter": "窓口での手続きナビ二次元コードの読み取り（世帯の入力内容を表示）",
    "reports.read": "通報の閲覧",
    "reports.manage": "通報の対応",
    "reports.publish": "通報の説明文の公開（Open311）の承認",
    # Only administrators (``*``) hold it among the built-in roles; a town may give it to a role of its own.
    "reports.templates": "通報の回答テンプレートの編集",
    "scenarios.read": "シナリオの閲覧",
    "scenarios.edit": "シナリオの作成・編集・テスト",
    "scenarios.publish": "シナリオの公開",
    "disaster.read": "防災モード・避難所の閲覧",
    "disaster.manage": "防災モードの切り替え",
    "disaster.shelters": "避難所の状態・人数の更新",
    "handovers.answer": "有人チャット（利用者との1対1のやりとり）の対応",
    "counter.read": "書かない窓口: 届書の検索・閲覧（個人番号はマスキング）",
    "counter.write": "書かない窓口: 届書の作成・修正・OCR 読み取り",
    "counter.review": "書かない窓口: 届書の確認（完了・差戻）",
    "counter.numbers": "書かない窓口: 個人番号・住民票コードをマスキングなしで見る",
    "counter.layouts": "書かない窓口: OCR の定義体の追加・取り込み",
}


@dataclass(frozen=True)
class BuiltinRole:
    key: str
    name: str
    permissions: tuple[str, ...]


BUILTIN_ROLES: tuple[BuiltinRole, ...] = (
    BuiltinRole("admin", "管理者", ("*",)),
    BuiltinRole("editor", "編集者", (
        "*.read", "richmenus.edit", "faq.edit", "garbage.edit", "procedures.edit", "procedures.stats", "facilities.edit",
        "scenarios.edit", "scenarios.publish", "nlu.edit",
    )),
    BuiltinRole("delivery", "配信担当", ("*.read", "deliveries.*", "segments.*", "richmenus.edit")),
    # Bookings by phone and at the counter need the applicant's name and number (personal.view).
    BuiltinRole("facility", "施設担当", ("*.read", "facilities.*", "bookings.*", "personal.view",
                                         "disaster.shelters")),
    BuiltinRole("counter", "窓口担当", ("*.read", "procedures.counter", "handovers.answer", "counter.write")),
    BuiltinRole("viewer", "閲覧者", ("*.read", "procedures.stats")),
)

_NAME = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
_PATTERN = re.compile(r"^(\*|[a-z][a-z0-9_]*\.\*|\*\.[a-z][a-z0-9_]*)$")


def matches(pattern: str, permission: str) -> bool:
    return pattern == permission or ("*" in pattern and fnmatchcase(permission, pattern))


def grants(patterns: Iterable[str], permission: str) -> bool:
    return any(matches(p, permission) for p in patterns)


def covers(held: Iterable[str], pattern: str) -> bool:
    """Whether someone holding ``held`` holds everything ``pattern`` grants, now and as features are
    added (so may grant it): ``bookings.*`` is covered by ``bookings.*`` or ``*``, not by listing today's
    bookings permissions one by one."""
    held = set(held)
    if "*" in held or pattern in held:
        return True
    return "*" not in pattern and grants(held, pattern)


def not_held(held: Iterable[str], patterns: Iterable[str]) -> list[str]:
    """The patterns of ``patterns`` that ``held`` does not cover."""
    held = list(held)
    return [p for p in patterns if not covers(held, p)]


def is_administrator(patterns: Iterable[str]) -> bool:
    """An administrator holds every permission (``*``): only one can make other administrators."""
    return "*" in set(patterns)


def invalid_pattern(pattern: str, known: Mapping[str, str]) -> str | None:
    """Why ``pattern`` cannot go into a role (Japanese), or None when it can."""
    if _PATTERN.match(pattern):
        return None
    if not _NAME.match(pattern):
        return (f"権限「{pattern}」の書き方が正しくありません"
                "（例: bookings.manage、bookings.*、*.read、*）。")
    if pattern not in known:
        return f"権限「{pattern}」はありません。使える権限は「権限一覧」で確認してください。"
    return None
