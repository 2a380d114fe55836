"""Publishing through line-bot-sdk's async clients to a LINE stand-in, on both database backends."""

from __future__ import annotations

import pytest
from sqlmodel import select

from civic.database import Database
from richmenus import services
from richmenus.errors import RichMenuError
from richmenus.layout import Layout
from richmenus.line_objects import alias_id
from richmenus.models import RichMenuRelease, RichMenuUpload
from tests.richmenus.conftest import LINKS, NOW, TILES, Line, make_tabs


async def _target(db: Database, account: str, default: int, segments: list[tuple[str, int]] | None = None) -> None:
    async with db.write() as s:
        await services.set_targets(s, account, default_menu_id=default, segments=segments or [])


async def test_publishing_tabs_creates_menus_images_aliases_and_default(db: Database, line: Line) -> None:
    main, living = await make_tabs(db)
    await _target(db, "test", main)
    release = await line.publisher.publish("test", "editor")
    assert (release.number, release.status, release.source) == (1, "applied", "draft")
    ch = line.fake.channels["test"]
    assert len(ch.menus) == 2 and set(ch.images) == set(ch.menus)
    assert set(ch.aliases) == {alias_id(main), alias_id(living)}
    default = ch.menus[ch.default]
    assert default["chatBarText"] == "メニュー" and default["name"].startswith("メインメニュー [mdg:")
    switch = [a["action"] for a in default["areas"] if a["action"]["type"] == "richmenuswitch"]
    assert switch == [{"type": "richmenuswitch", "richMenuAliasId": alias_id(living),
                       "data": f"richmenu-switch={living}", "label": "くらしの情報"}]
    assert ch.menus[ch.aliases[alias_id(living)]]["chatBarText"] == "くらしの情報"
    assert line.fake.channels["production"].menus == {}  # the public account is untouched


async def test_publishing_again_changes_nothing(db: Database, line: Line) -> None:
    main, _ = await make_tabs(db)
    await _target(db, "test", main)
    await line.publisher.publish("test", "editor")
    before = line.fake.dump("test")
    calls = len(line.fake.calls)
    await line.publisher.publish("test", "editor")
    writes = [c for c in line.fake.calls[calls:] if c[1] != "GET"]
    assert writes == [] and line.fake.dump("test") == before


async def test_a_failure_half_way_is_repaired_by_the_next_publish(db: Database, line: Line) -> None:
    main, living = await make_tabs(db)
    await _target(db, "test", main)
    line.fake.fail("POST", "/content", times=1)  # the first image upload fails
    with pytest.raises(RichMenuError) as exc:
        await line.publisher.publish("test", "editor")
    assert "メニューの作成" in exc.value.message and "再実行" in exc.value.message
    async with db.read() as s:
        failed = (await s.exec(select(RichMenuRelease))).one()
    assert failed.status == "failed" and "LINE 側で一時的なエラー" in failed.error
    ch = line.fake.channels["test"]
    assert ch.default is None and len(ch.menus) == 1 and ch.images == {}
    release = await line.publisher.retry("test")
    assert release.status == "applied" and release.number == 1
    assert len(ch.menus) == 2 and set(ch.images) == set(ch.menus) and ch.default in ch.menus
    assert set(ch.aliases) == {alias_id(main), alias_id(living)}


async def test_a_menu_created_before_a_crash_is_adopted_not_duplicated(db: Database, line: Line) -> None:
    main, _ = await make_tabs(db)
    await _target(db, "test", main)
    await line.publisher.publish("test", "editor")
    ch = line.fake.channels["test"]
    async with db.write() as s:  # the database forgets: as if LINE answered but we never recorded it
        for row in (await s.exec(select(RichMenuUpload))).all():
            await s.delete(row)
    ids = set(ch.menus)
    await line.publisher.publish("test", "editor")
    assert set(ch.menus) == ids
    async with db.read() as s:
        rows = (await s.exec(select(RichMenuUpload))).all()
    assert {r.line_rich_menu_id for r in rows} == ids and all(r.image_uploaded for r in rows)


