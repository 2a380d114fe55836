"""Scheduled work: wiping drafts left idle (§8(6) x). Run every minute from the service scheduler."""

from __future__ import annotations

from civic.procedures.services import DraftStore


async def wipe_idle_drafts(store: DraftStore) -> int:
    return await store.wipe_idle()
