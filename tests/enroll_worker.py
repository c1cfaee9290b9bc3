"""One process of a fleet enrolling contacts, for the fleet test of `ensure_subscribed`.

    python -m tests.enroll_worker BASE_URL API_KEY SEQUENCE_ID CONTACT_IDS GO_FILE

Builds one `make_client` client (which reads `CLOSE_RATE_LIMIT_URL`, as a deployed worker
would), prints `ready`, waits until GO_FILE exists (so that every worker starts at once),
then enrolls every contact of the comma-separated CONTACT_IDS at the same time, one task
each, and prints one JSON line: `{"subs": {contact_id: subscription_id}, "errors": [...]}`.
"""

from __future__ import annotations

import json
import sys

import anyio

from close_seq_ext import ensure_subscribed, make_client
from tests.enroll_support import enrollment


async def work(base_url: str, api_key: str, sequence_id: str, contacts: list[str], go: str):
    subs: dict[str, str] = {}
    errors: list[str] = []

    async def enroll(contact_id: str) -> None:
        try:
            sub = await ensure_subscribed(client, enrollment(sequence_id, contact_id))
            subs[contact_id] = sub.id
        except Exception as exc:  # reported, not fatal to the worker
            errors.append(repr(exc))

    async with make_client(api_key, base_url=base_url) as client:
        print("ready", flush=True)
        while not await anyio.Path(go).exists():  # noqa: ASYNC110 (another process makes it)
            await anyio.sleep(0.005)
        async with anyio.create_task_group() as group:
            for contact_id in contacts:
                group.start_soon(enroll, contact_id)
    return {"subs": subs, "errors": errors}


def main() -> None:
    base_url, api_key, sequence_id, contacts, go = sys.argv[1:6]
    result = anyio.run(work, base_url, api_key, sequence_id, contacts.split(","), go)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
