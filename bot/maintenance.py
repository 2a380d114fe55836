"""The maintenance notice at the service's edges (国富町 §5(イ), §8(4)(ア); ``civic.maintenance``):

- ``DuringMaintenance``: during the window, a citizen's message or postback is answered kindly with
  the notice instead of going to the dialogues (which may depend on what is being maintained).
  Follows, unfollows and the rest go on as usual.
- ``GET /api/maintenance.js``: the banner script those pages load.
- ``GET /api/maintenance``: what the LIFF pages and the web chat show in advance (public, no
  personal data): ``{"notice": null}`` or ``{"notice": {"starts_at", "ends_at", "message", "active"}}``.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from bot.turn import HandlerWrapper, Turn
from civic.clock import TOKYO, Clock
from civic.database import Database
from civic.maintenance.services import current
from liff.page import MAINTENANCE_SCRIPT_FILE

ANSWERED = frozenset({"message", "postback"})


class DuringMaintenance(HandlerWrapper):
    async def handle(self, turn: Turn) -> None:
        if turn.event_type in ANSWERED and turn.user_id:
            notice = await current(turn.session)
            if notice is not None and notice.active(turn.now):
                turn.intent = "maintenance"
                turn.say({"type": "text", "text": notice.text()})
                return
        await self.inner.handle(turn)


async def banner_script(request: web.Request) -> web.Response:
    """``GET /api/maintenance.js``: the banner every citizen's page loads (``liff.page.with_maintenance_banner``)."""
    return web.Response(text=MAINTENANCE_SCRIPT_FILE.read_text(encoding="utf-8"), content_type="text/javascript",
                        charset="utf-8", headers={"Cache-Control": "public, max-age=300"})


def maintenance_view(db: Database, clock: Clock) -> Any:
    async def view(request: web.Request) -> web.Response:
        now = clock.now()
        async with db.read() as s:
            notice = await current(s)
        if notice is None or not notice.announced(now):
            body: dict[str, Any] = {"notice": None}
        else:
            body = {"notice": {"starts_at": notice.starts_at.astimezone(TOKYO).isoformat(),
                               "ends_at": notice.ends_at.astimezone(TOKYO).isoformat(),
                               "message": notice.message, "active": notice.active(now)}}
        return web.json_response(body, headers={"Cache-Control": "no-store"},
                                 dumps=lambda o: json.dumps(o, ensure_ascii=False))

    return view
