"""防災モード's menus (issue #22): switching the mode relinks what every citizen sees, and back.

The menus of each mode are prepared beforehand (``services.set_mode_targets``) and published with
every release of the account (``services.snapshot`` keeps them as standby menus), so a switch
creates nothing on LINE: it applies a release (source ``mode:<mode>``) whose menus are those of
the last ordinary release plus the mode's, whose default and segment menus are the mode's. The
publisher's reconciliation sets the default menu and relinks (bulk link / unlink, 500 users a
call) exactly the citizens whose menu changes. Switching back to ``normal`` applies the last
ordinary release again (keeping the standby menus), so per-segment menus come back as they were.
An account without menus prepared for the mode, or never published, is left as it is.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlmodel import col, select

from civic.disaster import services as disaster
from civic.disaster.models import DisasterModeChange
from richmenus import services
from richmenus.errors import RichMenuError
from richmenus.models import ACCOUNTS, RichMenuRelease
from richmenus.publish import APPLIED, RichMenuPublisher

log = logging.getLogger(__name__)
NORMAL = "normal"
MODE_SOURCE = "mode:"


class ModeMenus:
    def __init__(self, publisher: RichMenuPublisher) -> None:
        self.publisher = publisher

    async def switch(self, mode: str, by: str) -> list[RichMenuRelease]:
        """Show ``mode``'s menus on every account that has them (``normal``: the ordinary ones)."""
        db = self.publisher.db
        applied: list[RichMenuRelease] = []
        for account in ACCOUNTS:
            async with db.read() as s:
                base = await ordinary_release(s, account)
                if base is None:
                    continue
                snap: dict[str, Any] = json.loads(base.snapshot)
                every = await services.mode_targets_of(s, account)
                standby = await services.freeze_menus(s, [t.menu_id for t in every])
                targets = [t for t in every if t.mode == mode]
            if mode != NORMAL and not targets:
                continue
            menus = {**standby, **snap["menus"]}
            if mode == NORMAL:
                wanted = {**snap, "menus": menus}
            else:
                wanted = {"menus": menus,
                          "default": next((t.menu_id for t in targets if t.segment_id is None), None),
                          "segments": [{"segment_id": t.segment_id, "menu_id": t.menu_id}
                                       for t in targets if t.segment_id]}
            current = await _latest_applied(db, account)
            if current is not None and json.loads(current.snapshot) == json.loads(services.snapshot_text(wanted)):
                continue
            applied.append(await self.publisher.apply_snapshot(account, wanted, f"{MODE_SOURCE}{mode}", by))
        return applied


async def ordinary_release(s: Any, account: str) -> RichMenuRelease | None:
    """The latest release applied by staff (a publish, promote or rollback), not by a mode switch."""
    return (await s.exec(select(RichMenuRelease).where(
        RichMenuRelease.account == account, RichMenuRelease.status == APPLIED,
        col(RichMenuRelease.source).not_like(f"{MODE_SOURCE}%"))
        .order_by(col(RichMenuRelease.number).desc()))).first()


async def _latest_applied(db: Any, account: str) -> RichMenuRelease | None:
    async with db.read() as s:
        return (await s.exec(select(RichMenuRelease).where(RichMenuRelease.account == account,
                                                           RichMenuRelease.status == APPLIED)
                             .order_by(col(RichMenuRelease.number).desc()))).first()


class DisasterSwitch:
    """One switch of the town's mode: recorded with who, when and why, then every citizen's menu relinked.

    The change is committed first (greeting and fallback answers follow the mode from the next turn
    on, whatever LINE does); then the menus are relinked, and the change records whether that worked
    (``menus``: ``applied`` / ``failed`` with the error, or ``none`` when no account has menus for it).
    ``record`` writes the operation log's entry in the change's own transaction."""

    def __init__(self, db: Any, clock: Any, menus: ModeMenus | None) -> None:
        self.db, self.clock, self.menus = db, clock, menus

    async def switch(self, mode: str, *, by: str, reason: str,
                     record: Callable[[Any, DisasterModeChange], Awaitable[None]] | None = None
                     ) -> DisasterModeChange | None:
        async with self.db.write() as s:
            change = await disaster.change_mode(s, self.clock.now(), mode=mode, by=by, reason=reason)
            if change is None:
                return None
            if record is not None:
                await record(s, change)
        return await self.settle()

    async def settle(self) -> DisasterModeChange | None:
        """Relink the menus of the latest change if that is still to do (a switch recorded elsewhere, e.g.
        by a mail rule in the mail's transaction: ``civic.deliveries.mail``). The latest change, or None."""
        async with self.db.read() as s:
            change = await disaster.latest_change(s)
        if change is None or change.menus != "pending":
            return change
        status, error = "none", None
        if self.menus is not None:
            try:
                status = "applied" if await self.menus.switch(change.mode, change.changed_by) else "none"
            except RichMenuError as exc:
                status, error = "failed", exc.message
                log.warning("disaster mode %s: menus not relinked: %s", change.mode, exc.message)
        async with self.db.write() as s:
            row = await s.get(DisasterModeChange, change.id)
            assert row is not None
            row.menus, row.error = status, error
            s.add(row)
        return row
