"""LINE's insight endpoints, answered from what linesim has recorded (``/v2/bot/insight/...``).

LINE counts followers once a day; linesim answers for any day since it started with its current
state: everyone who ever added the account (``followers``, blocks included, as LINE counts them),
those who still follow (``targetedReaches``) and those who blocked (``blocks``). For days before it
started it has recorded nothing, and answers 404 as LINE does where it has no figures.
"""

from __future__ import annotations

from datetime import datetime

from aiohttp import web

from linesim.errors import bad_request, not_found
from linesim.keys import STARTED
from linesim.middleware import channel_of

routes = web.RouteTableDef()


@routes.get("/v2/bot/insight/followers")
async def number_of_followers(request: web.Request) -> web.Response:
    day = request.query.get("date", "")
    try:
        asked = datetime.strptime(day, "%Y%m%d").date()
    except ValueError:
        raise bad_request("The value for the 'date' parameter is invalid") from None
    if asked < request.app[STARTED]:
        raise not_found()
    users = list(channel_of(request).users.values())
    following = sum(1 for u in users if u.following)
    return web.json_response({"status": "ready", "followers": len(users), "targetedReaches": following,
                              "blocks": len(users) - following})
