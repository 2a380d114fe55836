"""Masking for staff without personal.view: free text (names by a finder, numbers by pattern) and
operation-log snapshots (citizens' fields by key, per target type)."""

from __future__ import annotations

from civic.staff.privacy import MASK, Redactor, mask_snapshot


def test_a_redactor_masks_names_it_is_told_about_and_every_pattern() -> None:
    finder = lambda text: [(text.index("山田"), text.index("山田") + 2)] if "山田" in text else []  # noqa: E731
    redact = Redactor(finder)
    assert redact("山田です。090-1234-5678 まで") == "＊＊です。＊＊＊＊＊＊＊＊ まで"
    assert Redactor()("山田です。a@b.jp") == "山田です。＊＊＊＊＊＊"  # without a finder: patterns only
    assert redact(None) is None and redact("") == ""


def test_snapshots_mask_citizens_fields_not_the_facility_s() -> None:
    redact = Redactor()
    booking = {"number": "R-1", "applicant_name": "山田 花子", "channel_user_id": "U" + "a" * 32, "people": 3,
               "facility_name": "体育館", "staff_note": "電話 090-1234-5678"}
    masked = mask_snapshot(booking, "reservation", redact)
    assert masked["applicant_name"] == MASK and masked["channel_user_id"] == MASK and masked["people"] == 3
    assert masked["facility_name"] == "体育館" and "090" not in masked["staff_note"]
    assert mask_snapshot({"name": "山田 花子", "phone": "1"}, "booker", redact) == {"name": MASK, "phone": MASK}
    assert mask_snapshot({"name": "体育館"}, "facility", redact) == {"name": "体育館"}
