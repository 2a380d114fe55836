"""Citizen-facing wording of the booking service, in one place (polite Japanese)."""

from __future__ import annotations

from datetime import date, datetime

from civic.clock import tokyo

WEEKDAYS = "月火水木金土日"


def hm(minute: int) -> str:
    """``540`` → ``9:00``; past midnight → ``翌10:00``."""
    if minute > 24 * 60:
        minute -= 24 * 60
        return f"翌{minute // 60}:{minute % 60:02d}"
    return f"{minute // 60}:{minute % 60:02d}"


def day_label(d: date) -> str:
    return f"{d.month}月{d.day}日({WEEKDAYS[d.weekday()]})"


def when_label(d: date, start: int, end: int) -> str:
    return f"{d.year}年{day_label(d)} {hm(start)}〜{hm(end)}"


def at_label(dt: datetime) -> str:
    local = tokyo(dt)
    return f"{local.month}月{local.day}日({WEEKDAYS[local.weekday()]}) {local.hour}:{local.minute:02d}"


def yen(amount: int) -> str:
    return f"{amount:,}円"


def summary(number: str, facility: str, unit: str, d: date, start: int, end: int) -> str:
    return (f"予約番号: {number}\n施設: {facility} {unit}\n"
            f"日時: {when_label(d, start, end)}")


def staff_changed(summary_text: str, reason: str) -> str:
    return ("【予約内容の変更のお知らせ】\n施設の担当者がご予約の内容を変更しました。\n\n"
            f"{summary_text}\n\n変更の理由: {reason}\n\nご不明な点は施設までお問い合わせください。")


def staff_cancelled(summary_text: str, reason: str) -> str:
    return ("【予約取消のお知らせ】\n誠に申し訳ありませんが、次のご予約を取り消しました。\n\n"
            f"{summary_text}\n\n取消の理由: {reason}\n\nご不明な点は施設までお問い合わせください。")


def approved(summary_text: str) -> str:
    return f"【予約承認のお知らせ】\nお申し込みのご予約が承認されました。\n\n{summary_text}"


def rejected(summary_text: str, reason: str) -> str:
    return ("【予約をお受けできませんでした】\n誠に申し訳ありませんが、次のお申し込みはお受けできませんでした。\n\n"
            f"{summary_text}\n\n理由: {reason}")


def offer(summary_text: str, expires: datetime, fee: int) -> str:
    return ("【キャンセル待ちのご案内】\nお待ちいただいていた枠に空きが出ました。\n\n"
            f"{summary_text}\n使用料: {yen(fee)}\n\n"
            f"{at_label(expires)}までに「予約する」を押すと予約が確定します。"
            "ご不要の場合は「辞退する」を押してください。")


def reminder(summary_text: str, fee: int) -> str:
    return ("【ご利用日前日のお知らせ】\n明日は施設のご利用日です。\n\n"
            f"{summary_text}\n使用料: {yen(fee)}\n\n"
            "ご都合が悪くなった場合は、お早めに取消の手続きをお願いします。")


def offer_lapsed(summary_text: str) -> str:
    return ("【キャンセル待ちのご案内の期限切れ】\n期限までにお手続きがなかったため、次の枠のご案内を終了しました。\n\n"
            f"{summary_text}")
