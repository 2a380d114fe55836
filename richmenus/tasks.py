"""Housekeeping: images no menu and no release uses any more (every redraw stores a new image)."""

from __future__ import annotations

import json

import sqlalchemy as sa
from sqlmodel import col, select

from civic.database import Database
from richmenus.models import RichMenu, RichMenuImage, RichMenuRelease


async def purge_unused_images(db: Database) -> int:
    """Delete images referenced neither by a menu nor by any release (so every version can be re-published)."""
    async with db.write() as s:
        used = {sha for sha in (await s.exec(select(RichMenu.image_sha256))).all() if sha}
        for snapshot in (await s.exec(select(RichMenuRelease.snapshot))).all():
            used.update(entry.get("image") for entry in json.loads(snapshot)["menus"].values())
        unused = [sha for sha in (await s.exec(select(RichMenuImage.sha256))).all() if sha not in used]
        if unused:
            await s.exec(sa.delete(RichMenuImage).where(col(RichMenuImage.sha256).in_(unused)))
    return len(unused)
