"""6. Import time: `import close_seq_ext` against `import httpx` alone, each in a fresh process."""

from __future__ import annotations

import statistics

from benchmarks._common import Section, rotations, run_python, spread

APP = "close_seq_ext,close_sequences.api.sequences,close_sequences.api.sequence_subscriptions"
MODULES = {
    "httpx": "`httpx`",
    "close_seq_ext": "`close_seq_ext`",
    APP: "`close_seq_ext` + endpoints",
}
# The child imports nothing else first, so no module the measured import needs is loaded.
CHILD = """\
import time, importlib, sys
started = time.perf_counter()
for name in sys.argv[1].split(","):
    importlib.import_module(name)
print('{"seconds": %r}' % (time.perf_counter() - started))
"""


def timed_import(modules: str) -> dict[str, float]:
    return run_python(["-c", CHILD, modules])


def run(runs: int) -> Section:
    for modules in MODULES:  # compile the bytecode cache once, outside the runs
        timed_import(modules)
    results = []
    for index, modules in rotations(list(MODULES), runs):
        results.append({"run": index, "modules": modules, **timed_import(modules)})

    def of(modules: str) -> list[float]:
        return [1000 * r["seconds"] for r in results if r["modules"] == modules]

    def ratios(modules: str) -> list[float]:
        return [a / b for a, b in zip(of(modules), of("httpx"), strict=True)]

    table = [["import", "time, ms", "ratio to `import httpx`", "added to httpx's, ms"]]
    for modules, label in MODULES.items():
        added = [a - b for a, b in zip(of(modules), of("httpx"), strict=True)]
        table.append(
            [
                label,
                spread(of(modules), "{:.0f}"),
                spread(ratios(modules)),
                "" if modules == "httpx" else spread(added, "{:.0f}"),
            ]
        )
    method = f"""
Each import in a fresh `python -c` process that imports only `time`, `importlib` and
`sys` first, timing `importlib.import_module(...)` with `perf_counter`; bytecode is
compiled once beforehand into a cache (`PYTHONPYCACHEPREFIX`), as an installed package's
is. `close_seq_ext` imports httpx, anyio, attrs and the generated models; the last row
adds the endpoint modules an app then imports (`close_sequences.api.sequences`,
`...sequence_subscriptions`). {runs} runs, interleaved, ratios run by run. The issue set no
number beyond "costs almost nothing"; the median is
{statistics.median(ratios("close_seq_ext")):.2f} times httpx's import.
"""
    summary = [["`import close_seq_ext`, ratio to `import httpx`", table[2][2], "-"]]
    return Section("6. Import time", method, table, results, summary=summary)
