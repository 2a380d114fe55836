"""SQLite's single writer: urgent writers (webhook acknowledgements) go first; cancellation is safe."""

from __future__ import annotations

import asyncio

import pytest

from civic.database import WriteGate


async def test_urgent_waiters_go_before_ordinary_ones() -> None:
    gate, order = WriteGate(), []
    await gate.acquire()

    async def waiter(name: str, urgent: bool) -> None:
        async with gate.hold(urgent):
            order.append(name)

    tasks = [asyncio.create_task(waiter("turn-1", False)), asyncio.create_task(waiter("turn-2", False))]
    await asyncio.sleep(0)
    tasks.append(asyncio.create_task(waiter("ack", True)))
    await asyncio.sleep(0)
    gate.release()
    await asyncio.gather(*tasks)
    assert order == ["ack", "turn-1", "turn-2"]


async def test_a_cancelled_waiter_does_not_keep_the_gate() -> None:
    gate = WriteGate()
    await gate.acquire()
    cancelled = asyncio.create_task(gate.acquire())
    await asyncio.sleep(0)
    cancelled.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    gate.release()
    await asyncio.wait_for(gate.acquire(), 1)  # free again
