"""The result as plain text for a LINE talk (§8(6) j): short lines, no markup, within LINE's limit."""

from __future__ import annotations

from collections.abc import Mapping

from civic.procedures.dates import display
from civic.procedures.navigator import Navigator, ProcedureResult
from civic.procedures.tree import LifeEvent, Question, Town

LINE_TEXT_MAX = 5000  # characters in one LINE text message


def format_result_text(event: LifeEvent, results: list[ProcedureResult], town: Town, *,
                       limit: int = LINE_TEXT_MAX, with_online: bool = True) -> str:
    """``【転入の手続き】`` then one numbered block per procedure: counter, deadline, things to bring."""
    head = [f"【{event.title}の手続き】", f"{town.office}で必要な手続きは{len(results)}件です。"]
    tail = [f"受付時間: {town.hours}" if town.hours else "", f"お問い合わせ: {town.office} {town.phone}".rstrip()]
    blocks = []
    for i, r in enumerate(results, 1):
        lines = [f"{i}. {r.name}", f"　窓口: {r.counter.place}"]
        if r.deadline_display:
            lines.append(f"　期限: {r.deadline_display}")
            if r.overdue:
                lines.append("　※期限を過ぎています。お早めに届け出てください。")
        if r.form:
            lines.append(f"　届書: {r.form}" + ("（窓口で作成します。記入は不要です）" if r.prefilled else ""))
        if r.bring:
            lines.append("　持ち物: " + "、".join(r.bring))
        if with_online:
            lines += [f"　オンライン: {o.name}" for o in r.online]
        lines += [f"　※{n}" for n in r.notes]
        blocks.append("\n".join(lines))
    text = "\n\n".join(["\n".join(head), *blocks, "\n".join(t for t in tail if t)])
    if len(text) <= limit:
        return text
    if with_online:
        return format_result_text(event, results, town, limit=limit, with_online=False)
    # Still too long: keep whole blocks, then say how many were left out.
    kept, size = [], len("\n".join(head)) + 80
    for block in blocks:
        if size + len(block) + 2 > limit:
            break
        kept.append(block)
        size += len(block) + 2
    rest = f"\n\nほか{len(blocks) - len(kept)}件の手続きがあります。詳しくは手続きナビの画面をご覧ください。"
    return "\n\n".join(["\n".join(head), *kept]) + rest


def format_question_text(nav: Navigator, question: Question, answers: Mapping[str, str]) -> str:
    """A question as a LINE message: progress (§8(6) l), the question, the plain-language help (§8(6) m).

    The options go in quick-reply buttons (labels are at most 20 characters); a date question can use
    a date picker bounded by ``nav.date_bounds(question)``.
    """
    lines = [f"（{nav.progress(answers)}% 完了）", question.text]
    if question.kind == "date":
        low, high = nav.date_bounds(question)
        lines.append("日付を入力してください（例: 2026年12月1日、令和8年12月1日）。")
        if low and high:
            lines.append(f"{display(low)}から{display(high)}までの日付です。")
    if not question.required:
        lines.append("答えなくても次へ進めます。")
    if question.help:
        lines += ["", f"【ことばの説明】{question.help}"]
    return "\n".join(lines)
