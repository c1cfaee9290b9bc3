"""Run one logic from sync and async code: a generator of steps, and a driver for each.

A logic that makes requests and waits (a request's retries, the polls of a bulk action) is
written once, as a generator that yields what it needs done, `(op, argument)`, and is sent
the outcome back. It does no I/O and reads no clock it is not given. `run()` carries the
steps out in a thread, `arun()` in the running async library; each takes the function that
performs one step. This is how stamina drives sync and async retries from one object, and
how h11 keeps a protocol apart from its sockets.

>>> def logic():
...     answer = yield ("ask", 1)
...     return answer + 1
>>> run(logic(), lambda op, argument: argument * 10)
11
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from typing import Any, TypeVar

__all__ = ["Steps", "arun", "run"]

R = TypeVar("R")

Steps = Generator[tuple[str, Any], Any, R]
"""A logic's steps: yields `(op, argument)`, is sent each step's outcome, returns a result."""


def run(steps: Steps[R], perform: Callable[[str, Any], object]) -> R:
    """Carry out `steps` with `perform(op, argument)` until the logic returns or raises."""
    outcome: object = None
    try:
        while True:
            op, argument = steps.send(outcome)
            outcome = perform(op, argument)
    except StopIteration as done:
        result: R = done.value
        return result
    finally:
        # Interrupted mid-way (KeyboardInterrupt, an error of `perform`): end it now, not at GC.
        steps.close()


async def arun(steps: Steps[R], perform: Callable[[str, Any], Awaitable[object]]) -> R:
    """`run()` for async code: `perform` is awaited, so the waits are cancellable."""
    outcome: object = None
    try:
        while True:
            op, argument = steps.send(outcome)
            outcome = await perform(op, argument)
    except StopIteration as done:
        result: R = done.value
        return result
    finally:
        steps.close()
