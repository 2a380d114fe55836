"""The composition root's lifespan: one exit stack, steps opened in order and closed in reverse; a
step that fails at start closes what was already open. Resources opened at start are reached
through ``Opened``, which refuses to be used before."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from aiohttp import web

from bot.service import Lifespan, Opened


def _steps(lifespan: Lifespan, events: list[str], *names: str) -> None:
    for name in names:
        async def step(stack: contextlib.AsyncExitStack[Any], name: str = name) -> None:
            events.append(f"open {name}")
            stack.callback(events.append, f"close {name}")

        lifespan.add(step)


async def test_steps_open_in_order_and_close_in_reverse() -> None:
    events: list[str] = []
    lifespan = Lifespan()
    _steps(lifespan, events, "databases", "gateway", "dispatcher")
    running = lifespan(web.Application())
    await running.__anext__()
    assert events == ["open databases", "open gateway", "open dispatcher"]
    with pytest.raises(StopAsyncIteration):
        await running.__anext__()
    assert events[3:] == ["close dispatcher", "close gateway", "close databases"]


async def test_a_step_failing_at_start_closes_what_was_open() -> None:
    events: list[str] = []
    lifespan = Lifespan()
    _steps(lifespan, events, "databases", "gateway")

    async def broken(stack: contextlib.AsyncExitStack[Any]) -> None:
        raise RuntimeError("the mail port is taken")

    lifespan.add(broken)
    _steps(lifespan, events, "never")
    with pytest.raises(RuntimeError):
        await lifespan(web.Application()).__anext__()
    assert events == ["open databases", "open gateway", "close gateway", "close databases"]


def test_an_opened_resource_is_refused_before_it_is_open() -> None:
    gateway: Opened[str] = Opened("the LINE gateway")
    assert gateway.peek() is None
    with pytest.raises(RuntimeError, match="the LINE gateway is not open"):
        gateway.get()
    assert gateway.open("gw") == "gw" and gateway.get() == "gw" and gateway.peek() == "gw"
