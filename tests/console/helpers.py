"""Helpers the console tests share."""

from __future__ import annotations

from tests.console.conftest import Demo

VIEWER = ("mitarou", "viewer-pass-2026!")


async def add_viewer(demo: Demo, admin: str) -> tuple[str, str]:
    """A staff account with the built-in viewer role (reads everything, changes nothing): (login, password)."""
    status, roles = await demo.admin_call("GET", "/roles", token=admin)
    viewer_role = next(r["id"] for r in roles if r["key"] == "viewer")
    status, _ = await demo.admin_call("POST", "/staff", {"login": VIEWER[0], "display_name": "閲覧 太郎",
                                                         "password": VIEWER[1], "role_id": viewer_role}, token=admin)
    assert status == 201
    return VIEWER
