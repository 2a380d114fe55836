"""The browser chat simulator: a LINE-like chat page served by linesim (no build step, no CDN)."""

from __future__ import annotations

from .views import STATIC_DIR, add_routes

__all__ = ["STATIC_DIR", "add_routes"]
