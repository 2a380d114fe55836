"""Linking a LINE citizen and a web-only citizen (e-mail) once the same person proved both: the web
citizen's my-page rows move to the LINE citizen, its web sessions now sign in as them, and the web
citizen is erased (nothing of theirs is left behind)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.citizens.erasure import erase_citizen
from civic.mypage.models import (
    MailMessage,
    MyPageChannel,
    MyPageEmail,
    MyPageNotice,
    MyPageSession,
    MyPageTodo,
)


async def link_web_citizen(s: AsyncSession, now: datetime, line_citizen_id: int, web_citizen_id: int) -> str | None:
    """Move and erase; returns the web citizen's TOTP secret (the caller keeps it with the address)."""
    if line_citizen_id == web_citizen_id:
        return None
    mine = {(t.event_code, t.code) for t in (await s.exec(select(MyPageTodo).where(
        MyPageTodo.citizen_id == line_citizen_id))).all()}
    for todo in (await s.exec(select(MyPageTodo).where(MyPageTodo.citizen_id == web_citizen_id))).all():
        if (todo.event_code, todo.code) not in mine:
            todo.citizen_id = line_citizen_id
            s.add(todo)
    await s.flush()
    for model in (MyPageNotice, MyPageSession, MailMessage):
        await s.exec(sa.update(model).where(col(model.citizen_id) == web_citizen_id)
                     .values(citizen_id=line_citizen_id))
    web_email = (await s.exec(select(MyPageEmail).where(MyPageEmail.citizen_id == web_citizen_id))).first()
    totp = web_email.totp_secret if web_email is not None else None
    await s.exec(sa.delete(MyPageChannel).where(col(MyPageChannel.citizen_id) == web_citizen_id))
    await s.exec(sa.delete(MyPageEmail).where(col(MyPageEmail.citizen_id) == web_citizen_id))
    await erase_citizen(s, web_citizen_id, now)
    return totp
