"""The result as plain text for a LINE talk (§8(6) j): short lines, no markup, within LINE's limit."""

from __future__ import annotations

from civic.procedures.navigator import ProcedureResult
from civic.procedures.tree import LifeEvent, Town

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
