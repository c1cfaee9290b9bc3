"""The example app's configuration: one object, read from the environment when the app is made.

    APP_API_TOKEN            the bearer token callers send (32 characters or more)
    CLOSE_SENDER_ACCOUNT_ID  the sender of every enrollment: the app's, never the caller's
    CLOSE_SENDER_NAME
    CLOSE_SENDER_EMAIL
    APP_MAX_BODY_BYTES       the largest request body accepted (default 256 KiB)

A setting missing or malformed stops the app at start-up with a message naming it: an app
that started without a token would have to choose between refusing every caller and
trusting every one.

>>> config = AppConfig.from_env({
...     "APP_API_TOKEN": "t" * 32,
...     "CLOSE_SENDER_ACCOUNT_ID": "emailacct_1",
...     "CLOSE_SENDER_NAME": "Ada",
...     "CLOSE_SENDER_EMAIL": "ada@example.com",
... })
>>> config.sender["sender_name"], config.max_body_size
('Ada', 262144)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["AppConfig"]

TOKEN_ENV = "APP_API_TOKEN"
MAX_BODY_ENV = "APP_MAX_BODY_BYTES"
SENDER_ENV = {
    "sender_account_id": "CLOSE_SENDER_ACCOUNT_ID",
    "sender_name": "CLOSE_SENDER_NAME",
    "sender_email": "CLOSE_SENDER_EMAIL",
}
# Long enough that guessing is hopeless; make one with
# `python -c "import secrets; print(secrets.token_urlsafe())"`.
MIN_TOKEN_LENGTH = 32
DEFAULT_MAX_BODY_SIZE = 256 * 1024


@dataclass(frozen=True)
class AppConfig:
    """What the app is configured with, as opposed to what a caller sends.

    Attributes:
        api_token: The bearer token a caller must present (see `auth.require_caller`).
        sender_account_id, sender_name, sender_email: Who Close sends the sequence's
            emails as; callers cannot choose it.
        max_body_size: The largest request body accepted, in bytes; past it the answer is
            413 before the body is read further.
    """

    api_token: str = field(repr=False)
    sender_account_id: str
    sender_name: str
    sender_email: str
    max_body_size: int = DEFAULT_MAX_BODY_SIZE

    def __post_init__(self) -> None:
        if len(self.api_token) < MIN_TOKEN_LENGTH:
            raise ValueError(f"{TOKEN_ENV} must be {MIN_TOKEN_LENGTH} characters or more")
        for name, env in SENDER_ENV.items():
            if not getattr(self, name).strip():
                raise ValueError(f"{env} must not be empty")
        if isinstance(self.max_body_size, bool) or not isinstance(self.max_body_size, int):
            raise TypeError(f"{MAX_BODY_ENV} must be a whole number of bytes")
        if self.max_body_size < 1:
            raise ValueError(f"{MAX_BODY_ENV} must be 1 or more")

    @property
    def sender(self) -> dict[str, str]:
        """The sender fields of a subscription or bulk subscribe body."""
        return {name: getattr(self, name) for name in SENDER_ENV}

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> AppConfig:
        """The configuration in `environ`; a `RuntimeError` names what is missing."""
        required = [TOKEN_ENV, *SENDER_ENV.values()]
        missing = [name for name in required if not environ.get(name, "").strip()]
        if missing:
            raise RuntimeError(f"the app needs {', '.join(missing)} set (see config.py)")
        max_body = environ.get(MAX_BODY_ENV, "").strip()
        if max_body and not max_body.isdigit():
            raise RuntimeError(f"{MAX_BODY_ENV} must be a number of bytes, got {max_body!r}")
        try:
            return cls(
                api_token=environ[TOKEN_ENV].strip(),
                max_body_size=int(max_body) if max_body else DEFAULT_MAX_BODY_SIZE,
                **{name: environ[env].strip() for name, env in SENDER_ENV.items()},
            )
        except ValueError as exc:
            raise RuntimeError(str(exc)) from None
