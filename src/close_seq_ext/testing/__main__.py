"""``python -m close_seq_ext.testing``: run the local Close API until Ctrl-C (or SIGTERM).

>>> _parser().parse_args(["--port", "0", "--leads", "5"]).leads
5
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from .._client import is_loopback
from ._bulk import BulkProgress
from ._ratelimit import RateLimit
from ._server import CloseServer

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m close_seq_ext.testing",
        description="Run a local Close API (sequences, subscriptions, bulk actions) for testing.",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="interface (default 127.0.0.1; any other lets other machines in, with a warning)",
    )
    parser.add_argument("--port", type=int, default=8000, help="port; 0 picks a free one")
    parser.add_argument("--leads", type=int, default=50, help="number of generated leads")
    parser.add_argument(
        "--seed",
        type=int,
        help="seed of leads, ids and key (default: the leads of seed 0 and a random key)",
    )
    parser.add_argument(
        "--api-key", help="API key to accept (default: random on every start, or from --seed)"
    )
    parser.add_argument("--rate-limit", type=int, help="requests per window per endpoint group")
    parser.add_argument("--rate-window", type=float, default=1.0, help="rate-limit window, seconds")
    parser.add_argument(
        "--fractional-reset",
        action="store_true",
        help="send RateLimit reset in milliseconds (sub-second windows; closeio reads integers)",
    )
    parser.add_argument(
        "--rate-aligned",
        action="store_true",
        help="windows follow the server's clock, not each group's first request (as Close)",
    )
    parser.add_argument("--bulk-rate", type=float, default=1000.0, help="bulk objects per second")
    parser.add_argument("--max-limit", type=int, default=100, help="largest _limit accepted")
    parser.add_argument(
        "--page-cap",
        type=int,
        help="most items per page whatever _limit asks, has_more still true (as Close may)",
    )
    parser.add_argument(
        "--latency",
        type=float,
        default=0.0,
        help="seconds added to every answer, to model a network (e.g. 0.08)",
    )
    return parser


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Start the server, print where it is and its key, serve until interrupted."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.rate_aligned and args.rate_limit is None:
        parser.error("--rate-aligned needs --rate-limit")
    if not is_loopback(args.host):
        print(
            f"Warning: listening on {args.host}, not on this machine only: anyone who can "
            "reach it can read and change this server's data with its key.",
            file=sys.stderr,
            flush=True,
        )
    rate_limit = None
    if args.rate_limit is not None:
        rate_limit = RateLimit(
            limit=args.rate_limit,
            window=args.rate_window,
            fractional_reset=args.fractional_reset,
            aligned=args.rate_aligned,
        )
    server = CloseServer(
        host=args.host,
        port=args.port,
        leads=args.leads,
        seed=args.seed,
        api_key=args.api_key,
        rate_limit=rate_limit,
        bulk_progress=BulkProgress.rate(args.bulk_rate),
        max_limit=args.max_limit,
        page_cap=args.page_cap,
        latency=args.latency,
    )
    try:
        server.start()
    except ImportError as err:
        print(err, file=sys.stderr)
        return 1
    # SIGTERM (e.g. from a process manager) stops the server as cleanly as Ctrl-C.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        print(f"Close API running at {server.base_url}", flush=True)
        print(f"API key: {server.api_key}", flush=True)
        print(f"Try: curl -u {server.api_key}: {server.url('/api/v1/lead/?_limit=1')}", flush=True)
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
