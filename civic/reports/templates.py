"""Response templates for road-damage reports (回答テンプレート, 酒田市 第5章1(6): the reporter is told of
progress): staff keep them in the console; the reports page offers those of the new status. Nothing here
commits (the view's transaction does).

``DEFAULTS`` are the texts the console had built in before staff could edit them; migration
``reports_0004`` puts them in the table of a new service (its copy is frozen there, as migrations are).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.reports.models import DONE, DUPLICATE, IN_PROGRESS, REJECTED, ReportTemplate

#: The statuses a report is moved to (a template for 受付 would never be offered).
TEMPLATE_STATUSES = (IN_PROGRESS, DONE, REJECTED, DUPLICATE)

#: (status, title, text) in the order staff see them.
DEFAULTS: tuple[tuple[str, str, str], ...] = (
    (IN_PROGRESS, "補修の準備中", "現地を確認し、補修の準備を進めています。完了しましたらお知らせします。"),
    (IN_PROGRESS, "担当課で確認", "担当課で現地を確認します。しばらくお待ちください。"),
    (DONE, "補修が完了", "補修が完了しました。ご連絡ありがとうございました。"),
    (DONE, "安全のための措置", "現地を確認し、安全のための措置を行いました。"),
    (REJECTED, "町の管理外", "町が管理する場所ではないため、管理者（県・国など）にお伝えしました。"),
    (REJECTED, "補修の必要なし", "現地を確認しましたが、現時点では補修の必要はないと判断しました。"),
    (DUPLICATE, "先の通報で対応中", "同じ場所について先に通報をいただいており、そちらで対応しています。"),
)


async def listing(session: AsyncSession, status: str | None = None) -> list[ReportTemplate]:
    query = select(ReportTemplate)
    if status:
        query = query.where(ReportTemplate.status == status)
    order = (col(ReportTemplate.status), col(ReportTemplate.sort_order), col(ReportTemplate.id))
    return list((await session.exec(query.order_by(*order))).all())


async def seed_defaults(session: AsyncSession, now: datetime) -> int:
    """``DEFAULTS`` into an empty table (a database made without the migrations' data); how many."""
    if await listing(session):
        return 0
    for i, (status, title, text) in enumerate(DEFAULTS):
        session.add(ReportTemplate(status=status, title=title, text=text, sort_order=(i + 1) * 10, updated_at=now))
    await session.flush()
    return len(DEFAULTS)
