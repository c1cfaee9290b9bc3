"""_steps: one logic written as a generator of steps, carried out by a sync or an async driver."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import anyio.lowlevel
import pytest

from close_seq_ext._steps import arun, run


class Logic:
    """Asks to double 1, then to double the answer, and returns the last; notes its end."""

    def __init__(self) -> None:
        self.ended = False

    def steps(self) -> Generator[tuple[str, Any], Any, int]:
        try:
            first = yield ("double", 1)
            second = yield ("double", first)
            return int(second)
        finally:
            self.ended = True


def double(op: str, argument: int) -> int:
    return argument * 2


async def adouble(op: str, argument: int) -> int:
    await anyio.lowlevel.checkpoint()
    return argument * 2


def test_the_sync_driver_returns_what_the_logic_returns() -> None:
    logic = Logic()
    assert run(logic.steps(), double) == 4
    assert logic.ended


@pytest.mark.anyio
async def test_the_async_driver_returns_the_same() -> None:
    logic = Logic()
    assert await arun(logic.steps(), adouble) == 4
    assert logic.ended


def test_a_step_that_fails_ends_the_logic_at_once() -> None:
    logic = Logic()

    def fail(op: str, argument: int) -> int:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(logic.steps(), fail)
    assert logic.ended  # closed by the driver, not left to the garbage collector


@pytest.mark.anyio
async def test_a_cancelled_async_step_ends_the_logic_at_once() -> None:
    logic = Logic()

    async def hang(op: str, argument: int) -> int:
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    with anyio.move_on_after(0):  # cancelled at the step's first checkpoint
        await arun(logic.steps(), hang)
    assert logic.ended
