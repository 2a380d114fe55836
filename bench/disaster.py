"""防災モード's switch (issue #22): time from the switch to every citizen's menu relinked at linesim.

    python -m bench disaster [--citizens 50000] [--segments 5]

Worst case: every citizen has a per-segment menu of their own (linked per user), so switching to
災害 unlinks all of them (bulk, 500 a call) and points the default at the disaster menu, and
switching back links all of them again. SQLite in a temporary directory; linesim in-process.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime

KEY = "0" * 64


async def run(args: argparse.Namespace) -> None:
    from bot.migrate import upgrade
    from civic.clock import FrozenClock
    from civic.crypto import FieldCipher, parse_key
    from civic.database import Database
    from linesim import ChannelConfig, SimConfig
    from linesim.driver import run_linesim
    from richmenus import services
    from richmenus.layout import Layout
    from richmenus.line_api import AccountCredentials, SdkLineApis
    from richmenus.modes import DisasterSwitch, ModeMenus
    from richmenus.publish import RichMenuPublisher
    from richmenus.segments import StaticSegments

    now = datetime(2026, 12, 4, tzinfo=UTC)
    tiles = [{"label": f"メニュー{i}", "icon": "info", "action": {"type": "postback", "data": f"action=faq&i={i}"}}
             for i in range(6)]
    with tempfile.TemporaryDirectory(prefix="bench-disaster-") as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        await asyncio.get_running_loop().run_in_executor(None, upgrade, url)
        db = Database(url, FieldCipher(parse_key(KEY)))
        users = [f"U{i:032x}" for i in range(args.citizens)]
        per = -(-len(users) // args.segments)
        segments = StaticSegments({f"district-{k}": users[k * per:(k + 1) * per] for k in range(args.segments)})
        async with run_linesim(SimConfig(channels=[ChannelConfig("production", "s", "t")])) as sim:
            apis = SdkLineApis({"production": AccountCredentials("t", sim.url, sim.url)})
            clock = FrozenClock(now)
            publisher = RichMenuPublisher(db, clock, apis, segments)
            async with db.write() as s:
                main = await services.create_menu(s, now, name="通常", chat_bar_text="メニュー",
                                                  layout=Layout(tiles=tiles))
                local = [await services.create_menu(s, now, name=f"地区{k}", chat_bar_text=f"地区{k}",
                                                    layout=Layout(tiles=tiles)) for k in range(args.segments)]
                emergency = await services.create_menu(s, now, name="災害時", chat_bar_text="災害時メニュー",
                                                       layout=Layout(tiles=tiles))
                await services.set_targets(s, "production", default_menu_id=main.id,  # type: ignore[arg-type]
                                           segments=[(f"district-{k}", m.id) for k, m in enumerate(local)])  # type: ignore[misc]
                await services.set_mode_targets(s, "disaster", "production", default_menu_id=emergency.id,
                                                segments=[])
            t0 = time.perf_counter()
            await publisher.publish("production", "bench")
            print(f"disaster benchmark: {args.citizens:,} citizens in {args.segments} segments with menus of their own")
            print(f"  first publish (menus + {args.citizens:,} per-user links): {time.perf_counter() - t0:.2f} s")
            channel = sim.service.channel("production")
            switch = DisasterSwitch(db, clock, ModeMenus(publisher))
            for mode, reason in (("disaster", "避難指示"), ("normal", "解除")):
                t0 = time.perf_counter()
                change = await switch.switch(mode, by="bench", reason=reason)
                took = time.perf_counter() - t0
                assert change is not None and change.menus == "applied", change
                linked = len(channel.user_rich_menus)
                print(f"  switch to {mode:<8}: {took:.2f} s; per-user links now {linked:,}, "
                      f"default {channel.rich_menus[channel.default_rich_menu].as_json()['chatBarText']}")
        await db.dispose()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench disaster", description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=50000)
    parser.add_argument("--segments", type=int, default=5)
    asyncio.run(run(parser.parse_args(argv)))
    return 0
