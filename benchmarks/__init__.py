"""`make bench`: the SDK's overhead, memory and rate-limited throughput against raw httpx.

    python -m benchmarks                  # full sizes, writes BENCHMARKS.md
    python -m benchmarks --quick          # tiny sizes, one run each, report on stdout

One module per benchmark; each has a `run(...)` that returns a report `Section` and, where
the measured client must be a process of its own, a `main()` run as
`python -m benchmarks.<name> ...`. The local Close server runs in another process
(`benchmarks._server`).
"""
