"""Click tracking through our own redirect links (国富町 §9(2)(ア)③⑪).

When a run starts, each web link in its messages becomes ``{base}/r/{token}``; the public route
looks the token up, counts the click and redirects to the stored address (only ever to an address
a delivery contained: no open redirect). A multicast sends one message to many people, so a
click cannot be tied to a citizen: unique clicks are counted by a keyed digest of the visitor's
address and browser per day, which cannot be turned back into either.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.attributes.blind import blind_index_of
from civic.clock import TOKYO
from civic.database import Database
from civic.deliveries.content import rewrite_links
from civic.deliveries.models import LinkClick, TrackedLink
from civic.rows import pk, table_of

LINK = table_of(TrackedLink)
CLICK = table_of(LinkClick)


def new_token() -> str:
    return secrets.token_urlsafe(9)


async def track(s: AsyncSession, now: datetime, run_id: int, messages: list[dict[str, Any]],
                base_url: str) -> list[dict[str, Any]]:
    """The messages with their links replaced by tracked ones (unchanged without a public base URL)."""
    if not base_url:
        return messages
    base = base_url.rstrip("/") + "/r/"
    made: dict[str, str] = {}

    def shorten(url: str) -> str:
        if url not in made:
            made[url] = new_token()
        return base + made[url]

    rewritten = rewrite_links(messages, shorten)
    if made:
        s.add_all([TrackedLink(token=token, run_id=run_id, url=url, created_at=now) for url, token in made.items()])
        await s.flush()
    return rewritten


def _visitor(s: AsyncSession, remote: str | None, agent: str | None, now: datetime) -> str:
    key = blind_index_of(s)._key  # the blind-index key: derived from the data key, never stored
    day = now.astimezone(TOKYO).date().isoformat()
    return hmac.new(key, f"click|{day}|{remote}|{agent}".encode(), hashlib.sha256).hexdigest()[:32]


async def follow(db: Database, now: datetime, token: str, *, remote: str | None, agent: str | None) -> str | None:
    """Count a click on ``token`` and give the address to redirect to (None: unknown token)."""
    if not token or len(token) > 24:
        return None
    async with db.write() as s:
        link = (await s.exec(select(TrackedLink).where(TrackedLink.token == token))).first()
        if link is None:
            return None
        s.add(LinkClick(link_id=pk(link), visitor=_visitor(s, remote, (agent or "")[:300], now), at=now))
        return link.url


async def clicks_by_run(s: AsyncSession, run_ids: list[int]) -> dict[int, tuple[int, int]]:
    """run id → (clicks, unique visitors)."""
    if not run_ids:
        return {}
    rows = (await s.exec(select(LINK.c.run_id, sa.func.count(CLICK.c.id),
                                sa.func.count(sa.distinct(CLICK.c.visitor)))
                         .select_from(LINK.join(CLICK, CLICK.c.link_id == LINK.c.id))
                         .where(LINK.c.run_id.in_(run_ids)).group_by(LINK.c.run_id))).all()
    return {int(r): (int(c), int(u)) for r, c, u in rows}


async def links_of_run(s: AsyncSession, run_id: int) -> list[tuple[str, str, int, int]]:
    """(url, token, clicks, unique visitors) per link of a run."""
    rows = (await s.exec(select(LINK.c.url, LINK.c.token, sa.func.count(CLICK.c.id),
                                sa.func.count(sa.distinct(CLICK.c.visitor)))
                         .select_from(LINK.outerjoin(CLICK, CLICK.c.link_id == LINK.c.id))
                         .where(LINK.c.run_id == run_id).group_by(LINK.c.id, LINK.c.url, LINK.c.token)
                         .order_by(LINK.c.id))).all()
    return [(u, t, int(c), int(n)) for u, t, c, n in rows]
