"""Housekeeping keeps every image a menu or a release still needs."""

from __future__ import annotations

from sqlmodel import select

from civic.database import Database
from richmenus import services
from richmenus.layout import Layout
from richmenus.models import RichMenuImage
from richmenus.tasks import purge_unused_images
from tests.richmenus.conftest import NOW, TILES, Line


async def test_unused_images_go_and_released_ones_stay(db: Database, line: Line) -> None:
    async with db.write() as s:
        menu = await services.create_menu(s, NOW, name="メイン", chat_bar_text="メニュー",
                                          layout=Layout(columns=2, rows=1, tiles=TILES[:2]))
        await services.set_targets(s, "test", default_menu_id=menu.id, segments=[])
    await line.publisher.publish("test", "editor")
    async with db.write() as s:
        menu = await services.get_menu(s, menu.id)
        released = menu.image_sha256
        for color in ("#111111", "#222222"):  # two redraws: the first one is needed by nobody
            await services.update_menu(s, NOW, menu, layout=Layout(columns=2, rows=1, background=color,
                                                                     tiles=TILES[:2]))
        current = menu.image_sha256
    assert await purge_unused_images(db) == 1
    async with db.read() as s:
        left = set((await s.exec(select(RichMenuImage.sha256))).all())
    assert left == {released, current}
    assert await purge_unused_images(db) == 0
