"""Run every benchmark and write the report (see `benchmarks/__init__.py`)."""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks import (
    distance,
    fanout,
    fleet,
    imports,
    memory,
    overload,
    pagination,
    parsing,
    polling,
    ratelimit,
)
from benchmarks._common import ROOT, Section, server
from tests.redis_support import RedisServer

START, END = "<!-- bench:start -->", "<!-- bench:end -->"


@dataclass(frozen=True)
class Sizes:
    runs: int
    walk_runs: int
    walk: int
    memory_walk: int
    parse_pages: int
    rate_windows: int
    """Windows each rate-limited run lasts: rates are counted at the server over them."""
    tasks: int
    fan_out: int
    polls: tuple[float, ...]
    import_runs: int
    fleet_tasks: int
    failover_windows: int
    """Windows each fleet failover run lasts: its master is killed a third of the way in."""
    workers: int
    max_retry_wait: float
    """The example app's bound under overload (section 10)."""
    distance: int
    far: int
    distance_runs: int


FULL = Sizes(
    # 3, not 5: the rate-limited sections now run over 30+ windows each (their spread is
    # over windows, not runs), and the whole set must stay near 15 minutes.
    runs=3,
    walk_runs=9,
    walk=50_000,
    memory_walk=200_000,
    parse_pages=300,
    rate_windows=32,
    tasks=50,
    fan_out=841,
    polls=(2, 5, 10, 20),
    import_runs=9,
    fleet_tasks=25,
    # Far past a promotion (1 to 3 s here) and the fleet's return; not a rate, so not 30+.
    failover_windows=15,
    workers=4,
    max_retry_wait=5,
    distance=20_000,
    far=5_000,
    # Each one-at-a-time walk of 20,000 items takes 17 s: 2 runs keep the section near 1.5 min.
    distance_runs=2,
)
QUICK = Sizes(
    runs=1,
    walk_runs=1,
    walk=2_000,
    memory_walk=5_000,
    parse_pages=10,
    rate_windows=2,
    tasks=5,
    fan_out=60,
    polls=(1,),
    import_runs=1,
    fleet_tasks=5,
    # The kill at 2.7 s, the Sentinel's promotion about 2 s later, the fleet's return at once.
    failover_windows=6,
    workers=2,
    max_retry_wait=1,
    distance=500,
    far=200,
    distance_runs=1,
)
FAN_OUT_LIMIT = 20
OVERLOAD_LIMIT, OVERLOAD_LATENCY = 20, 0.02
# The example authenticates its callers and sends as its configured sender.
_OVERLOAD_TOKEN = "bench-" + "t" * 32
OVERLOAD_HEADERS: dict[str, str] = {"Authorization": f"Bearer {_OVERLOAD_TOKEN}"}
OVERLOAD_APP_ENV: dict[str, str] = {
    "APP_API_TOKEN": _OVERLOAD_TOKEN,
    "CLOSE_SENDER_ACCOUNT_ID": "emailacct_bench",
    "CLOSE_SENDER_NAME": "Bench",
    "CLOSE_SENDER_EMAIL": "bench@example.com",
}
BULK_RATE = 10.0  # objects per second
FLEET_LIMIT, FLEET_PROCESSES, FLEET_LATENCY = 50, 4, 0.02
# Walk at a distance: a round trip to Close from another continent, and a per-key limit;
# then farther (a slow network, or Close slow to answer), to choose the default window by.
DISTANCE_LATENCY = 0.08
FAR_LATENCY = 0.25
DISTANCE_RATE = 40
DISTANCE_TARGET = 1.15


def sections(sizes: Sizes, runs: int) -> list[Section]:
    done = []
    walks = sorted({sizes.walk, sizes.memory_walk})
    with server("--subscriptions", *walks) as srv:
        done.append(pagination.run(srv, sizes.walk, max(runs, sizes.walk_runs)))
        done.append(memory.run(srv, sizes.memory_walk, runs))
    done.append(parsing.run(runs, sizes.parse_pages))
    with RedisServer() as store:
        done.append(ratelimit.run(store.url, sizes.rate_windows, sizes.tasks))
    with server("--subscriptions", sizes.fan_out, "--rate-limit", FAN_OUT_LIMIT) as srv:
        done.append(fanout.run(srv, sizes.fan_out, FAN_OUT_LIMIT))
    with server("--leads", 300, "--bulk-rate", BULK_RATE) as srv:
        done.append(polling.run(srv, BULK_RATE, list(sizes.polls), runs))
    done.append(imports.run(max(runs, sizes.import_runs)))
    done.append(run_fleet(sizes))
    done.append(run_overload(sizes))
    for number, size, latency, target in [
        (8, sizes.distance, DISTANCE_LATENCY, DISTANCE_TARGET),
        (9, sizes.far, FAR_LATENCY, None),
    ]:
        limited = ("--rate-limit", DISTANCE_RATE, "--latency", latency)
        with server("--subscriptions", size, *limited) as srv:
            walk_runs = sizes.distance_runs
            section = distance.run(
                srv, size, latency, DISTANCE_RATE, walk_runs, number=number, target=target
            )
            done.append(section)
    return sorted(done, key=place)


