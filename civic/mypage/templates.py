"""The town's e-mails, in Japanese: plain text and HTML, each with the unsubscribe link (except the
codes, which the citizen just asked for)."""

from __future__ import annotations

import html
from dataclasses import dataclass


@dataclass(frozen=True)
class Mail:
    subject: str
    text: str
    html: str


def _html(town: str, paragraphs: list[str], footer: str) -> str:
    body = "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)
    return (f'<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8"><title>{html.escape(town)}</title></head>'
            f'<body style="font-family:sans-serif;line-height:1.7;color:#1a1a1a">{body}'
            f'<hr><p style="font-size:0.9em;color:#444">{footer}</p></body></html>')


def _footer(town: str, unsubscribe_url: str | None) -> tuple[str, str]:
    text = f"{town}\nこのメールは送信専用です。"
    markup = html.escape(town) + "<br>このメールは送信専用です。"
    if unsubscribe_url:
        text += f"\nメールの受け取りをやめる：{unsubscribe_url}"
        markup += f'<br><a href="{html.escape(unsubscribe_url)}">メールの受け取りをやめる</a>'
    return text, markup


def _mail(town: str, subject: str, paragraphs: list[str], unsubscribe_url: str | None) -> Mail:
    ftext, fhtml = _footer(town, unsubscribe_url)
    return Mail(f"【{town}】{subject}" if town else subject, "\n\n".join(paragraphs) + "\n\n--\n" + ftext, _html(town, paragraphs, fhtml))


def code_mail(town: str, code: str, purpose_label: str) -> Mail:
    return _mail(town, "確認コードのお知らせ", [
        f"{purpose_label}のための確認コードは次のとおりです。", code,
        "有効期限は10分です。お心当たりのない場合は、このメールを破棄してください。"], None)


def notice_mail(town: str, title: str, body: str, unsubscribe_url: str | None, mypage_url: str = "") -> Mail:
    paragraphs = [body]
    if mypage_url:
        paragraphs.append(f"マイページでも確認できます：{mypage_url}")
    return _mail(town, title, paragraphs, unsubscribe_url)


def verified_mail(town: str, unsubscribe_url: str | None) -> Mail:
    """The registration confirmation (国富町 表4 no.4)."""
    return _mail(town, "メールアドレスの登録が完了しました", [
        "メールアドレスの登録が完了しました。",
        "今後、マイページの設定で選んだお知らせをこのアドレスにお送りします。"], unsubscribe_url)
