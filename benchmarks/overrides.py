"""What each speed-only template override buys, as a share of benchmark 1's client CPU.

    python -m benchmarks.overrides TEMPLATE... [--runs 3]
    python -m benchmarks.overrides property_templates/union_property.py.jinja

A template override changes only the models' `from_dict`, so that is what is timed: for
each override named (a file of `openapi/templates/`), a package is generated with the
generator's own template in its place (`scripts/generate.py --templates`); all are imported
into one process, and each parses one page of 100 subscriptions (as the local server
answers them, already `json.loads`-ed) in turns, the best of many rounds (`parse_times`).
What a variant costs more per page is then divided by the client CPU per page of
benchmark 1's whole walk (`paginate` through `make_client`, its `breakdown`: best of 7 walks
of 100 pages): the share of client CPU the override buys. Timing in turns in one process
keeps a loaded machine's noise out, which a walk-against-walk comparison on a shared 2-core
machine could not. A speed-only override that buys less than 5% is dropped (issue 13);
BENCHMARKS.md records the results.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import timeit
from pathlib import Path

from benchmarks._common import ROOT, run_python, server, spread

TEMPLATES = ROOT / "openapi" / "templates"
WALK_PAGES = 100


def variant(folder: Path, name: str, template: str) -> Path:
    """Generate the package with `template` back to the generator's own; returns its parent."""
    templates = folder / f"{name}-templates"
    shutil.copytree(TEMPLATES, templates)
    (templates / template).unlink()
    out = folder / name
    run = [
        str(ROOT / "scripts" / "generate.py"),
        "--templates", str(templates),
        "--target", str(out / "close_sequences"),
    ]  # fmt: skip
    subprocess.run([sys.executable, *run], check=True, capture_output=True)
    return out


def parse_times(packages: dict[str, str], rounds: int) -> dict[str, float]:
    """Best seconds of one `from_dict` of a page of 100 subscriptions, per package.

    All packages are imported into this one process under their own names (the generated
    code imports itself relatively) and timed in turns, round after round, so a change in
    the machine's load reaches them all alike.
    """
    from benchmarks.parsing import pages

    data = json.loads(pages()["SequenceSubscription"])
    parsers = {
        name: importlib.import_module(f"{module}.models").SequenceSubscriptionList.from_dict
        for name, module in packages.items()
    }
    best = dict.fromkeys(packages, float("inf"))
    for _ in range(rounds):
        for name, parse in parsers.items():
            seconds = min(timeit.repeat(functools.partial(parse, data), repeat=3, number=10)) / 10
            best[name] = min(best[name], seconds)
    return best


def walk_cpu_per_page(runs: int) -> list[float]:
    with server("--subscriptions", WALK_PAGES * 100) as srv:
        args = [srv.base_url, srv.api_key, srv.sequences[WALK_PAGES * 100], WALK_PAGES]
        return [
            float(
                run_python(["-m", "benchmarks.pagination", "breakdown", *map(str, args)])[
                    "paginate"
                ]
            )
            for _ in range(runs)
        ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("templates", nargs="+", help="overrides, relative to openapi/templates")
    parser.add_argument("--runs", type=int, default=3, help="walks, and parsing measurements")
    parser.add_argument("--rounds", type=int, default=40, help="turns per parsing measurement")
    args = parser.parse_args()
    names = {template: Path(template).name.split(".")[0] for template in args.templates}
    parse: dict[str, list[float]] = {"current": [], **{name: [] for name in names.values()}}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        packages = {"current": "close_sequences"}
        for template, name in names.items():
            built = variant(folder, name, template) / "close_sequences"
            shutil.copytree(built, folder / "packages" / f"variant_{name}")
            packages[name] = f"variant_{name}"
        sys.path.insert(0, str(folder / "packages"))
        for _ in range(args.runs):
            for name, seconds in parse_times(packages, args.rounds).items():
                parse[name].append(seconds)
    walk = statistics.median(walk_cpu_per_page(args.runs))
    ms = lambda values: spread([v * 1000 for v in values], "{:.3f}")  # noqa: E731
    print(f"walk (paginate through make_client): {walk * 1000:.2f} ms client CPU per page")
    print(f"current package: from_dict of a page {ms(parse['current'])} ms")
    for name in names.values():
        extra = [v - b for v, b in zip(parse[name], parse["current"], strict=True)]
        share = [e / walk * 100 for e in extra]
        print(
            f"without {name}: from_dict {ms(parse[name])} ms, {ms(extra)} ms more; "
            f"share of the walk's client CPU {spread(share, '{:+.1f}')}%"
        )


if __name__ == "__main__":
    main()
