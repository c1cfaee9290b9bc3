"""The SDK's log lines: the logger names, what each line says, and `CLOSE_LOG`.

Every line goes to a child of the `close_seq_ext` logger:

- `close_seq_ext.http`: DEBUG, one line per attempt at a request (method, path, status or
  error, elapsed seconds, attempt number).
- `close_seq_ext.retry`: INFO, each retry and the wait before it.
- `close_seq_ext.ratelimit`: INFO, each wait at the rate-limit gate; WARNING when the
  shared store of a fleet fails.
- `close_seq_ext.enroll`: WARNING when `ensure_subscribed` cannot use the store's lock
  (the store failed, or a lock outlived its expiry).

No line carries a credential: a request's line names its method and path only (never a
header, Close's host or the query) and an error by its type; the store's lines name its
host and port, never its password.

Apps that configure logging themselves set levels and handlers on these names. The rest
get a switch, as openai-python's `OPENAI_LOG`: `CLOSE_LOG=info` or `CLOSE_LOG=debug`, read
by `make_client`, gives `close_seq_ext` that level and one handler that writes to stderr.
Only that logger is touched, never the root logger, however many clients are made.

    >>> log_to_stderr_from_env({"CLOSE_LOG": "loud"})
    Traceback (most recent call last):
    ValueError: CLOSE_LOG must be one of debug, info (or unset), got 'loud'
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Mapping

import httpx

__all__ = [
    "LEVELS",
    "enroll_logger",
    "http_logger",
    "log_attempt",
    "log_hold",
    "log_to_stderr",
    "log_to_stderr_from_env",
    "ratelimit_logger",
    "retry_logger",
    "sdk_logger",
]

sdk_logger = logging.getLogger("close_seq_ext")
http_logger = logging.getLogger("close_seq_ext.http")
retry_logger = logging.getLogger("close_seq_ext.retry")
ratelimit_logger = logging.getLogger("close_seq_ext.ratelimit")
enroll_logger = logging.getLogger("close_seq_ext.enroll")

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}
_FORMAT = "[%(asctime)s %(name)s %(levelname)s] %(message)s"
# Clients made at once in several threads must still add one handler between them.
_setup_lock = threading.Lock()


def log_attempt(
    request: httpx.Request,
    outcome: httpx.Response | Exception,
    elapsed: float,
    attempt: int,
) -> None:
    """One DEBUG line for one attempt at `request`: its answer's status, or the error's type.

    `elapsed`: seconds from handing the request to the connection pool (a wait for a free
    connection included) to the whole answer read. `attempt` counts every send of the
    request from 1, retries after errors and after 429s alike.
    """
    if not http_logger.isEnabledFor(logging.DEBUG):
        return
    ended = (
        str(outcome.status_code)
        if isinstance(outcome, httpx.Response)
        else type(outcome).__name__  # never str(outcome): some errors quote the URL
    )
    http_logger.debug(
        "%s %s %s in %.3fs (attempt %d)",
        request.method,
        request.url.path,
        ended,
        elapsed,
        attempt,
    )


def log_hold(request: httpx.Request, seconds: float) -> None:
    """An INFO line: `request` waits `seconds` at the rate-limit gate before it is sent."""
    ratelimit_logger.info(
        "%s %s waits %.2fs for the rate limit", request.method, request.url.path, seconds
    )


def log_to_stderr_from_env(environ: Mapping[str, str] = os.environ) -> None:
    """Apply `CLOSE_LOG` (`info` or `debug`; unset or empty: leave logging alone).

    Raises:
        ValueError: Any other value; the message lists the levels.
    """
    value = environ.get("CLOSE_LOG", "").strip().lower()
    if not value:
        return
    if value not in LEVELS:
        raise ValueError(
            f"CLOSE_LOG must be one of {', '.join(sorted(LEVELS))} (or unset), "
            f"got {environ['CLOSE_LOG']!r}"
        )
    log_to_stderr(value)


def log_to_stderr(level: str) -> None:
    """Send the SDK's lines at `level` (`"info"` or `"debug"`) and above to stderr.

    Idempotent: the handler is added once, and a later call only changes the level.

    Example:
        >>> log_to_stderr("debug")  # doctest: +SKIP
    """
    with _setup_lock:
        sdk_logger.setLevel(LEVELS[level])
        if not any(isinstance(h, _StderrHandler) for h in sdk_logger.handlers):
            handler = _StderrHandler()
            handler.setFormatter(logging.Formatter(_FORMAT, datefmt="%Y-%m-%d %H:%M:%S"))
            sdk_logger.addHandler(handler)


class _StderrHandler(logging.Handler):
    """Writes to whatever `sys.stderr` is at the time of the line (a CLI's progress bar, or
    pytest, may replace it after the handler was added)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
            sys.stderr.flush()
        except Exception:
            self.handleError(record)
