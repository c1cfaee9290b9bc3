"""What the `close-seq` tests share besides fixtures: request bodies, run results, arguments."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

SEQUENCE_BODY = {
    "name": "Onboarding",
    "timezone": "Europe/Berlin",
    "steps": [
        {"step_type": "email", "delay": 0, "email_template_id": "tmpl_welcome"},
        {"step_type": "call", "delay": 86400},
    ],
}
ALL_LEADS = {"type": "object_type", "object_type": "lead"}


@dataclass(frozen=True)
class Result:
    """How one run of `close-seq` ended."""

    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


Run = Callable[..., Result]


def bulk_subscribe_args(sequence_id: str, query: str = json.dumps(ALL_LEADS)) -> list[str]:
    """The arguments of a valid `bulk subscribe`."""
    return [
        "bulk",
        "subscribe",
        "--query",
        query,
        "--sequence",
        sequence_id,
        "--sender-account",
        "emailacct_1",
        "--sender-name",
        "Ada",
        "--sender-email",
        "ada@example.com",
        "--contact-preference",
        "lead",
    ]
