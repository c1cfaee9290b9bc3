"""Run parts of the test suite many times in a row and list every failure by test id.

    python scripts/repeat_tests.py --runs 20 --load 1 tests/reliability tests/ext tests/testing

A flaky test fails one run in many, so one green run proves little; this runs the same
tests `--runs` times, each in a fresh pytest process, and at the end prints each test that
failed with the runs it failed in. `--load N` keeps N other processes busy spinning on a
core for the whole time, as CI's machine is loaded: tests that lean on timing fail far more
often then. The exit status is 1 if any run failed, so `make test-repeat` can gate on it.
"""

from __future__ import annotations

import argparse
import multiprocessing
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _spin() -> None:
    while True:
        pass


def _failures(report: Path) -> list[str]:
    """The ids of the tests that failed or errored in one run's JUnit XML report."""
    if not report.exists():
        return ["<no report: pytest did not finish>"]
    failed = []
    for case in ET.parse(report).getroot().iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            module = case.get("classname", "").replace(".", "/")
            failed.append(f"{module}.py::{case.get('name')}")
    return failed


def run_once(paths: list[str], pytest_args: list[str], report: Path) -> tuple[int, float]:
    started = time.monotonic()
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", f"--junitxml={report}"]
    completed = subprocess.run([*command, *pytest_args, *paths], cwd=ROOT, check=False)
    return completed.returncode, time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "paths", nargs="*", default=["tests/reliability", "tests/ext", "tests/testing"]
    )
    parser.add_argument("--runs", type=int, default=20, help="how many runs (default 20)")
    parser.add_argument("--load", type=int, default=0, help="busy processes beside the runs")
    parser.add_argument("--pytest-args", default="", help="extra pytest arguments, one string")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.load < 0:
        parser.error("--runs must be >= 1 and --load >= 0")

    spinners = [multiprocessing.Process(target=_spin, daemon=True) for _ in range(args.load)]
    for spinner in spinners:
        spinner.start()
    failed_in: dict[str, list[int]] = defaultdict(list)
    red_runs = 0
    try:
        with tempfile.TemporaryDirectory() as scratch:
            for number in range(1, args.runs + 1):
                report = Path(scratch) / f"run-{number}.xml"
                code, seconds = run_once(args.paths, args.pytest_args.split(), report)
                failures = _failures(report) if code else []
                if code and not failures:
                    failures = [f"<pytest exited {code} without a failed test>"]
                red_runs += bool(failures)
                for test_id in failures:
                    failed_in[test_id].append(number)
                verdict = "ok" if not failures else f"FAILED ({len(failures)})"
                print(f"run {number}/{args.runs}: {verdict} in {seconds:.0f} s", flush=True)
    finally:
        for spinner in spinners:
            spinner.terminate()

    print(f"\n{args.runs} runs of {' '.join(args.paths)} with {args.load} busy process(es):")
    print(f"{args.runs - red_runs} green, {red_runs} red")
    for test_id, runs in sorted(failed_in.items()):
        print(f"  {test_id}: failed in run(s) {', '.join(map(str, runs))}")
    return 1 if red_runs else 0


if __name__ == "__main__":
    sys.exit(main())
