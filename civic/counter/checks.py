"""The checks staff rely on while making a 届書 (小郡市 spec (5) a, b, m, n).

* 住民票コード — 11 digits: 10 digits and a check digit. 住民基本台帳法施行規則 第1条 and the 算式 of
  平成14年総務省告示第436号: ``11 − (Σ Pn×Qn mod 11)`` over the 10 digits, Pn the n-th digit counted
  from the lowest, Qn = n+1 (1≤n≤6), n−5 (7≤n≤10); 0 when the remainder is 0 or 1.
* 個人番号 — 12 digits: 11 digits and a check digit. 番号法施行令 第8条 and 総務省令第85号 第5条:
  the same 算式 over 11 digits, Qn = n+1 (1≤n≤6), n−5 (7≤n≤11).
* 和暦⇄西暦 with the age on a day: 「令和4年12月1日(2022年)(1歳)」 (§(5) n).
* 在留期間 code in words: 「0500000 (5年)」 (§(5) m): 2 digits of years, 2 of months, 3 of days.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from civic.procedures.dates import DateProblem, parse_date, wareki


@dataclass(frozen=True)
class CheckProblem(ValueError):
    """A value that fails a check; ``message`` is for staff (Japanese, names the reason and value)."""

    code: str
    message: str

    def __str__(self) -> str:
        return self.message


def _digits(text: str) -> str:
    return re.sub(r"[\s\-‐－ー]", "", unicodedata.normalize("NFKC", text or ""))


def modulus11(body: str) -> int:
    """The check digit of ``body`` by the statutory 算式 (weights 2..7 then 2.. from the lowest digit)."""
    total = 0
    for n, ch in enumerate(reversed(body), start=1):
        weight = n + 1 if n <= 6 else n - 5
        total += int(ch) * weight
    remainder = total % 11
    return 0 if remainder <= 1 else 11 - remainder


def _check(text: str, length: int, what: str) -> str:
    value = _digits(text)
    if not value.isdigit() or not value.isascii():
        raise CheckProblem("not_digits", f"{what}は数字{length}桁で入力してください（入力: {text!r}）。")
    if len(value) != length:
        raise CheckProblem("length", f"{what}は{length}桁です（入力は{len(value)}桁: {value}）。")
    expected = modulus11(value[:-1])
    if int(value[-1]) != expected:
        raise CheckProblem("check_digit", f"{what}の検査用数字（末尾の1桁）が合いません: {value}"
                                          f"（末尾は {expected} になるはずです）。読み取りか入力を確かめてください。")
    return value


def resident_code(text: str) -> str:
    """A valid 住民票コード (11 digits, normalised) or ``CheckProblem``."""
    return _check(text, 11, "住民票コード")


def individual_number(text: str) -> str:
    """A valid 個人番号 (12 digits, normalised) or ``CheckProblem``."""
    return _check(text, 12, "個人番号")


def with_check_digit(body: str) -> str:
    """``body`` followed by its check digit (test data, the demo's cards)."""
    return body + str(modulus11(body))


def age_on(born: date, today: date) -> int:
    """満年齢 (年齢計算ニ関スル法律: the age increases at the end of the day before the birthday; for the
    counter's purpose, on the birthday)."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def birth_text(value: date | str, today: date) -> str:
    """「令和4年12月1日(2022年)(1歳)」 from a date or from what was typed (西暦 or 和暦)."""
    born = value if isinstance(value, date) else parse_date(value)
    if born > today:
        raise CheckProblem("future", f"生年月日が今日より後です（{born.isoformat()}）。")
    return f"{wareki(born)}({born.year}年)({age_on(born, today)}歳)"


def iso_date(text: str) -> str:
    """A typed or read date (西暦 or 和暦) as ISO ``YYYY-MM-DD``; ``CheckProblem`` when impossible."""
    try:
        return parse_date(text).isoformat()
    except DateProblem as exc:
        raise CheckProblem("date", str(exc)) from None


_PERIOD = re.compile(r"^(\d{2})(\d{2})(\d{3})$")


def stay_period(code: str) -> str:
    """「0500000 (5年)」: the 在留期間 code with its meaning in words."""
    value = _digits(code)
    m = _PERIOD.match(value)
    if not m:
        raise CheckProblem("stay_period", f"在留期間コードは7桁の数字です（年2桁・月2桁・日3桁、入力: {code!r}）。")
    years, months, days = (int(g) for g in m.groups())
    if months > 11:
        raise CheckProblem("stay_period", f"在留期間コードの月（{months}）は0〜11です: {value}")
    parts = [f"{years}年" if years else "", f"{months}月" if months else "", f"{days}日" if days else ""]
    words = "".join(parts)
    if not words:
        raise CheckProblem("stay_period", f"在留期間コードが0です: {value}")
    return f"{value} ({words})"