def place(section: Section) -> tuple[int, str]:
    """Where a section goes in the report: "4b. ..." after "4. ...", "10. ..." after "9. ..."."""
    found = re.match(r"(\d+)(\w*)\.", section.title)
    assert found, section.title
    return int(found.group(1)), found.group(2)


def run_overload(sizes: Sizes) -> Section:
    limits = ("--rate-limit", OVERLOAD_LIMIT, "--latency", OVERLOAD_LATENCY)
    with server("--bulk-action", *limits) as srv, RedisServer() as store:
        return overload.run(
            srv,
            store,
            OVERLOAD_LIMIT,
            sizes.workers,
            sizes.rate_windows,
            OVERLOAD_HEADERS,
            OVERLOAD_APP_ENV,
            sizes.max_retry_wait,
        )


def run_fleet(sizes: Sizes) -> Section:
    limits = ("--rate-limit", FLEET_LIMIT, "--latency", FLEET_LATENCY)
    with server("--subscriptions", 1, *limits) as srv, RedisServer() as store:
        flush = store.client().flushall
        return fleet.run(
            srv,
            store.url,
            flush,
            FLEET_LIMIT,
            FLEET_PROCESSES,
            sizes.rate_windows,
            sizes.fleet_tasks,
            sizes.failover_windows,
        )


def git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
    return done.stdout.strip()


def machine() -> str:
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    commit = git("rev-parse", "--short", "HEAD")
    # The report itself is rewritten by every run: only other changes make a run "dirty".
    if commit and git("status", "--porcelain", "--", ".", ":!BENCHMARKS.md", ":!build"):
        commit += "-dirty"
    return (
        f"{os.cpu_count()} CPUs ({model.group(1) if model else platform.processor()}), "
        f"Linux {platform.release()}, Python {platform.python_version()}, httpx "
        f"{httpx.__version__}; commit `{commit or 'unknown'}`; load average "
        f"{' / '.join(f'{x:.2f}' for x in os.getloadavg())} at the start"
    )


def report(done: list[Section], runs: int, command: str, took: float, where: str) -> str:
    today = datetime.date.today().isoformat()
    lines = [
        START,
        f"Measured {today} with `{command}` in {took / 60:.1f} min: {runs} runs per figure "
        "unless a section says more.",
        "",
        f"Machine: {where}.",
        "",
        "| benchmark | measure | result: median [min, max] | target |",
        "|---|---|---|---|",
    ]
    for section in done:
        lines += [
            f"| {section.title.split(':')[0]} | " + " | ".join(row) + " |"
            for row in section.summary
        ]
    lines += [
        "| 11. CI | `make bench-quick` in `.ci/run` | runs every benchmark at tiny "
        "sizes, checks no speed | keeps them working |",
        "",
    ]
    lines += [section.markdown() for section in done]
    lines.append(END)
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one run each")
    parser.add_argument("--runs", type=int, help="runs per figure (default 5, quick 1)")
    parser.add_argument("--output", type=Path, help="rewrite this file's results section")
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    runs = args.runs or sizes.runs
    where = machine()
    started = time.perf_counter()
    done = sections(sizes, runs)
    command = "python -m benchmarks" + (" --quick" if args.quick else "")
    text = report(done, runs, command, time.perf_counter() - started, where)
    if args.output is None:
        sys.stdout.write(text)
        return
    args.output.parent.mkdir(parents=True, exist_ok=True)
    old = args.output.read_text() if args.output.exists() else f"{START}\n{END}\n"
    head, _, rest = old.partition(START)
    _, _, tail = rest.partition(END)
    args.output.write_text(head + text.rstrip("\n") + tail)
    print(f"wrote {args.output}")
