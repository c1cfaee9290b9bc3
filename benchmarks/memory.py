"""3. Memory: peak RSS of a walk that streams, against one that lists everything.

python -m benchmarks.memory stream|list|httpx BASE_URL API_KEY SEQUENCE_ID CHECKPOINT

Prints the peak RSS at the start of the walk, after CHECKPOINT items and at the end.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path
from typing import Any

import anyio
import httpx

from benchmarks._common import Section, Server, emit, rotations, run_client, spread
from close_seq_ext import make_client, paginate
from close_sequences.api.sequence_subscriptions import list_sequence_subscriptions

MODES = ("stream", "list", "httpx")
PATH = "/api/v1/sequence_subscription/"


def peak_rss_kib() -> int:
    """VmHWM: the most resident memory this process has had, in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


async def walk(
    mode: str, base_url: str, api_key: str, sequence_id: str, checkpoint: int
) -> dict[str, Any]:
    if mode == "httpx":
        return await walk_httpx(base_url, api_key, sequence_id, checkpoint)
    async with make_client(api_key, base_url=base_url) as client:

        def items() -> Any:
            return paginate(list_sequence_subscriptions, client=client, sequence_id=sequence_id)

        # Warm-up: one full page, so the start already holds what any walk needs once.
        async for _ in paginate(
            list_sequence_subscriptions, client=client, sequence_id=sequence_id, max_items=100
        ):
            pass
        start = peak_rss_kib()
        kept, count, at_checkpoint = [], 0, 0
        async for subscription in items():
            if mode == "list":
                kept.append(subscription)
            count += subscription.id is not None
            if count == checkpoint:
                at_checkpoint = peak_rss_kib()
        return {
            "items": count,
            "start_kib": start,
            "checkpoint_kib": at_checkpoint,
            "peak_kib": peak_rss_kib(),
        }


async def walk_httpx(
    base_url: str, api_key: str, sequence_id: str, checkpoint: int
) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base_url, auth=(api_key, "")) as client:
        start, at_checkpoint, count, skip = 0, 0, 0, 0
        while True:
            if skip == 100:  # after the warm-up page, as for the SDK
                start, count = peak_rss_kib(), 0
            params = {"sequence_id": sequence_id, "_skip": skip, "_limit": 100}
            page = json.loads((await client.get(PATH, params=params)).content)
            count += sum(item["id"] is not None for item in page["data"])
            skip += len(page["data"])
            if skip == checkpoint:
                at_checkpoint = peak_rss_kib()
            if not page["has_more"]:
                return {
                    "items": count + 100,
                    "start_kib": start,
                    "checkpoint_kib": at_checkpoint,
                    "peak_kib": peak_rss_kib(),
                }


def run(srv: Server, size: int, runs: int) -> Section:
    results = []
    for index, mode in rotations(MODES, runs):
        result = run_client(
            "memory", mode, srv.base_url, srv.api_key, srv.sequences[size], size // 10
        )
        if result["items"] != size:
            raise AssertionError(f"{mode} walked {result['items']} items, not {size}")
        result.update(
            run=index,
            mode=mode,
            growth_kib=result["peak_kib"] - result["start_kib"],
            late_growth_kib=result["peak_kib"] - result["checkpoint_kib"],
        )
        results.append(result)

    def growth(mode: str, key: str = "growth_kib") -> list[float]:
        return [r[key] / 1024 for r in results if r["mode"] == mode]

    pages = size // 100
    # What one page of models costs when kept: the list walk's growth spread over its pages.
    page_mib = statistics.median(growth("list")) / pages
    stream_pages = [g / page_mib for g in growth("stream")]
    table = [
        [
            "walk",
            "start, MiB",
            "peak growth over the walk, MiB",
            "growth in pages of models",
            "of which after the first 10% of items, MiB",
        ],
        [
            "`paginate`, streaming (`async for`)",
            spread(start("stream", results), "{:.1f}"),
            spread(growth("stream")),
            spread(stream_pages, "{:.1f}"),
            spread(growth("stream", "late_growth_kib")),
        ],
        [
            "`paginate` into a list (baseline)",
            spread(start("list", results), "{:.1f}"),
            spread(growth("list"), "{:.1f}"),
            f"{pages:,}",
            spread(growth("list", "late_growth_kib"), "{:.1f}"),
        ],
        [
            "httpx + `json.loads`, streaming (reference)",
            spread(start("httpx", results), "{:.1f}"),
            spread(growth("httpx")),
            spread([g / page_mib for g in growth("httpx")], "{:.1f}"),
            spread(growth("httpx", "late_growth_kib")),
        ],
    ]
    method = f"""
A fresh client process per walk of {size:,} subscriptions ({pages:,} pages of 100) from the
local server in another process. After `make_client` and a one-page warm-up walk, it reads
its peak RSS (`VmHWM` in `/proc/self/status`), walks, and reads it again; the growth is the
difference. **Streaming**: `async for` over `paginate`, keeping nothing. **Baseline**: the
same walk collected into a list. **Reference**: the plain httpx loop of benchmark 1, which
shows what the allocator and httpx themselves add over a long walk. A "page of models"
is the baseline's growth divided by its pages (median {page_mib * 1024:.0f} KiB). {runs}
runs of each, interleaved. Target: the streaming walk grows by no more than a few pages.
The last column is the growth after the first 10% of the items: what a walk that kept
something per item would keep adding, where one that streams stops growing.
"""
    summary = [
        [
            f"peak RSS growth over a {size:,}-item walk",
            f"{table[1][2]} MiB = {table[1][3]} pages of models, {table[1][4]} MiB of it "
            f"after the first 10% (listing all: {table[2][2]} MiB)",
            "a few pages",
        ],
    ]
    return Section(
        f"3. Memory: a {size:,}-item walk streams", method, table, results, summary=summary
    )


def start(mode: str, results: list[dict[str, Any]]) -> list[float]:
    return [r["start_kib"] / 1024 for r in results if r["mode"] == mode]


def main() -> None:
    mode, base_url, api_key, sequence_id, checkpoint = sys.argv[1:6]
    emit(anyio.run(walk, mode, base_url, api_key, sequence_id, int(checkpoint)))


if __name__ == "__main__":
    main()
