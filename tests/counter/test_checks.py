"""Check digits against the statutory 算式 and known examples; 和暦 with age; 在留期間 in words."""

from __future__ import annotations

from datetime import date

import pytest

from civic.counter.checks import (
    CheckProblem,
    birth_text,
    individual_number,
    modulus11,
    resident_code,
    stay_period,
    with_check_digit,
)


def test_individual_number_known_valid_examples() -> None:
    # 123456789018: the example number used in 総務省/J-LIS and vendors' material; 983205673214 another
    # published valid number. The 算式 (総務省令第85号 第5条) by hand for 12345678901:
    # 1·6+2·5+3·4+4·3+5·2+6·7+7·6+8·5+9·4+0·3+1·2 = 212; 212 mod 11 = 3; 11 − 3 = 8.
    assert individual_number("123456789018") == "123456789018"
    assert individual_number("9832 0567 3214") == "983205673214"
    assert individual_number("１２３４５６７８９０１８") == "123456789018"  # full-width, as OCR or IME gives


def test_individual_number_refused_with_the_expected_digit() -> None:
    with pytest.raises(CheckProblem) as exc:
        individual_number("123456789012")
    assert exc.value.code == "check_digit" and "末尾は 8" in exc.value.message
    with pytest.raises(CheckProblem) as exc:
        individual_number("12345678901")
    assert exc.value.code == "length"
    with pytest.raises(CheckProblem):
        individual_number("12345678901A")


def test_remainder_0_or_1_gives_check_digit_0() -> None:
    # Σ ≡ 0 and Σ ≡ 1 (mod 11) both give 0 (ただし書き).
    bodies = [b for b in (f"{n:011d}" for n in range(0, 200000, 7)) if _sum(b) % 11 in (0, 1)]
    assert bodies and all(modulus11(b) == 0 for b in bodies[:50])
    assert {_sum(b) % 11 for b in bodies[:50]} == {0, 1}


def _sum(body: str) -> int:
    return sum(int(c) * (n + 1 if n <= 6 else n - 5) for n, c in enumerate(reversed(body), start=1))


def test_weights_follow_the_statute_digit_by_digit() -> None:
    # Qn = n+1 (1≤n≤6), n−5 (7≤n≤11), Pn counted from the lowest digit: a 1 in each place in turn.
    expected = [2, 3, 4, 5, 6, 7, 2, 3, 4, 5, 6]
    for n, weight in enumerate(expected, start=1):
        body = "0" * (11 - n) + "1" + "0" * (n - 1)
        assert _sum(body) == weight
        assert modulus11(body) == (0 if weight % 11 <= 1 else 11 - weight % 11)


def test_resident_code() -> None:
    code = with_check_digit("1234567890")
    # 1234567890 from the lowest: 0·2+9·3+8·4+7·5+6·6+5·7+4·2+3·3+2·4+1·5 = 195; 195 mod 11 = 8; 11 − 8 = 3.
    assert code == "12345678903"
    assert resident_code(code) == code
    with pytest.raises(CheckProblem) as exc:
        resident_code("12345678904")
    assert exc.value.code == "check_digit" and "住民票コード" in exc.value.message


def test_birth_text_as_in_the_spec() -> None:
    assert birth_text(date(2022, 12, 1), date(2024, 1, 5)) == "令和4年12月1日(2022年)(1歳)"
    assert birth_text("令和4年12月1日", date(2024, 12, 1)) == "令和4年12月1日(2022年)(2歳)"
    assert birth_text("H1.1.8", date(2026, 12, 1)) == "平成元年1月8日(1989年)(37歳)"
    with pytest.raises(CheckProblem):
        birth_text(date(2030, 1, 1), date(2026, 1, 1))


def test_stay_period_in_words() -> None:
    assert stay_period("0500000") == "0500000 (5年)"
    assert stay_period("0106000") == "0106000 (1年6月)"
    assert stay_period("0000090") == "0000090 (90日)"
    for bad in ("050000", "0012000", "0000000", "abcdefg"):
        with pytest.raises(CheckProblem):
            stay_period(bad)