async def test_promote_then_rollback(db: Database, line: Line) -> None:
    main, living = await make_tabs(db)
    await _target(db, "test", main)
    await line.publisher.publish("test", "editor")
    first = await line.publisher.promote("manager")
    prod = line.fake.channels["production"]
    assert first.source == "promote:test#1" and prod.menus[prod.default]["chatBarText"] == "メニュー"
    async with db.write() as s:  # staff change the main menu, try it, promote it
        menu = await services.get_menu(s, main)
        await services.update_menu(s, NOW, menu, chat_bar_text="町の窓口")
    await line.publisher.publish("test", "editor")
    await line.publisher.promote("manager")
    assert prod.menus[prod.default]["chatBarText"] == "町の窓口" and len(prod.menus) == 2
    back = await line.publisher.rollback("production", 1, "manager")
    assert (back.number, back.source, back.status) == (3, "rollback:1", "applied")
    assert prod.menus[prod.default]["chatBarText"] == "メニュー" and len(prod.menus) == 2
    tab = prod.menus[prod.aliases[alias_id(living)]]
    assert tab["chatBarText"] == "くらしの情報"


async def test_segment_menus_are_linked_in_bulk_and_relinked(db: Database, line: Line) -> None:
    main, _ = await make_tabs(db)
    async with db.write() as s:
        parents = await services.create_menu(s, NOW, name="子育て世帯向け", chat_bar_text="子育て",
                                             layout=Layout(columns=3, rows=1, tiles=LINKS))
    line.segments.by_segment = {"kosodate": ["U1", "U2"], "senior": ["U2", "U3"]}
    await _target(db, "production", main, [("kosodate", parents.id), ("senior", main)])
    await line.publisher.publish("production", "manager")
    fake = line.fake
    assert fake.shown_to("production", "U1")["chatBarText"] == "子育て"
    assert fake.shown_to("production", "U2")["chatBarText"] == "子育て"  # first segment by priority wins
    assert fake.channels["production"].links["U3"] == fake.channels["production"].default
    assert fake.shown_to("production", "U9")["chatBarText"] == "メニュー"
    line.segments.by_segment = {"kosodate": ["U2"], "senior": ["U3"]}  # U1's child grew up
    await line.publisher.relink_citizen("U1")
    assert "U1" not in fake.channels["production"].links
    await line.publisher.relink_citizen("U2")  # unchanged: no call to LINE
    assert fake.shown_to("production", "U2")["chatBarText"] == "子育て"


async def test_menus_no_longer_used_are_deleted_from_line(db: Database, line: Line) -> None:
    main, living = await make_tabs(db)
    await _target(db, "test", main)
    await line.publisher.publish("test", "editor")
    async with db.write() as s:
        single = await services.create_menu(s, NOW, name="単独", chat_bar_text="お知らせ",
                                            layout=Layout(columns=2, rows=1, tiles=TILES[:2]))
        await services.set_targets(s, "test", default_menu_id=single.id, segments=[])
    await line.publisher.publish("test", "editor")
    ch = line.fake.channels["test"]
    assert len(ch.menus) == 1 and ch.menus[ch.default]["chatBarText"] == "お知らせ"
    assert set(ch.aliases) == {alias_id(single.id)}


async def test_nothing_unready_reaches_line(db: Database, line: Line) -> None:
    async with db.write() as s:
        bare = await services.create_menu(s, NOW, name="画像なし", chat_bar_text="メニュー",
                                          areas=[{"bounds": {"x": 0, "y": 0, "width": 2500, "height": 1686},
                                                  "action": {"type": "message", "text": "こんにちは"}}])
    with pytest.raises(RichMenuError) as exc:
        await line.publisher.publish("test", "editor")
    assert exc.value.code == "nothing_to_publish"
    await _target(db, "test", bare.id)
    with pytest.raises(RichMenuError) as exc:
        await line.publisher.publish("test", "editor")
    assert "「画像なし」" in exc.value.message and "画像がありません" in exc.value.message
    assert line.fake.calls == []


async def test_a_wrong_token_is_explained(db: Database, line: Line) -> None:
    main, _ = await make_tabs(db)
    await _target(db, "test", main)
    line.publisher.apis.accounts["test"] = type(line.publisher.apis.accounts["test"])("bad", line.url, line.url)
    with pytest.raises(RichMenuError) as exc:
        await line.publisher.publish("test", "editor")
    assert "チャネルアクセストークン" in exc.value.message
