"""A log of the requests the server answered, for assertions in tests.

>>> log = CallLog()
>>> log.record(Call("GET", "/api/v1/sequence/", "", 200))
>>> log.called, log.call_count, log.last.status_code
(True, 1, 200)
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

__all__ = ["Call", "CallLog"]


@dataclass(frozen=True)
class Call:
    """One request and how it was answered.

    `status_code` is None when the server dropped the connection (a fault), and 499 when the
    client left before its request could be read or answered (e.g. it timed out during a
    delay fault); in that case nothing was done.
    """

    method: str
    path: str
    query: str
    status_code: int | None
    fault: bool = False
    rate_limited: bool = False
    tz_offset: str | None = None  # the X-TZ-Offset header, as sent


class CallLog:
    """The requests seen, oldest first; filled by the server thread, read by tests."""

    def __init__(self) -> None:
        self._calls: list[Call] = []
        self._lock = threading.Lock()

    def record(self, call: Call) -> None:
        """Append one call."""
        with self._lock:
            self._calls.append(call)

    def clear(self) -> None:
        """Forget every call."""
        with self._lock:
            self._calls.clear()

    @property
    def calls(self) -> list[Call]:
        """A copy of the calls so far."""
        with self._lock:
            return list(self._calls)

    @property
    def called(self) -> bool:
        """Whether any request arrived."""
        return self.call_count > 0

    @property
    def call_count(self) -> int:
        """How many requests arrived."""
        with self._lock:
            return len(self._calls)

    @property
    def last(self) -> Call:
        """The latest call; IndexError when there is none."""
        with self._lock:
            return self._calls[-1]

    def matching(self, method: str, path: str) -> list[Call]:
        """The calls with this method and exact path."""
        return [c for c in self.calls if c.method == method.upper() and c.path == path]
