"""Object ids with Close's prefixes, and the two timestamp styles Close uses.

>>> import random
>>> new_id("seq_", random.Random(1)).startswith("seq_")
True
>>> naive_timestamp(datetime(2022, 3, 10, 14, 31, 45, tzinfo=UTC))
'2022-03-10T14:31:45.000000'
"""

from __future__ import annotations

import random
import string
from datetime import UTC, datetime

__all__ = ["ID_LENGTHS", "naive_timestamp", "new_id", "offset_timestamp", "utcnow"]

_ALPHABET = string.ascii_letters + string.digits

# Close's ids are base62 after the prefix; workflow objects use 22 characters, the older
# objects (leads, contacts, bulk actions, users) 43, as the documentation's examples show.
ID_LENGTHS = {
    "seq_": 22,
    "seqstep_": 22,
    "sub_": 22,
    "bulkseqsub_": 43,
    "lead_": 43,
    "cont_": 43,
    "stat_": 43,
    "user_": 43,
    "orga_": 43,
    "emailacct_": 43,
}


def new_id(prefix: str, rng: random.Random) -> str:
    """A fresh id such as ``seq_51kUuBR322o1B7vb2HvzSz``, drawn from `rng` (so seedable)."""
    length = ID_LENGTHS.get(prefix, 22)
    return prefix + "".join(rng.choices(_ALPHABET, k=length))


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def naive_timestamp(moment: datetime) -> str:
    """Sequences and subscriptions: naive UTC ISO, microseconds always printed.

    ``isoformat()`` alone drops ``.000000`` when the microseconds are zero; Close never does.
    """
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


def offset_timestamp(moment: datetime) -> str:
    """Bulk actions, leads and contacts: UTC ISO with ``+00:00`` and microseconds."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")
