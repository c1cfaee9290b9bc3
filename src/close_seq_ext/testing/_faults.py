"""Fault injection: the next N requests matching a method and path get a chosen misbehaviour.

>>> faults = Faults()
>>> rule = faults.add("GET", "/api/v1/sequence/{id}/", Fault.status(503, body="html"), times=2)
>>> faults.take("GET", "/api/v1/sequence/seq_1/").status_code
503
>>> faults.take("POST", "/api/v1/sequence/") is None
True
>>> rule.remaining
1
"""

from __future__ import annotations

import json
import random
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Literal

__all__ = ["Fault", "FaultRule", "Faults"]

BodyKind = Literal["json", "html", "empty"]


@dataclass(frozen=True)
class Fault:
    """What goes wrong; build one with `status()`, `delay()`, `drop()`, `truncate()`, `malformed()`.

    Attributes:
        status_code: Answer with this status instead of running the endpoint.
        body: For a status fault: ``"json"`` (``{"error": ...}``), ``"html"`` (an edge
            proxy's page), ``"empty"``, or the exact bytes/str/dict to send.
        headers: Extra headers for a status fault (e.g. ``{"Retry-After": "1"}``).
        delay_seconds: Wait this long before doing anything else.
        drop_connection: Close the connection without sending a byte of the answer.
        after_processing: With `drop_connection` or a delay alone: run the endpoint first
            (the server acted, the client never learns it), then drop or wait, instead of
            dropping or waiting before it ran.
        truncate_body: Send the real status and headers, then half the body, then close.
        malformed_body: Send the real status with a body that is not valid JSON.
    """

    status_code: int | None = None
    body: BodyKind | bytes | str | Mapping[str, Any] = "json"
    headers: Mapping[str, str] = field(default_factory=dict)
    delay_seconds: float = 0.0
    drop_connection: bool = False
    after_processing: bool = False
    truncate_body: bool = False
    malformed_body: bool = False

    @classmethod
    def status(
        cls,
        status_code: int,
        *,
        body: BodyKind | bytes | str | Mapping[str, Any] = "json",
        headers: Mapping[str, str] | None = None,
        delay: float = 0.0,
    ) -> Fault:
        """Answer `status_code` without running the endpoint: ``Fault.status(502, body="html")``."""
        return cls(
            status_code=status_code, body=body, headers=dict(headers or {}), delay_seconds=delay
        )

    @classmethod
    def delay(cls, seconds: float, *, after_processing: bool = False) -> Fault:
        """Wait `seconds`, then answer normally: ``Fault.delay(0.5)``.

        With `after_processing`, the endpoint runs first and its answer is held `seconds`:
        a client that times out meanwhile never learns that the server acted.
        """
        return cls(delay_seconds=seconds, after_processing=after_processing)

    @classmethod
    def drop(cls, *, after_processing: bool = False, delay: float = 0.0) -> Fault:
        """Close the connection without an answer: ``Fault.drop(after_processing=True)``."""
        return cls(drop_connection=True, after_processing=after_processing, delay_seconds=delay)

    @classmethod
    def truncate(cls) -> Fault:
        """Real status and headers, half the body, then the connection closes."""
        return cls(truncate_body=True)

    @classmethod
    def malformed(cls) -> Fault:
        """Real status, but the body is not valid JSON (its last byte is cut)."""
        return cls(malformed_body=True)

    def error_body(self) -> tuple[bytes, str | None]:
        """The (body, content type) of a status fault."""
        status = self.status_code or 500
        phrase = _phrase(status)
        if self.body == "json":
            return b'{"error": "%s"}' % phrase.encode(), "application/json"
        if self.body == "html":
            title = f"{status} {phrase}"
            page = f"<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"
            return page.encode(), "text/html; charset=utf-8"
        if self.body == "empty":
            return b"", None
        if isinstance(self.body, bytes):
            return self.body, None
        if isinstance(self.body, str):
            return self.body.encode(), "text/plain; charset=utf-8"
        return json.dumps(dict(self.body)).encode(), "application/json"


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


@dataclass
class FaultRule:
    """A registered fault: which requests it hits, how many more times, and how often it did.

    With a `probability` below 1 the rule fires on that share of the matching requests,
    drawn from a generator seeded with `seed`, so a run's mix repeats; a request it spares
    goes on to the next rule. `hits` and `remaining` count only the requests it fired on.
    """

    method: str
    path: str
    fault: Fault
    remaining: int | None
    hits: int = 0
    probability: float = 1.0
    seed: int | None = 0
    _regex: re.Pattern[str] = field(init=False, repr=False)
    _random: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if isinstance(self.probability, bool) or not 0 < self.probability <= 1:
            raise ValueError(f"probability must be > 0 and <= 1, got {self.probability!r}")
        self._random = random.Random(self.seed)
        # `{name}` matches one path segment (an id), `*` matches anything.
        parts = re.split(r"(\{[^/}]*\}|\*)", self.path)
        pattern = "".join(
            "[^/]+" if p.startswith("{") else ".*" if p == "*" else re.escape(p) for p in parts
        )
        self._regex = re.compile(pattern)

    def fires(self) -> bool:
        """Whether the rule acts on this matching request (always, below probability 1)."""
        return self.probability == 1 or self._random.random() < self.probability

    def matches(self, method: str, path: str) -> bool:
        """Whether this rule applies to a request (and still has uses left)."""
        if self.remaining == 0:
            return False
        if self.method not in ("*", method.upper()):
            return False
        return self._regex.fullmatch(path) is not None


class Faults:
    """The faults waiting for requests, first registered first served. Thread-safe."""

    def __init__(self) -> None:
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()

    def add(
        self,
        method: str,
        path: str,
        fault: Fault,
        *,
        times: int | None = 1,
        probability: float = 1.0,
        seed: int | None = 0,
    ) -> FaultRule:
        """Make the next `times` requests (None: all) matching `method` and `path` hit `fault`.

        `path` is a literal path, a pattern with ``{id}`` for one segment, or ``*``;
        `method` may be ``*``. With `probability` < 1, each matching request is hit with
        that chance (seeded by `seed`; None seeds from the system), `times` counting hits.
        """
        rule = FaultRule(method.upper(), path, fault, times, probability=probability, seed=seed)
        with self._lock:
            self._rules.append(rule)
        return rule

    def take(self, method: str, path: str) -> Fault | None:
        """Consume and return the fault for this request, if one is waiting."""
        with self._lock:
            for rule in self._rules:
                if rule.matches(method, path) and rule.fires():
                    rule.hits += 1
                    if rule.remaining is not None:
                        rule.remaining -= 1
                    return rule.fault
        return None

    def clear(self) -> None:
        """Remove every fault."""
        with self._lock:
            self._rules.clear()

    @property
    def rules(self) -> list[FaultRule]:
        """The registered rules, spent ones included."""
        with self._lock:
            return list(self._rules)
