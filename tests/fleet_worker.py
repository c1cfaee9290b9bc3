"""One process of a fleet on one Close key, for the fleet tests: its calls and what they raised.

    python -m tests.fleet_worker BASE_URL API_KEY CALLS TASKS

Runs CALLS `list_sequences` calls from TASKS concurrent tasks of one `make_client` client
(which reads `CLOSE_RATE_LIMIT_URL` from the environment, as a deployed app would), then
prints one JSON line: `{"ok": n, "errors": ["RateLimitError(...)", ...]}`.
"""

from __future__ import annotations

import json
import sys

import anyio

from close_seq_ext import make_client
from close_sequences.api.sequences import list_sequences


async def work(base_url: str, api_key: str, calls: int, tasks: int) -> dict[str, object]:
    done: list[int] = []
    errors: list[str] = []

    async def task(count: int) -> None:
        for _ in range(count):
            try:
                await list_sequences.asyncio(client=client)
                done.append(1)
            except Exception as exc:  # a lost call: counted, not fatal to the worker
                errors.append(repr(exc))

    async with (
        make_client(api_key, base_url=base_url) as client,
        anyio.create_task_group() as group,
    ):
        for index in range(tasks):
            group.start_soon(task, calls // tasks + (index < calls % tasks))
    return {"ok": len(done), "errors": errors}


def main() -> None:
    base_url, api_key, calls, tasks = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    print(json.dumps(anyio.run(work, base_url, api_key, calls, tasks)), flush=True)


if __name__ == "__main__":
    main()
