"""What the benchmarks share: client subprocesses, the server process, statistics, tables."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
# Client processes compile bytecode once into this cache and reuse it, as an installed
# package would (this machine sets PYTHONDONTWRITEBYTECODE, which would make every process
# compile the SDK from source and count that as import time).
PYCACHE = ROOT / "build" / "bench-pycache"


@dataclass
class Section:
    """One benchmark's part of the report."""

    title: str
    method: str
    table: list[list[str]]
    raw: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    summary: list[list[str]] = field(default_factory=list)
    """Rows for the report's overview: measure, result (median and spread), target."""

    def markdown(self) -> str:
        header, *rows = self.table
        lines = [f"## {self.title}", "", self.method.strip(), ""]
        lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        lines += ["", *self.notes, ""] if self.notes else [""]
        raw = "\n".join(json.dumps(run, sort_keys=True) for run in self.raw)
        lines += ["<details><summary>Per-run numbers</summary>", "", "```", raw, "```", ""]
        lines += ["</details>", ""]
        return "\n".join(lines)


def client_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return env


def run_client(module: str, *args: object, timeout: float = 600) -> dict[str, Any]:
    """Run `python -m benchmarks.<module> args...` and return the JSON it prints last."""
    return run_python(["-m", f"benchmarks.{module}", *map(str, args)], timeout=timeout)


def run_python(arguments: list[str], timeout: float = 600) -> dict[str, Any]:
    """Run `python arguments...` and return the JSON it prints last."""
    command = [PYTHON, *arguments]
    done = subprocess.run(
        command, cwd=ROOT, env=client_env(), capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def emit(result: dict[str, Any]) -> None:
    """Print a client's result as the JSON line `run_client` reads."""
    print(json.dumps(result), flush=True)


class Server:
    """The local Close server in its own process (see `benchmarks._server`)."""

    def __init__(self, process: subprocess.Popen[str], info: dict[str, Any]) -> None:
        self.process = process
        self.base_url: str = info["base_url"]
        self.api_key: str = info["api_key"]
        self.sequences: dict[int, str] = {int(k): v for k, v in info["sequences"].items()}
        self.bulk_action: str | None = info.get("bulk_action")

    def hits(self) -> list[tuple[str, int, bool]]:
        """What the server's limiter decided since the last call: `(group, window, allowed)`."""
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write("hits\n")
        self.process.stdin.flush()
        return [
            (group, window, allowed)
            for group, window, allowed in json.loads(self.process.stdout.readline())
        ]

    def cpu_seconds(self) -> float:
        """User + system CPU time the server process has used so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def server(*args: object) -> Iterator[Server]:
    """Start `python -m benchmarks._server args...`; stop it on exit (by closing its stdin)."""
    command = [PYTHON, "-m", "benchmarks._server", *map(str, args)]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=client_env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"{' '.join(command)} exited with {process.wait()}")
        yield Server(process, json.loads(line))
    finally:
        assert process.stdin is not None
        process.stdin.close()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.returncode != 0:
        raise RuntimeError(f"the benchmark server failed with exit code {process.returncode}")


def rotations(modes: Sequence[str], runs: int) -> Iterator[tuple[int, str]]:
    """(run, mode) pairs, the modes interleaved and their order rotated from run to run, so
    neither side always goes first on a machine whose load drifts."""
    for run in range(runs):
        shift = run % len(modes)
        for mode in [*modes[shift:], *modes[:shift]]:
            yield run, mode


def column(results: Sequence[dict[str, Any]], mode: str, key: str) -> list[float]:
    """One measurement of every run of `mode`, in run order."""
    return [r[key] for r in results if r["mode"] == mode]


def percent(values: Sequence[float], whole: float) -> list[float]:
    """Each value as a percentage of `whole` (a limit, a request count)."""
    return [100 * value / whole for value in values]


def spread(values: Sequence[float], fmt: str = "{:.2f}") -> str:
    """`median [min, max]` of the runs."""
    med = statistics.median(values)
    if len(values) == 1:
        return fmt.format(med)
    return f"{fmt.format(med)} [{fmt.format(min(values))}, {fmt.format(max(values))}]"


def verdict(value: float, target: float, *, at_most: bool) -> str:
    """Whether a median meets its target, and by how much it misses."""
    ok = value <= target if at_most else value >= target
    if ok:
        return "met"
    return f"missed by {abs(value - target) / target:.0%}"
