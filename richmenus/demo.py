"""A town's rich menus from a data file (``content/<town>/richmenus.yml``): install, render, publish.

``python -m bot demo`` calls ``publish_demo_menus``: the menus are created (or brought up to date,
found again by name), rendered, published to the test account and then promoted to production.
``python -m bot serve`` does the same once, while the town has no rich menu (``bot.content_install``).
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import select

from civic.clock import Clock
from civic.database import Database
from civic.rows import pk
from richmenus import services
from richmenus.errors import RichMenuError
from richmenus.layout import Layout
from richmenus.models import ACCOUNTS, RichMenu, RichMenuGroup, RichMenuRelease
from richmenus.publish import RichMenuPublisher
from richmenus.spec import Line

DEMO_FILE = Path(__file__).resolve().parents[1] / "content" / "midori" / "richmenus.yml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MenuEntry(_Strict):
    key: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=100)
    tab_label: Line | None = Field(default=None, max_length=20)
    chat_bar_text: Line = Field(min_length=1, max_length=14)
    selected: bool = True
    #: Outside the group of tabs (a 防災モード menu, shown alone).
    standalone: bool = False
    layout: Layout


class SegmentEntry(_Strict):
    segment: str = Field(min_length=1, max_length=64)
    menu: str


class AccountTargets(_Strict):
    default: str | None = None
    segments: list[SegmentEntry] = Field(default_factory=list)


class MenuFile(_Strict):
    version: int = 1
    group: str | None = Field(default=None, max_length=100)
    menus: list[MenuEntry] = Field(min_length=1)
    targets: dict[str, AccountTargets] = Field(default_factory=dict)
    #: Menus prepared for the 防災モード (``alert`` / ``disaster``) per account (issue #22).
    modes: dict[str, dict[str, AccountTargets]] = Field(default_factory=dict)


def load_menu_file(path: Path) -> MenuFile:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        menus = MenuFile.model_validate(data)
    except (OSError, yaml.YAMLError) as exc:
        raise RichMenuError("invalid", "menu_file", f"{path} を読めません: {exc}") from exc
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise RichMenuError("invalid", "menu_file", f"{path} の {where}: {first['msg']}") from exc
    keys = [m.key for m in menus.menus]
    every = [*menus.targets.items(), *(item for per in menus.modes.values() for item in per.items())]
    if any(mode not in ("alert", "disaster") for mode in menus.modes):
        raise RichMenuError("invalid", "menu_file", f"{path}: modes は alert か disaster です。")
    for account, targets in every:
        if account not in ACCOUNTS:
            raise RichMenuError("invalid", "menu_file", f"{path}: targets のアカウント「{account}」は production か test です。")
        for key in [targets.default, *(s.menu for s in targets.segments)]:
            if key is not None and key not in keys:
                raise RichMenuError("invalid", "menu_file", f"{path}: targets.{account} のメニュー「{key}」は menus にありません。")
    return menus


async def install_menus(db: Database, clock: Clock, path: Path = DEMO_FILE) -> dict[str, int]:
    """Create or update the file's menus (found again by name in the group); key → menu id."""
    spec = load_menu_file(path)
    now = clock.now()
    ids: dict[str, int] = {}
    async with db.write() as s:
        group_id: int | None = None
        if spec.group:
            group = (await s.exec(select(RichMenuGroup).where(RichMenuGroup.name == spec.group))).first()
            if group is None:
                group = RichMenuGroup(name=spec.group, created_at=now, updated_at=now)
                s.add(group)
                await s.flush()
            group_id = group.id
        for position, entry in enumerate(spec.menus):
            in_group = None if entry.standalone else group_id
            menu = (await s.exec(select(RichMenu).where(RichMenu.name == entry.name,
                                                        RichMenu.group_id == in_group))).first()
            if menu is None:
                menu = await services.create_menu(s, now, name=entry.name, chat_bar_text=entry.chat_bar_text,
                                                  selected=entry.selected, layout=entry.layout, group_id=in_group,
                                                  tab_label=entry.tab_label)
            ids[entry.key] = pk(menu)
            await services.update_menu(s, now, menu, chat_bar_text=entry.chat_bar_text, selected=entry.selected,
                                       layout=entry.layout, tab_label=entry.tab_label, tab_position=position)
        for account, targets in spec.targets.items():
            await services.set_targets(
                s, account, default_menu_id=ids[targets.default] if targets.default else None,
                segments=[(t.segment, ids[t.menu]) for t in targets.segments])
        for mode, per_account in spec.modes.items():
            for account, targets in per_account.items():
                await services.set_mode_targets(
                    s, mode, account, default_menu_id=ids[targets.default] if targets.default else None,
                    segments=[(t.segment, ids[t.menu]) for t in targets.segments])
    return ids


async def publish_demo_menus(db: Database, clock: Clock, publisher: RichMenuPublisher, path: Path = DEMO_FILE,
                             *, by: str = "(demo)", try_on_test: bool = True) -> list[RichMenuRelease]:
    """Install the menus, publish them to the test account, then the same release to production
    (``try_on_test=False``, a service without a test account: straight to production)."""
    await install_menus(db, clock, path)
    if not try_on_test:
        return [await publisher.publish("production", by)]
    tried = await publisher.publish("test", by)
    async with db.read() as s:
        production = await services.targets_of(s, "production")
    if not production:
        return [tried]
    return [tried, await publisher.promote(by)]
